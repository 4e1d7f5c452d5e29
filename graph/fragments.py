"""The build's writers over a stream of documents, without the graph of the whole corpus.

Each document is encoded once, apart from the rest of the corpus (`encode_document`, in the
extraction worker): its own nodes (the Document and its Tasks) and its edges as graph.json lines
and GraphML elements, its rows of every table as CSV, and the rows of the 任务分工表 — one
fragment file — plus a small summary: what crosses documents (its unit, entity and indicator
nodes, which merge over the corpus; the Document's head for plan families; its citations).
The build cache keeps both, so that a rebuild encodes only the documents that changed.

`CorpusWriter` takes the summaries in build order (pass 1: the shared nodes are merged, bounded
by distinct names, not by documents), then writes every file in one pass over the fragments
(pass 2): the same graph as `build_graph` + `write_outputs` — the same nodes in the same order
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
import io
import itertools
import json
import operator
import os
import re
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO

from policykg.graph.build import (
    CitationLinks,
    DocumentGraph,
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
    graphml_node_keys,
)
from policykg.graph.sanitise import clean_value, has_unwritable
from policykg.graph.task_sheet import TaskSheetWriter, xlsx_document

XLSX = "responsibilities.xlsx"
# the sections of a document's fragment file, in order (their lengths are in its summary)
SECTIONS = ("json_nodes", "json_edges", "graphml_nodes", "graphml_edges", *TABLES, "task_rows")
THIS_DOCUMENT = "="  # in a summary's shared nodes: the document's own sha256 (or [sha256] for docs)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _utf8(text: str) -> bytes:
    # graph.json: a lone surrogate (a file name that is not UTF-8) cannot be encoded and becomes "?"
    return text.encode("utf-8", "replace")


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
        if label not in labels:
            labels.append(label)
        for name in extra_labels:
            if name not in labels:
                labels.append(name)
        seen = members.get(node_id)
        if seen is None:
            seen = members[node_id] = (set(data["aliases"]), set(data["docs"]))
        for values, known, mentioned in ((data["aliases"], seen[0], props["aliases"]),
                                         (data["docs"], seen[1], props["docs"])):
            for value in mentioned:
                if value not in known:
                    known.add(value)
                    values.append(value)
        for key, value in props.items():
            if key not in data:
                data[key] = value
    for mention in merged.values():
        mention[3] = mention[3][1:]  # the extra labels (the first is its label)
    return list(merged.values())


_NODE_FIELDS = frozenset({"id", "label", "labels"})  # what merge_node adds to a node's properties


class _Document:
    """What pass 2 needs of a document (small: no text)."""

    __slots__ = ("doc_id", "ends", "fragment", "head", "new_shared", "sections", "sha256")

    def __init__(self, summary: dict[str, Any], fragment: Path, new_shared: list[tuple[int, str]]) -> None:
        self.doc_id, self.sha256, self.head = summary["doc_id"], summary["sha256"], summary["head"]
        self.sections = tuple(summary["sections"])
        # where its own nodes end: needed only to put shared nodes first seen here among them
        self.ends = (summary["json_ends"], summary["graphml_ends"]) if new_shared else ([], [])
        self.fragment = str(fragment)
        self.new_shared = new_shared  # (own nodes before it, id) of the shared nodes first seen here


def _copy(src: BinaryIO, dst: BinaryIO) -> None:
    src.flush()
    dst.flush()
    size = os.fstat(src.fileno()).st_size
    src.seek(0)
    done = 0
    try:
        while done < size:
            n = os.copy_file_range(src.fileno(), dst.fileno(), size - done)
            if n == 0:
                break
            done += n
    except (AttributeError, OSError):  # another file system, or no copy_file_range: copy through here
        pass
    dst.seek(0, os.SEEK_END)
    src.seek(done)
    shutil.copyfileobj(src, dst, 1 << 20)


def _end_list(fh: BinaryIO, count: int) -> None:
    """Close a one-element-a-line list written as `element,\\n` lines: the last comma goes."""
    if count:
        fh.seek(-2, os.SEEK_END)
        fh.truncate()
    fh.write(b"\n")


class CorpusWriter:
    """graph.json, graph.graphml, the CSV tables and the 任务分工表 of a build, from the documents'
    summaries and fragment files (see the module's docstring). `add` each document in build
    order, then `close` writes the files into out_dir. Holds the shared nodes (bounded by the
    distinct units, entities and indicators) and a few figures per document."""

    def __init__(self, out_dir: Path, cache_dir: Path | None = None, reuse_dir: Path | None = None) -> None:
        # cache_dir / reuse_dir: the 任务分工表's sheet cache of this build and of the OUT it replaces
        self.out_dir, self.cache_dir, self.reuse_dir = out_dir, cache_dir, reuse_dir
        self.docs: list[_Document] = []
        self.shared: dict[str, dict[str, Any]] = {}
        self._members: dict[tuple[str, str], set[str]] = {}
        self._docs_unique: set[str] = set()  # shared nodes whose docs came one document at a time
        self.node_keys: set[str] = set()
        self.edge_keys: set[str] = set()
        self.nodes = self.edges = 0
        self.rows = dict.fromkeys(TABLES, 0)
        self._spools = out_dir / ".spool"
        self._spools.mkdir(exist_ok=True)
        # each document's citations, read back when the CITES edges are written (not held)
        self._citations = (self._spools / "citations.jsonl").open("w+", encoding="utf-8", errors="surrogatepass")

    def add(self, summary: dict[str, Any], fragment: Path) -> None:
        sha = summary["sha256"]
        docs = [sha]  # one string for every mention: the docs lists of 10,000 plans stay small
        new_shared = []
        for before, node_id, label, extra_labels, props in summary["shared"]:
            if props.get("docSha256") == THIS_DOCUMENT:
                props["docSha256"] = sha
            own_docs = props.get("docs") == THIS_DOCUMENT
            if own_docs and node_id in self._docs_unique:
                # each document comes once, so its sha256 is new to the node's docs: no membership
                # set of every document (the lists are the output; the sets would double them)
                del props["docs"]
                merge_node(self.shared, self._members, node_id, label, extra_labels, props)
                self.shared[node_id]["docs"].append(sha)
                continue
            if own_docs:
                props["docs"] = docs
            elif node_id in self._docs_unique:  # a mention merged the general way: its set again
                self._docs_unique.discard(node_id)
                self._members[node_id, "docs"] = set(self.shared[node_id]["docs"])
            if merge_node(self.shared, self._members, node_id, label, extra_labels, props) is not None:
                new_shared.append((before, node_id))
                if own_docs:
                    del self._members[node_id, "docs"]
                    self._docs_unique.add(node_id)
        if summary["citations"]:
            self._citations.write(json.dumps([len(self.docs), summary["citations"]], ensure_ascii=False) + "\n")
        self.docs.append(_Document(summary, fragment, new_shared))
        self.node_keys.update(summary["node_keys"])
        self.edge_keys.update(summary["edge_keys"])
        self.nodes += len(summary["json_ends"])
        self.edges += summary["edges"]
        for name, n in summary["rows"].items():
            self.rows[name] += n

    @property
    def units(self) -> int:
        return sum(1 for data in self.shared.values() if "Unit" in data["labels"])

    def close(self, stage: Callable[[str], AbstractContextManager[Any]] | None = None) -> dict[str, int]:
        """Write every file; returns the row counts of the tables."""
        stage = stage or (lambda _name: nullcontext())
        out = self.out_dir
        heads = {d.doc_id: d.head for d in self.docs}
        plans, current, family_edges = plan_families(heads)
        links = CitationLinks(heads.values())
        spools = self._spools
        node_keys, edge_keys = set(self.node_keys), set(self.edge_keys)
        with stage("graph.json, graph.graphml, the CSV tables, responsibilities.xlsx"), \
                (spools / "edges.json").open("w+b") as json_edges, \
                (spools / "edges.graphml").open("w+b") as graphml_edges, \
                (spools / "cites.json").open("w+b") as json_cites, \
                (spools / "cites.graphml").open("w+b") as graphml_cites:
            # what crosses documents first: CITES (written last) and the keys the header lists
            cites = 0
            self._citations.seek(0)
            for line in self._citations:
                index, citations = json.loads(line)
                d = self.docs[index]
                for u, v, k, data in links.cite(d.doc_id, d.sha256, d.head["planFamily"], citations):
                    json_cites.write(_utf8(_encode({**data, "from": u, "to": v, "key": k}) + ",\n"))
                    graphml_cites.write(graphml_edge(u, v, k, data, edge_keys).encode("utf-8"))
                    cites += 1
            extra_nodes = [*plans, *links.cited.values()]
            for data in (*self.shared.values(), *extra_nodes):
                node_keys |= graphml_node_keys(data)
            for u, v, k, data in family_edges:
                graphml_edge(u, v, k, data, edge_keys)
            with (out / GRAPH_JSON).open("w+b") as graph_json, (out / GRAPHML).open("w+b") as graphml:
                graph_json.write(b'{"directed":true,"multigraph":true,"graph":{},"nodes":[\n')
                graphml.write((GRAPHML_HEAD + graphml_keys(node_keys, edge_keys) + GRAPHML_GRAPH).encode("utf-8"))
                self._write_documents(graph_json, graphml, json_edges, graphml_edges, current)
                for data in extra_nodes:
                    graph_json.write(_utf8(_encode(data) + ",\n"))
                    graphml.write(graphml_node(data["id"], data, set()).encode("utf-8"))
                for u, v, k, data in family_edges:
                    json_edges.write(_utf8(_encode({**data, "from": u, "to": v, "key": k}) + ",\n"))
                    graphml_edges.write(graphml_edge(u, v, k, data, set()).encode("utf-8"))
                self.nodes += len(self.shared) + len(extra_nodes)
                self.edges += len(family_edges) + cites
                _end_list(graph_json, self.nodes)
                graph_json.write(b'],"edges":[\n')
                _copy(json_edges, graph_json)
                _copy(json_cites, graph_json)
                _end_list(graph_json, self.edges)
                graph_json.write(b"]}\n")
                _copy(graphml_edges, graphml)
                _copy(graphml_cites, graphml)
                graphml.write(GRAPHML_TAIL.encode("utf-8"))
        self._citations.close()
        shutil.rmtree(spools, ignore_errors=True)
        return dict(self.rows)

    def _write_documents(self, graph_json: BinaryIO, graphml: BinaryIO, json_edges: BinaryIO,
                         graphml_edges: BinaryIO, current: dict[str, bool]) -> None:
        """Pass 2: each document's fragments into the files, its new shared nodes in place."""
        shared, out = self.shared, self.out_dir
        current_json = b'"current":true'
        current_graphml = f'<data key="{graphml_key_id("node", "current")}">true</data>'.encode()
        tables = {name: (out / f"{name}.csv").open("wb") for name in TABLES}
        sheet = TaskSheetWriter(out / XLSX, cache_dir=self.cache_dir, reuse_dir=self.reuse_dir)
        try:
            for name, columns in TABLES.items():
                tables[name].write(csv_header(columns))
            for d in self.docs:
                with open(d.fragment, "rb") as fh:
                    data = fh.read()
                parts, at = [], 0
                for size in d.sections:
                    parts.append(memoryview(data)[at:at + size])
                    at += size
                for section, ends, fh, encode in (
                        (parts[0], d.ends[0], graph_json, lambda n: _utf8(_encode(shared[n]) + ",\n")),
                        (parts[2], d.ends[1], graphml, lambda n: graphml_node(n, shared[n], set()).encode("utf-8"))):
                    if not current.get(d.doc_id, True):  # an older edition of its plan
                        old = current_json if fh is graph_json else current_graphml
                        new = old.replace(b"true", b"false")
                        ends = _shifted(bytes(section), ends, old, new)
                        section = memoryview(bytes(section).replace(old, new))
                    at = 0
                    for before, node_id in d.new_shared:
                        end = ends[before - 1] if before else 0
                        fh.write(section[at:end])
                        fh.write(encode(node_id))
                        at = end
                    fh.write(section[at:])
                json_edges.write(parts[1])
                graphml_edges.write(parts[3])
                for i, name in enumerate(TABLES, 4):
                    tables[name].write(parts[i])
                sheet.add_document(xlsx_document(d.head), _task_rows(parts[4], parts[-1]))
        except BaseException:
            sheet.abort()  # no half-written workbook
            raise
        finally:
            for fh in tables.values():
                fh.close()
        sheet.close()


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
