"""Writing and reading a built graph: node-link JSON, GraphML, and the tables coordinators use
(responsibilities.csv/.xlsx — the 任务分工表 —, resolution.csv, targets.csv, entities.csv)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
from policykg.extract.model import PolicyDocument
from policykg.graph.sanitise import clean_row, clean_text, clean_value
from policykg.graph.task_sheet import (  # noqa: F401 (the 任务分工表, graph/task_sheet.py; re-exported)
    LEAD_FROM_ORDER_MARK,
    OVERVIEW_SHEET,
    XLSX_COLUMNS,
    XLSX_WIDTHS,
    TaskSheetWriter,
    _sheet_names,
    write_responsibilities_xlsx,
    xlsx_documents,
    xlsx_tasks,
)

GRAPH_JSON = "graph.json"
GRAPHML = "graph.graphml"
# node-link JSON, with the edge ends under "from"/"to": TARGETS edges carry a property called
# `source` (table or text), which the default "source"/"target" keys would overwrite
NODE_LINK_KEYS = {"edges": "edges", "source": "from", "target": "to"}

RESPONSIBILITY_COLUMNS = [
    "doc", "doc_sha256", "doc_title", "jurisdiction", "task_id", "task_path", "task_title", "role",
    "unit", "unit_id", "unit_name", "kind", "rule", "flagged", "lead_from_order", "quote", "start", "end",
    "task_text", "deadline", "deadline_text",
]
RESOLUTION_COLUMNS = ["doc", "doc_sha256", "jurisdiction", "written", "unit_id", "unit_name", "kind", "rule",
                      "flagged", "note", "count"]
TARGET_COLUMNS = [
    "doc", "doc_sha256", "task_path", "indicator", "indicator_id", "indicator_name", "unit", "year", "value",
    "value_max", "qualifier", "source", "quote", "start", "end", "recurrence",
]
ENTITY_COLUMNS = ["doc", "doc_sha256", "task_path", "kind", "subtype", "text", "entity_id", "name", "quote",
                  "start", "end"]


def write_graph_json(g: nx.MultiDiGraph, path: Path) -> None:
    """nx.node_link_data(g, **NODE_LINK_KEYS) as compact JSON, written node by node and edge by
    edge, one element a line (still one JSON value: json.load reads it; iter_graph_elements reads
    it a line at a time, so a reader need not hold the whole graph). JSON escapes control
    characters, so quotes stay exactly the original text; only a lone surrogate (a file name that
    is not UTF-8) cannot be encoded and becomes "?"."""
    with path.open("w", encoding="utf-8", errors="replace") as fh:
        write_graph_elements(fh, g.graph, ((n, data) for n, data in g.nodes(data=True)),
                             g.edges(keys=True, data=True))


def write_graph_elements(fh: Any, graph_attrs: dict[str, Any], nodes: Iterable[tuple[str, dict[str, Any]]],
                         edges: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
    """The graph.json layout over streams of nodes and of (source, target, key, data) edges."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    fh.write(f'{{"directed":true,"multigraph":true,"graph":{encode(graph_attrs)},"nodes":[\n')
    sep = ""
    for n, data in nodes:
        fh.write(sep + encode({**data, "id": n}))
        sep = ",\n"
    fh.write('\n],"edges":[\n')
    sep = ""
    for u, v, k, data in edges:
        fh.write(sep + encode({**data, "from": u, "to": v, "key": k}))
        sep = ",\n"
    fh.write("\n]}\n")


GraphElement = tuple[str, dict[str, Any]]  # ("graph" | "node" | "edge", attributes as in graph.json)


def iter_graph_elements(out_dir: Path | str) -> Iterator[GraphElement]:
    """OUT/graph.json one element at a time, without holding the graph: ("graph", attrs) first,
    then ("node", {..., "id"}) for every node, then ("edge", {..., "from", "to", "key"}) for
    every edge. Reads the one-element-a-line layout write_graph_json writes; a graph.json in
    another layout (an older build, or written by hand) is read whole."""
    path = Path(out_dir) / GRAPH_JSON if Path(out_dir).is_dir() else Path(out_dir)
    with path.open(encoding="utf-8") as fh:
        head = fh.readline()
        if not head.endswith('"nodes":[\n'):
            data = json.loads(head + fh.read())
            yield "graph", data.get("graph", {})
            for node in data["nodes"]:
                yield "node", node
            for edge in data["edges"]:
                yield "edge", edge
            return
        yield "graph", json.loads(head[head.index('"graph":') + 8:-len(',"nodes":[\n')])
        kind = "node"
        for line in fh:
            if line == "\n":
                continue  # an empty list of nodes or edges
            if line.startswith("]"):
                if kind == "edge":
                    return
                kind = "edge"
                continue
            yield kind, _load_element(line[:-2] if line.endswith(",\n") else line)


def _load_element(text: str) -> Any:
    """One element of graph.json: orjson (three times json's speed on a 1000-plan graph); json for
    what orjson refuses (NaN, integers beyond 64 bits), which also reports a genuine error."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def read_graph(out_dir: Path | str) -> nx.MultiDiGraph:
    """The graph a build wrote to OUT_DIR/graph.json."""
    path = Path(out_dir) / GRAPH_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no built graph here (run `policykg build DATA --out {out_dir}` first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return nx.node_link_graph(data, directed=True, multigraph=True, **NODE_LINK_KEYS)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a policykg graph ({exc})") from exc


_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
# GraphML tools (Gephi, yEd, Cytoscape) show an attribute called `label` as the node's caption:
# there it is the display name, and the node's primary kind (`label` in the graph) is `kind`
GRAPHML_RENAMED = {"label": "kind"}  # a unit's own `kind` is the same as its label


def graphml_node_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """A node's attributes as GraphML writes them: `label` the display name, `kind` the kind."""
    attrs = {GRAPHML_RENAMED.get(k, k): v for k, v in data.items() if k != "kind"}
    if data.get("kind") not in (None, data.get("label")):  # a Category's kind of thing (Platform, Park)
        attrs["categoryKind"] = data["kind"]
    attrs["label"] = (f"{data.get('path', '')} {data.get('title', '')}".strip() if data.get("label") == "Task"
                      else data.get("name") or data.get("id") or "")
    return attrs


def graphml_edge_attributes(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "label": data.get("type", "")}


def _graphml_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return clean_text("|".join(str(v) for v in value))
    return clean_value(value)  # XML 1.0 cannot carry most control characters (graph/sanitise.py)


def _graphml_keys(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Attribute name -> GraphML type. Absent values (None) say nothing about the type; integers
    mixed with floats are doubles; any other mix is a string."""
    types: dict[str, str] = {}
    for data in items:
        for k, v in data.items():
            if v is None or v == "":  # empty: no type (an attribute only ever empty is a string)
                types.setdefault(k, "")
                continue
            t = _GRAPHML_TYPES.get(type(_graphml_value(v)), "string")
            known = types.setdefault(k, t) or t
            types[k] = known if known == t else "double" if {known, t} == {"long", "double"} else "string"
    return {k: t or "string" for k, t in types.items()}


def write_graphml(g: nx.MultiDiGraph, path: Path) -> None:
    """GraphML, streamed element by element (networkx's writer builds the whole XML tree in
    memory, which for a corpus of a thousand plans takes gigabytes). Lists are joined by |;
    an absent value (None) is left out, so that it reads back as missing, not as ""."""
    from xml.sax.saxutils import escape, quoteattr

    node_keys = _graphml_keys(graphml_node_attributes(d) for _, d in g.nodes(data=True))
    edge_keys = _graphml_keys(graphml_edge_attributes(d) for *_, d in g.edges(data=True))

    def fmt(value: Any, kind: str) -> str:
        value = _graphml_value(value)
        if kind == "boolean":
            return "true" if value else "false"
        if kind == "string":
            return escape(str(value))
        if kind == "double":
            return repr(float(value))
        return str(int(value))

    def data_elements(scope: str, keys: dict[str, str], attrs: dict[str, Any]) -> Iterable[str]:
        for k, v in attrs.items():
            if v is None or (v == "" and keys[k] != "string"):
                continue
            yield f'<data key="{ids[scope, k]}">{fmt(v, keys[k])}</data>'

    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                 'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                 'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        ids = {}
        for scope, keys in (("node", node_keys), ("edge", edge_keys)):
            for i, (name, kind) in enumerate(keys.items()):
                ids[scope, name] = f"{scope[0]}{i}"
                fh.write(f'<key id="{scope[0]}{i}" for="{scope}" attr.name={quoteattr(name)} attr.type="{kind}"/>\n')
        fh.write('<graph edgedefault="directed">\n')
        for n, data in g.nodes(data=True):
            fh.write(f"<node id={quoteattr(clean_text(str(n)))}>")
            fh.writelines(data_elements("node", node_keys, graphml_node_attributes(data)))
            fh.write("</node>\n")
        for u, v, k, data in g.edges(keys=True, data=True):
            fh.write(f"<edge id={quoteattr(clean_text(str(k)))} source={quoteattr(clean_text(str(u)))} "
                     f"target={quoteattr(clean_text(str(v)))}>")
            fh.writelines(data_elements("edge", edge_keys, graphml_edge_attributes(data)))
            fh.write("</edge>\n")
        fh.write("</graph>\n</graphml>\n")


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """One table written whole (the fuzz bench writes one document's tables with it)."""
    n = 0
    # utf-8-sig: Excel opens Chinese CSV correctly only with the BOM
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(clean_row(row))  # the same text as GraphML/xlsx (graph/sanitise.py)
            n += 1
    return n


def responsibility_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        for task in doc.tasks:
            for unit in task.clause.units:
                res = unit.resolved
                yield {
                    "doc": doc.name, "doc_sha256": doc.sha256, "doc_title": doc.meta.title,
                    "jurisdiction": doc.meta.jurisdiction, "task_id": f"task:{doc.sha256[:16]}:{task.path}",
                    "task_path": task.path, "task_title": task.title, "role": unit.role,
                    "unit": unit.written, "unit_id": res.unit_id if res else "",
                    "unit_name": res.name if res else "", "kind": res.kind if res else "",
                    "rule": res.rule if res else "", "flagged": "yes" if res and res.flagged else "",
                    "quote": task.clause.span.quote, "start": task.clause.span.start, "end": task.clause.span.end,
                    "lead_from_order": "yes" if unit.lead_from_order else "",
                    "task_paragraph": task.span.quote,
                    "task_text": task.text, "deadline": task.deadline, "deadline_text": task.deadline_text,
                }


def resolution_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        seen: dict[str, dict[str, Any]] = {}
        for task in doc.tasks:
            for unit in task.clause.units:
                res = unit.resolved
                if res is None:
                    continue
                row = seen.get(unit.written)
                if row is None:
                    seen[unit.written] = {
                        "doc": doc.name, "doc_sha256": doc.sha256, "jurisdiction": doc.meta.jurisdiction,
                        "written": unit.written, "unit_id": res.unit_id, "unit_name": res.name, "kind": res.kind,
                        "rule": res.rule, "flagged": "yes" if res.flagged else "", "note": res.note, "count": 1,
                    }
                else:
                    row["count"] += 1
        yield from seen.values()


def target_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        for t in doc.targets:
            yield {
                "doc": doc.name, "doc_sha256": doc.sha256, "task_path": t.task_path, "indicator": t.indicator,
                "indicator_id": t.indicator_id, "indicator_name": t.indicator_name, "unit": t.unit,
                "year": "" if t.year is None else t.year, "value": f"{t.value:g}",
                "value_max": "" if t.value_max is None else f"{t.value_max:g}", "qualifier": t.qualifier,
                "source": t.source, "quote": t.span.quote, "start": t.span.start, "end": t.span.end,
                "recurrence": t.recurrence,
            }


def entity_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        for e in doc.entities:
            yield {
                "doc": doc.name, "doc_sha256": doc.sha256, "task_path": e.task_path, "kind": e.kind,
                "subtype": e.subtype, "text": e.text, "entity_id": e.entity_id if not e.generic else "",
                "name": e.name, "quote": e.span.quote, "start": e.span.start, "end": e.span.end,
            }


# one document's rows of every table (what write_outputs needs of it, without the document)
DocumentRows = dict[str, list[dict[str, Any]]]
TABLES = {"responsibilities": RESPONSIBILITY_COLUMNS, "resolution": RESOLUTION_COLUMNS, "targets": TARGET_COLUMNS,
          "entities": ENTITY_COLUMNS}


def document_rows(doc: PolicyDocument) -> DocumentRows:
    """The rows one document contributes to each table of the build."""
    return {
        "responsibilities": list(responsibility_rows([doc])),
        "resolution": list(resolution_rows([doc])),
        "targets": list(target_rows([doc])),
        "entities": list(entity_rows([doc])),
    }


def write_outputs(g: nx.MultiDiGraph, docs: Iterable[PolicyDocument | DocumentRows], out_dir: Path,
                  stage: Callable[[str], AbstractContextManager[Any]] | None = None) -> dict[str, int]:
    """Every file of a build into out_dir (which must exist). `docs` are the documents, or
    their DocumentRows, read once in order (a stream: the tables are written as they come).
    Returns row counts. `stage(name)` wraps each writer (progress reporting)."""
    stage = stage or (lambda _name: nullcontext())
    with stage(GRAPH_JSON):
        write_graph_json(g, out_dir / GRAPH_JSON)
    with stage(GRAPHML):
        write_graphml(g, out_dir / GRAPHML)
    resp: list[dict[str, Any]] = []
    counts = dict.fromkeys(TABLES, 0)
    with stage("responsibilities.csv, resolution.csv, targets.csv, entities.csv"):
        # utf-8-sig: Excel opens Chinese CSV correctly only with the BOM
        files = {name: (out_dir / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") for name in TABLES}
        try:
            writers = {name: csv.DictWriter(files[name], fieldnames=list(columns), extrasaction="ignore")
                       for name, columns in TABLES.items()}
            for writer in writers.values():
                writer.writeheader()
            for doc in docs:
                rows = doc if isinstance(doc, dict) else document_rows(doc)
                for name, writer in writers.items():
                    writer.writerows(clean_row(row) for row in rows[name])  # as GraphML/xlsx (graph/sanitise.py)
                    counts[name] += len(rows[name])
                resp.extend(rows["responsibilities"])
        finally:
            for fh in files.values():
                fh.close()
    with stage("responsibilities.xlsx"):
        write_responsibilities_xlsx(resp, out_dir / "responsibilities.xlsx", xlsx_documents(g))
    return counts
