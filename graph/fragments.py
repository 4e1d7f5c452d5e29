"""The build's writers over a stream of documents, without the graph of the whole corpus.

Each document is encoded once, apart from the rest of the corpus (`encode_document`, in the
extraction worker): its own nodes (the Document and its Tasks) and its edges as graph.json lines
and GraphML elements, its rows of every table as CSV, and the rows of the 任务分工表 — one
fragment file — plus a small summary: what crosses documents (its unit, entity and indicator
nodes, which merge over the corpus; the Document's head for plan families; its citations).
The build cache keeps both, so that a rebuild encodes only the documents that changed.
(`encode_document` is the general encoder, over a document's DocumentGraph and rows; the build
takes graph/record.py's `encode_record`, the same bytes straight from the model, wherever a
document's values allow it.) The summary travels to the build's parent, and into the cache, as
lines (`sent_summary`), so that the parent parses of each mention of a shared node only what
can change the node (`CorpusWriter.add`).

`CorpusWriter` takes the summaries in build order (pass 1: the shared nodes are merged, bounded
by distinct names, not by documents), then writes every file in one pass over the fragments
(pass 2; graph.graphml in a forked process beside graph.json, then the tables): the same graph
as `build_graph` + `write_outputs` — the same nodes in the same order
with the same attributes, the same edges — read back by `read_graph` as the same MultiDiGraph,
adjacency order included. Only the order edges are listed in the files differs: by document (the
order the build adds them) rather than grouped by source node, which would need every unit's
edges of the whole corpus at once.

`current` (the newest edition of a plan) is the one cross-document fact inside a document's own
nodes: fragments are encoded with current = true, and the few older editions are rewritten on
the way out (`"current":true` / `<data key="n13">true</data>` can only be that attribute: JSON
escapes a quote's `"` and XML its `<`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import operator
import os
import re
import shutil
import struct
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext, suppress
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson
from policykg.graph.build import (
    CitationLinks,
    DocumentGraph,
    add_labels,
    add_missing_properties,
    add_new_values,
    document_head,
    merge_node,
    plan_families,
)
from policykg.graph.export import (
    GRAPH_JSON,
    GRAPHML,
    GRAPHML_GRAPH,
    GRAPHML_HEAD,
    GRAPHML_TAIL,
    RESPONSIBILITY_COLUMNS,
    TABLES,
    DocumentRows,
    JsonElements,
    graphml_edge,
    graphml_key_id,
    graphml_keys,
    graphml_node,
    orjson_bytes,
)
from policykg.graph.fd_writes import write_all
from policykg.graph.forked import Forked
from policykg.graph.sanitise import clean_value, has_unwritable
from policykg.graph.task_sheet import SheetRows, TaskSheetWriter, cache_sheet, xlsx_document

XLSX = "responsibilities.xlsx"
# the sections of a document's fragment file, in order (their lengths are in its summary)
SECTIONS = ("json_nodes", "json_edges", "graphml_nodes", "graphml_edges", *TABLES, "task_rows")
THIS_DOCUMENT = "="  # in a summary's shared nodes: the document's own sha256 (or [sha256] for docs)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _utf8(text: str) -> bytes:
    # graph.json: a lone surrogate (a file name that is not UTF-8) cannot be encoded and becomes "?"
    return text.encode("utf-8", "replace")


def _json_bytes(value: Any) -> bytes:
    """_utf8(_encode(value)), faster: by orjson where it writes the same bytes (export.orjson_bytes:
    not for floats such as 1e-05 or NaN, a lone surrogate, an integer beyond 64 bits)."""
    found = orjson_bytes(value)
    return found if found is not None else _utf8(_encode(value))


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """Rows as CSV lines (the csv module's excel dialect, as csv.DictWriter writes them), every
    value passed through clean_value (graph/sanitise.py) — where needed: the distinct texts of
    the rows are checked first, as almost no document has a character to clean. Each distinct
    value is written once (a task's text and quote recur on the row of each of its units)."""
    try:  # the row functions give every column
        values = list(map(operator.itemgetter(*columns), rows)) if len(columns) > 1 else \
            [(row[columns[0]],) for row in rows]
    except KeyError:
        values = [tuple(row.get(c, "") for c in columns) for row in rows]
    if len(columns) < 2 or not _CSV_DISTINCT.issuperset(map(type, itertools.chain.from_iterable(values))):
        # as the csv module writes them: a single column's empty row is written "", 1, 1.0 and
        # True would be one key of `fields`, a list none
        texts = {v for row in values for v in row if type(v) is str}
        if has_unwritable("\n".join(texts)):
            values = [tuple(clean_value(v) for v in row) for row in values]
        buf = io.StringIO()
        csv.writer(buf).writerows(values)
        return buf.getvalue()
    fields = dict.fromkeys(itertools.chain.from_iterable(values))
    if has_unwritable("\n".join([v for v in fields if type(v) is str])):
        values = [tuple(clean_value(v) for v in row) for row in values]
        fields = dict.fromkeys(itertools.chain.from_iterable(values))
    for value in fields:
        fields[value] = csv_field(value)
    field = fields.__getitem__
    return "".join([",".join(map(field, row)) + "\r\n" for row in values])


_CSV_DISTINCT = frozenset({str, int, type(None)})  # value types no two of which are equal as dict keys


def csv_field(value: Any) -> str:
    """One value as csv.writer (excel dialect) writes it in a row of several: quoted if it holds
    a quote (doubled), a comma or a line break; None as nothing; anything else as str()."""
    text = "" if value is None else value if type(value) is str else str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _json_writable(text: bytes) -> bool:
    """Whether the strings of graph.json text (ensure_ascii=False) hold no character that XML 1.0
    cannot carry (its GraphML elements need no cleaning): JSON writes control characters as
    \\u00XX, \\b or \\f (a false alarm, from an escaped backslash before b or f, only costs the
    careful path), U+FFFE/U+FFFF as they are; a lone surrogate fails to encode (JsonElements).
    Searched by regex: bytes.find skips slowly through UTF-8 Chinese for these needles."""
    return not ((b"\\" in text and _JSON_CONTROL.search(text)) or _NONCHARACTERS.search(text))


_JSON_CONTROL = re.compile(rb"\\[ubf]")  # \u (then 00XX for a control character), \b, \f
_NONCHARACTERS = re.compile(rb"\xef\xbf[\xbe\xbf]")  # U+FFFE, U+FFFF in UTF-8


def csv_header(columns: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(columns)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # utf-8-sig: Excel needs the BOM for Chinese


def encode_document(part: DocumentGraph, rows: DocumentRows) -> tuple[dict[str, Any], bytes]:
    """One document's summary (JSON-ready) and fragment file (see the module's docstring)."""
    task_prefix = f"task:{part.sha256[:16]}:"
    own: dict[str, dict[str, Any]] = {}
    members: dict[tuple[str, str], set[str]] = {}
    shared: list[list[Any]] = []  # [own nodes before it, id, label, extra labels, props]
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for op in part.ops:
        if op[0] == "edge":
            _, u, v, key, props = op
            data = edges.get((u, v, key))
            # (the op's props are not changed: a repeated edge gets a merged copy)
            edges[u, v, key] = props if data is None else {**data, **props}
        elif op[1] == part.doc_id or op[1].startswith(task_prefix):
            merge_node(own, members, op[1], op[2], op[3], op[4])
        else:
            shared.append([len(own), op[1], op[2], list(op[3]), op[4]])
    for data in own.values():
        if data["label"] == "Task":
            data["current"] = True  # its document's (see the module's docstring)
    shared = _merged_mentions(shared)
    for mention in shared:  # the document's own sha256 written once (THIS_DOCUMENT), not per mention
        props = mention[4]
        if props.get("docs") == [part.sha256]:
            props["docs"] = THIS_DOCUMENT
        if props.get("docSha256") == part.sha256:
            props["docSha256"] = THIS_DOCUMENT
    node_keys: set[str] = set()
    edge_keys: set[str] = set()
    json_element = JsonElements()
    json_nodes = [json_element(data) + b",\n" for data in own.values()]
    json_edges = json_element.lines([{**data, "from": u, "to": v, "key": k} for (u, v, k), data in edges.items()])
    # the GraphML elements carry the same strings as the graph.json lines: clean them only if those have
    # a character XML cannot carry
    json_node_bytes = b"".join(json_nodes)
    clean = json_element.surrogates or not (_json_writable(json_node_bytes) and _json_writable(json_edges))
    graphml_nodes = [graphml_node(node_id, data, node_keys, clean).encode("utf-8") for node_id, data in own.items()]
    graphml_edges = "".join([graphml_edge(u, v, k, data, edge_keys, clean) for (u, v, k), data in edges.items()])
    json_ends, graphml_ends = list(itertools.accumulate(map(len, json_nodes))), \
        list(itertools.accumulate(map(len, graphml_nodes)))
    sections = [json_node_bytes, json_edges, b"".join(graphml_nodes), graphml_edges.encode("utf-8")]
    tables = {name: csv_text(columns, rows[name]) for name, columns in TABLES.items()}
    sections += [text.encode("utf-8") for text in tables.values()]
    # the 任务分工表 reads the responsibilities.csv rows back from that section, unless they differ
    # from the rows it was given: a character cleaned, or a task without text (the sheet then
    # shows the paragraph, which the CSV has not)
    resp = rows["responsibilities"]
    as_csv = not has_unwritable(tables["responsibilities"]) and all(r.get("task_text") for r in resp)
    sections.append(b"" if as_csv else json.dumps(resp, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    head = document_head(own[part.doc_id])
    summary = {
        "doc_id": part.doc_id, "sha256": part.sha256, "head": head, "shared": shared,
        "citations": part.citations, "json_ends": json_ends, "graphml_ends": graphml_ends,
        "sections": [len(s) for s in sections], "edges": len(edges),
        "node_keys": sorted(node_keys), "edge_keys": sorted(edge_keys),
        "rows": {name: len(rows[name]) for name in TABLES},
    }
    return summary, b"".join(sections)


def _merged_mentions(mentions: list[list[Any]]) -> list[list[Any]]:
    """A document's mentions of shared nodes, one per node (at its first mention), merged as
    merge_node merges them. Merging these into the corpus gives what merging every mention does
    when each mention carries both collected lists (aliases and docs, as every unit, entity and
    indicator mention does): the lists and labels keep their order, and the other properties are
    taken first-seen-first in the same order. Otherwise the mentions are kept as they are."""
    if any("aliases" not in m[4] or "docs" not in m[4] or _NODE_FIELDS & m[4].keys() for m in mentions):
        return mentions
    merged: dict[str, list[Any]] = {}  # id -> [own nodes before it, id, label, all labels, props]
    members: dict[str, tuple[set[str], set[str]]] = {}  # of a node mentioned again: its aliases, docs
    for before, node_id, label, extra_labels, props in mentions:
        found = merged.get(node_id)
        if found is None:  # as merge_node makes a node (without its id, label and labels)
            data = dict(props)
            data["aliases"], data["docs"] = list(dict.fromkeys(data["aliases"])), list(dict.fromkeys(data["docs"]))
            merged[node_id] = [before, node_id, label, list(dict.fromkeys([label, *extra_labels])), data]
            continue
        labels, data = found[3], found[4]  # as merge_node merges a mention into it
        add_labels(labels, label, extra_labels)
        seen = members.get(node_id)
        if seen is None:
            seen = members[node_id] = (set(data["aliases"]), set(data["docs"]))
        add_new_values(data["aliases"], seen[0], props["aliases"])
        add_new_values(data["docs"], seen[1], props["docs"])
        add_missing_properties(data, props)
    for mention in merged.values():
        mention[3] = mention[3][1:]  # the extra labels (the first is its label)
    return list(merged.values())


_NODE_FIELDS = frozenset({"id", "label", "labels"})  # what merge_node adds to a node's properties


def parsed_json(data: bytes | memoryview) -> Any:
    """JSON by orjson (several times json's speed, the same values); by json what orjson refuses
    (a lone surrogate, written by the summary's json fallback with surrogatepass)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data).decode("utf-8", "surrogatepass"))


def sent_summary(summary: dict[str, Any], plain: bool) -> bytes:
    """The summary as the build's parent reads it (and the cache keeps it), in lines: the
    summary without its shared nodes' mentions (JSON), then a line per mention saying what it
    merges into its node (JSON: id, label, extra labels, aliases, whether its docs are this
    document's), then a line per mention of its properties (JSON). The parent parses a mention's
    line only the first time it comes (the same line again merges nothing new but the document),
    its properties only when they can change the node: CorpusWriter.add."""
    if plain:  # (a document encode_record took: orjson writes every value as json does, but a lone
        # surrogate, which it refuses)
        try:
            return _sent_summary(summary, orjson.dumps)
        except TypeError:
            pass
    return _sent_summary(summary, lambda value: summary_bytes(value, plain))


def _sent_summary(summary: dict[str, Any], dumps: Callable[[Any], bytes]) -> bytes:
    merges, props, key_sets, befores, keyed = [], [], {}, [], []
    for before, node_id, label, extra_labels, data in summary["shared"]:
        befores.append(before)
        keyed.append(key_sets.setdefault(tuple(data), len(key_sets)))
        merges.append(dumps([node_id, label, extra_labels, data.get("aliases"), data.get("docs") == THIS_DOCUMENT]))
        props.append(dumps(data))
    line = {key: value for key, value in summary.items() if key != "shared"}
    line["mention_before"], line["mention_keys"], line["mention_key_set"] = befores, list(key_sets), keyed
    return b"\n".join([dumps(line), *merges, *props])


def summary_bytes(summary: Any, plain: bool = False) -> bytes:
    """The summary as compact JSON. `plain`: its values are of the types orjson writes as json
    does (a document encode_record took: no floats; a lone surrogate orjson refuses)."""
    if plain:
        try:
            return orjson.dumps(summary)
        except TypeError:  # a lone surrogate (a file name that is not UTF-8), an integer beyond 64 bits
            found = None
    else:
        found = orjson_bytes(summary)
    if found is not None:
        return found
    # surrogatepass: a file name that is not UTF-8 keeps its bytes (as surrogates) through the cache
    return json.dumps(summary, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def parsed_summary(data: bytes) -> dict[str, Any]:
    """A summary as sent_summary wrote it: its first line parsed, the mentions' lines left as
    they are (CorpusWriter.add parses those it needs)."""
    lines = data.split(b"\n")
    summary = parsed_json(lines[0])
    count = len(summary["mention_before"])
    summary["mention_merges"], summary["mention_props"] = lines[1:count + 1], lines[count + 1:]
    return summary


def _props(line: bytes, sha: str) -> dict[str, Any]:
    """A mention's properties from its line of a summary (the document's own sha256 in place of
    THIS_DOCUMENT's docSha256)."""
    props = parsed_json(line)
    if props.get("docSha256") == THIS_DOCUMENT:
        props["docSha256"] = sha
    return props


class _Document:
    """What pass 2 needs of a document (small: no text)."""

    __slots__ = ("doc_id", "edges", "ends", "fragment", "head", "key", "new_shared", "nodes", "sections", "sha256")

    def __init__(self, summary: dict[str, Any], fragment: Path, new_shared: list[tuple[int, str]],
                 key: str | None) -> None:
        self.doc_id, self.sha256, self.head = summary["doc_id"], summary["sha256"], summary["head"]
        self.sections = tuple(summary["sections"])
        # how many of graph.json's nodes and edges are its own (the views read them from its parts)
        self.nodes, self.edges = len(summary["json_ends"]), summary["edges"]
        # where its own nodes end: needed only to put shared nodes first seen here among them
        self.ends = (summary["json_ends"], summary["graphml_ends"]) if new_shared else ([], [])
        self.fragment = str(fragment)
        self.new_shared = new_shared  # (own nodes before it, id) of the shared nodes first seen here
        self.key = key  # what decides the fragment's bytes (its build-cache key), if known


class _Sink:
    """An output file written from bytes and from byte ranges of other files: the ranges are
    copied by the kernel (copy_file_range), so a fragment's bytes never pass through Python;
    small pieces are gathered and written together."""

    _SMALL = 1 << 16  # below this, a range is read and buffered (one system call either way)

    def __init__(self, path: Path, readable: bool = False) -> None:
        mode = os.O_RDWR if readable else os.O_WRONLY
        self.fd = os.open(path, mode | os.O_CREAT | os.O_TRUNC | _BINARY, 0o666)
        self._pending: list[bytes | memoryview] = []
        self._size = 0
        self.written = 0  # bytes written so far (the end of the file, once flushed)
        self._kernel_copy = hasattr(os, "copy_file_range")

    def write(self, data: bytes | memoryview) -> None:
        self._pending.append(data)
        self._size += len(data)
        self.written += len(data)
        if self._size >= self._SMALL:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending, self._size = [], 0
            write_all(self.fd, data)

    def copy(self, src: int, offset: int, size: int) -> None:
        """`size` bytes of the open file `src` from `offset`."""
        if size < self._SMALL:
            self.written += size
            if size:
                self._pending.append(_pread(src, size, offset))
                self._size += size
                if self._size >= self._SMALL:
                    self.flush()
            return
        self.flush()
        self.written += size
        while size > 0:
            if self._kernel_copy:
                try:
                    n = os.copy_file_range(src, self.fd, size, offset)
                except OSError:  # another file system, or a kernel without it: copy through here
                    self._kernel_copy = False
                    continue
            else:
                data = _pread(src, min(size, 1 << 22), offset)
                n = len(data)
                write_all(self.fd, data)
            if n <= 0:
                raise OSError(f"{src}: a fragment file shorter than its summary says")
            offset, size = offset + n, size - n

    def end_list(self, count: int) -> None:
        """Close a one-element-a-line list written as `element,\n` lines: the last comma goes."""
        self.flush()
        if count:
            at = os.lseek(self.fd, 0, os.SEEK_CUR) - 2
            os.ftruncate(self.fd, at)
            os.lseek(self.fd, at, os.SEEK_SET)
            self.written -= 2
        self.write(b"\n")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            os.close(self.fd)


_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _pread(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    while len(data) < size:  # a short read (rare): the rest
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            raise OSError(f"{fd}: a fragment file shorter than its summary says")
        data += more
    return data


# the encodings a build keeps for the next (OUT/.cache/shared-nodes): for the graph.json text of
# each shared and corpus-level node and edge, its GraphML element and the GraphML keys it uses, so
# that a rebuild encodes only the elements whose merged attributes changed. The file: a head
# (magic, writer version), the GraphML elements one after the other, their index (digest of the
# graph.json text, offset, length, key set), the key sets (JSON) and a trailer locating the index.
_ENCODINGS_MAGIC = b"policykg-shared-nodes-3\n"
_INDEX_ENTRY = struct.Struct("<16sQII")
_TRAILER = struct.Struct("<QII8s")  # index offset, entries, key-set bytes, end mark
_END_MARK = b"pkg-end\n"


def _writer_version() -> bytes:
    """A digest of the code that turns an element into its graph.json text and GraphML."""
    from policykg.graph import export, sanitise

    digest = hashlib.blake2b(_ENCODINGS_MAGIC, digest_size=16)
    for module in (export, sanitise):
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.digest()


Span = tuple[int, int]  # (offset, length) in one of _Encodings' two files


class _Encodings:
    """Shared and corpus-level nodes and edges as graph.json lines or as GraphML elements (one
    writer each: `graphml`), written to a file (not held: the docs lists make them grow with the
    corpus) in the order they are encoded: a spool, or for GraphML this build's cache. The GraphML
    comes from the cache of the OUT a build replaces (`reuse`) when the graph.json text is the same."""

    def __init__(self, cache: Path | None, reuse: Path | None, spools: Path, graphml: bool) -> None:
        self.graphml = graphml
        self.cache = cache if graphml else None
        self._version = _writer_version() if self.cache is not None else b""
        self._head = _ENCODINGS_MAGIC + self._version
        self._old_fd: int | None = None
        self._old: dict[bytes, tuple[int, int, tuple[str, ...]]] = {}
        self._index: dict[bytes, tuple[int, int, int]] = {}  # digest -> offset, length, key set
        self._key_sets: dict[tuple[str, ...], int] = {}
        self.hits = 0
        if not graphml:
            self._path = spools / "elements.json"
            self.sink = _Sink(self._path, readable=True)
            return
        self._path = cache.with_name(cache.name + f".tmp-{os.getpid()}") if cache is not None \
            else spools / "elements.graphml"
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
        self.sink = _Sink(self._path, readable=True)
        self.sink.write(self._head)
        if reuse is not None and cache is not None:
            self._read(reuse)

    def _read(self, path: Path) -> None:
        try:
            fd = os.open(path, os.O_RDONLY | _BINARY)
        except OSError:
            return
        try:
            size = os.fstat(fd).st_size
            if size < len(self._head) + _TRAILER.size or _pread(fd, len(self._head), 0) != self._head:
                raise ValueError("another writer's encodings")
            at, count, names, mark = _TRAILER.unpack(_pread(fd, _TRAILER.size, size - _TRAILER.size))
            if mark != _END_MARK or at + count * _INDEX_ENTRY.size + names + _TRAILER.size != size:
                raise ValueError("cut short")
            index = _pread(fd, count * _INDEX_ENTRY.size + names, at)
            key_sets = [tuple(keys) for keys in json.loads(index[count * _INDEX_ENTRY.size:])]
            for digest, offset, length, keys in _INDEX_ENTRY.iter_unpack(index[:count * _INDEX_ENTRY.size]):
                if offset + length > at:
                    raise ValueError("an element beyond the elements")
                self._old[digest] = (offset, length, key_sets[keys])
        except (OSError, ValueError, IndexError, struct.error):  # encode again: it costs time only
            self._old = {}
            os.close(fd)
            return
        self._old_fd = fd

    def _element(self, kind: bytes, text: bytes, encode: Callable[[], tuple[bytes, tuple[str, ...]]]
                 ) -> tuple[Span, tuple[str, ...]]:
        at = self.sink.written
        if not self.graphml:
            self.sink.write(text + b",\n")
            return (at, len(text) + 2), ()
        if self.cache is None:
            element, keys = encode()
            self.sink.write(element)
            return (at, len(element)), keys
        digest = hashlib.blake2b(text, digest_size=16, key=self._version, person=kind).digest()
        old = self._old.get(digest)
        if old is not None and self._old_fd is not None:
            offset, length, keys = old
            self.sink.copy(self._old_fd, offset, length)
            self.hits += 1
        else:
            element, keys = encode()
            self.sink.write(element)
            length = len(element)
        if digest not in self._index:
            key_set = self._key_sets.setdefault(keys, len(self._key_sets))
            self._index[digest] = (at, length, key_set)
        return (at, length), keys

    def node(self, data: dict[str, Any]) -> tuple[Span, tuple[str, ...]]:
        """Write a node's graph.json line or GraphML element: its span and (GraphML) its keys."""
        def encode() -> tuple[bytes, tuple[str, ...]]:
            used: set[str] = set()
            return graphml_node(data["id"], data, used).encode("utf-8"), tuple(sorted(used))
        return self._element(b"node", self._text(data), encode)

    def edge(self, u: str, v: str, key: str, data: dict[str, Any]) -> tuple[Span, tuple[str, ...]]:
        """Write an edge's graph.json line or GraphML element: its span and (GraphML) its keys."""
        def encode() -> tuple[bytes, tuple[str, ...]]:
            used: set[str] = set()
            return graphml_edge(u, v, key, data, used).encode("utf-8"), tuple(sorted(used))
        return self._element(b"edge", self._text({**data, "from": u, "to": v, "key": key}), encode)

    def _text(self, data: dict[str, Any]) -> bytes:
        """The element's graph.json line; for GraphML, what its cache is keyed by: a text that
        says the same of the same values (orjson's: these values are parsed JSON, or made of
        it), whether or not it is graph.json's byte for byte."""
        if not self.graphml:
            return _json_bytes(data)
        if self.cache is None:
            return b""
        try:
            return orjson.dumps(data)
        except TypeError:  # a lone surrogate (kept as it is: two such texts stay apart)
            return _encode(data).encode("utf-8", "surrogatepass")

    def at(self) -> int:
        """Where the next element will start."""
        return self.sink.written

    def ready(self) -> None:
        """Everything written so far readable from the file (the writers copy from it)."""
        self.sink.flush()

    def close(self) -> None:
        """Finish this build's cache (the index after the elements), or drop the spool."""
        if self._old_fd is not None:
            os.close(self._old_fd)
            self._old_fd = None
        if self.cache is None:
            self.sink.close()
            return
        try:
            at = self.sink.written
            for digest, (offset, length, key_set) in self._index.items():
                self.sink.write(_INDEX_ENTRY.pack(digest, offset, length, key_set))
            names = json.dumps(list(self._key_sets), ensure_ascii=False).encode("utf-8")
            self.sink.write(names)
            self.sink.write(_TRAILER.pack(at, len(self._index), len(names), _END_MARK))
            self.sink.close()
            os.replace(self._path, self.cache)
        except OSError:  # a cache that cannot be written costs time on the next build, nothing else
            self._path.unlink(missing_ok=True)

    def abort(self) -> None:
        if self._old_fd is not None:
            os.close(self._old_fd)
            self._old_fd = None
        with suppress(OSError):
            self.sink.close()
        if self.cache is not None:
            self._path.unlink(missing_ok=True)


class _Seen:
    """A shared node whose docs came one document at a time (CorpusWriter.add): its data, its docs
    list, the key sets of mentions it is known to have every property of, its mentions' lines
    (and with their key sets, CorpusWriter._fast's keys)."""

    __slots__ = ("data", "docs", "keys", "lines", "pairs")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data, self.docs = data, data["docs"]
        self.keys: set[int] = set()
        self.lines: list[bytes] = []
        self.pairs: list[tuple[bytes, int]] = []

    def known(self, fast: dict[tuple[bytes, int], list[str]], line: bytes, key_set: int) -> None:
        """A mention's line and key set merged into this node (it has every property of it)."""
        pair = (line, key_set)
        if pair not in fast:
            fast[pair] = self.docs
            self.pairs.append(pair)

    def forget(self, merged: dict[bytes, _Seen], fast: dict[tuple[bytes, int], list[str]]) -> None:
        """Its mentions' entries gone (the node's docs are merged the general way from now on)."""
        for line in self.lines:
            merged.pop(line, None)
        for pair in self.pairs:
            fast.pop(pair, None)


class CorpusWriter:
    """graph.json, graph.graphml, the CSV tables and the 任务分工表 of a build, from the documents'
    summaries and fragment files (see the module's docstring). `add` each document in build
    order, then `close` writes the files into out_dir. Holds the shared nodes (bounded by the
    distinct units, entities and indicators) and a few figures per document.

    cache_dir / reuse_dir: the 任务分工表's sheet cache of this build and of the OUT it replaces;
    nodes_cache / nodes_reuse: the same for the shared nodes' encodings (a file each)."""

    def __init__(self, out_dir: Path, cache_dir: Path | None = None, reuse_dir: Path | None = None,
                 nodes_cache: Path | None = None, nodes_reuse: Path | None = None) -> None:
        self.out_dir, self.cache_dir, self.reuse_dir = out_dir, cache_dir, reuse_dir
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)  # the extraction renders sheets into it (prerender_sheet)
        self.nodes_cache, self.nodes_reuse = nodes_cache, nodes_reuse
        self.docs: list[_Document] = []
        self.shared: dict[str, dict[str, Any]] = {}
        self._members: dict[tuple[str, str], set[str]] = {}
        # the shared nodes whose docs came one document at a time, each with what a mention's line of
        # it needs (_Seen), and a summary's line of a mention (sent_summary) -> the _Seen of the node
        # it was merged into: the same line again merges nothing but its document and the properties
        # the node lacks (bounded by the distinct mentions)
        self._docs_unique: dict[str, _Seen] = {}
        self._merged: dict[bytes, _Seen] = {}
        # (a mention's line, its key set) -> the docs list of the node it merged into, which has every
        # property of that key set: the same pair again adds only its document to that list
        self._fast: dict[tuple[bytes, int], list[str]] = {}
        self._key_sets: dict[tuple[str, ...], int] = {}  # the mentions' key sets (numbered over the build)
        self._key_set_list: list[frozenset[str]] = []
        self.node_keys: set[str] = set()
        self.edge_keys: set[str] = set()
        self.nodes = self.edges = 0
        self.rows = dict.fromkeys(TABLES, 0)
        self.sheet_hits = self.node_hits = 0  # cached sheets and shared-node encodings used
        self._spools = out_dir / ".spool"
        self._spools.mkdir(exist_ok=True)
        # each document's citations, read back when the CITES edges are written (not held)
        self._citations = (self._spools / "citations.jsonl").open("wb+")

    def add(self, summary: dict[str, Any], fragment: Path, key: str | None = None) -> None:
        """One document, in build order. `key`: a name that decides the fragment's bytes (the
        build cache's key), so that its 任务分工表 sheet is found without reading its rows."""
        sha = summary["sha256"]
        docs = [sha]  # one string for every mention: the docs lists of 10,000 plans stay small
        new_shared = []
        shared, members, docs_unique, merged = self.shared, self._members, self._docs_unique, self._merged
        if "shared" in summary:  # a summary as encoded: as the build sends it
            summary = parsed_summary(sent_summary(summary, plain=False))
        befores, props_lines = summary["mention_before"], summary["mention_props"]
        key_set_ids = self._key_sets
        key_ids = []  # this summary's key sets as numbered over the build
        for keys in summary["mention_keys"]:
            keys = tuple(keys)
            number = key_set_ids.get(keys)
            if number is None:
                number = key_set_ids[keys] = len(key_set_ids)
                self._key_set_list.append(frozenset(keys))
            key_ids.append(number)
        key_of = [key_ids[k] for k in summary["mention_key_set"]]
        # the mentions whose line and key set merged into their node before add only this
        # document to its docs: looked up and appended all at once (most mentions of a plan);
        # the others one by one, in order, below
        lines, fast = summary["mention_merges"], self._fast
        found = list(map(fast.get, zip(lines, key_of)))
        order: Iterable[int] = ()
        if None not in found:
            deque(map(list.append, found, repeat(sha)), 0)
        else:
            order = [index for index, docs_list in enumerate(found) if docs_list is None]
            if all(lines[index].endswith(b",true]") for index in order):
                deque(map(list.append, filter(None, found), repeat(sha)), 0)
            else:  # a mention merged the general way (not of this document's): every mention in order
                order = range(len(lines))
        for index in order:
            line = lines[index]
            seen = merged.get(line)
            if seen is not None:
                # the same line merged into the node before (its labels and aliases are there): it
                # adds only this document to the node's docs (and the properties the node lacks)
                seen.docs.append(sha)
                if key_of[index] not in seen.keys:
                    self._add_missing(seen, key_of[index], props_lines[index], sha)
                seen.known(fast, line, key_of[index])
                continue
            node_id, label, extra_labels, aliases, own_docs = parsed_json(line)
            seen = docs_unique.get(node_id) if own_docs else None
            if seen is not None:
                # each document comes once, so its sha256 is new to the node's docs: no membership
                # set of every document (the lists are the output; the sets would double them).
                # merge_node's merge, inlined for this, the most common mention (a unit named again)
                data = seen.data
                add_labels(data["labels"], label, extra_labels)
                if aliases is not None:
                    known = members.get((node_id, "aliases"))
                    if known is None:
                        known = members[node_id, "aliases"] = set()
                        data["aliases"] = []
                    add_new_values(data["aliases"], known, aliases)
                seen.docs.append(sha)
                if key_of[index] not in seen.keys:  # (docs and aliases are there by now)
                    self._add_missing(seen, key_of[index], props_lines[index], sha)
                merged[line] = seen
                seen.lines.append(line)
                seen.known(fast, line, key_of[index])
                continue
            props = _props(props_lines[index], sha)
            if own_docs and node_id not in shared:
                # a new node (about one mention in ten): merge_node's, for a mention of this document
                data = shared[node_id] = {"id": node_id, "label": label,
                                          "labels": list(dict.fromkeys([label, *extra_labels]))}
                data.update(props)
                if aliases is not None:
                    data["aliases"] = list(dict.fromkeys(aliases))
                    members[node_id, "aliases"] = set(data["aliases"])
                data["docs"] = [sha]
                new_shared.append((befores[index], node_id))
                seen = docs_unique[node_id] = _Seen(data)
                seen.keys.add(key_of[index])  # (a new node has every property of its mention)
                merged[line] = seen
                seen.lines.append(line)
                seen.known(fast, line, key_of[index])
                continue
            if own_docs:
                props["docs"] = docs
            elif node_id in docs_unique:  # a mention merged the general way: its set again
                docs_unique.pop(node_id).forget(merged, fast)  # (its lines now go the general way too)
                members[node_id, "docs"] = set(shared[node_id]["docs"])
            data = merge_node(shared, members, node_id, label, extra_labels, props)
            if data is not None:
                new_shared.append((befores[index], node_id))
                if own_docs:
                    del members[node_id, "docs"]
                    seen = docs_unique[node_id] = _Seen(data)
                    seen.keys.add(key_of[index])  # (a new node has every property of its mention)
                    merged[line] = seen
                    seen.lines.append(line)
                    seen.known(fast, line, key_of[index])
        if summary["citations"]:
            # (read back as values, not copied: orjson's text serves; citations hold no floats)
            self._citations.write(summary_bytes([len(self.docs), summary["citations"]], plain=True) + b"\n")
        self.docs.append(_Document(summary, fragment, new_shared, key))
        self.node_keys.update(summary["node_keys"])
        self.edge_keys.update(summary["edge_keys"])
        self.nodes += len(summary["json_ends"])
        self.edges += summary["edges"]
        for name, n in summary["rows"].items():
            self.rows[name] += n

    def _add_missing(self, seen: _Seen, key_set: int, props_line: bytes, sha: str) -> None:
        """A mention's properties the node lacks (if any), from its line; its key set is then
        the node's (properties are only ever added)."""
        data = seen.data
        if not data.keys() >= self._key_set_list[key_set]:
            add_missing_properties(data, _props(props_line, sha))
        seen.keys.add(key_set)

    @property
    def units(self) -> int:
        return sum(1 for data in self.shared.values() if "Unit" in data["labels"])

    def close(self, stage: Callable[[str], AbstractContextManager[Any]] | None = None,
              graph_written: Callable[[], None] | None = None,
              nodes_written: Callable[[], None] | None = None) -> dict[str, int]:
        """Write every file; returns the row counts of the tables. graph.graphml is written by a
        forked process (graph/forked.py) while this one writes graph.json, then the CSV tables
        and the 任务分工表: each reads its own parts of the fragment files, so two cores share the
        work (copying the bytes, encoding the shared nodes). `graph_written` is called as soon
        as graph.json is complete (the views can start from it while the rest is written),
        `nodes_written` as soon as its nodes are in the file, up to the line that starts its
        edges (the views read the nodes while the edges are written)."""
        stage = stage or (lambda _name: nullcontext())
        heads = {d.doc_id: d.head for d in self.docs}
        families = plan_families(heads)
        self._citations.flush()  # (read again by each writer, through a handle of its own)
        with stage("graph.json, graph.graphml, the CSV tables, responsibilities.xlsx"):
            graphml = Forked.start(lambda: self._write_graph(heads, families, graph_json=False))
            try:
                self._write_graph(heads, families, graph_json=True, nodes_written=nodes_written)
                if graph_written is not None:
                    graph_written()
                self.sheet_hits = self._write_tables()
                self.node_hits = graphml.result()
            except BaseException:
                graphml.stop()
                raise
        self._citations.close()
        shutil.rmtree(self._spools, ignore_errors=True)
        return dict(self.rows)

    def _write_graph(self, heads: dict[str, dict[str, Any]],
                     families: tuple[list[dict[str, Any]], dict[str, bool], list[Any]], graph_json: bool,
                     nodes_written: Callable[[], None] | None = None) -> int:
        """graph.json (graph_json), else graph.graphml; returns how many
        shared and corpus-level elements' GraphML came from the encodings cache."""
        out = self.out_dir
        plans, current, family_edges = families
        links = CitationLinks(heads.values())
        node_keys, edge_keys = set(self.node_keys), set(self.edge_keys)
        # every shared and corpus-level element encoded once, through the encodings cache, into
        # a file: CITES first (written last), then the shared nodes (each placed where first
        # named), the corpus-level nodes and the plan families' edges (each group one range)
        encodings = _Encodings(self.nodes_cache, self.nodes_reuse, self._spools, graphml=not graph_json)
        try:
            cites_start = encodings.at()
            cites = 0
            with open(self._citations.name, encoding="utf-8", errors="surrogatepass") as citations:
                for line in citations:
                    index, cited = json.loads(line)
                    d = self.docs[index]
                    for u, v, k, data in links.cite(d.doc_id, d.sha256, d.head["planFamily"], cited):
                        edge_keys.update(encodings.edge(u, v, k, data)[1])
                        cites += 1
            cites_end = encodings.at()
            shared: dict[str, Span] = {}
            for node_id, data in self.shared.items():
                span, keys = encodings.node(data)
                shared[node_id] = span
                node_keys.update(keys)
            extra_nodes = [*plans, *links.cited.values()]
            extra_start = encodings.at()
            for data in extra_nodes:
                node_keys.update(encodings.node(data)[1])
            family_start = encodings.at()
            for u, v, k, data in family_edges:
                edge_keys.update(encodings.edge(u, v, k, data)[1])
            family_end = encodings.at()
            encodings.ready()
            elements = encodings.sink.fd

            sink = _Sink(out / (GRAPH_JSON if graph_json else GRAPHML))
            try:
                if graph_json:
                    sink.write(b'{"directed":true,"multigraph":true,"graph":{},"nodes":[\n')
                else:
                    sink.write((GRAPHML_HEAD + graphml_keys(node_keys, edge_keys) + GRAPHML_GRAPH).encode("utf-8"))
                self._write_documents(sink, graph_json, elements, shared, current)
                sink.copy(elements, extra_start, family_start - extra_start)
                if graph_json:
                    self.nodes += len(self.shared) + len(extra_nodes)
                    self.edges += len(family_edges) + cites
                    sink.end_list(self.nodes)
                    sink.write(b'],"edges":[\n')
                    if nodes_written is not None:
                        sink.flush()
                        nodes_written()
                self._write_edges(sink, graph_json)
                sink.copy(elements, family_start, family_end - family_start)
                sink.copy(elements, cites_start, cites_end - cites_start)
                if graph_json:
                    sink.end_list(self.edges)
                    sink.write(b"]}\n")
                else:
                    sink.write(GRAPHML_TAIL.encode("utf-8"))
            finally:
                sink.close()
        except BaseException:
            encodings.abort()
            raise
        encodings.close()
        return encodings.hits

    def _write_documents(self, sink: _Sink, graph_json: bool, elements: int, shared: dict[str, Span],
                         current: dict[str, bool]) -> None:
        """Pass 2: each document's nodes into graph.json or GraphML, its new shared nodes in place."""
        if graph_json:
            index, which, old = 0, 0, b'"current":true'
        else:
            index, which, old = 2, 1, f'<data key="{graphml_key_id("node", "current")}">true</data>'.encode()
        new = old.replace(b"true", b"false")
        for d in self.docs:
            fd = os.open(d.fragment, os.O_RDONLY | _BINARY)
            try:
                start, size = sum(d.sections[:index]), d.sections[index]
                is_current = current.get(d.doc_id, True)
                if is_current and not d.new_shared:
                    sink.copy(fd, start, size)  # the common case: the bytes as they are
                    continue
                section, ends = _pread(fd, size, start), d.ends[which]
                if not is_current:  # an older edition of its plan
                    ends = _shifted(section, ends, old, new)
                    section = section.replace(old, new)
                at = 0
                for before, node_id in d.new_shared:
                    end = ends[before - 1] if before else 0
                    sink.write(section[at:end])
                    sink.copy(elements, *shared[node_id])
                    at = end
                sink.write(section[at:])
            finally:
                os.close(fd)

    def _write_tables(self) -> int:
        """Each document's rows into the CSV tables and its sheet into the 任务分工表 (looked up in
        the sheet cache by its fragment's key, else by the bytes of its rows, and rendered only
        if not there); returns the sheets found in the cache."""
        out = self.out_dir
        tables = [_Sink(out / f"{name}.csv") for name in TABLES]
        sheet = TaskSheetWriter(out / XLSX, cache_dir=self.cache_dir, reuse_dir=self.reuse_dir)
        try:
            for fh, columns in zip(tables, TABLES.values()):
                fh.write(csv_header(columns))
            for d in self.docs:
                fd = os.open(d.fragment, os.O_RDONLY | _BINARY)
                try:
                    at = sum(d.sections[:4])
                    for fh, size in zip(tables, d.sections[4:]):
                        fh.copy(fd, at, size)
                        at += size
                finally:
                    os.close(fd)
                rows = _RowsOf(d)
                # the sheet's rows are decided by the fragment, whose key names it
                sheet.add_encoded(xlsx_document(d.head), _sheet_source(d.key) if d.key else rows.encoded(), rows)
        except BaseException:
            sheet.abort()  # no half-written workbook
            raise
        finally:
            for fh in tables:
                fh.close()
        sheet.close()
        return sheet.cache_hits

    def _write_edges(self, sink: _Sink, graph_json: bool) -> None:
        """Pass 3: each document's edges into graph.json or GraphML."""
        for d in self.docs:
            fd = os.open(d.fragment, os.O_RDONLY | _BINARY)
            try:
                if graph_json:
                    sink.copy(fd, d.sections[0], d.sections[1])
                else:
                    sink.copy(fd, d.sections[0] + d.sections[1] + d.sections[2], d.sections[3])
            finally:
                os.close(fd)


class _RowsOf:
    """A document's responsibilities rows for the 任务分工表, read from its fragment file when
    asked for (see encode_document)."""

    def __init__(self, d: _Document) -> None:
        self.fragment = d.fragment
        starts = list(itertools.accumulate(d.sections, initial=0))
        self.responsibilities, self.rows = (starts[4], d.sections[4]), (starts[-2], d.sections[-1])

    def encoded(self) -> list[bytes]:
        fd = os.open(self.fragment, os.O_RDONLY | _BINARY)
        try:
            return [_pread(fd, self.responsibilities[1], self.responsibilities[0]),
                    _pread(fd, self.rows[1], self.rows[0])]
        finally:
            os.close(fd)

    def __call__(self) -> list[dict[str, Any]]:
        responsibilities, rows = self.encoded()
        return _task_rows(memoryview(responsibilities), memoryview(rows))


def _sheet_source(key: str) -> list[bytes]:
    """What a document's 任务分工表 sheet is looked up by when its fragment has a cache key."""
    return [key.encode("utf-8", "surrogatepass")]


def prerender_sheet(sheets: Path, summary: dict[str, Any], fragment: bytes, key: str,
                    tasks: list[dict[str, Any]] | None = None, writable: bool = False,
                    rendered: SheetRows | None = None) -> None:
    """Render the sheet of a document just encoded (summary, fragment; `key`: its cache key) into
    the 任务分工表 sheet cache where CorpusWriter will look it up (in the extraction worker).
    `tasks`: the sheet's tasks when known (record.sheet_tasks), else read from the fragment's rows;
    `writable`: none of their texts holds a character to clean (a document record.py encoded);
    `rendered`: its task rows as record.encode_record rendered them."""
    if rendered is not None:
        cache_sheet(sheets, xlsx_document(summary["head"]), _sheet_source(key), (), rendered=rendered)
    elif tasks is None:
        starts = list(itertools.accumulate(summary["sections"], initial=0))
        view = memoryview(fragment)
        rows = _task_rows(view[starts[4]:starts[5]], view[starts[-2]:starts[-1]])
        cache_sheet(sheets, xlsx_document(summary["head"]), _sheet_source(key), rows)
    else:
        cache_sheet(sheets, xlsx_document(summary["head"]), _sheet_source(key), (), tasks, writable)


def _task_rows(responsibilities: memoryview, rows: memoryview) -> list[dict[str, Any]]:
    """A document's responsibilities rows for the 任务分工表 (see encode_document)."""
    if len(rows):
        return json.loads(bytes(rows).decode("utf-8", "surrogatepass"))
    text = bytes(responsibilities).decode("utf-8")
    columns = RESPONSIBILITY_COLUMNS
    return [dict(zip(columns, record)) for record in csv.reader(io.StringIO(text, newline=""))]


def _shifted(section: bytes, ends: list[int], old: bytes, new: bytes) -> list[int]:
    """Element end offsets after every `old` in the section became `new`."""
    grow = len(new) - len(old)
    shifted, at, count = [], 0, 0
    for end in ends:
        count += section.count(old, at, end)
        shifted.append(end + grow * count)
        at = end
    return shifted
