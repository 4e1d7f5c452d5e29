"""Quantitative targets: indicator tables and targets stated in the text.

Two readers over the normalised text (`PolicyDocument.text`):

* `find_table_targets` reads yearly indicator tables however the text flattened them: one cell
  per line, a whole row on one line, TSV (HTML/.docx tables), Markdown, a label broken over lines;
  a header of years ("主要指标 2018年 2019年 …", optionally 序号 / 类别 / 单位 / 属性 / 牵头单位
  columns) says what each value cell is; row markers (①, ⑴, （1）, 一、) and category rows are not
  labels; cells may carry comparators, ranges and qualifiers (≥2.8, 2-3, 500以上, 〔3000〕). A table
  with years as rows ("年份 高新技术企业（家） …" / "2023年 500 …") is read too.
* `find_text_targets` reads sentences such as "到2022年，高新技术企业数量超380家",
  "2018年，建成广东省实验室1家", "保底100家，力争130家", "形成1—2个…产业集群", "算力规模超过300
  EFLOPS", "建成两个国家级平台": a number (or a Chinese-numeral count after its verb) with a unit,
  the indicator before it (or after it, "建成1家省技术创新中心"), the qualifiers around it (达到,
  超, 以上, 力争, 累计 …), and the year from the sentence, the paragraph, the goals sentence of its
  block ("力争到2027年，…。" then numbered items), the heading ("二、到2020年的主要任务"), a period
  name (“十四五”期间 -> 2025), a task-table row's deadline, or the plan's end year; in an annual plan
  "年底前/年内" mean the plan's year. A quota "每年…" has recurrence "annual" and no year. Years
  and numbers inside a cited document's title (《…（2018-2022年）》) are never taken. Baselines
  (（现有1家）, sections on 发展基础), subsidy rates and ceilings (按…30%的比例给予奖补, 最高500万元)
  and numbers that are part of a name (第3届, 1+N, 5G, “3个100”) are not targets.

Every look-up around a number is bounded or by bisection, so both readers are linear in the
length of a line and of a document. Both return `RawTarget`s with offsets into the text they read;
`extract_targets` maps them to the original text with `doc.span`, canonicalises indicators
(resources/indicators.json), drops text targets that repeat an earlier text target, and attaches
the task whose paragraph holds the target. The vocabulary (units, magnitudes, qualifier words,
parameter and name markers) is in resources/target_units.json.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from .model import PolicyDocument, Span, Target

RESOURCES = Path(__file__).resolve().parent / "resources"

# --- vocabulary -------------------------------------------------------------------------------


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass
class Vocabulary:
    raw: dict[str, Any]
    magnitudes: dict[str, float]
    count_units: set[str]
    currency_units: set[str]
    number_unit: re.Pattern[str]
    qual_before: dict[str, str]
    qual_after: dict[str, str]
    qual_after_re: re.Pattern[str]
    indicators: list[dict[str, Any]]
    alias_index: dict[str, str]
    patterns: list[tuple[re.Pattern[str], str]]
    chinese_amount: re.Pattern[str]
    parameter_patterns: list[re.Pattern[str]]
    plan_year: re.Pattern[str]
    cell: re.Pattern[str]
    value_cell: re.Pattern[str]
    bare_value: re.Pattern[str]
    verb_endings: tuple[str, ...] = ()
    # word lists as tuples and memoised look-ups, built once (the readers ask at every line and number)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def words(self, key: str) -> tuple[str, ...]:
        got = self.memo.get(key)
        if got is None:
            got = self.memo[key] = tuple(self.raw.get(key, []))
        return got


@lru_cache(maxsize=64)
def _word_set(key: str) -> frozenset[str]:
    """A vocabulary list as a set, built once (the table reader asks at every token)."""
    return frozenset(vocabulary().raw.get(key, []))


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = json.loads((RESOURCES / "target_units.json").read_text(encoding="utf-8"))
    ind = json.loads((RESOURCES / "indicators.json").read_text(encoding="utf-8"))
    mags = raw["magnitudes"]
    units = raw["count_units"] + raw["measure_units"]
    # permissive here, checked against _STRICT_NUMBER after: "1.2.3家" is warned, not misread
    number = r"\d(?:(?:[\d.,]|[Oo](?=\d))*\d)?"
    # the look-behind after the first digit, not before it: a pattern that starts with a character
    # class is searched for at C speed (re skips to the next digit), one that starts with a
    # look-behind is tried at every character (4x slower on Chinese text)
    # what can follow a number: a space, a range, a unit or a magnitude. Implied by the pattern, but
    # written as a look-ahead it rejects "2025年" (and each shorter number re backtracks to) at once
    # instead of after trying every unit
    unit_starts = "".join(re.escape(c) for c in sorted({w[0] for w in [*units, *mags]}))
    number_unit = re.compile(
        rf"(?P<value>\d(?<![\d.A-Za-z]\d){number[2:]})(?=[\s%—–\-~～－至到{unit_starts}])"
        # a range, the unit written once or on both ends ("1—2家", "5%—8%", "2到3个")
        rf"(?:\s*(?:%\s*)?(?:[—–\-~～－]{{1,2}}|至|到)\s*(?P<value_max>{number})(?=[\s{unit_starts}]))?"
        rf"\s*(?P<unit>(?:{_alternation(list(mags))})?(?:{_alternation(units)})"
        # a bare magnitude ("突破1万，") at the end of a clause
        rf"|(?:{_alternation(list(mags))})(?=[，,。；;、）)\s]|$))"
    )
    qual_after = raw["qualifiers_after"]
    # "两个", "十家": a Chinese numeral and a count unit (not inside a longer numeral or 第…)
    numerals = "零〇一二两三四五六七八九十百千"
    chinese_amount = re.compile(rf"(?P<cn>[{numerals}](?<![第{numerals}万亿][{numerals}])[{numerals}]{{0,5}})"
                                rf"(?P<unit>{_alternation(raw['count_units'])})")
    alias_index: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    vocab = Vocabulary(raw, mags, set(raw["count_units"]), set(raw["currency_units"]), number_unit,
                       raw["qualifiers_before"], qual_after,
                       re.compile(_alternation(list(qual_after))), ind["indicators"], alias_index,
                       patterns, chinese_amount, [re.compile(p) for p in raw["parameter_patterns"]],
                       _not_after(raw["plan_year_words"], r"\d〇零一二两三四五六七八九十明去前后"),
                       *_cell_patterns(raw),
                       re.compile(rf"(?:{_alternation(raw['bare_value_qualifiers'])})\s*(?P<value>\d+(?:\.\d+)?)"
                                  rf"(?=(?:{_alternation(list(qual_after))})?(?:[，,。；;、）)\n]|$))"))
    # "每个重点领域打造30个应用标杆": a clause that ends with its verb names what follows the number
    vocab.verb_endings = tuple(sorted({*raw["enumeration_verbs"], *raw["lone_verbs"]}, key=len, reverse=True))
    for entry in ind["indicators"]:
        canonical = entry["canonical"]
        for written in [canonical, *entry.get("aliases", [])]:
            alias_index[indicator_key(written, vocab)] = canonical
        patterns.extend((re.compile(p), canonical) for p in entry.get("patterns", []))
    return vocab


def _not_after(words: list[str], chars: str) -> re.Pattern[str]:
    """Any of the words, not after one of the characters (a class): `(?<![chars])(?:words)` written
    with the look-behind after each word's first character, so that re skips to those characters
    instead of trying the look-behind at every one."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(f"{re.escape(w[0])}(?<![{chars}]{re.escape(w[0])}){re.escape(w[1:])}" for w in ordered))


def _cell_patterns(raw: dict[str, Any]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Table cells: loose (anything number-like, so that a bad number is warned) and exact."""
    mags = _alternation(list(raw["magnitudes"]))
    units = _alternation(raw["count_units"] + raw["measure_units"])
    unit = rf"(?:(?:{mags})?(?:{units})(?:[/／][\u4e00-\u9fff]{{1,3}})?|(?:{mags}))"
    pre = _alternation(list(raw["table_value_comparators"]))
    after = _alternation(list(raw["qualifiers_after"]))
    opens, closes = r"[\[〔【（(]", r"[\]〕】）)]"
    loose = re.compile(rf"(?:{pre})?{opens}?[-+]?\d[\d.,]*(?:[—–\-~～]\d[\d.,]*)?{closes}?\s*(?:{unit})?"
                       rf"(?:{after})?{closes}?")
    exact = re.compile(rf"(?P<pre>{pre})?(?P<open>{opens}?)(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)"
                       rf"(?:[—–\-~～](?P<max>\d+(?:,\d{{3}})*(?:\.\d+)?))?(?P<close>{closes}?)\s*"
                       rf"(?P<unit>{unit})?(?P<after>{after})?{closes}?")
    return loose, exact


# --- indicator names ----------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
# \d\d*, not \d+: a pattern that starts with a repeat is tried at every character; one that starts
# with a character class skips to the next digit
_DIGIT_RUN = re.compile(r"\d\d*")


def _digit_runs(text: str) -> list[int]:
    """Where the runs of digits of a text start. Every pattern that starts at a digit not after a
    digit (the number, the year, the table's year hint) can only match there: it is tried at these
    offsets (`_matches_at`) instead of searched for line by line (a scan in Python's re costs some 50
    instructions a character), and one scan of the text serves both readers (extract_targets
    passes the runs to each)."""
    return list(map(_MATCH_START, _DIGIT_RUN.finditer(text)))


_MATCH_START = re.Match.start
_NO_RUNS: list[int] = []  # a line without digits (shared, never changed)


def _line_starts(runs: list[int], k: int, start: int, end: int) -> tuple[list[int], int]:
    """The runs in text[start:end] as offsets in it, and the index of the first run at or after
    start; k: that index for an earlier start (lines are read in order)."""
    n = len(runs)
    while k < n and runs[k] < start:
        k += 1
    if k == n or runs[k] >= end:
        return [], k
    k_end = k + 1
    while k_end < n and runs[k_end] < end:
        k_end += 1
    return [at - start for at in runs[k:k_end]], k


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int] | range | Any) -> list[re.Match[str]]:
    """pattern.finditer(text) for a pattern that can only match at one of `starts` (in order): the
    same matches, as finditer's do not overlap (a start inside the last match is passed over)."""
    out: list[re.Match[str]] = []
    match = pattern.match
    end = 0
    for at in starts:
        if at < end:
            continue
        m = match(text, at)
        if m is not None:
            out.append(m)
            end = m.end()
    return out
_STRICT_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_DESCRIPTIVE = re.compile(r"^具有[^的]{1,12}的")  # "具有较强竞争力的创新型产业集群"
_QUOTES = re.compile(r"[“”\"'‘’「」『』\s]")


def indicator_key(written: str, vocab: Vocabulary | None = None) -> str:
    """The reduced form indicators are compared by: no quotes, spaces or 的, no leading 全市 /
    verbs, no trailing 数量 / 总数; a trailing level word (孵化器省级) moved to the front."""
    return _indicator_key(written, vocab or vocabulary())


_MEMO_LIMIT = 100_000  # distinct texts remembered per look-up; bounded so that a long build's memory stays flat


_MISSING = object()

_T = TypeVar("_T")


def _per_text(fn: Callable[[str, Vocabulary], _T]) -> Callable[[str, Vocabulary], _T]:
    """`fn(text, vocab)` remembered by text in the vocabulary: table cells and the phrases before
    numbers recur across a plan and across plans. For pure functions with an immutable result."""
    name = fn.__name__

    @wraps(fn)
    def remembered(text: str, vocab: Vocabulary) -> _T:
        memo = vocab.memo.get(name)
        if memo is None:
            memo = vocab.memo[name] = {}
        got = memo.get(text, _MISSING)
        if got is _MISSING:
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            got = memo[text] = fn(text, vocab)
        return got  # type: ignore[return-value]

    return remembered


@_per_text
def _indicator_key(written: str, vocab: Vocabulary) -> str:
    key = _DESCRIPTIVE.sub("", _QUOTES.sub("", written))
    key = key.replace("的", "").replace("(", "（").replace(")", "）")
    key = key.replace("（R&D）", "").replace("（GDP）", "")
    key = _strip_prefixes(key, vocab.words("indicator_strip_prefixes") + vocab.words("increment_markers"))
    keep_suffixes = vocab.words("indicator_keep_suffixes")
    for suffix in vocab.words("indicator_strip_suffixes"):
        keep = key.endswith(keep_suffixes)
        if key.endswith(suffix) and len(key) > len(suffix) + 1 and not keep:
            key = key[: -len(suffix)]
    for level in vocab.words("level_words"):
        if key.endswith(level) and len(key) > len(level):
            key = level + key[: -len(level)]
            break
    return key


def canonical_indicator(written: str, vocab: Vocabulary | None = None) -> str:
    return _canonical_indicator(written, vocab or vocabulary())


@_per_text
def _canonical_indicator(written: str, vocab: Vocabulary) -> str:
    key = indicator_key(written, vocab)
    if key in vocab.alias_index:
        return vocab.alias_index[key]
    for pattern, canonical in vocab.patterns:
        if pattern.search(key):
            return canonical
    return key


def _strip_prefixes(text: str, prefixes: tuple[str, ...] | list[str], keep_one: bool = True) -> str:
    """Leading words removed, repeatedly; with keep_one a word that is all there is stays."""
    words, lengths = _by_length(tuple(prefixes))
    while text:
        size = len(text)
        # the longest word that starts the text (and is not all of it, with keep_one)
        cut = next((n for n in lengths if n <= size and text[:n] in words and (size > n or not keep_one)), 0)
        if not cut:
            break
        text = text[cut:]
    return text


@lru_cache(maxsize=256)
def _by_length(words: tuple[str, ...]) -> tuple[frozenset[str], tuple[int, ...]]:
    """The words as a set and their lengths, longest first: the longest word that starts (or ends) a
    text is found with a look-up per length rather than a test per word."""
    return frozenset(words), tuple(sorted({len(w) for w in words}, reverse=True))


@lru_cache(maxsize=256)
def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words without repeats, longest first (so that the longest of those that match wins)."""
    return tuple(sorted(set(words), key=len, reverse=True))


UNREADABLE = "targets could not be read here; skipped"


# --- results of the readers --------------------------------------------------------------------


@dataclass
class RawTarget:
    """A target found in a text: offsets index that text."""

    indicator: str
    unit: str
    value: float
    year: int | None
    start: int  # quote
    end: int
    value_max: float | None = None
    qualifier: str = ""
    source: str = "text"
    ind_start: int = -1
    ind_end: int = -1
    recurrence: str = ""  # "annual" for a quota "每年…" (then year is None)


@dataclass
class Finding:
    """Targets, warnings (offset, message) and the stretches of text that were tables."""

    targets: list[RawTarget] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    regions: list[tuple[int, int]] = field(default_factory=list)


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def year_in_range(year: int, period: tuple[int, int] | None) -> bool:
    if period:
        return period[0] - 10 <= year <= period[1] + 30
    return 1990 <= year <= 2100


# --- tables -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\s|｜]+")
_PREFIXED_YEAR_CELL = re.compile(r"^([^\d（）()]{1,6})[（(](\d{4})\s*年?[）)]$")
_YEAR_CELL = re.compile(r"^(\d{4})\s*(年?)(?:[（(]?([^\d（）()]{0,6})[）)]?)?$")
_BARE_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_LABEL_UNIT = re.compile(r"^(?P<label>.+?)\s*[（(](?P<unit>[^（）()]{1,6})[）)]$")
_PROSE = re.compile(r"[，。；：！？]")


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    line: int


# where a normaliser squeezed the space out of a row: "主要指标2021年2022年", "高新技术企业（家）350"
_PLAIN_NUMBER = re.compile(r"^\d+(?:,\d{3})*(?:\.\d+)?$")
_RULE = re.compile(r"^[-:—–=]{3,}$")
_RULE_CHARS = frozenset("-:—–=")
# a cut before a digit that follows a character, a bracket or %; a cut after "2021年" before a character.
# Two scans that each start at a digit (re skips to digits at C speed) rather than one of zero width
# tried at every character.
_SQUEEZED_DIGIT = re.compile(r"\d(?:(?<=[\u3400-\u9fff）)%]\d)|(?=年[\u3400-\u9fff]))")
_DECIMAL = re.compile(r"^\d+(?:\.\d+)?$")
_POINT_DIGIT = re.compile(r"^\.\d")
_DIGITS_YEAR = re.compile(r"^\d+年")
_FOUR_DIGITS_YEAR = re.compile(r"^\d{4}年")


def _squeezed_cuts(text: str, start: int, end: int) -> list[int]:
    """Where run-together cells are cut, as offsets in the text (`_tokens`): before a digit that
    follows a character, bracket or %, and after the 年 of "2021年" before a character. Both cuts
    lie inside one whitespace-separated word (never at its start), so one scan of the whole text,
    from digit to digit, finds the cuts of every word."""
    cuts: list[int] = []
    for m in _SQUEEZED_DIGIT.finditer(text, start, end):
        at = m.start()
        if at > start and _cut_before(text[at - 1]):
            cuts.append(at)
        if text.startswith("年", at + 1) and at + 2 < len(text) and "\u3400" <= text[at + 2] <= "\u9fff":
            cuts.append(at + 2)
    return cuts


def _cut_before(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or c in "）)%"


_BARS = str.maketrans({"|": " ", "｜": " "})


def _tokens(text: str, start: int = 0, end: int | None = None) -> list[_Token]:
    """The cells of text[start:end] (start at a line's start, end at a line's end)."""
    out: list[_Token] = []
    end = len(text) if end is None else end
    line_no = text.count("\n", 0, start)
    pieces: list[tuple[str, int, int, int]] = []  # (text, start, end, line)
    suffixes = vocabulary().words("table_year_suffixes")
    cuts = _squeezed_cuts(text, start, end)
    n_cuts = len(cuts)
    k = 0
    # the words of text[start:end] (runs without whitespace, | or ｜), line by line: str.split over
    # each line with the bars made spaces (same length); only whitespace lies between two words,
    # so the next occurrence of a word is that word
    body = text[start:end] if start or end < len(text) else text
    if "|" in body or "｜" in body:
        body = body.translate(_BARS)
    line_start = start
    for line in body.split("\n"):
        at = line_start
        line_start += len(line) + 1
        if not line or line.isspace():
            line_no += 1
            continue
        pos = 0
        for word in line.split():
            pos = line.find(word, pos)
            w_start = at + pos
            pos += len(word)
            w_end = at + pos
            while k < n_cuts and cuts[k] <= w_start:
                k += 1
            if k == n_cuts or cuts[k] >= w_end:
                pieces.append((word, w_start, w_end, line_no))
                continue
            bounds = [w_start]
            while k < n_cuts and cuts[k] < w_end:
                c = cuts[k]
                k += 1
                # "2025年目标值" stays one cell
                if text[c - 1] != "年" or not text.startswith(suffixes, c, w_end):
                    bounds.append(c)
            bounds.append(w_end)
            pieces.extend((text[a:b], a, b, line_no) for a, b in pairwise(bounds))
        line_no += 1
    prev: _Token | None = None
    for piece, p_start, p_end, line_no in pieces:
        if piece[0] in _RULE_CHARS and _RULE.match(piece):
            continue  # a Markdown table's rule "| --- | --- |"
        if prev is not None:
            before = prev.text
            # "2018 年", "1.5 %" (a PDF's spacing): the 年 belongs to the year, the % to the number
            if (piece == "年" and _BARE_YEAR.match(before)) or (piece in ("%", "％") and _PLAIN_NUMBER.match(before)):
                prev = out[-1] = _Token(before + piece, prev.start, p_end, prev.line)
                continue
            if prev.line < line_no and (piece[0] == "." or piece[0].isdecimal()) and (
                    # "77.⏎4", "9⏎.2": a decimal number the PDF broke at the end of a line
                    (((before.endswith(".") and _digits(piece[:1]))
                      or (_POINT_DIGIT.match(piece) and "." not in before)) and _DECIMAL.match(before.rstrip(".")))
                    # "20⏎26年": a year the PDF broke at the end of a line
                    or (_digits(before) and len(before) < 4 and _DIGITS_YEAR.match(piece)
                        and _FOUR_DIGITS_YEAR.match(before + piece))):
                prev = out[-1] = _Token(before + piece, prev.start, p_end, prev.line)
                continue
        prev = _Token(piece, p_start, p_end, line_no)
        out.append(prev)
    return out


def _year_of_cell(token: str, vocab: Vocabulary) -> int | None:
    m = _YEAR_CELL.match(token)
    if not m:
        # "目标值（2025年）": the year after a word such as 目标值 / 基期
        p = _PREFIXED_YEAR_CELL.match(token)
        if p and any(w in p.group(1) for w in vocab.words("table_year_suffixes")):
            return int(p.group(2))
        return None
    suffix = m.group(3) or ""
    if suffix and not any(s in suffix for s in vocab.words("table_year_suffixes")):
        return None
    if not m.group(2) and not _BARE_YEAR.match(m.group(1)):
        return None  # a bare number is a year only if it looks like one; "2202年" is (and is warned)
    return int(m.group(1))


def find_table_targets(text: str, period: tuple[int, int] | None = None,
                       digit_runs: list[int] | None = None) -> Finding:
    """Yearly indicator tables: a header with a run of at least two years, then rows of a label
    (optionally with （unit）) and one value per year column. digit_runs: the text's
    `_digit_runs`, when the caller has them."""
    vocab = vocabulary()
    found = Finding()
    longest = _header_cell_max(vocab)
    runs = digit_runs if digit_runs is not None else _digit_runs(text)
    for start, end in _table_windows(text, longest, runs):
        _read_tables(text, _tokens(text, start, end), period, vocab, found)
    return found


# What every table holds: a year cell ("2025年", "2025", "2025年目标值", "目标值（2025年）", "2018 年"
# as a PDF spaced it) as a whole cell, or the digits of a year broken over lines ("20⏎26年", "202⏎2 年").
# A loose pattern (its hits are only where cells are read), but one no year cell escapes: a cell ends
# at whitespace, a bar, a digit (a squeezed cut) or, after "2025年", a CJK character.
_TABLE_YEAR_HINT = re.compile(
    r"\d(?<!\d\d)(?:\d{3}[\s|｜]*年?(?:[（(]?[^\s|｜\d（）()]{0,6}[）)]?)?(?:(?=[\s|｜\d])|$|(?<=年)(?=[\u3400-\u9fff]))"
    r"|\d{0,2}[\s|｜]+\d)")


def _table_windows(text: str, longest: int, runs: list[int]) -> list[tuple[int, int]]:
    """The stretches of text whose cells the table reader must see: around each hint of a year
    cell, the lines out to the nearest prose line on either side (a line that is one long cell with
    prose punctuation and no digit, which no table reads across: `_is_barrier`). The one after is
    kept, as the readers' look-ahead. A document without tables is never cut into cells."""
    windows: list[tuple[int, int]] = []
    reach = 0  # where the last window ended
    # (the hint starts at a digit not after a digit: tried at the runs of digits, which also tell
    # whether a line holds a digit: every digit of a line is in a run that starts in it)
    n_runs = len(runs)

    def has_digit(start: int, end: int) -> bool:
        i = bisect_left(runs, start)
        return i < n_runs and runs[i] < end

    for hint in _matches_at(_TABLE_YEAR_HINT, text, runs):
        at = hint.start()
        if at < reach:
            continue
        start = text.rfind("\n", 0, at) + 1
        while start > reach:
            before = text.rfind("\n", 0, start - 1) + 1
            if start - 1 - before > longest and _is_barrier(text[before: start - 1], longest,
                                                             has_digit(before, start - 1)):
                break
            start = before
        end = text.find("\n", at)
        while end >= 0:
            after = text.find("\n", end + 1)
            if after < 0:
                end = -1  # no line break after the last line: the window runs to the end
                break
            barrier = after - end - 1 > longest and _is_barrier(text[end + 1: after], longest,
                                                                has_digit(end + 1, after))
            end = after
            if barrier:
                break
        if end < 0:
            end = len(text)
        windows.append((start, end))
        reach = end
    return windows


def _is_barrier(line: str, longest: int, digit: bool | None = None) -> bool:
    """A line that is one cell (no space, bar or digit: no cut) longer than any header cell, with
    prose punctuation: no header starts at it, no reader takes it (labels, values, years and
    trailing cells hold no prose punctuation or are shorter), and no cell joins it. `digit`: whether
    the line holds a digit, if known."""
    if len(line) <= longest or (_DIGIT.search(line) is not None if digit is None else digit) \
            or _PROSE.search(line) is None:
        return False
    words = line.translate(_BARS).split() if "|" in line or "｜" in line else line.split()
    return len(words) == 1 and len(words[0]) > longest and words[0][0] != "."


def _read_tables(text: str, toks: list[_Token], period: tuple[int, int] | None, vocab: Vocabulary,
                 found: Finding) -> None:
    """The tables among the cells."""
    longest = _header_cell_max(vocab)
    year_rows = _word_set("table_year_row_columns")
    i = 0
    while i < len(toks):
        cell = toks[i].text
        if len(cell) > longest and cell not in year_rows:
            i += 1  # prose: neither kind of header starts here (most tokens of a document)
            continue
        header = _read_header(toks, i, vocab)
        if header is None:
            j = _read_transposed(toks, i, vocab, period, found)
            if j > i:
                found.regions.append((toks[i].start, toks[j - 1].end))
            i = max(j, i + 1)
            continue
        columns, years, end = header
        for y, tok in years:
            if not year_in_range(y, period):
                found.warnings.append((tok.start, f"table year {y} out of range for plan period {period}"))
        try:
            j, rows_end = _read_rows(text, toks, end, columns, years, vocab, found)
        except Exception as exc:  # one unreadable table must not cost the document its targets
            found.warnings.append((toks[i].start, f"{UNREADABLE} (table): {type(exc).__name__}: {exc}"))
            j, rows_end = end, toks[end - 1].end
        found.regions.append((toks[i].start, rows_end))
        i = max(j, i + 1)


def _read_transposed(toks: list[_Token], i: int, vocab: Vocabulary, period: tuple[int, int] | None,
                     found: Finding) -> int:
    """A table with years as rows: "年份 高新技术企业（家） 研发投入强度（%）", then "2023年 500 2.2" …
    (a row per line or a cell per line). Returns the index after the table, or i when there is none."""
    if toks[i].text not in vocab.words("table_year_row_columns"):
        return i
    empty = set(vocab.words("table_empty_cells"))
    k = i + 1
    labels: list[_Token] = []
    while k < len(toks) and len(labels) < 30 and not _is_cell_value(toks[k].text, empty) \
            and _year_of_cell(toks[k].text, vocab) is None and not _PROSE.search(toks[k].text) \
            and len(toks[k].text) <= 30:
        labels.append(toks[k])
        k += 1
    if not labels:
        return i
    rows: list[tuple[int, list[_Token]]] = []
    while k < len(toks):
        year = _year_of_cell(toks[k].text, vocab)
        cells = toks[k + 1: k + 1 + len(labels)]
        if year is None or len(cells) < len(labels) or not all(_is_cell_value(c.text, empty) for c in cells):
            break
        if rows and year <= rows[-1][0]:
            break
        rows.append((year, cells))
        k += 1 + len(labels)
    if len(rows) < 1 or (len(rows) < 2 and len(labels) < 2):
        return i
    for year, cells in rows:
        if not year_in_range(year, period):
            found.warnings.append((cells[0].start, f"table year {year} out of range for plan period {period}"))
        for label, cell in zip(labels, cells):
            if cell.text in empty:
                continue
            parsed = _parse_cell(cell.text, vocab)
            m = _LABEL_UNIT.match(label.text)
            indicator, unit = (m.group("label"), m.group("unit")) if m else (label.text, "")
            if parsed is None:
                found.warnings.append((cell.start, f"table column “{label.text}”, {year}: value “{cell.text}” "
                                                   "does not parse; cell skipped"))
                continue
            value, value_max, cell_unit, qualifier = parsed
            found.targets.append(RawTarget(indicator=indicator, unit=cell_unit or unit, value=value, year=year,
                                           start=label.start, end=label.end, value_max=value_max,
                                           source="table", qualifier=qualifier, ind_start=label.start,
                                           ind_end=label.start + len(indicator)))
    return k


_UNIT_IN_HEADER = re.compile(r"[（(]单位[）)]$")


def _read_header(toks: list[_Token], i: int,
                 vocab: Vocabulary) -> tuple[list[str], list[tuple[int, _Token]], int] | None:
    """Header cells from toks[i]: [序号] [label] [单位] year year … [trailing]. Returns the column
    kinds ("index", "label", "unit", "year", "trail"), the year cells and the next token index."""
    if len(toks[i].text) > _header_cell_max(vocab):
        return None  # prose: no header starts here (most tokens of a document)
    label_words = _word_set("table_label_columns")
    unit_words = _word_set("table_unit_columns")
    index_words = _word_set("table_index_columns")
    trail_words = vocab.words("table_trailing_columns")
    attr_words = _word_set("table_attribute_columns")
    columns: list[str] = []
    j = i
    while j < len(toks):
        t = _UNIT_IN_HEADER.sub("", toks[j].text)  # "指标名称（单位）"
        if t in index_words:
            columns.append("index")
        elif t in unit_words:
            columns.append("unit")
        elif t in label_words:
            columns.append("label")
        elif t in attr_words and "label" in columns:
            columns.append("attr")  # "指标 属性 2020年 2025年": the attribute before the years
        else:
            break
        j += 1
    years: list[tuple[int, _Token]] = []
    while j < len(toks):
        _join_broken_year(toks, j, vocab)
        y = _year_of_cell(toks[j].text, vocab)
        if y is None or (years and y <= years[-1][0]):
            break
        years.append((y, toks[j]))
        columns.append("year")
        j += 1
    # one year column only with a header that is plainly a table's ("指标 单位 2025年目标")
    if not years:
        return None
    if len(years) < 2:
        only = years[0][1].text
        marked = only not in (f"{years[0][0]}年", str(years[0][0]))  # "2025年目标值", "目标值（2025年）"
        if "label" not in columns or not ("unit" in columns or marked):
            return None
    # bare years ("2018 2019") only count with a label column or the 年 written
    if "label" not in columns and all(_BARE_YEAR.match(t.text) for _, t in years):
        return None
    if "label" not in columns:
        columns.insert(0, "label")
    while j < len(toks) and len(toks[j].text) <= 12 and any(w in toks[j].text for w in trail_words):
        columns.append("trail")
        j += 1
    return columns, years, j




def _header_cell_max(vocab: Vocabulary) -> int:
    """The longest token a header can start with: a column word with （单位）, or a year cell
    (_YEAR_CELL, _PREFIXED_YEAR_CELL: at most 13 characters, tokens hold no spaces)."""
    longest = vocab.memo.get("header_cell_max")
    if longest is None:
        words = [w for key in ("table_index_columns", "table_unit_columns", "table_label_columns",
                               "table_attribute_columns") for w in vocab.words(key)]
        longest = vocab.memo["header_cell_max"] = max([13, *(len(w) + len("（单位）") for w in words)])
    return longest


def _join_broken_year(toks: list[_Token], j: int, vocab: Vocabulary) -> None:
    """"202⏎2 年": a header year the PDF broke over lines, joined in place."""
    first = toks[j]
    if not _digits(first.text) or len(first.text) >= 4:
        return
    text = first.text
    for k in range(j + 1, min(j + 3, len(toks))):
        text += toks[k].text
        if re.fullmatch(r"\d{4}年\S*", text) and _year_of_cell(text, vocab) is not None:
            toks[j: k + 1] = [_Token(text, first.start, toks[k].end, first.line)]
            return
        if not re.fullmatch(r"\d{1,4}年?", text):
            return


def _read_rows(text: str, toks: list[_Token], j: int, columns: list[str], years: list[tuple[int, _Token]],
               vocab: Vocabulary, found: Finding) -> tuple[int, int]:
    """Rows after the header until prose; returns (next token index, end offset of the table).
    A row is [index] label… [unit] one value per year [trailing cells]."""
    n_years = len(years)
    has_unit = "unit" in columns
    has_index = "index" in columns
    n_trail = columns.count("trail")
    n_labels = columns.count("label")
    n_attr = columns.count("attr")
    empty = set(vocab.words("table_empty_cells"))
    trail_values = set(vocab.words("table_trailing_values"))
    end_offset = toks[j - 1].end
    last_index = 0

    def is_index(k: int) -> bool:
        if k + 1 >= len(toks) or _is_cell_value(toks[k + 1].text, empty):
            return False
        if _ROW_MARKER.fullmatch(toks[k].text):
            return True  # ①, ⑴, （1）, 一、: a row marker, never a value
        t = toks[k].text.rstrip(".、．")
        if not _digits(t):
            return False
        # without a 序号 column, only "3 高新技术企业 …" on one line is a row number
        return has_index or (int(t) == last_index + 1 and toks[k + 1].line == toks[k].line)

    while j < len(toks):
        k = j
        if is_index(k):
            number = toks[k].text.rstrip(".、．")
            last_index = int(number) if _digits(number) else last_index + 1
            k += 1
        label_toks: list[_Token] = []
        while k < len(toks) and not _is_cell_value(toks[k].text, empty) and not _PROSE.search(toks[k].text):
            label_toks.append(toks[k])
            k += 1
        if len(label_toks) >= 2 and _CATEGORY_MARKER.match(label_toks[0].text):
            label_toks = label_toks[1:]  # "一、创新投入" / "（一）创新产出": a category row above the row
        if label_toks:
            # "①高新技术企业（家）", "（1）孵化器": the row's marker written onto its label
            first = label_toks[0]
            mk = _ROW_MARKER.match(first.text)
            if mk and mk.end() < len(first.text):
                label_toks[0] = _Token(first.text[mk.end():], first.start + mk.end(), first.end, first.line)
        if not label_toks or (k < len(toks) and _PROSE.search(toks[k].text)) or len(label_toks) > 5:
            break
        for _ in range(n_attr):
            if len(label_toks) >= 2 and label_toks[-1].text in trail_values:
                label_toks.pop()  # "研发投入强度 % 预期性 1.5 2.5": the attribute column before the years
        unit = ""
        if has_unit and len(label_toks) >= 2 and _looks_like_unit(label_toks[-1].text, vocab):
            unit = _strip_parens(label_toks.pop().text)
        one_line = len({t.line for t in label_toks}) == 1
        one_per_line = len({t.line for t in label_toks}) == len(label_toks)
        if n_labels >= 2 and ((len(label_toks) >= n_labels and one_line)
                              or (len(label_toks) == n_labels and one_per_line)):
            label_toks = label_toks[n_labels - 1:]  # "创新投入 研发经费投入强度": a category column first
        label = "".join(t.text for t in label_toks)
        if len(label) > 40:
            break
        cells: list[_Token] = []
        n_max = n_years + n_trail
        while k < len(toks) and _is_cell_value(toks[k].text, empty):
            if len(cells) >= n_max and is_index(k):
                break  # the next row's number
            cells.append(toks[k])
            k += 1
        if not cells:
            break  # a label with no values: the table has ended (a heading, a caption)
        trail = 0
        while trail < n_trail and k < len(toks) and not _PROSE.search(toks[k].text) and (
                toks[k].text in trail_values or (toks[k].line == cells[-1].line and len(toks[k].text) <= 30)):
            trail += 1
            k += 1
        numeric_trail = n_trail - trail  # trailing columns written as numbers (年均增速 …)
        if len(cells) == n_years + 1 and not numeric_trail:
            cells = _join_broken_number(cells)
        m = _LABEL_UNIT.match(label)
        indicator = m.group("label") if m else label
        if m and not unit:
            unit = m.group("unit")
        where = label_toks[0].start
        if not n_years <= len(cells) <= n_years + numeric_trail:
            kind = "missing cell" if len(cells) < n_years else "extra column"
            found.warnings.append((where, f"table row “{label}”: {kind} ({len(cells)} values for "
                                          f"{n_years} year columns); row skipped"))
        else:
            for (year, _), cell in zip(years, cells[:n_years]):
                if cell.text in empty:
                    continue
                parsed = _parse_cell(cell.text, vocab)
                if parsed is None:
                    found.warnings.append((cell.start, f"table row “{label}”, {year}: value “{cell.text}” "
                                                       "does not parse; cell skipped"))
                    continue
                value, value_max, cell_unit, qualifier = parsed
                if cell_unit in vocab.magnitudes and unit:
                    cell_unit += unit  # "1.2万" in a row of 家: 1.2万家
                found.targets.append(RawTarget(indicator=indicator, unit=cell_unit or unit, value=value, year=year,
                                               start=label_toks[0].start, end=label_toks[-1].end,
                                               value_max=value_max, source="table", qualifier=qualifier,
                                               ind_start=label_toks[0].start,
                                               ind_end=label_toks[0].start + len(indicator)))
        end_offset = toks[k - 1].end
        j = k
    return j, end_offset


_ROW_MARKER = re.compile(r"[①-⑳⑴-⒇⒈-⒛]|[（(](?:\d{1,3}|[一二三四五六七八九十]{1,3})[）)]"
                         r"|[一二三四五六七八九十]{1,3}[、．]")


_CATEGORY_MARKER = re.compile(r"[一二三四五六七八九十]{1,3}[、．.]|[（(][一二三四五六七八九十]{1,3}[）)]")


def _digits(text: str) -> bool:
    """ASCII digits only: "①".isdigit() is true, and int("①") raises."""
    return text.isascii() and text.isdigit()


def _join_broken_number(cells: list[_Token]) -> list[_Token]:
    """A row flattened on a line or two, one value too many, and a single line break between
    two values that join into one number ("1942 2⏎233 2568"): the PDF broke that number."""
    if len({c.line for c in cells}) == len(cells):
        return cells  # one cell per line: which two would belong together is anyone's guess
    breaks = [i for i in range(len(cells) - 1) if cells[i].line < cells[i + 1].line]
    if len(breaks) != 1:
        return cells
    i = breaks[0]
    a, b = cells[i], cells[i + 1]
    if _digits(a.text) and _PLAIN_NUMBER.match(b.text.rstrip("%")):
        return [*cells[:i], _Token(a.text + b.text, a.start, b.end, a.line), *cells[i + 2:]]
    return cells


def _looks_like_unit(token: str, vocab: Vocabulary) -> bool:
    """A unit cell: 家, %, 亿元, 件/万人, （人年）."""
    bare = _strip_parens(token)
    units = [*vocab.count_units, *vocab.raw["measure_units"]]
    one = rf"(?:{_alternation(list(vocab.magnitudes))})?(?:{_alternation(units)})"
    return bool(re.fullmatch(rf"{one}(?:[/／·]{one}?[\u4e00-\u9fff]{{0,3}})?", bare))


def _strip_parens(token: str) -> str:
    return token.strip("（）()")


def _is_cell_value(token: str, empty: set[str]) -> bool:
    """A value cell (also one that will not parse, such as "3.8.0", so that it is warned); a number
    followed by anything but a unit or qualifier ("5G基站") is a label."""
    if token in empty:
        return True
    # the readers ask for every cell, several times: one dict look-up for a cell seen before
    got = _CELL_VALUES.get(token)
    if got is None:
        if len(_CELL_VALUES) > _MEMO_LIMIT:
            _CELL_VALUES.clear()
        got = _CELL_VALUES[token] = len(token) <= 20 and vocabulary().cell.fullmatch(token) is not None
    return got


_CELL_VALUES: dict[str, bool] = {}  # token -> whether it has the form of a value cell (vocabulary().cell)


@_per_text
def _parse_cell(token: str, vocab: Vocabulary) -> tuple[float, float | None, str, str] | None:
    """A value cell as (value, value_max, unit, qualifier): "350", "45%", "≥2.8", "[1200]" (cumulative),
    "500以上", "2-3"; None when it does not parse."""
    m = vocab.value_cell.fullmatch(token)
    if not m:
        return None
    value = _number(m.group("num"))
    value_max = _number(m.group("max")) if m.group("max") else None
    if value is None:
        return None
    quals = []
    if m.group("pre"):
        quals.append(vocab.raw["table_value_comparators"][m.group("pre")])
    if m.group("open") and m.group("open") in "[〔【":
        quals.append("累计")
    if m.group("after"):
        quals.append(vocab.qual_after[m.group("after")])
    return value, value_max, m.group("unit") or "", "|".join(dict.fromkeys(q for q in quals if q))


# --- text ---------------------------------------------------------------------------------------

HEADING = re.compile(
    r"^\s*(?:(?P<l1>[一二三四五六七八九十百]+[、.．])|(?P<l0>第[一二三四五六七八九十百]+[章节部分])"
    r"|(?P<l2>[（(][一二三四五六七八九十百]+[）)])|(?P<l3>\d{1,3}[.、．](?!\d))"
    r"|(?P<l4>[（(]\d{1,3}[）)]|\d{1,3}[)）])|(?P<l5>[①-⑳]))"
)
_LEVELS = {"l0": 0, "l1": 1, "l2": 2, "l3": 3, "l4": 4, "l5": 5}
_SENTENCE_END = re.compile(r"[。；;！？!?]")
_SENTENCE_END_CHARS = "。；;！？!?"
_CLAUSE_BOUNDARY = "，,；;。、：:！？!?\n\t|｜"  # a tab or a bar separates table cells
_COMMA_BOUNDARY = "，,；;。：:！？!?\n\t|｜"
# (the look-behind after the first digit: see number_unit)
_YEAR = re.compile(r"(\d(?<![\d—–\-~～至]\d)\d{3})\s*年((?:末|底)?(?:前|内|以前)?)")
_CJK = re.compile(r"[\u3400-\u9fff]")


_CN_YEAR = re.compile(r"[一二三四五六七八九〇零]{4}(?=\s*年)")  # "到二〇二五年": read as 2025 (same length)
_CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_BOOK_TITLE = re.compile(r"《[^《》\n]{0,120}》")


@dataclass(slots=True)
class _Event:
    pos: int
    year: int | None  # None: a year was written but is out of range (warned)


def _year_events(para: str, base: int, period: tuple[int, int] | None, vocab: Vocabulary,
                 warnings: list[tuple[int, str]], row: bool = False,
                 digit_starts: list[int] | None = None) -> list[_Event]:
    """Places in a paragraph that set the target year: "到2022年", "2018年，", "确保2020年",
    “十四五”期间, "三年内". `digit_starts`: where the paragraph's runs of digits start, if known."""
    events: list[_Event] = []
    # every kind of event below needs 年 or a word of the vocabulary: most lines have none
    if not _may_have_event(para, period, vocab):
        return events
    words = vocab.memo.get("year_event_words")
    if words is None:
        words = vocab.memo["year_event_words"] = tuple(vocab.words(key) for key in (
            "year_context_before", "year_context_not_before", "year_context_not_after", "year_followed_by"))
    before_ok, not_before, not_after, year_verbs = words
    # a cited document's years (《…规划（2018-2022年）》, 《…“十四五”规划》) are its own, never the target's
    titles = [(m.start(), m.end()) for m in _BOOK_TITLE.finditer(para)] if "《" in para else []
    title_starts = [a for a, _ in titles]

    def cited(pos: int) -> bool:
        i = bisect_right(title_starts, pos) - 1
        return i >= 0 and titles[i][0] <= pos < titles[i][1]

    written = (_CN_YEAR.sub(_cn_year_digits, para) if _has_cn_year(para) else para) if "年" in para else ""
    # (a year starts at a digit not after a digit)
    years = _matches_at(_YEAR, written, digit_starts) if digit_starts is not None and written is para \
        else _YEAR.finditer(written)
    for m in years:
        if titles and cited(m.start()):
            continue
        year = int(m.group(1))
        prev = para[max(0, m.start() - 4): m.start()]
        nxt = para[m.end(): m.end() + 4]
        if prev.endswith(not_before) or nxt.startswith(not_after):
            continue
        at_start = m.start() == 0 or para[m.start() - 1] in _CLAUSE_BOUNDARY
        led = prev.endswith(before_ok)
        followed = bool(m.group(2)) or (nxt[:1] in ("，", ",", "、", "：", ":"))
        # "高新技术企业2023年达到500家": a year right before the verb of its value
        verb_follows = para.startswith(year_verbs, m.end())
        # in a table row a cell that starts with a year is its deadline ("2025年12月底")
        if not (led or (at_start and (followed or row)) or verb_follows):
            continue
        if not year_in_range(year, period):
            warnings.append((base + m.start(), f"year {year} out of range for plan period {period}; "
                                               "targets of its sentence skipped"))
            events.append(_Event(m.start(), None))
            continue
        events.append(_Event(m.start(), year))
    in_order = len(events)  # the years above are in the order of the text; the events below may not be
    period_names = vocab.raw["period_names"]
    covers = vocab.memo.get("year_event_covers")
    if covers is None:
        covers = vocab.memo["year_event_covers"] = (_cover(tuple(period_names)), _cover(vocab.words("horizon_words")))
    for name, end_year in period_names.items() if _has_any(para, covers[0]) else ():
        if name not in para:
            continue
        for m in re.finditer(re.escape(name), para):
            if cited(m.start()):
                continue
            tail = para[m.end(): m.end() + 4].lstrip("”\"’")
            in_period = period is None or end_year >= period[0]
            if (tail[:2] in ("期间", "时期", "末期", "规划") or tail[:1] == "末") and in_period:
                events.append(_Event(m.start(), end_year))
    horizon = vocab.words("horizon_words")
    if period and _has_any(para, covers[1]):
        for w in horizon:
            if w in para:
                events.extend(_Event(m.start(), period[1]) for m in re.finditer(re.escape(w), para))
    if period and period[0] == period[1]:
        # an annual plan: "年底前", "年内", "今年" mean the plan's own year
        events.extend(_Event(m.start(), period[1]) for m in vocab.plan_year.finditer(para) if not cited(m.start()))
    if len(events) > in_order:
        events.sort(key=lambda e: e.pos)
    return events


def _has_cn_year(para: str) -> bool:
    """Whether _CN_YEAR can match: four of its digits before a 年 (spaces between allowed). A look at
    each 年 rather than a scan of the whole line for runs of 一二三… (common characters)."""
    at = para.find("年")
    while at >= 0:
        j = at
        while j > 0 and para[j - 1].isspace():
            j -= 1
        if j >= 4 and _CN_YEAR_CHARS.issuperset(para[j - 4: j]):
            return True
        at = para.find("年", at + 1)
    return False


_CN_YEAR_CHARS = frozenset("一二三四五六七八九〇零")


def _cn_year_digits(year: re.Match[str]) -> str:
    return year.group().translate(_CN_YEAR_DIGITS)


def _may_have_event(para: str, period: tuple[int, int] | None, vocab: Vocabulary) -> bool:
    """False when no kind of year event can be in the paragraph: no 年, no period name, no horizon
    word (a horizon word counts only with a period). A few C-speed scans instead of the regexes."""
    if "年" in para:
        return True
    holds = vocab.memo.get("event_words")
    if holds is None:
        # (without a 年 only the words without one can be there: a cover of two pieces, not a scan)
        words = (*vocab.raw["period_names"], *vocab.words("horizon_words"), *vocab.words("plan_year_words"))
        holds = vocab.memo["event_words"] = _finder(tuple(w for w in words if "年" not in w))
    return holds(para)


@lru_cache(maxsize=64)
def _cover(words: tuple[str, ...]) -> tuple[str, ...]:
    """A few short pieces (one or two characters) such that every word holds one of them: a text
    that holds none of the pieces holds none of the words. A scan of a pattern that starts with an
    alternation (or a character class) tries every character of the text in Python's re; a handful
    of `in` tests runs at the speed of str.find. The pieces that cover the most words are taken
    first, the longer (rarer) one of two that cover as many."""
    left = set(words)
    out: list[str] = []
    while left:
        pieces = {w[i: i + n] for w in left for n in (1, 2) for i in range(len(w) - n + 1)}
        best = max(sorted(pieces), key=lambda p: (sum(p in w for w in left), len(p)))
        out.append(best)
        left = {w for w in left if best not in w}
    return tuple(out)


def _has_any(text: str, pieces: tuple[str, ...]) -> bool:
    for piece in pieces:  # noqa: SIM110 (a loop: faster than any() over a generator)
        if piece in text:
            return True
    return False


@dataclass
class _Scope:
    level: int
    year: int | None
    baseline: bool


def find_text_targets(text: str, period: tuple[int, int] | None = None,
                      skip: list[tuple[int, int]] | None = None, digit_runs: list[int] | None = None) -> Finding:
    """Targets stated in sentences, outside the `skip` regions (tables). digit_runs: the text's
    `_digit_runs`, when the caller has them."""
    vocab = vocabulary()
    found = Finding()
    skip = skip or []
    default_year = period[1] if period else None
    stack: list[_Scope] = []
    carry: int | None = None
    pos = 0
    regions = sorted(skip)
    region_starts = [a for a, _ in regions]
    # the furthest end among a region and the two before it (the regions a line can fall in)
    region_reach = [max(b for _a, b in regions[max(0, r - 2): r + 1]) for r in range(len(regions))]
    baseline_words = _any_of(vocab.words("baseline_section_words"))
    words = _paragraph_words(vocab)
    n_regions = len(regions)
    r = -1  # the last region that starts at or before the line
    in_baseline = False  # any(s.baseline for s in stack), updated where the stack changes
    if digit_runs is None:
        digit_runs = _digit_runs(text)
    n_digit_runs = len(digit_runs)
    k_digit = 0  # the first run of digits at or after the line
    for line in text.split("\n"):
        base = pos
        pos += len(line) + 1
        if not line or line.isspace():
            continue
        while r + 1 < n_regions and region_starts[r + 1] <= base:
            r += 1
        if r >= 0 and base < region_reach[r]:
            continue
        # where the line's runs of digits start (most lines have none: no list made for them)
        while k_digit < n_digit_runs and digit_runs[k_digit] < base:
            k_digit += 1
        if k_digit < n_digit_runs and digit_runs[k_digit] < pos:
            digit_starts, k_digit = _line_starts(digit_runs, k_digit, base, pos)
        else:
            digit_starts = _NO_RUNS
        hm = HEADING.match(line)
        title = line
        # no year event in the line (most lines): none in its heading's title either, which starts it
        may_event = _may_have_event(line, period, vocab)
        if hm:
            level = _LEVELS[hm.lastgroup or "l5"]
            while stack and stack[-1].level >= level:
                stack.pop()
            cut = _SENTENCE_END.search(line, hm.end())
            title = line[: cut.start()] if cut else line
            if len(title) > 40:
                title = line[: hm.end()]
            # the heading's own year (warnings come from the line's scan below)
            title_warnings: list[tuple[int, str]] = []
            tevents = (_year_events(title, base, period, vocab, title_warnings, False,
                                    [d for d in digit_starts if d < len(title)] if digit_starts else _NO_RUNS)
                       if may_event and len(title) <= 40 else [])
            baseline = baseline_words.search(title) is not None
            stack.append(_Scope(level, next((e.year for e in reversed(tevents) if e.year), None) if tevents else None,
                                baseline))
            in_baseline = any(s.baseline for s in stack)
            carry = None
        elif len(line) <= 30 and not _SENTENCE_END.search(line[:-1]) \
                and not (digit_starts and vocab.number_unit.search(line)) and baseline_words.search(line) is not None:
            stack.append(_Scope(9, None, True))  # an unnumbered heading such as "发展基础"
            in_baseline = True
            carry = None
        if in_baseline:
            continue
        row = line.count("\t") >= 2 or line.count("|") >= 3  # a row of a task table
        if hm and title is line and len(title) <= 40 and not row:
            events = tevents  # the heading is the whole line: its scan is the line's
            found.warnings.extend(title_warnings)
        elif may_event:
            events = _year_events(line, base, period, vocab, found.warnings, row, digit_starts)
        else:
            events = []
        matches = _paragraph_matches(line, vocab, words, digit_starts)
        if matches:
            fallback = carry or next((s.year for s in reversed(stack) if s.year is not None), None) or default_year
            try:
                _read_matches(line, matches, base, events, fallback, period, vocab, found, row, hm)
            except Exception as exc:  # one unreadable line must not cost the document its targets
                found.warnings.append((base, f"{UNREADABLE}: {type(exc).__name__}: {exc}"))
        if not events or row:  # a row's deadline is its own, not the next row's
            continue
        good = [e.year for e in events if e.year is not None]
        if good:
            carry = good[-1]
            # a goals sentence in a block's body ("力争到2027年，…。", "到2023年，实现以下目标：") sets the
            # year of the numbered items that follow in the same block
            if not hm and (line.rstrip().endswith(("：", ":")) or period is None or carry >= period[0]):
                if stack:
                    stack[-1].year = carry
                else:
                    stack.append(_Scope(0, carry, False))
    return found


# Every look-up around a number is bounded: a clause longer than this is not one indicator, and a
# bounded window keeps the reader linear in the length of a line (a 2 MB line without punctuation).
_WINDOW = 160
# a paragraph up to this length is searched around each number rather than indexed (_Para)
_SHORT_PARAGRAPH = 1000


class _Para:
    """One paragraph and what every number in it looks up: sentence ends, commas, year events and
    the parenthesis open at each number. Most paragraphs hold one or two numbers: a short one is
    searched around each number (a few str.find over the marks it holds); a long one has the
    positions of its marks listed once (O(log n) per look-up), so that the reader stays linear."""

    def __init__(self, para: str, events: list[_Event]) -> None:
        self.text = para
        self.events = events
        self.event_pos = [e.pos for e in events]
        if len(para) > _SHORT_PARAGRAPH:
            self.sentence_ends: list[int] | None = _positions(para, _SENTENCE_END_CHARS)
            self.commas = _positions(para, "，,")
            self.end_marks: tuple[str, ...] = ()
        else:
            self.sentence_ends = None
            self.commas = []
            self.end_marks = tuple(c for c in _SENTENCE_END_CHARS if c in para)

    def sentence(self, pos: int) -> tuple[int, int]:
        ends = self.sentence_ends
        if ends is None:  # a short paragraph: the nearest mark of each kind on either side
            para = self.text
            start, end = 0, len(para)
            for c in self.end_marks:
                at = para.rfind(c, 0, pos) + 1
                if at > start:
                    start = at
                at = para.find(c, pos, end)
                if at >= 0:
                    end = at
            return start, end
        i = bisect_left(ends, pos)
        start = ends[i - 1] + 1 if i else 0
        end = ends[i] if i < len(ends) else len(self.text)
        return start, end

    def first_comma(self, start: int, end: int) -> int:
        if self.sentence_ends is None:
            para = self.text
            at = para.find("，", start, end)
            if at >= 0:
                end = at
            at = para.find(",", start, end)
            return at if at >= 0 else end
        i = bisect_left(self.commas, start)
        return self.commas[i] if i < len(self.commas) and self.commas[i] < end else end

    def has_event(self, start: int, end: int) -> bool:
        i = bisect_left(self.event_pos, start)
        return i < len(self.event_pos) and self.event_pos[i] < end

    def last_event(self, before: int, not_before: int = -1) -> _Event | None:
        i = bisect_left(self.event_pos, before) - 1
        return self.events[i] if i >= 0 and self.event_pos[i] >= not_before else None


def _positions(text: str, chars: str) -> list[int]:
    """The offsets of any of the characters, in order: str.find per character (a few C scans)
    rather than one re scan of a character class, several times slower."""
    out: list[int] = []
    kinds = 0
    for c in chars:
        at = text.find(c)
        if at < 0:
            continue
        kinds += 1
        while at >= 0:
            out.append(at)
            at = text.find(c, at + 1)
    if kinds > 1:
        out.sort()
    return out


def _open_parens(para: str, positions: list[int]) -> dict[int, int | None]:
    """For each position (sorted), the start of the parenthesis that encloses it, or None."""
    out: dict[int, int | None] = {}
    stack: list[int] = []
    parens = [(at, para[at]) for at in _positions(para, "（()）")]
    k = 0
    for pos in positions:
        while k < len(parens) and parens[k][0] < pos:
            at, c = parens[k]
            if c in "（(":
                stack.append(at)
            elif stack:
                stack.pop()
            k += 1
        out[pos] = stack[-1] if stack else None
    return out


def _clause_start(para: str, pos: int, boundary: str) -> int:
    limit = max(0, pos - _WINDOW)
    segment = para[limit:pos]
    if not _has_paren(segment):  # the common case, at C speed: the last boundary character
        last = _one_of(boundary).search(segment[::-1])
        return limit + (len(segment) - last.start() if last else 0)
    i = pos
    depth = 0
    while i > limit:
        c = para[i - 1]
        if c in "）)":
            depth += 1
        elif c in "（(":
            if depth == 0:
                return i  # inside a parenthesis: the clause starts after it opens
            depth -= 1
        elif depth == 0 and c in boundary:
            return i
        i -= 1
    return limit


def _clause_end(para: str, pos: int, boundary: str) -> int:
    limit = min(len(para), pos + _WINDOW)
    first = _one_of(boundary + "（(").search(para, pos, limit)
    return first.start() if first else limit


_PAREN = re.compile(r"[（()）]")


def _has_paren(text: str) -> bool:
    return "（" in text or "(" in text or "）" in text or ")" in text  # four C scans beat one re scan


@lru_cache(maxsize=64)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern that finds any of the words (one scan instead of a test per word); never matches
    when there are none."""
    return re.compile(_alternation(list(words)) if words else r"(?!)")


def _finder(words: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a text holds any of the words: the few pieces of `_cover` first (str.find), the
    pattern only where one of them is."""
    pieces = _cover(words)
    search = _any_of(words).search
    if len(pieces) > 4:  # as many `in` tests cost as much as the scan
        return lambda text: search(text) is not None

    def holds(text: str) -> bool:
        return _has_any(text, pieces) and search(text) is not None

    return holds


@lru_cache(maxsize=16)
def _one_of(chars: str) -> re.Pattern[str]:
    """A pattern for any one of the characters."""
    return re.compile(f"[{re.escape(chars)}]")


def _in_short_quote(para: str, start: int, end: int) -> bool:
    """A number inside a short quoted name: “3个100”工程, “1+N”政策体系."""
    q = para.rfind("“", max(0, start - 12), start)
    if q < 0 or para.find("”", q, start) >= 0:
        return False
    close = para.find("”", end, end + 12)
    return close >= 0 and not _PROSE.search(para, q, close)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_SCALES = {"十": 10, "百": 100, "千": 1000}


def chinese_number(written: str) -> int | None:
    """A Chinese numeral below ten thousand ("三", "十二", "两百", "一千五百") as a number."""
    total, digit, seen = 0, None, False
    for c in written:
        if c in _CN_DIGITS:
            if digit is not None:
                return None  # "二三": not a number
            digit = _CN_DIGITS[c]
        elif c in _CN_SCALES:
            total += (1 if digit is None else digit) * _CN_SCALES[c]
            digit = None
        else:
            return None
        seen = True
    return total + (digit or 0) if seen else None


def _chinese_amounts(para: str, vocab: Vocabulary, start: int = 0) -> list[tuple[int, int, dict[str, Any]]]:
    """"建成两个国家级平台", "新增十家": a Chinese-numeral count right after a target verb; a value of
    one ("一个", "一批") is an article, and a numeral without such a verb is usually a name
    ("两个维护", "三大工程")."""
    out: list[tuple[int, int, dict[str, Any]]] = []
    verbs = _paragraph_words(vocab).amount_verbs
    for m in vocab.chinese_amount.finditer(para, start):  # (from the first one, found by the caller)
        if not para.endswith(verbs, 0, m.start()):
            continue  # (most numerals: no verb before them)
        value = chinese_number(m.group("cn"))
        if value is None or value < 2 or (m.end() < len(para) and para[m.end()] in _CN_DIGITS):
            continue
        out.append((m.start(), m.end(), {"value": str(value), "value_max": None, "unit": m.group("unit")}))
    return out


@dataclass(frozen=True)
class _ParagraphWords:
    """What `_read_matches` looks up in the vocabulary, gathered once (it runs for every line)."""

    has_baseline: Callable[[str], Any]
    has_not_before: Callable[[str], Any]
    has_param_word: Callable[[str], Any]
    has_param_cap: Callable[[str], Any]
    parameter_patterns: tuple[re.Pattern[str], ...]
    recurring: tuple[str, ...]
    subsidy_words: tuple[str, ...]
    name_before: frozenset[str]
    name_after: frozenset[str]
    duration_words: tuple[str, ...]
    level_words: tuple[str, ...]
    lone_verbs: tuple[str, ...]
    clause_qualifiers: tuple[tuple[str, str], ...]  # (word, the qualifier it stands for)
    magnitudes: tuple[str, ...]
    currency_units: tuple[str, ...]
    breakthrough_words: tuple[str, ...]
    amount_verbs: tuple[str, ...]
    bare_value_cover: tuple[str, ...]  # _cover of the words a bare value follows
    bare_value_words: tuple[str, ...]
    breakthrough_cover: tuple[str, ...]  # _cover of breakthrough_words
    parameter_pattern: re.Pattern[str]  # any of parameter_patterns
    clause_qualifier_cover: tuple[str, ...]
    recurring_cover: tuple[str, ...]
    # unit -> (money, a count, a rate), of the unit without its magnitude: a few dozen distinct units
    unit_kinds: dict[str, tuple[bool, bool, bool]]


def _paragraph_words(vocab: Vocabulary) -> _ParagraphWords:
    got = vocab.memo.get("paragraph_words")
    if got is None:
        got = vocab.memo["paragraph_words"] = _ParagraphWords(
            # "any of the words in the text" as one scan of a pattern (the same answer as a test per word)
            has_baseline=_finder(vocab.words("baseline_markers")),
            has_not_before=_finder(vocab.words("not_target_before")),
            has_param_word=_finder(vocab.words("parameter_words")),
            has_param_cap=_finder(vocab.words("parameter_cap_words")),
            parameter_patterns=tuple(vocab.parameter_patterns),
            recurring=vocab.words("recurring_markers"),
            subsidy_words=vocab.words("subsidy_words"),
            name_before=_word_set("name_chars_before"),
            name_after=_word_set("name_chars_after"),
            duration_words=vocab.words("duration_words"),
            level_words=vocab.words("level_words"),
            lone_verbs=vocab.words("lone_verbs"),
            clause_qualifiers=tuple((w, vocab.qual_before.get(w, w)) for w in vocab.words("clause_qualifiers")),
            magnitudes=_longest_first(tuple(vocab.magnitudes)),
            currency_units=tuple(vocab.currency_units),
            breakthrough_words=vocab.words("breakthrough_words"),
            amount_verbs=tuple({*vocab.words("enumeration_verbs"), *vocab.qual_before}),
            bare_value_cover=_cover(vocab.words("bare_value_qualifiers")),
            bare_value_words=vocab.words("bare_value_qualifiers"),
            breakthrough_cover=_cover(vocab.words("breakthrough_words")),
            parameter_pattern=re.compile("|".join(f"(?:{p.pattern})" for p in vocab.parameter_patterns) or "(?!)"),
            clause_qualifier_cover=_cover(vocab.words("clause_qualifiers")),
            recurring_cover=_cover(vocab.words("recurring_markers")),
            unit_kinds={},
        )
    return got


def _unit_kind(unit: str, magnitudes: tuple[str, ...], currency_units: tuple[str, ...],
               count_units: set[str]) -> tuple[bool, bool, bool]:
    """Whether a value's unit, without its magnitude (万家 -> 家), is money, a count, a rate."""
    base_unit = unit
    for mag in magnitudes:
        if base_unit.startswith(mag) and len(base_unit) > len(mag):
            base_unit = base_unit[len(mag):]
            break
    return base_unit.endswith(currency_units), base_unit in count_units, base_unit in ("%", "‰")


def _strict_number(token: str) -> bool:
    """_STRICT_NUMBER.fullmatch(token) for a token of the number patterns (digits, . , O o): one made
    of digits alone needs no pattern."""
    if "." not in token and "," not in token and "O" not in token and "o" not in token:
        return True
    return _STRICT_NUMBER.fullmatch(token) is not None


def _after_bare_value_word(para: str, digit_starts: list[int], bare_words: tuple[str, ...]) -> bool:
    """Whether a run of digits follows one of the words of a bare value (降到, 控制在 …), spaces
    between allowed: what `vocab.bare_value` needs, looked at only where its value can start (a
    digit not after a digit), instead of its scan of the whole paragraph."""
    for at in digit_starts:
        while at and para[at - 1].isspace():
            at -= 1
        if para.endswith(bare_words, 0, at):
            return True
    return False


def _paragraph_matches(para: str, vocab: Vocabulary, words: _ParagraphWords,
                       digit_starts: list[int] | None = None) -> list[tuple[int, int, dict[str, Any]]]:
    """The values of a paragraph, in order: (start, end, the value's parts). `digit_starts`: where
    the paragraph's runs of digits start, if known (a number starts at a digit not after a digit)."""
    if digit_starts is None:
        has_digit = _DIGIT.search(para) is not None
        numbers: Any = vocab.number_unit.finditer(para) if has_digit else ()
    else:
        has_digit = bool(digit_starts)
        numbers = _matches_at(vocab.number_unit, para, digit_starts) if has_digit else ()
    matches = [(m.start(), m.end(), m.groupdict()) for m in numbers] if has_digit else []
    # each kind comes in order: the list is sorted only when a second kind adds to it
    mixed = False
    first = vocab.chinese_amount.search(para)
    amounts = _chinese_amounts(para, vocab, first.start()) if first is not None else None
    if amounts:
        mixed = bool(matches)
        matches.extend(amounts)
    # "PUE降到1.3以下": a unitless value after 降到/控制在
    if has_digit and _has_any(para, words.bare_value_cover) and (
            digit_starts is None or _after_bare_value_word(para, digit_starts, words.bare_value_words)):
        bare = [(m.start("value"), m.end("value"), {"value": m.group("value"), "value_max": None, "unit": ""})
                for m in vocab.bare_value.finditer(para)]
        if bare:
            mixed = mixed or bool(matches)
            matches.extend(bare)
    if _has_any(para, words.breakthrough_cover):
        for w in words.breakthrough_words:
            if w in para:
                mixed = True
                for m in re.finditer(re.escape(w), para):
                    matches.append((m.start(), m.end(), {"value": "1", "value_max": None, "unit": "",
                                                         "breakthrough": w}))
    if mixed:
        matches.sort(key=_first)
    return matches


def _read_matches(para: str, matches: list[tuple[int, int, dict[str, Any]]], base: int, events: list[_Event],
                  fallback: int | None, period: tuple[int, int] | None, vocab: Vocabulary, found: Finding,
                  row: bool = False, marker: re.Match[str] | bool | None = True) -> None:
    """The targets of a paragraph's values. `marker` is the paragraph's HEADING match if the
    caller has it (True: look it up)."""
    words = _paragraph_words(vocab)
    last_in_sentence: dict[int, RawTarget] = {}
    has_baseline = words.has_baseline
    has_not_before = words.has_not_before
    has_param_word = words.has_param_word
    has_param_cap = words.has_param_cap
    recurring = words.recurring
    subsidy_words = words.subsidy_words
    name_before = words.name_before
    name_after = words.name_after
    duration_words = words.duration_words
    level_words = words.level_words
    lone_verbs = words.lone_verbs
    magnitudes = words.magnitudes
    currency_units = words.currency_units
    has_param_pattern = words.parameter_pattern.search
    unit_kinds = words.unit_kinds
    ctx = _Para(para, events)
    starts = [s for s, _e, _g in matches]
    paired = _respective_years(ctx, matches, starts, period)
    named = _respective_indicators(ctx, matches, starts, vocab)
    # the parenthesis open at a value: in a short paragraph the nearest ones before it tell, unless a
    # parenthesis closes after the last one that opens (then, as in a long paragraph, all are walked)
    has_paren = _has_paren(para)
    short = len(para) <= _SHORT_PARAGRAPH
    open_at = _open_parens(para, starts) if has_paren and not short else None
    titles = [(m.start(), m.end()) for m in _BOOK_TITLE.finditer(para)] if "《" in para else []
    title_starts = [a for a, _ in titles]
    if marker is True:
        marker = HEADING.match(para)
    marker_end = marker.end() if marker else 0  # "1．高新技术企业达到500家": not part of the indicator
    prev_after = -1
    last_target: RawTarget | None = None
    for start, end, g in matches:
        s_start, s_end = ctx.sentence(start)
        prev_target = last_in_sentence.get(s_start)
        # inside a parenthesis: only "（其中国家级3家）"-style asides count, never baselines or notes
        if not has_paren:
            paren = None
        elif open_at is not None:
            paren = open_at[start]
        else:
            paren = max(para.rfind("（", 0, start), para.rfind("(", 0, start))
            if paren < 0:
                paren = None
            elif paren < max(para.rfind("）", 0, start), para.rfind(")", 0, start)):
                open_at = _open_parens(para, starts)
                paren = open_at[start]
        if paren is not None:
            inner = para[max(paren + 1, start - _WINDOW): start]
            if has_baseline(inner) or not inner.strip():
                continue
        prev1 = para[start - 1: start] if start else ""
        if prev1 in name_before or para[end: end + 1] in name_after:
            continue  # part of a name or a ratio: 第3届, 1+N, 5·12, 3/4
        if para[end: end + 1].isascii() and para[end: end + 1].isalnum():
            continue
        if _in_short_quote(para, start, end):
            continue
        t_i = bisect_right(title_starts, start) - 1
        if t_i >= 0 and start < titles[t_i][1]:
            continue  # inside a cited document's title: 《关于支持100家企业…》
        # the clause (to a comma) and the clause to a comma or 、: the same unless the scan stopped at a 、
        i_start = _clause_start(para, start, _CLAUSE_BOUNDARY)
        c_start = _clause_start(para, start, _COMMA_BOUNDARY) if i_start and para[i_start - 1] == "、" else i_start
        c_start = max(c_start, marker_end)
        i_start = max(i_start, marker_end)
        c_end = _clause_end(para, end, _COMMA_BOUNDARY)
        comma_clause = para[c_start:start]
        if "（" in comma_clause or "(" in comma_clause:
            comma_clause = _PARENS.sub("", comma_clause)
        whole_clause = para[c_start:c_end]
        unit = g["unit"]
        kind = unit_kinds.get(unit)
        if kind is None:
            kind = unit_kinds[unit] = _unit_kind(unit, magnitudes, currency_units, vocab.count_units)
        is_money, is_count, is_rate = kind
        if has_baseline(comma_clause):
            continue
        if is_money and has_not_before(comma_clause):
            continue  # "给予奖补30万元": a subsidy, not a target
        # subsidy rates and ceilings are policy parameters: "按投资额30%的比例给予奖补", "最高500万元"
        if has_param_word(whole_clause) or has_param_pattern(whole_clause) is not None:
            continue
        if (is_money or is_rate) and has_param_cap(whole_clause) and any(
                w in para[max(s_start, start - _WINDOW): min(s_end, end + _WINDOW)] for w in subsidy_words):
            continue
        if ("breakthrough" not in g and not _strict_number(g["value"])) or (
                g["value_max"] and not _strict_number(g["value_max"])):
            found.warnings.append((base + start, f"number “{para[start:end]}” does not parse; skipped"))
            continue
        # qualifiers after the unit: 以上, 左右, 内
        after = end
        qa = vocab.qual_after_re.match(para, after)
        if qa:
            quals_after = [vocab.qual_after[qa.group()]]
            after = qa.end()
        else:
            quals_after = []
        nxt = para[after: after + 1]
        if para.startswith(duration_words, after):
            continue  # "3个月内", "5个工作日": a time limit
        if nxt == "的" and para[after + 1: after + 3] not in ("目标", "水平"):
            continue  # "产值超500亿元的产业集群": a modifier
        follows_noun = bool(_CJK.match(nxt)) and nxt not in "的" and not (
            nxt in _CONJUNCTIONS and para[after + 1: after + 2].isdigit())  # "150家和200家"
        if follows_noun and not is_count and para[after: after + 2] not in ("目标",) and "breakthrough" not in g:
            continue  # "主营业务收入5亿元以上企业": an amount describing what follows
        # the indicator
        if prev_target is not None and i_start < prev_after <= start:
            i_start = prev_after  # "100家、150家和200家": what follows the last value
            while i_start < start and para[i_start] in _CONJUNCTIONS:
                i_start += 1
        before = para[i_start:start]
        before_stripped, quals_before = _strip_qualifiers(before, vocab)
        indicator, ind_offset = _clean_indicator(before_stripped, vocab)
        ind_start = i_start + ind_offset
        if not indicator and i_start > 0 and para[i_start - 1] in "：:" and not follows_noun:
            # "研发投入强度：2.5%", "——高新技术企业：500家": the indicator before the colon
            l_start = max(_clause_start(para, i_start - 1, _CLAUSE_BOUNDARY), marker_end)
            label, _quals = _strip_qualifiers(para[l_start: i_start - 1], vocab)
            indicator, ind_offset = _clean_indicator(label, vocab)
            ind_start = l_start + ind_offset
        ind_end = ind_start + len(indicator)
        if "breakthrough" in g:
            indicator = re.split(r"[和及与]", indicator)[-1] if indicator else indicator
            indicator = _strip_prefixes(indicator, ["实现", *vocab.words("indicator_strip_prefixes")])
            indicator = indicator.removesuffix("实现")
            ind_start, ind_end = start - len(indicator), start
            quals_before.append("突破")
        elif follows_noun and is_count and (not indicator or indicator in level_words
                                            or indicator in lone_verbs
                                            or before_stripped.endswith(vocab.verb_endings)
                                            or before_stripped.endswith("等")):
            # "建成1家省技术创新中心": the indicator follows the number
            if para[start - 1: start] == "等" and not _enumeration_verb(para[max(s_start, start - _WINDOW):start],
                                                                         vocab):
                continue
            c_end2 = _clause_end(para, after, _CLAUSE_BOUNDARY)
            indicator = para[after:c_end2].rstrip("等")
            ind_start, ind_end = after, after + len(indicator)
        elif follows_noun:
            continue  # "培育…1000家企业…" with an indicator on both sides: unclear
        if start in named:
            indicator = named[start]
            found_at = para.find(indicator, max(s_start, start - _WINDOW), start)
            if found_at >= 0:
                ind_start, ind_end = found_at, found_at + len(indicator)
        if indicator.startswith("占"):
            subject = (prev_target.indicator if prev_target is not None
                       else _previous_subject(para, s_start, i_start, vocab))
            indicator = subject + indicator
        if (not indicator or indicator in level_words) and prev_target is not None:
            indicator = _complete_elliptical(indicator, prev_target.indicator, vocab)
        elif not indicator and last_target is not None and not before_stripped.strip("，,；;：: "):
            indicator = last_target.indicator  # "2023年，达到500家；2024年，达到600家": the same indicator
            ind_start = ind_end = i_start
        if not indicator or len(indicator) < 2:
            continue
        # qualifiers from the clause ("力争到2025年，…", "保底100家")
        # an opening clause without a value ("力争到2025年，…") qualifies the whole sentence
        head_end = min(ctx.first_comma(s_start, start), s_start + _WINDOW)
        k = bisect_left(starts, s_start)
        head = para[s_start:head_end] if not (k < len(starts) and starts[k] < head_end) else ""
        scope = comma_clause + "|" + head
        if _has_any(scope, words.clause_qualifier_cover):
            for w, q in words.clause_qualifiers:
                if w in scope and not any(q in x for x in quals_before):
                    quals_before.append(q)
        if quals_after or len(quals_before) > 1:
            qualifier = "|".join(dict.fromkeys(q for q in [*quals_before, *quals_after] if q))
        else:
            qualifier = quals_before[0] if quals_before else ""
        # the year; a quota "每年…" (earlier in the sentence, no year written since) recurs
        own_year = ctx.has_event(c_start, start)
        window = para[max(s_start, start - _WINDOW): start]
        last_marker = max([window.rfind(w) for w in recurring]) if _has_any(window, words.recurring_cover) else -1
        marker_at = max(s_start, start - _WINDOW) + last_marker
        recurrence = ""
        # "每年培训农民1000人次，选派特派员100名": a quota clause makes the clauses after it quotas too
        # ("每年举办一次大赛，培育企业500家" does not: its 每年 clause states no amount)
        quota_clause = last_marker >= 0 and not ctx.has_event(marker_at, start) and bool(
            _values_after(matches, starts, marker_at, _clause_end(para, marker_at, _COMMA_BOUNDARY)))
        short_head = head if len(head) <= 6 else ""  # "每年，…" / "力争每年，…" heads the sentence
        if not own_year and (quota_clause or (_has_any(comma_clause + "|" + short_head, words.recurring_cover)
                                              and any(w in comma_clause + "|" + short_head for w in recurring))):
            year = None
            recurrence = "annual"
        else:
            in_sentence = ctx.last_event(start, s_start)
            earlier = ctx.last_event(start)
            if start in paired:
                year = paired[start]
            elif in_sentence is not None:
                if in_sentence.year is None:
                    continue  # the sentence's year is out of range (warned)
                year = in_sentence.year
            elif earlier is not None and earlier.year is not None:
                year = earlier.year
            elif row and ctx.has_event(end, len(para)):
                later = ctx.events[bisect_left(ctx.event_pos, end)]  # the row's 完成时限 cell
                if later.year is None:
                    continue
                year = later.year
            else:
                year = fallback
            if year is not None and period and year < period[0]:
                continue  # a year before the plan: a baseline
        if not recurrence and "每年" in qualifier:
            qualifier = "|".join(q for q in qualifier.split("|") if q != "每年")
        value = _number(g["value"])
        vmax = _number(g["value_max"]) if g["value_max"] else None
        if value is None:
            continue
        q_start = min(i_start, ind_start) if ind_start >= 0 else i_start
        q_end = max(after, ind_end)
        target = RawTarget(indicator=indicator, unit=unit, value=value, year=year, start=base + q_start,
                           end=base + q_end, value_max=vmax, qualifier=qualifier, source="text",
                           ind_start=base + ind_start, ind_end=base + ind_end, recurrence=recurrence)
        found.targets.append(target)
        last_in_sentence[s_start] = target
        last_target = target
        prev_after = after


_CONJUNCTIONS = "和及与或、"


def _first(match: tuple[int, int, dict[str, Any]]) -> int:
    return match[0]
_RESPECTIVE_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")


def _values_after(matches: list[tuple[int, int, dict[str, Any]]], starts: list[int], start: int,
                  end: int) -> list[int]:
    lo, hi = bisect_left(starts, start), bisect_left(starts, end)
    return [s for s, _e, g in matches[lo:hi] if "breakthrough" not in g]


def _respective_years(ctx: _Para, matches: list[tuple[int, int, dict[str, Any]]], starts: list[int],
                      period: tuple[int, int] | None) -> dict[int, int]:
    """"2023年、2025年分别达到100家、150家": the n-th value belongs to the n-th year."""
    para = ctx.text
    paired: dict[int, int] = {}
    if "分别" not in para:
        return paired
    for m in re.finditer("分别", para):
        s_start, s_end = ctx.sentence(m.start())
        lo = max(s_start, m.start() - _WINDOW)
        years = [int(y.group(1)) for y in _RESPECTIVE_YEAR.finditer(para, lo, m.start())]
        values = _values_after(matches, starts, m.end(), min(s_end, m.end() + _WINDOW))
        if len(years) >= 2 and len(years) == len(values) and all(year_in_range(y, period) for y in years):
            paired.update(zip(values, years))
    return paired


def _respective_indicators(ctx: _Para, matches: list[tuple[int, int, dict[str, Any]]], starts: list[int],
                           vocab: Vocabulary) -> dict[int, str]:
    """"高新技术企业和科技型中小企业分别达到500家和1000家": the n-th value, the n-th indicator."""
    para = ctx.text
    named: dict[int, str] = {}
    if "分别" not in para:
        return named
    for m in re.finditer("分别", para):
        s_start, s_end = ctx.sentence(m.start())
        c_start = _clause_start(para, m.start(), _COMMA_BOUNDARY)
        subject, _ = _clean_indicator(para[max(s_start, c_start): m.start()], vocab)
        names = [x for x in re.split(r"[和及与、]|以及", subject) if x]
        values = _values_after(matches, starts, m.end(), min(s_end, m.end() + _WINDOW))
        if len(names) >= 2 and len(names) == len(values):
            named.update(zip(values, names))
    return named


def _previous_subject(para: str, s_start: int, clause_start: int, vocab: Vocabulary) -> str:
    """The subject of the clause before ("全社会研发投入实现翻一番，占…比例提高到1.5%")."""
    if clause_start <= s_start + 1:
        return ""
    prev_start = max(_clause_start(para, clause_start - 1, _CLAUSE_BOUNDARY), s_start)
    clause = para[prev_start: clause_start - 1]
    ends = [clause.find(w) for w in vocab.words("subject_end_words") if w in clause]
    subject = clause[: min(ends)] if ends else ""
    cleaned, _ = _clean_indicator(subject, vocab)
    return cleaned


def _strip_qualifiers(before: str, vocab: Vocabulary) -> tuple[str, list[str]]:
    """Qualifier words between the indicator and the number: "达到", "超", "累计达", "不少于"."""
    text, quals = _qualifiers_stripped(before, vocab)
    return text, list(quals)


@_per_text
def _qualifiers_stripped(before: str, vocab: Vocabulary) -> tuple[str, tuple[str, ...]]:
    quals: list[str] = []
    keys = vocab.qual_before
    lengths = vocab.memo.get("qual_before_lengths")
    if lengths is None:
        lengths = vocab.memo["qual_before_lengths"] = _by_length(tuple(keys))[1]
    text = before.rstrip()
    while True:
        # the longest qualifier that ends the text
        size = len(text)
        k = next((text[size - n:] for n in lengths if n <= size and text[size - n:] in keys), None)
        if k is None:
            break
        quals.append(keys[k])
        text = text[: -len(k)].rstrip()
    return text, tuple(reversed(quals))


_PARENS = re.compile(r"[（(][^（）()]*[）)]")
_YEAR_PHRASE = re.compile(
    r"^(?:(?:力争|争取|确保|计划)?(?:到|至|在|于|截至)?\s*\d{4}\s*年(?:末|底)?(?:前|内|以前)?[，,]?)")


_TRAILING_YEAR = re.compile(r"(?:到|至|在|于)?\d{4}\s*年(?:末|底)?(?:前)?$")  # "高新技术企业2023年"
_FROM_BASE = re.compile(r"(?:由|从)\s*\d[\d.,]*\s*[^\d\s，。；]{0,6}$")  # "数控化率由55%提高到68%": the base
_COMPARED_WITH = re.compile(r"(?:比|较|相比|与)\d{4}\s*年(?:末|底)?(?:相比)?")


@_per_text
def _clean_indicator(text: str, vocab: Vocabulary) -> tuple[str, int]:
    """The indicator in the text before a number; returns it and its offset in `text`."""
    offset = 0
    original = text
    period_names = vocab.memo.get("period_name_heads")
    if period_names is None:
        period_names = vocab.memo["period_name_heads"] = [
            (name, re.compile(rf"^[“\"]?{name}[”\"]?(?:期间|时期|末)?[，,]?")) for name in vocab.raw["period_names"]]
    horizon = vocab.words("horizon_words")
    strip_prefixes = vocab.words("indicator_strip_prefixes")
    while True:
        before = text
        m = _YEAR_PHRASE.match(text)
        if m:
            text = text[m.end():]
        for name, head in period_names:
            if name in text[: len(name) + 1]:  # the pattern needs the name at 0 or after a quote
                m2 = head.match(text)
                if m2:
                    text = text[m2.end():]
        if text.startswith(horizon):
            for w in horizon:
                if text.startswith(w):
                    text = text[len(w):]
        text = _strip_prefixes(text, strip_prefixes, keep_one=False)
        if text == before:
            break
    if "等" in text[:-1]:
        text = text[text.rindex("等") + 1:]
    text = text.strip(" ，,、").removesuffix("的").lstrip("—－-•·●○■□◆◇★☆*> ")
    offset = original.find(text) if text else len(original)
    # "研发经费比2020年增长50%", "高新技术企业2023年达到…": a year is not part of the indicator
    text = _FROM_BASE.sub("", _TRAILING_YEAR.sub("", _COMPARED_WITH.sub("", text)))
    for w in vocab.words("indicator_drop_words"):
        # "园区拥有高新技术企业" -> "园区高新技术企业", but 拥有量 stays
        if w in text:
            text = text[:1] + re.sub(rf"{re.escape(w)}(?![量率])", "", text[1:])
    return text, max(0, offset)


def _enumeration_verb(sentence: str, vocab: Vocabulary) -> bool:
    return any(v in sentence for v in vocab.words("enumeration_verbs"))


def _complete_elliptical(indicator: str, previous: str, vocab: Vocabulary) -> str:
    """"国家级2—3家" after "科技企业孵化器省级8家": the previous indicator with this level."""
    levels = sorted([*vocab.words("level_words"), "国家", "省", "市"], key=len, reverse=True)
    key = indicator_key(previous, vocab)
    for lv in levels:
        if key.startswith(lv):
            key = key[len(lv):]
            break
    return indicator + key if indicator else previous


# --- the document -------------------------------------------------------------------------------


def _dedup_key(t: RawTarget) -> tuple[Any, ...]:
    return (t.year, t.value, t.value_max)


@lru_cache(maxsize=4096)
def _comparable_key(indicator: str) -> str:
    vocab = vocabulary()
    return _strip_prefixes(indicator_key(indicator, vocab), vocab.words("increment_markers"))


def _same_indicator(a: str, b: str) -> bool:
    if a == b:
        return True
    vocab = vocabulary()
    ka, kb = _comparable_key(a), _comparable_key(b)
    if canonical_indicator(ka, vocab) == canonical_indicator(kb, vocab):
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 4 and short in long_


def drop_repeats(targets: list[RawTarget]) -> list[RawTarget]:
    """Text targets that restate an earlier text target (same year and value, same indicator)
    are dropped; table rows and the text that repeats them are both kept."""
    kept: list[RawTarget] = []
    by_key: dict[tuple[Any, ...], list[RawTarget]] = {}
    for t in targets:
        if t.source == "text":
            same = by_key.setdefault(_dedup_key(t), [])
            if any(_same_indicator(k.indicator, t.indicator) for k in same):
                continue
            same.append(t)
        kept.append(t)
    return kept


_TITLE_YEAR = re.compile(r"(?<![\d—–\-~～至到])((?:19|20)\d{2})\s*年(?!\s*[—–\-~～至到])")
_TITLE_RANGE = re.compile(r"(?:19|20)\d{2}\s*年?\s*[—–\-~～至到]+\s*(?:19|20)\d{2}")


def plan_period(doc: PolicyDocument) -> tuple[int, int] | None:
    """The plan's period; for an annual plan whose metadata has none ("…2024年工作要点"), the one
    year of its title."""
    meta = doc.meta
    title = meta.title if meta else ""
    years = {int(y) for y in _TITLE_YEAR.findall(title or "")}
    annual = (len(years) == 1 and not _TITLE_RANGE.search(title)
              and any(w in title for w in vocabulary().words("annual_plan_words")))
    # a period the manifest gives stands; one inferred from the text (a cited “十四五” plan) does not
    # outweigh the one year of an annual plan's title
    if meta and meta.period and not (annual and "period" in meta.inferred):
        return meta.period
    if annual:
        year = years.pop()
        return (year, year)
    if meta and meta.period:
        return meta.period
    # "…国民经济和社会发展第十四个五年规划…纲要", "…“十四五”规划": the five years the title names
    names = {**vocabulary().raw["period_names"], **vocabulary().raw["five_year_title_names"]}
    named = [end for name, end in names.items() if name in (title or "")]
    return (named[0] - 4, named[0]) if len(set(named)) == 1 else None


class _Lines:
    """Line and column of an offset in the original text, by bisection."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []  # built at the first look-up: most documents warn of nothing

    def position(self, offset: int) -> str:
        if not self.starts:
            self.starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        i = bisect_right(self.starts, offset) - 1
        return f"line {i + 1}, column {offset - self.starts[i] + 1}"


def _task_at(tasks: list[Any], task_starts: list[int], offset: int) -> str:
    """The smallest task whose paragraph holds offset ("" outside tasks)."""
    i = bisect_right(task_starts, offset) - 1
    best = None
    for t in tasks[max(0, i - 8): i + 1]:  # tasks are paragraphs: only the nearest few can hold it
        if t.span.start <= offset < t.span.end and (best is None or t.span.end - t.span.start
                                                     < best.span.end - best.span.start):
            best = t
    return best.path if best is not None else ""


def extract_targets(doc: PolicyDocument) -> list[Target]:
    """All quantitative targets of a document; problems go to doc.warn with their position."""
    vocab = vocabulary()
    text = doc.text
    period = plan_period(doc)
    digit_runs = _digit_runs(text)  # one scan of the text for both readers
    tables = find_table_targets(text, period, digit_runs)
    prose = find_text_targets(text, period, tables.regions, digit_runs)
    lines = _Lines(doc.original)
    problems = tables.warnings + prose.warnings
    for offset, message in problems[:_MAX_WARNINGS]:
        doc.warn(f"{lines.position(doc.offsets[min(offset, len(text))])}: {message}")
    if len(problems) > _MAX_WARNINGS:
        doc.warn(f"{len(problems) - _MAX_WARNINGS} more target warnings not shown")
    raws = tables.targets + drop_repeats(prose.targets)
    tasks = sorted(doc.tasks, key=lambda t: t.span.start)
    task_starts = [t.span.start for t in tasks]
    out: list[Target] = []
    # a table row gives a target per year column, all with the row's label: its span, task and
    # indicator are looked up once (spans are frozen, so the targets may share one)
    where: dict[tuple[int, int], tuple[Span, str]] = {}
    names: dict[str, tuple[str, str]] = {}
    for r in raws:
        got = where.get((r.start, r.end))
        if got is None:
            span = doc.span(r.start, r.end)
            got = where[(r.start, r.end)] = (span, _task_at(tasks, task_starts, span.start))
        span, task_path = got
        name = names.get(r.indicator)
        if name is None:
            canonical = canonical_indicator(r.indicator, vocab)
            name = names[r.indicator] = (f"ind:{canonical}", canonical)
        out.append(Target(indicator=r.indicator, indicator_id=name[0], indicator_name=name[1],
                          unit=r.unit, year=r.year, value=r.value, span=span, value_max=r.value_max,
                          qualifier=r.qualifier, source="table" if r.source == "table" else "text",
                          task_path=task_path, recurrence=r.recurrence))
    return out


_MAX_WARNINGS = 200  # a garbage file must not bury the build's output in warnings
