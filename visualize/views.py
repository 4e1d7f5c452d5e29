"""The interactive views: graph (docs/graph-schema.md) -> HTML pages in OUT/views/ that read one
shared data file, views/data.js.

data.js holds every node and edge once (label, search names, documents, community, tooltip) and
the precomputed layouts of the two big views; the pages draw from it with vis-network:
- network.html: the whole graph, communities coloured and laid out apart (aggregated to units and
  documents grouped by jurisdiction above `max_nodes`);
- cooperation.html: units linked when they share tasks, weighted by how many;
- document.html#doc=ID: one plan, laid out in the page by chapter;
- unit.html#unit=ID: one unit's ego view, laid out in the page (tasks by document and role
  around it, partners outside);
- index.html: links, summary numbers, tasks led/participated per unit, responsibility matrix.
Per-unit and per-document views are rendered in the page from the shared file, so the views of a
corpus are a handful of files whatever its size, and every cost here is linear in the graph.
A selected node is in the URL hash (#node=ID), so a view can be shared as a link.
The graph is read once as the element stream of graph.json (write_views_from_out; a networkx
graph is turned into the same stream), keeping only what the pages need (GraphIndex); where the
system can fork, a second process reads graph.json at the same time and makes the edges' part of
data.js (_EdgeReader), and a third makes the layouts and the index page while this one writes the
nodes (write_shared_data): the same bytes in about half the time on two cores. In a build, the
documents' edge rows and task nodes come mostly made from the extraction workers' parts
(visualize/document_parts.py): the edge reader renumbers the rows, and this process takes the
task records instead of parsing and rendering the tasks' lines.
"""

from __future__ import annotations

import difflib
import gc
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import warnings
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from itertools import chain, repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import igraph
import numpy as np
import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from policykg.graph.forked import Forked
from policykg.graph.labels import shorten
from policykg.visualize.document_parts import BuiltDocuments, EdgeRows
from policykg.visualize.layout import grouped_layout, seeded_igraph

if TYPE_CHECKING:
    import networkx as nx

ASSETS_DIR = Path(__file__).parent / "assets"
TEMPLATES_DIR = Path(__file__).parent / "templates"
ASSET_FILES = ("vis-network.min.js", "vis-network.min.css", "policykg-views.js", "policykg-views.css",
               "policykg-index.js")
# Above this many nodes the whole network is aggregated (units and documents by jurisdiction).
DEFAULT_MAX_NODES = 6000
# Views with more nodes than this hide edges while dragging/zooming, to stay responsive.
BIG_VIEW = 1500
# Colours of the largest communities; the others are drawn grey.
COMMUNITY_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                     "#bcbd22", "#3949ab", "#00897b", "#c2185b", "#6d4c41", "#7cb342", "#f4511e", "#5e35b1")
OTHER_COLOUR = "#9e9e9e"
PAGES = ("network", "cooperation", "document", "unit")

RESPONSIBILITY_TYPES = ("LEADS", "PARTICIPATES_IN")
ROLE_LETTER = {"LEADS": "L", "PARTICIPATES_IN": "P"}
_CLAUSE_BREAK = re.compile(r"[，。；：,;:（(、！!？?]")


class UnknownUnitError(ValueError):
    """A view was asked for a unit that is not in the graph; the message lists the closest names."""


@lru_cache(maxsize=1)
def styles() -> dict[str, dict[str, dict[str, Any]]]:
    """Colour, shape and legend text per node kind and per relationship type."""
    with open(TEMPLATES_DIR / "styles.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def _json(value: Any) -> str:
    return _encode(value).decode("utf-8")


def _script_json(value: Any) -> Markup:
    """JSON safe inside a <script> element: no '</' can close it."""
    return Markup(_json(value).replace("</", "<\\/").replace("<!--", "<\\!--"))


def _short(text: str, limit: int) -> str:
    """At most `limit` characters, cut in the middle: a plan's period and status at the end stay."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else shorten(text, limit, len)


def short_title(title: str, limit: int = 12) -> str:
    """A task's label: its title up to the first clause break (when that leaves a phrase), cut to
    `limit` characters. The path, which repeats across plans, goes into the tooltip."""
    title = " ".join(str(title).split())
    head = _CLAUSE_BREAK.split(title, 1)[0].strip()
    if len(head) >= 4:
        title = head
    return _short(title, limit)


def _slug(text: str, taken: set[str]) -> str:
    """A file name that is safe on any file system (letters of any script, digits, - _ .)."""
    base = re.sub(r"[^\w.-]+", "_", text).strip("._")[:80] or "view"
    slug, n = base, 1
    while slug.lower() in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug.lower())
    return slug


def unit_href(unit: str) -> str:
    return "unit.html#unit=" + quote(unit, safe="")


def document_href(doc: str) -> str:
    return "document.html#doc=" + quote(doc, safe="")


GraphElement = tuple[str, dict[str, Any]]  # ("graph" | "node" | "edge", attributes as in graph.json)


def graph_elements(graph: nx.MultiDiGraph) -> Iterator[GraphElement]:
    """A networkx graph as the element stream of graph.json (policykg.graph.export.iter_graph_elements):
    ("graph", attrs), then ("node", {..., "id"}) for every node, then ("edge", {..., "from", "to",
    "key"}) for every edge, in the graph's order."""
    yield "graph", dict(graph.graph)
    for node, data in graph.nodes(data=True):
        yield "node", {**data, "id": node}
    for source, target, key, data in graph.edges(keys=True, data=True):
        yield "edge", {**data, "from": source, "to": target, "key": key}


_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _encode(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, the same bytes json.dumps(ensure_ascii=False) gives: orjson,
    several times faster; json for what orjson refuses (a lone surrogate, an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _JSON_ENCODE(value).encode("utf-8", "replace")  # as graph.json: a lone surrogate is "?"


def _names(data: dict[str, Any], node: str) -> list[str]:
    """Every name a node can be searched by but its id: name, title, path, aliases, original title."""
    found: list[str] = []
    for value in (data.get("name"), data.get("title"), data.get("path"), *(data.get("aliases") or []),
                  data.get("titleOriginal")):
        if value and str(value) not in found and str(value) != node:
            found.append(str(value))
    return found


def _period(data: dict[str, Any]) -> str:
    return "–".join(str(data[k]) for k in ("periodStart", "periodEnd") if data.get(k))


def _tip_head(data: dict[str, Any], kind: str, display: str) -> str:
    """The lines of a node's hover text that depend on the node alone (the rest, its documents
    and units, are added once every edge has been read)."""
    if kind == "Task":
        lines = [_short(str(data.get("title") or data.get("name") or data["id"]), 120),
                 f"任务 Task {data.get('path', '')}"]
        deadline = data.get("deadlineText") or data.get("deadline")
        if deadline:
            lines.append(f"期限 deadline: {deadline}")
        if data.get("text"):
            lines.append(f"原文 {_short(data['text'], 400)}")
        if data.get("quote"):
            lines.append(f"“{_short(data['quote'], 300)}”")
    elif kind == "Document":
        lines = [display, " · ".join(str(x) for x in (data.get("issuer"), data.get("jurisdiction"), _period(data),
                                                      data.get("status"), data.get("file")) if x)]
    else:
        lines = [f"{display} ({kind})"]
        aliases = [a for a in data.get("aliases") or [] if a != data.get("name")]
        if aliases:
            lines.append("别名 also written: " + _short("、".join(map(str, aliases)), 200))
        extra = [str(data[k]) for k in ("subtype", "jurisdiction", "unit") if data.get(k)]
        if extra:
            lines.append(" · ".join(extra))
    return "\n".join(lines)


def task_record(data: dict[str, Any], node: str) -> list[Any]:
    """What the views keep of a task node (`data`, its id `node`), as GraphIndex.add_task takes
    it: made of the node alone (a task is one document's), so that the build's extraction worker
    can make it (visualize/document_parts.py)."""
    labels = data.get("labels") or ["Task"]
    display = str(data.get("name") or data.get("title") or node)
    shas = data.get("docs") or [data.get("docSha256")]
    return [node, "Entity" in labels, "Unit" in labels, str(data.get("name", "")), display, _names(data, node),
            _node_label(data, "Task", display), _tip_head(data, "Task", display),
            str(data["jurisdiction"]) if data.get("jurisdiction") else None,
            [str(a) for a in data["aliases"]] if data.get("aliases") else None,
            [str(data.get("path") or ""), str(data.get("title") or data.get("name") or ""),
             str(data["deadline"]) if data.get("deadline") else "", data.get("start"),
             short_title(data.get("title") or display, 10)],
            data.get("docId"), data.get("docSha256"), [s if type(s) is str else str(s) for s in shas]]


def _node_label(data: dict[str, Any], kind: str, display: str) -> str:
    if kind == "Task":
        return short_title(data.get("title") or data.get("name") or data.get("path") or data["id"])
    if kind == "Document":
        return _short(display, 18)
    return _short(display, 14)


def _loads(text: bytes) -> Any:
    """One element of graph.json: orjson, and json for what orjson refuses (NaN, integers beyond
    64 bits), which also reports a genuine error."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _all_str(values: list[Any]) -> bool:
    """Whether every value is a str (as graph.json's values of a field are, but for odd input)."""
    return all(map(str.__instancecheck__, values)) if values else True


def _element_lists(fh: IO[bytes]) -> Iterator[list[Any]]:
    """The elements of one list of graph.json (one element a line, as the build writes it) from
    fh's position on, parsed 256 kB at a time: one orjson call for several hundred lines,
    whose commas are those of a JSON list. fh is left after the line that ends the list."""
    at, rest = fh.tell(), b""
    while True:
        read = fh.read(1 << 18)
        block, rest = rest + read, b""
        end = _list_end(block)  # where the line that ends the list starts (-1: not in this block)
        if end < 0 and read:  # the whole lines of the block
            cut = block.rfind(b"\n") + 1
            block, rest = block[:cut], block[cut:]
            if block:
                yield _parsed_lines(block)
            at += cut
            continue
        if end < 0:
            end = len(block)  # the file ends inside the list: what is there (an error, if cut in a line)
        if end:
            yield _parsed_lines(block[:end])
        fh.seek(at + end)
        fh.readline()
        return


def _list_end(block: bytes) -> int:
    """Where the line that ends a list of graph.json starts in `block` (whole lines), -1 if not
    in it: the first "]" at the start of a line (one search for a newline followed by "]": the
    nodes' lines have lists, whose "]" are never there)."""
    if block[:1] == b"]":
        return 0
    at = block.find(b"\n]")
    return at + 1 if at >= 0 else -1


def _parsed_lines(block: bytes) -> list[Any]:
    """The elements of whole `element,` lines; line by line (_loads) where orjson refuses the
    block (NaN, an integer beyond 64 bits), which also reports a genuine error."""
    body = block.rstrip(b"\n")
    try:
        return orjson.loads(b"[" + (body[:-1] if body.endswith(b",") else body) + b"]")
    except orjson.JSONDecodeError:
        return [_loads(line[:-1] if line.endswith(b",") else line) for line in block.split(b"\n") if line]


def _edge_lists(path: Path, offset: int) -> Iterator[list[Any]]:
    """The edges of graph.json from byte `offset` (the first edge line) on, many at a time."""
    with path.open("rb") as fh:
        fh.seek(offset)
        yield from _element_lists(fh)


def _built_node_items(fh: IO[bytes], documents: BuiltDocuments) -> Iterator[list[Any]]:
    """The nodes of a build's graph.json from fh's position on (as _element_lists), each a
    parsed node or, for a task whose document's part has its record (views.task_record), that
    record: its line is not parsed (a task's line is long, and its record is most of the views'
    work on nodes). A record is taken only for a line that starts with its node's id."""
    records = documents.lines()
    at, rest = fh.tell(), b""
    while True:
        read = fh.read(1 << 18)
        block, rest = rest + read, b""
        cut = block.rfind(b"\n") + 1 if read else len(block)
        block, rest = block[:cut], block[cut:]
        at += cut
        lines = block.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        end = next((i for i, line in enumerate(lines) if line.startswith(b"]")), -1)
        if end >= 0:
            at -= len(b"\n".join(lines[end:])) + 1
            del lines[end:]
        items: list[Any] = []
        parsed: list[int] = []
        for line in lines:
            if line.endswith(b","):
                line = line[:-1]
            record = next(records)
            # (an id that JSON escapes is not found as it is: its line is read)
            if record is not None and line.startswith(b'{"id":"' + record[0].encode("utf-8", "surrogatepass") + b'",'):
                items.append(record)
            else:
                parsed.append(len(items))
                items.append(line)
        if parsed:
            nodes = _parsed_lines(b",\n".join([items[i] for i in parsed]))
            for i, node in zip(parsed, nodes, strict=True):
                items[i] = node
        if items:
            yield items
        if end >= 0 or not read:
            fh.seek(at)
            fh.readline()  # the line that ends the list
            return


_NODE_HEAD = re.compile(rb'\n\{"id":"([^"\\\n]*)","label":"([^"\\\n]*)"')
_DOCUMENT_LINE = re.compile(rb'\n(\{"id":"[^"\\\n]*","label":"Document"[^\n]*)')


class _EdgeReader:
    """A forked process that reads graph.json for a GraphIndex being made from it in this one:
    the nodes' positions (the head of each line only), then every edge, each line parsed once
    for its type and ends (handed over once all are read: edge_ends) and its row of data.js —
    the larger half of the work — into the spools `rows` and `strings` (strings_json). The two
    cores the build has are both busy, and the bytes written are those of a single process."""

    def __init__(self, path: Path, nodes_at: int, complete: Callable[[], None] | None = None,
                 documents: BuiltDocuments | None = None) -> None:
        self.rows = tempfile.TemporaryFile()  # noqa: SIM115 (closed by GraphIndex.close)
        self._ends = tempfile.TemporaryFile()  # noqa: SIM115
        self._strings = tempfile.TemporaryFile()  # noqa: SIM115
        ready, self._ready = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():  # (Python 3.12 warns of a fork beside threads: the child runs none)
            warnings.simplefilter("ignore", DeprecationWarning)
            self.pid: int | None = os.fork()
        if self.pid == 0:  # the child: its work, then out without any of the parent's exit code
            code = 1
            try:
                os.close(ready)
                self._read(path, nodes_at, complete, documents)
                code = 0
            finally:
                os._exit(code)
        os.close(self._ready)
        self._ready = ready

    @classmethod
    def start(cls, path: Path, nodes_at: int, complete: Callable[[], None] | None = None,
              documents: BuiltDocuments | None = None) -> _EdgeReader | None:
        """A reader of graph.json whose nodes start at byte `nodes_at` (its edges read once
        `complete()` returns; with `documents`, the documents' edges from their parts at once,
        and only the corpus's own edges after them from graph.json); None where the system
        cannot fork (the index then reads everything itself)."""
        if not hasattr(os, "fork"):
            return None
        try:
            return cls(path, nodes_at, complete, documents)
        except OSError:  # no process to be had (a limit): the index reads everything itself
            return None

    def _read(self, path: Path, nodes_at: int, complete: Callable[[], None] | None,
              documents: BuiltDocuments | None) -> None:
        index = GraphIndex(())
        index.relations = False  # (this process makes none of the views' structure)
        index.edge_rows.close()
        index.edge_rows = self.rows
        edges_at = index._read_node_lines(path, nodes_at)
        index._order_documents()
        index._position_of_written_ids()
        if documents is not None:
            # the documents' edges from their parts, while the build is still writing them; then
            # the corpus's own edges (plan families, citations) from graph.json, once complete
            index._add_document_parts(documents)
            if complete is not None:
                complete()
            if documents.tail:
                index._read_edge_lists(_edge_lists(path, edges_at + sum(file[2] for file in documents.files)))
            if index.edge_count != documents.edges:
                raise ValueError(f"{path}: {index.edge_count} edges made of {documents.edges}")
        else:
            if complete is not None:
                complete()  # (the edges may still be being written)
            # one pass over the edges: each line parsed once for its ends and its row of data.js
            index._read_edge_lists(_edge_lists(path, edges_at))
        self.rows.flush()
        self._ends.write(_encode(index.type_names) + b"\n" + index.edge_ends.tobytes())
        self._ends.flush()
        self._strings.write(_encode(index.strings))
        self._strings.flush()
        os.write(self._ready, b"1")
        os.close(self._ready)

    def edge_ends(self) -> tuple[list[str], np.ndarray] | None:
        """The edges' type names (in the order of their numbers) and rows (source, target, type
        number), once read; None if the reader failed."""
        signal_byte = os.read(self._ready, 1)
        os.close(self._ready)
        if signal_byte != b"1":
            return None
        self._ends.seek(0)
        names = orjson.loads(self._ends.readline())
        ends = np.frombuffer(self._ends.read(), dtype=np.dtype("l")).reshape(-1, 3)
        self._ends.close()
        return names, ends

    def strings_json(self) -> bytes | None:
        """The strings of the rows (JSON), once the reader is done; None if it failed."""
        assert self.pid is not None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            self._strings.close()
            return None
        self._strings.seek(0)
        strings = self._strings.read()
        self._strings.close()
        return strings

    def stop(self) -> None:
        """The reader stopped and its spools closed (after an error in this process)."""
        if self.pid is not None:
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = None
        for spool in (self._ends, self._strings, self.rows):
            spool.close()


class GraphIndex:
    """One linear pass over the element stream of a graph (nodes first, then edges): what every
    view needs, kept compact — per node its kind, names, label, documents and the node-local part
    of its tooltip; per edge its ends (node positions) and type in arrays, and the edge as the
    page draws it, encoded at once into a spool file — so the graph itself is never held."""

    def __init__(self, elements: Iterable[GraphElement]) -> None:
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.kind: dict[str, str] = {}
        self.units: list[str] = []
        self.documents: list[str] = []
        self.entities = 0
        self.names_of: list[list[str]] = []
        self.display: list[str] = []
        self.labels: list[str] = []
        self.tip_heads: list[str] = []
        self.jurisdiction_of: dict[int, str] = {}
        self.aliases_of: dict[int, list[str]] = {}
        self.task_facts: dict[int, tuple[str, str, str, Any, str]] = {}  # path, title, deadline, start, short title
        self.doc_facts: dict[str, dict[str, Any]] = {}
        self._node_shas: dict[int, list[int]] = {}  # node -> interned sha numbers of its documents
        self._task_doc_hint: dict[int, tuple[Any, int | None]] = {}  # task -> (docId, docSha256 number)
        self._sha_number: dict[str, int] = {}
        self._unit_sort_names: dict[str, str] = {}
        self.tasks_of_unit: dict[str, list[tuple[str, str]]] = defaultdict(list)  # unit -> (task, type)
        self.units_of_task: dict[str, dict[str, str]] = defaultdict(dict)  # task -> unit -> L/P
        self.doc_of_task: dict[str, str] = {}
        self.type_names: list[str] = []
        self._type_index: dict[Any, int] = {}  # edge type (as written) -> its number
        self._short_keys: list[dict[Any, str | int]] = []  # per type: key in graph.json -> in data.js
        self.type_numbers: dict[str, int] = {}  # edge type name -> its number in type_names
        self._type_counts: list[int] = []
        self._rows: list[list[Any]] = []
        self._rows_written = False
        self.strings: list[str] = [""]  # the edges' written forms and quotes, each once ("" is 0)
        self._string_number: dict[str, int] = {"": 0}
        # Every edge once: its ends and type index (node positions; iterated by every later step).
        self.edge_ends = array("l")  # source, target, type number: three per edge
        # The edges as data.js holds them, encoded as they arrive, comma-separated.
        self.edge_rows = tempfile.TemporaryFile()  # noqa: SIM115 (closed by write_views)
        self._documents_ready = False
        self.edge_count = 0
        self.relations = True  # the edges' responsibilities kept (_add_edge_ends)
        self._ids_as_written: list[bytes] = []  # (_read_node_lines: ids as graph.json writes them)
        self._reader: _EdgeReader | None = None  # the process making the edges' rows (of_graph_json)
        self._rows_source: tuple[Path, int] | None = None
        self._docs_cache: dict[int, list[int]] = {}  # node position -> node_docs
        stream = iter(elements)
        for element, item in stream:
            if element == "node":
                self._add_node(item)
            elif element == "nodes":  # many at once (GraphIndex.of_graph_json)
                for node in item:
                    self._add_node(node)
            elif element == "node items":  # nodes, and task records made by the build (_built_node_items)
                add_node, add_task = self._add_node, self.add_task
                for node in item:
                    if type(node) is list:
                        add_task(node)
                    else:
                        add_node(node)
            elif element == "edge":
                self._order_documents()
                self._read_edges(chain((("edge", item),), stream))
            elif element == "edge lines":  # graph.json's edges, unparsed (GraphIndex.of_graph_json)
                self._order_documents()
                self._read_edge_lines(*item)
        if not self._documents_ready:
            self._order_documents()
        self._flush_rows()
        self.edge_types = Counter(dict(zip(self.type_names, self._type_counts)))
        for i, (doc_id, sha) in self._task_doc_hint.items():
            node = self.ids[i]
            if node not in self.doc_of_task:
                doc = doc_id if doc_id in self.doc_index else self._doc_of_sha_number.get(sha)
                if doc is not None:
                    self.doc_of_task[node] = doc
        self.unit_set = frozenset(self.units)
        # (a node's documents found before its edges were read, where they decide them after all)
        kind, position, cache = self.kind, self.position, self._docs_cache
        for node in [node for node in self.doc_of_task if kind[node] != "Task"]:
            cache.pop(position[node], None)

    def _sha(self, sha: Any) -> int:
        return self._sha_number.setdefault(sha if type(sha) is str else str(sha), len(self._sha_number))

    def _add_node(self, data: dict[str, Any]) -> None:
        node = str(data["id"]) if not isinstance(data["id"], str) else data["id"]
        kind = str(data.get("label") or "_other")
        if kind == "Task":
            self.add_task(task_record(data, node))
            return
        i = len(self.ids)
        self.ids.append(node)
        self.position[node] = i
        self.kind[node] = kind
        labels = data.get("labels") or [kind]
        self.entities += "Entity" in labels
        if "Unit" in labels:
            self.units.append(node)
            self._unit_sort_names[node] = str(data.get("name", ""))
        display = str(data.get("name") or data.get("title") or node)
        self.display.append(display)
        self.names_of.append(_names(data, node))
        self.labels.append(_node_label(data, kind, display))
        self.tip_heads.append(_tip_head(data, kind, display))
        if data.get("jurisdiction"):
            self.jurisdiction_of[i] = str(data["jurisdiction"])
        if data.get("aliases"):
            self.aliases_of[i] = [str(a) for a in data["aliases"]]
        if kind == "Document":
            self.documents.append(node)
            self.doc_facts[node] = {"sort": str(data.get("name", "")),
                                    "sha": data.get("sha256") or data.get("docSha256"),
                                    "jurisdiction": data.get("jurisdiction", ""), "file": str(data.get("file") or ""),
                                    "period": _period(data),
                                    "current": str(data.get("current", True)).lower() not in ("false", "0")}
            return
        shas = data.get("docs") or [data.get("docSha256")]
        sha_number = self._sha_number
        self._node_shas[i] = [sha_number.setdefault(s if type(s) is str else str(s), len(sha_number)) for s in shas]

    def add_task(self, record: list[Any]) -> None:
        """A task node as task_record made it (here, or in the build's extraction worker)."""
        (node, entity, unit, sort_name, display, names, label, tip_head, jurisdiction, aliases, facts, doc_id, doc_sha,
         shas) = record
        i = len(self.ids)
        self.ids.append(node)
        self.position[node] = i
        self.kind[node] = "Task"
        self.entities += entity
        if unit:
            self.units.append(node)
            self._unit_sort_names[node] = sort_name
        self.display.append(display)
        self.names_of.append(names)
        self.labels.append(label)
        self.tip_heads.append(tip_head)
        if jurisdiction is not None:
            self.jurisdiction_of[i] = jurisdiction
        if aliases is not None:
            self.aliases_of[i] = aliases
        self.task_facts[i] = tuple(facts)
        self._task_doc_hint[i] = (doc_id, self._sha(doc_sha))
        sha_number = self._sha_number
        self._node_shas[i] = [sha_number.setdefault(s, len(sha_number)) for s in shas]

    def _order_documents(self) -> None:
        """Documents sorted by name; once every node has been read (before the first edge)."""
        self._documents_ready = True
        self.documents.sort(key=lambda d: (self.doc_facts[d]["sort"], d))
        self.units.sort(key=lambda u: (self._unit_sort_names[u], u))
        self.doc_index = {doc: i for i, doc in enumerate(self.documents)}
        self.doc_of_sha: dict[str, str] = {}
        for doc in self.documents:
            sha = self.doc_facts[doc]["sha"]
            if sha:
                self.doc_of_sha[str(sha)] = doc
        self._doc_of_sha_number = {self._sha_number[s]: d for s, d in self.doc_of_sha.items() if s in self._sha_number}
        self._doc_number_of_sha = {s: self.doc_index[d] for s, d in self.doc_of_sha.items()}

    def _read_edges(self, stream: Iterable[GraphElement]) -> None:
        """Every edge of an element stream, once every node has been read, ten thousand at a time
        (_read_edge_lists)."""
        chunk: list[dict[str, Any]] = []
        for element, data in stream:
            if element != "edge":
                raise ValueError(f"a {element} after the edges")
            chunk.append(data)
            if len(chunk) == 10_000:
                self._read_edge_lists((chunk,))
                chunk = []
        self._read_edge_lists((chunk,))

    def _read_edge_lists(self, lists: Iterable[list[dict[str, Any]]]) -> None:
        """Edges, many at a time, once every node has been read: their ends and relations
        (_add_edges), then their rows of data.js (_add_edge_rows)."""
        position = self.position
        for edges in lists:
            if not edges:
                continue
            numbers = self._add_edges([data.get("type") for data in edges],
                                      list(map(position.__getitem__, [data["from"] for data in edges])),
                                      list(map(position.__getitem__, [data["to"] for data in edges])))
            self._add_edge_rows(edges, numbers, self.edge_count - len(edges))

    def _add_document_parts(self, documents: BuiltDocuments) -> None:
        """The documents' edges, from their parts (visualize/document_parts.py), in graph.json's order:
        their ends and rows renumbered, many documents at a time."""
        rows = EdgeRows(self)
        sources: list[int] = []
        targets: list[int] = []
        numbers: list[int] = []
        for fragment, nodes_size, edges_size, count, _, _ in documents.files:
            part = documents.edge_part(fragment, nodes_size, edges_size)
            if part["edges"] != count:
                raise ValueError(f"{fragment}: {part['edges']} edges in its views part, {count} in its summary")
            more = rows.add(part)
            sources += more[0]
            targets += more[1]
            numbers += more[2]
            self._rows += more[3]
            if len(sources) >= 16384:
                self._add_document_ends(sources, targets, numbers)
        self._add_document_ends(sources, targets, numbers)

    def _add_document_ends(self, sources: list[int], targets: list[int], numbers: list[int]) -> None:
        ends = np.empty((len(sources), 3), dtype=np.dtype("l"))
        ends[:, 0], ends[:, 1], ends[:, 2] = sources, targets, numbers
        self._add_edge_ends(ends)
        self._flush_rows()
        sources.clear()
        targets.clear()
        numbers.clear()

    def _add_edges(self, rels: list[Any], sources: list[int], targets: list[int]) -> list[int]:
        """Edges as their types (as written) and source and target positions: their ends, type
        counts and the responsibilities (_add_edge_ends); returns their type numbers."""
        type_index = self._type_index
        for rel in dict.fromkeys(rels):  # new types numbered in the order they first occur
            if rel not in type_index:
                self._new_type(rel)
        numbers = [type_index[rel] for rel in rels]
        ends = np.empty((len(rels), 3), dtype=np.dtype("l"))
        ends[:, 0], ends[:, 1], ends[:, 2] = sources, targets, numbers
        self._add_edge_ends(ends)
        return numbers

    def _add_edge_ends(self, ends: np.ndarray) -> None:
        """Edges as rows (source, target, type number): their ends, type counts, and the
        responsibilities: tasks of a unit, units of a task, document of a task."""
        for number, n in enumerate(np.bincount(ends[:, 2], minlength=len(self.type_names)).tolist()):
            self._type_counts[number] += n
        self.edge_ends.frombytes(ends.tobytes())
        self.edge_count = len(self.edge_ends) // 3
        if not self.relations:
            return
        ids, kind, names = self.ids, self.kind, self.type_names
        tasks_of_unit, units_of_task, doc_of_task = self.tasks_of_unit, self.units_of_task, self.doc_of_task
        role_letter = ROLE_LETTER
        linking = [self.type_numbers[rel] for rel in (*RESPONSIBILITY_TYPES, "PART_OF") if rel in self.type_numbers]
        for s, t, number in ends[np.isin(ends[:, 2], linking)].tolist():
            rel, source, target = names[number], ids[s], ids[t]
            letter = role_letter.get(rel)
            if letter is not None:
                tasks_of_unit[source].append((target, rel))
                roles = units_of_task[target]
                if roles.get(source) != "L":
                    roles[source] = letter
            elif kind.get(target) == "Document":
                doc_of_task[source] = target

    def _add_edge_rows(self, edges: list[dict[str, Any]], numbers: list[int], first: int) -> None:
        """The edges as the page draws them (`numbers`: their type numbers; `first`: the number
        of the first, whose ends are in edge_ends), encoded into the
        spool (edge_rows), their written forms and quotes into `strings`: the hot part of the
        views (hundreds of thousands of edges), so made a field at a time over many edges (list
        comprehensions and map, few steps per edge). A row: ends, type, document, key, then the
        raw fields of its tooltip (written, quote, task path, target value), trailing empty ones
        left out. written and quote repeat (a unit's name, a clause naming several units):
        numbers into one table of strings, numbered in the order they first occur (an edge's
        written before its quote); a key "TYPE:n" is written as n (the keys of a type,
        remembered: they repeat too)."""
        ends = np.frombuffer(self.edge_ends, dtype=np.dtype("l"))[3 * first:3 * (first + len(edges))].reshape(-1, 3)
        sources, targets = ends[:, 0].tolist(), ends[:, 1].tolist()
        short_keys = self._short_keys
        raw_keys = [data.get("key") for data in edges]
        keys = list(map(dict.get, map(short_keys.__getitem__, numbers), raw_keys))
        if None in keys:
            for at in [at for at, key in enumerate(keys) if key is None]:
                found = short_keys[numbers[at]]
                key = found.get(raw_keys[at])
                if key is None:
                    key = found[raw_keys[at]] = self._short_key(raw_keys[at], numbers[at])
                keys[at] = key
        shas = [data.get("docSha256") for data in edges]
        if not _all_str(shas):
            shas = [sha if type(sha) is str else str(sha) for sha in shas]
        docs = list(map(self._doc_number_of_sha.get, shas, repeat(-1)))
        written = [data.get("written") or "" for data in edges]
        if not _all_str(written):
            written = [text if type(text) is str else str(text) for text in written]
        quotes = [data.get("quote") or "" for data in edges]
        if not _all_str(quotes):
            quotes = [text if type(text) is str else str(text) for text in quotes]
        # (slicing a string of 200 characters or fewer gives the string itself: no copy)
        texts = list(chain.from_iterable(zip(written, [text[:200] for text in quotes])))
        string_number = self._string_number
        text_numbers = list(map(string_number.get, texts))
        if None in text_numbers:
            strings = self.strings
            for at in [at for at, number in enumerate(text_numbers) if number is None]:
                text = texts[at]
                number = string_number.get(text)
                if number is None:
                    number = string_number[text] = len(strings)
                    strings.append(text)
                text_numbers[at] = number
        paths = [data.get("taskPath") or "" for data in edges]
        if not _all_str(paths):
            paths = [path if type(path) is str else str(path) for path in paths]
        targets_number = self.type_numbers.get("TARGETS", -1)
        rows = self._rows
        for data, s, t, number, doc, key, w, q, path in zip(edges, sources, targets, numbers, docs, keys,
                                                           text_numbers[0::2], text_numbers[1::2], paths):
            if number == targets_number:
                row = [s, t, number, doc, key, w, q, path, _target_value(data)]
                while len(row) > 5 and not row[-1]:
                    row.pop()
                rows.append(row)
            elif path:
                rows.append((s, t, number, doc, key, w, q, path))
            elif q:
                rows.append((s, t, number, doc, key, w, q))
            elif w:
                rows.append((s, t, number, doc, key, w))
            else:
                rows.append((s, t, number, doc, key))
        self._flush_rows()

    @classmethod
    def of_graph_json(cls, path: Path, complete: Callable[[], None] | None = None,
                      documents: BuiltDocuments | None = None) -> GraphIndex:
        """The index of a graph.json, its edges read by a second process at once where the
        system can fork (_EdgeReader). A graph.json in another layout than the one element a
        line the build writes is read as a stream of elements. `complete`: where the file is
        still being written (its nodes are there, see CorpusWriter.close), a function that
        returns once it is complete: its edges are read only then. `documents`: where the
        documents' edges come from (a build's fragments and their views parts)."""
        with path.open("rb") as fh:
            head = fh.readline()
            if not head.endswith(b'"nodes":[\n') or b'"graph":' not in head:
                from policykg.graph.export import iter_graph_elements

                if complete is not None:
                    complete()
                return cls(iter_graph_elements(path))
            json.loads(head[head.index(b'"graph":') + 8:-len(b',"nodes":[\n')])  # a broken head says so
            reader = _EdgeReader.start(path, fh.tell(), complete, documents)
            try:
                def nodes_then_edge_lines() -> Iterator[tuple[str, Any]]:
                    if documents is not None:
                        for items in _built_node_items(fh, documents):
                            yield "node items", items
                    else:
                        for nodes in _element_lists(fh):
                            yield "nodes", nodes
                    if complete is not None:
                        complete()
                    yield "edge lines", (path, fh.tell(), reader)  # the edges follow from here

                index = cls(nodes_then_edge_lines())
            except BaseException:
                if reader is not None:
                    reader.stop()
                raise
        if reader is not None and index._reader is not reader:
            reader.stop()  # not needed after all (no edges list)
        return index

    def _read_edge_lines(self, path: Path, offset: int, reader: _EdgeReader | None) -> None:
        """graph.json's edges from byte `offset` on: their ends and types from the reader (which
        has made their rows of data.js too), else read here."""
        if reader is not None:  # while the reader ends its work: what this process can do before the edges
            self._documents_of_nodes()
        ends = reader.edge_ends() if reader is not None else None
        if ends is None:
            if reader is not None:
                reader.stop()
            self._read_edge_lists(_edge_lists(path, offset))
            return
        self._reader, self._rows_source = reader, (path, offset)
        self.edge_rows.close()
        self.edge_rows = reader.rows
        names, rows = ends
        for name in names:
            self._new_type(name)
        self._add_edge_ends(rows)

    def _documents_of_nodes(self) -> None:
        """node_docs of every node but tasks (whose documents their edges decide), once every
        node has been read: by their own documents (made here while this process waits for the
        edge reader; the few a PART_OF edge decides after all are made again: see __init__)."""
        cache, kind, node_docs = self._docs_cache, self.kind, self._node_docs
        for i, node in enumerate(self.ids):
            if kind[node] != "Task":
                cache[i] = node_docs(node, i)

    def _read_node_lines(self, path: Path, offset: int) -> int:
        """What the edges' rows need of graph.json's nodes from byte `offset` on (the nodes'
        positions, the documents' names and sha256), reading only the head of most lines;
        returns where the edges start."""
        ids = self._ids_as_written
        with path.open("rb") as fh:
            fh.seek(offset)
            at, rest = offset, b""
            while True:
                read = fh.read(1 << 22)
                block, rest = rest + read, b""
                end = _list_end(block)
                done = end >= 0 or not read
                if done:
                    block = block[:end] if end >= 0 else b""
                else:
                    cut = block.rfind(b"\n") + 1
                    block, rest = block[:cut], block[cut:]
                heads = _NODE_HEAD.findall(b"\n" + block)
                if len(heads) == block.count(b"\n"):  # one on every line: its id as written
                    at_document = [i for i, (_, kind) in enumerate(heads, len(ids)) if kind == b"Document"]
                    ids.extend([node for node, _ in heads])
                    for i, line in zip(at_document, _DOCUMENT_LINE.findall(b"\n" + block), strict=True):
                        self._add_document(ids[i].decode("utf-8"), _loads(line.rstrip(b",")))
                else:
                    for line in block.splitlines():
                        if line:
                            data = _loads(line[:-1] if line.endswith(b",") else line)
                            node = str(data["id"])
                            ids.append(_encode(node)[1:-1])
                            if data.get("label") == "Document":
                                self._add_document(node, data)
                if done:
                    fh.seek(at + len(block))
                    fh.readline()  # '],"edges":['
                    return fh.tell()
                at += len(block)

    def _add_document(self, node: str, document: dict[str, Any]) -> None:
        """A document as far as the edges' rows need it (_read_node_lines)."""
        self.documents.append(node)
        self.doc_facts[node] = {"sort": str(document.get("name", "")),
                                "sha": document.get("sha256") or document.get("docSha256")}

    def _position_of_written_ids(self) -> None:
        """The nodes' positions by id, from the ids as _read_node_lines found them written."""
        self.position = {(raw.decode("utf-8") if b"\\" not in raw else orjson.loads(b'"' + raw + b'"')): i
                         for i, raw in enumerate(self._ids_as_written)}

    def _rows_of_lines(self, path: Path, offset: int) -> None:
        """The rows of graph.json's edges from byte `offset` on, whose ends are read."""
        numbers = np.frombuffer(self.edge_ends, dtype=np.dtype("l"))[2::3]
        at = 0
        for edges in _edge_lists(path, offset):
            if at + len(edges) > len(numbers):
                break
            self._add_edge_rows(edges, numbers[at:at + len(edges)].tolist(), at)
            at += len(edges)
        if at != len(numbers):
            raise ValueError(f"{path}: {at} edges, {len(numbers)} before")

    def edge_data(self) -> tuple[IO[bytes], bytes]:
        """The spool of the edges' rows (at its start) and the strings they number, as JSON: the
        reader's, once it is done (made here again if it failed, so that the error, if there is
        one, is raised here)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            strings = reader.strings_json()
            if strings is not None:
                self.edge_rows.seek(0)
                return self.edge_rows, strings
            self.edge_rows.seek(0)
            self.edge_rows.truncate()
            self._rows_of_lines(*self._rows_source)
        self.edge_rows.seek(0)
        return self.edge_rows, _encode(self.strings)

    def close(self) -> None:
        """The spools closed; a reader still at work (after an error here) stopped."""
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        self.edge_rows.close()

    def _new_type(self, rel: Any) -> int:
        name = str(rel)
        number = self.type_numbers.get(name)
        if number is None:
            number = self.type_numbers[name] = len(self.type_names)
            self.type_names.append(name)
            self._type_counts.append(0)
            self._short_keys.append({})
        self._type_index[rel] = number
        return number

    def _short_key(self, raw_key: Any, type_number: int) -> str | int:
        return _short_key_of(raw_key, self.type_names[type_number])

    def _flush_rows(self) -> None:
        """Encode the buffered edge rows (one encoder call for many rows) into the spool."""
        if self._rows:
            self.edge_rows.write((b"," if self._rows_written else b"") + _encode(self._rows)[1:-1])
            self._rows_written = True
            self._rows.clear()

    def edges(self) -> Iterator[tuple[str, str, str]]:
        """(source, target, type) of every edge, in the graph's order."""
        ids, names = self.ids, self.type_names
        ends = self.edge_ends
        for s, t, r in zip(ends[0::3], ends[1::3], ends[2::3]):
            yield ids[s], ids[t], names[r]

    # --- node facts -------------------------------------------------------------------------

    def node_docs(self, node: str) -> list[int]:
        """Indices (into self.documents) of the documents a node occurs in."""
        i = self.position[node]
        cached = self._docs_cache.get(i)
        if cached is None:
            cached = self._docs_cache[i] = self._node_docs(node, i)
        return cached

    def _node_docs(self, node: str, i: int) -> list[int]:
        if self.kind[node] == "Document":
            return [self.doc_index[node]]
        if node in self.doc_of_task:
            return [self.doc_index[self.doc_of_task[node]]]
        of_sha = self._doc_of_sha_number
        return sorted({self.doc_index[of_sha[s]] for s in self._node_shas.get(i, ()) if s in of_sha})

    def names(self, node: str) -> list[str]:
        """Every name a node can be searched by: name, aliases, id, and a task's path and title."""
        return [*self.names_of[self.position[node]], node]

    def display_name(self, node: str) -> str:
        return self.display[self.position[node]]

    def resolve_units(self, queries: Iterable[str]) -> list[str]:
        """Unit ids for names, aliases or ids; an unknown one raises UnknownUnitError."""
        by_name: dict[str, list[str]] = defaultdict(list)
        for unit in self.units:
            for name in self.names(unit):
                if unit not in by_name[name]:
                    by_name[name].append(unit)
        resolved: list[str] = []
        for query in queries:
            hits = by_name.get(query.strip())
            if not hits:
                raise UnknownUnitError(self._unknown_unit_message(query, by_name))
            resolved.extend(h for h in hits if h not in resolved)
        return resolved

    def _unknown_unit_message(self, query: str, by_name: dict[str, list[str]]) -> str:
        query = query.strip()
        if not self.units:
            return f"unknown unit '{query}': the graph has no units"
        scored: list[tuple[float, str, str]] = []
        for unit in self.units:
            best, best_name = 0.0, ""
            for name in self.names(unit):
                if name == unit:
                    continue  # ids are accepted but not suggested
                score = difflib.SequenceMatcher(None, query, name).ratio()
                if query and (query in name or name in query):
                    score = max(score, 0.6 + 0.4 * min(len(query), len(name)) / max(len(query), len(name)))
                if score > best:
                    best, best_name = score, name
            if best >= 0.3:
                scored.append((best, self.display_name(unit), best_name))
        scored.sort(key=lambda item: (-item[0], item[1]))
        if not scored:
            return f"unknown unit '{query}': no similar unit name among {len(self.units)} units"
        shown = [name if written == name else f"{name} (written {written})" for _, name, written in scored[:6]]
        return f"unknown unit '{query}'; closest names: " + ", ".join(shown)


def _node_tooltip(index: GraphIndex, node: str) -> tuple[str, str]:
    """The hover text of a node (its own lines, then its documents and units) and, for a task,
    its units apart: the page puts the line of the task's document between the two."""
    kind = index.kind[node]
    head = index.tip_heads[index.position[node]]
    if kind == "Document":
        return head, ""
    if kind == "Task":
        roles = index.units_of_task.get(node, {})
        if not roles:
            return head, ""
        lines = ["L: " + "、".join(index.display_name(u) for u, r in roles.items() if r == "L")]
        partners = [index.display_name(u) for u, r in roles.items() if r == "P"]
        if partners:
            lines.append("P: " + _short("、".join(partners), 200))
        return head, "\n".join(lines)
    lines = [head]
    roles_of = index.tasks_of_unit.get(node)
    if roles_of:
        led = sum(1 for _, r in roles_of if r == "LEADS")
        lines.append(f"牵头 L {led} · 参与 P {len(roles_of) - led}")
    doc_indices = index.node_docs(node)
    if doc_indices:
        doc_names = [index.display_name(index.documents[i]) for i in doc_indices[:4]]
        lines.append(f"{len(doc_indices)} document(s): " + _short("；".join(doc_names), 160))
    return "\n".join(lines), ""


def _short_key_of(raw_key: Any, type_name: str) -> str | int:
    """An edge's key as data.js holds it: "TYPE:n" of an edge of that type as the number n."""
    key = str(raw_key)
    prefix = type_name + ":"
    if key.startswith(prefix):
        suffix = key[len(prefix):]
        if suffix.isascii() and suffix.isdigit() and (len(suffix) == 1 or suffix[0] != "0"):
            return int(suffix)
    return key


def _target_value(data: dict[str, Any]) -> str:
    """A TARGETS edge's value as its tooltip says it: year, qualifier, value (or range), unit."""
    get = data.get
    value, most = get("value"), get("valueMax")
    if most is not None and most != "":
        value = f"{value}–{most}"
    return " ".join([str(x) for x in (get("year"), get("qualifier"), value, get("unit")) if x is not None and x != ""])


# --- structure: co-operation weights and communities ----------------------------------------------


class Structure:
    """The co-operation network (units linked by the tasks they share) and its communities
    (Louvain, igraph's), each named by its central unit; every node gets the community of the
    tasks it belongs to (a task: its lead unit's)."""

    def __init__(self, index: GraphIndex) -> None:
        self.task_count, self.pairs, self.pair_examples = _shared_tasks(index)
        found, strength = _louvain_communities([u for u in index.units if u in self.task_count], self.pairs)
        ranked = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
        self.community_of: dict[str, int] = {}
        self.communities: list[dict[str, Any]] = []
        for members in ranked:
            if len(members) < 2:
                continue  # a unit sharing no task with any other is no community
            number = len(self.communities)
            centre = max(members, key=lambda u: (strength.get(u, 0), self.task_count[u], u))
            colour = COMMUNITY_COLOURS[number] if number < len(COMMUNITY_COLOURS) else OTHER_COLOUR
            self.communities.append({"name": index.display_name(centre), "centre": centre, "units": len(members),
                                     "colour": colour})
            for unit in members:
                self.community_of[unit] = number
        # Tasks: the community of their lead (else first participant); documents and entities:
        # the most common community of their tasks.
        community_of = self.community_of
        for task, roles in index.units_of_task.items():
            ordered = sorted(roles, key=lambda u: (roles[u] != "L", u))
            community = next((community_of[u] for u in ordered if u in community_of), None)
            if community is not None:
                community_of[task] = community
        # Then, over every edge at once (numpy): a node of no community yet takes the most common
        # community of the tasks it is linked to by an edge other than a responsibility (documents,
        # entities); what no task reaches (named by a document only, a unit of no task), its
        # neighbours'. Ties go to the community met first in the graph's order of edges.
        ends = np.frombuffer(index.edge_ends, dtype=np.dtype("l")).reshape(-1, 3)
        source, target, rel = ends[:, 0], ends[:, 1], ends[:, 2]
        ids = index.ids
        community = np.full(len(ids), -1, dtype=np.int64)
        for node, number in community_of.items():
            community[index.position[node]] = number
        is_task = np.fromiter((index.kind[n] == "Task" for n in ids), dtype=bool, count=len(ids))
        is_unit = np.fromiter((n in index.unit_set for n in ids), dtype=bool, count=len(ids))
        responsibility = np.isin(rel, [number for name, number in index.type_numbers.items()
                                       if name in RESPONSIBILITY_TYPES])
        task_community = np.where(is_task, community, -1)
        votes = _most_common_per_node(
            (~responsibility & (task_community[source] >= 0) & ~is_unit[target], target, task_community[source]),
            (~responsibility & (task_community[target] >= 0) & ~is_unit[source], source, task_community[target]))
        for i, number in votes.items():
            if community[i] < 0:
                community_of[ids[i]] = community[i] = number
        late = _most_common_per_node(
            ((community[source] < 0) & (community[target] >= 0), source, community[target]),
            ((community[target] < 0) & (community[source] >= 0), target, community[source]))
        for i, number in late.items():
            community_of[ids[i]] = number


def _shared_tasks(index: GraphIndex) -> tuple[Counter[str], list[tuple[tuple[str, str], int]],
                                              dict[tuple[str, str], list[int]]]:
    """Tasks per unit; every pair of units that share tasks, ((a, b), how many) with a < b, in
    that order; and up to five of the tasks each pair shares (node positions, in the graph's
    order of tasks). The pairs of a task's units are made in numpy: a thousand plans have a
    hundred thousand of them."""
    units = sorted({u for roles in index.units_of_task.values() for u in roles})
    rank = {unit: r for r, unit in enumerate(units)}
    task_of: list[int] = []  # one row per (task, unit): the task's number, the unit's rank
    unit_of: list[int] = []
    task_positions: list[int] = []
    position = index.position
    for number, (task, roles) in enumerate(index.units_of_task.items()):
        task_positions.append(position[task])
        task_of.extend([number] * len(roles))
        unit_of.extend(rank[u] for u in roles)
    task_count = Counter(dict(zip(units, np.bincount(np.array(unit_of, dtype=np.int64),
                                                    minlength=len(units)).tolist(), strict=True)))
    rows = np.lexsort((np.array(unit_of, dtype=np.int64), np.array(task_of, dtype=np.int64)))
    member_task = np.array(task_of, dtype=np.int64)[rows]
    member = np.array(unit_of, dtype=np.int64)[rows]
    firsts, seconds, tasks = [], [], []
    for gap in range(1, len(member)):  # the rows of a task are adjacent, its units in order
        same = member_task[:-gap] == member_task[gap:]
        if not same.any():
            break
        firsts.append(member[:-gap][same])
        seconds.append(member[gap:][same])
        tasks.append(member_task[:-gap][same])
    if not firsts:
        return task_count, [], {}
    width = len(units)
    key = np.concatenate(firsts) * width + np.concatenate(seconds)
    task = np.concatenate(tasks)
    order = np.lexsort((task, key))  # by pair (a < b as names sort), then by the graph's order of tasks
    key, task = key[order], task[order]
    first_of_pair = np.r_[True, key[1:] != key[:-1]]
    starts = np.flatnonzero(first_of_pair)
    pair_number = np.cumsum(first_of_pair) - 1
    weights = np.diff(np.r_[starts, len(key)]).tolist()
    shown = np.arange(len(key)) - starts[pair_number] < 5
    example_tasks = np.array(task_positions, dtype=np.int64)[task[shown]].tolist()
    bounds = np.r_[0, np.cumsum(np.minimum(weights, 5))].tolist()
    pair_keys = key[starts]
    pairs = [(units[a], units[b]) for a, b in zip((pair_keys // width).tolist(), (pair_keys % width).tolist(),
                                                   strict=True)]
    examples = {pair: example_tasks[bounds[i]:bounds[i + 1]] for i, pair in enumerate(pairs)}
    return task_count, list(zip(pairs, weights, strict=True)), examples


def _louvain_communities(units: list[str], pairs: list[tuple[tuple[str, str], int]],
                         seed: int = 7) -> tuple[list[list[str]], dict[str, float]]:
    """Louvain communities of the co-operation network (units, weighted pairs) and each unit's
    strength (the sum of its pairs' weights). igraph's multilevel method, in C: networkx's took
    most of a second on a thousand plans, this a few milliseconds. Seeded (it visits the nodes
    in a random order): the same graph gives the same communities."""
    if not units:
        return [], {}
    number = {unit: i for i, unit in enumerate(units)}
    cooperation = igraph.Graph(n=len(units), edges=[(number[a], number[b]) for (a, b), _ in pairs])
    weights = [w for _, w in pairs]
    with seeded_igraph(seed):
        membership = cooperation.community_multilevel(weights=weights).membership
    found: dict[int, list[str]] = defaultdict(list)
    for unit, community in zip(units, membership, strict=True):
        found[community].append(unit)
    strength = dict(zip(units, cooperation.strength(weights=weights), strict=True))
    return list(found.values()), strength


def _most_common_per_node(*occurrences: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[int, int]:
    """Node -> its most common value, over (mask, node, value) arrays of one row per edge, the
    occurrences of an edge in the order given; a tie goes to the value that occurred first (as
    Counter.most_common(1) does)."""
    nodes = np.stack([np.where(mask, node, -1) for mask, node, _ in occurrences], axis=1).ravel()
    values = np.stack([value for _, _, value in occurrences], axis=1).ravel()
    kept = nodes >= 0
    nodes, values = nodes[kept], values[kept]
    if not len(nodes):
        return {}
    width = int(values.max()) + 1
    keys, first, counts = np.unique(nodes * width + values, return_index=True, return_counts=True)
    node_of, value_of = keys // width, keys % width
    order = np.lexsort((first, -counts, node_of))
    by_node = node_of[order]
    picked = order[np.r_[True, by_node[1:] != by_node[:-1]]]
    return dict(zip(node_of[picked].tolist(), value_of[picked].tolist(), strict=True))


# --- the shared data file -----------------------------------------------------------------------------


def _jurisdiction(index: GraphIndex, node: str) -> str:
    own = index.jurisdiction_of.get(index.position[node])
    if own:
        return own
    docs = index.node_docs(node)
    if docs:
        return str(index.doc_facts[index.documents[docs[0]]]["jurisdiction"] or "")
    return ""


def _current_docs(index: GraphIndex) -> set[int]:
    """Documents shown by default: the current edition of each plan family (identity's
    Document.current flag; every document when the graph has no such flag)."""
    return {i for i, doc in enumerate(index.documents) if index.doc_facts[doc]["current"]}


def _layout_block(node_ids: list[str], edges: list[tuple[str, str, float]], group_of: dict[str, Any],
                  group_names: dict[Any, str], spacing: float = 1.0) -> dict[str, Any]:
    positions, boxes = grouped_layout(node_ids, edges, group_of, spacing=spacing)
    return {
        "x": positions[:, 0].tolist(), "y": positions[:, 1].tolist(),
        "groups": [{"name": group_names[b.group], "key": b.group, "x": b.x, "y": b.y, "w": b.width,
                    "h": b.height, "size": b.size} for b in boxes if group_names.get(b.group)],
    }


def _edge_weight(rel: str) -> float:
    # A task is pulled to its document harder than to its units: the tasks of two editions that
    # share every unit still form two clusters around their two documents.
    return 3.0 if rel == "PART_OF" else 1.0


def write_shared_data(fh: IO[bytes], index: GraphIndex, structure: Structure, max_nodes: int, title: str,
                      with_layouts: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Write data.js: everything the pages draw from (nodes, edges, documents, communities and
    the layouts of the whole network and the co-operation network), one node at a time.
    `with_layouts` (the index page) is called, where the layouts are made, with what the index
    page shows of them (communities and the two layouts' sizes). The layouts are
    computed in a forked process (graph/forked.py) while this one writes the nodes and edges:
    they depend on the structure alone, and with the index page they are half of what is left
    once the graph has been read."""
    current = _current_docs(index)

    def layouts_then() -> tuple[bytes, bytes]:
        network, cooperation, sizes = _layouts(index, structure, current, max_nodes)
        if with_layouts is not None:
            with_layouts({"communities": structure.communities, **sizes})
        return network, cooperation

    layouts = Forked.start(layouts_then) if len(index.ids) >= LAYOUT_FORK_NODES else None
    try:
        _write_nodes_and_edges(fh, index, structure, current, title)
        network, cooperation = layouts.result() if layouts is not None else layouts_then()
    except BaseException:
        if layouts is not None:
            layouts.stop()
        raise
    fh.write(b',"network":' + network + b',"cooperation":' + cooperation + f',"bigView":{BIG_VIEW}}};\n'.encode())


# The fewest nodes for which the layouts are computed in a process of their own (a fork of a
# large process costs a few milliseconds, more than a small graph's layouts).
LAYOUT_FORK_NODES = 5000


def _layouts(index: GraphIndex, structure: Structure, current: set[int],
             max_nodes: int) -> tuple[bytes, bytes, dict[str, Any]]:
    """The layouts of the whole network and of the co-operation network as data.js holds them,
    and the sizes the index page shows of them."""
    network = network_layout(index, structure, current, max_nodes)
    cooperation = cooperation_layout(index, structure, max_nodes)
    sizes = {"network": {"aggregated": network["aggregated"], "nodes": len(network["nodes"]),
                         "edges": len(network["edges"]) if network["aggregated"] else index.edge_count},
             "cooperation": {"subtitle": cooperation["subtitle"], "nodes": len(cooperation["nodes"]),
                             "edges": len(cooperation["edges"])}}
    return _encode(network), _encode(cooperation), sizes


def _write_nodes_and_edges(fh: IO[bytes], index: GraphIndex, structure: Structure, current: set[int],
                           title: str) -> None:
    """data.js up to its layouts: the head, the documents, every node and edge, the strings."""
    led = Counter(u for u, tasks in index.tasks_of_unit.items() for _, r in tasks if r == "LEADS")
    tasks_per_doc = Counter(index.doc_index[d] for d in index.doc_of_task.values() if d in index.doc_index)
    docs = []
    for i, doc in enumerate(index.documents):
        facts = index.doc_facts[doc]
        docs.append({"id": doc, "name": index.display_name(doc), "short": _short(index.display_name(doc), 16),
                     "jurisdiction": str(facts["jurisdiction"] or ""), "file": facts["file"],
                     "current": i in current, "tasks": tasks_per_doc[i], "period": facts["period"]})
    node_styles, edge_styles = styles()["nodes"], styles()["edges"]
    fh.write(b"window.policykgData = {")
    fh.write(b",".join(_encode(key) + b":" + _encode(value) for key, value in (
        ("title", title), ("nodeStyles", node_styles), ("edgeStyles", edge_styles), ("types", index.type_names),
        ("communities", structure.communities), ("otherColour", OTHER_COLOUR), ("docs", docs))))
    fh.write(b',"nodes":[')
    community_of, unit_set = structure.community_of, index.unit_set
    batch: list[dict[str, Any]] = []  # encoded a few thousand at a time: one encoder call for many nodes
    for i, node in enumerate(index.ids):
        kind = index.kind[node]
        tip, roles = _node_tooltip(index, node)
        item: dict[str, Any] = {"id": node, "kind": kind, "label": index.labels[i], "names": index.names_of[i],
                                "docs": index.node_docs(node), "tip": tip}
        if roles:
            item["roles"] = roles
        if node in community_of:
            item["c"] = community_of[node]
        if node in unit_set:
            item["unit"] = 1
            item["led"] = led[node]
            item["joined"] = len(index.tasks_of_unit.get(node, [])) - led[node]
            item["jur"] = _jurisdiction(index, node)
        elif kind == "Task":
            path, task_title, deadline = index.task_facts[i][:3]
            item["path"] = path
            item["title"] = task_title
            if deadline:
                item["deadline"] = deadline
        elif kind == "Document":
            item["tasks"] = tasks_per_doc[index.doc_index[node]]
        batch.append(item)
        if len(batch) == 4096 or i == len(index.ids) - 1:
            fh.write((b"," if i >= len(batch) else b"") + _encode(batch)[1:-1])
            batch.clear()
    fh.write(b'],"edges":[')
    rows, strings = index.edge_data()
    shutil.copyfileobj(rows, fh)
    fh.write(b'],"strings":' + strings)


def _shown_by_default(index: GraphIndex, node: str, current: set[int]) -> bool:
    docs = index.node_docs(node)
    return not docs or any(d in current for d in docs)


def network_layout(index: GraphIndex, structure: Structure, current: set[int], max_nodes: int) -> dict[str, Any]:
    """The whole network of the current editions, communities apart; above max_nodes nodes,
    aggregated: units and documents, grouped by jurisdiction, a unit linked to a plan by the
    number of its tasks it leads or joins there, and units of different jurisdictions linked by
    the tasks they share."""
    position = index.position
    shown = [n for n in index.ids if _shown_by_default(index, n, current)]
    names = {i: c["name"] for i, c in enumerate(structure.communities)}
    hidden_editions = len(index.documents) - len(current)
    edition_note = (f"Showing the current editions only ({hidden_editions} older editions hidden; untick "
                    f"“current editions only” to see them)." if hidden_editions else "")
    if len(shown) <= max_nodes:
        shown_set = set(shown)
        edges = [(s, t, _edge_weight(rel)) for s, t, rel in index.edges() if s in shown_set and t in shown_set]
        # What belongs to no community (a plan naming entities but assigning no task) is grouped
        # by its first document, and that group named after the document.
        group_of: dict[str, Any] = {}
        for node in shown:
            if node in structure.community_of:
                group_of[node] = structure.community_of[node]
            else:
                docs = index.node_docs(node)
                group_of[node] = f"doc:{docs[0]}" if docs else -1
                if docs:
                    names[group_of[node]] = "文件 " + _short(index.display_name(index.documents[docs[0]]), 24)
        block = _layout_block(shown, edges, group_of, names)
        return {"aggregated": False, "nodes": [position[n] for n in shown], "note": edition_note, **block}
    counts: Counter[tuple[str, str, str]] = Counter()
    for unit, tasks in index.tasks_of_unit.items():
        for task, rel in tasks:
            doc = index.doc_of_task.get(task)
            if doc is not None and index.doc_index[doc] in current:
                counts[(unit, doc, rel)] += 1
    nodes = [d for i, d in enumerate(index.documents) if i in current]
    seen = set(nodes)
    for unit, _, _ in counts:
        if unit not in seen:
            seen.add(unit)
            nodes.append(unit)
    jurisdiction = {n: _jurisdiction(index, n) or "—" for n in nodes}
    derived: list[list[Any]] = [[position[u], position[d], rel, n, f"{ROLE_LETTER[rel]} × {n} tasks"]
                                for (u, d, rel), n in sorted(counts.items())]
    for (a, b), weight in structure.pairs:
        if a in seen and b in seen and jurisdiction[a] != jurisdiction[b]:
            derived.append([position[a], position[b], "CO_OPERATES", weight, f"共同任务 share {weight} tasks"])
    node_at = {position[n]: n for n in nodes}
    layout_edges = [(node_at[e[0]], node_at[e[1]], min(4.0, 1.0 + math.log(e[3]))) for e in derived
                    if e[2] != "CO_OPERATES"]
    groups = Counter(jurisdiction.values())
    block = _layout_block(nodes, layout_edges, jurisdiction,
                          {j: f"{j} · {n} nodes" for j, n in groups.items()})
    hidden = Counter(index.kind[n] for n in index.ids if n not in seen)
    note = (f"Aggregated: the whole network has {len(shown)} nodes (more than {max_nodes}). Shown are units and "
            f"documents grouped by jurisdiction; a unit is linked to a plan by the number of tasks it leads or "
            f"joins there, and units of different jurisdictions by the tasks they share. Not shown here: "
            + ", ".join(f"{n} {kind}" for kind, n in hidden.most_common())
            + ". Double-click a node to expand it; the search box finds every node.")
    if edition_note:
        note += " " + edition_note
    return {"aggregated": True, "nodes": [position[n] for n in nodes], "edges": derived,
            "hiddenKinds": dict(hidden.most_common()), "note": note, **block}


def cooperation_layout(index: GraphIndex, structure: Structure, max_nodes: int) -> dict[str, Any]:
    position = index.position
    nodes = sorted(structure.task_count, key=lambda u: (-structure.task_count[u], u))
    note = ""
    if len(nodes) > max_nodes:
        note = f"Showing the {max_nodes} units with the most tasks of {len(nodes)}."
        nodes = nodes[:max_nodes]
    kept = set(nodes)
    edges: list[list[Any]] = []
    layout_edges: list[tuple[str, str, float]] = []
    examples = structure.pair_examples
    for pair, count in structure.pairs:
        a, b = pair
        if a in kept and b in kept:
            # The tooltip (composed in the page): the count and up to five of the shared tasks.
            edges.append([position[a], position[b], "CO_OPERATES", count, "", examples[pair]])
            layout_edges.append((a, b, 1.0))
    names = {i: c["name"] for i, c in enumerate(structure.communities)}
    block = _layout_block(nodes, layout_edges,
                          {n: structure.community_of.get(n, -1) for n in nodes}, names, spacing=1.6)
    return {"nodes": [position[n] for n in nodes], "edges": edges, "note": note,
            "subtitle": f"{len(nodes)} units · {len(edges)} pairs sharing tasks", **block}


# --- pages -------------------------------------------------------------------------------------------


def _asset_context(inline: bool, root: str, data_js: str | None = None) -> dict[str, Any]:
    if not inline:
        return {"inline": False, "root": root}
    assets = {name.replace(".", "_").replace("-", "_"): Markup(_asset_text(name)) for name in ASSET_FILES}
    if data_js is not None:
        assets["data_js"] = Markup(data_js.replace("</script", "<\\/script"))
    return {"inline": True, "root": root, "assets": assets}


@lru_cache(maxsize=8)
def _asset_text(name: str) -> str:
    text = (ASSETS_DIR / name).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script") if name.endswith(".js") else text


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


PAGE_TITLES = {
    "network": ("全部网络 Whole network", "communities of units that share tasks, coloured and laid out apart"),
    "cooperation": ("协作网络 Unit co-operation", "units linked when they share tasks"),
    "document": ("文件 Document", "one plan"),
    "unit": ("单位 Unit", "one unit's tasks, partners and entities"),
}


def _index_data(index: GraphIndex, shared: dict[str, Any], title: str, unit_links: bool) -> dict[str, Any]:
    kinds = Counter(index.kind.values())
    edge_types = index.edge_types
    unit_rows = []
    for unit in index.units:
        roles = index.tasks_of_unit.get(unit, [])
        led = sum(1 for _, rel in roles if rel == "LEADS")
        unit_rows.append({"id": unit, "name": index.display_name(unit), "kind": index.kind[unit],
                          "aliases": index.aliases_of.get(index.position[unit], []),
                          "led": led, "joined": len(roles) - led,
                          "href": unit_href(unit) if unit_links else None})
    facts = index.task_facts
    tasks = sorted((t for t in index.ids if index.kind[t] == "Task"),
                   key=lambda t: (index.doc_index.get(index.doc_of_task.get(t, ""), -1),
                                  int(facts[index.position[t]][3] or 0), t))
    task_rows = [{"id": t, "path": facts[index.position[t]][0], "title": _short(index.display_name(t), 80),
                  "short": facts[index.position[t]][4],
                  "doc": index.doc_index.get(index.doc_of_task.get(t, ""), -1)} for t in tasks]
    tasks_per_doc = Counter(t["doc"] for t in task_rows)
    task_pos = {t: i for i, t in enumerate(tasks)}
    unit_pos = {u: i for i, u in enumerate(index.units)}
    cells = [[unit_pos[u], task_pos[t], role] for t in tasks for u, role in index.units_of_task.get(t, {}).items()
             if u in unit_pos]
    summary = {
        "documents": len(index.documents), "tasks": kinds.get("Task", 0), "units": len(index.units),
        "entities": index.entities,
        "indicators": kinds.get("Indicator", 0), "nodes": len(index.ids), "edges": index.edge_count,
        "leads": edge_types.get("LEADS", 0), "participates": edge_types.get("PARTICIPATES_IN", 0),
        "targets": edge_types.get("TARGETS", 0), "mentions": edge_types.get("MENTIONS", 0),
        "communities": len(shared["communities"]),
    }
    network, cooperation = shared["network"], shared["cooperation"]
    current = _current_docs(index)
    return {
        "title": title,
        "summary": summary,
        "edgeTypes": dict(edge_types.most_common()),
        "nodeKinds": dict(kinds.most_common()),
        "views": [{"kind": "network", "title": PAGE_TITLES["network"][0], "href": "network.html",
                   "subtitle": f"{len(index.documents)} documents", "nodes": network["nodes"],
                   "edges": network["edges"], "aggregated": network["aggregated"]},
                  {"kind": "cooperation", "title": PAGE_TITLES["cooperation"][0], "href": "cooperation.html",
                   "subtitle": cooperation["subtitle"], "nodes": cooperation["nodes"],
                   "edges": cooperation["edges"], "aggregated": False}],
        "communities": shared["communities"],
        "documents": [{"id": d, "name": index.display_name(d), "href": document_href(d),
                       "short": _short(index.display_name(d), 16), "tasks": tasks_per_doc[i],
                       "current": i in current,
                       "jurisdiction": index.doc_facts[d]["jurisdiction"]}
                      for i, d in enumerate(index.documents)],
        "units": unit_rows,
        "tasks": task_rows,
        "cells": cells,
    }


def _unit_stub(unit: str) -> str:
    """A small page that opens a unit's ego view (for `policykg views OUT --unit NAME`)."""
    target = "../" + unit_href(unit)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={target}">'
            f'<title>{Markup.escape(unit)}</title></head><body><a href="{target}">{Markup.escape(unit)}</a>'
            f'<script type="application/json" id="unit-id">{_script_json(unit)}</script></body></html>')


def write_views(
    graph: nx.MultiDiGraph | Iterable[GraphElement],
    views_dir: Path | str,
    *,
    units: Iterable[str] | None = None,
    unit_views: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    inline_assets: bool = False,
    title: str = "policykg",
) -> list[Path]:
    """Write the views of `graph` into `views_dir` (replaced whole; nothing half-written is left
    if this fails) and return the paths written, index.html first.

    graph: a networkx graph, or the element stream of one as graph.json holds it
    (policykg.graph.export.iter_graph_elements; see write_views_from_out): read once, never
    held whole. units: also write units/<name>.html, a link page to the ego view of each of
    these units (ids, names or aliases; an unknown one raises UnknownUnitError listing the
    closest names, before anything is written). unit_views=False: the index links no unit view.
    max_nodes: above it the whole network is aggregated. inline_assets: put vis-network, the
    page scripts and the data into every page instead of views/assets/ and views/data.js (each
    page then stands alone).
    """
    views_dir = Path(views_dir)
    # networkx is not imported for a stream (a second of the views of a thousand plans goes to
    # imports): a graph can only be a networkx one once networkx has been imported
    networkx = sys.modules.get("networkx")
    is_graph = networkx is not None and isinstance(graph, networkx.Graph)
    with _no_cycle_collection():
        index = GraphIndex(graph_elements(graph) if is_graph else graph)
        try:
            return _write_pages(index, views_dir, units, unit_views, max_nodes, inline_assets, title)
        finally:
            index.close()


@contextmanager
def _no_cycle_collection(restore: bool = True) -> Iterator[None]:
    """Python's cycle collector paused while inside: the views make a million small containers
    and no reference cycle, and its passes over them (a full one nine times) took a tenth of the
    time on a thousand plans. Memory is still freed as usual (reference counting). `restore`:
    False for a process that exits right after (the collector is left paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and restore:
            gc.enable()


# What the views of a process that exits right after them leave to its exit to free
# (write_views_from_out's `exiting`): the index and structure of a thousand plans, a million small
# objects freed one at a time, took ~0.18 s at the end of the build's views process.
_LEFT_FOR_EXIT: list[Any] = []


def write_views_from_out(out_dir: Path | str, views_dir: Path | str | None = None,
                         complete: Callable[[], None] | None = None, documents: BuiltDocuments | None = None,
                         exiting: bool = False, **options: Any) -> list[Path]:
    """Write the views of the graph a build wrote to OUT_DIR/graph.json (into OUT_DIR/views
    unless `views_dir` says otherwise) reading it one element at a time, so that the graph is
    never held; the options are write_views'. A missing graph.json raises FileNotFoundError, one
    that is not a policykg graph ValueError, both naming the file. `complete`: for a graph.json
    still being written, whose nodes are there (the build starts the views then), a function
    that returns once the file is complete; `documents`: where a build's documents' edges are
    (their fragments and views parts: see visualize/document_parts.py), read from there, not from
    graph.json. `exiting`: the caller is a process that exits (os._exit) right after: what the
    views hold is not freed, and the cycle collector stays paused (the exit frees it at once;
    re-enabled, its first pass would walk every object made since it was paused, ~0.1 s)."""
    from policykg.graph.export import GRAPH_JSON

    path = Path(out_dir) / GRAPH_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no built graph here (run `policykg build DATA --out {out_dir}` first)")
    with _no_cycle_collection(restore=not exiting):
        try:
            index = GraphIndex.of_graph_json(path, complete, documents)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a policykg graph ({exc})") from exc
        try:
            return _write_pages(index, Path(views_dir) if views_dir is not None else Path(out_dir) / "views",
                                options.pop("units", None), **options,
                                keep=_LEFT_FOR_EXIT if exiting else None)
        finally:
            index.close()
            if exiting:
                _LEFT_FOR_EXIT.append(index)


def _write_pages(index: GraphIndex, views_dir: Path, units: Iterable[str] | None, unit_views: bool = True,
                 max_nodes: int = DEFAULT_MAX_NODES, inline_assets: bool = False,
                 title: str = "policykg", keep: list[Any] | None = None) -> list[Path]:
    """The pages of the index into views_dir; `keep`: where to leave what they were made of (not
    freed: see write_views_from_out's `exiting`)."""
    stubs = index.resolve_units(list(units)) if units is not None else []
    structure = Structure(index)
    if keep is not None:
        keep.append(structure)
    empty = not index.ids
    work = views_dir.parent / f".{views_dir.name}.tmp-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    written: list[str] = []
    try:
        def index_page(shared: dict[str, Any]) -> None:  # (where the layouts are made: see write_shared_data)
            _write(work / "index.html", _templates().get_template("index.html").render(
                title=title, data=_script_json(_index_data(index, shared, title, unit_views)),
                empty=empty, **_asset_context(inline_assets, "")))

        with open(work / "data.js", "wb") as fh:
            write_shared_data(fh, index, structure, max_nodes, title, with_layouts=index_page)
        data_js = None
        if inline_assets:
            data_js = (work / "data.js").read_text(encoding="utf-8")
            (work / "data.js").unlink()
        else:
            (work / "assets").mkdir()
            for name in ASSET_FILES:
                shutil.copyfile(ASSETS_DIR / name, work / "assets" / name)
                written.append(f"assets/{name}")
            written.append("data.js")
        page = _templates().get_template("view.html")
        for kind in PAGES:
            heading, subtitle = PAGE_TITLES[kind]
            _write(work / f"{kind}.html", page.render(
                title=heading, subtitle=subtitle, kind=kind, empty=empty,
                **_asset_context(inline_assets, "", data_js)))
            written.append(f"{kind}.html")
        del data_js
        taken: set[str] = set()
        for unit in stubs:
            path = f"units/{_slug(index.display_name(unit), taken)}.html"
            _write(work / path, _unit_stub(unit))
            written.append(path)
        written.insert(0, "index.html")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if views_dir.exists():
        old = views_dir.parent / f".{views_dir.name}.old-{os.getpid()}"
        views_dir.rename(old)
        work.rename(views_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(views_dir)
    return [views_dir / rel for rel in written]
