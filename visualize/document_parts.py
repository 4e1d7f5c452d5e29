"""A document's part of the views, made once per document (in the build's extraction worker,
and kept in the build cache beside its fragment), so that the views of a build mostly renumber
and copy: its edges as data.js draws them (the rows of data.js's edges are the bulk of the
views' work: hundreds of thousands of edges), and what the views keep of its task nodes
(views.task_record: their labels, names and tooltips' own lines).

What an edge's row holds that depends on the whole graph is numbers: its ends (node positions in
graph.json), its type (numbered in the order the types first occur), its document (the documents
sorted by name) and its written form and quote (numbers into data.js's `strings`, in the order
they first occur). A document's part numbers each of these in its own tables, in the order they
first occur in its edges; `EdgeRows.add` maps its tables onto the graph's, which, taken in the
order graph.json lists the documents' edges, gives every number the graph-wide numbering gives
(first occurrences stay in the same order). The rest of a row (its key, task path and target
value, and how many of its trailing fields are empty) is the document's alone. A task node is
one document's: its record is the one the views make of its line in graph.json.

A part is three lines: the code that made it (`part_version`), the edges' columns, the task
records (one per node of the document's own, None for its Document). A part of another
version, or none (a document cached by a build without views), is made again from the
document's fragment (by the views' edge reader; the views' main process then reads those
nodes from graph.json itself).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import orjson

VIEWS_PART = ".views"  # the suffix of a document's part in the build cache, beside its fragment
_TRIM = tuple(slice(0, n) for n in range(10))


@cache
def part_version() -> bytes:
    """A digest of the code that makes a part (this module and the views' row code)."""
    here = Path(__file__).parent
    digest = hashlib.sha256(b"policykg-views-part-1")
    for name in ("document_parts.py", "views.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16].encode()


def document_part(node_lines: bytes | memoryview, edge_lines: bytes | memoryview) -> bytes:
    """The part of a document whose own nodes' and edges' graph.json lines (`element,\\n` lines,
    as its fragment holds them) are `node_lines` and `edge_lines`."""
    from policykg.visualize.views import _parsed_lines

    edges = _parsed_lines(bytes(edge_lines)) if edge_lines else []
    nodes = _parsed_lines(bytes(node_lines)) if node_lines else []
    return _part(nodes, edges)


# the fields of an edge the views read (_part_of, views._target_value)
VIEWED_EDGE_FIELDS = ("from", "to", "type", "key", "docSha256", "written", "quote", "taskPath", "year", "qualifier",
                      "value", "valueMax", "unit")


def encoded_part(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], lines: list[bytes]) -> bytes | None:
    """The part of a document from the values its fragment's lines were encoded from
    (graph/record.py's `views`: its nodes, its edges as the fields the views read, its edge
    lines), without parsing the lines back: the part document_part makes of them. The first
    edge of each type and the last are checked against their lines, field by field; None if one
    differs (the part is then made from the lines)."""
    if len(edges) != len(lines):
        return None
    first: dict[Any, int] = {}
    for at, data in enumerate(edges):
        first.setdefault(data["type"], at)
    get = dict.get
    for at in {*first.values(), len(edges) - 1} - {-1}:
        line, data = orjson.loads(lines[at]), edges[at]
        if list(map(get, repeat(line), VIEWED_EDGE_FIELDS)) != list(map(get, repeat(data), VIEWED_EDGE_FIELDS)):
            return None
    return _part(nodes, edges)


def _part(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> bytes:
    """A part: its version line, its edges' columns, its task records (one per own node)."""
    from policykg.visualize.views import task_record

    tasks = [task_record(data, data["id"]) if data.get("label") == "Task" and type(data["id"]) is str else None
             for data in nodes]
    return part_version() + b"\n" + _encode_part(_part_of(edges)) + b"\n" + _encode_part(tasks)


def _encode_part(part: dict[str, Any]) -> bytes:
    from policykg.visualize.views import _encode

    return _encode(part)


def _str_all(values: list[Any]) -> list[str]:
    from policykg.visualize.views import _all_str

    return values if _all_str(values) else [v if type(v) is str else str(v) for v in values]


def _numbered(values: list[Any], table: list[Any], numbers: dict[Any, int]) -> list[int]:
    """Each value's number in `table` (numbered in the order values first occur)."""
    found = list(map(numbers.get, values))
    if None in found:
        for at in [at for at, n in enumerate(found) if n is None]:
            value = values[at]
            n = numbers.get(value)
            if n is None:
                n = numbers[value] = len(table)
                table.append(value)
            found[at] = n
    return found


def _table(values: list[Any], first: tuple[Any, ...] = ()) -> tuple[list[Any], list[int]]:
    """The distinct values in the order they first occur (after `first`), and each value's
    number in that table."""
    table = list(dict.fromkeys(chain(first, values)))
    number = dict(zip(table, range(len(table)), strict=True))
    return table, list(map(number.__getitem__, values))


def _part_of(edges: list[dict[str, Any]]) -> dict[str, Any]:
    """The columns of a document's edges (see the module's docstring): the same fields, a field
    at a time, as views.GraphIndex._add_edge_rows makes of them."""
    from policykg.visualize.views import _short_key_of, _target_value

    sources = [data["from"] for data in edges]
    targets = [data["to"] for data in edges]
    ids, ends = _table(sources + targets)
    types, type_numbers = _table(_str_all([data.get("type") for data in edges]))
    # a key is "TYPE:n" for a small n (the n-th edge of its type between two nodes): the same few
    # (type, key) pairs recur
    pairs = list(zip(map(types.__getitem__, type_numbers), [data.get("key") for data in edges], strict=True))
    try:
        short = {pair: _short_key_of(pair[1], pair[0]) for pair in dict.fromkeys(pairs)}
        keys = list(map(short.__getitem__, pairs))
    except TypeError:  # (a key that is no str or number: unhashable)
        keys = [_short_key_of(key, name) for name, key in pairs]
    shas, docs = _table(_str_all([data.get("docSha256") for data in edges]))
    written = _str_all([data.get("written") or "" for data in edges])
    quotes = _str_all([data.get("quote") or "" for data in edges])
    strings, texts = _table(list(chain.from_iterable(zip(written, [text[:200] for text in quotes]))), ("",))
    paths = _str_all([data.get("taskPath") or "" for data in edges])
    targets_number = types.index("TARGETS") if "TARGETS" in types else -1
    values = ["" if n != targets_number else _target_value(data) for data, n in zip(edges, type_numbers, strict=True)]
    sizes = []
    for n, w, q, path, value in zip(type_numbers, texts[0::2], texts[1::2], paths, values):
        if n == targets_number:
            size = 9 if value else 8 if path else 7 if q else 6 if w else 5
        else:
            size = 8 if path else 7 if q else 6 if w else 5
        sizes.append(size)
    half = len(edges)
    return {"edges": half, "ids": ids, "types": types, "shas": shas, "strings": strings,
            "source": ends[:half], "target": ends[half:], "type": type_numbers, "doc": docs, "key": keys,
            "text": texts, "path": paths, "value": values, "size": sizes}


def read_part(data: bytes, line: int) -> Any:
    """A part's edge columns (line 1) or task records (line 2), None if it was made by other code."""
    from policykg.visualize.views import _loads

    lines = data.split(b"\n")
    if lines[0] != part_version() or len(lines) != 3:
        return None
    return _loads(lines[line])


def part_file(fragment: str | Path) -> Path:
    """Where the build cache keeps the part of the document whose fragment file is `fragment`."""
    return Path(fragment).with_suffix(VIEWS_PART)


@dataclass
class BuiltDocuments:
    """Where a build's graph.json has its documents' nodes and edges from: each document's lines
    in its fragment file, in graph.json's order, as (fragment, size of its node lines, size of
    its edge lines (after them), how many edges, how many nodes of its own, and the shared nodes
    graph.json puts among them: for each, how many own nodes come before it); then `tail` edges
    of the corpus's own (plan families, citations); `edges` in all."""

    files: list[tuple[str, int, int, int, int, list[int]]]
    tail: int

    @property
    def edges(self) -> int:
        return sum(file[3] for file in self.files) + self.tail

    def edge_part(self, fragment: str, nodes_size: int, edges_size: int) -> dict[str, Any]:
        """A document's edge columns: from the cache, else made from its fragment (and kept
        there for the next build)."""
        where = part_file(fragment)
        with suppress(OSError):
            found = read_part(where.read_bytes(), 1)
            if found is not None:
                return found
        with open(fragment, "rb") as fh:
            lines = fh.read(nodes_size + edges_size)
        if len(lines) != nodes_size + edges_size:
            raise ValueError(f"{fragment}: a fragment file shorter than its summary says")
        made = document_part(memoryview(lines)[:nodes_size], memoryview(lines)[nodes_size:])
        with suppress(OSError):  # (a cache that cannot be written to is made again next time)
            temporary = where.with_suffix(f".tmp-{os.getpid()}")
            temporary.write_bytes(made)
            temporary.replace(where)
        found = read_part(made, 1)
        assert found is not None
        return found

    def lines(self) -> Iterator[list[Any] | None]:
        """For every node line of graph.json in order, the task record of it (a list) where its
        document's part has one, else None (a line to read)."""
        for fragment, _, _, _, own, inserted in self.files:
            records = None
            with suppress(OSError):
                records = read_part(part_file(fragment).read_bytes(), 2)
            if records is None or len(records) != own:
                records = [None] * own
            for shift, before in enumerate(inserted):
                records.insert(before + shift, None)
            yield from records
        while True:
            yield None


class EdgeRows:
    """The graph's numbering of what rows hold (its types, documents, strings: the GraphIndex's
    tables, extended in place) and each document's part added in graph.json's order."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def add(self, part: dict[str, Any]) -> tuple[list[int], list[int], list[int], list[Any]]:
        """A document's part: its edges' sources, targets and type numbers (graph-wide) and its
        rows of data.js."""
        index = self.index
        if not part["edges"]:
            return [], [], [], []
        position = index.position
        at = list(map(position.__getitem__, part["ids"]))
        sources, targets = list(map(at.__getitem__, part["source"])), list(map(at.__getitem__, part["target"]))
        type_of = []
        for name in part["types"]:
            number = index.type_numbers.get(name)
            type_of.append(number if number is not None else index._new_type(name))
        numbers = list(map(type_of.__getitem__, part["type"]))
        doc_of = list(map(index._doc_number_of_sha.get, part["shas"], repeat(-1)))
        docs = list(map(doc_of.__getitem__, part["doc"]))
        string_of = _numbered(part["strings"], index.strings, index._string_number)
        texts = list(map(string_of.__getitem__, part["text"]))
        full = zip(sources, targets, numbers, docs, part["key"], texts[0::2], texts[1::2], part["path"],
                   part["value"])
        rows = list(map(tuple.__getitem__, full, map(_TRIM.__getitem__, part["size"])))
        return sources, targets, numbers, rows
