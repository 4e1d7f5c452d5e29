"""PolicyDocuments -> one networkx MultiDiGraph (the schema is docs/graph-schema.md).

Plain data: nodes and edges carry only str/int/float/bool or lists of str, so that the graph
goes to JSON, GraphML, Neo4j and FalkorDB unchanged. Ids are stable (built from the document
sha256, task paths and canonical names), so the same input always gives the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
from policykg.extract.model import Entity, PolicyDocument, Span, Target, Task
from policykg.extract.resolve import resolve_unit

UNIT_LABEL = "Unit"
ENTITY_LABEL = "Entity"


def task_id(doc: PolicyDocument, task: Task) -> str:
    return f"task:{doc.sha256[:16]}:{task.path}"


def _prov(doc: PolicyDocument, span: Span) -> dict[str, Any]:
    return {"docSha256": doc.sha256, "start": span.start, "end": span.end, "quote": span.quote}


class DocumentGraph:
    """What one document adds to the graph: its node and edge additions in the order it makes
    them, as plain data. An extraction worker sends this back instead of the document (it is
    small and picklable), the build cache keeps it, and `GraphAssembler` replays it; a replay
    in document order gives exactly the graph that adding the documents one by one gives."""

    __slots__ = ("_ids", "ops")

    def __init__(self) -> None:
        # ("node", id, label, extra_labels, props) | ("edge", u, v, key, props with "type")
        self.ops: list[tuple[Any, ...]] = []
        self._ids: set[str] = set()

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._ids

    def __getstate__(self) -> list[tuple[Any, ...]]:
        return self.ops

    def __setstate__(self, ops: list[tuple[Any, ...]]) -> None:
        self.ops = ops
        self._ids = {op[1] for op in ops if op[0] == "node"}


_COLLECTED = ("aliases", "docs")  # list properties merged over every mention (first seen first)


class GraphAssembler:
    """Merges DocumentGraphs into one MultiDiGraph: labels united, aliases and docs collected,
    the first provenance kept. Membership of the collected lists is kept in sets beside the
    graph, so that merging the n-th mention of a unit costs the same as the first."""

    def __init__(self) -> None:
        self.graph = nx.MultiDiGraph()
        self._members: dict[tuple[str, str], set[str]] = {}

    def add(self, part: DocumentGraph) -> None:
        g = self.graph
        nodes, succ, pred = g._node, g._succ, g._pred
        members = self._members
        for op in part.ops:
            if op[0] == "edge":
                # MultiDiGraph.add_edge, inlined: the build adds hundreds of thousands of edges
                _, u, v, key, props = op
                if u not in nodes:
                    g.add_node(u)
                if v not in nodes:
                    g.add_node(v)
                keys = succ[u].get(v)
                if keys is None:
                    keys = succ[u][v] = pred[v][u] = {}
                data = keys.get(key)
                if data is None:
                    keys[key] = dict(props)
                else:
                    data.update(props)
                continue
            _, node_id, label, extra_labels, props = op
            data = nodes.get(node_id)
            if data is None:
                g.add_node(node_id, id=node_id, label=label, labels=list(dict.fromkeys([label, *extra_labels])),
                           **{k: list(dict.fromkeys(v)) if k in _COLLECTED else v for k, v in props.items()})
                data = nodes[node_id]
                for key in _COLLECTED:
                    if key in data:
                        members[node_id, key] = set(data[key])
                continue
            labels = data["labels"]
            for name in (label, *extra_labels):
                if name not in labels:
                    labels.append(name)
            for key in _COLLECTED:
                if key in props:
                    seen = members.get((node_id, key))
                    if seen is None:
                        seen = members[node_id, key] = set()
                        data[key] = []
                    values = data[key]
                    for value in props[key]:
                        if value not in seen:
                            seen.add(value)
                            values.append(value)
            for key, value in props.items():
                if key not in _COLLECTED:
                    data.setdefault(key, value)


def _add_node(g: DocumentGraph, node_id: str, label: str, extra_labels: Iterable[str] = (),
              **props: Any) -> None:
    """Add a node, or merge into the node of that id (labels united, aliases and docs
    collected, first provenance kept: see GraphAssembler)."""
    g.ops.append(("node", node_id, label, tuple(extra_labels), props))
    g._ids.add(node_id)


def _add_edge(g: DocumentGraph, u: str, v: str, rel: str, key: str, /, **props: Any) -> None:
    # the key is the MultiDiGraph key (graph.json writes it as the edge's "key" field)
    g.ops.append(("edge", u, v, key, {"type": rel, **props}))


def add_document(g: DocumentGraph, doc: PolicyDocument) -> None:
    meta = doc.meta
    period = meta.period or (None, None)
    first_line = doc.span(0, min(len(doc.text), max(1, doc.text.find("\n")))) if doc.text else Span(0, 0, "")
    _add_node(
        g, doc.doc_id, "Document",
        name=meta.title or doc.name, file=doc.name, sha256=doc.sha256,
        jurisdiction=meta.jurisdiction, province=meta.province, issuer=meta.issuer,
        periodStart=period[0] if period[0] is not None else "", periodEnd=period[1] if period[1] is not None else "",
        status=meta.status, encoding=doc.encoding,
        inferred=[f"{k}: {v}" for k, v in meta.inferred.items()],
        **_prov(doc, first_line),
    )
    for task in doc.tasks:
        add_task(g, doc, task)
    for entity in doc.entities:
        add_entity(g, doc, entity)
    for target in doc.targets:
        add_target(g, doc, target)


def add_task(g: DocumentGraph, doc: PolicyDocument, task: Task) -> None:
    tid = task_id(doc, task)
    _add_node(
        g, tid, "Task",
        name=task.title, title=task.title, titleOriginal=task.title_original or task.title, path=task.path,
        docId=doc.doc_id, docSha256=doc.sha256, clauseForm=task.clause.form,
        start=task.clause.span.start, end=task.clause.span.end, quote=task.clause.span.quote,
        paragraphStart=task.span.start, paragraphEnd=task.span.end,
    )
    _add_edge(g, tid, doc.doc_id, "PART_OF", "PART_OF", **_prov(doc, task.span))
    for i, unit in enumerate(task.clause.units):
        res = unit.resolved
        if res is None:
            continue
        _add_node(
            g, res.unit_id, res.kind, [UNIT_LABEL],
            name=res.name, kind=res.kind, jurisdiction=res.jurisdiction,
            aliases=[unit.written], docs=[doc.sha256], **_prov(doc, unit.span),
        )
        rel = "LEADS" if unit.role == "lead" else "PARTICIPATES_IN"
        _add_edge(
            g, res.unit_id, tid, rel, f"{rel}:{i}",
            written=unit.written, rule=res.rule, flagged=res.flagged, taskPath=task.path,
            **_prov(doc, unit.span),
        )


def add_entity(g: DocumentGraph, doc: PolicyDocument, entity: Entity) -> None:
    if not entity.entity_id:
        return
    if entity.generic:
        # a category ("各类孵化器"): one node per kind of thing, never a named entity
        _add_node(g, entity.entity_id, "Category", name=entity.name or entity.text, kind=entity.kind,
                  subtype=entity.subtype, aliases=[entity.text], docs=[doc.sha256], **_prov(doc, entity.span))
    elif entity.kind == "Department":
        # a department named in running text is the unit node its clauses lead from: one node
        unit = resolve_unit(entity.text, doc.meta.jurisdiction, province=doc.meta.province)
        _add_node(
            g, entity.entity_id, "Department", [UNIT_LABEL],
            name=entity.name or unit.name, kind="Department", jurisdiction=unit.jurisdiction,
            aliases=[entity.text], docs=[doc.sha256], **_prov(doc, entity.span),
        )
    else:
        _add_node(
            g, entity.entity_id, entity.kind, [ENTITY_LABEL],
            name=entity.name or entity.text, subtype=entity.subtype, jurisdiction=doc.meta.jurisdiction,
            aliases=[entity.text], docs=[doc.sha256], **_prov(doc, entity.span),
        )
    source = doc.doc_id
    if entity.task_path:
        tid = f"task:{doc.sha256[:16]}:{entity.task_path}"
        source = tid if tid in g else source
    _add_edge(
        g, source, entity.entity_id, "MENTIONS", f"MENTIONS:{entity.span.start}",
        written=entity.text, **_prov(doc, entity.span),
    )


def add_target(g: DocumentGraph, doc: PolicyDocument, target: Target) -> None:
    _add_node(
        g, target.indicator_id, "Indicator",
        name=target.indicator_name or target.indicator, unit=target.unit,
        aliases=[target.indicator], docs=[doc.sha256], **_prov(doc, target.span),
    )
    source = doc.doc_id
    if target.task_path:
        tid = f"task:{doc.sha256[:16]}:{target.task_path}"
        source = tid if tid in g else source
    key = f"TARGETS:{target.year}:{target.span.start}:{target.value}"
    _add_edge(
        g, source, target.indicator_id, "TARGETS", key,
        year=target.year if target.year is not None else "", value=target.value,
        valueMax=target.value_max if target.value_max is not None else "",
        unit=target.unit, qualifier=target.qualifier, source=target.source,
        written=target.indicator, taskPath=target.task_path, **_prov(doc, target.span),
    )


def document_graph(doc: PolicyDocument) -> DocumentGraph:
    """The nodes and edges one document adds (see DocumentGraph)."""
    part = DocumentGraph()
    add_document(part, doc)
    return part


def build_graph(docs: Iterable[PolicyDocument | DocumentGraph]) -> nx.MultiDiGraph:
    """The responsibility graph of all documents (or of their DocumentGraphs): Document, Task,
    unit, entity and indicator nodes; PART_OF, LEADS, PARTICIPATES_IN, MENTIONS and TARGETS edges."""
    assembler = GraphAssembler()
    for doc in docs:
        assembler.add(doc if isinstance(doc, DocumentGraph) else document_graph(doc))
    return assembler.graph
