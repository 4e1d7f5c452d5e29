"""Writing and reading a built graph: node-link JSON, GraphML, and the tables coordinators use
(responsibilities.csv/.xlsx — the 任务分工表 —, resolution.csv, targets.csv, entities.csv)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
from policykg.extract.model import PolicyDocument
from policykg.graph.sanitise import clean_row, clean_text, clean_value

GRAPH_JSON = "graph.json"
GRAPHML = "graph.graphml"
# node-link JSON, with the edge ends under "from"/"to": TARGETS edges carry a property called
# `source` (table or text), which the default "source"/"target" keys would overwrite
NODE_LINK_KEYS = {"edges": "edges", "source": "from", "target": "to"}

RESPONSIBILITY_COLUMNS = [
    "doc", "doc_sha256", "doc_title", "jurisdiction", "task_id", "task_path", "task_title", "role",
    "unit", "unit_id", "unit_name", "kind", "rule", "flagged", "quote", "start", "end",
]
RESOLUTION_COLUMNS = ["doc", "doc_sha256", "jurisdiction", "written", "unit_id", "unit_name", "kind", "rule",
                      "flagged", "note", "count"]
TARGET_COLUMNS = [
    "doc", "doc_sha256", "task_path", "indicator", "indicator_id", "indicator_name", "unit", "year", "value",
    "value_max", "qualifier", "source", "quote", "start", "end",
]
ENTITY_COLUMNS = ["doc", "doc_sha256", "task_path", "kind", "subtype", "text", "entity_id", "name", "quote",
                  "start", "end"]


def write_graph_json(g: nx.MultiDiGraph, path: Path) -> None:
    data = nx.node_link_data(g, **NODE_LINK_KEYS)
    # compact and streamed: big corpora make graphs of hundreds of thousands of edges
    # JSON escapes control characters, so quotes stay exactly the original text; only a lone
    # surrogate (a file name that is not UTF-8) cannot be encoded and becomes "?"
    with path.open("w", encoding="utf-8", errors="replace") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))


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


def _graphml_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return clean_text("|".join(str(v) for v in value))
    if value is None:
        return ""
    return clean_value(value)  # XML 1.0 cannot carry most control characters (graph/sanitise.py)


def _graphml_keys(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Attribute name -> GraphML type; a name seen with mixed types is a string."""
    types: dict[str, str] = {}
    for data in items:
        for k, v in data.items():
            t = _GRAPHML_TYPES.get(type(_graphml_value(v)), "string")
            if types.setdefault(k, t) != t:
                types[k] = "string"
    return types


def write_graphml(g: nx.MultiDiGraph, path: Path) -> None:
    """GraphML, streamed element by element (networkx's writer builds the whole XML tree in
    memory, which for a corpus of a thousand plans takes gigabytes). Lists are joined by |."""
    from xml.sax.saxutils import escape, quoteattr

    node_keys = _graphml_keys(d for _, d in g.nodes(data=True))
    edge_keys = _graphml_keys(d for *_, d in g.edges(data=True))

    def fmt(value: Any, kind: str) -> str:
        value = _graphml_value(value)
        if kind == "boolean":
            return "true" if value else "false"
        if kind == "string":
            return escape(str(value))
        return str(value)

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
            fh.writelines(f'<data key="{ids["node", k]}">{fmt(v, node_keys[k])}</data>' for k, v in data.items())
            fh.write("</node>\n")
        for u, v, k, data in g.edges(keys=True, data=True):
            fh.write(f"<edge id={quoteattr(clean_text(str(k)))} source={quoteattr(clean_text(str(u)))} "
                     f"target={quoteattr(clean_text(str(v)))}>")
            fh.writelines(f'<data key="{ids["edge", a]}">{fmt(b, edge_keys[a])}</data>' for a, b in data.items())
            fh.write("</edge>\n")
        fh.write("</graph>\n</graphml>\n")


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
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
            }


def entity_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        for e in doc.entities:
            yield {
                "doc": doc.name, "doc_sha256": doc.sha256, "task_path": e.task_path, "kind": e.kind,
                "subtype": e.subtype, "text": e.text, "entity_id": e.entity_id if not e.generic else "",
                "name": e.name, "quote": e.span.quote, "start": e.span.start, "end": e.span.end,
            }


def write_responsibilities_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    """The 任务分工表 as coordinators keep it: one row per task, 牵头单位 and 参与单位 columns,
    plus a sheet with every (task, unit, role) row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    # write-only mode streams rows to disk: a corpus of a thousand plans has ~100k rows
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("任务分工表")
    for i, width in enumerate([30, 12, 36, 24, 48, 60], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header = ["文件", "任务编号", "任务", "牵头单位", "参与单位", "原文"]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cells(values: list[Any], style: dict[str, Any]) -> list[WriteOnlyCell]:
        out = []
        for value in values:
            c = WriteOnlyCell(ws, value=clean_value(value))  # openpyxl refuses XML-illegal characters
            if c.data_type == "f":  # text that begins with "=" is text here, never a formula
                c.data_type = "s"
            for attr, v in style.items():
                setattr(c, attr, v)
            out.append(c)
        return out

    ws.append(cells(header, {"font": bold}))
    tasks: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        t = tasks.setdefault((r["doc_sha256"], r["task_path"]), {
            "doc": r["doc_title"] or r["doc"], "path": r["task_path"], "title": r["task_title"],
            "lead": [], "part": [], "quote": r["quote"]})
        (t["lead"] if r["role"] == "lead" else t["part"]).append(r["unit"])
    for t in tasks.values():
        ws.append(cells([t["doc"], t["path"], t["title"], "、".join(t["lead"]), "、".join(t["part"]),
                         " ".join(t["quote"].split())], {"alignment": wrap}))
    ws.auto_filter.ref = f"A1:F{len(tasks) + 1}"
    detail = wb.create_sheet("明细")
    detail.freeze_panes = "A2"
    detail.auto_filter.ref = f"A1:{get_column_letter(len(RESPONSIBILITY_COLUMNS))}{len(rows) + 1}"
    detail.append(RESPONSIBILITY_COLUMNS)
    for r in rows:
        detail.append([cells([v], {})[0] if isinstance(v, str) and v.startswith("=") else clean_value(v)
                       for v in (r.get(c, "") for c in RESPONSIBILITY_COLUMNS)])
    wb.save(path)


def write_outputs(g: nx.MultiDiGraph, docs: list[PolicyDocument], out_dir: Path) -> dict[str, int]:
    """Every file of a build into out_dir (which must exist). Returns row counts."""
    write_graph_json(g, out_dir / GRAPH_JSON)
    write_graphml(g, out_dir / GRAPHML)
    resp = list(responsibility_rows(docs))
    counts = {"responsibilities": _write_csv(out_dir / "responsibilities.csv", RESPONSIBILITY_COLUMNS, resp)}
    write_responsibilities_xlsx(resp, out_dir / "responsibilities.xlsx")
    counts["resolution"] = _write_csv(out_dir / "resolution.csv", RESOLUTION_COLUMNS, resolution_rows(docs))
    counts["targets"] = _write_csv(out_dir / "targets.csv", TARGET_COLUMNS, target_rows(docs))
    counts["entities"] = _write_csv(out_dir / "entities.csv", ENTITY_COLUMNS, entity_rows(docs))
    return counts
