"""Writing and reading a built graph: node-link JSON, GraphML, and the tables coordinators use
(responsibilities.csv/.xlsx — the 任务分工表 —, resolution.csv, targets.csv, entities.csv)."""

from __future__ import annotations

import csv
import itertools
import json
import operator
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import orjson
from policykg.graph.sanitise import clean_row, clean_text, has_unwritable
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

if TYPE_CHECKING:
    import networkx as nx
    from policykg.extract.model import PolicyDocument

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


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _orjson_writes_as_json(values: Iterable[Any]) -> bool:
    """Whether orjson writes these values as compact json (ensure_ascii=False) does, byte for
    byte: str, int, bool and None it does (a lone surrogate or an int beyond 64 bits it refuses,
    see orjson_bytes), floats only where its text is repr's (not 1e-05, nan, inf), lists, tuples
    and str-keyed dicts of such values; subclasses (an IntEnum, a str subclass) are left to json.
    Checked a level of nesting at a time (a summary holds a few hundred small lists and dicts)."""
    level = list(values)
    while level:
        types = set(map(type, level))
        if types <= _JSON_SCALARS:
            return True
        if not types <= _JSON_TYPES:
            return False
        if float in types and any(orjson.dumps(v) != repr(v).encode() for v in level if type(v) is float):
            return False
        inner: list[Any] = [v for v in level if type(v) is list or type(v) is tuple]
        if dict in types:
            dicts = [v for v in level if type(v) is dict]
            if not _JSON_KEYS.issuperset(map(type, itertools.chain.from_iterable(dicts))):
                return False
            inner += [v.values() for v in dicts]
        level = list(itertools.chain.from_iterable(inner))
    return True


_JSON_KEYS = frozenset({str})
_JSON_TYPES = _JSON_SCALARS | {float, list, tuple, dict}


def orjson_bytes(value: Any) -> bytes | None:
    """value as compact json (ensure_ascii=False) writes it, UTF-8 encoded, by orjson (several
    times faster) — or None where orjson would write other bytes or refuses the value (a lone
    surrogate, an int beyond 64 bits, a key that is not a str): the caller then uses json."""
    if type(value) is dict:
        values = value.values()
        if not (_JSON_SCALARS.issuperset(map(type, values)) or _orjson_writes_as_json(values)):
            return None
    elif not _orjson_writes_as_json((value,)):
        return None
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return None


class JsonElements:
    """Elements of graph.json (compact JSON, ensure_ascii=False, as write_graph_elements writes
    them) as UTF-8 bytes, by orjson_bytes where it can. A lone surrogate (a file name that is not
    UTF-8) cannot be encoded and becomes "?"; `surrogates` says whether any text had one."""

    def __init__(self) -> None:
        self.surrogates = False

    def __call__(self, element: dict[str, Any]) -> bytes:
        found = orjson_bytes(element)
        if found is not None:
            return found
        text = _JSON_TEXT(element)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            self.surrogates = True
            return text.encode("utf-8", "replace")

    def lines(self, elements: list[dict[str, Any]]) -> bytes:
        """The elements as graph.json lines (`element,\\n` each): one orjson call for all of them
        when orjson writes all their values as json does, split where its `},{` are exactly
        the elements' boundaries (as many as there are boundaries: no text holds one)."""
        if elements and _orjson_writes_as_json(itertools.chain.from_iterable(map(dict.values, elements))):
            try:
                found = orjson.dumps(elements)
            except TypeError:  # a lone surrogate, an int beyond 64 bits, a non-str key: one by one
                found = None
            if found is not None and found.count(b"},{") == len(elements) - 1:
                return found[1:-1].replace(b"},{", b"},\n{") + b",\n"
        return b"".join([self(element) + b",\n" for element in elements])


GraphElement = tuple[str, dict[str, Any]]  # ("graph" | "node" | "edge", attributes as in graph.json)


def iter_graph_elements(out_dir: Path | str) -> Iterator[GraphElement]:
    """OUT/graph.json one element at a time, without holding the graph: ("graph", attrs) first,
    then ("node", {..., "id"}) for every node, then ("edge", {..., "from", "to", "key"}) for
    every edge. Reads the one-element-a-line layout write_graph_json writes; a graph.json in
    another layout (an older build, or written by hand) is read whole."""
    for kind, _text, element in iter_graph_lines(out_dir):
        yield kind, element


def iter_graph_lines(out_dir: Path | str) -> Iterator[tuple[str, bytes, Any]]:
    """iter_graph_elements' elements with their JSON text (UTF-8 bytes as graph.json holds them,
    for a reader that hashes them: the embedded loader): (kind, text, element)."""
    path = Path(out_dir) / GRAPH_JSON if Path(out_dir).is_dir() else Path(out_dir)
    # Bytes, not text: orjson decodes the UTF-8 itself (a text file would decode every line twice).
    # The lines end as the head line does (a file written in text mode on Windows: "\r\n").
    with path.open("rb") as fh:
        head = fh.readline()
        newline = b"\r\n" if head.endswith(b"\r\n") else b"\n"
        comma = b"," + newline
        cut = -len(comma)
        if not head.endswith(b'"nodes":[' + newline):
            data = json.loads((head + fh.read()).decode("utf-8"))
            yield "graph", b"", data.get("graph", {})
            for node in data["nodes"]:
                yield "node", _dump_element(node), node
            for edge in data["edges"]:
                yield "edge", _dump_element(edge), edge
            return
        text = head[head.index(b'"graph":') + 8:-len(b',"nodes":[' + newline)]
        yield "graph", text, json.loads(text)
        kind = "node"
        loads = orjson.loads
        for line in fh:
            if line == newline:
                continue  # an empty list of nodes or edges
            if line[0] == 93:  # "]": the end of the nodes, or of the edges
                if kind == "edge":
                    return
                kind = "edge"
                continue
            text = line[:cut] if line.endswith(comma) else line
            # orjson (three times json's speed on a 1000-plan graph), called here rather than in a
            # helper: a call less for each of hundreds of thousands of elements; json for what
            # orjson refuses (NaN, integers beyond 64 bits), which also reports a genuine error
            try:
                element = loads(text)
            except orjson.JSONDecodeError:
                element = json.loads(text)
            yield kind, text, element


def _dump_element(element: Any) -> bytes:
    try:
        return orjson.dumps(element)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(element, ensure_ascii=False).encode()


def read_graph(out_dir: Path | str) -> nx.MultiDiGraph:
    """The graph a build wrote to OUT_DIR/graph.json."""
    path = Path(out_dir) / GRAPH_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no built graph here (run `policykg build DATA --out {out_dir}` first)")
    try:
        import networkx as nx

        data = json.loads(path.read_text(encoding="utf-8"))
        return nx.node_link_graph(data, directed=True, multigraph=True, **NODE_LINK_KEYS)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a policykg graph ({exc})") from exc


_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
# GraphML tools (Gephi, yEd, Cytoscape) show an attribute called `label` as the node's caption:
# there it is the display name, and the node's primary kind (`label` in the graph) is `kind`
GRAPHML_RENAMED = {"label": "kind"}  # a unit's own `kind` is the same as its label

# The GraphML attributes of the graph (docs/graph-schema.md) and their types, in a fixed order with
# fixed ids, so that each document's elements are written once, apart from the rest of the
# corpus (and cached); the <key> header lists the attributes the file uses. An attribute not
# listed here is written as a string (key id "n_<name>" / "e_<name>").
GRAPHML_NODE_KEYS = {
    "id": "string", "kind": "string", "labels": "string", "name": "string", "file": "string", "sha256": "string",
    "jurisdiction": "string", "province": "string", "issuer": "string", "jurisdictionCode": "string",
    "docNumber": "string", "date": "string", "planFamily": "string", "current": "boolean", "periodStart": "long",
    "periodEnd": "long", "status": "string", "encoding": "string", "inferred": "string", "docSha256": "string",
    "start": "long", "end": "long", "quote": "string", "label": "string", "title": "string",
    "titleOriginal": "string", "path": "string", "docId": "string", "clauseForm": "string",
    "paragraphStart": "long", "paragraphEnd": "long", "text": "string", "textStart": "long", "textEnd": "long",
    "deadline": "string", "deadlineText": "string", "dueBy": "string", "content": "string",
    "sectionTitle": "string", "aliases": "string", "docs": "string", "subtype": "string",
    "categoryKind": "string", "unit": "string", "editions": "long", "editionIds": "string",
    "currentDocId": "string",
}
GRAPHML_EDGE_KEYS = {
    "type": "string", "written": "string", "docSha256": "string", "start": "long", "end": "long",
    "quote": "string", "label": "string", "year": "long", "value": "double", "valueMax": "double",
    "unit": "string", "qualifier": "string", "source": "string", "taskPath": "string", "recurrence": "string",
    "rule": "string", "flagged": "boolean", "fromPeriod": "string",
}
_GRAPHML_KEY_IDS = {
    "node": {name: (f"n{i}", kind) for i, (name, kind) in enumerate(GRAPHML_NODE_KEYS.items())},
    "edge": {name: (f"e{i}", kind) for i, (name, kind) in enumerate(GRAPHML_EDGE_KEYS.items())},
}


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


def _graphml_key(scope: str, name: str) -> tuple[str, str]:
    keys = _GRAPHML_KEY_IDS[scope]
    spec = keys.get(name)
    if spec is None:
        spec = keys[name] = (f"{scope[0]}_{name}", "string")
    return spec


def graphml_key_id(scope: str, name: str) -> str:
    """The id of an attribute's <key> ("node" or "edge")."""
    return _graphml_key(scope, name)[0]


_SIGNATURES: dict[tuple[str, tuple[str, ...]], list[tuple[str, str, str]]] = {}


def _signature(scope: str, names: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(name, '<data key="…">', type) of each attribute of an element with these attribute names."""
    found = _SIGNATURES[scope, names] = [
        (name, f'<data key="{key_id}">', kind) for name in names for key_id, kind in (_graphml_key(scope, name),)]
    return found


class _DataTemplate:
    """The <data> elements of every element with the same attribute names and value types, as
    one %-template: what _graphml_data writes of each value follows from its type and its key's
    type alone when the value is a plain str, int, bool or float that needs no escaping. A build
    writes a few hundred thousand edges of a few dozen such shapes."""

    __slots__ = ("booleans", "lists", "names", "pick", "strings", "template")

    def __init__(self, template: str, kept: list[int], strings: list[int], booleans: list[int],
                 lists: list[int], names: frozenset[str]) -> None:
        self.template, self.names = template, names
        self.pick = _picker(kept)  # the values written, in order (absent ones left out)
        self.strings = _picker(strings)  # the texts (checked for what XML escapes)
        self.booleans = booleans  # the booleans among the values written (written true/false)
        self.lists = lists  # the lists among the values written (written |-joined)


def _picker(positions: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    if not positions:
        return lambda _values: ()
    if len(positions) == 1:
        at = positions[0]
        return lambda values: (values[at],)
    return operator.itemgetter(*positions)


# (key type, value type) -> how a template writes the value, for the pairs whose text depends
# on the type alone (as _graphml_data writes them; a list is joined first); None: left out; any
# other pair: no template
_SLOTS: dict[tuple[str, type], str | None] = {
    **{(kind, type(None)): None for kind in ("string", "boolean", "double", "long")},
    ("string", str): "%s", ("string", int): "%s", ("string", float): "%s", ("string", bool): "%s",
    ("string", list): "%s", ("string", tuple): "%s",
    ("boolean", bool): "%s", ("double", float): "%r", ("long", int): "%d", ("long", bool): "%d",
}
_TEMPLATES: dict[tuple[Any, ...], _DataTemplate | None] = {}


def _data_template(key: tuple[Any, ...]) -> _DataTemplate | None:
    scope, names, types = key
    parts, kept, strings, booleans, lists, used = [], [], [], [], [], set()
    for i, ((name, opening, kind), value_type) in enumerate(zip(_signature(scope, names), types)):
        if (kind, value_type) not in _SLOTS:
            _TEMPLATES[key] = None
            return None
        slot = _SLOTS[kind, value_type]
        if slot is None:
            continue
        if value_type is str:
            strings.append(i)
        if kind == "boolean":
            booleans.append(len(kept))
        if value_type is list or value_type is tuple:
            lists.append(len(kept))
        kept.append(i)
        used.add(name)
        parts.append(f"{opening.replace('%', '%%')}{slot}</data>")
    found = _TEMPLATES[key] = _DataTemplate("".join(parts), kept, strings, booleans, lists, frozenset(used))
    return found


def _graphml_data(scope: str, attrs: dict[str, Any], used: set[str], clean: bool) -> str:
    """The <data> elements of one node or edge. Lists are joined by |; an absent value (None) is
    left out, so that it reads back as missing, not as "" (as is "" for a number or boolean).
    `clean`: pass text through clean_text (needed only when the element has a character XML 1.0
    cannot carry; escaping never makes or removes one, so a caller may check afterwards)."""
    if not clean:
        values = tuple(attrs.values())
        key = (scope, tuple(attrs), tuple(map(type, values)))
        template = _TEMPLATES[key] if key in _TEMPLATES else _data_template(key)
        if template is not None:
            texts = "\n".join(template.strings(values))
            if "&" not in texts and "<" not in texts and ">" not in texts:
                written = template.pick(values)
                if template.booleans or template.lists:
                    written = list(written)
                    for i in template.booleans:
                        written[i] = "true" if written[i] else "false"
                    for i in template.lists:
                        try:
                            joined = "|".join(written[i])
                        except TypeError:  # not all strings
                            return _graphml_data_of_each(scope, attrs, used, clean)
                        if "&" in joined or "<" in joined or ">" in joined:
                            return _graphml_data_of_each(scope, attrs, used, clean)
                        written[i] = joined
                used |= template.names
                return template.template % tuple(written)
    return _graphml_data_of_each(scope, attrs, used, clean)


def _graphml_data_of_each(scope: str, attrs: dict[str, Any], used: set[str], clean: bool) -> str:
    """_graphml_data, value by value (any value: lists, text to escape or clean, "" numbers)."""
    signature = _SIGNATURES.get((scope, tuple(attrs))) or _signature(scope, tuple(attrs))
    out = []
    for (name, opening, kind), v in zip(signature, attrs.values()):
        if v is None:
            continue
        if kind == "string":
            if type(v) is str:
                text = v
            elif isinstance(v, list | tuple):
                try:
                    text = "|".join(v)
                except TypeError:  # not all strings
                    text = "|".join([str(x) for x in v])
            else:
                text = str(v)
            if clean:
                text = clean_text(text)
            if "&" in text or "<" in text or ">" in text:
                text = escape(text)
        elif v == "":
            continue
        elif kind == "boolean":
            text = "true" if v else "false"
        elif kind == "double":
            text = repr(float(v))
        else:
            text = str(int(v))
        used.add(name)
        out.append(f"{opening}{text}</data>")
    return "".join(out)


def graphml_node_keys(data: dict[str, Any]) -> set[str]:
    """The attributes graphml_node writes of a node (what the <key> header must list)."""
    keys = _GRAPHML_KEY_IDS["node"]
    used = {"label"}  # the display name, always written
    for k, v in data.items():
        if v is None or k == "kind":
            continue
        name = GRAPHML_RENAMED.get(k, k)
        if v != "" or (keys.get(name) or _graphml_key("node", name))[1] == "string":
            used.add(name)
    if data.get("kind") not in (None, data.get("label")):
        used.add("categoryKind")
    return used


_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\r\t]')


def _attr(value: str, clean: bool) -> str:
    if clean:
        value = clean_text(value)
    return quoteattr(value) if _ATTRIBUTE_SPECIAL.search(value) else f'"{value}"'


def graphml_node(node_id: str, data: dict[str, Any], used: set[str], clean: bool | None = None) -> str:
    """One <node> element (a line) of a node of the graph. `clean`: None to check the element
    for characters XML cannot carry (and clean them), False when the caller knows it has none."""
    attrs = graphml_node_attributes(data)
    for careful in (False, True) if clean is None else (clean,):
        seen: set[str] = set()
        element = f"<node id={_attr(str(node_id), careful)}>{_graphml_data('node', attrs, seen, careful)}</node>\n"
        if careful or clean is not None or not has_unwritable(element):
            used |= seen
            return element
    raise AssertionError("unreachable")


def graphml_edge(u: str, v: str, key: str, data: dict[str, Any], used: set[str], clean: bool | None = None) -> str:
    """One <edge> element (a line) of an edge of the graph (`clean` as for graphml_node)."""
    attrs = {**data, "label": data.get("type", "")}  # graphml_edge_attributes
    for careful in (False, True) if clean is None else (clean,):
        seen: set[str] = set()
        key, u, v = str(key), str(u), str(v)
        if not careful and not _ATTRIBUTE_SPECIAL.search(f"{key}{u}{v}"):
            ends = f'<edge id="{key}" source="{u}" target="{v}">'  # (as _attr writes them)
        else:
            ends = f"<edge id={_attr(key, careful)} source={_attr(u, careful)} target={_attr(v, careful)}>"
        element = f"{ends}{_graphml_data('edge', attrs, seen, careful)}</edge>\n"
        if careful or clean is not None or not has_unwritable(element):
            used |= seen
            return element
    raise AssertionError("unreachable")


GRAPHML_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
GRAPHML_GRAPH = '<graph edgedefault="directed">\n'
GRAPHML_TAIL = "</graph>\n</graphml>\n"


def graphml_keys(node_keys: Iterable[str], edge_keys: Iterable[str]) -> str:
    """The <key> elements of the attributes used, in the schema's order."""
    lines = []
    for scope, used in (("node", set(node_keys)), ("edge", set(edge_keys))):
        for name in used:
            _graphml_key(scope, name)
        for name, (key_id, kind) in _GRAPHML_KEY_IDS[scope].items():
            if name in used:
                lines.append(f'<key id="{key_id}" for="{scope}" attr.name={quoteattr(name)} attr.type="{kind}"/>\n')
    return "".join(lines)


def write_graphml(g: nx.MultiDiGraph, path: Path) -> None:
    """GraphML, streamed element by element (networkx's writer builds the whole XML tree in
    memory, which for a corpus of a thousand plans takes gigabytes), with typed attributes of a
    fixed schema (GRAPHML_NODE_KEYS, GRAPHML_EDGE_KEYS). The elements are written to a spool
    beside `path` first: the <key> header lists the attributes used."""
    node_keys: set[str] = set()
    edge_keys: set[str] = set()
    spool = path.with_name(f".{path.name}.body")
    try:
        with spool.open("w", encoding="utf-8") as fh:
            for n, data in g.nodes(data=True):
                fh.write(graphml_node(n, data, node_keys))
            for u, v, k, data in g.edges(keys=True, data=True):
                fh.write(graphml_edge(u, v, k, data, edge_keys))
        with path.open("wb") as out, spool.open("rb") as body:
            out.write((GRAPHML_HEAD + graphml_keys(node_keys, edge_keys) + GRAPHML_GRAPH).encode("utf-8"))
            shutil.copyfileobj(body, out, 1 << 20)
            out.write(GRAPHML_TAIL.encode("utf-8"))
    finally:
        spool.unlink(missing_ok=True)


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
        name = doc.name
        for task in doc.tasks:
            for unit in task.clause.units:
                res = unit.resolved
                yield {
                    "doc": name, "doc_sha256": doc.sha256, "doc_title": doc.meta.title,
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
        name = doc.name
        seen: dict[str, dict[str, Any]] = {}
        for task in doc.tasks:
            for unit in task.clause.units:
                res = unit.resolved
                if res is None:
                    continue
                row = seen.get(unit.written)
                if row is None:
                    seen[unit.written] = {
                        "doc": name, "doc_sha256": doc.sha256, "jurisdiction": doc.meta.jurisdiction,
                        "written": unit.written, "unit_id": res.unit_id, "unit_name": res.name, "kind": res.kind,
                        "rule": res.rule, "flagged": "yes" if res.flagged else "", "note": res.note, "count": 1,
                    }
                else:
                    row["count"] += 1
        yield from seen.values()


def target_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        name = doc.name
        for t in doc.targets:
            yield {
                "doc": name, "doc_sha256": doc.sha256, "task_path": t.task_path, "indicator": t.indicator,
                "indicator_id": t.indicator_id, "indicator_name": t.indicator_name, "unit": t.unit,
                "year": "" if t.year is None else t.year, "value": f"{t.value:g}",
                "value_max": "" if t.value_max is None else f"{t.value_max:g}", "qualifier": t.qualifier,
                "source": t.source, "quote": t.span.quote, "start": t.span.start, "end": t.span.end,
                "recurrence": t.recurrence,
            }


def entity_rows(docs: Iterable[PolicyDocument]) -> Iterable[dict[str, Any]]:
    for doc in docs:
        name = doc.name
        for e in doc.entities:
            yield {
                "doc": name, "doc_sha256": doc.sha256, "task_path": e.task_path, "kind": e.kind,
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
