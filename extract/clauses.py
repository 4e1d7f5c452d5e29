"""Responsibility clauses: who leads a task and who takes part, as the plan states it.

The grammar is composed here; the words live in resources/clause_words.json.
  labels     a role word, 考核 or not, and a body noun: 牵头单位 主责部门 配合考核处室 协同司局, written
             with ：/:, in 【】, or with the colon lost (（牵头单位市科技局）); several labelled parts
             in one bracket, separated by ，；。 or spaces; fields that are not units (完成时限：…,
             时间节点, 6月底完成, 2022年底前, a score 0.5分) before, between or after the lists
  inline     a list part ends with a verb: prefix? modifier? core tail? (按职责 分工 负责; 分别 牵头;
             配合 落实). Lead: 牵头, 主责; 负责 without a lead named (the first listed leads);
             负责 shared (分工负责, 按职责分别负责: each leads its share). Participant: 配合, 协同,
             协助, 参与, 落实 (分头落实, 分工落实), and any 负责 after a 牵头 part. 会同: A会同B负责.
  lists      、，；/ and spaces; 各县（市、区）, 有关区、市政府 one collective each; A及B two bodies,
             one role; A等相关部门 names A; no unit keeps a verb tail ("各部门按职责")
  lines      "牵头单位：A" / "配合单位：B" / "时间节点：年内" on lines of their own after the task
  bare       （市科技局、市财政局） closing a task: responsible units; "由A牵头，B配合。" closing a
             paragraph; labels ending in 为 (牵头单位为A)
  tables     任务分工表 with any subset and order of 序号 重点任务 任务内容 牵头单位 配合单位 完成时限,
             tab-separated (.docx, .xlsx, TSV, HTML), Markdown, or one cell per line; merged cells
             carried down, section rows skipped, a second header row (牵头 | 配合) under 责任单位
"按职责分工负责" makes every unit a lead of its share, unless the clause names a lead or the
document says the first listed unit leads ("列第一位者为牵头单位"); "A（牵头）" in a list leads.
Parentheses that are not clauses (（2018-2022年）, （现有1家）) are left alone; one that looks like
a clause but cannot be read is reported with its line.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate
from typing import Any

try:  # the regex parser, to read the characters a pattern's matches start with
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re._parser import parse as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # Python 3.10
    import sre_constants as _sre
    from sre_parse import parse as _sre_parse

from policykg.extract import gazetteer
from policykg.extract.deadlines import may_hold_deadline, read_deadline
from policykg.extract.model import Clause, PolicyDocument, Section, Task, UnitMention, _span
from policykg.extract.outline import heading_title

OPEN_BRACKETS = {"（": "）", "【": "】", "[": "]", "〖": "〗", "〔": "〕"}
CLOSE_BRACKETS = {v: k for k, v in OPEN_BRACKETS.items()}
# what a label's word is followed by (the colon, 】 or 为): every label match holds one
_LABEL_END_CHARS = "：:】为"


@lru_cache(maxsize=1)
def clause_words() -> dict[str, Any]:
    return json.loads(resources.files("policykg.extract").joinpath("resources/clause_words.json").read_text("utf-8"))


def _alternation(words: list[str]) -> str:
    return "|".join(map(re.escape, sorted(set(words), key=len, reverse=True)))


def _starts(chars: Iterable[str]) -> str:
    """A lookahead on the characters a match may start with. (The regex engine still tries the
    pattern at each position: _search_at and _finditer_at try it only where one of them stands.)"""
    return "(?=[" + re.escape("".join(sorted(set(chars)))) + "])"


def _search_at(pattern: re.Pattern[str], at: re.Pattern[str], text: str, pos: int = 0,
               endpos: int | None = None) -> re.Match[str] | None:
    """pattern.search(text, pos, endpos) for a pattern that opens with a _starts lookahead on the
    characters of `at` (a character class): the pattern is tried only where `at` finds one of them,
    by a scan in C, and the first position it matches at is the search's."""
    end = len(text) if endpos is None else endpos
    find, match = at.search, pattern.match
    s = find(text, pos, end)
    while s is not None:
        i = s.start()
        m = match(text, i, end)
        if m is not None:
            return m
        s = find(text, i + 1, end)
    return None


def _finditer_at(pattern: re.Pattern[str], at: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """list(pattern.finditer(text)) by _search_at (each match from the end of the one before; the
    patterns it is used for never match the empty string, and would be read by finditer if one did)."""
    out: list[re.Match[str]] = []
    m = _search_at(pattern, at, text)
    while m is not None:
        if m.end() == m.start():
            return list(pattern.finditer(text))
        out.append(m)
        m = _search_at(pattern, at, text, m.end())
    return out


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    words = clause_words()
    label_role = {w: role for role, ws in words["labels"].items() for w in ws}
    verb_role = {w: role for role, ws in words["verbs"].items() for w in ws}
    grammar = words["label_grammar"]
    # a label by composition: role word, optional 考核, body noun (牵头单位, 配合考核部门, 协同处室)
    role_words = {w: role for role, ws in grammar["roles"].items() for w in ws}
    composed = (f"(?:{_alternation(list(role_words))})(?:{_alternation(grammar['modifiers'])})?"
                f"(?:{_alternation(grammar['bodies'])})")
    label_word = f"{composed}|{_alternation(list(label_role))}"
    label_first = {w[0] for w in [*role_words, *label_role]}
    # a label is followed by a colon, or stands in its own brackets: 【牵头单位】市科技局
    # a note in brackets may stand between a label and its colon: 牵头单位（部门）：
    label_re = re.compile(rf"{_starts(label_first | {'【'})}【?({label_word})(?:[（(][^）)：:]{{1,8}}[）)])?"
                          r"(?:\s*[：:]|】|为(?=[\u4e00-\u9fff]))\s*")
    vg = words["verb_grammar"]
    cores = {w: role for role, ws in vg["cores"].items() for w in ws}
    verb_re = re.compile(
        rf"(?:等)?(?:(?P<explicit>{_alternation(list(verb_role))})|"
        rf"(?P<pre>{_alternation(vg['prefixes'])})?(?P<mod>{_alternation(vg['modifiers'])})?"
        rf"(?P<core>{_alternation(list(cores))})(?P<tail>{_alternation(vg['tails'] + list(vg['cores']['lead']))})?)$")
    # what a verb leaves on a unit when the list was cut before its core: "各部门按职责"
    residue = re.compile(rf"(?:等)?(?:{_alternation(vg['prefixes'])})?(?:{_alternation(vg['modifiers'])})?$")
    suffixes = tuple(sorted(words["unit_suffixes"], key=len, reverse=True))
    levels = _alternation(words["admin_levels"])
    bodies = _alternation(words["admin_bodies"] + words["collective_bodies"])
    headers = words["table_headers"]
    deadlines = words["deadlines"]
    return {
        "label_role": label_role,
        "role_words": role_words,
        "label_word": re.compile(f"{_starts(label_first)}(?:{label_word})"),
        # the scans for the characters the patterns opening with a _starts lookahead start with
        # (_search_at, _finditer_at)
        "label_at": re.compile(_one_of(label_first | {"【"})),
        "label_word_at": re.compile(_one_of(label_first)),
        "label_bare_at": re.compile(_one_of({w[0] for w in role_words} | {"【"})),
        "clue_at": re.compile(_one_of([*label_first, *(w[0] for w in [*verb_role, *cores])])),
        # what every labelled or inline clause holds: a label word or a role verb's core
        "clue": re.compile(f"{_starts([*label_first, *(w[0] for w in [*verb_role, *cores])])}"
                           f"(?:{label_word}|{_alternation(list(verb_role))}|{_alternation(list(cores))})"),
        "verb_role": verb_role,
        "verb_cores": cores,
        "sharing": set(vg["sharing_modifiers"]),
        "lead_cores": set(vg["cores"]["lead"]),
        "label": label_re,
        # every label match holds one of these (the colon, 】 or 为 after its word): a text without
        # them holds no label, and is not scanned for one
        "label_end": re.compile("[" + _LABEL_END_CHARS + "]"),
        # a label without its colon (normalising drops the space after it), at the start of a part
        "label_bare": re.compile(rf"{_starts({w[0] for w in role_words} | {'【'})}【?({composed})】?(?![：:])"),
        # a field that is not a unit list ends one: "；完成时限：2022年底", "【责任领导】王五"
        "other_label": re.compile(rf"[，,；;。\s]*(?:【(?:{_alternation(words['field_labels'])})】"
                                  rf"|(?:{_alternation(words['field_labels'])})\s*[：:]"
                                  r"|(?<=[，,；;。\s])[\u4e00-\u9fff]{2,8}[：:])"),
        "verb": verb_re,
        # the characters a verb match starts with: 等, or the first of a word that may open it (an
        # explicit verb, a prefix, a modifier or a core); None if a word is empty
        "verb_start": re.compile(_one_of(["等", *(w[0] for w in [*verb_role, *vg["prefixes"], *vg["modifiers"],
                                                                  *cores])]))
        if all([*verb_role, *vg["prefixes"], *vg["modifiers"], *cores]) else None,
        # whether a verb may hold a 、 (then it may span a list's items)
        "verb_spans_items": any("、" in w for w in [*verb_role, *cores, *vg["prefixes"], *vg["modifiers"],
                                                    *vg["tails"]]),
        # the characters a verb match can end with ($ allows one trailing newline after them)
        "verb_last": frozenset(w[-1] for w in [*verb_role, *cores, *vg["tails"]] if w) | {"\n"},
        "residue": residue,
        "suffixes": suffixes,
        "places": tuple(sorted(words["place_suffixes"], key=len, reverse=True)),
        "not_unit": tuple(words["not_unit_words"]),
        "not_unit_start": tuple(words["not_unit_starts"]),
        "measure": re.compile(r"[\d零〇一二两三四五六七八九十百千万几多余数]\s*(?:"
                              + "|".join(words["measure_words"]) + ")"),
        "separators": frozenset(words["separators"]),
        "generic_tail": re.compile(words["generic_tail"]),
        "score": re.compile(words["score_note"]),
        "trailing_score": re.compile(r"[（(]\s*[\d.]+\s*分\s*[)）]$"),
        "first_leads": re.compile(words["first_leads_note"]),
        "first_leads_firsts": _first_characters(words["first_leads_note"]),
        "deadline": re.compile(words["deadline"]),
        "deadline_field": re.compile(rf"【?(?:{_alternation(deadlines['field_labels'])})(?:】|\s*[：:])"),
        "lead_marks": tuple(words["lead_marks"]),
        "joint": re.compile("|".join(map(re.escape, words["joint_words"]))),
        "conjunction": re.compile("|".join(map(re.escape, sorted(words["conjunctions"], key=len, reverse=True)))),
        "admin_bodies": set(words["admin_bodies"]),
        # "各市" "有关区" … then "县（市、区）政府": one collective written over 、
        "admin_open": re.compile(rf"(?:{_alternation(words['collective_prefixes'])})(?:{levels})"),
        "admin_level": re.compile(rf"(?:{levels})"),
        # the first characters of the collective prefixes (各 有关 相关); None if one is empty
        "admin_open_first": frozenset(w[0] for w in words["collective_prefixes"])
        if all(words["collective_prefixes"]) else None,
        # (the same as a character class: a text without them holds no unit that opens a collective)
        "admin_open_char": re.compile(_one_of({w[0] for w in words["collective_prefixes"] if w})),
        "admin_close": re.compile(rf"(?:{levels})(?:（[^）]*）)?(?:{levels})?(?:{bodies})?"),
        "task_header": set(headers["task"]) | set(headers["text"]),
        # a title column (重点任务) beside a text column (任务内容): the title names the task
        "title_header": set(headers["task"]) - set(headers["text"]),
        "text_header": set(headers["text"]),
        "deadline_header": set(headers["deadline"]),
        "number_header": set(headers["number"]),
        "other_header": set(headers["other"]) | set(headers["deadline"]),
        # the first characters a header cell may have (label_role strips 【】 and spaces)
        "header_first": frozenset(w[0] for w in [*label_role, *role_words, *headers["task"], *headers["text"],
                                                 *headers["number"], *headers["other"], *headers["deadline"]]
                                  if w) | {"【", "】"},
    }


@lru_cache(maxsize=16384)
def label_role(label: str) -> str | None:
    """The role a label names: 牵头单位 -> lead, 配合考核部门 -> participant, 责任单位 ->
    responsible; None if `label` is no label. (Cached: every labelled clause asks for its labels.)"""
    p = _patterns()
    label = label.strip("【】 ")
    if label in p["label_role"]:
        return p["label_role"][label]
    if not p["label_word"].fullmatch(label):
        return None
    word = max((w for w in p["role_words"] if label.startswith(w)), key=len)
    return p["role_words"][word]


def verb_role(m: re.Match[str]) -> str:
    """The role of an inline verb (a match of the verb pattern): lead, responsible, shared or
    participant."""
    p = _patterns()
    if m.group("explicit"):
        return p["verb_role"][m.group("explicit")]
    core, tail = m.group("core"), m.group("tail") or ""
    role = p["verb_cores"][core]
    if role == "lead" or tail in p["lead_cores"]:
        return "lead"
    if role == "responsible":
        if tail == "落实" and core == "负责":
            return "responsible"
        if m.group("pre") or (m.group("mod") or "") in p["sharing"]:
            return "shared"
    return role


def end_verb(text: str) -> re.Match[str] | None:
    """The role verb a list part ends with (looked for in its last characters only: a part
    may be a megabyte long)."""
    p = _patterns()
    if text[-1:] not in p["verb_last"]:  # most parts end with a unit name: no verb can end there
        return None
    start = max(0, len(text) - 24)
    verb_start = p["verb_start"]
    if verb_start is None:
        return p["verb"].search(text, start)
    # the verb pattern's search, tried only where a match may start (a character found by a C scan):
    # elsewhere each of its words would be tried at every position
    match, at = p["verb"].match, verb_start.search
    s = at(text, start)
    while s is not None:
        m = match(text, s.start())
        if m is not None:
            return m
        s = at(text, s.start() + 1)
    return None


@dataclass(slots=True)
class ParsedUnit:
    written: str
    start: int  # offsets in the normalised text
    end: int
    role: str  # lead | participant | responsible | shared
    separator: str  # what preceded it in its list ("" for the first)
    lead_from_order: bool = False  # leads because it is listed first, not by a label


def bracket_groups(text: str, base: int = 0, brackets: list[int] | None = None) -> list[tuple[int, int]]:
    """Top-level bracketed groups [start, end) (brackets included) with balanced nesting;
    any opening bracket may be closed by any closing one ("(" … "）" is common). A bracket
    left open at the end of the paragraph makes a group to the paragraph's end (a clause whose
    closing bracket was lost); the caller tells the two apart by the last character.
    `brackets`: the offsets of every bracket in `text`, when the caller has them."""
    groups: list[tuple[int, int]] = []
    depth, start = 0, -1
    # jump from bracket to bracket (a paragraph is mostly text between them), found by str.find
    for i in _positions(text, _BRACKET_CHARS) if brackets is None else brackets:
        if text[i] in OPEN_BRACKETS:
            if depth == 0:
                start = i
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                groups.append((base + start, base + i + 1))
    if depth:
        groups.append((base + start, base + len(text)))
    return groups


def _positions(text: str, chars: str) -> list[int]:
    """The sorted offsets of `chars` in `text`, each character found by str.find (a regex
    character class scans Chinese text many times slower)."""
    found: list[int] = []
    find = text.find
    for ch in chars:
        i = find(ch)
        while i >= 0:
            found.append(i)
            i = find(ch, i + 1)
    found.sort()
    return found
_BRACKET_CHARS = "".join(OPEN_BRACKETS) + "".join(CLOSE_BRACKETS)
# split_units's brackets: those of bracket_groups and the half-width ones
_LIST_OPEN = frozenset(OPEN_BRACKETS) | {"("}
_LIST_CLOSE = frozenset(CLOSE_BRACKETS) | {")"}


@lru_cache(maxsize=64)
def _list_marks(separators: frozenset[str]) -> re.Pattern[str]:
    """The characters split_units stops at: brackets, the separators and the end mark \0."""
    return re.compile("[" + re.escape("".join(sorted(_LIST_OPEN | _LIST_CLOSE | separators | {"\0"}))) + "]")


def split_units(text: str, base: int, separators: AbstractSet[str],
                names: bool = True) -> list[tuple[str, int, int, str]]:
    """Split a unit list on 、，；/ outside parentheses: [(unit, start, end, separator)].
    `names`: the pieces are unit names (cleaned, split on 和/及, collectives joined); else
    they are parts of a clause, returned as written."""
    if not text:
        return []
    separators = separators if isinstance(separators, frozenset) else frozenset(separators)
    # no bracket (and no end mark): the pieces are what lies between the separators, split in C
    flat = not _DEPTH_MARK.search(text)
    out = _split_flat(text, base, separators, names) if flat else _split_nested(text, base, separators, names)
    if not names:
        return out
    if flat and not _CONJUNCTION_CHAR.search(text):
        return _join_collectives(out, text, base)
    return _join_collectives([part for unit in out for part in _split_conjunction(unit)], text, base)


def _split_nested(text: str, base: int, separators: frozenset[str],
                  names: bool) -> list[tuple[str, int, int, str]]:
    """split_units's pieces, before names are split on 和/及 and collectives joined: the text cut
    at the separators that stand outside brackets."""
    out: list[tuple[str, int, int, str]] = []
    depth, seg_start, sep = 0, 0, ""
    # jump from mark to mark (brackets and separators) rather than through every character
    marks = _list_marks(separators)
    for m in marks.finditer(text + "\0"):
        ch = m.group()
        if ch in _LIST_OPEN:
            depth += 1
        elif ch in _LIST_CLOSE and depth:
            depth -= 1
        elif depth == 0 and (ch in separators or ch == "\0"):
            i = m.start()
            lead, unit = _segment(text[seg_start:i], names)
            if unit:
                s = base + seg_start + lead
                out.append((unit, s, s + len(unit), sep))
            sep = ch if ch != "\0" else ""
            seg_start = i + 1
    return out


def _one_of(chars: Iterable[str]) -> str:
    """A character class of `chars` (a regex search for one of them runs in C; a set's isdisjoint
    over a str makes an object of every character)."""
    return "[" + re.escape("".join(sorted(set(chars)))) + "]"


def _first_characters(pattern: str) -> str | None:
    """The characters every match of `pattern` starts with, read from its parse ("列排" for
    (?:列|排|排列…)…); None when they cannot be told (an optional start, a class, an anchor)."""
    def first(items: Any) -> set[str] | None:
        if not len(items):
            return None
        op, av = items[0]
        if op is _sre.LITERAL:
            return {chr(av)}
        if op is _sre.IN:
            return {chr(a) for o, a in av} if all(o is _sre.LITERAL for o, _a in av) else None
        if op is _sre.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                got = first(branch)
                if got is None:
                    return None
                found |= got
            return found
        if op is _sre.SUBPATTERN and not av[1] and not av[2]:
            return first(av[3])
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            return first(av[2])
        return None

    try:
        chars = first(_sre_parse(pattern))
    except Exception:  # an unexpected parse: the regex scans as before
        return None
    return "".join(sorted(chars)) if chars else None


def _holds(pattern: re.Pattern[str], firsts: str | None, text: str, start: int = 0, end: int | None = None) -> bool:
    """bool(pattern.search(text, start, end)), for a long text: tried only where one of the
    characters a match starts with stands (found by str.find, which runs far faster over Chinese
    text than the regex engine's scan)."""
    end = len(text) if end is None else end
    if firsts is None:
        return pattern.search(text, start, end) is not None
    match, find = pattern.match, text.find
    for ch in firsts:
        i = find(ch, start, end)
        while i >= 0:
            if match(text, i, end):
                return True
            i = find(ch, i + 1, end)
    return False


# split_units's characters other than separators: a text without them splits at every separator
_DEPTH_MARK = re.compile(_one_of(_LIST_OPEN | _LIST_CLOSE | {"\0"}))


@lru_cache(maxsize=64)
def _separator_split(separators: frozenset[str]) -> Any:
    """re.split by the separators, keeping them: [piece, separator, piece, …]."""
    return re.compile("([" + re.escape("".join(sorted(separators))) + "])").split


def _split_flat(text: str, base: int, separators: frozenset[str], names: bool) -> list[tuple[str, int, int, str]]:
    """_split_nested of a text without brackets or \\0, by re.split: the same pieces, offsets and
    separators."""
    out: list[tuple[str, int, int, str]] = []
    pieces = _separator_split(separators)(text)
    pos, sep = 0, ""
    last = len(pieces) - 1
    for k in range(0, last + 1, 2):
        raw = pieces[k]
        lead, unit = _name_segment(raw) if names and len(raw) <= _CACHED_LENGTH else _segment(raw, names)
        if unit:
            start = base + pos + lead
            out.append((unit, start, start + len(unit), sep))
        pos += len(raw) + 1
        if k < last:
            sep = pieces[k + 1]
    return out


def _segment(raw: str, names: bool) -> tuple[int, str]:
    """A piece of a list: (characters before its text, its text); a unit name cleaned."""
    if names and len(raw) <= _CACHED_LENGTH:
        return _name_segment(raw)
    lead = len(raw) - len(raw.lstrip(" \t\n由"))
    unit = raw.strip(" \t\n").lstrip("由").rstrip("。.")
    return lead, (_clean_unit(unit) if names else unit)


@lru_cache(maxsize=16384)
def _name_segment(raw: str) -> tuple[int, str]:
    # (cached: the same unit names recur in every clause of a plan)
    lead = len(raw) - len(raw.lstrip(" \t\n由"))
    return lead, _clean_unit(raw.strip(" \t\n").lstrip("由").rstrip("。."))


_TRAILING_NOTE = re.compile(r"[（(]([^（）()]*)[）)]$")


@lru_cache(maxsize=16384)
def _clean_unit(unit: str) -> str:
    """A list item without what is not its name: a generic tail ("市财政局等相关部门" names
    市财政局), a score ("市科技局（0.5分）"), a verb left over ("各部门按职责")."""
    p = _patterns()
    unit = p["trailing_score"].sub("", unit).rstrip()
    note = _TRAILING_NOTE.search(unit)
    if note and note.start() >= 2 and (p["first_leads"].search(note.group(1)) or "下同" in note.group(1)):
        unit = unit[: note.start()]  # "市财政局（列第一位的为牵头单位，下同）"
    m = p["generic_tail"].search(unit, max(0, len(unit) - 16))
    if m and m.start() >= 2:
        unit = unit[: m.start()]
    m = p["residue"].search(unit, max(0, len(unit) - 16))
    if m and m.start() >= 2 and m.end() > m.start():
        unit = unit[: m.start()]
    return unit


def _split_conjunction(unit: tuple[str, int, int, str]) -> list[tuple[str, int, int, str]]:
    """'市科技局和市财政局' -> two units; '工业和信息化部', '党委和政府' stay one (the part before
    the conjunction is no unit name, or the part after is a bare body word)."""
    name, start, _end, sep = unit
    if not _CONJUNCTION_CHAR.search(name):  # most names hold no 和 / 及 / 与
        return [unit]
    p = _patterns()
    for m in p["conjunction"].finditer(name):
        left, right = name[: m.start()], name[m.end() :]
        if left.endswith(p["suffixes"]) and looks_like_unit(left) and looks_like_unit(right) \
                and right not in p["admin_bodies"] and len(right) >= 3:
            rest = _split_conjunction((right, start + m.end(), start + len(name), m.group(0)))
            return [(left, start, start + len(left), sep), *rest]
    return [unit]


def _join_collectives(units: list[tuple[str, int, int, str]], text: str,
                      base: int) -> list[tuple[str, int, int, str]]:
    """'各市、县（市、区）政府', '各省、自治区、直辖市人民政府', '有关区、市政府', '各市、县': the
    levels listed with 、 name one collective body, whose suffix is written once at the end."""
    p = _patterns()
    first = p["admin_open_first"]
    if first is not None and (not p["admin_open_char"].search(text) or not any(u[0][:1] in first for u in units)):
        return units  # no item opens a collective ("各…", "有关…"): nothing to join
    out: list[tuple[str, int, int, str]] = []
    i = 0
    while i < len(units):
        if p["admin_open"].fullmatch(units[i][0]):
            j = i + 1
            while j < len(units) and units[j][3] == "、" and p["admin_level"].fullmatch(units[j][0]):
                j += 1
            last = j if j < len(units) and units[j][3] == "、" and p["admin_close"].fullmatch(units[j][0]) \
                else j - 1
            if last > i:
                start, end = units[i][1], units[last][2]
                out.append((text[start - base : end - base], start, end, units[i][3]))
                i = last + 1
                continue
        out.append(units[i])
        i += 1
    return out


# the first characters of the conjunctions (以及 和 及 与): a name without them holds none
_CONJUNCTION_CHAR = re.compile(_one_of(w[0] for w in clause_words()["conjunctions"]))
_NOT_IN_NAMES = re.compile(r"[\d：:。；;！？“”《》]")
_NOTES = re.compile(r"（[^）]*）")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=16384)
def looks_like_unit(name: str) -> bool:
    p = _patterns()
    if not (2 <= len(name) <= 40) or _NOT_IN_NAMES.search(name):
        return False
    if any(w in name for w in p["not_unit"]) or name.startswith(p["not_unit_start"]) or p["measure"].search(name):
        return False
    core = _NOTES.sub("", name)
    return core.endswith(p["suffixes"]) or core.startswith("各")


# labels of other kinds before the unit labels: "牵头领导：王五；牵头单位：…"
_LEADING_LABELS = re.compile(r"^(?:\s*[\u4e00-\u9fff]{2,8}[：:][^；;，,：:]{0,30}[；;，,])+")
_PART_SEPARATORS = frozenset({"，", "；", ",", ";", "。"})
_LIST_SEPARATORS = frozenset({"、", "/", " ", "\n"})
_NOTE_SEPARATORS = _PART_SEPARATORS | {" "}
_UNIT_SEPARATORS = _LIST_SEPARATORS | {"、"}


@lru_cache(maxsize=16384)
def _is_note(part: str) -> bool:
    """A part of a clause that is not a unit list: '列第一位者为牵头单位', '2024年底前完成',
    '完成时限：2022年底', a score '0.5分'."""
    p = _patterns()
    part = part.strip(" ，,；;。")
    # "A、B（列第一位者为牵头单位）" is a list (a note closes with a bracket: most parts hold none)
    outside = (_TRAILING_NOTE.sub("", part) or part) if "）" in part or ")" in part else part
    return bool(_holds(p["first_leads"], p["first_leads_firsts"], outside) or p["deadline"].fullmatch(part)
                or p["score"].match(part)
                # (a field label ends with 】 or a colon)
                or (("】" in part or "：" in part or ":" in part) and p["deadline_field"].match(part)))


def _notes_only(text: str) -> bool:
    """Text before a clause's first label holds only notes and other fields (or nothing)."""
    rest = _LEADING_LABELS.sub("", text)
    return all(_is_note(x) for x, *_ in split_units(rest, 0, _NOTE_SEPARATORS, names=False))


def _mark_leads(units: list[ParsedUnit]) -> list[ParsedUnit]:
    """'省科技厅（牵头）' in a list: the unit leads; its name is written without the mark."""
    marks = _patterns()["lead_marks"]
    for u in units:
        if not u.written.endswith(marks):
            continue
        for mark in marks:
            if u.written.endswith(mark) and len(u.written) > len(mark) + 1:
                u.written = u.written[: -len(mark)]
                u.end -= len(mark)
                u.role = "lead"
                break
    return units


def parse_parts(content: str, base: int, default_role: str | None,
                strict: bool = True) -> list[ParsedUnit] | None:
    """A list of units in parts separated by ，；, each part ending with a role verb or not:
    （A、B牵头，C配合） / A会同B负责 / 由A牵头，会同B组织实施. A part without a verb takes the
    role of the next part's verb, or `default_role` (the label's) when there is none; notes
    (time limits, scores, "列第一位者为牵头单位") are skipped. None unless every part names
    units (`strict`; a label's list keeps what it names unless it holds digits) and, with no
    default role, every unit gets a role from a verb."""
    p = _patterns()
    units: list[ParsedUnit] = []
    pending: list[ParsedUnit] = []  # units listed before the part that names their role
    for seg, s, _e, sep0 in split_units(content, base, _PART_SEPARATORS, names=False):
        if _is_note(seg):
            continue
        part_role = default_role
        label = p["label"].match(seg) if p["label_end"].search(seg) else None  # (a label holds a label end)
        if label and label_role(label.group(1)):
            # a labelled part among inline ones: "A、B按职责分工负责；牵头单位：A"
            part_role, seg, s = label_role(label.group(1)), seg[label.end() :], s + label.end()
        m = end_verb(seg)
        names = seg[: m.start()] if m else seg
        # "A会同B、C负责": A takes the verb's role, the units after 会同 take part
        joint = p["joint"].search(names) if m else None
        head, tail = (names[: joint.start()], names[joint.end() :]) if joint else (names, "")
        parts = split_units(head, s, _UNIT_SEPARATORS) if head.strip() else []
        tail_parts = split_units(tail, s + joint.end(), _UNIT_SEPARATORS) if joint else []
        if not strict and _DIGIT.search(head):
            # a label's list keeps what it names, but not a stray number ("2022年", "10家")
            parts = [x for x in parts if not _DIGIT.search(x[0]) or
                     (x[0].endswith(p["suffixes"]) and not p["measure"].search(x[0]))]
        if not parts and not tail_parts:
            if strict:
                return None
            continue
        if strict and not all(looks_like_unit(u) for u, *_ in parts + tail_parts):
            return None
        role = verb_role(m) if m else part_role
        if role is None:
            pending.extend(ParsedUnit(u, us, ue, "", sep if i else sep0) for i, (u, us, ue, sep) in enumerate(parts))
            continue
        if pending:  # the units listed before take this part's role
            for u in pending:
                u.role = role
            units.extend(pending)
            pending = []
        units.extend(ParsedUnit(u, us, ue, role, sep if i else sep0) for i, (u, us, ue, sep) in enumerate(parts))
        if m:
            units.extend(ParsedUnit(u, us, ue, "participant", sep if i else ("，" if parts else sep0))
                         for i, (u, us, ue, sep) in enumerate(tail_parts))
    if pending:
        if not units:
            return None
        # units after the verb parts with no verb of their own ("A牵头，B、C"): they take part
        for u in pending:
            u.role = "participant" if any(x.role == "lead" for x in units) else "responsible"
        units.extend(pending)
    return _mark_leads(units) or None


def _label_matches(content: str, bare: bool) -> list[re.Match[str]]:
    p = _patterns()
    if not bare:
        if not p["label_end"].search(content):
            return []
        return [m for m in _finditer_at(p["label"], p["label_at"], content) if label_role(m.group(1))]
    return [m for m in _finditer_at(p["label_bare"], p["label_bare_at"], content) if label_role(m.group(1))]


def parse_labelled(content: str, base: int, bare: bool = False) -> list[ParsedUnit] | None:
    """（牵头单位：A，参与单位：B、C） -> units with roles; None if no label opens the clause
    (notes and other fields such as 完成时限 may stand before, between and after the lists).
    `bare`: labels written without their colon (（牵头单位市科技局）), whose lists must name units."""
    labels = _label_matches(content, bare)
    if not labels or not _notes_only(content[: labels[0].start()]) or (bare and labels[0].start() > 0):
        return None
    units: list[ParsedUnit] = []
    for i, m in enumerate(labels):
        role = label_role(m.group(1)) or "responsible"
        end = labels[i + 1].start() if i + 1 < len(labels) else len(content)
        # another kind of label ends the list: "责任单位：A；完成时限：2022年底"
        other = _patterns()["other_label"].search(content, m.end(), end)
        if other:
            end = other.start()
        chunk = content[m.end() : end].rstrip(" ，,；;。\n")
        got = parse_parts(chunk, base + m.end(), role, strict=bare)
        if got is None:
            if bare:
                return None
            continue
        units.extend(got)
    return _mark_leads(units) or None


def parse_inline(content: str, base: int) -> list[ParsedUnit] | None:
    """（A、B牵头，C配合） / （A负责） / （A会同B负责） -> units with roles; None unless every part
    ends with a role verb (or lists units the next verb takes) and names units."""
    return parse_parts(content, base, None)


@lru_cache(maxsize=1)
def _same_role_conjunctions() -> frozenset[str]:
    return frozenset(clause_words()["same_role_conjunctions"])


def assign_roles(units: list[ParsedUnit], first_leads: bool = False) -> list[ParsedUnit]:
    """Resolve 'responsible' and 'shared' into lead / participant. `first_leads`: the clause or
    the document says the first listed unit leads ("列第一位者为牵头单位"). Units joined by 及
    ("市科技局及市人社局负责") name two bodies with one role: the second takes the first's."""
    conjunctions = _same_role_conjunctions()
    has_lead = any(u.role == "lead" for u in units)
    first = True
    previous: ParsedUnit | None = None
    previous_raw = ""  # the role the previous unit had before this resolution
    for u in units:
        joined = previous is not None and u.separator in conjunctions and u.role == previous_raw
        previous_raw = u.role
        if joined and previous is not None:
            u.role = previous.role
        elif u.role == "shared" and not first_leads:
            # every unit leads its own share, unless the clause names the lead ("A牵头，各部门按职责分工负责")
            u.role = "participant" if has_lead else "lead"
        elif u.role in ("responsible", "shared"):
            if has_lead:
                u.role = "participant"
            else:
                u.role = "lead" if first else "participant"
                u.lead_from_order = first
                first = False
        previous = u
    return _once(units)


_INLINE_LABEL = re.compile(r"\s*([\u4e00-\u9fff]{1,6})\s*[：:]\s*")


@lru_cache(maxsize=1)
def _inline_labels() -> frozenset[str]:
    return frozenset(clause_words()["inline_prefix_labels"])


def _bare_list(content: str, base: int) -> list[ParsedUnit] | None:
    """（市科技局、市财政局） closing a task: units with no label or verb, read as responsible
    units (the first leads). Only names of bodies count: "（清远市）", "（广州）" stay text."""
    p = _patterns()
    parts = split_units(content, base, p["separators"])
    if not parts or not all(looks_like_unit(u) and not _NOTES.sub("", u).endswith(p["places"])
                            for u, *_ in parts):
        return None
    return _mark_leads([ParsedUnit(u, s, e, "responsible", sep) for u, s, e, sep in parts])


_BY_SENTENCE = re.compile(r"(?:(?<=[。；;])|^)\s*由([^。；;（）()]{2,200}?)[。；;]?\s*$")


def _looks_like_clause(content: str) -> bool:
    """A bracket that means to be a clause: it holds a label, or ends with a role verb."""
    p = _patterns()
    return bool(_label_matches(content, False)) or bool(end_verb(content.rstrip("。；，"))
                                                        and not p["deadline"].search(content))


# a unit as parse_* return it, offsets relative to the text parsed: (written, start, end, role, separator)
_RelativeUnit = tuple[str, int, int, str, str]
_CACHED_LENGTH = 400  # longer texts are parsed each time (a cache of megabyte keys would only cost)


def _relative(units: list[ParsedUnit] | None) -> tuple[_RelativeUnit, ...] | None:
    return tuple((u.written, u.start, u.end, u.role, u.separator) for u in units) if units else None


def _placed(units: tuple[_RelativeUnit, ...], base: int) -> list[ParsedUnit]:
    return [ParsedUnit(w, s + base, e + base, role, sep) for w, s, e, role, sep in units]


# The common clauses, （牵头单位：A，配合单位：B、C） and （A牵头，B、C配合）, read by a short path
# (_plain_labelled, _plain_inline): lists of plain names (_plain_name) between the labels or before
# the verbs. They return what parse_labelled / parse_inline return for such a content, and
# _UNUSUAL where anything is unusual (a note, a bracket, a 会同, a part without a verb, a name that
# cleaning or splitting would change): the general parsers read those.
_UNUSUAL: Any = object()
# a plain name: no separator, colon, digit (a label's list drops names with digits) or space, and
# brackets only as a note of full-width ones holding no bracket, colon, digit or \0 (各县（市、区）
# 人民政府, 各镇（街道）), where 、 and ， split nothing
_NAME = r"(?:[^、，；。,;：:（）()【】\[\]〖〗〔〕\s\d/.\0]|（[^（）()【】\[\]〖〗〔〕：:\d\0]*）)+"
_PLAIN_NAME = re.compile(_NAME)
_PLAIN_NAMES = re.compile(rf"{_NAME}(?:、{_NAME})*")
# what split_units(names=False) would cut or strip: without them a text is one part, as written
_PART_MARK = re.compile(_one_of(_PART_SEPARATORS))
_PART_EDGE = " \t\n由。."
# what every match of the other-field pattern ("other_label") holds
_FIELD_MARK = re.compile("[：:【]")


@lru_cache(maxsize=16384)
def _plain_name(name: str, strict: bool) -> bool:
    """A list item that is a unit exactly as written: a _NAME, which cleaning keeps (no 由, generic
    tail, score, note or verb residue), 和/及 do not split, opens no collective and carries no lead
    mark, and, for `strict` lists (inline clauses), looks like a unit."""
    p = _patterns()
    if not _PLAIN_NAME.fullmatch(name) or _name_segment(name) != (0, name) or p["admin_open"].fullmatch(name) \
            or name.endswith(p["lead_marks"]):
        return False
    whole = (name, 0, len(name), "")
    if _CONJUNCTION_CHAR.search(name) and _split_conjunction(whole) != [whole]:
        return False
    return not strict or looks_like_unit(name)


def _plain_units(names: str, start: int, role: str, first_separator: str, strict: bool,
                 out: list[_RelativeUnit]) -> bool:
    """The units of a 、-list of plain names at `start` appended to `out` (False, and `out` partly
    filled, when a name is not plain)."""
    separator = first_separator
    if "（" not in names:  # the names are what lies between the 、
        at = start
        for name in names.split("、"):
            if not _plain_name(name, strict):
                return False
            end = at + len(name)
            out.append((name, at, end, role, separator))
            separator, at = "、", end + 1
        return True
    # a 、 may stand in a name's note: 各县（市、区）人民政府
    if not _PLAIN_NAMES.fullmatch(names):
        return False
    for m in _PLAIN_NAME.finditer(names):
        name, at = m.group(), m.start()
        if not _plain_name(name, strict):
            return False
        out.append((name, start + at, start + at + len(name), role, separator))
        separator = "、"
    return True


@lru_cache(maxsize=16384)
def _end_verb_of(item: str) -> tuple[int, str] | None:
    """(where in `item` it starts, its role) of the role verb end_verb finds at the end of a list's
    last item; None when none. (Cached: a list's last item recurs, as a name or as name and verb.)"""
    m = end_verb(item)
    return (m.start(), verb_role(m)) if m else None


def _plain_parts(text: str, base: int, role: str | None, strict: bool, out: list[_RelativeUnit]) -> bool:
    """parse_parts(text, base, role, strict)'s units appended to `out` when every part of `text` is
    a list of plain names, with a role verb after it when `role` is None (inline) and none after it
    otherwise (a label's list); False (and `out` partly filled) for any other text."""
    p = _patterns()
    if text and text[0] not in _PART_EDGE and text[-1] not in _PART_EDGE and not _PART_MARK.search(text):
        parts = [(text, base, base + len(text), "")]  # split_units(names=False) of a single part
    else:
        parts = split_units(text, base, _PART_SEPARATORS, names=False)
        if not parts:  # (parse_parts reads no units, and the general parsers say what that means)
            return False
    for seg, start, _end, separator in parts:
        if _is_note(seg):
            return False
        # (a label match holds a label end: a part without one starts with no label)
        label = p["label"].match(seg) if p["label_end"].search(seg) else None
        if label and label_role(label.group(1)):
            return False
        # end_verb(seg), read from its last item (a verb holds no 、, so it stands in that item)
        cut = 0 if p["verb_spans_items"] else seg.rfind("、") + 1
        verb = _end_verb_of(seg[cut:])
        if role is None:
            if verb is None:
                return False
            names, part_role = seg[: cut + verb[0]], verb[1]
            if p["joint"].search(names):
                return False
        elif verb is not None:
            return False
        else:
            names, part_role = seg, role
        if not _plain_units(names, start, part_role, separator, strict, out):
            return False
    return True


def _plain_labelled(content: str) -> tuple[_RelativeUnit, ...] | object:
    """parse_labelled(content, 0) of a content made of labels, each with lists of plain names
    (牵头单位：A、B；配合单位：C / 责任单位：A、B，C), as relative units; _UNUSUAL for any other."""
    labels = _label_matches(content, False)
    if not labels or labels[0].start():
        return _UNUSUAL
    out: list[_RelativeUnit] = []
    last = len(labels) - 1
    for i, m in enumerate(labels):
        chunk = content[m.end() : labels[i + 1].start() if i < last else len(content)].rstrip(" ，,；;。\n")
        # (a list with no colon and no 【 holds no other field that would end it: "；完成时限：…")
        if not chunk or _FIELD_MARK.search(chunk) \
                or not _plain_parts(chunk, m.end(), label_role(m.group(1)) or "responsible", False, out):
            return _UNUSUAL
    return tuple(out)


def _plain_inline(content: str) -> tuple[_RelativeUnit, ...] | object:
    """parse_inline(content, 0) of a content with no label whose parts are each a list of plain
    names and a role verb (A牵头，B、C配合 / A、B负责), as relative units; _UNUSUAL for any other."""
    # (its last part ends with a verb: most brackets that are no clause, （一）, （2018-2022年）, do not)
    if content.rstrip(" \t\n，；,;。.")[-1:] not in _patterns()["verb_last"] or _label_matches(content, False):
        return _UNUSUAL
    out: list[_RelativeUnit] = []
    if not _plain_parts(content, 0, None, True, out) or not out:
        return _UNUSUAL
    return tuple(out)


def _bracket_reading(content: str) -> tuple[str, tuple[_RelativeUnit, ...] | None, bool] | None:
    """What a bracket's content reads as, offsets relative to it: (form, units, looks like a
    clause) with units None when no labelled or inline reading fits; None for a bare label
    (【牵头单位】, which labels the text after it)."""
    # (no label word holds a colon: a content with one, as every labelled clause has, is no bare
    # label, and is not asked for one, whose cache its many different contents would only fill)
    if ("：" not in content and ":" not in content) and label_role(content):
        return None
    # (a label or a role verb the short paths read is a clue: they need no look for one)
    plain = _plain_labelled(content)
    if plain is not _UNUSUAL:
        return "labelled", plain, False
    plain = _plain_inline(content)
    if plain is not _UNUSUAL:
        return "inline", plain, False
    if _search_at(_patterns()["clue"], _patterns()["clue_at"], content) is None:
        return "", None, False  # no label and no role verb: a note such as （2018-2022年）, （一）
    return _parsed_reading(content)


def _parsed_reading(content: str) -> tuple[str, tuple[_RelativeUnit, ...] | None, bool]:
    """_bracket_reading of a content with a clue, by the general parsers."""
    units, form = parse_labelled(content, 0), "labelled"
    if units is None:
        units, form = parse_inline(content, 0), "inline"
    if units is None and (lab := _INLINE_LABEL.match(content)) and lab.group(1) in _inline_labels():
        # "（分工：市科技局牵头，市财政局配合）": a word and a colon before an inline clause
        units, form = parse_inline(content[lab.end() :], lab.end()), "inline"
    if units is None:
        units, form = parse_labelled(content, 0, bare=True), "labelled"
    if units is None:
        return "", None, _looks_like_clause(content)
    return form, _relative(units), False


# the same clauses recur in a plan and across plans: each content is read once per process
_cached_bracket_reading = lru_cache(maxsize=32768)(_bracket_reading)
_cached_bare_list = lru_cache(maxsize=8192)(lambda content: _relative(_bare_list(content, 0)))
_NOTHING_AFTER = re.compile(r"[ 。；;，,]*\Z")


def raw_clauses(text: str, base: int = 0, problems: list[int] | None = None,
                brackets: list[int] | None = None) -> list[tuple[int, int, str, list[ParsedUnit]]]:
    """The clauses of a paragraph with the roles as written (lead, participant, responsible,
    shared): (start, end, form, units), offsets normalised. `problems` collects the offsets
    of brackets that look like clauses but could not be read; `brackets`: the offsets of the
    paragraph's brackets, when the caller has them."""
    return [(s, e, form, _placed(*units) if type(units) is tuple else units)
            for s, e, form, units in _raw_clauses(text, base, problems, brackets)]


# a clause's units: ParsedUnits, or a bracket's reading as (relative units, where the content starts)
_ClauseUnits = list[ParsedUnit] | tuple[tuple[_RelativeUnit, ...], int]


def _raw_clauses(text: str, base: int = 0, problems: list[int] | None = None,
                 brackets: list[int] | None = None) -> list[tuple[int, int, str, _ClauseUnits]]:
    """raw_clauses, a bracket's units left as its (cached) reading and the content's offset: the
    task builder makes its mentions from them without ParsedUnits."""
    found: list[tuple[int, int, str, _ClauseUnits]] = []
    bracketed = bracket_groups(text, 0, brackets)
    for start, end in bracketed:
        closed = text[end - 1] in CLOSE_BRACKETS
        content = text[start + 1 : end - 1 if closed else end]
        short = len(content) <= _CACHED_LENGTH
        reading = _cached_bracket_reading(content) if short else _bracket_reading(content)
        if reading is None:  # 【牵头单位】 labels the text after it: read below
            continue
        form, units, looks = reading
        if units is None and closed and _NOTHING_AFTER.match(text, end) \
                and not any(w in text for w in clause_words()["not_task_words"]):
            units = _cached_bare_list(content) if short else _relative(_bare_list(content, 0))
            form = "responsible-list"
        if units:
            found.append((base + start, base + end, form, (units, base + start + 1)))
        elif problems is not None and looks:
            problems.append(base + start)
    if not found:
        by = _BY_SENTENCE.search(text) if "由" in text else None
        if by:
            # "…。由市科技局牵头，市财政局配合。" closing the paragraph, with no brackets
            units = parse_inline(by.group(1), base + by.start(1))
            if units:
                found.append((base + by.start(), base + by.end(1), "inline-bare", units))
                return found
        bare = _bare_sentence(text)
        if bare is not None:
            # "…。市科技局牵头，市财政局配合。" / "…。省财政厅、省税务局负责。" closing the paragraph
            start, end = bare
            units = parse_inline(text[start:end], base + start)
            if units and any(u.role != "participant" for u in units) \
                    and all(_names_a_body(u.written) for u in units):
                found.append((base + start, base + end, "inline-bare", units))
                return found
        # an unbracketed label: "…。牵头单位：A；配合单位：B" to the end of the paragraph
        m = None
        # (a label match holds a label end: without one, no scan for a label word)
        if _patterns()["label_end"].search(text) and \
                _search_at(_patterns()["label_word"], _patterns()["label_word_at"], text) is not None:
            groups = [(s, e) for s, e in bracketed if not label_role(text[s + 1 : e - 1])]
            m = next((x for x in _label_matches(text, False) if not any(s <= x.start() < e for s, e in groups)),
                     None)
        if m and (m.start() == 0 or text[m.start() - 1] in "。；;：:\n 】，,"):
            content = text[m.start() :]
            units = parse_labelled(content, base + m.start())
            if units:
                found.append((base + m.start(), base + len(text.rstrip("。")), "labelled-bare", units))
            elif problems is not None:
                problems.append(base + m.start())
    return found


_SENTENCE_ENDS = "。；;！？!?"
_CLOSING = " \t\n。；;"


def _bare_sentence(text: str) -> tuple[int, int] | None:
    """[start, end) of the paragraph's last sentence (its closing 。 left out) when it ends with a
    role verb: the one place a clause stands unmarked, "…。市科技局牵头，市财政局配合。"."""
    end = len(text.rstrip(_CLOSING))
    if end < 4 or end_verb(text[max(0, end - 24) : end]) is None:
        return None
    last = max(text.rfind(ch, 0, end) for ch in _SENTENCE_ENDS)
    start = last + 1
    while start < end and text[start] in _CLOSING:
        start += 1
    return (start, end) if end - start >= 4 else None


def _names_a_body(name: str) -> bool:
    """A unit of an unmarked clause names a public body, not whoever a sentence says may lead
    ("支持龙头企业牵头", "高校参与"): it ends as a body's name does, and it opens with a level or a
    collective word (市, 省, 各, 有关), a national one (国家) or a division's name, or else the
    resolver knows it (a department, government or park; not a name it only guesses at)."""
    if not _NOTES.sub("", name).endswith(_patterns()["suffixes"]):  # "各县（市、区）要" (…要落实) names none
        return False
    if name.startswith(_body_openings()):
        return True
    if any(gazetteer.lookup(name[:k]) for k in range(2, min(len(name) - 1, 10) + 1)):
        return True
    from policykg.extract.resolve import resolve_unit  # (the stage after this one: only for these few)

    unit = resolve_unit(name, "")
    return unit.kind in _BODY_KINDS and unit.rule != "unknown" and not unit.flagged


_BODY_KINDS = frozenset({"Department", "Government", "Organisation", "ParkCommittee", "Park"})


@lru_cache(maxsize=1)
def _body_openings() -> tuple[str, ...]:
    words = clause_words()
    return tuple(sorted({*words["admin_levels"], *words["collective_prefixes"], *words["national_openings"]},
                        key=len, reverse=True))


def find_clauses(text: str, base: int = 0, first_leads: bool = False) -> list[tuple[int, int, str, list[ParsedUnit]]]:
    """All responsibility clauses in a paragraph: (start, end, form, units with lead /
    participant roles), offsets normalised."""
    note = _patterns()["first_leads"]
    return [(s, e, form, assign_roles(units, first_leads or bool(note.search(text[s - base : e - base]))))
            for s, e, form, units in raw_clauses(text, base)]


def _cells(line: str) -> list[str] | None:
    """A table row's cells: tab-separated (.docx, .xlsx, TSV, HTML) or a Markdown row; None for prose."""
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t")]
    elif line.startswith("|") and line.count("|") >= 3:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    else:
        return None
    return cells if len(cells) >= 2 else None


_HEADER_NOTE = re.compile(r"[（(][^）)]*[）)]$")
_SPACES = re.compile(r"\s+")


def _header_name(cell: str) -> str:
    """A header cell as a name: no spaces, no note in brackets ("牵头单位（部门）" -> 牵头单位)."""
    name = _SPACES.sub("", cell)
    return _HEADER_NOTE.sub("", name) or name


_HEADER_JOINERS = set("及和与、/（(")


def _header_role(cell: str) -> str | None:
    """The role a header cell names: 牵头单位, or 牵头单位及责任人 (a label and more after 及)."""
    role = label_role(cell)
    if role:
        return role
    m = _patterns()["label_word"].match(cell)
    return label_role(m.group(0)) if m and cell[m.end() : m.end() + 1] in _HEADER_JOINERS else None


def _header_columns(cells: list[str]) -> dict[str, Any] | None:
    """Columns of a task table's header row, in any order and any subset: the title column
    (重点任务), the text column (任务内容), the unit columns with their roles (牵头单位, 配合单位),
    the number (序号) and deadline (完成时限) columns; None unless it names a task column and a
    unit column."""
    p = _patterns()
    names = [_header_name(c) for c in cells]
    unit_cols = {i: role for i, c in enumerate(names) if (role := _header_role(c))}

    def first(headers: set[str]) -> int | None:
        exact = next((i for i, c in enumerate(names) if c in headers or c.removesuffix("名称") in headers), None)
        if exact is not None:
            return exact
        # "重点任务及举措", "工作任务和要求": a task header with more words after 及/和
        return next((i for i, c in enumerate(names) if len(c) <= 10 and i not in unit_cols
                     and any(c.startswith(h) and c[len(h) : len(h) + 1] in _HEADER_JOINERS for h in headers)), None)

    title, text = first(p["title_header"]), first(p["text_header"])
    if text == title:
        text = None
    task = title if title is not None else text
    if not unit_cols or task is None:
        return None
    return {"units": unit_cols, "task": task, "title": title, "text": text, "n": len(cells),
            "number": first(p["number_header"]), "deadline": first(p["deadline_header"])}


def _is_header_cell(line: str) -> bool:
    p = _patterns()
    # a header name starts as the line does (after white space): most lines are ruled out by it
    if line.lstrip()[:1] not in p["header_first"]:
        return False
    c = _header_name(line)
    return bool(label_role(c)) or c in p["task_header"] or c in p["number_header"] or c in p["other_header"]


@dataclass(slots=True)
class TableRow:
    """One task of a task table, offsets in the normalised text."""

    number: str
    title: str
    start: int  # the row
    end: int
    units: list[ParsedUnit]
    text: tuple[int, int]  # the 任务内容 cell (or the task cell)
    deadline: str = ""  # the 完成时限 cell as written


def _row_units(header: dict[str, Any], cells: list[tuple[str, int]]) -> list[ParsedUnit]:
    """The units of a row's unit columns; a column's cell may itself be a clause ("市科技局牵头，
    市财政局配合") or carry notes."""
    units: list[ParsedUnit] = []
    for col, role in sorted(header["units"].items()):
        if col < len(cells) and cells[col][0]:
            text, start = cells[col]
            units.extend(parse_parts(text, start, role, strict=False) or [])
    return _mark_leads(units)


def _is_unit_list(cell: str) -> bool:
    parts = split_units(cell, 0, _patterns()["separators"])
    return bool(parts) and all(looks_like_unit(u) for u, *_ in parts)


def _make_row(header: dict[str, Any], number: str, cells: list[tuple[str, int]], start: int, end: int,
              carried: dict[int, tuple[str, int]]) -> TableRow | None:
    """A task from a row's cells. Cells a merged column left empty (重点任务, 牵头单位 written once
    for several rows) take the value of the row above (`carried`, updated here)."""
    task_cols = [c for c in (header["title"], header["text"]) if c is not None]
    if not any(cells[c][0] for c in task_cols if c < len(cells)):
        carried.clear()  # a row with no task (a section row of the table) ends what was merged
        return None
    for col in [*task_cols, *header["units"]]:
        if col < len(cells):
            if cells[col][0]:
                carried[col] = cells[col]
            elif col in carried:
                cells[col] = carried[col]
    units = _row_units(header, cells)
    title_col = header["title"] if header["title"] is not None and cells[header["title"]][0] else header["task"]
    if header["text"] is not None and not cells[title_col][0]:
        title_col = header["text"]
    title = heading_title(cells[title_col][0])
    if not units or not title:
        return None
    text_col = header["text"] if header["text"] is not None and cells[header["text"]][0] else title_col
    text, text_start = cells[text_col]
    deadline = cells[header["deadline"]][0] if header["deadline"] is not None and header["deadline"] < len(cells) \
        else ""
    return TableRow(number, title, start, end, units, (text_start, text_start + len(text)), deadline)


def _cell_table(lines: list[tuple[int, str]], i: int) -> tuple[list[TableRow], int] | None:
    """A task table printed one cell per line (PDF and web copies): header cells on lines of
    their own, then each row as its number and its cells. Returns (rows, next line index)."""
    j = i
    while j < len(lines) and _is_header_cell(lines[j][1]):
        j += 1
    header = _header_columns([x for _, x in lines[i:j]]) if j - i >= 3 else None
    if header is None:
        return None
    n, number_col = header["n"], header["number"]
    rows: list[TableRow] = []
    carried: dict[int, tuple[str, int]] = {}
    expected = 1
    while j < len(lines):
        if number_col is not None:
            if lines[j][1] != str(expected):
                break
            k = j + 1
            while k < len(lines) and lines[k][1] != str(expected + 1) and k - j < 3 * n:
                k += 1
            if k - j < 2:
                break
            if k >= len(lines) or k - j >= 3 * n:  # the last row: as many lines as it has cells
                k = min(len(lines), j + n)
            cell_lines = lines[j + 1 : k]
        else:
            k = min(len(lines), j + n)
            cell_lines = lines[j:k]
        number = str(expected)
        cols = [c for c in range(n) if c != number_col]
        cells: list[tuple[str, int]] = [("", 0)] * n
        if len(cell_lines) == len(cols):
            for c, (pos, text) in zip(cols, cell_lines):
                cells[c] = (text, pos)
        else:
            # cells lost or wrapped over lines: unit lists fill the unit columns in order, time
            # limits fill the deadline column, the rest is the task
            unit_lines = [x for x in cell_lines if _is_unit_list(x[1])]
            notes = [x for x in cell_lines if x not in unit_lines and _is_note(x[1])]
            task_lines = [x for x in cell_lines if x not in unit_lines and x not in notes]
            for c, (pos, text) in zip(sorted(header["units"]), unit_lines):
                cells[c] = (text, pos)
            if task_lines:
                cells[header["task"]] = ("".join(t for _, t in task_lines), task_lines[0][0])
            if notes and header["deadline"] is not None:
                cells[header["deadline"]] = (notes[0][1], notes[0][0])
        end = cell_lines[-1][0] + len(cell_lines[-1][1]) if cell_lines else lines[j][0]
        row = _make_row(header, number, cells, lines[j][0], end, carried) if cell_lines else None
        if row is not None:
            rows.append(row)
        expected += 1
        j = k
    return (rows, j) if rows else None


def _sub_header(lines: list[tuple[int, str]], i: int, header: dict[str, Any]) -> int:
    """A second header row under a merged 责任单位 cell ("" | 牵头 | 配合 | ""): the unit columns
    take its roles. Returns the index of the first data row."""
    while i < len(lines) and not lines[i][1].strip():
        i += 1
    cells = _cells(lines[i][1]) if i < len(lines) else None
    if not cells or not any(cells):
        return i
    roles = [label_role(_header_name(c)) for c in cells if c]
    if not all(roles):
        return i
    # the row's leading empty cells may be lost (a line's edge tabs are white space): the roles
    # stand under the merged cell, from the first unit column on
    first = min(header["units"])
    at = next(k for k, c in enumerate(cells) if c)
    for k, role in enumerate(roles, max(at, first)):
        header["units"][k] = role
    header["n"] = max(header["n"], max(header["units"]) + 1)
    return i + 1


def _section_row(lines: list[tuple[int, str]], i: int, header: dict[str, Any]) -> bool:
    """Line i inside a table is a row merged over every column (its cell lost its tab): a short
    line with no sentence end, followed by another row of the table."""
    line = lines[i][1].strip()
    if len(line) > 40 or "。" in line:
        return False
    for _pos, nxt in lines[i + 1 : i + 4]:
        if nxt.strip():
            cells = _cells(nxt)
            return cells is not None and len(cells) > max(header["units"]) and _header_columns(cells) is None
    return False


def find_table_tasks(text: str, first_leads: bool = False) -> list[TableRow]:
    """Task tables (任务分工表): a header row naming a task column and unit columns
    (牵头单位, 责任单位, 配合单位…), then one task per row; rows tab-separated (.docx, .xlsx,
    TSV, HTML), Markdown, or one cell per line. Offsets are normalised."""
    # the lines that may start a table (a cell, a Markdown row, a header cell): most plans have a
    # few or none, found by one scan of the text; the other lines are passed over in one step
    first_lines = _table_line_starts(text)
    if not first_lines:
        return []
    parts = text.split("\n")
    # (each line with where it starts: its length and its newline summed, in C)
    line_starts = list(accumulate(map((1).__add__, map(len, parts)), initial=0))
    lines: list[tuple[int, str]] = list(zip(line_starts, parts))
    candidates = [bisect_right(line_starts, at) - 1 for at in first_lines]
    found: list[TableRow] = []
    tables = 0

    def add(table: list[TableRow]) -> None:
        nonlocal tables
        tables += 1
        for row in table:
            row.number = row.number if tables == 1 else f"{tables}.{row.number}"
            row.units = assign_roles(row.units, first_leads)
            found.append(row)

    header_first = _patterns()["header_first"]
    stripped: list[tuple[int, str]] = []  # the non-empty lines, stripped (made at the first header cell)
    stripped_at: list[int] = []  # for each line, the index of the first of those at or after it
    i = 0
    while i < len(lines):
        start, line = lines[i]
        if "\t" not in line and line[:1] != "|" and line.lstrip()[:1] not in header_first:
            # no cells and no header cell (_cells, _is_header_cell): most lines of a plan; on to
            # the next line that may be one
            k = bisect_left(candidates, i + 1)
            i = candidates[k] if k < len(candidates) else len(lines)
            continue
        cells = _cells(line)
        header = _header_columns(cells) if cells else None
        if header is not None:
            rows: list[TableRow] = []
            lettered: dict[str, int] = {}  # rows numbered base + one letter (1b, 1c), by base
            carried: dict[int, tuple[str, int]] = {}
            i += 1
            i = _sub_header(lines, i, header)
            while i < len(lines):
                row_start, row = lines[i]
                if not row.strip():  # blank lines between rows (HTML <tr> on lines of their own)
                    i += 1
                    continue
                if (cells := _cells(row)) is None and _section_row(lines, i, header):
                    i += 1  # a row merged over every column ("一、创新平台建设"): no task
                    carried.clear()
                    continue
                if cells is None or _header_columns(cells) is not None:
                    break  # prose, or the header of the next table
                i += 1
                if all(re.fullmatch(r":?-{2,}:?|", c) for c in cells):
                    continue  # Markdown rule under the header
                if len(cells) < header["n"] and header["number"] == 0 and not re.fullmatch(r"\d{1,4}", cells[0]):
                    cells = ["", *cells]  # an empty 序号 cell lost with the line's leading tab
                number = cells[header["number"]] if header["number"] is not None and header["number"] < len(cells) \
                    else ""
                if number.strip() and not re.fullmatch(r"\d{1,4}", number):
                    number = str(len(rows) + 1)  # numbered otherwise (一, （二）, ★): the row's place
                elif header["number"] is None:
                    number = str(len(rows) + 1)
                elif not number.strip():
                    # a row with no number of its own continues the numbered row above: 1b, 1c
                    base = re.sub(r"[a-z]+$", "", rows[-1].number) if rows else ""
                    later = lettered.get(base, 0)
                    number = f"{base}{chr(ord('b') + later)}" if base and later < 25 else str(len(rows) + 1)
                # cell offsets inside the line: find each cell's text from the left
                cursor, spans = 0, []
                for c in cells:
                    k = row.find(c, cursor) if c else cursor
                    spans.append((c, row_start + k))
                    cursor = k + len(c)
                spans.extend([("", row_start + len(row))] * (header["n"] - len(spans)))
                got = _make_row(header, number, spans, row_start, row_start + len(row), carried)
                if got is not None:
                    rows.append(got)
                    if got.number[-1:].isascii() and got.number[-1:].islower():
                        lettered[got.number[:-1]] = lettered.get(got.number[:-1], 0) + 1
            if rows:
                add(rows)
            continue
        if cells is None and _is_header_cell(line):
            if not stripped_at:  # once per document, not once per header cell (linear)
                for p, x in lines:
                    stripped_at.append(len(stripped))
                    if x.strip():
                        stripped.append((p + len(x) - len(x.lstrip()), x.strip()))
            first = stripped_at[i]
            got_table = _cell_table(stripped, first)
            if got_table is not None:
                table, used = got_table
                add(table)
                # (a stripped line starts where its text does: the line holding it is the last used)
                last = stripped[used - 1][0] if used > first else start
                while i < len(lines) and lines[i][0] <= last:
                    i += 1
                continue
        i += 1
    return found


def _table_line_starts(text: str) -> list[int]:
    """Where the lines find_table_tasks reads start, in order: a line holding a tab, opening with
    "|", or whose first character after white space may open a header cell (white space as
    str.lstrip's: the regex's \\s and str.isspace agree). Found from the tabs (str.find) and the
    newlines (a pattern that opens with one is searched for at C speed)."""
    starts: set[int] = set()
    tab = text.find("\t")
    while tab >= 0:
        line_start = text.rfind("\n", 0, tab) + 1
        starts.add(line_start)
        line_end = text.find("\n", tab)
        tab = text.find("\t", line_end) if line_end >= 0 else -1
    first_line, later_lines = _table_line_heads()
    if first_line.match(text):
        starts.add(0)
    starts.update(m.start() + 1 for m in later_lines.finditer(text))
    return sorted(starts)


@lru_cache(maxsize=1)
def _table_line_heads() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A line's head that may open a table row or a header cell: at the text's start, after a newline."""
    head = r"(?:\||[^\S\n]*" + _one_of(_patterns()["header_first"]) + ")"
    return re.compile(head), re.compile("\n" + head)


@lru_cache(maxsize=4096)
def _without_clauses(title: str) -> str:
    """A title with any clause it carries cut out: "搭建转化平台（市科技局牵头）" -> "搭建转化平台".
    (Cached: a title is read once per clause of its item, and the same titles recur.)"""
    for s, e, _form, _units in reversed(raw_clauses(title)):
        title = title[:s] + title[e:]
    return title.strip().rstrip("：:，,。")


@dataclass(slots=True)
class _Para:
    """A paragraph of the outline with the clauses it carries (raw roles)."""

    section: Section
    start: int
    end: int
    clauses: list[tuple[int, int, str, _ClauseUnits]]
    field: tuple[int, int] | None = None  # a field line after the clause ("时间节点：年内")

    @property
    def clause_only(self) -> bool:
        """The paragraph is nothing but its clause(s): "责任单位：区科技局" on a line of its own."""
        return bool(self.clauses) and not self.section.marker and self.clauses[0][0] == self.start \
            and self.clauses[-1][1] >= self.end - 1

    @property
    def label_line(self) -> bool:
        return self.clause_only and len(self.clauses) == 1 and self.clauses[0][2] == "labelled-bare"


def _paragraphs(doc: PolicyDocument, problems: list[int]) -> list[_Para | Section]:
    """The outline's paragraphs with their clauses; label lines that follow each other
    ("牵头单位：A" / "配合单位：B") make one clause, and a field line after them
    ("完成时限：2022年底") belongs to it. A paragraph without a clause is its Section (most are)."""
    paras: list[_Para | Section] = []
    field = _patterns()["deadline_field"]
    # what every paragraph with a clause holds: a bracket or 由 (由A牵头), found by a scan of one
    # character class, else a label word (a slower scan, tried only without the former)
    label_word, label_word_at = _patterns()["label_word"], _patterns()["label_word_at"]
    text = doc.text
    # the document's brackets and 由, found once (str.find), then looked up for each paragraph
    bracket_at, by_at = _positions(text, _BRACKET_CHARS), _positions(text, "由")
    n_by = len(by_at)
    # and what ends a label (：:】为): without one, a paragraph's label word makes no clause
    label_end_at = _positions(text, _LABEL_END_CHARS)
    n_label_end = len(label_end_at)
    verb_last = _patterns()["verb_last"]
    prev: _Para | None = None  # the last paragraph in `paras` when it has clauses
    for section in doc.sections:
        start, end = section.text_range
        lo = bisect_left(bracket_at, start)
        hi = bisect_left(bracket_at, end, lo)
        # most paragraphs hold no clause: one look tells (raw_clauses would find none)
        has_clue = lo < hi
        if not has_clue:
            k = bisect_left(by_at, start)
            has_clue = k < n_by and by_at[k] < end
        if not has_clue:  # an unmarked clause: a role verb ends the paragraph
            if end > start and text[end - 1] not in _CLOSING:
                # (nothing to strip: no verb unless the last character may end one)
                has_clue = text[end - 1] in verb_last and end_verb(text[max(start, end - 30) : end]) is not None
            else:
                has_clue = end_verb(text[max(start, end - 30) : end].rstrip(_CLOSING)) is not None
        if not has_clue:
            j = bisect_left(label_end_at, start)
            # (with at most 6 closing characters the look at the end above sees what _bare_sentence
            # sees: a label word without a label end then leaves raw_clauses nothing to find)
            if (j < n_label_end and label_end_at[j] < end) or not _ends_within(text, start, end):
                has_clue = _search_at(label_word, label_word_at, text, start, end) is not None
        clauses = _raw_clauses(text[start:end], start, problems, [i - start for i in bracket_at[lo:hi]]) \
            if has_clue else None
        if not clauses:
            if prev is not None and not section.marker and prev.clause_only and field.match(text, start):
                prev.field = (start, end)
                continue
            prev = None
            paras.append(section)
            continue
        para = _Para(section, start, end, clauses)
        if prev is not None and para.label_line and prev.label_line:
            (s, _e, form, units), = prev.clauses
            more = para.clauses[0][3]
            assert isinstance(units, list) and isinstance(more, list)  # (label lines: parse_labelled's)
            prev.clauses = [(s, para.clauses[0][1], form, units + more)]
            prev.end = para.end
            continue
        prev = para
        paras.append(para)
    return paras


def _ends_within(text: str, start: int, end: int) -> bool:
    """text[start:end] ends with at most 6 of the closing characters (" \t\n。；;")."""
    return end - start <= 6 or bool(text[end - 7 : end].rstrip(_CLOSING))


def _plan_year(doc: PolicyDocument) -> int | None:
    """The year "年内" and "6月底" mean: the plan's own, when it covers one year."""
    period = doc.meta.period
    if period:
        return period[0] if period[0] == period[1] else None
    years = set(_TITLE_YEAR.findall(doc.meta.title or ""))  # "2024年工作要点": one year named
    return int(years.pop()) if len(years) == 1 else None


_TITLE_END = re.compile(r"[。！？；]")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_LEADING_PUNCT = "，,。；;、：: \n\t）)】"


def _item_extents(doc: PolicyDocument) -> dict[str, tuple[int, int]]:
    """[start, end) of every numbered item with the unnumbered paragraphs that continue it."""
    extents: dict[str, tuple[int, int]] = {}
    for section in doc.sections:
        key = section.path if section.marker else section.parent
        if key is None:
            continue
        s, e = section.text_range
        old = extents.get(key)
        extents[key] = (min(old[0], s), max(old[1], e)) if old else (s, e)
    return extents


def extract_tasks(doc: PolicyDocument) -> PolicyDocument:
    """Fill doc.tasks from the outline: every paragraph clause becomes (part of) a task."""
    by_path = {s.path: s for s in doc.sections}
    p = _patterns()
    first_leads = _holds(p["first_leads"], p["first_leads_firsts"], doc.text)
    problems: list[int] = []
    # (path, title, task paragraph start, clause, own section, is a child of a heading-only item,
    #  where the task's text starts when no clause of the item comes before, a field line after it)
    raw: list[tuple[str, str, int, tuple[int, int, str, list[ParsedUnit]], Section, bool, int,
                    tuple[int, int] | None]] = []
    n_children: dict[str, int] = {}
    # the paragraph before: (path, title, task paragraph start, is a child, text start) when it had
    # a clause; else (paragraph, its number under a heading-only item), read only when a clause
    # line after it asks (most paragraphs hold no clause, and no clause line follows them)
    previous: tuple[str, str, int, bool, int] | None = None
    before: tuple[Section, int] | None = None
    doc_text = doc.text
    for para in _paragraphs(doc, problems):
        if type(para) is Section:  # a paragraph without a clause
            n = 0
            if not para.marker and para.parent:
                parent = by_path.get(para.parent)
                if parent is not None and parent.heading_only:
                    n = n_children[parent.path] = n_children.get(parent.path, 0) + 1
            previous, before = None, (para, n)
            continue
        assert isinstance(para, _Para)
        section = para.section
        text = doc_text[para.start : para.end]
        if para.clause_only and (previous is not None or before is not None):
            # a paragraph that is just the clause belongs to the paragraph before it
            if previous is not None:
                path, title, task_start, child, text_from = previous
            else:
                assert before is not None
                before_start, before_end = before[0].text_range
                before_text = doc_text[before_start:before_end]
                path, title, task_start, child, text_from = _identity(before[0], before_start, before[1], before_text,
                                                                      by_path)
                title = _task_title(title, before_text)
        else:
            n = 0
            if not section.marker and section.parent:
                parent = by_path.get(section.parent)
                if parent is not None and parent.heading_only:
                    n = n_children[parent.path] = n_children.get(parent.path, 0) + 1
            path, title, task_start, child, text_from = _identity(section, para.start, n, text, by_path)
        title = _task_title(title, text)
        for i, clause in enumerate(para.clauses):
            field = para.field if i == len(para.clauses) - 1 else None
            raw.append((path, title, task_start, clause, section, child, text_from, field))
        previous, before = (path, title, task_start, child, text_from), None
    _warn_unread(doc, problems)

    # a heading-only item with ONE clause-bearing paragraph is itself the task ("7.优化…。")
    child_paths: dict[str, set[str]] = {}
    for path, _t, _s, _c, _section, child, _f, _field in raw:
        if child:
            child_paths.setdefault(path.rsplit(".", 1)[0], set()).add(path)
    lifted = {paths.pop(): by_path[parent] for parent, paths in child_paths.items() if len(paths) == 1}

    counts: dict[str, int] = {}
    for path, *_ in raw:
        counts[path] = counts.get(path, 0) + 1
    last_clause = {path: i for i, (path, *_rest) in enumerate(raw)}
    extents: dict[str, tuple[int, int]] | None = None  # made when a clause closes an item's heading
    plan_year = _plan_year(doc)
    seen: dict[str, int] = {}
    covered: dict[str, int] = {}  # path -> end of its previous clause
    tasks: list[Task] = []
    for k, (path, title, task_start, clause_read, section, _child, text_from, field) in enumerate(raw):
        c_start, c_end, form, units = clause_read
        final_path, final_title = path, title
        if path in lifted:
            final_path, final_title = lifted[path].path, _without_clauses(lifted[path].title)
        n = seen.get(path, 0)
        seen[path] = n + 1
        if counts[path] > 1:
            final_path = f"{final_path}{chr(ord('a') + n)}" if n < 26 else f"{final_path}_{n + 1}"
        # the text a clause covers: since the previous clause of its item, or the item heading
        t_start = covered.get(path, text_from)
        while t_start < c_start and doc_text[t_start] in _LEADING_PUNCT:
            t_start += 1
        t_end = c_end
        if last_clause[path] == k and section.marker and c_end >= section.text_range[1] - 1 \
                and not _TITLE_END.search(doc_text, t_start, c_start):
            # the clause closes the item heading ("（一）搭建平台（市科技局牵头）"): the body after it
            if extents is None:
                extents = _item_extents(doc)
            t_end = max(c_end, extents.get(section.path, (0, c_end))[1])
        if n and t_start < c_start:
            own = _without_clauses(heading_title(doc_text[t_start:c_start]))
            final_title = own or final_title
        covered[path] = c_end
        # (a note in the clause is a note in the document: first_leads already says so; and each raw
        # clause's units are its own objects, resolved in place)
        if type(units) is tuple:  # a bracket's reading: its roles assigned once per process
            reading, content_start = units
            assigned = _assigned(reading, first_leads)
            mentions = _reading_mentions(doc, assigned, content_start)
        else:
            units = assign_roles(units, first_leads)
            mentions = _mentions(doc, units)
        p_start, p_end = task_start, max(section.text_range[1], c_end)
        if counts[path] > 1:
            # several clauses in one item: each task's paragraph is the text its clause covers
            # (not the whole paragraph once per clause: a megabyte paragraph holds thousands)
            p_start, p_end = t_start, (max(t_end, section.text_range[1]) if last_clause[path] == k else t_end)
        clause = Clause(doc.span(c_start, c_end), form, mentions)
        # (the texts are read only where a cheap look finds a character a deadline starts with)
        deadline = None
        if may_hold_deadline(doc_text, c_start, c_end):
            unit_spans = [(s + content_start, e + content_start) for _w, s, e, *_rest in assigned] \
                if type(units) is tuple else [(u.start, u.end) for u in units]
            deadline = read_deadline(_clause_notes(doc_text[c_start:c_end], unit_spans, c_start), plan_year)
        if deadline is None and field:
            deadline = read_deadline(doc_text[field[0] : field[1]], plan_year)
        if deadline is None and may_hold_deadline(doc_text, t_start, t_end, running_text=True):
            deadline = read_deadline(doc_text[t_start:t_end], plan_year, running_text=True)
        # (Task's fields in order: path, title, span, clause, section_path, title_original, text_range,
        # text_span, deadline, deadline_text)
        tasks.append(Task(final_path, final_title, doc.span(p_start, p_end), clause, section.path,
                          _display_title(doc, p_start, p_end, final_title), (p_start, p_end),
                          doc.span(t_start, t_end), deadline[0] if deadline else "",
                          deadline[1] if deadline else ""))
    tasks.extend(_table_tasks(doc, first_leads))
    doc.tasks = tasks
    return doc


def _identity(section: Section, start: int, n: int, text: str,
              by_path: dict[str, Section]) -> tuple[str, str, int, bool, int]:
    """(path, title, task paragraph start, is a child of a heading-only item, where its text starts)
    of a paragraph (its section, where it starts) that is no clause line; `n`: its number under a
    heading-only item, `text` its text."""
    parent = by_path.get(section.parent) if section.parent else None
    child = False
    if section.marker:  # a numbered item
        path, title, task_start = section.path, section.title, start
    elif parent is not None and parent.heading_only:
        # unnumbered task paragraphs under a heading with no body: …2.1, …2.2
        path, title, task_start, child = f"{parent.path}.{n}", heading_title(text), start, True
    elif parent is not None:
        path, title, task_start = parent.path, parent.title, start  # continuation of the item
    else:
        path, title, task_start = section.path, heading_title(text), start
    # a continuation paragraph's text runs from the item's heading
    text_from = parent.text_range[0] if parent is not None and path == parent.path else task_start
    return path, title, task_start, child, text_from


def _mentions(doc: PolicyDocument, units: list[ParsedUnit]) -> list[UnitMention]:
    """The clause's units as mentions: role lead or participant, span and the name as written in
    the original text."""
    out = []
    offsets, original = doc.offsets, doc.original
    for u in units:
        # doc.span(u.start, u.end), inline (a span for every unit)
        start = offsets[u.start]
        end = offsets[u.end - 1] + 1 if u.end > u.start else start
        quote = original[start:end]
        out.append(UnitMention(u.written, "lead" if u.role == "lead" else "participant", _span(start, end, quote),
                               quote, None, u.separator, u.lead_from_order))
    return out


_LEAD_OR_PARTICIPANT = frozenset({"lead", "participant"})
# a unit of a bracket's reading with its role assigned: (written, start, end, role lead | participant,
# separator, lead from order), offsets relative to the content
_AssignedUnit = tuple[str, int, int, str, str, bool]


@lru_cache(maxsize=32768)
def _assigned(reading: tuple[_RelativeUnit, ...], first_leads: bool) -> tuple[_AssignedUnit, ...]:
    """assign_roles of a bracket's reading, on its tuples (the same readings recur: each is assigned
    once): the same roles, lead-from-order marks and units named twice made one."""
    if _LEAD_OR_PARTICIPANT.issuperset([u[3] for u in reading]) and len({u[0] for u in reading}) == len(reading):
        # (most readings: every role as written is lead or participant, no unit named twice; then
        # every unit keeps its role, a 及-joined one its neighbour's, which is its own, none leads
        # from order)
        return tuple([(w, s, e, role, sep, False) for w, s, e, role, sep in reading])
    conjunctions = _same_role_conjunctions()
    has_lead = any(u[3] == "lead" for u in reading)
    first = True
    previous_role = previous_raw = ""  # the previous unit's role after and before its resolution
    out: list[list[Any]] = []
    for written, start, end, role, separator in reading:
        joined = bool(out) and separator in conjunctions and role == previous_raw
        previous_raw = role
        lead_from_order = False
        if joined:
            role = previous_role
        elif role == "shared" and not first_leads:
            role = "participant" if has_lead else "lead"
        elif role in ("responsible", "shared"):
            if has_lead:
                role = "participant"
            else:
                role, lead_from_order = ("lead" if first else "participant"), first
                first = False
        previous_role = role
        out.append([written, start, end, role, separator, lead_from_order])
    if len({u[0] for u in out}) < len(out):  # _once: a unit named twice leads if either mention leads
        once: dict[str, list[Any]] = {}
        for u in out:
            seen = once.get(u[0])
            if seen is None:
                once[u[0]] = u
            elif u[3] == "lead":
                seen[3] = "lead"
        out = list(once.values())
    return tuple((w, s, e, "lead" if role == "lead" else "participant", sep, lfo) for w, s, e, role, sep, lfo in out)


def _reading_mentions(doc: PolicyDocument, units: tuple[_AssignedUnit, ...], base: int,
                      _new: Any = object.__new__) -> list[UnitMention]:
    """_mentions of a reading's assigned units, whose content starts at `base`. (Each mention's
    fields set one by one, as UnitMention(...) sets them, without its __init__ frame: a mention is
    made for every unit of every clause; a test checks that every field is set.)"""
    out = []
    offsets, original = doc.offsets, doc.original
    for written, s, e, role, separator, lead_from_order in units:
        start = offsets[s + base]
        end = offsets[e + base - 1] + 1 if e > s else start
        quote = original[start:end]
        mention = _new(UnitMention)
        mention.written = written
        mention.role = role
        mention.span = _span(start, end, quote)
        mention.written_original = quote
        mention.resolved = None
        mention.separator = separator
        mention.lead_from_order = lead_from_order
        out.append(mention)
    return out


def _task_title(title: str, text: str) -> str:
    """A task's title without the clauses it carries: the heading's, else its paragraph's first sentence."""
    return _without_clauses(title) or _without_clauses(heading_title(text)) or title


def _once(units: list[ParsedUnit]) -> list[ParsedUnit]:
    """A unit named twice in one clause ("A、B按职责分工负责，A牵头") is one unit, leading if
    either mention leads."""
    first: dict[str, ParsedUnit] = {}
    out: list[ParsedUnit] = []
    for u in units:
        seen = first.get(u.written)
        if seen is None:
            first[u.written] = u
            out.append(u)
        elif u.role == "lead":
            seen.role = "lead"
    return out


def _clause_notes(clause: str, units: list[tuple[int, int]], base: int) -> str:
    """A clause's text without its unit names (a unit may carry digits: 502所); `units`: their
    [start, end) in the text."""
    out, pos = [], 0
    for start, end in sorted(units):
        start, end = start - base, end - base
        if start > pos:
            out.append(clause[pos:start])
        if end > pos:
            pos = end
    out.append(clause[pos:])
    return "".join(out)


_MAX_WARNINGS = 20


def _warn_unread(doc: PolicyDocument, problems: list[int]) -> None:
    """One warning per clause that could not be read, naming its line in the original."""
    if not problems:
        return
    line_starts = [0]
    line_starts.extend(i + 1 for i, ch in enumerate(doc.original) if ch == "\n")
    for offset in problems[:_MAX_WARNINGS]:
        o = doc.offsets[offset]
        line = bisect_right(line_starts, o)
        snippet = " ".join(doc.original[o : o + 40].split("\n", 1)[0].split())
        doc.warn(f"line {line}: a responsibility clause could not be read: {snippet}")
    if len(problems) > _MAX_WARNINGS:
        doc.warn(f"{len(problems) - _MAX_WARNINGS} more clauses could not be read")


def _table_tasks(doc: PolicyDocument, first_leads: bool = False) -> list[Task]:
    """Tasks from 任务分工表 rows; paths 表.<序号>."""
    tasks = []
    plan_year = _plan_year(doc)
    for row in find_table_tasks(doc.text, first_leads):
        mentions = _mentions(doc, row.units)
        span = doc.span(row.start, row.end)
        deadline = read_deadline(row.deadline, plan_year) if row.deadline else None
        tasks.append(Task(path=f"表.{row.number}", title=row.title, span=span, clause=Clause(span, "table", mentions),
                          section_path="表", title_original=_display_title(doc, row.start, row.end, row.title),
                          text_range=(row.start, row.end), text_span=doc.span(*row.text),
                          deadline=deadline[0] if deadline else "",
                          deadline_text=deadline[1] if deadline else row.deadline))
    return tasks


def _display_title(doc: PolicyDocument, start: int, end: int, title: str) -> str:
    """The title as the document writes it (Traditional kept), for display."""
    if not doc.display:
        return title
    i = doc.text.find(title, start, end) if title else -1
    return doc.display[i : i + len(title)] if i >= 0 else title
