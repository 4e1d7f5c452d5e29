"""PolicyDocuments -> one networkx MultiDiGraph (the schema is docs/graph-schema.md).

Plain data: nodes and edges carry only str/int/float/bool or lists of str, so that the graph
goes to JSON, GraphML, Neo4j and FalkorDB unchanged. Ids are stable (built from the document
sha256, task paths and canonical names), so the same input always gives the same graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from policykg.extract.model import Entity, PolicyDocument, Span, Target, Task

if TYPE_CHECKING:
    import networkx as nx

# networkx and the stages a document's graph reads (resolver, deadlines, compare) are imported
# where they are used: a rebuild from the cache merges summaries and needs none of them

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

    __slots__ = ("_ids", "citations", "doc_id", "ops", "sha256")

    def __init__(self, doc_id: str = "", sha256: str = "") -> None:
        self.doc_id, self.sha256 = doc_id, sha256
        # ("node", id, label, extra_labels, props) | ("edge", u, v, key, props with "type")
        self.ops: list[tuple[Any, ...]] = []
        self._ids: set[str] = set()
        self.citations: list[tuple[int, str, str, dict[str, Any]]] = []  # see document_citations

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._ids

    def __getstate__(self) -> tuple[Any, ...]:
        return self.doc_id, self.sha256, self.ops, self.citations

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.doc_id, self.sha256, self.ops, self.citations = state
        self._ids = {op[1] for op in self.ops if op[0] == "node"}


_COLLECTED = ("aliases", "docs")  # list properties merged over every mention (first seen first)


def add_labels(labels: list[str], label: str, extra_labels: Iterable[str]) -> None:
    """A node's labels united with a mention's, in order (the first seen first)."""
    if label not in labels:
        labels.append(label)
    for name in extra_labels:
        if name not in labels:
            labels.append(name)


def add_new_values(values: list[Any], seen: set[Any], mentioned: Iterable[Any]) -> None:
    """A collected list (aliases, docs) extended by the mentioned values it lacks; `seen` is its
    membership, kept in step."""
    for value in mentioned:
        if value not in seen:
            seen.add(value)
            values.append(value)


def add_missing_properties(data: dict[str, Any], props: dict[str, Any]) -> None:
    """The properties a node lacks, from a mention (the first value of each is kept)."""
    for key, value in props.items():
        if key not in data:
            data[key] = value


def merge_node(nodes: dict[str, dict[str, Any]], members: dict[tuple[str, str], set[str]], node_id: str,
               label: str, extra_labels: Iterable[str], props: dict[str, Any]) -> dict[str, Any] | None:
    """Add a node to `nodes`, or merge into the node of that id: labels united, aliases and docs
    collected (first seen first), the first value of every other property kept. Membership of
    the collected lists is kept in `members`, so that merging the n-th mention of a unit costs
    the same as the first. Returns the new node's data, or None when it merged into one."""
    data = nodes.get(node_id)
    if data is None:
        data = nodes[node_id] = {
            "id": node_id, "label": label, "labels": list(dict.fromkeys([label, *extra_labels])),
            **{k: list(dict.fromkeys(v)) if k in _COLLECTED else v for k, v in props.items()}}
        for key in _COLLECTED:
            if key in data:
                members[node_id, key] = set(data[key])
        return data
    add_labels(data["labels"], label, extra_labels)
    for key in _COLLECTED:
        mentioned = props.get(key)
        if mentioned is not None:
            seen = members.get((node_id, key))
            if seen is None:
                seen = members[node_id, key] = set()
                data[key] = []
            add_new_values(data[key], seen, mentioned)
    add_missing_properties(data, props)  # (the collected lists are there by now)
    return None


class GraphAssembler:
    """Merges DocumentGraphs into one MultiDiGraph (nodes merged by merge_node)."""

    def __init__(self) -> None:
        import networkx as nx

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
            if node_id in nodes:
                merge_node(nodes, members, node_id, label, extra_labels, props)
                continue
            attrs: dict[str, dict[str, Any]] = {}
            merge_node(attrs, members, node_id, label, extra_labels, props)
            g.add_node(node_id, **attrs[node_id])


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
    _add_node(g, doc.doc_id, "Document", **document_properties(doc))
    for task in doc.tasks:
        add_task(g, doc, task)
    for entity in doc.entities:
        add_entity(g, doc, entity)
    for target in doc.targets:
        add_target(g, doc, target)


def document_properties(doc: PolicyDocument) -> dict[str, Any]:
    """The Document node's properties, in the order the node carries them."""
    from policykg.extract.resolve import jurisdiction_code

    meta = doc.meta
    period = meta.period or (None, None)
    first_line = doc.span(0, min(len(doc.text), max(1, doc.text.find("\n")))) if doc.text else Span(0, 0, "")
    return dict(
        name=meta.title or doc.name, file=doc.name, sha256=doc.sha256,
        jurisdiction=meta.jurisdiction, province=meta.province, issuer=meta.issuer,
        jurisdictionCode=jurisdiction_code(meta.jurisdiction, meta.province) if meta.jurisdiction else "",
        docNumber=meta.doc_number, date=meta.date, planFamily=plan_family_id(doc), current=True,
        periodStart=period[0], periodEnd=period[1],  # None (JSON null) when unknown, never ""
        status=meta.status, encoding=doc.encoding,
        inferred=[f"{k}: {v}" for k, v in meta.inferred.items()],
        **_prov(doc, first_line),
    )


def add_task(g: DocumentGraph, doc: PolicyDocument, task: Task) -> None:
    tid = task_id(doc, task)
    _add_node(g, tid, "Task", **task_properties(doc, task))
    _add_edge(g, tid, doc.doc_id, "PART_OF", "PART_OF", **_prov(doc, task.span))
    # the units' nodes and edges as _add_node and _add_edge add them, written out: a plan names
    # thousands of units
    ops, sha, path = g.ops, doc.sha256, task.path
    for i, unit in enumerate(task.clause.units):
        res = unit.resolved
        if res is None:
            continue
        span = unit.span
        ops.append(("node", res.unit_id, res.kind, _UNIT_LABELS, {
            "name": res.name, "kind": res.kind, "jurisdiction": res.jurisdiction,
            "jurisdictionCode": res.jurisdiction_code, "aliases": [unit.written], "docs": [sha],
            "docSha256": sha, "start": span.start, "end": span.end, "quote": span.quote}))
        g._ids.add(res.unit_id)
        rel = "LEADS" if unit.role == "lead" else "PARTICIPATES_IN"
        ops.append(("edge", res.unit_id, tid, f"{rel}:{i}", {
            "type": rel, "written": unit.written, "rule": res.rule, "flagged": res.flagged, "taskPath": path,
            "docSha256": sha, "start": span.start, "end": span.end, "quote": span.quote}))


_UNIT_LABELS, _ENTITY_LABELS = (UNIT_LABEL,), (ENTITY_LABEL,)


def task_properties(doc: PolicyDocument, task: Task) -> dict[str, Any]:
    """A Task node's properties, in the order the node carries them."""
    from policykg.extract.deadlines import due_by
    from policykg.graph.compare import section_heading, task_content

    clause, span, text_span = task.clause.span, task.span, task.text_span
    return {
        "name": task.title, "title": task.title, "titleOriginal": task.title_original or task.title,
        "path": task.path, "docId": doc.doc_id, "docSha256": doc.sha256, "clauseForm": task.clause.form,
        "start": clause.start, "end": clause.end, "quote": clause.quote,
        "paragraphStart": span.start, "paragraphEnd": span.end,
        "text": text_span.quote if text_span else "", "textStart": text_span.start if text_span else span.start,
        "textEnd": text_span.end if text_span else span.end,
        "deadline": task.deadline, "deadlineText": task.deadline_text, "dueBy": due_by(task.deadline),
        # what `policykg compare` reads of a task, so that a built graph compares as the files do
        "content": task_content(doc, task), "sectionTitle": section_heading(doc, task),
    }


def add_entity(g: DocumentGraph, doc: PolicyDocument, entity: Entity) -> None:
    """An entity's node and its MENTIONS edge (as _add_node and _add_edge add them, written out)."""
    if not entity.entity_id:
        return
    sha, span, entity_id = doc.sha256, entity.span, entity.entity_id
    if entity.generic:
        # a category ("各类孵化器"): one node per kind of thing, never a named entity
        label, extra, props = "Category", (), {
            "name": entity.name or entity.text, "kind": entity.kind, "subtype": entity.subtype}
    elif entity.kind == "Department":
        from policykg.extract.resolve import resolve_unit

        # a department named in running text is the unit node its clauses lead from: one node
        unit = resolve_unit(entity.text, doc.meta.jurisdiction, province=doc.meta.province)
        label, extra, props = "Department", _UNIT_LABELS, {
            "name": entity.name or unit.name, "kind": "Department", "jurisdiction": unit.jurisdiction}
    else:
        label, extra, props = entity.kind, _ENTITY_LABELS, {
            "name": entity.name or entity.text, "subtype": entity.subtype, "jurisdiction": doc.meta.jurisdiction}
    props["aliases"], props["docs"] = [entity.text], [sha]
    props["docSha256"], props["start"], props["end"], props["quote"] = sha, span.start, span.end, span.quote
    g.ops.append(("node", entity_id, label, extra, props))
    g._ids.add(entity_id)
    source = f"doc:{sha[:16]}"  # doc.doc_id
    if entity.task_path:
        tid = f"task:{sha[:16]}:{entity.task_path}"
        source = tid if tid in g._ids else source
    g.ops.append(("edge", source, entity_id, f"MENTIONS:{span.start}", {
        "type": "MENTIONS", "written": entity.text,
        "docSha256": sha, "start": span.start, "end": span.end, "quote": span.quote}))


def add_target(g: DocumentGraph, doc: PolicyDocument, target: Target) -> None:
    """A target's indicator node and its TARGETS edge (as _add_node and _add_edge add them, written out)."""
    sha, span, indicator_id = doc.sha256, target.span, target.indicator_id
    g.ops.append(("node", indicator_id, "Indicator", (), {
        "name": target.indicator_name or target.indicator, "unit": target.unit,
        "aliases": [target.indicator], "docs": [sha],
        "docSha256": sha, "start": span.start, "end": span.end, "quote": span.quote}))
    g._ids.add(indicator_id)
    source = f"doc:{sha[:16]}"  # doc.doc_id
    if target.task_path:
        tid = f"task:{sha[:16]}:{target.task_path}"
        source = tid if tid in g._ids else source
    g.ops.append(("edge", source, indicator_id, f"TARGETS:{target.year}:{span.start}:{target.value}", {
        "type": "TARGETS", "year": target.year, "value": target.value,
        "valueMax": target.value_max,  # None (null) when absent
        "unit": target.unit, "qualifier": target.qualifier, "source": target.source,
        "written": target.indicator, "taskPath": target.task_path, "recurrence": target.recurrence,
        "docSha256": sha, "start": span.start, "end": span.end, "quote": span.quote}))


# ---------------------------------------------------------------------------------------------
# plan families (editions) and citations

_FAMILY_NOISE = re.compile(
    r"[（(【\[]?\s*(?:(?:19|20)\d{2}\s*年?\s*[-—－–~～至到]*\s*)+年?(?:度)?\s*[)）】\]]?"  # periods, years
    r"|[（(]\s*[-—－–]\s*(?:19|20)\d{2}\s*年\s*[)）]"
    r"|[“”\"]?(?:十一五|十二五|十三五|十四五|十五五)[“”\"]?"
    r"|[（(]?(?:征求意见稿|送审稿|讨论稿|草案|修订稿|代拟稿|试行|暂行)[)）]?"
    r"|[\s·、，,。“”\"'‘’《》〈〉]")
_CITATION = re.compile(r"《([^《》\n]{4,80})》")
_DOCUMENT_WORDS = re.compile(
    r"(?:法|条例|规定|办法|意见|通知|决定|规划|计划|方案|纲要|要点|细则|措施|政策|纲领|战略|指南|目录|建议|"
    r"报告|行动|工程)(?:[（(][^（()）]{0,20}[)）])?$")


def family_key(title: str) -> str:
    """A plan's title without its period, five-year name, year or status: the editions of one
    rolling plan share it ("…三年行动计划（2019-2021年）" and "…（2020-2022年）（征求意见稿）")."""
    return _FAMILY_NOISE.sub("", title)


def plan_family_id(doc: PolicyDocument) -> str:
    from policykg.extract.resolve import jurisdiction_code

    key = family_key(doc.meta.title) if doc.meta.title else ""
    if not key:
        return f"plan:{doc.sha256[:16]}"  # a document without a title is a family of its own
    scope = jurisdiction_code(doc.meta.jurisdiction, doc.meta.province) or doc.meta.jurisdiction or "unknown"
    return f"plan:{scope}:{key}"


_STATUS_RANK = {"征求意见稿": 0, "讨论稿": 0, "代拟稿": 0, "草案": 1, "送审稿": 1, "修订稿": 1}


def _edition_order(data: dict[str, Any]) -> tuple[Any, ...]:
    """Older editions first: by period, then date, then drafting stage (a draft before the issued plan)."""
    def year(value: Any) -> int:
        return value if isinstance(value, int) else -1
    return (year(data.get("periodEnd")), year(data.get("periodStart")), data.get("date") or "",
            _STATUS_RANK.get(data.get("status") or "", 2), data.get("sha256", ""))


DOCUMENT_HEAD = ("name", "file", "sha256", "jurisdiction", "planFamily", "periodStart", "periodEnd", "date",
                 "status")  # what plan families, citations and the 任务分工表's overview need of a Document


def document_head(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in DOCUMENT_HEAD}


Edge = tuple[str, str, str, dict[str, Any]]  # (source, target, key, data with "type")


def plan_families(docs: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, bool], list[Edge]]:
    """From the documents' heads (doc id -> head, in build order): the Plan nodes, each
    document's `current` (the newest edition of its plan), and the EDITION_OF and SUPERSEDES
    edges, in the order add_plan_families adds them."""
    families: dict[str, list[str]] = {}
    for doc_id, data in docs.items():
        families.setdefault(data["planFamily"], []).append(doc_id)
    plans, current, edges = [], {}, []
    for plan_id, members in families.items():
        members.sort(key=lambda n: _edition_order(docs[n]))
        newest = docs[members[-1]]
        plans.append({"id": plan_id, "label": "Plan", "labels": ["Plan"],
                      "name": family_key(newest["name"]) or newest["name"],
                      "jurisdiction": newest.get("jurisdiction", ""), "editions": len(members),
                      "editionIds": list(members), "currentDocId": members[-1],
                      "docs": [docs[m]["sha256"] for m in members]})
        for i, doc_id in enumerate(members):
            current[doc_id] = doc_id == members[-1]
            edges.append((doc_id, plan_id, "EDITION_OF", {"type": "EDITION_OF"}))
            if i:
                older = docs[members[i - 1]]
                edges.append((doc_id, members[i - 1], "SUPERSEDES", {
                    "type": "SUPERSEDES",
                    "fromPeriod": f"{older.get('periodStart') or ''}-{older.get('periodEnd') or ''}"}))
    return plans, current, edges


def add_plan_families(g: nx.MultiDiGraph) -> None:
    """Plan nodes (EDITION_OF from each Document), SUPERSEDES from each edition to the one before
    it, and `current` = True on the newest edition only (and on its tasks)."""
    docs = {n: data for n, data in g.nodes(data=True) if data.get("label") == "Document"}
    plans, current, edges = plan_families(docs)
    for plan in plans:
        g.add_node(plan["id"], **plan)
    for doc_id, flag in current.items():
        g.nodes[doc_id]["current"] = flag
    for u, v, key, data in edges:
        g.add_edge(u, v, key=key, **data)
    for _, data in g.nodes(data=True):
        if data.get("label") == "Task":
            data["current"] = bool(g.nodes[data["docId"]].get("current", True))


_TITLE_FORMS = str.maketrans({"(": "（", ")": "）", "-": "—", "－": "—", "–": "—", "~": "—", "～": "—"})


_SPACE = re.compile(r"\s")


def _title_key(title: str) -> str:
    """Titles as compared: no spaces, one kind of bracket and dash."""
    return _SPACE.sub("", title).translate(_TITLE_FORMS)


def document_citations(doc: PolicyDocument) -> list[tuple[int, str, str, dict[str, Any]]]:
    """The 《…》 titles a document cites, once each, not its own: (offset, title as compared, title
    as written, provenance). What they point to needs the whole corpus: see add_citations."""
    own = _title_key(doc.meta.title)
    seen: set[str] = set()
    found = []
    for m in _CITATION.finditer(doc.text):
        title = _title_key(m.group(1))
        if title == own or title in seen or not _DOCUMENT_WORDS.search(title):
            continue
        seen.add(title)
        found.append((m.start(), title, m.group(1), _prov(doc, doc.span(m.start(), m.end()))))
    return found


class CitationLinks:
    """CITES edges for the 《…》 titles of each document: to the cited plan's `Plan` node when one
    of its editions is in the corpus (its id depends on the title, not on an edition's content,
    so a new copy of the cited plan leaves the citing documents unchanged), else to a
    CitedDocument node named as written. The edge keeps the title as written (with its period).
    Made from the documents' heads; `cite` is then called for each document in build order."""

    def __init__(self, docs: Iterable[dict[str, Any]]) -> None:
        self.plans: dict[str, str] = {}
        for data in docs:
            if data.get("file") != data.get("name"):
                self.plans.setdefault(family_key(_title_key(data["name"])), data["planFamily"])
        self.cited: dict[str, dict[str, Any]] = {}  # CitedDocument nodes, in the order first cited
        self._cited_by: dict[str, set[str]] = {}

    def cite(self, doc_id: str, sha256: str, own_plan: str,
             citations: Iterable[tuple[int, str, str, dict[str, Any]]]) -> list[Edge]:
        edges = []
        for start, title, written, prov in citations:
            target = self.plans.get(family_key(title))
            if target == own_plan:
                continue  # a notice citing the plan it wraps
            if target is None:
                target = f"cited:{title}"
                node = self.cited.get(target)
                if node is None:
                    self.cited[target] = {"id": target, "label": "CitedDocument", "labels": ["CitedDocument"],
                                          "name": written, "docs": [sha256]}
                    self._cited_by[target] = {sha256}
                elif sha256 not in self._cited_by[target]:
                    self._cited_by[target].add(sha256)
                    node["docs"].append(sha256)
            edges.append((doc_id, target, f"CITES:{start}", {"type": "CITES", "written": written, **prov}))
        return edges


def add_citations(g: nx.MultiDiGraph, parts: Iterable[DocumentGraph]) -> None:
    """CITES edges for the 《…》 titles of each document (see CitationLinks)."""
    links = CitationLinks(data for _, data in g.nodes(data=True) if data.get("label") == "Document")
    edges: list[Edge] = []
    for part in parts:
        edges += links.cite(part.doc_id, part.sha256, g.nodes[part.doc_id]["planFamily"], part.citations)
    for node_id, data in links.cited.items():
        g.add_node(node_id, **data)
    for u, v, key, data in edges:
        g.add_edge(u, v, key=key, **data)


def document_graph(doc: PolicyDocument) -> DocumentGraph:
    """The nodes and edges one document adds, and the titles it cites (see DocumentGraph)."""
    part = DocumentGraph(doc.doc_id, doc.sha256)
    add_document(part, doc)
    part.citations = document_citations(doc)
    return part


class _Citing:
    """What add_citations needs of a document once its part is in the graph."""

    __slots__ = ("citations", "doc_id", "sha256")

    def __init__(self, part: DocumentGraph) -> None:
        self.doc_id, self.sha256, self.citations = part.doc_id, part.sha256, part.citations


def build_graph(docs: Iterable[PolicyDocument | DocumentGraph]) -> nx.MultiDiGraph:
    """The responsibility graph of all documents (or of their DocumentGraphs): Document, Plan,
    Task, unit, entity, indicator and CitedDocument nodes; PART_OF, LEADS, PARTICIPATES_IN,
    MENTIONS, TARGETS, EDITION_OF, SUPERSEDES and CITES edges."""
    assembler = GraphAssembler()
    citing = []
    for doc in docs:
        part = doc if isinstance(doc, DocumentGraph) else document_graph(doc)
        assembler.add(part)
        citing.append(_Citing(part))
    g = assembler.graph
    add_plan_families(g)
    add_citations(g, citing)  # type: ignore[arg-type]
    return g
