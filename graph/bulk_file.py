"""graph.json as the build writes it, read for the embedded load in one pass over its lines.

The general reader (cypher_load.prepare_file) makes a row dict of every element, the load counts
walk those again, and the GRAPH.BULK writer takes the rows apart once more. For the common,
plain file (one element a line, each edge's `from`, `to` and `key` last, as
graph/export.write_graph_elements writes them) this reader keeps each edge as orjson parsed it
(its values in a list), decides what to do with a line's shape once per shape (the names and
the types of its values: a graph has a few dozen), and encodes the edges group by group by
encoders made for that shape (falkor_bulk.slot_encoder), while the server runs the command
before. The nodes (a tenth of the elements) go through cypher_load.prepare_nodes as before.

With EdgeCommands (the embedded load), the edges are read by a process forked as soon as
graph.json is read: the child numbers the nodes itself (each node's internal id, from each
node line's id and labels, which the build writes first: no parse of the node texts; this
process checks a digest of that numbering against its own, made of the parsed lines), cuts
the edge lines, writes each document's sorted edge texts (for its digest; each line's
document found by the text of its docSha256, before any parse) into an unnamed file and says
where, then parses the lines (each docSha256 checked against the text's) and writes the
GRAPH.BULK commands of the edges there too, telling each as soon as it is written (this
process sends it at once, so that the server runs one while the next is made), and last what
they hold, so that nothing here waits for its exit. This process meanwhile parses the nodes,
makes their rows and the load counts, of each edge line's type and ends as found in its text
by one regular expression (no parse), adds the digests, and encodes and sends the node
commands, then the child's. What comes back is bytes and a small dict, never the parsed
edges (pickling those cost more than it saved).

Anything else (another layout, a line of another shape, a value this path does not carry, a
missing endpoint, a duplicate id, a value GRAPH.BULK refuses) raises NotPlain, and the caller
loads by the general path, which reports any error in the file as it always has. The rows,
counts, digests and bytes sent are the general path's, value for value.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import struct
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import orjson
from policykg.graph.cypher_load import (
    LABEL_PATTERN,
    PROPERTY_PATTERN,
    REL_TYPE_PATTERN,
    PreparedGraph,
    _canonical,
    _digest,
    link_counts,
    node_labels,
    prepare_nodes,
    sorted_rows,
)
from policykg.graph.falkor_bulk import (
    _ENDS,
    MAX_COMMAND_BYTES,
    BulkUnsupported,
    BulkWriter,
    command_frame,
    command_step,
    merged_names,
    slot_encoder,
)
from policykg.graph.fd_writes import write_all
from policykg.graph.forked import Forked

_NODES_HEAD = b',"nodes":['
_EDGES_HEAD = b'\n],"edges":[\n'
_TAIL = b"\n]}\n"
_SCALARS = (str, int, float, bool)
_NoneType = type(None)


class NotPlain(Exception):
    """The graph (or a value in it) is not in the form this reader handles: load it by the
    general path."""


@dataclass(frozen=True, eq=False)
class EdgeShape:
    """What to do with an edge line of one shape (its property names and value types)."""

    names: tuple[str, ...]  # the relationship's properties: no type, from, to or null value; key last
    slots: tuple[tuple[int, type], ...]  # (place in the line's values, type) of each of `names`
    sha: int  # place of docSha256 among the values, or -1

    def props(self, values: Sequence[Any]) -> list[Any]:
        """The values of `names` in a line's values."""
        return [values[place] for place, _kind in self.slots]

    @staticmethod
    def ends(values: Sequence[Any]) -> tuple[str, str]:
        """The line's from and to ids."""
        return values[-3], values[-2]


def _edge_shape(names: tuple[str, ...], types: tuple[type, ...]) -> EdgeShape:
    """The shape of a plain edge line: type first, from, to and key last, text ids and key."""
    if len(names) < 4 or names[0] != "type" or names[-3:] != ("from", "to", "key") \
            or types[0] is not str or types[-3:] != (str, str, str):
        raise NotPlain("an edge line of another shape")
    slots = []
    for place in range(1, len(names) - 3):
        kind = types[place]
        if kind is _NoneType:
            continue  # not set, as the general path leaves a null out
        if kind not in _SCALARS or not PROPERTY_PATTERN.match(names[place]):
            raise NotPlain("an edge value or name the general path checks")
        slots.append((place, kind))
    slots.append((len(names) - 1, str))  # key: the relationship's last property
    sha = names.index("docSha256") if "docSha256" in names else -1
    if sha >= 0 and types[sha] is not str:
        sha = -1 if types[sha] is _NoneType else -2
        if sha == -2:
            raise NotPlain("a docSha256 that is not text")
    return EdgeShape(tuple(names[place] for place, _kind in slots), tuple(slots), sha)


EdgeRow = tuple[EdgeShape, list[Any], bytes]  # shape, the line's values, the ends as GRAPH.BULK names them


@dataclass
class PlainGraph:
    """prepare_file's PreparedGraph (no edge rows) and the edges per (source label, type,
    target label), each as read, its ends already the nodes' internal ids; or, with edge_job,
    none here: a forked process makes their commands."""

    prepared: PreparedGraph
    edge_groups: dict[tuple[str, str, str], list[EdgeRow]]
    edge_job: EdgeJob | None = None


def _layout(data: bytes) -> tuple[int, int, int, int]:
    """Where the parts of a plain graph.json are: the start of the first node line, the newline
    that ends the node lines (the edges' head's first byte), and the edge lines' start and end
    (as _edge_texts cuts them); NotPlain for another layout."""
    head_end = data.find(b"\n") + 1
    head = data[:head_end]
    if not head.startswith(b"{") or not head.endswith(_NODES_HEAD + b"\n") or b'"graph":' not in head:
        raise NotPlain("another layout")
    orjson.loads(head[head.index(b'"graph":') + 8:-len(_NODES_HEAD) - 1])
    # the nodes end at the edges' head (found by the whole head: a long pattern skips ahead
    # faster than "\n]"); a line starting with "]" before it is caught below (a newline not
    # between two elements) and would not parse
    nodes_end = data.find(_EDGES_HEAD, head_end - 1)
    if nodes_end < 0 or not data.endswith(_TAIL):
        raise NotPlain("another layout")
    return head_end, nodes_end, nodes_end + len(_EDGES_HEAD), len(data) - len(_TAIL) + 1


def _node_texts(data: bytes, head_end: int, nodes_end: int) -> list[bytes]:
    """The node texts (each line without its `,\\n`; the last keeps its newline, as
    iter_graph_lines yields it) between the places _layout gives."""
    return data[head_end:nodes_end + 1].split(b",\n") if nodes_end >= head_end else []


def _edge_texts(data: bytes, start: int, end: int) -> list[bytes]:
    """The edge lines between start and end (as _layout gives them), each without its `,\\n`."""
    return data[start:end].split(b",\n") if start < end else []


def read_plain(path: Path, edges_to: EdgeCommands | None = None) -> PlainGraph:
    """The plain graph.json at path, or NotPlain (whatever else went wrong included: the
    general path then says what, as it always has). edges_to: the edges are encoded into
    GRAPH.BULK commands by a forked process meanwhile (PlainGraph.edge_job), not kept here."""
    try:
        return _read_plain(path.read_bytes(), edges_to)
    except NotPlain:
        raise
    except Exception as exc:
        raise NotPlain(f"{type(exc).__name__}: {exc}") from exc


def _read_plain(data: bytes, edges_to: EdgeCommands | None = None) -> PlainGraph:
    head_end, nodes_end, edges_start, edges_end = _layout(data)
    # the edges' process first (it numbers the nodes itself, from each line's id and labels):
    # what follows is done meanwhile
    job = edges_to.start(data, head_end, nodes_end, edges_start, edges_end) if edges_to is not None else None
    try:
        node_texts = _node_texts(data, head_end, nodes_end)
        loads = orjson.loads
        nodes = []
        for text in node_texts:
            element = loads(text)
            nodes.append((element.pop("id"), element))
        node_of = _node_numbers([(node_id, element.get("label"), element.get("labels"))
                                 for node_id, element in nodes])
        if job is not None:
            return _read_plain_forked(data, nodes, len(node_texts), node_of, edges_start, edges_end, job)
    except BaseException:
        if job is not None:
            job.close()
        raise
    may_hold_nul = b"\\u0000" in data
    _check_node_lines(data, edges_start, len(node_texts))
    edge_texts = _edge_texts(data, edges_start, edges_end)
    _check_lines(data, edges_start, edges_end, len(edge_texts))
    edge_rows, shas = _document_texts(edge_texts)
    groups = _edge_groups(edge_texts, node_of, shas)
    rows = prepare_nodes(nodes, _numbered_counts(nodes, node_of, groups), own_data=True)
    owned_rows = rows.owned_rows
    for sha, texts in edge_rows.items():
        owned_rows[sha].extend(texts)
    for sha, doc in rows.documents.items():
        doc["digest"] = _digest(owned_rows[sha])
    if not all(map(LABEL_PATTERN.match, rows.labels)):
        raise NotPlain("a label the general path refuses")
    prepared = PreparedGraph(rows.node_groups, {}, rows.documents, rows.owned_by, sorted(rows.labels),
                             rows.node_count, len(edge_texts), may_hold_nul=may_hold_nul)
    return PlainGraph(prepared, groups)


NodeHead = tuple[Any, Any, Any]  # a node's id, label and labels, as the line gives them


def _node_numbers(heads: Sequence[NodeHead]) -> dict[str, tuple[str, int]]:
    """Each node's primary label and internal id (its label set's nodes in file order, the sets
    in sorted order: the order the load creates them in), of (id, label, labels) in file order;
    NotPlain for an id that is not text, labels of another shape, an id given twice."""
    members: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    labels_of: dict[tuple[Any, ...], tuple[str, tuple[str, ...]]] = {}
    for node_id, label, labels in heads:
        if type(node_id) is not str or not node_id:
            raise NotPlain("a node id that is not text")
        if type(labels) is not list or type(label) is not str:
            raise NotPlain("node labels of another shape")
        key = (label, *labels)
        found = labels_of.get(key)
        if found is None:
            found = labels_of[key] = node_labels(node_id, {"label": label, "labels": labels})
        members[found].append(node_id)
    node_of: dict[str, tuple[str, int]] = {}
    number = 0
    for group in sorted(members):
        for node_id in members[group]:
            node_of[node_id] = (group[0], number)
            number += 1
    if len(node_of) != len(heads):
        raise NotPlain("a node id given twice")
    return node_of


def _numbering_digest(node_of: dict[str, tuple[str, int]]) -> bytes:
    """A digest of node_of (its order is the numbering): the edges' process's, which numbers the
    nodes from each line's head alone, must be the one this process made from the parsed lines."""
    return hashlib.sha256(orjson.dumps([*node_of.items()])).digest()


# a node line's start (the newline before it), id, label and labels as the build writes them
# first (plain texts, no escape); a line that writes them otherwise is parsed whole (_head_numbers)
_NODE_HEAD = re.compile(rb'\n\{"id":"([^"\\]*)","label":"([^"\\]*)","labels":\[((?:"[^"\\]*"(?:,(?="))?)*)\]')


def _head_numbers(data: bytes, head_end: int, nodes_end: int) -> dict[str, tuple[str, int]]:
    """_node_numbers of the node lines between the places _layout gives, each line's id and
    labels found at its start by _NODE_HEAD (no parse of the rest: the node texts are most of
    a node line); a line that does not start so is parsed whole."""
    find, match, loads = data.find, _NODE_HEAD.match, orjson.loads
    labels_of: dict[tuple[bytes, bytes], tuple[str, list[str]]] = {}
    heads: list[NodeHead] = []
    at = head_end - 1  # the newline before each node line (the last line ends at nodes_end)
    while 0 <= at < nodes_end:
        found = match(data, at)
        if found is None:
            end = find(b"\n", at + 1, nodes_end + 1)
            text = data[at + 1:end]
            element = loads(text[:-1] if text.endswith(b",") else text)
            heads.append((element.get("id"), element.get("label"), element.get("labels")))
            at = end
            continue
        node_id, label, labels = found.groups()
        parsed = labels_of.get((label, labels))
        if parsed is None:
            parsed = labels_of[(label, labels)] = (label.decode(), orjson.loads(b"[" + labels + b"]"))
        heads.append((node_id.decode(), *parsed))
        at = find(b"\n", found.end(), nodes_end + 1)
    return _node_numbers(heads)


def _numbered_counts(nodes: list[tuple[str, dict[str, Any]]], node_of: dict[str, tuple[str, int]],
                     groups: dict[tuple[str, str, str], list[EdgeRow]]) -> dict[str, dict[str, int]]:
    """The load counts of the edges as read, each node named by its internal id (an int is
    hashed at once, a text is not; the counts are keyed by the ids again)."""
    links: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (_source, rel_type, _target), rows in groups.items():
        links[rel_type] += map(_ENDS_OF, map(itemgetter(2), rows))
    ids = {number: node_id for node_id, (_label, number) in node_of.items()}
    counts = link_counts([(node_of[node_id][1], element) for node_id, element in nodes], links.items())
    return {ids[number]: found for number, found in counts.items()}


_ENDS_OF: Callable[[bytes], tuple[int, int]] = struct.Struct("=QQ").unpack  # a row's ends as GRAPH.BULK names them


def _check_node_lines(data: bytes, edges_start: int, lines: int) -> None:
    """NotPlain unless the newlines before the edges are the head's, one after each node line
    and the edges' head's (a line each, no blank one, no other line starting with "]": the
    ends iter_graph_lines reads); the edges' are _check_lines'."""
    _check_lines(data, 0, edges_start, lines + 2)


def _check_lines(data: bytes, start: int, end: int, lines: int) -> None:
    """NotPlain unless the edge lines between start and end (`lines` of them, as _layout
    gives them) hold no newline but the one after each: no blank line, no element over two."""
    if data.count(b"\n", start, end) != lines:
        raise NotPlain("blank lines, or elements not one a line")


def _read_plain_forked(data: bytes, nodes: list[tuple[str, dict[str, Any]]], node_lines: int,
                       node_of: dict[str, tuple[str, int]], edges_start: int, edges_end: int,
                       job: EdgeJob) -> PlainGraph:
    """_read_plain with the edges read by a forked process (_edge_commands, started before the
    nodes were parsed here): it sends back each document's edge texts for its digest, then
    makes the edges' commands, while this one makes the node rows and the load counts (of the
    lines' types and ends, found without parsing them)."""
    try:
        # only the nodes' texts: the edges' commands are the other process's, which looks in theirs
        may_hold_nul = data.find(b"\\u0000", 0, edges_start) >= 0
        _check_node_lines(data, edges_start, node_lines)
        # the counts first: they read the nodes' labels, which their rows then take out in place
        counts, scanned = _scanned_counts(data, edges_start, edges_end, nodes)
        rows = prepare_nodes(nodes, {}, canonical=False, own_data=True)
        owned_by = rows.owned_by
        owned_rows: dict[str, list[bytes]] = defaultdict(list)
        for group in rows.node_groups.values():
            for row in group:
                node_id = row["id"]
                found = counts.get(node_id)
                if found:  # where prepare_nodes(nodes, counts) puts them: after the node's own
                    row["props"].update(found)
                sha = owned_by.get(node_id)
                if sha:  # a Document or a Task: its row in the document's digest
                    owned_rows[sha].append(_canonical(row))
        # a document's rows sorted: its Document and Task rows (each `["",{…`) before its edges'
        # texts (each `{…`, sorted and joined by the other process), as _digest sorts them all
        digests = {sha: hashlib.sha256(sorted_rows(owned_rows[sha])) for sha in rows.documents}
        parts, edge_count, numbering = job.message()
        if numbering != _numbering_digest(node_of):
            raise NotPlain("a node line whose id and labels are not written as the build writes them")
        if scanned != edge_count:
            raise NotPlain("an edge line whose type, from, to and key are not written as the build writes them")
        for sha, doc in rows.documents.items():
            digest = digests[sha]
            if sha in parts:
                digest.update(job.read(*parts[sha]))
            doc["digest"] = digest.hexdigest()
        if not all(map(LABEL_PATTERN.match, rows.labels)):
            raise NotPlain("a label the general path refuses")
        prepared = PreparedGraph(rows.node_groups, {}, rows.documents, rows.owned_by, sorted(rows.labels),
                                 rows.node_count, edge_count, may_hold_nul=may_hold_nul)
    except BaseException:
        job.close()
        raise
    return PlainGraph(prepared, {}, job)


_SHA_KEY = b'"docSha256":"'


def _document_texts(edge_texts: list[bytes]) -> tuple[dict[str, list[bytes]], list[str | None]]:
    """The texts of each document's edges (for its digest), each edge's document found by the
    text of its docSha256 (no parse: the digests are ready long before the edges are parsed);
    and that sha256 of each line (None: none found), which _edge_groups checks against the
    parsed value (a line that writes it otherwise, with escapes, say, is NotPlain there)."""
    edge_rows: dict[str, list[bytes]] = defaultdict(list)  # sha256 -> texts of the document's edges
    shas: list[str | None] = []
    names: dict[bytes, str] = {}
    key, size = _SHA_KEY, len(_SHA_KEY)
    for text in edge_texts:
        at = text.find(key)
        if at < 0:
            shas.append(None)
            continue
        at += size
        value = text[at:text.find(b'"', at)]
        sha = names.get(value)
        if sha is None:
            sha = names[value] = value.decode(errors="replace")
        if sha:
            edge_rows[sha].append(text)
            shas.append(sha)
        else:
            shas.append(None)
    return edge_rows, shas


def _edge_groups(edge_texts: list[bytes], node_of: dict[str, tuple[str, int]], shas: list[str | None]
                 ) -> dict[tuple[str, str, str], list[EdgeRow]]:
    """The edges per (source label, type, target label), each as read with its ends as
    GRAPH.BULK names them; NotPlain for a line whose parsed docSha256 is not the one
    _document_texts found in its text (shas)."""
    loads = orjson.loads
    shapes: dict[tuple[tuple[str, ...], tuple[type, ...]], EdgeShape] = {}
    groups: dict[tuple[str, str, str], list[EdgeRow]] = defaultdict(list)
    rel_types: set[str] = set()
    ends = _ENDS
    for text, found in zip(edge_texts, shas):
        element = loads(text)
        values = [*element.values()]
        signature = (tuple(element), tuple(map(type, values)))
        shape = shapes.get(signature)
        if shape is None:
            shape = shapes[signature] = _edge_shape(*signature)
        rel_type = values[0]
        if rel_type not in rel_types:
            if not REL_TYPE_PATTERN.match(rel_type):
                raise NotPlain("a relationship type the general path refuses")
            rel_types.add(rel_type)
        source, target = node_of[values[-3]], node_of[values[-2]]
        groups[(source[0], rel_type, target[0])].append((shape, values, ends(source[1], target[1])))
        if (values[shape.sha] or None if shape.sha >= 0 else None) != found:
            raise NotPlain("an edge whose docSha256 is not written as the build writes it")
    return dict(groups)


# an edge line's type, from and to (the ids as the line writes them: escapes left in), found
# in the text without parsing it, so that the counts are made while another process parses
# the lines (an id holding a quote is not found: the general path loads that graph). No "^":
# the pattern's first characters are then searched for as a literal (a third less time), and
# a match can start only where an object starts: a line's start, where it takes the whole
# line, else inside a line that starts otherwise, which the other process finds not plain
# (an edge line of another shape, or an object as a value)
_EDGE_LINKS = re.compile(rb'\{"type":"([A-Z][A-Z0-9_]*)".*,"from":"([^"]*)","to":"([^"]*)","key":"[^"]*"\},?$',
                         re.MULTILINE)


def _scanned_counts(data: bytes, start: int, end: int, nodes: list[tuple[str, dict[str, Any]]]
                    ) -> tuple[dict[str, dict[str, int]], int]:
    """The load counts of the edge lines between start and end (as _layout gives them),
    made of each line's type, from and to as found in the text (each node named by its place
    in `nodes`: an int is hashed at once, a text is not); and how many lines held them (the
    caller checks that it is every edge: a line not found means a graph that is not plain)."""
    found = _EDGE_LINKS.findall(data, start, end)
    number_of = {node_id.encode(): number for number, (node_id, _element) in enumerate(nodes)}

    def as_parsed(found: list[tuple[bytes, bytes, bytes]]) -> list[tuple[bytes, bytes, bytes]]:
        def unescaped(text: bytes) -> bytes:  # an id written with escapes: as parsed, in UTF-8
            return orjson.loads(b'"' + text + b'"').encode() if b"\\" in text else text

        return [(rel_type, unescaped(source), unescaped(target)) for rel_type, source, target in found]

    def ends_of(found: list[tuple[bytes, bytes, bytes]]) -> dict[bytes, list[tuple[int, int]]]:
        pairs: dict[bytes, list[tuple[int, int]]] = defaultdict(list)
        for rel_type, source, target in found:  # a KeyError for an end no node has (read_plain: NotPlain)
            pairs[rel_type].append((number_of[source], number_of[target]))
        return pairs

    if any(b"\\" in node_id for node_id in number_of):
        pairs = ends_of(as_parsed(found))
    else:  # no end written with a backslash names a node as it stands: the ends as written, unless one is not found
        try:
            pairs = ends_of(found)
        except KeyError:
            pairs = ends_of(as_parsed(found))
    counts = link_counts([(number, element) for number, (_node_id, element) in enumerate(nodes)],
                         [(rel_type.decode(), links) for rel_type, links in pairs.items()])
    return {nodes[number][0]: found_counts for number, found_counts in counts.items()}, len(found)


@dataclass
class EdgeCommands:
    """Where the edges' GRAPH.BULK commands go when a forked process makes them: the graph, the
    commands' limits (BulkWriter's) and the folder of the file that holds them meanwhile."""

    graph: str
    max_entities: int
    folder: Path
    max_bytes: int = MAX_COMMAND_BYTES

    def start(self, data: bytes, head_end: int, nodes_end: int, start: int, end: int) -> EdgeJob:
        """The process started on graph.json's bytes and the places _layout found in them."""
        # gone when closed (EdgeJob.close: the file outlives this call)
        handle = tempfile.TemporaryFile(dir=self.folder, prefix=".edges-")  # noqa: SIM115
        told, telling = os.pipe()  # where in the file the digests' texts are, then each command as it is written
        parent = os.getpid()
        try:
            job = Forked.start(lambda: _edge_commands(data, (head_end, nodes_end), start, end, self,
                                                      handle.fileno(), telling, os.getpid() != parent))
        except BaseException:
            handle.close()
            os.close(told)
            raise
        finally:
            os.close(telling)  # the child's copy is its own: its end (or death) ends what is read here
        return EdgeJob(job, handle, told)


Frame = tuple[int, int, str]  # (offset in the file, size, what the command holds)
# each document's edge texts (offset, size), edges, the digest of the nodes' numbering (_numbering_digest)
Parts = tuple[dict[str, tuple[int, int]], int, bytes]
_PLACE = struct.Struct("=QQ")
_FRAME = struct.Struct("=QQI")  # a command's offset and size, the length of what it holds (UTF-8)


@dataclass
class EdgeJob:
    """The forked process making the edges' commands, and the file it writes them into."""

    job: Forked
    handle: IO[bytes]
    told: int | None  # the pipe on which it says where the digests' texts are, then each command
    relationships: int = 0  # once frames() is done: relationships and properties set in the commands
    properties: int = 0
    finished: bool = False  # the process told its last command and what they hold

    def _told(self, size: int) -> bytes:
        """size bytes from the pipe, or b"" at its end (NotPlain when it ends within them)."""
        assert self.told is not None
        data = b""
        while len(data) < size:
            chunk = os.read(self.told, size - len(data))
            if not chunk:
                if data:
                    raise NotPlain("the process encoding the relationships ended mid-message")
                return b""
            data += chunk
        return data

    def message(self) -> Parts:
        """Where each document's edge texts are (offset, size) and how many edges there are,
        once the process has read every edge; NotPlain for a graph it found not plain, or when
        it ended without saying."""
        place = self._told(_PLACE.size)
        if not place:
            raise NotPlain("the process reading the relationships ended without its counts")
        ok, value = pickle.loads(self.read(*_PLACE.unpack(place)))
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def frames(self) -> Iterator[Frame]:
        """Each command as soon as the process has written it (then relationships and
        properties are set); NotPlain for a graph it found not plain, and what the process
        raised when it failed."""
        streamed = 0
        while head := self._told(_FRAME.size):
            offset, size, length = _FRAME.unpack(head)
            text = self._told(length)
            if not size:  # its last word (a command is never empty): what the commands hold, told
                # before it ends, so that nothing here waits for its exit (the kernel freeing its memory)
                self.relationships, self.properties, told = pickle.loads(text)
                if told != streamed:
                    raise NotPlain("the process encoding the relationships ended mid-message")
                self.finished = True
                return
            yield offset, size, text.decode()
            streamed += 1
        kept, self.relationships, self.properties, told = self.job.result()
        if told != streamed:
            raise NotPlain("the process encoding the relationships ended mid-message")
        yield from kept

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self.handle.fileno(), size, offset)

    def close(self) -> None:
        if self.finished:  # it is ending by itself: reaped without waiting for it
            self.job.release()
        else:
            self.job.stop()
        self.handle.close()
        if self.told is not None:
            os.close(self.told)
            self.told = None


def _edge_commands(data: bytes, node_lines: tuple[int, int], start: int, end: int,
                   spec: EdgeCommands, fd: int, telling: int, stream: bool
                   ) -> tuple[list[Frame], int, int, int]:
    """(In the forked process.) The nodes numbered (_head_numbers of the node_lines' span, as
    _layout gives it; the other process checks the numbering's digest against its own), each
    document's edge texts (sorted, joined as _digest joins them) written into fd and their
    place told on `telling`; then every edge parsed and encoded
    into GRAPH.BULK commands after the node commands (no BEGIN), each written whole into fd
    as the Redis protocol sends it and told on `telling` at once (so that the server runs
    one while the next is made; a full pipe only holds this process back until the other
    reads), and last a record of no command (size 0) with what they hold. Returns (the
    commands not told, relationships, properties set, commands told); stream False (run in the
    same process, where nothing reads the pipe meanwhile): every command returned instead."""
    frames: list[Frame] = []
    offset = 0
    told = 0

    def put(blob: bytes) -> tuple[int, int]:
        nonlocal offset
        write_all(fd, blob)
        place = (offset, len(blob))
        offset += len(blob)
        return place

    message: tuple[bool, Any]
    try:
        node_of = _head_numbers(data, *node_lines)
        edge_texts = _edge_texts(data, start, end)
        _check_lines(data, start, end, len(edge_texts))
        edge_rows, shas = _document_texts(edge_texts)
        parts = {}
        for sha, texts in edge_rows.items():
            joined = sorted_rows(texts)
            if texts[0][:1] <= b"[":  # would sort among the node rows
                raise NotPlain("an edge line that does not start with {")
            parts[sha] = put(joined)
        message = (True, (parts, len(edge_texts), _numbering_digest(node_of)))
    except NotPlain as exc:
        message = (False, exc)
    except Exception as exc:  # what read_plain would have made of it
        message = (False, NotPlain(f"{type(exc).__name__}: {exc}"))
    write_all(telling, _PLACE.pack(*put(pickle.dumps(message))))
    if not message[0]:
        raise message[1]
    try:  # (told the texts first: the other process makes the digests while these are parsed)
        groups = _edge_groups(edge_texts, node_of, shas)
    except NotPlain:
        raise
    except Exception as exc:  # what read_plain would have made of it
        raise NotPlain(f"{type(exc).__name__}: {exc}") from exc

    def write(args: list[Any]) -> None:
        nonlocal told
        frame = command_frame(["GRAPH.BULK", *args])
        what = command_step(args)
        place = put(frame)
        if stream:
            text = what.encode()
            write_all(telling, _FRAME.pack(*place, len(text)) + text)
            told += 1
        else:
            frames.append((*place, what))

    check_nul = data.find(b"\\u0000", start, end) >= 0  # (a NUL in a node's text is the other process's to find)
    writer = BulkWriter(spec.graph, write, spec.max_entities, spec.max_bytes, check_nul)
    writer.commands = 1  # the node commands come first, the first of them with BEGIN
    try:
        for _rel_type in encode_groups(writer, groups, check_nul):
            pass
    except (BulkUnsupported, UnicodeEncodeError, struct.error, OverflowError) as exc:
        raise NotPlain(f"a value for the general path to report: {exc}") from exc
    writer.flush()
    if stream:
        last = pickle.dumps((writer.relationships, writer.properties, told))
        write_all(telling, _FRAME.pack(0, 0, len(last)) + last)
    return frames, writer.relationships, writer.properties, told


def add_relationships(writer: BulkWriter, graph: PlainGraph, check_nul: bool) -> Iterator[str]:
    """The edges of each group, in sorted group order, into the writer (yields each group's
    type once it is in): one header per group as BulkWriter._add makes it, an encoder per line
    shape for that header (a property a shape lacks: null); a group with a shape whose names
    come in another order goes through _add itself. Each group is taken out of graph.edge_groups
    as it is encoded (its rows are freed while the server runs the commands, not after)."""
    return encode_groups(writer, graph.edge_groups, check_nul)


def encode_groups(writer: BulkWriter, edge_groups: dict[tuple[str, str, str], list[EdgeRow]],
                  check_nul: bool) -> Iterator[str]:
    """add_relationships of these groups (emptied as they are encoded)."""
    shape_of: Callable[[EdgeRow], EdgeShape] = itemgetter(0)  # type: ignore[assignment]
    for key in sorted(edge_groups):
        rel_type, rows = key[1], edge_groups.pop(key)
        shapes = list(dict.fromkeys(map(shape_of, rows)))
        header = tuple(merged_names(dict.fromkeys(shape.names for shape in shapes)))
        position = {name: number for number, name in enumerate(header)}
        encoders = {}
        for shape in shapes:
            places = [position[name] for name in shape.names]
            if places != sorted(places):
                break
            slots: list[tuple[int, type] | None] = [None] * len(header)
            for place, slot in zip(places, shape.slots):
                slots[place] = slot
            encoders[shape] = slot_encoder(tuple(slots), check_nul)
        else:
            if len(shapes) == 1:
                encode = encoders[shapes[0]]
                parts = [encode(ends, values) for _shape, values, ends in rows]
                properties = len(rows) * len(shapes[0].slots)
            else:
                parts = [encoders[shape](ends, values) for shape, values, ends in rows]
                properties = sum(len(shape.slots) for shape in map(shape_of, rows))
            writer.add_encoded_relationships(rel_type, header, parts, properties)
            yield rel_type
            continue
        writer._add(rel_type, ((shape.names, shape.props(values), ends) for shape, values, ends in rows), edges=True)
        writer.relationships += len(rows)
        yield rel_type
