"""spaCy components that find platforms, parks, firms and departments in normalised policy text.

The pipeline is `spacy.blank("zh")` with `CharTokenizer` (one token per character, whitespace included,
so token offsets are character offsets); every component has one job:

- ``entity_endings``: names that end in a kind word (研究院, 产业园, 有限公司): the ending is found by one
  Aho-Corasick scan of the text (`text_words`, which finds the department names too), the start by
  reading leftwards to the verb or preposition that introduces the name.
- ``entity_lists``: names given only by context: a list followed by its kind ("天安智谷、华大电商孵化器等
  孵化载体"), or by a count and an ending ("广清（清城）、广德（英德）三个产业园").
- ``entity_anchors``: a name whose start was guessed (健全广清产业园) is cut to a name the same document
  writes with a certain start (广清产业园 after punctuation or in a list).
- ``entity_categories``: decides which candidates are categories (各类孵化器, 省级高新区, 科技企业孵化器).
- ``entity_repeats``: a name found once is found everywhere else in the same document.
- ``entity_departments``: departments named in running text (争取省科技厅更大支持), by the resolver's
  table of department names (extract.resolve) with their level prefix or place; resolved to unit ids.
- ``entity_select``: one kind per name, no overlaps, bare 高新区 resolved; the result is ``doc.ents``.

Each component reads and extends an `EntityState` (the text and its candidates): `extract_entities` runs
`components()` over a plan's text without importing spaCy; `register_spacy()` makes them the spaCy
factories of `entity_pipeline()` (for notebooks and tests), where the state rides in the Doc's user_data.

Candidates are `Candidate` records in ``doc.user_data["entity_candidates"]`` (copied to ``doc.spans`` at
the end); the chosen mentions are ``doc.ents``, whose extensions carry subtype, category flag,
canonical name and the evidence. All knowledge is read from ``resources/entities_*`` files (the
department names from the resolver's ``resources/units_departments.tsv``, through extract.resolve).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import accumulate
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import ahocorasick_rs

from .resolve import TABLE_RULES, resolve_unit, review_generation, tables

if TYPE_CHECKING:  # spaCy is imported only by `register_spacy`: extraction runs without it
    from spacy.language import Language
    from spacy.tokens import Doc, Span
    from spacy.vocab import Vocab

RESOURCES = Path(__file__).parent / "resources"
CANDIDATES = "entity_candidates"
KINDS = ("Platform", "Park", "Firm")
DEPARTMENT = "Department"
MENTION_KINDS = (*KINDS, DEPARTMENT)  # what doc.ents may hold

@dataclass(slots=True)
class Candidate:
    """A possible mention: text[start:end] of one kind, with the evidence that found it."""

    start: int
    end: int
    kind: str
    subtype: str
    evidence: str  # ending | list | count-list | repeat | alias
    text: str
    written: str = ""  # name as read (an item of a count list gets its ending added)
    generic: bool = False
    clean: bool = False  # the start is certain: after punctuation or a list separator
    cue_strength: str = ""  # strong | weak, for list evidence
    alias_of: str = ""
    unit_id: str = ""  # departments: the resolver's id and canonical name
    unit_name: str = ""


class EntityState:
    """A text as the components read it: the text, its plan's jurisdiction and province, the
    candidates found so far and (after entity_select) the chosen mentions. The components work on
    this, not on token objects: `extract_entities` runs them over a plan's text directly, and a
    spaCy Doc (the pipeline `entity_pipeline()`, for notebooks) carries one in its user_data."""

    __slots__ = ("candidates", "chosen", "in_clause", "jurisdiction", "list_steps", "province", "text", "words")

    def __init__(self, text: str, jurisdiction: str = "", province: str = "",
                 in_clause: Callable[[int, int], bool] | None = None) -> None:
        self.text = text
        self.jurisdiction = jurisdiction
        self.province = province
        self.candidates: list[Candidate] = []
        self.chosen: list[Candidate] = []
        self.words: TextWords | None = None  # the one scan for kind endings and department names
        # the leftward reads of list items (list_items' steps), by where the item ends: the names
        # of a list (entity_endings) and its cue (entity_lists) read the same items
        self.list_steps: dict[int, tuple[int, int, bool]] = {}
        # whether text[start:end] lies in a responsibility clause, whose departments are the
        # clause stage's units and never mentions (extract_entities drops them): such a
        # department that touches no other candidate is no candidate at all (None: every
        # department is one, as a spaCy Doc's are)
        self.in_clause = in_clause


class TextWords(NamedTuple):
    """What one scan of a text finds (`text_words`): every occurrence of every kind ending, and
    for every end of a department name of the resolver's table the length of the longest there."""

    endings: list[tuple[int, int, Ending]]  # (start, end, ending), by start then end
    departments: dict[int, int]  # end -> length of the longest department name ending there, by end
    firm_contexts: list[int]  # where a firm short name's context word (为龙头, 集团) starts, from 2 on, in text order


class _WordAutomata(NamedTuple):
    words: ahocorasick_rs.AhoCorasick | None  # endings, department names, firm contexts; None: no words
    ending_of: tuple[Ending | None, ...]  # by word index: the ending it is (None: no ending)
    department: tuple[bool, ...]  # by word index: whether it is a department name
    firm_context: tuple[bool, ...]  # by word index: whether it is a firm short name's context word
    other: tuple[bool, ...]  # by word index: a department name or a context word


@cache
def _word_automata() -> _WordAutomata:
    """One Aho-Corasick automaton (ahocorasick_rs: a text's every match in one call) of the
    kind endings, the department names and the context words of firms' short names."""
    k = load_knowledge()
    d = load_departments()
    contexts = frozenset(k.firm_short_context)
    words = list(dict.fromkeys([*k.endings, *sorted(d.names), *k.firm_short_context]))
    return _WordAutomata(
        _automaton(words),
        tuple(k.endings.get(w) for w in words),
        tuple(w in d.names for w in words),
        tuple(w in contexts for w in words),
        tuple(w in d.names or w in contexts for w in words),
    )


def _every_match(automaton: ahocorasick_rs.AhoCorasick | None, text: str) -> list[tuple[int, int, int]]:
    """(word index, start, end) of every occurrence of every word, overlapping ones included; by
    end, the longer of one end first."""
    return automaton.find_matches_as_indexes(text, overlapping=True) if automaton is not None else []


_SURROGATE = re.compile("[\ud800-\udfff]")


def _automaton(words: list[str]) -> ahocorasick_rs.AhoCorasick | None:
    # a contiguous NFA, not a DFA: the DFA's full transition rows (some 600 words of CJK bytes)
    # are out of the CPU caches again by the next document, after the other stages; the
    # compact NFA scans a document just read faster (0.37 against 0.44 CPU ms on corpus-200,
    # the whole pipeline run between scans; the entity stage in bench_stages.py 4.88/3.73/3.62
    # against 5.10/3.76/4.24 ms a document), though it runs more instructions (callgrind) and
    # is slower on a text scanned twice
    if not words:
        return None
    return ahocorasick_rs.AhoCorasick(words, implementation=ahocorasick_rs.Implementation.ContiguousNFA)


def text_words(doc: EntityState) -> TextWords:
    """The endings, department names and firm contexts written in the state's text, found in C
    and kept on the state for every component that reads them."""
    if doc.words is None:
        automata = _word_automata()
        ending_of = automata.ending_of
        is_department = automata.department
        is_context = automata.firm_context
        other = automata.other
        text = doc.text
        try:
            found = _every_match(automata.words, text)
        except UnicodeEncodeError:
            # a lone surrogate (a notebook's text), which UTF-8 cannot carry: one character for
            # one, where no word is
            found = _every_match(automata.words, _SURROGATE.sub("\ufffd", text))
        # (start, end) are never equal twice: the sort never compares two endings
        endings = sorted([(s, e, ending) for i, s, e in found if (ending := ending_of[i]) is not None])
        departments: dict[int, int] = {}
        contexts: set[int] = set()
        for i, s, e in [m for m in found if other[m[0]]]:  # (most matches are endings only)
            if is_department[i] and e not in departments:  # by end, the longest of an end first
                departments[e] = e - s
            if is_context[i] and s >= 2:
                contexts.add(s)
        doc.words = TextWords(endings, departments, sorted(contexts))
    return doc.words


def _start_end(match: tuple[int, int, Ending]) -> tuple[int, int]:
    return match[0], match[1]


def doc_state(doc: Doc) -> EntityState:
    """The EntityState a spaCy Doc carries (made on first use, from the Doc's text and extensions)."""
    state = doc.user_data.get("entity_state")
    if state is None:
        text = doc.user_data.get("entity_text")
        state = doc.user_data["entity_state"] = EntityState(
            doc.text if text is None else text, doc._.jurisdiction, doc._.province)
        state.candidates = doc.user_data.setdefault(CANDIDATES, state.candidates)
    return state


def candidates(doc: EntityState) -> list[Candidate]:
    return doc.candidates


def doc_text(doc: EntityState) -> str:
    return doc.text


class _Component:
    """A pipeline component: `run` reads and extends an EntityState; as a spaCy component it runs
    on the state the Doc carries."""

    def run(self, doc: EntityState) -> None:
        raise NotImplementedError

    def __call__(self, doc: Doc) -> Doc:
        self.run(doc_state(doc))
        return doc


class CharTokenizer:
    """One token per character, whitespace included: token i is character i, and the text is kept
    so that components never rebuild it (Doc.text joins every token). Three times faster than the
    zh tokenizer's own character segmentation, which also has to align whitespace."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        from spacy.tokens import Doc

        doc = Doc(self.vocab, words=list(text), spaces=[False] * len(text))  # words may be spaces
        doc.user_data["entity_text"] = text
        return doc


@dataclass(frozen=True)
class Ending:
    suffix: str
    kind: str  # Platform | Park | Firm | "-" (blocks: not an entity)
    subtype: str
    canonical: str = ""


@dataclass(frozen=True)
class ListCue:
    cue: str
    kind: str
    subtype: str
    strong: bool


def _words_re(words: list[str]) -> re.Pattern[str]:
    """Any of `words`, tried in list order (an empty list matches nothing)."""
    return re.compile("|".join(map(re.escape, words)) if words else "(?!)")


_NOT_IN_WORDS = re.compile(r"[\s“”\"'‘’（）()·\-—]")
_OUTLINE_NUMBER = re.compile(r"[0-9一二三四五六七八九十]+")
_CLAUSE_STOP = re.compile(r"[，。；：\n]")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,6}")
_NO_WORDS = re.compile(r"[\d\W_a-zA-Z]+")
_TRAILING_PAREN = re.compile(r"[（(][^）)]*[）)]$")
_TRAILING_PLACE = re.compile(r"[（(]([^）)]{2,4})[）)]$")


def _occurrences(word: str, text: str) -> list[int]:
    """Starts of the non-overlapping occurrences of `word` in `text`, left to right (what
    re.finditer(re.escape(word), text) finds, without compiling a pattern per word)."""
    found, i = [], text.find(word)
    while i >= 0:
        found.append(i)
        i = text.find(word, i + len(word))
    return found


# brackets and quotes a leftward scan reads over (closing -> opening), openers it stops at
_OPEN = {"）": "（", ")": "("}
_QUOTE_CLOSE = {"”": "“", "’": "‘", "」": "「", "』": "『"}
_OPENERS = set("（(“‘「『")
_CLOSERS = frozenset(_OPEN) | frozenset(_QUOTE_CLOSE)


@dataclass
class EntityKnowledge:
    """Everything the components know, loaded from resources/entities_* files."""

    endings: dict[str, Ending]
    generic_words: frozenset[str]
    triggers: list[str]
    leading_strip: list[str]
    quantifiers: list[str]
    quantity: re.Pattern[str]
    conjunctions: list[str]
    hard_stops: frozenset[str]
    max_name_chars: int
    paren_max_chars: int
    quote_max_chars: int
    cues: list[ListCue]
    bare_alias_subtypes: frozenset[str]
    conjunction_heads: tuple[str, ...]
    park_committee_words: tuple[str, ...]
    after_number_strip: tuple[str, ...]
    slogan_joiners: str
    provinces: tuple[str, ...]  # longest first
    province_named_subtypes: frozenset[str]
    list_marker: str
    list_marker_words: tuple[str, ...]
    count_list: re.Pattern[str]
    paren_not_place: tuple[str, ...]
    modifier_endings: tuple[str, ...]
    count_after: re.Pattern[str]
    firm_short_context: tuple[str, ...]
    trigger_re: re.Pattern[str] = field(init=False)
    max_generic_len: int = field(init=False)
    generic_scan: ahocorasick_rs.AhoCorasick = field(init=False, repr=False)  # the generic words
    blocking: tuple[str, ...] = field(init=False)  # endings that are no entity (事务中心)
    # the word lists as automata: `x.match(text, i)` is the first word of the list (in list order)
    # written at i, `x.search(text, i)` whether any is written from i on
    leading_strip_re: re.Pattern[str] = field(init=False)
    quantifier_re: re.Pattern[str] = field(init=False)
    conjunction_re: re.Pattern[str] = field(init=False)
    cue_re: re.Pattern[str] = field(init=False)
    cue_by_text: dict[str, ListCue] = field(init=False)
    # scan_left: .* up to the last character a leftward scan must look at (without, with digits)
    last_stop: re.Pattern[str] = field(init=False)
    last_stop_digit: re.Pattern[str] = field(init=False)
    # trim_left's cut of a left context (left, after a number) -> (characters cut, quantified)
    leading_cut: Callable[[str, bool], tuple[int, bool]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # pure functions of a name, asked again and again for the same names: memoised
        self.ending_of = lru_cache(maxsize=1 << 16)(self._ending_of)  # type: ignore[method-assign]
        self.is_generic_words = lru_cache(maxsize=1 << 16)(self._is_generic_words)  # type: ignore[method-assign]
        self.leading_cut = lru_cache(maxsize=1 << 16)(lambda left, after_number: _leading_cut(left, after_number, self))
        alternation = "|".join(re.escape(t) for t in sorted(self.triggers, key=len, reverse=True))
        self.trigger_re = re.compile(f"(?:{alternation})")
        self.max_generic_len = max(len(w) for w in self.generic_words)
        self.generic_scan = ahocorasick_rs.AhoCorasick(sorted(self.generic_words))
        self.blocking = tuple(e.suffix for e in self.endings.values() if e.kind == "-")
        self.leading_strip_re = _words_re(self.leading_strip)
        self.quantifier_re = _words_re(self.quantifiers)
        self.conjunction_re = _words_re(self.conjunctions)
        self.cue_re = _words_re([c.cue for c in self.cues])
        stops = re.escape("".join(sorted(set(self.hard_stops) | _OPENERS | set(_OPEN) | set(_QUOTE_CLOSE))))
        self.last_stop = re.compile(f"(?s).*[{stops}]")
        self.last_stop_digit = re.compile(f"(?s).*[{stops}\\d]")
        self.cue_by_text = {}
        for cue in self.cues:
            self.cue_by_text.setdefault(cue.cue, cue)

    def ending_of(self, name: str) -> Ending | None:  # replaced by a memo of _ending_of
        """The longest known ending of `name`."""
        return self._ending_of(name)

    def is_generic_words(self, text: str) -> bool:  # replaced by a memo of _is_generic_words
        """True if `text` is made up entirely of generic words (empty text counts as generic)."""
        return self._is_generic_words(text)

    def _ending_of(self, name: str) -> Ending | None:
        for n in range(min(len(name), 12), 0, -1):
            ending = self.endings.get(name[-n:])
            if ending is not None:
                return ending
        return None

    def _is_generic_words(self, text: str) -> bool:
        text = _NOT_IN_WORDS.sub("", text)
        if not text:
            return True
        # the generic words written in the text, found in C (by end): an end is reachable when a
        # word starting at a reachable place ends there, and every word ending at a place comes
        # before any word starting there
        try:
            found = self.generic_scan.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:  # a lone surrogate (a notebook's text): word by word
            return self._is_generic_words_by_slices(text)
        reach = {0}
        for _, s, e in found:
            if s in reach:
                reach.add(e)
        return len(text) in reach

    def _is_generic_words_by_slices(self, text: str) -> bool:
        n = len(text)
        reach = [False] * (n + 1)
        reach[0] = True
        for i in range(n):
            if not reach[i]:
                continue
            for j in range(i + 1, min(n, i + self.max_generic_len) + 1):
                if text[i:j] in self.generic_words:
                    reach[j] = True
        return reach[n]


def _read_tsv(path: Path, columns: int, kinds: tuple[str, ...]) -> list[list[str]]:
    """Rows of a resource table after its header; a bad row is an error naming file and line."""
    rows = []
    header_seen = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            continue
        row = line.split("\t")
        if len(row) < columns or not row[0] or row[1] not in kinds:
            raise ValueError(f"{path}: line {lineno}: expected {columns} tab-separated columns, kind one of {kinds}")
        rows.append(row)
    return rows


def _read_words(path: Path) -> set[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words.update(w for w in line.split("#", 1)[0].split() if w)
    return words


@cache
def load_knowledge(resources: Path = RESOURCES) -> EntityKnowledge:
    endings: dict[str, Ending] = {}
    for row in _read_tsv(resources / "entities_suffixes.tsv", 3, (*KINDS, "-")):
        suffix, kind, subtype = row[0], row[1], row[2]
        canonical = row[3] if len(row) > 3 else ""
        endings[suffix] = Ending(suffix, kind, subtype, canonical)
    words = _read_words(resources / "entities_generic_words.txt")
    provinces = _read_words(resources / "entities_provinces.txt")
    words |= provinces
    cues = [
        ListCue(r[0], r[1], r[2], r[3] == "strong")
        for r in _read_tsv(resources / "entities_list_cues.tsv", 4, KINDS)
    ]
    cues.sort(key=lambda c: len(c.cue), reverse=True)
    b = json.loads((resources / "entities_boundaries.json").read_text(encoding="utf-8"))
    return EntityKnowledge(
        endings=endings,
        generic_words=frozenset(words),
        triggers=list(b["triggers"]),
        leading_strip=sorted(b["leading_strip"], key=len, reverse=True),
        quantifiers=sorted(b["quantifiers"], key=len, reverse=True),
        quantity=re.compile(b["quantity_pattern"]),
        conjunctions=sorted(b["conjunctions"], key=len, reverse=True),
        hard_stops=frozenset(b["hard_stops"]),
        max_name_chars=int(b["max_name_chars"]),
        paren_max_chars=int(b["paren_max_chars"]),
        quote_max_chars=int(b["quote_max_chars"]),
        cues=cues,
        bare_alias_subtypes=frozenset(b.get("bare_alias_subtypes", [])),
        conjunction_heads=tuple(b.get("conjunction_heads", [])),
        park_committee_words=tuple(b.get("park_committee_words", [])),
        after_number_strip=tuple(sorted(b.get("after_number_strip", []), key=len, reverse=True)),
        slogan_joiners=str(b.get("slogan_joiners", "")),
        provinces=tuple(sorted(provinces, key=len, reverse=True)),
        province_named_subtypes=frozenset(b.get("province_named_subtypes", [])),
        list_marker=str(b["list_marker"]),
        list_marker_words=tuple(b.get("list_marker_words", [])),
        count_list=re.compile(b["count_list_pattern"]),
        paren_not_place=tuple(b.get("paren_not_place", [])),
        modifier_endings=tuple(b.get("modifier_endings", [])),
        count_after=re.compile(b["count_after_pattern"]),
        firm_short_context=tuple(b.get("firm_short_right_context", [])),
    )


@dataclass(frozen=True)
class DepartmentKnowledge:
    """What `entity_departments` knows: the resolver's department names and the context rules of
    resources/entities_departments.json."""

    lengths_by_last: dict[str, tuple[int, ...]]  # last character -> lengths of names ending in it, longest first
    names: frozenset[str]  # written forms (no level prefix) of Department rows of units_departments.tsv
    level_prefixes: frozenset[str]  # 省 市 区 县 旗
    name_heads: tuple[str, ...]  # what full names put before the place: 中共, 国家税务总局
    places: frozenset[str]  # provinces and municipalities written in full
    generic_places: tuple[str, ...]  # 县（市、区）: before a department, each such place's own (a collective)
    min_bare_chars: int
    prefix_required_heads: tuple[str, ...]
    introducers: frozenset[str]
    blocked_after: dict[str, str]
    ending_re: re.Pattern[str] = field(init=False)
    introducer_lengths: tuple[int, ...] = field(init=False)
    # the last characters of the generic places: none of them before a name, no generic place
    # ends there (None: an empty generic place, which ends everywhere)
    generic_place_lasts: frozenset[str] | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ending_re", re.compile(f"[{re.escape(''.join(self.lengths_by_last))}]"))
        object.__setattr__(self, "introducer_lengths", tuple(sorted({len(w) for w in self.introducers})))
        lasts = None if "" in self.generic_places else frozenset(g[-1] for g in self.generic_places)
        object.__setattr__(self, "generic_place_lasts", lasts)


@cache
def load_departments(resources: Path = RESOURCES) -> DepartmentKnowledge:
    """Department names from the resolver's table (extract.resolve.tables) and the context rules of
    entities_departments.json; a bad file is an error naming it."""
    path = resources / "entities_departments.json"
    k = load_knowledge(resources)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        introducers = {*d["introducers"], *k.triggers, *k.leading_strip}
        rules = (int(d["min_bare_chars"]), tuple(d["prefix_required_heads"]), dict(d["blocked_after"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {exc.__class__.__name__}: {exc}") from None
    t = tables()
    names = frozenset(
        name for name, bodies in t.by_core.items() if len(name) >= 2 and any(b.kind == DEPARTMENT for b in bodies)
    )
    lengths: dict[str, set[int]] = {}
    for name in names:
        lengths.setdefault(name[-1], set()).add(len(name))
    places = [p for p in k.provinces if p.endswith(("省", "自治区", "市"))]
    return DepartmentKnowledge(
        lengths_by_last={c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()},
        names=names,
        level_prefixes=frozenset(t.level_prefix),
        name_heads=tuple(sorted(t.name_heads, key=len, reverse=True)),
        places=frozenset(places),
        generic_places=tuple(sorted(t.generic_places, key=len, reverse=True)),
        min_bare_chars=rules[0],
        prefix_required_heads=rules[1],
        introducers=frozenset(introducers),
        blocked_after=rules[2],
    )


# ---------------------------------------------------------------------------------------------
# Reading a name's start




def _holds_digit(gap: str) -> bool:
    """Whether `gap` holds a digit (str.isdigit: ① and ² too, which \\d does not match); a gap of
    letters only (most are: CJK characters are letters) holds none, found by one C call."""
    return not gap.isalpha() and any(map(str.isdigit, gap))


def scan_left(text: str, end: int, k: EntityKnowledge, digits_stop: bool = False) -> int:
    """Leftmost index a name ending at `end` can start at: up to a hard stop or unbalanced bracket
    (and, before a kind ending, a digit: table cells and years run into names)."""
    i = end
    limit = max(0, end - k.max_name_chars)
    # the nearest character before i the scan must look at (a stop, an opener, a closing bracket
    # or quote, a digit), found in C: .*[…] matches up to the last of them
    stops = k.last_stop_digit if digits_stop else k.last_stop
    while i > limit:
        m = stops.match(text, limit, i)
        gap_start = m.end() if m is not None else limit
        if digits_stop and _holds_digit(text[gap_start:i]):
            return _scan_left_by_character(text, i, limit, k, digits_stop)  # a digit \d does not match (①)
        if m is None:
            return limit
        i = gap_start
        c = text[i - 1]
        if c in _OPEN or c in _QUOTE_CLOSE:
            j = _bracket_start(text, i, c, k)
            if j is None:
                break
            i = j
            continue
        break  # a hard stop, an opener or a digit
    return i


def _bracket_start(text: str, i: int, closer: str, k: EntityKnowledge) -> int | None:
    """Where the bracket or quote closed by text[i - 1] opens, when its content can be part of a
    name (short, no clause punctuation, not an outline marker （四）); else None (a stop)."""
    opener = _OPEN.get(closer) or _QUOTE_CLOSE[closer]
    width = k.paren_max_chars if closer in _OPEN else k.quote_max_chars
    j = text.rfind(opener, max(0, i - 2 - width), i - 1)
    inner = text[j + 1 : i - 1] if j >= 0 else ""
    if j < 0 or not inner or not _CLAUSE_PUNCTUATION.isdisjoint(inner) or _OUTLINE_NUMBER.fullmatch(inner):
        return None
    return j


_CLAUSE_PUNCTUATION = frozenset("，。；：\n、")  # a bracket or quote holding one is no part of a name


def _scan_left_by_character(text: str, i: int, limit: int, k: EntityKnowledge, digits_stop: bool) -> int:
    """scan_left from i, one character at a time."""
    while i > limit:
        c = text[i - 1]
        if c in _OPEN or c in _QUOTE_CLOSE:
            j = _bracket_start(text, i, c, k)
            if j is None:
                break
            i = j
            continue
        if c in k.hard_stops or c in _OPENERS or (digits_stop and c.isdigit()):
            break
        i -= 1
    return i


def _ends_like_entity(text: str, k: EntityKnowledge) -> bool:
    text = text.rstrip("）)")
    return text.endswith(k.conjunction_heads)


def trim_left(text: str, start: int, end: int, k: EntityKnowledge) -> tuple[int, bool]:
    """Cut the left context text[start:end] down to where the name begins.

    Returns (name start, quantified): quantified when a quantifier (一批, 各类, 3家) introduces it.
    """
    after_number = start > 0 and (text[start - 1].isdigit() or text[start - 1] == " ")
    cut, quantified = k.leading_cut(text[start:end], after_number)
    # 以高新区为重点: 以 opens a prepositional phrase closed by 为 in the same clause
    if start + cut < end and text[start + cut] == "以" and "为" in _CLAUSE_STOP.split(text[end : end + 60], 1)[0]:
        cut += 1
    return start + cut, quantified


def _leading_cut(left: str, after_number: bool, k: EntityKnowledge) -> tuple[int, bool]:
    """How much of the left context `left` comes before the name (trim_left without its look
    right): (characters cut, quantified). A function of its arguments: memoised per knowledge."""
    cut = 0
    quantified = False
    # after a number the scan stopped at: 1家省技术创新中心, 3个以上国家级…, 2021 年高新区
    if after_number:
        for w in k.after_number_strip:
            if left.startswith(w):
                cut = len(w)
                quantified = w not in ("年", "月", "日", "号")
                break
    # a trigger inside brackets or quotes belongs to the name (the left context of most names
    # holds no opening bracket or quote: no counting then); each trigger found ends after the
    # ones before it
    if "（" in left or "“" in left:
        for m in k.trigger_re.finditer(left, cut):
            at = m.start()
            if left.count("（", 0, at) > left.count("）", 0, at) or left.count("“", 0, at) > left.count("”", 0, at):
                continue
            cut = m.end()
    else:
        for m in k.trigger_re.finditer(left, cut):
            cut = m.end()
    for conj in k.conjunctions if k.conjunction_re.search(left, cut) else ():
        pos = left.rfind(conj)
        while pos >= cut:
            if pos > 0 and _ends_like_entity(left[:pos], k):
                cut = pos + len(conj)
                break
            pos = left.rfind(conj, 0, pos)
    for m in k.quantity.finditer(left, cut):
        cut, quantified = m.end(), True
    for q in k.quantifiers if k.quantifier_re.search(left, cut) else ():
        pos = left.rfind(q, cut)
        if pos >= 0:
            cut, quantified = pos + len(q), True
    # strip leading words, the first of the list that is written there, as long as one is
    while cut < len(left) and (strip := k.leading_strip_re.match(left, cut)) is not None and strip.end() > cut:
        cut = strip.end()
    return cut, quantified


def _list_step(text: str, pos: int, k: EntityKnowledge, steps: dict[int, tuple[int, int, bool]] | None
               ) -> tuple[int, int, bool]:
    """(where the item ending at `pos` may start, where its name starts, quantified): one step of a
    list's walk leftwards, read once per text when `steps` keeps them."""
    if steps is not None and (step := steps.get(pos)) is not None:
        return step
    start = scan_left(text, pos, k)
    step = (start, *trim_left(text, start, pos, k))
    if steps is not None:
        steps[pos] = step
    return step


def list_items(text: str, end: int, k: EntityKnowledge, steps: dict[int, tuple[int, int, bool]] | None = None
               ) -> tuple[list[tuple[int, int]], bool]:
    """The 、-separated items of a list ending at `end`, the first one cut at the word that
    introduces the list; and whether a quantifier introduces it (建设一批A、B、C). `steps`: the
    reads of items kept over one text (_list_step)."""
    items: list[tuple[int, int]] = []
    pos = end
    quantified = False
    while True:
        start, first, quantified = _list_step(text, pos, k, steps)
        if first == start and start > 0 and text[start - 1] == "、" and len(items) < 40:
            items.append((start, pos))
            pos = start - 1
            continue
        if first < pos:
            items.append((first, pos))
        break
    items.reverse()
    return items, quantified


def list_quantified(text: str, end: int, k: EntityKnowledge) -> bool:
    return list_items(text, end, k)[1]


_MAX_LIST_ITEMS = 40  # list_items reads no further left


def _list_quantified(text: str, end: int, k: EntityKnowledge, known: dict[int, tuple[bool, int]],
                     steps: dict[int, tuple[int, int, bool]] | None = None) -> bool:
    """list_quantified(text, end, k), with `known` (list end -> (quantified, items read to the
    list's first)) kept over one text: the names of one list ask for the same first item, which
    is read once instead of once per name (and `steps`, the reads of items, see _list_step)."""
    visited: list[int] = []
    pos = end
    while True:
        if pos in known:
            quantified, rest = known[pos]
            if len(visited) + rest > _MAX_LIST_ITEMS:
                return list_items(text, end, k, steps)[1]  # the walk from `end` stops sooner
            break
        start, first, quantified = _list_step(text, pos, k, steps)
        if first == start and start > 0 and text[start - 1] == "、" and len(visited) < _MAX_LIST_ITEMS:
            visited.append(pos)
            pos = start - 1
            continue
        if len(visited) >= _MAX_LIST_ITEMS:
            return quantified
        known[pos] = (quantified, 0)
        rest = 0
        break
    for steps, where in enumerate(reversed(visited), rest + 1):
        known[where] = (quantified, steps)
    return quantified


def extend_right(text: str, end: int, k: EntityKnowledge) -> int:
    """Take in a place qualifier written after the name: 国家机器人检测与评定中心(广州)."""
    if end < len(text) and text[end] in "（(":
        close = "）" if text[end] == "（" else ")"
        j = text.find(close, end + 1, end + 2 + k.paren_max_chars)
        inner = text[end + 1 : j] if j > 0 else ""
        blocked = any(w in inner for w in k.paren_not_place) or k.ending_of(inner) is not None
        if inner and _CJK_NAME.fullmatch(inner) and not blocked:
            return j + 1
    return end


# ---------------------------------------------------------------------------------------------
# Components


def _add(doc: EntityState, start: int, end: int, kind: str, subtype: str, evidence: str, *, written: str = "",
         generic: bool = False, clean: bool = False, cue_strength: str = "", unit_id: str = "",
         unit_name: str = "") -> None:
    text = doc.text[start:end]
    if not text.strip():
        return
    doc.candidates.append(Candidate(start, end, kind, subtype, evidence, text, written or text, generic, clean,
                                    cue_strength, "", unit_id, unit_name))


class EntityEndings(_Component):
    """Candidates from name endings (研究院, 产业园, 有限公司) with the start read leftwards."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()
        self.cuts: dict[str, tuple[int, bool]] = {}  # left context -> k.leading_cut(left, False)

    def endings_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, ending) of every occurrence of every known ending, overlapping ones
        included, by start then length (a PhraseMatcher's matches over character tokens)."""
        return [(s, e, ending.suffix) for s, e, ending in text_words(EntityState(text)).endings]

    def run(self, doc: EntityState) -> None:
        k = self.k
        text = doc_text(doc)
        size = len(text)
        slogan_joiners = k.slogan_joiners
        append = doc.candidates.append
        quantified_lists: dict[int, tuple[bool, int]] = {}
        list_steps = doc.list_steps
        max_name = k.max_name_chars
        last_stop = k.last_stop_digit.match
        leading_cut = k.leading_cut
        # leading_cut(left, False), the common call, as one dict lookup (no key tuple, no LRU
        # bookkeeping): a cut is a function of the left context, asked again for every name
        # written with the same one
        cuts = self.cuts
        if len(cuts) > 1 << 16:
            cuts.clear()
        known_cut = cuts.get
        endings = text_words(doc).endings
        # where an ending that is no entity (事务中心) starts: text.startswith(k.blocking, i) is
        # i in blocked, as the one scan found every such ending
        blocked = {s for s, _, ending in endings if ending.kind == "-"}
        for s_char, e_char, ending in _longest_endings(endings):
            if ending.kind == "-":
                continue
            end = extend_right(text, e_char, k) if e_char < size and text[e_char] in "（(" else e_char
            # an ending glued to a longer word that blocks it (…中心的 is fine, …事务中心 is not)
            if end in blocked:
                continue
            # scan_left(text, s_char, k, digits_stop=True) where it stops at its first look (a
            # stop or a digit and no bracket or quote closed before it, no other digit after it)
            limit = s_char - max_name if s_char > max_name else 0
            if s_char > limit:
                m = last_stop(text, limit, s_char)
                left_start = m.end() if m is not None else -1
                left = text[left_start:s_char]
                # (_holds_digit(left), inline)
                if left_start < 0 or text[left_start - 1] in _CLOSERS or (
                        not left.isalpha() and any(map(str.isdigit, left))):
                    left_start = scan_left(text, s_char, k, digits_stop=True)
                    left = text[left_start:s_char]
            else:
                left_start = s_char
                left = ""
            before = text[left_start - 1] if left_start > 0 else ""
            if before and before in slogan_joiners:
                continue  # a term of a slogan formula: “广州总部+清远基地”
            # trim_left(text, left_start, s_char, k)
            if left_start > 0 and (before.isdigit() or before == " "):  # after a number
                cut, quantified = leading_cut(left, True)
            elif (found := known_cut(left)) is not None:
                cut, quantified = found
            else:
                cut, quantified = cuts[left] = leading_cut(left, False)
            start = left_start + cut
            if start < s_char and text[start] == "以" and "为" in _CLAUSE_STOP.split(text[s_char : s_char + 60], 1)[0]:
                start += 1
            clean = start == left_start and not before.isdigit()
            if start == left_start and before == "、" and not quantified:
                quantified = _list_quantified(text, left_start - 1, k, quantified_lists, list_steps)
            name = text[start:end]
            append(Candidate(start, end, ending.kind, ending.subtype, "ending", name, name, quantified, clean))


def _longest_endings(matches: list[tuple[int, int, Ending]]) -> list[tuple[int, int, Ending]]:
    """Of overlapping endings, only the longest (产业园区 over 产业园, 创新中心城市 blocks), longer
    ones first and among equally long ones the first; by start. Only a run of overlapping endings
    is decided by length, and mostly one of them holds all the others (研究中心: 中心, 心)."""
    kept: list[tuple[int, int, Ending]] = []
    i, n = 0, len(matches)
    while i < n:
        first = matches[i][0]
        reach = matches[i][1]
        widest = i  # the run's match that starts first and reaches farthest
        j = i + 1
        while j < n and matches[j][0] < reach:
            if matches[j][1] > reach:
                reach = matches[j][1]
                widest = j if matches[j][0] == first else -1
            j += 1
        if widest >= 0:
            kept.append(matches[widest])  # it holds every other of the run, and is the longest
        else:
            run: list[tuple[int, int, Ending]] = []
            for m in sorted(matches[i:j], key=lambda m: m[0] - m[1]):
                if all(m[1] <= o[0] or o[1] <= m[0] for o in run):
                    run.append(m)
            kept.extend(sorted(run, key=_start_end))
        i = j
    return kept


class EntityLists(_Component):
    """Names given by a list and its kind: "X、Y等孵化载体", "A、B、C三个产业园"."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()
        # words that, right after a cue, show the cue was a modifier (科技企业集聚区)
        self.heads = tuple(e for e in self.k.endings if len(e) >= 2) + tuple(c.cue for c in self.k.cues)
        # the heads by their first character: only those can start a text
        by_first: dict[str, list[str]] = {}
        for h in self.heads:
            by_first.setdefault(h[0], []).append(h)
        self.heads_by_first = {c: tuple(hs) for c, hs in by_first.items()}
        # words that hold the list marker (平等, 等级): where the marker is no list marker
        # looked for only around the text's markers: by where the marker stands in them and their
        # length, the words of that shape
        shapes: dict[tuple[int, int], set[str]] = {}
        for w in self.k.list_marker_words:
            shapes.setdefault((w.index(self.k.list_marker), len(w)), set()).add(w)
        self.marker_words = tuple((at, n, frozenset(words)) for (at, n), words in shapes.items())
        self.cue_of = lru_cache(maxsize=1 << 14)(self._cue_of)  # a function of the 14 characters after 等
        # whether those 14 characters hold a cue at all (most markers are followed by none): one
        # compiled test instead of reading them
        self.cue_within = re.compile(f"(?s:.){{0,13}}?(?:{self.k.cue_re.pattern})").match
        # the markers followed by a cue at all, found by one search of the text (a one-character
        # marker: every occurrence is one of _occurrences); the cue's end tells whether it lies
        # in the 14 characters, else cue_within decides
        self.markers_before_cue = (
            re.compile(f"{re.escape(self.k.list_marker)}(?=((?s:.){{0,13}}?(?:{self.k.cue_re.pattern})))").finditer
            if len(self.k.list_marker) == 1 else None)
        # the names that are their own longest ending (ending_of reads up to 12 characters)
        self.bare_endings = frozenset(e for e in self.k.endings if len(e) <= 12)

    def cued_markers(self, text: str) -> list[int]:
        """Where the list marker stands with a cue in the 14 characters after it (what _cue_after
        reads; the others end no list), in text order."""
        cue_within = self.cue_within
        markers_before_cue = self.markers_before_cue
        if markers_before_cue is None:
            return [p for p in _occurrences(self.k.list_marker, text) if cue_within(text, p + 1, p + 15) is not None]
        return [p for m in markers_before_cue(text)
                if m.end(1) <= (p := m.start()) + 15 or cue_within(text, p + 1, p + 15) is not None]

    def _cue_after(self, text: str, pos: int) -> ListCue | None:
        return self.cue_of(text[pos : pos + 14])

    def _cue_of(self, rest: str) -> ListCue | None:
        q = self.k.quantifier_re.match(rest)  # 等一批创新载体: the first of the list written there
        if q is not None:
            rest = rest[q.end() :]
        limit = min(len(rest), 9)
        written = self.k.cue_re.search(rest, 0)
        while written is not None and written.start() < limit:
            # the first cue of the list written at i, when what comes before it is generic words
            i = written.start()
            if not self.k.is_generic_words(rest[:i].replace("和", "")):
                written = self.k.cue_re.search(rest, i + 1)
                continue
            cue = self.k.cue_by_text[written.group()]
            # the cue must be the head noun: 科技企业集聚区 is a park, not firms
            tail = rest[i + len(cue.cue) :]
            heads = self.heads_by_first.get(tail[:1], ())
            if heads and tail.startswith(heads) and any(
                tail.startswith(h) and not tail.startswith(self.k.modifier_endings, len(h))
                for h in heads
            ):
                return None
            return cue
        return None

    def _items(self, text: str, end: int, steps: dict[int, tuple[int, int, bool]] | None = None
               ) -> list[tuple[int, int]]:
        return list_items(text, end, self.k, steps)[0]

    def _good_item(self, item: str) -> bool:
        k = self.k
        if not 2 <= len(item) <= 20:
            return False
        if item.startswith("“") and item.endswith("”"):
            return False
        if _NO_WORDS.fullmatch(item):
            return False
        return not k.is_generic_words(item)

    def run(self, doc: EntityState) -> None:
        k = self.k
        text = doc_text(doc)
        marker_words = self.marker_words
        for p in self.cued_markers(text):
            in_word = False
            for at, n, words in marker_words:  # (a loop, not any(): no generator a marker)
                if p >= at and text[p - at : p - at + n] in words:
                    in_word = True
                    break
            if in_word:
                continue
            cue = self._cue_after(text, p + 1)
            if cue is None:
                continue
            for s, e in self._items(text, p, doc.list_steps):
                item = text[s:e]
                if not self._good_item(item):
                    continue
                own = k.ending_of(item)
                # the item's ending says its kind, unless the list calls it an incubator (…产业园)
                overridden = cue.strong and cue.kind == "Platform" and own is not None and own.kind == "Park"
                if own is not None and own.kind != "-" and not overridden:
                    continue
                _add(
                    doc,
                    s,
                    e,
                    cue.kind,
                    cue.subtype,
                    "list",
                    cue_strength="strong" if cue.strong else "weak",
                    clean=text[s - 1 : s] == "、" or (e < len(text) and text[e] == "、"),
                )
        # a park named by its management committee: 协助莞韶园管委会
        for word in k.park_committee_words:
            for at in _occurrences(word, text):
                start = scan_left(text, at, k, digits_stop=True)
                first, _ = trim_left(text, start, at, k)
                name = text[first:at]
                own = k.ending_of(name)
                if len(name) >= 2 and own is None and not k.is_generic_words(name) and name[-1] != "会":
                    _add(doc, first, at, "Park", "园区", "list", cue_strength="weak", clean=first == start)
        # count lists: 广清（清城）、广德（英德）、广佛（佛冈）三个产业园
        bare = self.bare_endings
        count_list = k.count_list.search
        for cand in [c for c in candidates(doc) if c.text in bare and c.evidence == "ending"]:
            s = cand.start
            m = count_list(text, max(0, s - 6), s)  # (as in text[s - 6 : s]: endpos ends the string)
            if not m:
                continue
            list_end = s - len(m.group(0))
            for a, b in self._items(text, list_end, doc.list_steps):
                item = text[a:b]
                if self._good_item(item) and k.ending_of(item) is None:
                    _add(doc, a, b, cand.kind, cand.subtype, "count-list", written=item + cand.text, clean=True)


class EntityAnchors(_Component):
    """A name whose start was a guess (健全广清产业园) is cut to a name seen with a certain start in the
    same document (广清产业园 in a list or after punctuation)."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()
        self.is_name = lru_cache(maxsize=1 << 16)(self._is_name)

    def _is_name(self, text: str) -> bool:
        """Whether a clean candidate written `text` anchors others: more than generic words
        before its ending. Memoised: a function of `text`."""
        k = self.k
        ending = k.ending_of(text)
        prefix = text[: len(text) - len(ending.suffix)] if ending else text
        return not k.is_generic_words(prefix)

    def run(self, doc: EntityState) -> None:
        cands = candidates(doc)
        is_name = self.is_name
        named = {c.text for c in cands if c.clean and len(c.text) >= 3 and is_name(c.text)}
        if not named:
            return
        # the longest clean name the candidate ends with (two names of one length cannot both
        # end it): its endings of the lengths of the clean names that end in its last two
        # characters, longest first
        tails: dict[str, set[int]] = {}
        for name in named:
            tails.setdefault(name[-2:], set()).add(len(name))
        lengths_by_tail = {tail: sorted(lengths, reverse=True) for tail, lengths in tails.items()}
        for cand in cands:
            if cand.clean or cand.evidence != "ending":
                continue
            text = cand.text
            for n in lengths_by_tail.get(text[-2:], ()):
                if n >= len(text):
                    continue
                name = text[-n:]
                if name in named:
                    cand.start = cand.end - n
                    cand.text = cand.written = name
                    cand.clean = True
                    break


class EntityCategories(_Component):
    """Marks candidates that name a kind, not an entity: nothing but generic words before the ending,
    a quantifier before (一批孵化器) or a count after (国家重点实验室21家)."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()
        self.category_of = lru_cache(maxsize=1 << 16)(self._category_of)

    def run(self, doc: EntityState) -> None:
        k = self.k
        text = doc_text(doc)
        count_after = k.count_after.match
        category_of = self.category_of
        # whether a long category stands next to a list separator: only then may its siblings
        # name it (_named_by_siblings)
        in_list = False
        for cand in candidates(doc):
            if cand.evidence == "list" or cand.evidence == "count-list":
                continue
            generic, word = category_of(cand.text)
            if generic or count_after(text, cand.end) is not None:
                cand.generic = True
            elif word:
                cand.kind = "-"  # one character before a short ending is a word, not a name: 清新区
            if cand.generic and not in_list and cand.end - cand.start >= 8:
                in_list = text[cand.start - 1 : cand.start] == "、" or text[cand.end : cand.end + 1] == "、"
        if in_list:
            self._named_by_siblings(doc)

    def _category_of(self, text: str) -> tuple[bool, bool]:
        """(whether a name written `text` names a kind, whether it is a word and no name), from
        the name alone (a count after it makes it a kind too). Memoised: a function of `text`."""
        k = self.k
        # most names end in no bracket: no regex then (`$` also matches before a final \n)
        bracketed = text.endswith(("）", ")", "）\n", ")\n"))
        name = _TRAILING_PAREN.sub("", text) if bracketed else text
        ending = k.ending_of(name)
        prefix = name[: len(name) - len(ending.suffix)] if ending else name
        # a place written after the name makes it one: 国家技术标准创新基地（广州）
        place = _TRAILING_PLACE.search(text) if bracketed else None
        qualified = place is not None and k.ending_of(place.group(1)) is None
        # 江苏省产业技术研究院 names an institute; 广东省实验室, 广东省科技企业孵化器 are levels
        provincial = (
            ending is not None
            and ending.subtype in k.province_named_subtypes
            and prefix.startswith(k.provinces)  # (one C call rules most out)
            and any(prefix.startswith(p) and len(prefix) > len(p) + 1 for p in k.provinces)
        )
        if k.is_generic_words(prefix) and not qualified and not provincial:
            return True, False
        return False, len(prefix.strip("“”")) < 2 and ending is not None and len(ending.suffix) <= 3

    def _named_by_siblings(self, doc: EntityState) -> None:
        """A descriptive name in a list of named ones is a name too: 化学地球动力学联合实验室、
        国际中医药转化研究中心、种业科技创新中心. Lists of categories stay categories."""
        text = doc_text(doc)
        by_start = {c.start: c for c in candidates(doc) if c.evidence == "ending"}
        by_end = {c.end: c for c in candidates(doc) if c.evidence == "ending"}
        for c in list(by_start.values()):
            if not c.generic or c.end - c.start < 8:
                continue
            siblings = []
            left = by_end.get(c.start - 1) if text[c.start - 1 : c.start] == "、" else None
            while left is not None and len(siblings) < 12:
                siblings.append(left)
                left = by_end.get(left.start - 1) if text[left.start - 1 : left.start] == "、" else None
            right = by_start.get(c.end + 1) if text[c.end : c.end + 1] == "、" else None
            while right is not None and len(siblings) < 24:
                siblings.append(right)
                right = by_start.get(right.end + 1) if text[right.end : right.end + 1] == "、" else None
            named = sum(1 for s in siblings if not s.generic)
            if named >= 2 and named > len(siblings) - named:
                c.generic = False


class EntityRepeats(_Component):
    """A name found once is a name wherever it recurs in the document (天安智谷, 先导稀材)."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()

    def run(self, doc: EntityState) -> None:
        text = doc_text(doc)
        cands = candidates(doc)
        known: dict[str, Candidate] = {}
        for cand in cands:
            if cand.generic or cand.evidence == "count-list" or len(cand.text) < 2:
                continue
            known.setdefault(cand.text, cand)
        # how many places each name is a candidate at: when that is how often it is written and
        # its occurrences cannot overlap (its first character is not written again in it, so no
        # end of it begins it), every occurrence is a candidate already and none is read again.
        # A name ending in a kind ending is written only where that ending is, which the one scan
        # of the text found (text_words): no scan of the whole text for it
        placed = Counter([t for t, _ in {(c.text, c.start) for c in cands}])
        taken = {(c.start, c.end) for c in cands}
        ending_of = self.k.ending_of
        ending_ends: dict[str, list[int]] | None = None  # ending -> where it ends in the text, in text order
        for name, model in known.items():
            n = len(name)
            if name.find(name[0], 1) < 0:  # occurrences never overlap: the non-overlapping ones are all
                ending = ending_of(name)
                if ending is not None:
                    if ending_ends is None:
                        ending_ends = {}
                        for _, e, written in text_words(doc).endings:
                            ending_ends.setdefault(written.suffix, []).append(e)
                    ends = ending_ends.get(ending.suffix, ())
                    starts = [e - n for e in ends if e >= n and text.startswith(name, e - n)]
                    if placed[name] == len(starts):
                        continue
                elif placed[name] == text.count(name):
                    continue
                else:
                    starts = _occurrences(name, text)
            else:
                starts = _occurrences(name, text)
            for start in starts:
                if (start, start + n) in taken:
                    continue
                _add(doc, start, start + n, model.kind, model.subtype, "repeat", cue_strength=model.cue_strength)
        self._firm_short_names(doc, text, known)

    def _firm_short_names(self, doc: EntityState, text: str, known: dict[str, Candidate]) -> None:
        """以韶钢为龙头: a firm's first two characters, in a firm's context, stand for the firm."""
        k = self.k
        before_context: dict[str, list[int]] | None = None  # two characters -> where they stand before a context
        firms = [(name, model, name[:2]) for name, model in known.items()
                 if model.kind == "Firm" and len(name) >= 4 and name[:2] not in known
                 and not k.is_generic_words(name[:2])]
        for name, model, short in firms:
            if short[0] == short[1]:  # its occurrences may overlap: the non-overlapping ones, as found
                starts = [i for i in _occurrences(short, text) if text.startswith(k.firm_short_context, i + 2)]
            else:
                if before_context is None:
                    # the two characters before every place a firm's context word (为龙头, 集团)
                    # is written -> where they start: the only places a short name of two
                    # different characters can stand (the one scan found the context words)
                    before_context = {}
                    for i in text_words(doc).firm_contexts:
                        before_context.setdefault(text[i - 2 : i], []).append(i - 2)
                starts = before_context.get(short, [])
            for start in starts:
                end = start + len(short)
                if text.startswith(name, start):
                    continue
                before = text[start - 1 : start]
                introduced = (
                    not before
                    or before in k.hard_stops
                    or before == "以"
                    or k.trigger_re.search(text[start - 2 : start]) is not None
                )
                if not introduced:
                    continue
                _add(doc, start, end, "Firm", model.subtype, "repeat", written=name)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class _Places(NamedTuple):
    """Places a department may be named with in one document: its own, its province, the provinces."""

    names: frozenset[str]
    lengths_by_end: dict[str, tuple[int, ...]]  # last character -> lengths of the names ending in it, longest first


class EntityDepartments(_Component):
    """Departments named in running text: 争取省科技厅更大支持, 由市科技局会同市财政局制定, 科技部、
    财政部联合印发. A name of the resolver's department table, with the level prefix (省/市/区/县) or
    place (清远市, 广东省; 中共清远市委…) written before it, is a mention when the resolver reads it as a
    Department; the candidate carries the resolver's unit id, so that a mention and a clause's unit
    are one node. Not a mention: a word the name is part of (科技部门, 工作部署), a name whose prefix may
    belong to another place (广州市科技局 is not 市科技局), a branch named after it (国家税务总局清远市…).
    Responsibility clauses are the clause stage's: extract_entities drops mentions inside them."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.d = load_departments()
        # (written, jurisdiction, province) -> (unit id, name) of a table department, None for
        # anything else: resolve_unit is asked for the same few names in every plan of a place
        self._units: dict[tuple[str, str, str], tuple[str, str] | None] = {}
        self._review_generation = -1

    def _start(self, text: str, s: int, places: _Places) -> int | None:
        """Where the written name of the department whose table name starts at `s` begins (before its
        place or level prefix); None when the context says it is no department."""
        d = self.d
        before = text[s - 1] if s > 0 else ""
        lengths = places.lengths_by_end.get(before)
        if lengths is not None:
            for n in lengths:
                if n <= s and text[s - n : s] in places.names:
                    p = s - n
                    for head in d.name_heads:
                        if text.startswith(head, p - len(head)):
                            return p - len(head)
                    return p
        if before in d.level_prefixes:
            p = s - 1
        else:
            p = s
            if text.startswith(d.prefix_required_heads, s):
                return None
        lasts = d.generic_place_lasts
        if (lasts is None or (p > 0 and text[p - 1] in lasts)) and text.endswith(d.generic_places, max(0, p - 8), p):
            return None  # 各县（市、区）科技局: every county's bureau, a collective
        if self._introduced(text, p):
            return p
        if p < s:
            # 学习广州市科技局: a place of two or three characters named in full, itself introduced
            for n in (2, 3):
                q = p - n
                stem = text[q:p]
                if q >= 0 and _CJK_RUN.fullmatch(stem) and self._introduced(text, q) and not any(
                    stem[i : i + m] in d.introducers for m in d.introducer_lengths for i in range(n - m + 1)
                ):
                    return q
        return None  # 全市科技局, 国家林业局, 推动城市…: not a department of a level or place

    def _introduced(self, text: str, p: int) -> bool:
        """Whether a name may start at `p`: after punctuation, a line start, or an introducing word."""
        if p == 0 or not "\u4e00" <= text[p - 1] <= "\u9fff":  # (_CJK.match(text, p - 1), without the call)
            return True
        introducers = self.d.introducers
        for n in self.d.introducer_lengths:  # noqa: SIM110 (a loop: faster than any() over a generator)
            if n <= p and text[p - n : p] in introducers:
                return True
        return False

    def run(self, doc: EntityState) -> None:
        d = self.d
        text = doc_text(doc)
        jurisdiction, province = doc.jurisdiction, doc.province
        if review_generation[0] != self._review_generation:
            self._units.clear()
            self._review_generation = review_generation[0]
        places = _places(jurisdiction, province, d.places)
        branch_of = tuple(p for p in (jurisdiction, jurisdiction_short(jurisdiction), province) if p)
        found: list[tuple[int, int, int]] = []  # (start of the table name, end, start of the written name)
        longest = text_words(doc).departments  # end -> length of the longest table name ending there
        size = len(text)
        blocked_after = d.blocked_after
        units = self._units
        append = doc.candidates.append
        for e, n in longest.items():
            if e < size and text[e] in blocked_after.get(text[e - 1], ""):
                continue
            s = e - n
            if branch_of and text.startswith(branch_of, e):
                continue  # 国家税务总局清远市税务局, 人民银行清远市中心支行: a branch, named in full later
            p = self._start(text, s, places)
            if p is None or (p == s and n < d.min_bare_chars):
                continue
            # a second name in brackets right after a department is the same body (市发展改革局（市能源局）)
            if found and text[p - 1 : p] == "（" and found[-1][1] == p - 1:
                continue
            found.append((s, e, p))
        if not found:
            return
        in_clause = doc.in_clause
        if in_clause is not None:
            # a department in a responsibility clause that overlaps no candidate and no other
            # department would be chosen alone (it decides no other choice) and then dropped as
            # the clause's unit (extract_entities): it is neither resolved nor made a candidate
            ordered = sorted([(c.start, c.end) for c in doc.candidates])
            starts = list(map(_FIRST, ordered))
            reach = list(accumulate(map(_SECOND, ordered), max))  # the farthest end of the first k
            later_start = list(accumulate(map(_THIRD, reversed(found)), min))  # the least p from k on, reversed
            last = len(found) - 1
        previous_end = -1
        for i, (_, e, p) in enumerate(found):
            if (
                in_clause is not None
                and previous_end <= p  # (ends grow: the previous department's is the farthest before)
                and (i == last or later_start[last - i - 1] >= e)
                # no candidate starting before e ends after p
                and not ((j := bisect_left(starts, e)) and reach[j - 1] > p)
                and in_clause(p, e)
            ):
                previous_end = e
                continue
            previous_end = e
            written = text[p:e]
            key = (written, jurisdiction, province)
            if key in units:
                unit = units[key]
            else:
                unit = units[key] = _table_department(written, jurisdiction, province)
            if unit is None:
                continue  # 区科技局 in a city plan: each district's bureau, a collective
            append(Candidate(p, e, DEPARTMENT, "", "department", written, written, False, True, "", "",
                             unit[0], unit[1]))
        if len(units) > 1 << 16:
            units.clear()


def _table_department(written: str, jurisdiction: str, province: str) -> tuple[str, str] | None:
    """(unit id, canonical name) when the resolver reads `written` as a Department of its table."""
    unit = resolve_unit(written, jurisdiction, province=province)
    if unit.kind != DEPARTMENT or unit.rule not in TABLE_RULES:
        return None
    return unit.unit_id, unit.name


@lru_cache(maxsize=4096)
def _places(jurisdiction: str, province: str, known: frozenset[str]) -> _Places:
    names = frozenset({p for p in (jurisdiction, province) if p} | known)
    lengths: dict[str, set[int]] = {}
    for place in names:
        lengths.setdefault(place[-1], set()).add(len(place))
    return _Places(names, {end: tuple(sorted(n, reverse=True)) for end, n in lengths.items()})


_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)


_PRIORITY = {"ending": 3, "list": 2, "count-list": 2, "repeat": 1}
_NONE_NAMED: tuple[list[int], list[Candidate]] = ([], [])
_NO_NAMES: frozenset[str] = frozenset()


_BY_PLACE = attrgetter("start", "end")


def _without_overlaps(cands: list[Candidate]) -> list[Candidate]:
    """Of overlapping candidates, named before categories, longer before shorter, stronger
    evidence first (the first of `cands` among equals), each kept when it overlaps none kept
    before; by start. Only a run of overlapping candidates is decided so: most overlap none."""
    by_place = sorted(cands, key=_BY_PLACE)
    chosen: list[Candidate] = []
    position: dict[int, int] | None = None  # id -> index in cands, for the order among equals
    i, n = 0, len(by_place)
    while i < n:
        reach = by_place[i].end
        j = i + 1
        while j < n and by_place[j].start < reach:
            if by_place[j].end > reach:
                reach = by_place[j].end
            j += 1
        if j == i + 1:
            chosen.append(by_place[i])
        else:
            if position is None:
                position = {id(c): k for k, c in enumerate(cands)}
            run: list[Candidate] = []
            for c in sorted(by_place[i:j], key=lambda c: (c.generic, -(c.end - c.start),
                                                          -_PRIORITY.get(c.evidence, 0), position[id(c)])):
                if all(c.end <= o.start or o.end <= c.start for o in run):
                    run.append(c)
            chosen.extend(sorted(run, key=_BY_PLACE))
        i = j
    return chosen


def _vote(same_name: list[Candidate]) -> None:
    """The candidates of one name (in text order) take the kind with the most weight (a strong
    list cue 3, an ending 2, else 1; the first kind among equals) and that kind's subtype of the
    heaviest candidate (the first among equals)."""
    votes: dict[str, int] = {}
    subtype_of: dict[str, tuple[int, str]] = {}
    for c in same_name:
        weight = 3 if c.cue_strength == "strong" else 2 if c.evidence == "ending" else 1
        votes[c.kind] = votes.get(c.kind, 0) + weight
        if c.kind not in subtype_of or weight > subtype_of[c.kind][0]:
            subtype_of[c.kind] = (weight, c.subtype)
    winner = max(votes.items(), key=lambda kv: kv[1])[0]
    for c in same_name:
        c.kind = winner
        c.subtype = subtype_of[winner][1]


class EntitySelect(_Component):
    """One kind per name within the document, then the longest non-overlapping mentions -> doc.ents.
    A bare ending of a park kind (高新区) becomes an alias of the park it stands for, where that is
    unambiguous: the nearest such park named earlier in the paragraph, else the only one in the
    document, else (none named) the jurisdiction's own."""

    def __init__(self, nlp: Language | None = None, name: str = "") -> None:
        self.k = load_knowledge()

    def run(self, doc: EntityState) -> None:
        cands = [c for c in candidates(doc) if c.kind in MENTION_KINDS]
        # kind per name: a strong list cue beats the ending; otherwise the ending's kind (a
        # department's kind is the resolver's, it takes no part)
        # (a name found once keeps its kind and subtype: only names found more than once vote)
        first: dict[str, Candidate] = {}
        again: dict[str, list[Candidate]] = {}
        for c in cands:
            if c.generic or c.kind == DEPARTMENT:
                continue
            seen = first.setdefault(c.text, c)
            if seen is not c:
                again.setdefault(c.text, [seen]).append(c)
        for same_name in again.values():
            _vote(same_name)
        chosen = _without_overlaps(cands)
        self._resolve_bare(doc, chosen)
        doc.chosen = chosen

    def __call__(self, doc: Doc) -> Doc:
        state = doc_state(doc)
        self.run(state)
        ents: list[Span] = []
        for c in state.chosen:
            span = doc.char_span(c.start, c.end, label=c.kind, kb_id=c.subtype, alignment_mode="expand")
            if span is None or (ents and span.start < ents[-1].end):
                continue
            span._.subtype = c.subtype
            span._.generic = c.generic
            span._.evidence = c.evidence
            span._.written = c.written
            span._.alias_of = c.alias_of
            span._.unit_id = c.unit_id
            span._.unit_name = c.unit_name
            ents.append(span)
        doc.ents = ents
        doc.spans[CANDIDATES] = [
            s
            for c in state.candidates
            if c.kind in MENTION_KINDS
            and (s := doc.char_span(c.start, c.end, label=c.kind, kb_id=c.subtype, alignment_mode="expand"))
        ]
        return doc

    def _resolve_bare(self, doc: EntityState, chosen: list[Candidate]) -> None:
        k = self.k
        bare = k.bare_alias_subtypes
        bares = [c for c in chosen if c.text in bare and c.generic and c.kind == "Park"]
        if not bares:
            return
        text = doc_text(doc)
        # the named parks of each subtype by start (chosen is by start, no two at one start),
        # and the names they are written with
        named: dict[str, tuple[list[int], list[Candidate]]] = {}
        for c in chosen:
            if not c.generic and c.kind == "Park":
                starts, same = named.setdefault(c.subtype, ([], []))
                starts.append(c.start)
                same.append(c)
        names_of = {subtype: {n.written for n in same} for subtype, (_, same) in named.items()}
        short = jurisdiction_short(doc.jurisdiction)
        for c in bares:
            para_start = text.rfind("\n", 0, c.start) + 1
            starts, same = named.get(c.subtype, _NONE_NAMED)
            before = bisect_left(starts, c.start) - 1  # the last named before c
            names = names_of.get(c.subtype, _NO_NAMES)
            target = ""
            if before >= 0 and starts[before] >= para_start:  # named earlier in the paragraph
                target = same[before].written
            elif len(names) == 1:
                target = next(iter(names))
            elif not names and short:
                target = short + c.text
            if target:
                c.generic = False
                c.alias_of = target
                c.evidence = "alias"


@lru_cache(maxsize=4096)
def jurisdiction_short(jurisdiction: str) -> str:
    """清远市 -> 清远; 天河区 -> 天河; '' stays ''. Memoised: asked for every document and name."""
    j = jurisdiction.strip()
    for tail in ("特别行政区", "自治州", "自治县", "地区", "市", "区", "县", "盟", "州", "省"):
        if j.endswith(tail) and len(j) - len(tail) >= 2:
            return j[: -len(tail)]
    return j


# the components in pipeline order, by their spaCy factory names
COMPONENTS: dict[str, type[_Component]] = {
    "entity_endings": EntityEndings,
    "entity_lists": EntityLists,
    "entity_anchors": EntityAnchors,
    "entity_categories": EntityCategories,
    "entity_repeats": EntityRepeats,
    "entity_departments": EntityDepartments,
    "entity_select": EntitySelect,
}
PIPELINE = tuple(COMPONENTS)


@cache
def components() -> tuple[_Component, ...]:
    """One instance of each component, in pipeline order, built once per process: what
    `extract_entities` runs over a plan's text (no spaCy needed)."""
    return tuple(cls() for cls in COMPONENTS.values())


@cache
def register_spacy() -> None:
    """Register the components as spaCy factories and the Doc/Span extensions they fill; only
    `entity_pipeline()` needs this (importing spaCy costs more than a second)."""
    from spacy.language import Language
    from spacy.tokens import Doc, Span

    # what the selected mentions (doc.ents) carry; candidates are `Candidate` records in
    # doc.user_data[CANDIDATES] because span extensions are keyed by offsets, and several
    # candidates may share offsets until `entity_select` has chosen.
    for name, default in (
        ("subtype", ""),
        ("generic", False),
        ("evidence", ""),  # ending | list | count-list | repeat | alias
        ("written", ""),  # name as read (an item of a count list gets its ending added)
        ("alias_of", ""),  # for a bare ending (高新区) resolved to a named park
        ("unit_id", ""),  # for a department: the resolver's unit id (dept:清远市科学技术局)
        ("unit_name", ""),  # for a department: the resolver's canonical name
    ):
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for name in ("jurisdiction", "province"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default="")
    for name, cls in COMPONENTS.items():
        if not Language.has_factory(name):
            Language.factory(name, func=cls)
