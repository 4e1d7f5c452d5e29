"""What changed between two versions of a plan: targets, tasks, who leads and who takes part.

`compare(doc_a, doc_b)` matches the tasks of version A to those of version B one to one, so that a
reworded title ("共建省实验室等重大创新平台" -> "建立与大湾区协同创新平台") still pairs with its
task: the pair score combines title similarity, paragraph-text similarity (with sentence coverage,
for paragraphs that grew or were merged), overlap of the responsible units and similarity of the
headings above the tasks, and the assignment maximising the total score over all plausible pairs is taken
(networkx max_weight_matching, i.e. the optimal assignment, not a greedy one). Unpaired tasks are
added or removed. Targets are matched by indicator (canonical id, else the most similar indicator
name with the same unit) and year.
"""

from __future__ import annotations

import csv
import difflib
import os
import re
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from policykg.extract.model import PolicyDocument, Section, Target, Task, UnitMention

if TYPE_CHECKING:
    import networkx as nx

# Below this pair score two tasks are different tasks (a removal plus an addition), however few
# tasks remain unpaired. Two tasks of one plan sharing boilerplate score ~0.15-0.25; a task and its
# reworded next version ~0.45 and up.
MIN_TASK_SCORE = 0.33
# Shared units alone never make two tasks one: the title or the paragraph must agree this much.
MIN_CONTENT = 0.3
# Indicator names of two versions are paired by name when their canonical ids differ.
MIN_INDICATOR_SCORE = 0.6
# section: similarity of the headings the tasks sit under (versions mostly keep their actions).
WEIGHTS = {"title": 0.3, "text": 0.35, "units": 0.15, "lead": 0.1, "section": 0.1}

_NOISE = re.compile(r"[\s\u3000。，、；：:;,.()（）“”\"'《》\-—－]|^\d+|^[一二三四五六七八九十]+")


def _clean(text: str) -> str:
    return _NOISE.sub("", text)


@lru_cache(maxsize=1 << 16)  # every sentence is compared with every sentence of the other version
def bigrams(text: str) -> frozenset[str]:
    text = _clean(text)
    return frozenset({text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set()))


def dice(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


_SENTENCE = re.compile(r"[^。；;！？!?]+[。；;！？!?]?")


@lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[str, ...]:
    return tuple(c for c in (_clean(m.group()) for m in _SENTENCE.finditer(text)) if len(c) >= 4)


def coverage(x: tuple[str, ...], y: tuple[str, ...]) -> float:
    """How much of x (by length) reappears in y: each sentence of x scored by its most similar
    sentence of y (bigram Dice), so a condensed or lightly edited sentence still counts in part."""
    if not x or not y:
        return 0.0
    grams_y = [bigrams(s) for s in y]
    total = sum(len(s) for s in x)
    return sum(len(s) * max(dice(bigrams(s), g) for g in grams_y) for s in x) / total


def text_similarity(a: str, b: str) -> float:
    """How much two task paragraphs say the same. Bigram Dice of the whole, or sentence coverage
    when a version kept a paragraph's sentences and added others (or merged two tasks): mostly the
    coverage of the better-covered side, partly the other side's, so that of two tasks merged into
    one the one contributing more text wins."""
    whole = dice(bigrams(a), bigrams(b))
    sa, sb = sentences(a), sentences(b)
    ca, cb = coverage(sa, sb), coverage(sb, sa)
    return max(whole, 0.75 * max(ca, cb) + 0.25 * min(ca, cb))


def title_similarity(a: str, b: str) -> float:
    """Character bigrams (robust to reordering) or difflib (robust to single-character edits)."""
    a, b = _clean(a), _clean(b)
    if not a or not b:
        return 0.0
    return max(dice(bigrams(a), bigrams(b)), difflib.SequenceMatcher(None, a, b, autojunk=False).ratio())


def unit_key(unit: UnitMention) -> str:
    """The canonical unit id when resolved, else the written form (whitespace removed)."""
    if unit.resolved is not None and unit.resolved.unit_id:
        return unit.resolved.unit_id
    return "written:" + re.sub(r"\s+", "", unit.written)


def unit_label(unit: UnitMention) -> str:
    return re.sub(r"\s+", "", unit.written) or (unit.resolved.name if unit.resolved else "")


# PolicyDocument.extras keys of a document rebuilt from a graph (document_from_graph): what the
# Task nodes carry for comparison, so that files and a built graph compare alike
TASK_CONTENT = "task_content"  # task path -> paragraph text without its clause
SECTION_TITLES = "section_titles"  # task path -> the heading above the task's own


def task_paragraph(doc: PolicyDocument, task: Task) -> str:
    """The task paragraph in the normalised text (artefacts repaired, Simplified), found through
    the offset map; the original slice when the document carries no normalised text."""
    if doc.text and doc.offsets:
        start = bisect_left(doc.offsets, task.span.start, 0, len(doc.text))
        end = bisect_left(doc.offsets, task.span.end, start, len(doc.text))
        return doc.text[start:end]
    if doc.original:
        return doc.original[task.span.start : task.span.end]
    return ""


@dataclass(frozen=True)
class TaskSimilarity:
    title: float
    text: float | None  # None when either paragraph text is unknown
    units: float  # Jaccard of all responsible units
    lead: float  # Jaccard of the leads
    section: float  # similarity of the headings the tasks sit under
    score: float


@dataclass(frozen=True)
class TaskFeatures:
    """What a task is compared by."""

    title: str
    text: str  # the paragraph without its responsibility clause
    leads: set[str]  # unit keys
    participants: set[str]
    section: str  # the heading the task sits under ("入珠融湾科技创新合作行动")


def task_content(doc: PolicyDocument, task: Task) -> str:
    """The task's paragraph without its responsibility clause: what its text is compared by."""
    given = doc.extras.get(TASK_CONTENT, {}).get(task.path)
    if given is not None:
        return given
    text = task_paragraph(doc, task)
    clause = task.clause.span.quote
    if doc.text and doc.offsets:
        start = bisect_left(doc.offsets, task.clause.span.start, 0, len(doc.text))
        clause = doc.text[start : bisect_left(doc.offsets, task.clause.span.end, start, len(doc.text))]
    if clause:  # the units are scored on their own; the paragraph text is the task's content
        text = text.replace(clause, "")
    return text


def task_features(doc: PolicyDocument, task: Task) -> TaskFeatures:
    return TaskFeatures(
        title=task.title,
        text=task_content(doc, task),
        leads={unit_key(u) for u in task.lead_units},
        participants={unit_key(u) for u in task.participant_units},
        section=section_heading(doc, task),
    )


_last_index: tuple[PolicyDocument, int, dict[str | None, tuple[Any, list[Section]]]] | None = None


def _sections_by_path(doc: PolicyDocument) -> dict[str | None, tuple[Any, list[Section]]]:
    """sections_by_path(doc), built once per document, not once per task: the tasks of one
    document are asked about one after another."""
    global _last_index
    if _last_index is not None and _last_index[0] is doc and _last_index[1] == len(doc.sections):
        return _last_index[2]
    index = sections_by_path(doc)
    _last_index = (doc, len(doc.sections), index)
    return index


def sections_by_path(doc: PolicyDocument) -> dict[str | None, tuple[Any, list[Section]]]:
    """The document's sections grouped by path, each group in outline order with its start
    offsets (a list when they ascend, so that a lookup bisects; None otherwise). Not kept: a
    caller that asks once per document (graph/record.py, in the extraction worker) holds no
    document past its job (whose objects the worker's collector would then walk again)."""
    groups: dict[str | None, list[Section]] = {}
    for section in doc.sections:
        found = groups.get(section.path)
        if found is None:
            groups[section.path] = [section]
        else:
            found.append(section)
    index: dict[str | None, tuple[Any, list[Section]]] = {}
    for path, sections in groups.items():
        if len(sections) == 1:  # most paths: one section (its start list needs no check)
            index[path] = ([sections[0].span.start], sections)
            continue
        starts = [s.span.start for s in sections]
        ascending = all(a <= b for a, b in pairwise(starts))
        index[path] = (starts if ascending else None, sections)
    return index


def section_heading(doc: PolicyDocument, task: Task) -> str:
    """The title of the outline item above the task's own ("（一）…行动" above "1.…"). Of
    several items with one path (an outline that missed a heading), the nearest before the task."""

    given = doc.extras.get(SECTION_TITLES, {}).get(task.path)
    if given is not None:
        return given

    by_path = _sections_by_path(doc)

    def before(path: str | None, position: int) -> Section | None:
        starts, sections = by_path.get(path, ((), ()))
        if isinstance(starts, list):  # starts in order: the last one at or before the position
            i = bisect_right(starts, position)
            return sections[i - 1] if i else None
        found = [s for s in sections if s.span.start <= position]
        return found[-1] if found else None

    own = before(task.section_path or task.path, task.span.start)
    parent = before(own.parent, own.span.start) if own is not None and own.parent else None
    return parent.title if parent is not None else ""


def task_similarity(fa: TaskFeatures, fb: TaskFeatures) -> TaskSimilarity:
    title_a, text_a, units_a = fa.title, fa.text, (fa.leads, fa.participants)
    title_b, text_b, units_b = fb.title, fb.text, (fb.leads, fb.participants)
    t = title_similarity(title_a, title_b)
    x = text_similarity(text_a, text_b) if text_a and text_b else None
    all_a, all_b = units_a[0] | units_a[1], units_b[0] | units_b[1]
    u = len(all_a & all_b) / len(all_a | all_b) if all_a | all_b else 0.0
    lead = len(units_a[0] & units_b[0]) / len(units_a[0] | units_b[0]) if units_a[0] | units_b[0] else 0.0
    section = title_similarity(fa.section, fb.section) if fa.section and fb.section else None
    parts = {"title": t, "text": x, "units": u, "lead": lead, "section": section}
    weights = {k: w for k, w in WEIGHTS.items() if parts[k] is not None}
    score = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())  # type: ignore[operator]
    return TaskSimilarity(t, x, u, lead, section or 0.0, round(score, 4))


@dataclass
class TaskMatch:
    """Task a of version A is task b of version B."""

    a: Task
    b: Task
    similarity: TaskSimilarity

    @property
    def leads_a(self) -> list[UnitMention]:
        return self.a.lead_units

    @property
    def leads_b(self) -> list[UnitMention]:
        return self.b.lead_units

    @property
    def reassigned(self) -> bool:
        return {unit_key(u) for u in self.a.lead_units} != {unit_key(u) for u in self.b.lead_units}

    @property
    def participants_added(self) -> list[UnitMention]:
        before = {unit_key(u) for u in self.a.participant_units}
        return _unique(u for u in self.b.participant_units if unit_key(u) not in before)

    @property
    def participants_dropped(self) -> list[UnitMention]:
        after = {unit_key(u) for u in self.b.participant_units}
        return _unique(u for u in self.a.participant_units if unit_key(u) not in after)

    @property
    def retitled(self) -> bool:
        return _clean(self.a.title) != _clean(self.b.title)


def _unique(units: Iterable[UnitMention]) -> list[UnitMention]:
    seen: dict[str, UnitMention] = {}
    for unit in units:
        seen.setdefault(unit_key(unit), unit)
    return list(seen.values())


TargetStatus = Literal["changed", "added", "removed", "same"]


@dataclass
class TargetChange:
    indicator: str  # the indicator's name (B's when both)
    indicator_a: str
    indicator_b: str
    year: int | None
    unit: str
    value_a: float | None
    value_b: float | None
    status: TargetStatus
    quote_a: str = ""
    quote_b: str = ""


@dataclass
class DocumentSummary:
    name: str
    title: str
    period: tuple[int, int] | None
    sha256: str
    n_tasks: int
    n_targets: int
    status: str = ""
    edition: str = ""  # "edition 1 of 2 of plan …" when the graph knows the plan family

    @classmethod
    def of(cls, doc: PolicyDocument) -> DocumentSummary:
        return cls(doc.name, doc.meta.title or doc.name, doc.meta.period, doc.sha256, len(doc.tasks),
                   len(doc.targets), doc.meta.status, str(doc.extras.get("edition", "")))


@dataclass
class Comparison:
    a: DocumentSummary
    b: DocumentSummary
    matches: list[TaskMatch] = field(default_factory=list)
    removed: list[Task] = field(default_factory=list)  # in A only
    added: list[Task] = field(default_factory=list)  # in B only
    # a removed task whose text lives on in a task of B (merged), and an added task whose text
    # comes from a task of A (split off): task -> (the other version's task, share of text)
    kept_in: dict[int, tuple[Task, float]] = field(default_factory=dict)  # id(removed A task) ->
    taken_from: dict[int, tuple[Task, float]] = field(default_factory=dict)  # id(added B task) ->
    targets: list[TargetChange] = field(default_factory=list)

    @property
    def reassigned(self) -> list[TaskMatch]:
        return [m for m in self.matches if m.reassigned]

    @property
    def participant_changes(self) -> list[TaskMatch]:
        return [m for m in self.matches if m.participants_added or m.participants_dropped]

    @property
    def retitled(self) -> list[TaskMatch]:
        return [m for m in self.matches if m.retitled]

    @property
    def changed_targets(self) -> list[TargetChange]:
        return [t for t in self.targets if t.status == "changed"]

    def target(self, indicator: str, year: int) -> TargetChange | None:
        """The change of one indicator (canonical or written name) in one year, if compared."""
        for change in self.targets:
            names = {change.indicator, change.indicator_a, change.indicator_b}
            if change.year == year and indicator in names:
                return change
        return None

    def match_of(self, task_a: Task) -> TaskMatch | None:
        return next((m for m in self.matches if m.a is task_a), None)


# ---- tasks -------------------------------------------------------------------------------------


def match_tasks(
    doc_a: PolicyDocument, doc_b: PolicyDocument, min_score: float = MIN_TASK_SCORE
) -> tuple[list[TaskMatch], list[Task], list[Task]]:
    """The optimal one-to-one pairing of A's tasks with B's (pairs scoring below min_score, or
    whose titles and paragraphs both differ, are never made); returns the pairs in A's order,
    A's unpaired tasks, B's unpaired tasks."""

    import networkx as nx  # here: the build imports this module for task_content, and needs no networkx

    fa = [task_features(doc_a, t) for t in doc_a.tasks]
    fb = [task_features(doc_b, t) for t in doc_b.tasks]
    graph = nx.Graph()
    sims: dict[tuple[int, int], TaskSimilarity] = {}
    for i, features_a in enumerate(fa):
        for j, features_b in enumerate(fb):
            sim = task_similarity(features_a, features_b)
            if sim.score >= min_score and max(sim.title, sim.text or 0.0) >= MIN_CONTENT:
                sims[i, j] = sim
                graph.add_edge(("a", i), ("b", j), weight=sim.score)
    pairs: dict[int, int] = {}
    for u, v in nx.max_weight_matching(graph):
        (_, i), (_, j) = sorted((u, v))  # ("a", i) sorts before ("b", j)
        pairs[i] = j
    matches = [TaskMatch(doc_a.tasks[i], doc_b.tasks[j], sims[i, j]) for i, j in sorted(pairs.items())]
    paired_b = set(pairs.values())
    removed = [t for i, t in enumerate(doc_a.tasks) if i not in pairs]
    added = [t for j, t in enumerate(doc_b.tasks) if j not in paired_b]
    return matches, removed, added


# ---- targets -----------------------------------------------------------------------------------


def _indicator_key(target: Target) -> str:
    return target.indicator_id or "ind:" + _clean(target.indicator)


def _representative(targets: list[Target]) -> Target:
    """One target per (indicator, year): the plan-level table cell first, then plan-level text."""
    return min(targets, key=lambda t: (t.source != "table", bool(t.task_path), t.span.start))


def _by_indicator_year(doc: PolicyDocument) -> dict[str, dict[int | None, Target]]:
    grouped: dict[str, dict[int | None, list[Target]]] = {}
    for target in doc.targets:
        grouped.setdefault(_indicator_key(target), {}).setdefault(target.year, []).append(target)
    return {key: {year: _representative(ts) for year, ts in years.items()} for key, years in grouped.items()}


def _name(targets: dict[int | None, Target]) -> str:
    first = next(iter(targets.values()))
    return first.indicator_name or first.indicator


def _pair_indicators(
    a: dict[str, dict[int | None, Target]], b: dict[str, dict[int | None, Target]]
) -> list[tuple[str | None, str | None]]:
    """Indicator keys of A and B paired: same canonical id, else the best name match (same unit)."""
    pairs: list[tuple[str | None, str | None]] = [(k, k) for k in a if k in b]
    rest_a = [k for k in a if k not in b]
    rest_b = [k for k in b if k not in a]
    import networkx as nx

    graph = nx.Graph()
    for i, ka in enumerate(rest_a):
        unit_a = next(iter(a[ka].values())).unit
        for j, kb in enumerate(rest_b):
            if next(iter(b[kb].values())).unit != unit_a:
                continue
            score = title_similarity(_name(a[ka]), _name(b[kb]))
            if score >= MIN_INDICATOR_SCORE:
                graph.add_edge(("a", i), ("b", j), weight=score)
    paired_a: set[int] = set()
    paired_b: set[int] = set()
    for u, v in nx.max_weight_matching(graph):
        (_, i), (_, j) = sorted((u, v))
        pairs.append((rest_a[i], rest_b[j]))
        paired_a.add(i)
        paired_b.add(j)
    pairs += [(k, None) for i, k in enumerate(rest_a) if i not in paired_a]
    pairs += [(None, k) for j, k in enumerate(rest_b) if j not in paired_b]
    return pairs


def compare_targets(doc_a: PolicyDocument, doc_b: PolicyDocument) -> list[TargetChange]:
    a, b = _by_indicator_year(doc_a), _by_indicator_year(doc_b)
    changes: list[TargetChange] = []
    for ka, kb in _pair_indicators(a, b):
        years_a = a.get(ka, {}) if ka else {}
        years_b = b.get(kb, {}) if kb else {}
        name = _name(years_b) if years_b else _name(years_a)
        name_a = _name(years_a) if years_a else ""
        name_b = _name(years_b) if years_b else ""
        for year in sorted(set(years_a) | set(years_b), key=lambda y: (y is None, y or 0)):
            ta, tb = years_a.get(year), years_b.get(year)
            if ta and tb:
                # a unit written in one version only (a table row without "（个）") is no change
                same_unit = ta.unit == tb.unit or not ta.unit or not tb.unit
                same = ta.value == tb.value and ta.value_max == tb.value_max and same_unit
                status: TargetStatus = "same" if same else "changed"
            else:
                status = "removed" if ta else "added"
            changes.append(
                TargetChange(
                    indicator=name,
                    indicator_a=name_a,
                    indicator_b=name_b,
                    year=year,
                    unit=(tb.unit if tb and tb.unit else ta.unit if ta else ""),
                    value_a=ta.value if ta else None,
                    value_b=tb.value if tb else None,
                    status=status,
                    quote_a=ta.span.quote if ta else "",
                    quote_b=tb.span.quote if tb else "",
                )
            )
    order = {"changed": 0, "removed": 1, "added": 2, "same": 3}
    changes.sort(key=lambda c: (order[c.status], c.indicator, c.year or 0))
    return changes


def compare(doc_a: PolicyDocument, doc_b: PolicyDocument, *, min_score: float = MIN_TASK_SCORE) -> Comparison:
    """What changed from version A to version B."""
    matches, removed, added = match_tasks(doc_a, doc_b, min_score)
    return Comparison(
        a=DocumentSummary.of(doc_a),
        b=DocumentSummary.of(doc_b),
        matches=matches,
        removed=removed,
        added=added,
        targets=compare_targets(doc_a, doc_b),
        kept_in=text_kept(doc_a, removed, doc_b),
        taken_from=text_kept(doc_b, added, doc_a),
    )


# A removed task is reported as merged into a task of the other version when this share of its
# text (sentence coverage) reappears there.
MIN_KEPT = 0.6


def text_kept(doc_x: PolicyDocument, tasks: list[Task], doc_y: PolicyDocument) -> dict[int, tuple[Task, float]]:
    """For unpaired tasks of X: the task of Y that holds most of its text, when that is most."""
    texts_y = [(t, sentences(task_features(doc_y, t).text)) for t in doc_y.tasks]
    kept: dict[int, tuple[Task, float]] = {}
    for task in tasks:
        own = sentences(task_features(doc_x, task).text)
        scored = [(coverage(own, other), t) for t, other in texts_y]
        if scored:
            share, where = max(scored, key=lambda x: x[0])
            if share >= MIN_KEPT:
                kept[id(task)] = (where, share)
    return kept


# ---- output ------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "change",
    "path_a",
    "path_b",
    "title_a",
    "title_b",
    "match_score",
    "lead_a",
    "lead_b",
    "participants_added",
    "participants_dropped",
    "note",
    "indicator",
    "year",
    "unit",
    "value_a",
    "value_b",
]


def _units(units: Iterable[UnitMention]) -> str:
    return " | ".join(unit_label(u) for u in units)


def _value(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _kept_note(kept: tuple[Task, float] | None, what: str) -> str:
    if kept is None:
        return ""
    task, share = kept
    return f"{what} {task.path} {task.title} ({share:.0%})"


def comparison_rows(c: Comparison) -> list[dict[str, str]]:
    """One row per change: task-removed, task-added, lead-changed, participants-changed,
    task-retitled, target-changed, target-removed, target-added."""
    rows: list[dict[str, str]] = []

    def row(change: str, **values: str) -> None:
        rows.append({col: "" for col in CSV_COLUMNS} | {"change": change} | values)

    for m in c.matches:
        base = {
            "path_a": m.a.path,
            "path_b": m.b.path,
            "title_a": m.a.title,
            "title_b": m.b.title,
            "match_score": f"{m.similarity.score:.2f}",
            "lead_a": _units(m.leads_a),
            "lead_b": _units(m.leads_b),
        }
        if m.reassigned:
            row("lead-changed", **base)
        if m.participants_added or m.participants_dropped:
            row(
                "participants-changed",
                **base,
                participants_added=_units(m.participants_added),
                participants_dropped=_units(m.participants_dropped),
            )
        if m.retitled and not m.reassigned and not (m.participants_added or m.participants_dropped):
            row("task-retitled", **base)
    for t in c.removed:
        note = _kept_note(c.kept_in.get(id(t)), "text kept in B")
        row("task-removed", path_a=t.path, title_a=t.title, lead_a=_units(t.lead_units), note=note)
    for t in c.added:
        note = _kept_note(c.taken_from.get(id(t)), "text from A")
        row("task-added", path_b=t.path, title_b=t.title, lead_b=_units(t.lead_units), note=note)
    for g in c.targets:
        if g.status != "same":
            row(
                f"target-{g.status}",
                indicator=g.indicator,
                year="" if g.year is None else str(g.year),
                unit=g.unit,
                value_a=_value(g.value_a),
                value_b=_value(g.value_b),
            )
    return rows


def write_comparison_csv(c: Comparison, path: Path | str) -> Path:
    """The changes as CSV (UTF-8 with BOM, for spreadsheet programs); written to a temporary
    file and renamed, so a failure never leaves half a table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".compare-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(comparison_rows(c))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _period(s: DocumentSummary) -> str:
    return f"{s.period[0]}-{s.period[1]}" if s.period else "period unknown"


def format_report(c: Comparison) -> str:
    """A readable account of the changes, most consequential first."""
    out: list[str] = []
    add = out.append
    for tag, side in (("A", c.a), ("B", c.b)):
        status = f"; {side.status}" if side.status else ""
        add(f"{tag}: {side.title} ({_period(side)}{status}; {side.name}; "
            f"{side.n_tasks} tasks, {side.n_targets} targets)")
        if side.edition:
            add(f"   {side.edition}")
    add(
        f"Tasks: {len(c.matches)} matched, {len(c.removed)} removed, {len(c.added)} added, "
        f"{len(c.reassigned)} re-assigned, {len(c.participant_changes)} with participants changed, "
        f"{len(c.retitled)} retitled"
    )
    same = sum(1 for t in c.targets if t.status == "same")
    only_a = sum(t.status == "removed" for t in c.targets)
    only_b = sum(t.status == "added" for t in c.targets)
    add(f"Targets: {len(c.changed_targets)} changed, {same} unchanged, {only_a} only in A, {only_b} only in B")

    if c.changed_targets:
        add("")
        add("Targets changed (same indicator and year):")
        for g in c.changed_targets:
            unit = "" if g.unit in ("", "%") else g.unit
            pct = "%" if g.unit == "%" else ""
            renamed = f"  [A: {g.indicator_a}]" if g.indicator_a and g.indicator_a != g.indicator else ""
            add(
                f"  {g.indicator} {g.year}: {_value(g.value_a)}{pct} -> {_value(g.value_b)}{pct} {unit}".rstrip()
                + renamed
            )
    for status, heading in (("removed", "Targets only in A"), ("added", "Targets only in B")):
        items = [g for g in c.targets if g.status == status]
        if items:
            add("")
            add(f"{heading}:")
            by_indicator: dict[str, list[str]] = {}
            for g in items:
                value = g.value_a if status == "removed" else g.value_b
                by_indicator.setdefault(g.indicator, []).append(f"{g.year}: {_value(value)}{g.unit}")
            for indicator, values in by_indicator.items():
                add(f"  {indicator}  " + ", ".join(values))
    if c.reassigned:
        add("")
        add("Tasks re-assigned (lead changed):")
        for m in c.reassigned:
            add(f"  {m.a.path} {m.a.title}  ->  {m.b.path} {m.b.title}  (match {m.similarity.score:.2f})")
            add(f"      lead: {_units(m.leads_a) or '-'}  ->  {_units(m.leads_b) or '-'}")
    if c.participant_changes:
        add("")
        add("Participants changed:")
        for m in c.participant_changes:
            add(f"  {m.a.path} -> {m.b.path} {m.b.title}")
            if m.participants_added:
                add(f"      + {_units(m.participants_added)}")
            if m.participants_dropped:
                add(f"      - {_units(m.participants_dropped)}")
    if c.removed:
        add("")
        add("Tasks removed (in A only):")
        for t in c.removed:
            note = _kept_note(c.kept_in.get(id(t)), "its text is kept in B")
            add(f"  {t.path} {t.title}  (lead: {_units(t.lead_units) or '-'})" + (f"; {note}" if note else ""))
    if c.added:
        add("")
        add("Tasks added (in B only):")
        for t in c.added:
            note = _kept_note(c.taken_from.get(id(t)), "its text comes from A")
            add(f"  {t.path} {t.title}  (lead: {_units(t.lead_units) or '-'})" + (f"; {note}" if note else ""))
    if c.retitled:
        add("")
        add("Tasks matched under a new title:")
        for m in c.retitled:
            s = m.similarity
            text = f"{s.text:.2f}" if s.text is not None else "-"
            add(
                f"  {m.a.path} {m.a.title}  ->  {m.b.path} {m.b.title}  "
                f"(match {s.score:.2f}: title {s.title:.2f}, text {text}, units {s.units:.2f})"
            )
    return "\n".join(out) + "\n"


# ---- documents of a built graph ------------------------------------------------------------------


def find_document(g: nx.MultiDiGraph, ref: str) -> str:
    """The Document node a reference names: its id, file name, sha256 (or a prefix of 8+ hex
    digits) or a part of its title. Raises LookupError (none or several)."""
    docs = {n: d for n, d in g.nodes(data=True) if d.get("label") == "Document"}
    exact = [n for n, d in docs.items() if ref in (n, d.get("file"), d.get("sha256"), d.get("name"))]
    if len(exact) == 1:
        return exact[0]
    loose = exact or [
        n
        for n, d in docs.items()
        if (len(ref) >= 8 and str(d.get("sha256", "")).startswith(ref.lower())) or ref in str(d.get("name", ""))
    ]
    if len(loose) == 1:
        return loose[0]
    if not loose:
        raise LookupError(f"{ref}: no document of the graph has this file name, id, sha256 or title")
    names = ", ".join(sorted(str(docs[n].get("file")) for n in loose))
    raise LookupError(f"{ref}: names {len(loose)} documents ({names}); give the file name")


def edition_label(g: nx.MultiDiGraph, doc_node: str) -> str:
    """"edition 1 of 2 of plan …, superseded" for a document of a plan family."""
    d = g.nodes[doc_node]
    plan = g.nodes.get(str(d.get("planFamily", "")), {})
    editions = list(plan.get("editionIds") or [])
    if doc_node not in editions:
        return ""
    state = "the newest" if d.get("current") else "superseded"
    return f"edition {editions.index(doc_node) + 1} of {len(editions)} of plan {plan.get('name', '')} ({state})"


def family_editions(g: nx.MultiDiGraph, ref: str) -> list[str]:
    """The Document nodes of the plan family `ref` names (a plan id or name, or any of its
    documents), oldest edition first."""
    plans = [n for n, d in g.nodes(data=True) if d.get("label") == "Plan" and ref in (n, d.get("name"))]
    plans = plans or [n for n, d in g.nodes(data=True) if d.get("label") == "Plan" and ref in str(d.get("name", ""))]
    plan = plans[0] if len(plans) == 1 else str(g.nodes[find_document(g, ref)].get("planFamily", ""))
    return [n for n in g.nodes.get(plan, {}).get("editionIds") or [] if n in g]


def document_from_graph(g: nx.MultiDiGraph, doc_node: str, source: Path | None = None) -> PolicyDocument:
    """A PolicyDocument rebuilt from one document's nodes and edges: tasks with their resolved
    units and what they are compared by (content, section title), targets. `source` is accepted
    for compatibility and not read: the graph holds everything a comparison needs."""
    from policykg.extract.model import Clause, DocumentMeta, ResolvedUnit, Span, Target

    d = g.nodes[doc_node]
    sha = str(d.get("sha256", ""))
    doc = PolicyDocument(
        path=Path(str(d.get("file", doc_node))), sha256=sha, encoding=str(d.get("encoding", "")), original=""
    )
    start, end = d.get("periodStart"), d.get("periodEnd")
    doc.meta = DocumentMeta(
        title=str(d.get("name", "")),
        issuer=str(d.get("issuer", "")),
        jurisdiction=str(d.get("jurisdiction", "")),
        province=str(d.get("province", "")),
        period=(int(start), int(end)) if start not in ("", None) and end not in ("", None) else None,
        status=str(d.get("status", "")),
    )
    tasks: list[Task] = []
    for task_node, _, e in g.in_edges(doc_node, data=True):
        if e.get("type") != "PART_OF":
            continue
        t = g.nodes[task_node]
        units: list[tuple[int, UnitMention]] = []
        for unit_node, _, key, ue in g.in_edges(task_node, keys=True, data=True):
            if ue.get("type") not in ("LEADS", "PARTICIPATES_IN"):
                continue
            u = g.nodes[unit_node]
            # edge keys are "LEADS:3": the unit's place in the clause
            order = int(str(ue.get("key", key)).rsplit(":", 1)[-1] or 0)
            resolved = ResolvedUnit(
                unit_id=unit_node,
                name=str(u.get("name", "")),
                kind=str(u.get("kind", u.get("label", ""))),
                jurisdiction=str(u.get("jurisdiction", "")),
                rule=str(ue.get("rule", "")),
                flagged=bool(ue.get("flagged", False)),
            )
            span = Span(int(ue.get("start", 0)), int(ue.get("end", 0)), str(ue.get("quote", "")))
            role = "lead" if ue["type"] == "LEADS" else "participant"
            units.append((order, UnitMention(str(ue.get("written", "")), role, span, resolved=resolved)))
        clause = Clause(
            Span(int(t.get("start", 0)), int(t.get("end", 0)), str(t.get("quote", ""))),
            str(t.get("clauseForm", "")),
            [u for _, u in sorted(units, key=lambda x: x[0])],
        )
        paragraph = Span(int(t.get("paragraphStart", 0)), int(t.get("paragraphEnd", 0)), "")
        tasks.append(
            Task(
                path=str(t.get("path", "")),
                title=str(t.get("title", "")),
                span=paragraph,
                clause=clause,
                section_path=str(t.get("path", "")),
            )
        )
    doc.tasks = sorted(tasks, key=lambda t: t.span.start)
    task_nodes = {f"task:{sha[:16]}:{t.path}" for t in doc.tasks}
    # what the comparison reads of each task, as the graph holds it (never re-read from a file:
    # files and a built graph compare alike)
    doc.extras[TASK_CONTENT] = {t.path: str(g.nodes[n].get("content", "")) for t in doc.tasks
                                if (n := f"task:{sha[:16]}:{t.path}") in g}
    doc.extras[SECTION_TITLES] = {t.path: str(g.nodes[n].get("sectionTitle", "")) for t in doc.tasks
                                  if (n := f"task:{sha[:16]}:{t.path}") in g}
    doc.extras["edition"] = edition_label(g, doc_node)
    targets: list[Target] = []
    for source_node in [doc_node, *task_nodes]:
        if source_node not in g:
            continue
        for _, indicator, e in g.out_edges(source_node, data=True):
            if e.get("type") != "TARGETS":
                continue
            ind = g.nodes[indicator]
            year = e.get("year")
            value_max = e.get("valueMax")
            targets.append(
                Target(
                    indicator=str(e.get("written", ind.get("name", ""))),
                    indicator_id=indicator,
                    indicator_name=str(ind.get("name", "")),
                    unit=str(e.get("unit", "")),
                    year=int(year) if year not in ("", None) else None,
                    value=float(e.get("value", 0)),
                    span=Span(int(e.get("start", 0)), int(e.get("end", 0)), str(e.get("quote", ""))),
                    value_max=float(value_max) if value_max not in ("", None) else None,
                    qualifier=str(e.get("qualifier", "")),
                    source="table" if e.get("source") == "table" else "text",
                    task_path=str(e.get("taskPath", "")),
                    recurrence=str(e.get("recurrence", "")),
                )
            )
    doc.targets = sorted(targets, key=lambda t: t.span.start)
    if not doc.text:  # no normalised text: keep sections out, paragraphs unknown
        doc.sections = []
    return doc
