"""The document model: a policy document and the annotations the pipeline stages attach to it.

Offsets: every `Span` cites the ORIGINAL decoded text (`PolicyDocument.original`), so a quote can
always be checked with ``doc.original[span.start:span.end] == span.quote``. Stages work on
`PolicyDocument.text` (normalised: pinyin removed, PDF artefacts repaired, punctuation unified,
Traditional converted to Simplified) and map back with `PolicyDocument.span()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Role = Literal["lead", "participant"]

# Kinds of responsible bodies; values are the graph labels (CamelCase, as Neo4j expects).
UNIT_KINDS = (
    "Department",  # a government department or office (市科技局, 市委组织部)
    "Government",  # a people's government (天河区政府, 韶关市人民政府)
    "ParkCommittee",  # management committee of a zone or park (清远高新区, 广州开发区管委会)
    "Collective",  # a collective actor (各县（市、区）人民政府, 各有关部门)
    "Media",  # newspapers, TV and radio stations
    "Institute",  # research institutes, universities, public institutions
    "Firm",  # companies
    "Organisation",  # anything else (associations, command posts, leading groups)
)


@dataclass(frozen=True)
class Span:
    """A stretch of the original text: [start, end) and the text itself."""

    start: int
    end: int
    quote: str


def _span(start: int, end: int, quote: str, _new: Any = object.__new__, _set: Any = object.__setattr__) -> Span:
    """Span(start, end, quote) without the frozen dataclass's __init__ frame: the stages make a span
    for every unit, task and target. The fields are set as __init__ sets them (object.__setattr__,
    which keeps the instance's attribute layout, and so attribute reads, as fast as __init__'s)."""
    span = _new(Span)
    _set(span, "start", start)
    _set(span, "end", end)
    _set(span, "quote", quote)
    return span


# The annotations made for every unit and task have slots: made and read faster, by every stage
# and by the record encoders (they are never given attributes of their own).
@dataclass(slots=True)
class ResolvedUnit:
    """What a unit as written resolves to (see extract.resolve)."""

    unit_id: str  # stable id keyed by division code, e.g. "dept:441800:科学技术局"
    name: str  # canonical name, e.g. "清远市科学技术局"
    kind: str  # one of UNIT_KINDS
    jurisdiction: str  # e.g. "清远市"; "" when not tied to one
    rule: str  # which rule decided: alias, exact, prefix-carried, suffix-shared, typo, ...
    flagged: bool = False  # a decision a person should check (typo repaired, guess)
    note: str = ""
    jurisdiction_code: str = ""  # GB/T 2260 code of `jurisdiction` ("000000" national, "" none)


@dataclass(slots=True)
class UnitMention:
    """A responsible unit named in a clause, with its role in the task."""

    written: str  # as in the normalised text (Simplified, artefacts repaired)
    role: Role
    span: Span  # in the original text
    written_original: str = ""  # as in the original text (may be Traditional / hold pinyin)
    resolved: ResolvedUnit | None = None
    separator: str = ""  # what preceded it in its list: "" (first), "、", "，", "；"
    lead_from_order: bool = False  # a lead read from its place in the list (first listed), not from a label


@dataclass(slots=True)
class Clause:
    """A responsibility clause: （牵头单位：…，参与单位：…）, (責任單位:…), （A、B负责）."""

    span: Span
    form: str  # e.g. "labelled", "inline", "responsible-list"
    units: list[UnitMention] = field(default_factory=list)


@dataclass
class Section:
    """A numbered or unnumbered heading/paragraph of the outline."""

    path: str  # e.g. "三.(一).1" ; unnumbered paragraphs get ".n"
    marker: str  # the numbering as written: "三、", "（一）", "1.", "" for unnumbered
    level: int  # 1 = 一、 , 2 = （一）, 3 = 1. , 4 = （1）, 5+ unnumbered paragraphs
    title: str  # heading text (normalised, without the marker)
    span: Span  # whole paragraph, original text
    parent: str | None = None  # path of the parent section
    year: int | None = None  # a year the heading sets ("二、到2020年的主要任务")
    heading_only: bool = False  # a numbered heading with no body ("2.主要任务。")
    text_range: tuple[int, int] = (0, 0)  # the paragraph in the NORMALISED text


@dataclass(slots=True)
class Task:
    """A task: an outline item that carries a responsibility clause."""

    path: str  # "三.(一).1"; several clauses in one paragraph get suffixes a, b
    title: str  # heading text or the paragraph's first sentence (normalised)
    span: Span  # the task paragraph in the original text
    clause: Clause
    section_path: str = ""  # path of the outline item the task belongs to
    title_original: str = ""
    text_range: tuple[int, int] = (0, 0)  # the task paragraph in the NORMALISED text
    # what is to be done: the text the clause covers (from the item heading or the previous
    # clause to this clause; a table row's 任务内容), in the original text
    text_span: Span | None = None
    deadline: str = ""  # ISO "2022", "2022-06", "2022-06-30", "ongoing", or "" when none is stated
    deadline_text: str = ""  # the deadline as written ("2022年6月底前", "长期坚持")

    @property
    def text(self) -> str:
        return self.text_span.quote if self.text_span else ""

    @property
    def lead_units(self) -> list[UnitMention]:
        return [u for u in self.clause.units if u.role == "lead"]

    @property
    def participant_units(self) -> list[UnitMention]:
        return [u for u in self.clause.units if u.role == "participant"]


@dataclass
class Target:
    """A quantitative target: indicator must reach value (unit) by year."""

    indicator: str  # as written (normalised)
    indicator_id: str  # canonical id, e.g. "ind:高新技术企业"
    indicator_name: str  # canonical name
    unit: str  # 家, 件, %, 亿元, 万家 ... (magnitude kept as written)
    year: int | None
    value: float
    span: Span
    value_max: float | None = None  # for ranges "2—3家"
    qualifier: str = ""  # 达到, 超, 以上, 力争, 保底, 累计, 新增 ...
    source: Literal["table", "text"] = "text"
    task_path: str = ""  # "" for plan-level targets
    recurrence: str = ""  # "annual" for a quota stated per year (每年…): then year is None


@dataclass
class Entity:
    """A named platform, park or firm (or a category node for generic phrases)."""

    text: str  # as written (normalised)
    kind: Literal["Platform", "Park", "Firm", "Department"]  # Department: the resolver's unit id
    span: Span
    subtype: str = ""  # 实验室, 孵化器, 高新区, ...
    entity_id: str = ""  # canonical id within the jurisdiction, e.g. "park:清远市:清远高新区"
    name: str = ""  # canonical name
    task_path: str = ""  # the task whose paragraph mentions it ("" outside tasks)
    generic: bool = False  # a category ("各类孵化器"), never a named node


@dataclass
class DocumentMeta:
    title: str = ""
    issuer: str = ""
    jurisdiction: str = ""  # "清远市"
    province: str = ""
    period: tuple[int, int] | None = None
    status: str = ""  # 征求意见稿 ...
    source_notes: str = ""
    doc_number: str = ""  # 文号, e.g. 国办发〔2023〕18号
    date: str = ""  # ISO date of issue or signature, e.g. 2023-05-10
    inferred: dict[str, str] = field(default_factory=dict)  # field -> how it was inferred


@dataclass
class PolicyDocument:
    """One source file and everything the pipeline found in it."""

    path: Path
    sha256: str
    encoding: str
    original: str  # decoded text, exactly as the file says
    text: str = ""  # normalised (Simplified) text the stages read
    display: str = ""  # normalised text before Traditional->Simplified (same length as text)
    offsets: Sequence[int] = field(default_factory=list)  # text index -> original index (len(text)+1)
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    sections: list[Section] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        # a file name that is not valid UTF-8 shows its bad bytes as \xNN (never a lone surrogate,
        # which no UTF-8 writer can carry)
        return self.path.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")

    @property
    def doc_id(self) -> str:
        return f"doc:{self.sha256[:16]}"

    def span(self, start: int, end: int) -> Span:
        """The original-text span behind text[start:end] of the normalised text."""
        offsets = self.offsets
        o_start = offsets[start]
        # end maps through the last character so that a quote never swallows what follows
        o_end = offsets[end - 1] + 1 if end > start else o_start
        return _span(o_start, o_end, self.original[o_start:o_end])

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.name}: {message}")
