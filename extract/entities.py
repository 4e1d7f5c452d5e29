"""Platforms, parks, firms and departments a policy document mentions, as `Entity` records.

`entity_pipeline()` is `spacy.blank("zh")` (character tokens, no downloaded model) plus the components
in `extract.entity_components`; `extract_entities(doc)` runs it over the normalised text and maps each
mention back to the original text, the task whose paragraph holds it, and a canonical id:
``platform:<jurisdiction>:<name>``, ``park:<jurisdiction>:<name>``, ``firm:<name>``; categories
(各类孵化器) get ``category:<kind>:<phrase>`` and ``generic=True``. Departments named in running text
(争取省科技厅更大支持) get the resolver's unit id (``dept:广东省科学技术厅``), the node their clauses use;
those inside a responsibility clause are the clause stage's units, not mentions.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import accumulate
from operator import attrgetter
from typing import TYPE_CHECKING

from .entity_components import (
    DEPARTMENT,
    PIPELINE,
    CharTokenizer,
    EntityState,
    components,
    jurisdiction_short,
    load_knowledge,
    register_spacy,
)
from .model import Entity, PolicyDocument, Span
from .resolve import jurisdiction_code, resolve_unit, review_generation

if TYPE_CHECKING:  # spaCy is imported by entity_pipeline() only: extraction runs without it
    from spacy.language import Language
    from spacy.tokens import Doc

_LEVEL_BEFORE_ZONE = re.compile(r"(?:国家级|国家|省级|省)$")
_QUOTES_AND_SPACE = re.compile(r"[“”\"'‘’\s]")


@cache
def entity_pipeline() -> Language:
    """spacy.blank("zh") with the entity components; built once per process."""
    import spacy

    register_spacy()
    nlp = spacy.blank("zh")
    nlp.tokenizer = CharTokenizer(nlp.vocab)
    for name in PIPELINE:
        nlp.add_pipe(name)
    return nlp


def canonical_name(kind: str, name: str, jurisdiction: str = "") -> str:
    """The form a name is merged under within a jurisdiction.

    清远国家高新区 / 清远市高新区 / 清远高新技术产业开发区 / 高新区 (in a 清远市 plan) -> 清远高新区;
    广东韶关国家农业科技园区 (in a 韶关市 plan) -> 韶关国家农业科技园区.
    """
    k = load_knowledge()
    n = name.strip().replace("(", "（").replace(")", "）")
    n = _QUOTES_AND_SPACE.sub("", n)
    short = jurisdiction_short(jurisdiction)
    ending = k.ending_of(n)
    if ending is not None and ending.canonical:
        n = n[: len(n) - len(ending.suffix)] + ending.canonical
        ending = k.ending_of(n)
    if kind == "Park" and ending is not None and n == ending.suffix and short:
        n = short + n  # a bare 高新区 inside a plan is the jurisdiction's own
    if kind == "Park" and ending is not None and ending.subtype == "高新区":
        stem = _LEVEL_BEFORE_ZONE.sub("", n[: len(n) - len(ending.suffix)])
        if short and stem in (short + "市", short + "县", short + "区"):
            stem = short
        n = stem + ending.suffix if stem else n
    if short and not n.startswith(short) and n.startswith(_provinces()):
        for province in _provinces():
            if n.startswith(province) and n[len(province) :].startswith(short):
                n = n[len(province) :]
                break
    return n


@cache
def _provinces() -> tuple[str, ...]:
    k = load_knowledge()
    names = [w for w in k.generic_words if w.endswith(("省", "自治区")) or w in ("广东", "粤")]
    return tuple(sorted(names, key=len, reverse=True))


def entity_id(kind: str, name: str, jurisdiction: str) -> str:
    """Canonical id: platform:<jurisdiction>:<name>, park:<jurisdiction>:<name>, firm:<name>.

    Parks go through extract.resolve so that a park mentioned and the same park
    named as a responsible unit are one node."""
    return canonical_entity(kind, name, jurisdiction)[0]


@lru_cache(maxsize=65536)
def canonical_entity(kind: str, name: str, jurisdiction: str, province: str = "") -> tuple[str, str]:
    """(id, canonical name) of a named platform, park or firm."""
    canonical = canonical_name(kind, name, jurisdiction)
    if kind == "Firm":
        return f"firm:{canonical}", canonical
    if kind not in ("Platform", "Park"):
        raise ValueError(f"entity_id: unknown entity kind {kind!r}")
    if kind == "Park" and jurisdiction:
        unit = _park_unit(canonical, jurisdiction, province)
        if unit is not None:
            return unit
    return f"{kind.lower()}:{_scope_key(jurisdiction, province)}:{canonical}", canonical


def _scope_key(jurisdiction: str, province: str) -> str:
    """Ids are keyed by the jurisdiction's division code (441800), its name when it has none."""
    return jurisdiction_code(jurisdiction, province) or jurisdiction


def category_id(kind: str, phrase: str) -> str:
    return f"category:{kind}:{phrase}"


def _park_unit(name: str, jurisdiction: str, province: str) -> tuple[str, str] | None:
    """The resolver's id for a park (extract.resolve.resolve_unit), when it reads one."""
    unit = resolve_unit(name, jurisdiction, province=province)
    if unit.unit_id.startswith("park:"):
        return unit.unit_id, unit.name
    return None


def entity_doc(text: str, jurisdiction: str = "", province: str = "") -> Doc:
    """The entity pipeline run over `text` of a plan of `jurisdiction` (in `province`)."""
    nlp = entity_pipeline()
    sdoc = nlp.make_doc(text)
    sdoc._.jurisdiction = jurisdiction
    sdoc._.province = province
    for _, proc in nlp.pipeline:
        sdoc = proc(sdoc)
    return sdoc


def entity_state(text: str, jurisdiction: str = "", province: str = "",
                 in_clause: Callable[[int, int], bool] | None = None) -> EntityState:
    """The entity components run over `text` directly (no spaCy Doc of one token per character):
    the chosen mentions are `.chosen`, every candidate `.candidates`. `in_clause(start, end)`:
    whether text[start:end] lies in a responsibility clause (see EntityState.in_clause)."""
    state = EntityState(text, jurisdiction, province, in_clause)
    for component in components():
        component.run(state)
    return state


class _Clauses:
    """Whether a span lies inside any responsibility clause, by bisection: among the clauses that
    start at or before the span, the one reaching farthest must reach its end."""

    def __init__(self, clauses: list[Span]) -> None:
        ordered = sorted(clauses, key=_START)
        self.starts = [c.start for c in ordered]
        self.reach = list(accumulate((c.end for c in ordered), max))

    def contain(self, span: Span) -> bool:
        return self.contain_range(span.start, span.end)

    def contain_range(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)
        return i > 0 and self.reach[i - 1] >= end


def _full_firm_names(names: set[str]) -> dict[str, str]:
    """Short firm name -> the only longer firm name it starts (豪美 -> 豪美新材)."""
    ordered = sorted(names)
    full: dict[str, str] = {}
    for short in ordered:
        longer = []
        for name in ordered[bisect_right(ordered, short):]:
            if not name.startswith(short) or len(longer) > 1:
                break
            longer.append(name)
        if len(longer) == 1:
            full[short] = longer[0]
    return full


def extract_entities(doc: PolicyDocument) -> list[Entity]:
    """Platforms, parks, firms, departments (and categories) mentioned in `doc.text`, in text order."""
    generation = review_generation[0]
    if generation != _canonical_generation[0]:  # the review rows changed: parks may resolve anew
        canonical_entity.cache_clear()
        _canonical_generation[0] = generation
    clauses = _Clauses([t.clause.span for t in doc.tasks])
    offsets = doc.offsets

    clause_starts, clause_reach = clauses.starts, clauses.reach

    def in_clause(start: int, end: int) -> bool:  # (a span of doc.text: end > start); _Clauses.contain_range
        i = bisect_right(clause_starts, offsets[start])
        return i > 0 and clause_reach[i - 1] > offsets[end - 1]

    state = entity_state(doc.text, doc.meta.jurisdiction, doc.meta.province, in_clause)
    jurisdiction = doc.meta.jurisdiction
    province = doc.meta.province
    tasks = sorted(doc.tasks, key=lambda t: t.span.end - t.span.start)

    # firms' short names: 豪美 is 豪美新材 when that is the only longer firm name it starts
    firm_full = _full_firm_names({e.text for e in state.chosen if e.kind == "Firm" and not e.generic})

    original = doc.original
    # the task of each mention: the smallest task paragraph holding its start (the first of
    # `tasks` among equally long ones), "" when none. The mentions come by start, and so do their
    # original offsets: one sweep over the tasks by start goes along with them
    by_start = sorted(range(len(tasks)), key=lambda i: tasks[i].span.start)
    task_starts = [tasks[i].span.start for i in by_start]
    task_count = len(by_start)
    active: list[tuple[int, int, int]] = []  # (length, order, end) of the tasks begun before here
    nxt = 0
    swept_to = -1  # the offset the sweep is at (none yet)
    change_at = -1  # where the sweep must look again: the next task's start or the nearest active end
    entities: list[Entity] = []
    append = entities.append
    task_path = ""
    new, set_field = object.__new__, object.__setattr__  # model._span, inline: a span for every mention
    for ent in state.chosen:
        kind = ent.kind
        o_start = offsets[ent.start]
        # end maps through the last character (PolicyDocument.span)
        o_end = offsets[ent.end - 1] + 1 if ent.end > ent.start else o_start
        if kind == DEPARTMENT and (i := bisect_right(clause_starts, o_start)) and clause_reach[i - 1] >= o_end:
            continue  # a responsible unit: LEADS / PARTICIPATES_IN, not a mention (_Clauses.contain_range)
        span = new(Span)
        set_field(span, "start", o_start)
        set_field(span, "end", o_end)
        set_field(span, "quote", original[o_start:o_end])
        if o_start < swept_to:  # (never so: offsets only grow) the sweep starts again
            active, nxt, change_at = [], 0, -1
        swept_to = o_start
        if o_start >= change_at:  # before, no task starts and none of the active ends: same task
            while nxt < task_count and task_starts[nxt] <= o_start:
                t = tasks[by_start[nxt]]
                heapq.heappush(active, (t.span.end - t.span.start, by_start[nxt], t.span.end))
                nxt += 1
            while active and active[0][2] <= o_start:  # ended: starts only grow, it never holds one again
                heapq.heappop(active)
            task_path = tasks[active[0][1]].path if active else ""
            change_at = min(task_starts[nxt] if nxt < task_count else _NEVER, active[0][2] if active else _NEVER)
        if ent.generic:
            phrase = ent.text
            append(Entity(phrase, kind, span, ent.subtype, f"category:{kind}:{phrase}", phrase, task_path, True))
        elif kind == DEPARTMENT:
            append(Entity(ent.text, kind, span, "", ent.unit_id, ent.unit_name, task_path))
        else:
            written = ent.alias_of or ent.written or ent.text
            if kind == "Firm":
                written = firm_full.get(written, written)
            eid, name = canonical_entity(kind, written, jurisdiction, province)
            append(Entity(ent.text, kind, span, ent.subtype, eid, name, task_path))
    return entities


_NEVER = float("inf")
_START = attrgetter("start")
_canonical_generation = [-1]  # resolve.review_generation when canonical_entity's memo was begun
