"""PolicyDocuments -> one networkx MultiDiGraph (the schema is docs/graph-schema.md).

Plain data: nodes and edges carry only str/int/float/bool or lists of str, so that the graph
goes to JSON, GraphML, Neo4j and FalkorDB unchanged. Ids are stable (built from the document
sha256, task paths and canonical names), so the same input always gives the same graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import networkx as nx
from policykg.extract.model import Entity, PolicyDocument, Span, Target, Task
from policykg.extract.resolve import jurisdiction_code, resolve_unit
from policykg.graph.compare import section_heading, task_content

UNIT_LABEL = "Unit"
ENTITY_LABEL = "Entity"


def task_id(doc: PolicyDocument, task: Task) -> str:
    return f"task:{doc.sha256[:16]}:{task.path}"


def _prov(doc: PolicyDocument, span: Span) -> dict[str, Any]:
    return {"docSha256": doc.sha256, "start": span.start, "end": span.end, "quote": span.quote}


def _add_node(g: nx.MultiDiGraph, node_id: str, label: str, extra_labels: Iterable[str] = (),
              **props: Any) -> dict[str, Any]:
    """Add a node or merge into an existing one (labels united, aliases and docs collected,
    first provenance kept)."""
    if node_id in g:
        data = g.nodes[node_id]
        labels = list(dict.fromkeys([*data["labels"], label, *extra_labels]))
        data["labels"] = labels
        for key in ("aliases", "docs"):
            if key in props:
                data[key] = list(dict.fromkeys([*data.get(key, []), *props.pop(key)]))
        for key, value in props.items():
            data.setdefault(key, value)
        return data
    g.add_node(node_id, id=node_id, label=label, labels=list(dict.fromkeys([label, *extra_labels])), **props)
    return g.nodes[node_id]


def _add_edge(g: nx.MultiDiGraph, u: str, v: str, rel: str, key: str, /, **props: Any) -> None:
    # the key is the MultiDiGraph key (graph.json writes it as the edge's "key" field)
    g.add_edge(u, v, key=key, type=rel, **props)


def add_document(g: nx.MultiDiGraph, doc: PolicyDocument) -> None:
    meta = doc.meta
    period = meta.period or (None, None)
    first_line = doc.span(0, min(len(doc.text), max(1, doc.text.find("\n")))) if doc.text else Span(0, 0, "")
    _add_node(
        g, doc.doc_id, "Document",
        name=meta.title or doc.name, file=doc.name, sha256=doc.sha256,
        jurisdiction=meta.jurisdiction, province=meta.province, issuer=meta.issuer,
        jurisdictionCode=jurisdiction_code(meta.jurisdiction, meta.province) if meta.jurisdiction else "",
        docNumber=meta.doc_number, date=meta.date, planFamily=plan_family_id(doc), current=True,
        periodStart=period[0], periodEnd=period[1],  # None (JSON null) when unknown, never ""
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


def add_task(g: nx.MultiDiGraph, doc: PolicyDocument, task: Task) -> None:
    tid = task_id(doc, task)
    _add_node(
        g, tid, "Task",
        name=task.title, title=task.title, titleOriginal=task.title_original or task.title, path=task.path,
        docId=doc.doc_id, docSha256=doc.sha256, clauseForm=task.clause.form,
        start=task.clause.span.start, end=task.clause.span.end, quote=task.clause.span.quote,
        paragraphStart=task.span.start, paragraphEnd=task.span.end,
    )
    # what `policykg compare` reads of a task, so that a built graph compares as the files do
    node = g.nodes[tid]
    node.setdefault("content", task_content(doc, task))
    node.setdefault("sectionTitle", section_heading(doc, task))
    _add_edge(g, tid, doc.doc_id, "PART_OF", "PART_OF", **_prov(doc, task.span))
    for i, unit in enumerate(task.clause.units):
        res = unit.resolved
        if res is None:
            continue
        _add_node(
            g, res.unit_id, res.kind, [UNIT_LABEL],
            name=res.name, kind=res.kind, jurisdiction=res.jurisdiction, jurisdictionCode=res.jurisdiction_code,
            aliases=[unit.written], docs=[doc.sha256], **_prov(doc, unit.span),
        )
        rel = "LEADS" if unit.role == "lead" else "PARTICIPATES_IN"
        _add_edge(
            g, res.unit_id, tid, rel, f"{rel}:{i}",
            written=unit.written, rule=res.rule, flagged=res.flagged, taskPath=task.path,
            **_prov(doc, unit.span),
        )


def add_entity(g: nx.MultiDiGraph, doc: PolicyDocument, entity: Entity) -> None:
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


def add_target(g: nx.MultiDiGraph, doc: PolicyDocument, target: Target) -> None:
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
        year=target.year, value=target.value, valueMax=target.value_max,  # None (null) when absent
        unit=target.unit, qualifier=target.qualifier, source=target.source,
        written=target.indicator, taskPath=target.task_path, **_prov(doc, target.span),
    )


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


def add_plan_families(g: nx.MultiDiGraph) -> None:
    """Plan nodes (EDITION_OF from each Document), SUPERSEDES from each edition to the one before
    it, and `current` = True on the newest edition only (and on its tasks)."""
    families: dict[str, list[str]] = {}
    for node, data in g.nodes(data=True):
        if data.get("label") == "Document":
            families.setdefault(data["planFamily"], []).append(node)
    for plan_id, members in families.items():
        members.sort(key=lambda n: _edition_order(g.nodes[n]))
        newest = g.nodes[members[-1]]
        g.add_node(plan_id, id=plan_id, label="Plan", labels=["Plan"],
                   name=family_key(newest["name"]) or newest["name"], jurisdiction=newest.get("jurisdiction", ""),
                   editions=len(members), editionIds=list(members), currentDocId=members[-1],
                   docs=[g.nodes[m]["sha256"] for m in members])
        for i, doc_id in enumerate(members):
            g.nodes[doc_id]["current"] = doc_id == members[-1]
            g.add_edge(doc_id, plan_id, key="EDITION_OF", type="EDITION_OF")
            if i:
                older = g.nodes[members[i - 1]]
                g.add_edge(doc_id, members[i - 1], key="SUPERSEDES", type="SUPERSEDES",
                           fromPeriod=f"{older.get('periodStart') or ''}-{older.get('periodEnd') or ''}")
    for _, data in g.nodes(data=True):
        if data.get("label") == "Task":
            data["current"] = bool(g.nodes[data["docId"]].get("current", True))


_TITLE_FORMS = str.maketrans({"(": "（", ")": "）", "-": "—", "－": "—", "–": "—", "~": "—", "～": "—"})


def _title_key(title: str) -> str:
    """Titles as compared: no spaces, one kind of bracket and dash."""
    return re.sub(r"\s", "", title).translate(_TITLE_FORMS)


def add_citations(g: nx.MultiDiGraph, docs: Iterable[PolicyDocument]) -> None:
    """CITES edges for the 《…》 titles of each document: to the cited plan's `Plan` node when one
    of its editions is in the corpus (its id depends on the title, not on an edition's content,
    so a new copy of the cited plan leaves the citing documents unchanged), else to a
    CitedDocument node named as written. The edge keeps the title as written (with its period)."""
    plans: dict[str, str] = {}
    for _, data in g.nodes(data=True):
        if data.get("label") == "Document" and data.get("file") != data.get("name"):
            plans.setdefault(family_key(_title_key(data["name"])), data["planFamily"])
    for doc in docs:
        own = _title_key(doc.meta.title)
        own_plan = g.nodes[doc.doc_id]["planFamily"]
        seen: set[str] = set()
        for m in _CITATION.finditer(doc.text):
            title = _title_key(m.group(1))
            if title == own or title in seen or not _DOCUMENT_WORDS.search(title):
                continue
            seen.add(title)
            target = plans.get(family_key(title))
            if target == own_plan:
                continue  # a notice citing the plan it wraps
            if target is None:
                target = f"cited:{title}"
                if target not in g:
                    g.add_node(target, id=target, label="CitedDocument", labels=["CitedDocument"], name=m.group(1),
                               docs=[doc.sha256])
                else:
                    g.nodes[target]["docs"] = list(dict.fromkeys([*g.nodes[target]["docs"], doc.sha256]))
            _add_edge(g, doc.doc_id, target, "CITES", f"CITES:{m.start()}", written=m.group(1),
                      **_prov(doc, doc.span(m.start(), m.end())))


def build_graph(docs: Iterable[PolicyDocument]) -> nx.MultiDiGraph:
    """The responsibility graph of all documents: Document, Plan, Task, unit, entity, indicator and
    CitedDocument nodes; PART_OF, LEADS, PARTICIPATES_IN, MENTIONS, TARGETS, EDITION_OF, SUPERSEDES
    and CITES edges."""
    g = nx.MultiDiGraph()
    docs = list(docs)
    for doc in docs:
        add_document(g, doc)
    add_plan_families(g)
    add_citations(g, docs)
    return g
