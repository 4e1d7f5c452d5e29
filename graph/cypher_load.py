"""Loading a policykg graph into a Cypher database: the statements and the batching.

One set of `UNWIND $rows … MERGE` statements serves both engines (Neo4j through the official
driver, the embedded FalkorDB); only the schema statements differ per engine (see
`CypherEngine.ensure_schema`). Each batch is one transaction: it commits whole or not at all.

Documents are the unit of replacement. Every loaded Document node carries `loadDigest`, a hash
of all rows the document owns (its Document and Task nodes and every edge with its
`docSha256`); it is written last, after the document's edges, so a load that fails midway leaves
the document marked as changed and the next load replaces it. A document already in the
database with the same digest is skipped; one with the same file but other content (or the same
sha256 and other rows, e.g. a newer extractor) has its Tasks, Document node and edges deleted
and its sha256 removed from the `docs` lists of shared nodes, then is loaded afresh. Shared
nodes (units, entities, indicators) left with no document and no edge are deleted.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:  # networkx is imported where a graph is read: a one-shot query never needs it
    import networkx as nx

# Labels and relationship types cannot be query parameters, so they are spliced into the
# statement text: only names matching these patterns (CamelCase / UPPER_SNAKE_CASE, as the
# schema prescribes) ever are, and they come from the graph file, never from a user's query.
LABEL_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
REL_TYPE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
PROPERTY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

# Labels of the schema (docs/graph-schema.md); others matching LABEL_PATTERN load as well.
SCHEMA_LABELS = (
    "Document", "Task", "Unit", "Department", "Government", "ParkCommittee", "Collective", "Media",
    "Institute", "Firm", "Organisation", "Entity", "Platform", "Park", "Category", "Indicator",
    "Plan", "CitedDocument",
)  # fmt: skip
SCHEMA_REL_TYPES = ("LEADS", "PARTICIPATES_IN", "PART_OF", "MENTIONS", "TARGETS", "EDITION_OF", "SUPERSEDES", "CITES")

# Properties of shared nodes that accumulate over documents: merged as a union, not replaced.
UNION_LIST_PROPERTIES = ("docs", "aliases")

DEFAULT_BATCH_SIZE = 1000


class LoadError(Exception):
    """A load that could not complete; the message says what, where, and what was kept."""


class GraphFileError(LoadError):
    """A graph.json that is missing or does not follow docs/graph-schema.md."""


@dataclass
class WriteCounters:
    """What one or more write transactions changed (both engines report these)."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    labels_added: int = 0

    def add(self, other: WriteCounters) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class CypherEngine(Protocol):
    """What the loader needs from a database: a write transaction per call, and reads."""

    name: str

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """Uniqueness on `id` for every label, plus the lookup indexes the loader uses."""

    def write(self, statement: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], WriteCounters]:
        """Run one statement in its own write transaction (all or nothing)."""

    def read(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a read-only statement; rows as dicts."""


@dataclass
class Batch:
    """One transaction's worth of work: a fixed statement and its parameter rows."""

    kind: str  # human-readable: "nodes Task", "edges Department-LEADS->Task", ...
    statement: str
    rows: list[dict[str, Any]]
    expect_rows: bool = False  # the statement returns count(*) that must equal len(rows)


@dataclass
class LoadSummary:
    """What a load did, for the `policykg load` report."""

    engine: str
    documents_new: list[str] = field(default_factory=list)
    documents_replaced: list[str] = field(default_factory=list)
    documents_unchanged: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    nodes_in_graph: int = 0
    edges_in_graph: int = 0
    batches: int = 0
    counters: WriteCounters = field(default_factory=WriteCounters)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        c = self.counters
        return [
            f"engine: {self.engine}",
            f"documents: {len(self.documents_new)} new, {len(self.documents_replaced)} replaced, "
            f"{len(self.documents_unchanged)} unchanged, {len(self.documents_removed)} removed",
            f"graph: {self.nodes_in_graph} nodes, {self.edges_in_graph} edges",
            f"created: {c.nodes_created} nodes, {c.relationships_created} relationships; "
            f"deleted: {c.nodes_deleted} nodes, {c.relationships_deleted} relationships; "
            f"properties set: {c.properties_set}",
            f"{self.batches} batches in {self.seconds:.2f} s",
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "documentsNew": self.documents_new,
            "documentsReplaced": self.documents_replaced,
            "documentsUnchanged": self.documents_unchanged,
            "documentsRemoved": self.documents_removed,
            "nodesInGraph": self.nodes_in_graph,
            "edgesInGraph": self.edges_in_graph,
            "batches": self.batches,
            "counters": dict(self.counters.__dict__),
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- reading the graph


def read_graph_file(out_dir: str | Path) -> nx.MultiDiGraph:
    """OUT/graph.json as a MultiDiGraph (policykg.graph.read_graph when the build stage has it)."""
    import networkx as nx
    from policykg.graph.export import NODE_LINK_KEYS

    out = Path(out_dir)
    path = out / "graph.json" if out.is_dir() or not out.suffix else out
    if not path.is_file():
        raise GraphFileError(f"{path}: no graph file; run `policykg build DATA --out {out}` first")
    try:
        from policykg.graph import read_graph  # type: ignore[attr-defined]
    except ImportError:
        read_graph = None
    try:
        if read_graph is not None and path.name == "graph.json":
            graph = read_graph(path.parent)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            graph = nx.node_link_graph(data, multigraph=True, directed=True, **NODE_LINK_KEYS)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GraphFileError(f"{path}: not a policykg graph file ({exc})") from exc
    if not isinstance(graph, nx.MultiDiGraph):
        graph = nx.MultiDiGraph(graph)
    return graph


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- rows


_ONLY_TEXT = frozenset((str,))


def property_value(value: Any) -> Any:
    """A value both engines store as a property: scalars, homogeneous scalar lists; else JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value) is list and _ONLY_TEXT.issuperset(map(type, value)):  # the common case: texts
        return [*value]
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        items = [item for item in items if item is not None]
        kinds = {type(item) for item in items}
        if not items or (len(kinds) == 1 and kinds <= {bool, int, float, str}):
            return items
        if kinds <= {int, float}:
            return [float(item) for item in items]
        return json.dumps(items, ensure_ascii=False, sort_keys=True, default=str)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


_VALID_PROPERTY_NAMES: set[str] = set()


_SCALAR_TYPES = frozenset((str, int, float, bool))
_NODE_SKIP = frozenset(("id", "labels", *UNION_LIST_PROPERTIES))
_EDGE_SKIP = frozenset(("type", "key"))


def _properties(data: dict[str, Any], skipped: frozenset[str], where: tuple[Any, ...]) -> dict[str, Any]:
    """The properties an element's data sets: no None, no skipped name, non-scalars as
    property_value makes them; where names the element in an error: (node id,) or (source,
    target, key) of an edge (formatted only then)."""
    props = {key: value for key, value in data.items() if value is not None and key not in skipped}
    _check_properties(props, where)
    return props


def _check_properties(props: dict[str, Any], where: tuple[Any, ...]) -> None:
    """Names checked, values that are not scalars turned into property values (in place)."""
    if not _VALID_PROPERTY_NAMES.issuperset(props):  # each name is checked once per process
        for key in props.keys() - _VALID_PROPERTY_NAMES:
            if not isinstance(key, str) or not PROPERTY_PATTERN.match(key):
                element = (f"node {where[0]!r}" if len(where) == 1
                           else f"edge {where[0]!r} -> {where[1]!r} ({where[2]!r})")
                raise GraphFileError(f"{element}: property name {key!r} is not a valid Cypher property name")
            _VALID_PROPERTY_NAMES.add(key)
    if not _SCALAR_TYPES.issuperset(map(type, props.values())):
        for key, value in props.items():
            if type(value) not in _SCALAR_TYPES:
                props[key] = property_value(value)


def node_labels(node_id: str, data: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(primary label, other labels sorted), validated."""
    primary = data.get("label")
    labels = list(data.get("labels") or ([primary] if primary else []))
    if not primary and labels:
        primary = labels[0]
    if not primary:
        raise GraphFileError(f"node {node_id!r}: no label")
    for label in [primary, *labels]:
        if not isinstance(label, str) or not LABEL_PATTERN.match(label):
            raise GraphFileError(f"node {node_id!r}: label {label!r} is not a CamelCase label")
    return primary, tuple(sorted(set(labels) - {primary}))


def _canonical(row: dict[str, Any], rel_type: str = "") -> bytes:
    """A row as bytes for the document digest: key order does not matter, values are
    scalars/lists (orjson; json for what orjson refuses, integers beyond 64 bits)."""
    try:
        return orjson.dumps((rel_type, row), option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return json.dumps([rel_type, row], ensure_ascii=False, sort_keys=True, default=str).encode()


def _digest(rows: list[bytes]) -> str:
    """Order-free hash of a document's rows (each already canonical)."""
    return hashlib.sha256(sorted_rows(rows)).hexdigest()


def sorted_rows(rows: list[bytes]) -> bytes:
    """What _digest hashes of rows: sorted (in place), each ended by a newline. Two sorted runs
    whose rows all sort below every row of the other (a document's node rows `["",{…` and its
    edge texts `{…`) hash the same as their concatenation."""
    rows.sort()
    return b"\n".join(rows) + b"\n" if rows else b""


@dataclass
class PreparedGraph:
    """The graph cut into rows: per label set for nodes, per (label, type, label) for edges."""

    node_groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]]
    edge_groups: dict[tuple[str, str, str], list[dict[str, Any]]]
    documents: dict[str, dict[str, Any]]  # sha256 -> {id, sha256, file, name, digest}
    owned_by: dict[str, str]  # node id -> sha256 of the document that owns it (Document, Task)
    labels: list[str]
    node_count: int
    edge_count: int
    # False when the graph is known to hold no text with NUL (prepare_file: graph.json writes it
    # \u0000, and no line holds that), so a writer need not look for one
    may_hold_nul: bool = True


NodeElement = tuple[str, dict[str, Any]]  # (id, attributes)
EdgeElement = tuple[str, str, Any, dict[str, Any]]  # (source, target, key, attributes)

# Counts the canned queries would otherwise aggregate on every call (docs/graph-schema.md,
# "Counts computed at load"): per unit over the tasks of the newest editions (and, with the
# suffix All, over every edition), per task its lead and participant units, per document its
# tasks, units and targets. Computed here in Python from the graph the loader reads, so that
# both engines hold the same values.
UNIT_COUNTS = ("tasksLed", "tasksParticipating", "tasks", "degree", "sharedTasks")
RESPONSIBILITY_TYPES = ("LEADS", "PARTICIPATES_IN")


def load_counts(nodes: Iterable[NodeElement], edges: Iterable[EdgeElement]) -> dict[str, dict[str, int]]:
    """node id -> the counts the loader adds to its properties (see UNIT_COUNTS); linear in the
    graph except for the unit pairs of each task (the co-operation degree)."""
    return link_counts(nodes, ((data.get("type"), ((source, target),)) for source, target, _key, data in edges))


# the unit counts a task adds to, per suffix ("All": every edition; "": the newest ones)
_COUNT_NAMES = tuple((suffix, tuple(f"{name}{suffix}" for name in ("tasks", "tasksLed", "tasksParticipating",
                                                                  "sharedTasks")))
                     for suffix in ("All", ""))
Links = tuple[Any, Iterable[tuple[str, str]]]  # a relationship type and (source id, target id) of its edges


def link_counts(nodes: Iterable[NodeElement], links: Iterable[Links]) -> dict[str, dict[str, int]]:
    """load_counts of the edges given as links (a type may come any number of times): all the
    counts read of an edge, so a reader that has the edges grouped by type need not make
    elements of them."""
    kinds: dict[str, str] = {}  # "unit", "task" (current), "old-task", "document", "indicator"
    mentioned_by: dict[str, set[str]] = {}  # Entity -> the nodes (tasks, documents) that MENTION it
    for node_id, data in nodes:
        labels = set(data.get("labels") or ()) | {data.get("label")}
        if "Entity" in labels:
            mentioned_by[node_id] = set()
        if "Unit" in labels:
            kinds[node_id] = "unit"
        elif data.get("label") == "Task":
            kinds[node_id] = "task" if data.get("current") is not False else "old-task"
        elif data.get("label") == "Document":
            kinds[node_id] = "document"
        elif data.get("label") == "Indicator":
            kinds[node_id] = "indicator"
    leads: dict[str, set[str]] = defaultdict(set)
    participants: dict[str, set[str]] = defaultdict(set)
    task_document: dict[str, set[str]] = defaultdict(set)
    task_targets: dict[str, int] = defaultdict(int)
    document_targets: dict[str, int] = defaultdict(int)
    kind_of = kinds.get
    for rel_type, pairs in links:
        if rel_type in RESPONSIBILITY_TYPES:
            responsible = leads if rel_type == "LEADS" else participants
            for source, target in pairs:
                if kind_of(source) == "unit" and kind_of(target, "").endswith("task"):
                    responsible[target].add(source)
        elif rel_type == "PART_OF":
            for source, target in pairs:
                if kind_of(source, "").endswith("task") and kind_of(target) == "document":
                    task_document[source].add(target)
        elif rel_type == "MENTIONS":
            for source, target in pairs:
                if target in mentioned_by:
                    mentioned_by[target].add(source)
        elif rel_type == "TARGETS":
            for source, target in pairs:
                if kind_of(target) == "indicator":
                    if kind_of(source, "").endswith("task"):
                        task_targets[source] += 1
                    elif kind_of(source) == "document":
                        document_targets[source] += 1
    counts: dict[str, dict[str, int]] = {}
    names = [*UNIT_COUNTS, *(f"{name}All" for name in UNIT_COUNTS)]
    partners: dict[str, dict[str, set[str]]] = {suffix: defaultdict(set) for suffix, _names in _COUNT_NAMES}
    doc_tasks: dict[str, int] = defaultdict(int)
    doc_units: dict[str, set[str]] = defaultdict(set)
    doc_task_targets: dict[str, int] = defaultdict(int)
    for node_id, kind in kinds.items():
        if kind == "unit":
            counts[node_id] = dict.fromkeys(names, 0)
        elif kind.endswith("task"):
            counts[node_id] = {"leadCount": len(leads.get(node_id, ())),
                               "participantCount": len(participants.get(node_id, ()))}
    for task, kind in kinds.items():
        if not kind.endswith("task"):
            continue
        led, part = leads.get(task, set()), participants.get(task, set())
        units = led | part
        for document in task_document.get(task, ()):
            doc_tasks[document] += 1
            doc_units[document] |= units
            doc_task_targets[document] += task_targets.get(task, 0)
        shared = len(units) > 1
        for suffix, (tasks, tasks_led, tasks_participating, shared_tasks) in (
                _COUNT_NAMES if kind == "task" else _COUNT_NAMES[:1]):
            partners_of = partners[suffix]
            for unit in units:
                unit_counts = counts[unit]
                unit_counts[tasks] += 1
                if unit in led:
                    unit_counts[tasks_led] += 1
                if unit in part:
                    unit_counts[tasks_participating] += 1
                if shared:
                    unit_counts[shared_tasks] += 1
                    partners_of[unit] |= units
    for suffix, partners_of in partners.items():
        degree = "degree" + suffix
        for unit, others in partners_of.items():
            counts[unit][degree] = len(others) - 1  # every set holds the unit itself
    for node_id, kind in kinds.items():
        if kind == "document":
            counts[node_id] = {"taskCount": doc_tasks.get(node_id, 0), "unitCount": len(doc_units.get(node_id, ())),
                               "targetCount": doc_task_targets.get(node_id, 0) + document_targets.get(node_id, 0)}
    for node_id, sources in mentioned_by.items():  # entities_with_tasks pages on them
        counts.setdefault(node_id, {})["mentionedBy"] = len(sources)
    return counts


def graph_elements(graph: nx.MultiDiGraph) -> tuple[Iterable[NodeElement], Iterable[EdgeElement]]:
    """A networkx graph as the (nodes, edges) element streams prepare_elements reads."""
    return graph.nodes(data=True), graph.edges(keys=True, data=True)


def prepare_graph(graph: nx.MultiDiGraph, counts: dict[str, dict[str, int]] | None = None) -> PreparedGraph:
    """Validate the graph and turn it into parameter rows (with the load counts of `counts`, or
    of this graph itself; a part of a graph loaded alone takes the whole graph's counts)."""
    nodes, edges = graph_elements(graph)
    if counts is None:
        counts = load_counts(nodes, edges)
    return prepare_elements(nodes, edges, counts)


def prepare_file(out_dir: str | Path) -> PreparedGraph:
    """OUT/graph.json read as a stream (policykg.graph.export.iter_graph_elements), without
    building a networkx graph: the rows and the load counts of the whole file."""
    from policykg.graph.export import iter_graph_lines

    out = Path(out_dir)
    path = out / "graph.json" if out.is_dir() or not out.suffix else out
    if not path.is_file():
        raise GraphFileError(f"{path}: no graph file; run `policykg build DATA --out {out}` first")
    nodes: list[NodeElement] = []
    edges: list[EdgeElement] = []
    edge_texts: list[bytes] = []
    nul = False
    with without_cyclic_gc():
        try:
            for kind, text, element in iter_graph_lines(path):
                nul = nul or b"\\u0000" in text
                if kind == "node":
                    nodes.append((element.pop("id"), element))
                elif kind == "edge":
                    edges.append((element.pop("from"), element.pop("to"), element.pop("key", None), element))
                    edge_texts.append(text)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GraphFileError(f"{path}: not a policykg graph file ({exc})") from exc
        prepared = prepare_elements(nodes, edges, load_counts(nodes, edges), source=f"{path}: ", own_data=True,
                                    edge_texts=edge_texts)
    prepared.may_hold_nul = nul
    return prepared


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: reading a graph makes millions of dicts and
    lists that are not garbage, and each collection would walk them all again. After it, the
    objects made meanwhile go to the oldest generation (freeze, unfreeze) rather than stay in
    the youngest, whose next collection would walk every one of them at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


@dataclass
class NodeRows:
    """prepare_nodes' result: the node rows per label set and what the edges and digests need."""

    node_groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]]
    primary_of: dict[str, str]  # node id -> primary label
    documents: dict[str, dict[str, Any]]  # sha256 -> {id, sha256, file, name} (no digest yet)
    owned_by: dict[str, str]
    owned_rows: defaultdict[str, list[bytes]]  # sha256 -> the canonical rows of its Document and Tasks
    labels: set[str]
    node_count: int


def prepare_nodes(nodes: Iterable[NodeElement], counts: dict[str, dict[str, int]], canonical: bool = True,
                  own_data: bool = False) -> NodeRows:
    """The node part of prepare_elements: rows per label set, validated, with their counts.
    canonical=False: no canonical rows of the Documents and Tasks (owned_rows stays empty; a
    caller whose counts come later makes them once it has added the counts). own_data: the
    nodes' dicts are the caller's to reuse (fresh from the parser, read by nothing after):
    each becomes its row's properties in place (the skipped names and nulls taken out, the
    order kept), as _properties would copy it."""
    node_groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    primary_of: dict[str, str] = {}
    documents: dict[str, dict[str, Any]] = {}
    owned_by: dict[str, str] = {}
    owned_rows: dict[str, list[bytes]] = defaultdict(list)
    all_labels: set[str] = set()
    labels_of: dict[tuple[Any, ...], tuple[str, tuple[str, ...]]] = {}  # (label, labels) -> node_labels
    node_count = 0
    for node_id, data in nodes:
        if not isinstance(node_id, str) or not node_id:
            raise GraphFileError(f"node {node_id!r}: ids must be non-empty strings")
        node_count += 1
        label, labels = data.get("label"), data.get("labels")
        try:
            found = labels_of.get((label, *labels) if type(labels) is list else (label, labels))
        except TypeError:  # a label that is no string: node_labels says so
            found = None
        if found is None:
            found = node_labels(node_id, data)
            if type(labels) is list:
                labels_of[(label, *labels)] = found
            all_labels.update((found[0], *found[1]))
        primary, extra = found
        primary_of[node_id] = primary
        if own_data:
            union = [data.pop(name, None) for name in UNION_LIST_PROPERTIES]
            data.pop("labels", None)
            data.pop("id", None)
            if None in data.values():
                for key in [key for key, value in data.items() if value is None]:
                    del data[key]
            props = data
            _check_properties(props, (node_id,))
        else:
            union = [data.get(name) for name in UNION_LIST_PROPERTIES]
            props = _properties(data, _NODE_SKIP, (node_id,))
        props["label"] = primary
        props.update(counts.get(node_id, ()))
        row: dict[str, Any] = {"id": node_id, "props": props}
        for name, value in zip(UNION_LIST_PROPERTIES, union):
            if value is None:
                row[name] = None
            elif type(value) is list and _ONLY_TEXT.issuperset(map(type, value)):  # as below, in one step
                row[name] = [*value]
            else:
                row[name] = [str(item) for item in property_value(list(value))]
        node_groups[(primary, extra)].append(row)
        if primary == "Document":
            sha = str(data.get("sha256") or data.get("docSha256") or "")
            if not sha:
                raise GraphFileError(f"node {node_id!r}: a Document without sha256")
            documents[sha] = {"id": node_id, "sha256": sha, "file": str(data.get("file") or ""),
                              "name": str(data.get("name") or data.get("file") or node_id)}
            owned_by[node_id] = sha
            if canonical:
                owned_rows[sha].append(_canonical(row))
        elif primary == "Task":
            sha = str(data.get("docSha256") or "")
            if sha:
                owned_by[node_id] = sha
                if canonical:
                    owned_rows[sha].append(_canonical(row))
    return NodeRows(dict(node_groups), primary_of, documents, owned_by, owned_rows, all_labels, node_count)


def prepare_elements(nodes: Iterable[NodeElement], edges: Iterable[EdgeElement],
                     counts: dict[str, dict[str, int]], source: str = "", own_data: bool = False,
                     edge_texts: Sequence[bytes] | None = None) -> PreparedGraph:
    """The rows of a graph given as element streams, each node's load counts added (source:
    what errors name the graph by; own_data: the edges' dicts are the caller's to reuse, as
    prepare_file's fresh ones are: a relationship's properties are made of its dict in place;
    edge_texts: each edge's JSON text in graph.json, which stands for its row in the document
    digests instead of the row made canonical: the row is made of the text alone)."""
    rows = prepare_nodes(nodes, counts)
    node_groups, primary_of, documents = rows.node_groups, rows.primary_of, rows.documents
    owned_by, owned_rows, all_labels, node_count = rows.owned_by, rows.owned_rows, rows.labels, rows.node_count
    edge_groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    rel_types: set[str] = set()
    edge_count = 0
    for number, (source_id, target_id, key, data) in enumerate(edges):
        rel_type = data.get("type")
        if rel_type not in rel_types:
            if not isinstance(rel_type, str) or not REL_TYPE_PATTERN.match(rel_type):
                raise GraphFileError(f"edge {source_id!r} -> {target_id!r} ({key!r}): type {rel_type!r} is not an "
                                     "UPPER_SNAKE_CASE type")
            rel_types.add(rel_type)
        edge_key = str(data.get("key", key))
        where = (source_id, target_id, key)
        if own_data and "key" not in data and None not in data.values():
            props = data  # the element's own dict, its type taken out: as _properties would make it
            del props["type"]
            _check_properties(props, where)
        else:
            props = _properties(data, _EDGE_SKIP, where)
        props["key"] = edge_key
        row = {"source": source_id, "target": target_id, "key": edge_key, "props": props}
        source_label, target_label = primary_of.get(source_id), primary_of.get(target_id)
        if source_label is None or target_label is None:
            end = source_id if source_label is None else target_id
            raise GraphFileError(f"{source}edge {source_id!r} -> {target_id!r} ({key!r}) names a node {end!r} "
                                 f"the {'file' if source else 'graph'} does not hold")
        edge_groups[(source_label, rel_type, target_label)].append(row)
        sha = data.get("docSha256")
        if sha:
            owned_rows[sha if type(sha) is str else str(sha)].append(
                _canonical(row, rel_type) if edge_texts is None else edge_texts[number])
        edge_count += 1
    for sha, doc in documents.items():
        doc["digest"] = _digest(owned_rows[sha])
    return PreparedGraph(node_groups, dict(edge_groups), documents, owned_by,
                         sorted(all_labels), node_count, edge_count)


# --------------------------------------------------------------------------- statements


def _label(name: str) -> str:
    if not LABEL_PATTERN.match(name):  # defence in depth: prepare_graph validated already
        raise GraphFileError(f"label {name!r} is not a CamelCase label")
    return f"`{name}`"


def _rel_type(name: str) -> str:
    if not REL_TYPE_PATTERN.match(name):
        raise GraphFileError(f"relationship type {name!r} is not an UPPER_SNAKE_CASE type")
    return f"`{name}`"


def merge_nodes_statement(primary: str, extra: Sequence[str]) -> str:
    """MERGE on the primary label's `id` (unique per label), then the other labels and properties.

    `docs` and `aliases` become the union of what the database holds and what the row brings.
    """
    lines = ["UNWIND $rows AS row", f"MERGE (n:{_label(primary)} {{id: row.id}})"]
    if extra:
        lines.append("SET n:" + ":".join(_label(label) for label in extra))
    lines.append("SET n += row.props")
    for name in UNION_LIST_PROPERTIES:
        lines.append(
            f"SET n.{name} = CASE WHEN row.{name} IS NULL THEN n.{name} "
            f"ELSE [x IN coalesce(n.{name}, []) WHERE NOT x IN row.{name}] + row.{name} END"
        )
    lines.append("RETURN count(n) AS rows")
    return "\n".join(lines)


def merge_edges_statement(source_label: str, rel_type: str, target_label: str) -> str:
    """MERGE one relationship per (source, target, type, key); endpoints matched by label + id."""
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (a:{_label(source_label)} {{id: row.source}})",
        f"MATCH (b:{_label(target_label)} {{id: row.target}})",
        f"MERGE (a)-[r:{_rel_type(rel_type)} {{key: row.key}}]->(b)",
        "SET r += row.props",
        "RETURN count(r) AS rows",
    ])


EXISTING_DOCUMENTS = "MATCH (d:Document) RETURN d.id AS id, d.sha256 AS sha256, d.file AS file, " \
    "d.name AS name, d.loadDigest AS digest"

# Deleting a document: its Tasks (and with them every edge a task has), then the Document node
# (with the document-level MENTIONS/TARGETS edges); edges are the document's own by schema.
DELETE_TASKS = "UNWIND $shas AS sha MATCH (t:Task {docSha256: sha}) DETACH DELETE t RETURN count(*) AS rows"
DELETE_DOCUMENTS = "UNWIND $shas AS sha MATCH (d:Document {sha256: sha}) DETACH DELETE d RETURN count(*) AS rows"
SHARED_NODES_OF_DOCUMENTS = "MATCH (n) WHERE n.docs IS NOT NULL AND any(x IN n.docs WHERE x IN $shas) " \
    "RETURN n.label AS label, n.id AS id"


# The forms (aliases) the replaced documents wrote for each shared node: an alias is the
# `written` of an edge into the node (LEADS/PARTICIPATES_IN/MENTIONS/TARGETS), so one that no
# remaining edge writes came only from the replaced documents and goes with them.
WRITTEN_BY_DOCUMENTS = "MATCH (n)-[r]-() WHERE r.docSha256 IN $shas AND r.written IS NOT NULL " \
    "AND n.aliases IS NOT NULL RETURN n.label AS label, n.id AS id, collect(DISTINCT r.written) AS gone"


def prune_aliases_statement(label: str) -> str:
    """Drop the aliases only the replaced documents wrote (run after their edges are deleted)."""
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:{_label(label)} {{id: row.id}})",
        "OPTIONAL MATCH (n)-[r]-() WHERE r.written IS NOT NULL",
        "WITH n, row, collect(DISTINCT r.written) AS still",
        "SET n.aliases = [x IN coalesce(n.aliases, []) WHERE NOT x IN row.gone OR x IN still]",
        "RETURN count(n) AS rows",
    ])


def strip_docs_statement(label: str) -> str:
    """Remove replaced documents' sha256s from shared nodes' `docs`.

    Deleting the orphans is a statement of its own: FalkorDB drops the SET of a statement whose
    later `WITH … WHERE` filters every row out (seen with FalkorDB 4.x).
    """
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:{_label(label)} {{id: row.id}})",
        "SET n.docs = [x IN n.docs WHERE NOT x IN $shas]",
        "RETURN count(n) AS rows",
    ])


def delete_orphans_statement(label: str) -> str:
    """Shared nodes no document names any more and no edge reaches."""
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:{_label(label)} {{id: row.id}})",
        "WHERE size(n.docs) = 0 AND NOT (n)--()",
        "DELETE n",
        "RETURN count(*) AS rows",
    ])


SET_DIGEST = "UNWIND $rows AS row MATCH (d:Document {id: row.id}) SET d.loadDigest = row.digest " \
    "RETURN count(d) AS rows"


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


# --------------------------------------------------------------------------- the load


@dataclass
class LoadPlan:
    """Which documents to add, replace, keep and remove, and the batches to run."""

    summary: LoadSummary
    stale_shas: list[str]
    batches: list[Batch]


def compare_documents(prepared: PreparedGraph, existing: list[dict[str, Any]], engine_name: str,
                      prune: bool = False, also_in_graph: frozenset[str] = frozenset()
                      ) -> tuple[LoadSummary, dict[str, str], set[str]]:
    """Which of the graph's documents are new, replaced or unchanged against the database's
    (and, with prune, which the database holds that the graph does not): (summary, stale
    sha256 -> name, sha256s to load)."""
    summary = LoadSummary(engine=engine_name, nodes_in_graph=prepared.node_count,
                          edges_in_graph=prepared.edge_count)
    by_sha = {str(doc.get("sha256")): doc for doc in existing if doc.get("sha256")}
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in existing:
        if doc.get("file"):
            by_file[str(doc["file"])].append(doc)
    stale: dict[str, str] = {}  # sha -> name
    to_load: set[str] = set()
    for sha, doc in sorted(prepared.documents.items(), key=lambda item: item[1]["name"]):
        same = by_sha.get(sha)
        # an earlier version: same file, other content (and not itself a document of this graph)
        older = [old for old in by_file.get(doc["file"], []) if old.get("sha256") not in prepared.documents
                 and old.get("sha256") not in also_in_graph] if doc["file"] else []
        if same is not None and same.get("digest") == doc["digest"] and not older:
            summary.documents_unchanged.append(doc["name"])
            continue
        to_load.add(sha)
        if same is not None or older:
            summary.documents_replaced.append(doc["name"])
            if same is not None:
                stale[sha] = doc["name"]
            for old in older:
                stale[str(old["sha256"])] = str(old.get("name") or old.get("file"))
        else:
            summary.documents_new.append(doc["name"])
    if prune:
        for sha, old in by_sha.items():
            if sha not in prepared.documents and sha not in stale:
                stale[sha] = str(old.get("name") or old.get("file") or old.get("id"))
                summary.documents_removed.append(stale[sha])
    return summary, stale, to_load


def plan_load(prepared: PreparedGraph, existing: list[dict[str, Any]], engine_name: str,
              batch_size: int = DEFAULT_BATCH_SIZE, prune: bool = False,
              also_in_graph: frozenset[str] = frozenset()) -> LoadPlan:
    """Compare the graph's documents with the database's and list the batches to run.

    prune: also remove documents the database holds that the graph does not (the embedded engine
    mirrors one OUT folder; a Neo4j database may hold several corpora, so it does not prune).
    """
    if batch_size < 1:
        raise LoadError(f"batch size must be at least 1, not {batch_size}")
    summary, stale, to_load = compare_documents(prepared, existing, engine_name, prune, also_in_graph)

    batches: list[Batch] = []
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        if primary in ("Document", "Task"):
            rows = [row for row in rows if prepared.owned_by.get(row["id"], "") in to_load
                    or row["id"] not in prepared.owned_by]
        statement = merge_nodes_statement(primary, extra)
        kind = "nodes " + ":".join((primary, *extra))
        batches.extend(Batch(kind, statement, chunk, True) for chunk in _chunks(rows, batch_size))
    for (source_label, rel_type, target_label), rows in sorted(prepared.edge_groups.items()):
        rows = [row for row in rows if not row["props"].get("docSha256")
                or row["props"]["docSha256"] in to_load]
        statement = merge_edges_statement(source_label, rel_type, target_label)
        kind = f"edges {source_label}-{rel_type}->{target_label}"
        batches.extend(Batch(kind, statement, chunk, True) for chunk in _chunks(rows, batch_size))
    digests = [{"id": prepared.documents[sha]["id"], "digest": prepared.documents[sha]["digest"]}
               for sha in sorted(to_load)]
    batches.extend(Batch("document digests", SET_DIGEST, chunk, True) for chunk in _chunks(digests, batch_size))
    return LoadPlan(summary, sorted(stale), [batch for batch in batches if batch.rows])


def _run_batch(engine: CypherEngine, batch: Batch, params: dict[str, Any], number: int, total: int,
               done: WriteCounters) -> WriteCounters:
    try:
        rows, counters = engine.write(batch.statement, params)
    except LoadError as exc:
        raise LoadError(
            f"batch {number} of {total} ({batch.kind}, {len(batch.rows)} rows) failed and was rolled back: "
            f"{exc}; committed before it: {done.nodes_created} nodes and {done.relationships_created} "
            f"relationships created; documents not yet complete are reloaded by the next load"
        ) from exc
    if batch.expect_rows:
        matched = int(rows[0]["rows"]) if rows else 0
        if matched != len(batch.rows):
            raise LoadError(f"batch {number} of {total} ({batch.kind}): {len(batch.rows) - matched} of "
                            f"{len(batch.rows)} rows matched no node (an edge endpoint missing?)")
    return counters


def load_prepared(engine: CypherEngine, prepared: PreparedGraph, batch_size: int = DEFAULT_BATCH_SIZE,
                  prune: bool = False, progress: Callable[[int, int, str], None] | None = None,
                  also_in_graph: frozenset[str] = frozenset()) -> LoadSummary:
    """Schema first, then deletions of replaced documents, node batches, edge batches, digests."""
    started = time.perf_counter()
    engine.ensure_schema(prepared.labels)
    existing = engine.read(EXISTING_DOCUMENTS, {})
    # also_in_graph: sha256s of documents a part-load (graph/neo4j_loader.py) leaves to another part
    plan = plan_load(prepared, existing, engine.name, batch_size, prune, also_in_graph)
    summary = plan.summary
    counters = summary.counters
    deletion: list[Batch] = []
    if plan.stale_shas:
        shared = engine.read(SHARED_NODES_OF_DOCUMENTS, {"shas": plan.stale_shas})
        written = engine.read(WRITTEN_BY_DOCUMENTS, {"shas": plan.stale_shas})
        for sha_chunk in _chunks([{"sha": sha} for sha in plan.stale_shas], max(1, batch_size // 50)):
            shas = [row["sha"] for row in sha_chunk]
            deletion.append(Batch("delete tasks of replaced documents", DELETE_TASKS, [{"shas": shas}]))
            deletion.append(Batch("delete replaced documents", DELETE_DOCUMENTS, [{"shas": shas}]))
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in shared:
            if row.get("label") and LABEL_PATTERN.match(str(row["label"])):
                by_label[str(row["label"])].append({"id": row["id"]})
        gone_by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in written:
            if row.get("label") and LABEL_PATTERN.match(str(row["label"])):
                gone_by_label[str(row["label"])].append({"id": row["id"], "gone": list(row.get("gone") or [])})
        for label, rows in sorted(gone_by_label.items()):
            for chunk in _chunks(rows, batch_size):
                deletion.append(Batch(f"drop {label} aliases only replaced documents wrote",
                                      prune_aliases_statement(label), chunk))
        for label, rows in sorted(by_label.items()):
            for chunk in _chunks(rows, batch_size):
                deletion.append(Batch(f"unlink {label} from replaced documents", strip_docs_statement(label),
                                      chunk))
                deletion.append(Batch(f"delete {label} nodes no document names", delete_orphans_statement(label),
                                      chunk))
    total = len(deletion) + len(plan.batches)
    number = 0
    for batch in deletion:
        number += 1
        params = batch.rows[0] if batch.statement in (DELETE_TASKS, DELETE_DOCUMENTS) else {
            "rows": batch.rows, "shas": plan.stale_shas}
        counters.add(_run_batch(engine, batch, params, number, total, counters))
        if progress:
            progress(number, total, batch.kind)
    for batch in plan.batches:
        number += 1
        counters.add(_run_batch(engine, batch, {"rows": batch.rows}, number, total, counters))
        if progress:
            progress(number, total, batch.kind)
    summary.batches = total
    summary.seconds = time.perf_counter() - started
    return summary


def load_graph(engine: CypherEngine, graph: nx.MultiDiGraph, batch_size: int = DEFAULT_BATCH_SIZE,
               prune: bool = False, progress: Callable[[int, int, str], None] | None = None) -> LoadSummary:
    """Load (or update) a graph through `engine`; see the module docstring for the rules."""
    return load_prepared(engine, prepare_graph(graph), batch_size, prune, progress)
