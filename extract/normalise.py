"""Normalisation: original text -> the text the stages read, with an offset map back.

Each step is a small named function over a `MappedText` (text plus, for every character, the
index of the original character it came from), so any span found in the normalised text can
be cited in the original file. Steps, in order:

  strip_markup        HTML tags, scripts, entities (only for .html sources)
  unify_characters    CR/LF, zero-width and odd spaces, full-width digits and letters
  remove_pinyin       ruby annotations flattened into the text: 人(rén) -> 人
  remove_page_markers PDF page numbers on their own line: "- 1 -", "第 3 页"
  collapse_repeats    headings a PDF printed several times: 1.1.1.1.打造打造打造打造 -> 1.打造
  tidy_whitespace     strip lines; drop spaces next to CJK (kept between numbers in table rows)
  join_broken_lines   lines a PDF broke mid-sentence or mid-name, and open parentheses
  unify_punctuation   half-width ( ) : , ; -> full-width where they are prose punctuation
  to_simplified       Traditional -> Simplified (opencc t2s); the form before is kept as display
"""

from __future__ import annotations

import html
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress, count, pairwise
from operator import add

CJK = r"\u3400-\u9fff\uf900-\ufaff"
FULLWIDTH_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】〔〕…—·「」『』"
_CJK_CHAR = re.compile(f"[{CJK}]")


@dataclass
class MappedText:
    """Text whose every character remembers its index in the original (offs[i]); offs has one
    extra entry, the end of the original. offs is a compact int array: slicing and extending
    it copies memory, not Python ints."""

    text: str
    offs: array[int]

    @classmethod
    def of(cls, original: str) -> MappedText:
        return cls(original, _identity(len(original) + 1))

    def apply(self, edits: Iterable[tuple[int, int, str]]) -> MappedText:
        """Replace text[start:end] by repl for each (non-overlapping, sorted) edit. Replacement
        characters map to the originals they replace: one to one when lengths match or the
        replacement is a prefix of what it replaces, else all to the first replaced one."""
        text, src = self.text, self.offs
        out: list[str] = []
        # the offsets kept, as views of src's memory joined once (slicing the array would copy
        # each piece, and growing the result copy it again)
        view = memoryview(src)
        kept: list[memoryview | array[int]] = []
        pos = 0
        for start, end, repl in edits:
            if start < pos:
                continue  # overlapping edit: first one wins
            out.append(text[pos:start])
            kept.append(view[pos:start])
            if repl:
                if len(repl) == end - start or text.startswith(repl, start, end):
                    kept.append(view[start : start + len(repl)])
                else:
                    kept.append(array("l", [src[start]]) * len(repl))
                out.append(repl)
            pos = end
        out.append(text[pos:])
        kept.append(view[pos:])
        offs = array("l")
        offs.frombytes(b"".join(kept))
        return MappedText("".join(out), offs)

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> MappedText:
        fn = repl if callable(repl) else (lambda m, r=repl: m.expand(r))
        edits = [(m.start(), m.end(), fn(m)) for m in pattern.finditer(self.text)]
        return self.apply(e for e in edits if e[2] != self.text[e[0] : e[1]]) if edits else self


_IDENTITIES: list[array[int]] = [array("l")]


def _identity(n: int) -> array[int]:
    """array('l', range(n)), sliced from one kept for the largest text so far (building an array
    from a range costs a Python int per entry)."""
    if n > len(_IDENTITIES[0]):
        _IDENTITIES[0] = array("l", range(max(n, 2 * len(_IDENTITIES[0]), 1 << 16)))
    return _IDENTITIES[0][:n]


# --- markup -------------------------------------------------------------------------------

_HTML_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_HTML_BLOCK = re.compile(r"<\s*/?\s*(p|div|br|li|tr|h[1-6]|table|section|article|ul|ol|title)\b[^>]*>", re.I)
_HTML_CELL = re.compile(r"<\s*/?\s*t[dh]\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


_HTML_TABLE = re.compile(r"<\s*table\b.*?<\s*/\s*table\s*>", re.S | re.I)
_HTML_CELL_BLOCK = re.compile(r"<\s*/?\s*(p|div|br|li|ul|ol|span|h[1-6])\b[^>]*>", re.I)
_HTML_CELL_OPEN = re.compile(r"<\s*t[dh]\b[^>]*>", re.I)


_TAG_OR_SPACE = re.compile(r"<[^>]*>|\s+|&nbsp;")
_CELL_LINE_END = set("。；！？，、：:;,.!?）)》”")
_CELL_END = re.compile(r"\s*(?:<\s*/?\s*(?:p|div|br|li|ul|ol|span|h[1-6])\b[^>]*>\s*)*<\s*/?\s*t[dhr]\b", re.I)


def _next_text(text: str, pos: int, end: int) -> bool:
    """More words follow in the same cell (not only tags up to the cell's end)."""
    return not _CELL_END.match(text, pos, end)


def _flatten_table_cells(t: MappedText) -> MappedText:
    """Inside an HTML table, paragraphs and line breaks within a cell do not end the row:
    each <tr> becomes one line of tab-separated cells (the form task tables are read in)."""
    edits: list[tuple[int, int, str]] = []
    for table in _HTML_TABLE.finditer(t.text):
        for m in _HTML_CELL_BLOCK.finditer(t.text, table.start(), table.end()):
            # a line break inside a cell after words with no punctuation separates what the cell
            # lists ("市发展改革委<br>市工信局"): 、, as a list in a cell is written
            before = _TAG_OR_SPACE.sub("", t.text[max(table.start(), m.start() - 120) : m.start()])
            ends_item = m.group(0).startswith("</") or m.group(1).lower() == "br"
            listed = ends_item and before and before[-1] not in _CELL_LINE_END
            edits.append((m.start(), m.end(), "、" if listed and _next_text(t.text, m.end(), table.end()) else ""))
        # a cell opens with nothing and closes with a tab: "序号\t重点任务\t…"
        for m in _HTML_CELL_OPEN.finditer(t.text, table.start(), table.end()):
            edits.append((m.start(), m.end(), ""))
    return t.apply(sorted(edits)) if edits else t


def strip_markup(t: MappedText) -> MappedText:
    t = t.sub(_HTML_DROP, "")
    t = _flatten_table_cells(t)
    t = t.sub(_HTML_BLOCK, "\n")
    t = t.sub(_HTML_CELL, "\t")
    t = t.sub(_HTML_TAG, "")
    return t.sub(_HTML_ENTITY, lambda m: html.unescape(m.group(0)))


# --- characters ---------------------------------------------------------------------------

_NEWLINES = "\r\u2028\u2029\x0b\x0c"  # and \r\n: line breaks -> \n
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # dropped
_ODD_SPACE = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# ２０２２ -> 2022, ％ -> %, ． -> . (same length, offsets stay one to one)
_FULLWIDTH_ALNUM = "".join(chr(c) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B),
                                            0xFF05, 0xFF0E, 0xFF0B, 0xFF0D])
_UNIFIED = {"\r\n": "\n"} | dict.fromkeys(_NEWLINES, "\n") | dict.fromkeys(_ZERO_WIDTH, "") \
    | dict.fromkeys(_ODD_SPACE, " ") | {c: chr(ord(c) - 0xFEE0) for c in _FULLWIDTH_ALNUM}
# one scan for all of them: none of them makes another (each replacement is a plain character)
_ODD_CHARACTER = re.compile(f"[{re.escape(''.join(k for k in _UNIFIED if len(k) == 1))}](?:(?<=\r)\n)?")


def unify_characters(t: MappedText) -> MappedText:
    found = set(_ODD_CHARACTER.findall(t.text))
    if not found:
        return t
    # most texts hold a few of the characters made one for one (．, －, odd spaces): each is
    # replaced all at once (in C), the offsets as they are; line breaks as \r\n and zero-width
    # characters change the length, and are edits
    if all(len(_UNIFIED[odd]) == len(odd) for odd in found):
        text = t.text
        for odd in found:
            text = text.replace(odd, _UNIFIED[odd])
        return MappedText(text, t.offs)
    return t.sub(_ODD_CHARACTER, lambda m: _UNIFIED[m.group()])


# Ruby pinyin flattened after a character: 人(rén), 的(de), 區(qū). Lower-case Latin with
# tone marks, right after a CJK character; (R&D), (GDP), (A類) are left alone. The bracket comes
# first and the look-behind after it: the same matches, 3x faster (a scan for the bracket).
_PINYIN = re.compile(
    rf"[(（](?<=[{CJK}][(（])[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ]{{1,7}}[)）]"
)


def remove_pinyin(t: MappedText) -> MappedText:
    # tried only at the brackets, found by str.find (what _PINYIN.finditer finds: a match holds
    # no other opening bracket)
    text = t.text
    edits: list[tuple[int, int, str]] = []
    for at in sorted(i for bracket in "(（" for i in _finds(bracket, text)):
        if edits and at < edits[-1][1]:
            continue
        m = _PINYIN.match(text, at)
        if m is not None:
            edits.append((at, m.end(), ""))
    return t.apply(edits) if edits else t


def without_pinyin(text: str) -> str:
    """A plain string without ruby pinyin (for display: 開發區(qū) -> 開發區)."""
    return _PINYIN.sub("", text)


_PAGE_MARKER_BODY = (r"[ \t]*(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
                     r"|\d{1,4}\s*/\s*\d{1,4})[ \t]*(?=\n|\Z)")
# a page marker alone on its line, found from the line break before it (a scan for the break,
# where a pattern opening with ^ in MULTILINE mode is tried at every character), and at the start
_PAGE_MARKER_AT_LINE = re.compile(f"\n({_PAGE_MARKER_BODY})")
_PAGE_MARKER_AT_START = re.compile(_PAGE_MARKER_BODY)


def remove_page_markers(t: MappedText) -> MappedText:
    text = t.text
    first = _PAGE_MARKER_AT_START.match(text)
    edits = [(*first.span(), "")] if first else []
    edits += [(*m.span(1), "") for m in _PAGE_MARKER_AT_LINE.finditer(text, first.end() if first else 0)]
    return t.apply(edits) if edits else t


# --- repeated headings --------------------------------------------------------------------

_MAX_CHUNK = 40


# the shortest chunk standing k times in a row (lazy: lengths tried from 1 up)
_K_TIMES = {k: re.compile(rf"(.{{1,{_MAX_CHUNK}}}?)\1{{{k - 1}}}", re.S) for k in range(2, 7)}


def _repeat_at(s: str, i: int, k: int) -> int:
    """Smallest chunk length p such that s[i:i+p] stands k times in a row at i and is not only
    white space (0 if none)."""
    m = _K_TIMES[k].match(s, i)
    if m is None:
        return 0
    if m.group(1).strip():
        return len(m.group(1))
    for p in range(len(m.group(1)) + 1, min(_MAX_CHUNK, (len(s) - i) // k) + 1):  # past white space
        chunk = s[i : i + p]
        if chunk.strip() and s.startswith(chunk * k, i):
            return p
    return 0


_MARKER_CHARS = set("0123456789.．、（）()一二三四五六七八九十第章节")
# a chunk of at most _MAX_CHUNK characters standing twice in a row: every repeated heading
# starts with one, so a line without one at its start is left without trying every k and width
_TWICE = re.compile(rf"(.{{1,{_MAX_CHUNK}}})\1", re.S)


def _collapse_line(line: str) -> list[tuple[int, int, str]] | None:
    """Edits collapsing a PDF heading printed k times chunk by chunk
    ("（三）（三）（三）（三）创新…发展创新…发展…行动行动行动行动", "3.新布局…。新布局…。…"),
    or None. The repetition may start after a heading number printed once ("4....推进…")."""
    lead = len(line) - len(line.lstrip())
    # where the repetition may start: at one of the first six characters after the indent, after
    # marker characters only, where a chunk stands twice (elsewhere no k finds a chunk)
    twice: list[int] = []
    for first in range(lead, min(lead + 6, len(line))):
        if first > lead and line[first - 1] not in _MARKER_CHARS:
            break
        if _TWICE.match(line, first):
            twice.append(first)
    if not twice:
        return None
    # and where a chunk stands three times: elsewhere k = 3 to 6 find none
    thrice = [first for first in twice if _K_TIMES[3].match(line, first)]
    for k in (4, 3, 5, 6, 2):
        for first in thrice if k > 2 else twice:
            i, edits, kept = first, [], 0
            while i < len(line):
                p = _repeat_at(line, i, k)
                # an ASCII digit run ("1000") is a number, not a repeated heading
                if not p or (p == 1 and line[i].isdigit()):
                    break
                edits.append((i, i + p * k, line[i : i + p]))
                kept += p
                i += p * k
            # a real repeated heading: several chunks, or one long one, with enough text
            enough = len(edits) >= 3 if k == 2 else (len(edits) >= 2 or (edits and kept >= 4))
            # headings are words: a repeated rule ("|---|---|") or number is not one
            if enough and kept >= 4 and any(_CJK_CHAR.search(r) for _, _, r in edits):
                return edits
    return None


# a heading number printed several times ("3．3．3．3．", "（二）（二）（二）"): the heading
# that follows is repeated too, and a PDF may have wrapped it over the next lines
_REPEATED_MARKER = re.compile(
    r"^\s*(\d{1,2}[.．、]|[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)\1{1,5}")


def _collapse_wrapped(lines: list[str], starts: list[int], i: int) -> list[tuple[int, int, str]] | None:
    """Edits collapsing a repeated heading that starts on line i and runs on over the next
    non-empty lines (their breaks are dropped with the repeats)."""
    # the lines joined, and where each one's characters start in the joined text and in the text
    text, joined_at, text_at = lines[i], [0], [starts[i]]
    for j in range(i + 1, min(i + 8, len(lines))):
        if lines[j].strip():
            joined_at.append(len(text))
            text_at.append(starts[j])
            text += lines[j]
            if len(text) > 4 * _MAX_CHUNK + 12:
                break
    found = _collapse_line(text)
    if not found or found[-1][1] <= len(lines[i]):
        return None

    def where(x: int) -> int:
        """Where the joined text's character x stands in the text."""
        line = bisect_right(joined_at, x) - 1
        return text_at[line] + x - joined_at[line]

    return [(where(s), where(e - 1) + 1, r) for s, e, r in found]


# a line holding _TWICE at one of its first six characters (after its indent) that
# _collapse_line tries (its indent and then only marker characters before it: "（三）（三）…",
# "4．新布局新布局"): only such lines can hold a repeated heading (see _collapse_line), and a
# _REPEATED_MARKER is one at the indent. One scan of the text finds them (after a line break: a
# scan for it skips to the next line, one for ^ tries every position); a line of prose is tried
# at its first character only
_MARKER_CLASS = "".join(map(re.escape, sorted(_MARKER_CHARS)))
_TWICE_AFTER_INDENT = rf"(?>[^\S\n]*)[{_MARKER_CLASS}]{{0,5}}?([^\n]{{1,{_MAX_CHUNK}}})\1"
_TWICE_AT_START = re.compile(_TWICE_AFTER_INDENT)
_TWICE_AT_LINE = re.compile("\n" + _TWICE_AFTER_INDENT)


def _line_starts(lines: list[str]) -> list[int]:
    # line i starts after the lengths of the lines before it and their i breaks (all in C)
    return [0, *map(add, accumulate(map(len, lines[:-1])), count(1))]


def collapse_repeats(t: MappedText) -> MappedText:
    text = t.text
    candidates = [0] if _TWICE_AT_START.match(text) else []
    candidates += [m.start() + 1 for m in _TWICE_AT_LINE.finditer(text)]
    if not candidates:
        return t
    edits: list[tuple[int, int, str]] = []
    # the text's lines, split only for a heading that may run on over the next lines (most
    # candidates are a line alone, and most of those no repeated heading)
    lines: list[str] | None = None
    starts: list[int] = []
    done = 0  # edits reach up to here (a wrapped heading covers the lines after it)
    for start in candidates:  # each one a line's start
        end = text.find("\n", start)
        line = text[start : end if end >= 0 else len(text)]
        if start < done or len(line) < 8:
            continue
        # a repeated heading number: the heading may run on over the next lines (that reading
        # wins); else the line alone
        found = None
        if _REPEATED_MARKER.match(line):
            if lines is None:
                lines = text.split("\n")
                starts = _line_starts(lines)
            found = _collapse_wrapped(lines, starts, bisect_right(starts, start) - 1)
        if not found:
            found = [(start + s, start + e, r) for s, e, r in _collapse_line(line) or []]
        if found:
            edits.extend(found)
            done = found[-1][1]
    return t.apply(edits) if edits else t


# --- whitespace and broken lines ------------------------------------------------------------

_NUM_TOKEN = re.compile(r"(?<!\S)[-+]?\d[\d,.]*(?:%|年)?(?!\S)")
_SENTENCE_PUNCT = re.compile(r"[，。；！？]")


def is_tabular(line: str) -> bool:
    """A table row flattened on one line: several bare numbers, no prose punctuation."""
    return not _SENTENCE_PUNCT.search(line) and len(_NUM_TOKEN.findall(line)) >= 2


_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$", re.M)
# tabs are left alone: inside a line they separate table cells (.docx tables, TSV)
_CJK_SPACE = re.compile(rf"(?<=[{CJK}{FULLWIDTH_PUNCT}]) +| +(?=[{CJK}{FULLWIDTH_PUNCT}])")
# "市科技局 市财政局": a space after a unit's last character and before a unit's first one
# separates two names (lists typed with spaces); elsewhere a space inside CJK text is noise
_UNIT_END = "局委办厅部府会院司组室处所站社台队心"
_UNIT_START = "市省区县各国中州自"
_SPACE_RUN = re.compile(r" {2,}")


_NEXT_TO_CJK = set("".join(chr(c) for c in range(0x3400, 0xA000)) + "".join(chr(c) for c in range(0xF900, 0xFB00))
                   + FULLWIDTH_PUNCT)


def _runs_of(char: str, text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every maximal run of `char` in `text`, left to right: what
    re.finditer(f"{char}+") finds, by str.find (a scan in C that a regex search is 10x slower at)."""
    i = text.find(char)
    while i >= 0:
        j = i + 1
        while text.startswith(char, j):
            j += 1
        yield i, j
        i = text.find(char, j)


def _separates_units(text: str, start: int, end: int) -> bool:
    return start > 0 and end < len(text) and text[start - 1] in _UNIT_END and text[end] in _UNIT_START


# a gap of two or more spaces between two cells of a line laid out in columns (pdftotext -layout,
# a table typed with spaces): rows of such lines hold cells, as tab-separated rows do
# (two spaces first, then the look-behind: a scan for them, where a look-behind first is tried at
# every character, 30x slower)
_COLUMN_GAP = re.compile(r"  (?<=\S  ) *(?=\S)")
_SENTENCE_END = "。！？；"


def _column_gaps(text: str) -> set[tuple[int, int]]:
    """(start, end) of the column gaps of the lines laid out in columns: a line with two or more
    gaps, not ending a sentence, next to another such line (blank lines between): a row of
    cells, where a sentence typed with stray double spaces is one line alone or ends as prose."""
    if "  " not in text:
        return set()
    rows: list[tuple[int, int, list[tuple[int, int]]]] = []  # (line start, line end, its gaps)
    gaps: list[tuple[int, int]] = []
    searched = 0

    def close() -> None:
        if len(gaps) >= 2:
            start = text.rfind("\n", 0, gaps[0][0]) + 1
            end = text.find("\n", gaps[-1][1])
            end = len(text) if end < 0 else end
            if text[start:end].rstrip()[-1:] not in _SENTENCE_END:
                rows.append((start, end, list(gaps)))
        gaps.clear()

    for m in _COLUMN_GAP.finditer(text):
        if "\n" in text[searched : m.start()]:  # another line (searched since the last gap: linear)
            close()
        gaps.append(m.span())
        searched = m.end()
    close()
    found: set[tuple[int, int]] = set()
    for (_s, above_end, above), (below_start, _e, below) in pairwise(rows):
        if not text[above_end:below_start].strip():  # neighbours: nothing but blank lines between
            found.update(above)
            found.update(below)
    return found


def tidy_whitespace(t: MappedText) -> MappedText:
    """Lines stripped of spaces and tabs; a run of spaces after or before a CJK character or
    full-width punctuation dropped (one kept between two units' names), unless in a table row;
    any other run of spaces made one. Each of these is an edit of a run of blanks in the text as it
    comes (what stripping the lines first and then reading the runs left in them finds: a run
    inside a line has the same neighbours, and its line the same table cells, either way), all
    applied at once."""
    text = t.text
    edits = [(a, b, "") for a, b in _line_edges(text)]
    size = len(text)
    tabular: dict[int, bool] = {}  # line start -> is_tabular(line), for lines with spaces
    columns = _column_gaps(text)
    for start, end in _runs_of(" ", text):
        before = text[start - 1] if start > 0 else "\n"
        after = text[end] if end < size else "\n"
        if (before in "\t\n" or after in "\t\n") and _in_line_edge(text, start, end):
            continue  # dropped with its line's edge
        if columns and (start, end) in columns:
            edits.append((start, end, "\t"))  # the cell separator the table readers know
            continue
        # next to a CJK character or full-width punctuation (what _CJK_SPACE matches)
        if before in _NEXT_TO_CJK or after in _NEXT_TO_CJK:
            line_start = text.rfind("\n", 0, start) + 1
            if line_start not in tabular:
                line_end = text.find("\n", end)
                tabular[line_start] = is_tabular(text[line_start : line_end if line_end >= 0 else size])
            if not tabular[line_start]:
                edits.append((start, end, " " if _separates_units(text, start, end) else ""))
                continue
        if end - start > 1:  # what _SPACE_RUN matches
            edits.append((start, end, " "))
    return t.apply(sorted(edits)) if edits else t


def _in_line_edge(text: str, start: int, end: int) -> bool:
    """Whether the blanks around text[start:end] reach a line's start or end."""
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    if start == 0 or text[start - 1] == "\n":
        return True
    while end < len(text) and text[end] in " \t":
        end += 1
    return end == len(text) or text[end] == "\n"


# a run of spaces and tabs that starts a line (after a line break; at the text's start apart)
# or ends one (its first character not after another, so that each run is tried once)
_BLANKS_AT_LINE_START = re.compile(r"\n([ \t]+)")
_BLANKS_AT_TEXT_START = re.compile(r"[ \t]+")
_BLANKS_AT_LINE_END = re.compile(r"[ \t](?<![ \t][ \t])[ \t]*+(?=\n|\Z)")


def _finds(word: str, text: str) -> Iterator[int]:
    """Starts of every occurrence of `word` (of two different characters: none overlap)."""
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + 1)


def _line_edges(text: str) -> set[tuple[int, int]]:
    """(start, end) of every run of spaces and tabs at the start or end of a line (what _EDGE_SPACE
    matches)."""
    runs = {m.span(1) for m in _BLANKS_AT_LINE_START.finditer(text)}
    # a run at a line's end (what _BLANKS_AT_LINE_END matches): found from the line break after
    # it, a literal search rather than a regex trying every blank
    ends = [i for blank in (" \n", "\t\n") for i in _finds(blank, text)]
    if text.endswith((" ", "\t")):
        ends.append(len(text) - 1)
    for last in ends:
        first = last
        while first > 0 and text[first - 1] in " \t":
            first -= 1
        runs.add((first, last + 1))
    first = _BLANKS_AT_TEXT_START.match(text)
    if first:
        runs.add(first.span())
    return runs


HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[）)]|\d{1,3}(?:[.．、](?!\d)|\s)"
    r"|[（(]\d{1,3}[）)]|[①-⑳]|第[一二三四五六七八九十百]+[章节条部分]|附件|附表)"
)
# HEADING_START at every line of a text, found from the line break before it (a scan for the
# break, where ^ in MULTILINE mode is tried at every character); \s is a blank but no line break,
# as in a line of its own
_HEADING_AT_TEXT_START = re.compile(HEADING_START.pattern[1:].replace(r"|\s)", r"|[^\S\n])"))
_HEADING_AT_LINE = re.compile("\n" + _HEADING_AT_TEXT_START.pattern)
_TERMINAL = set("。！？；：”’）)》】」』")
# a line with a digit and no prose punctuation (the lines is_tabular can accept: it asks for two
# numbers), whole, after its line break
_UNPUNCTUATED_LINE = re.compile(r"\n([^，。；！？\n\d]*+\d[^，。；！？\n]*+)(?=\n|\Z)")
_UNPUNCTUATED_START = re.compile(r"[^，。；！？\n\d]*+\d[^，。；！？\n]*+(?=\n|\Z)")


_NARROW = re.compile("[\x00-\u2e7f]+")  # half-width: Latin, digits, ASCII punctuation
_NARROW_IN_LINE = re.compile("[\x00-\x09\x0b-\u2e7f]+")  # the same, but line breaks


def _width(line: str) -> float:
    wide = len(_NARROW.sub("", line))
    return wide + 0.5 * (len(line) - wide)


class _Lines:
    """The lines of a text and what join_broken_lines asks of them, each fact found for all lines
    at once by scans of the whole text (asked line by line, they cost a Python call each): which
    lines open with a heading number, which are table rows, how wide each is."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = _line_starts(self.lines)
        self._headings: set[int] | None = None
        self._tables: set[int] | None = None
        self._wide: list[int] | None = None

    def _index(self, offsets: Iterable[int]) -> set[int]:
        """The lines starting at these offsets (each one a line's start)."""
        starts = self.starts
        return {bisect_left(starts, at) for at in offsets}

    @property
    def headings(self) -> set[int]:
        """Lines i with HEADING_START.match(lines[i])."""
        if self._headings is None:
            text = self.text
            found = self._index(m.start() + 1 for m in _HEADING_AT_LINE.finditer(text))
            if _HEADING_AT_TEXT_START.match(text):
                found.add(0)
            self._headings = found
        return self._headings

    @property
    def tables(self) -> set[int]:
        """Lines i with is_tabular(lines[i]): of the lines without prose punctuation, those with
        two bare numbers."""
        if self._tables is None:
            text = self.text
            rows = [m.start(1) for m in _UNPUNCTUATED_LINE.finditer(text) if len(_NUM_TOKEN.findall(m.group(1))) >= 2]
            first = _UNPUNCTUATED_START.match(text)
            if first and len(_NUM_TOKEN.findall(first.group())) >= 2:
                rows.append(0)
            self._tables = self._index(rows)
        return self._tables

    @property
    def wide(self) -> list[int]:
        """The wide characters of each line (_width), counted in one scan."""
        if self._wide is None:
            self._wide = list(map(len, _NARROW_IN_LINE.sub("", self.text).split("\n")))
        return self._wide


def _wrap_width(facts: _Lines) -> float | None:
    """The line width of hard-wrapped (PDF) text, or None for ordinary paragraphs. In PDF text
    most lines stop mid-sentence; in ordinary text lines are paragraphs or headings."""
    # a width is at least half the length and at most the length: only lines of 12 to 23
    # characters need measuring to tell whether they are long (12 or more). What follows
    # counts lines and takes a median, so the lines may be in any order: by length (in C)
    lines = facts.lines
    lengths = list(map(len, lines))
    by_length = sorted(range(len(lines)), key=lengths.__getitem__)
    lengths.sort()
    longest = bisect_left(lengths, 24)
    long_lines = by_length[longest:]
    middle = by_length[bisect_left(lengths, 12) : longest]
    # a line ends mid-sentence when its last character is no sentence end and it is neither a
    # heading nor a table row. With every middle line counted long and ending so (the most they
    # can add), too few lines or too few of them ending so ask no width
    unterminated = [i for i in long_lines if lines[i][-1] not in _TERMINAL]
    if len(long_lines) + len(middle) < 20 or (len(unterminated) + len(middle)) / (len(long_lines) + len(middle)) < 0.45:
        return None
    if middle:
        # _width of each, from the wide characters of every line (counted in one scan: the
        # joins ask them of the text's lines in any case)
        wide = facts.wide
        wide_middle = [i for i in middle if wide[i] + 0.5 * (len(lines[i]) - wide[i]) >= 12]
        long_lines += wide_middle
        unterminated += [i for i in wide_middle if lines[i][-1] not in _TERMINAL]
    if len(long_lines) < 20:
        return None
    # when even the lines of the first kind are too few, the rest is not asked
    if len(unterminated) / len(long_lines) < 0.45:
        return None
    headings, tables = facts.headings, facts.tables
    mid_lines = [i for i in unterminated if i not in headings and i not in tables]
    if len(mid_lines) / len(long_lines) < 0.45:
        return None
    wide = facts.wide
    mid = sorted([wide[i] + 0.5 * (len(lines[i]) - wide[i]) for i in mid_lines])  # facts.width
    return mid[len(mid) // 2]  # the median width of a full line


def _open_parens(line: str) -> int:
    return line.count("（") + line.count("(") - line.count("）") - line.count(")")


def join_broken_lines(t: MappedText) -> MappedText:
    """Join lines broken mid-sentence. In hard-wrapped (PDF) text a full line, or one that
    ends mid-sentence, continues on the next non-empty line unless that starts a heading or a
    table row. In any text, a line with an unclosed parenthesis continues (clauses such as
    （牵头单位：…\\n…） are one unit)."""
    facts = _Lines(t.text)
    width = _wrap_width(facts)
    edits = _wrapped_joins(facts, width) if width is not None else _parenthesis_joins(facts)
    return t.apply(edits) if edits else t


def _glue(cur: str, nxt: str, nxt_tabular: bool) -> str:
    """What joins two lines: words of Latin text need their space back; a number broken over
    lines does not."""
    return " " if nxt_tabular or (cur[-1].isalpha() and cur[-1].isascii() and nxt[0].isascii()
                                  and nxt[0].isalpha()) else ""


def _parenthesis_balance(lines: _Lines) -> dict[int, int]:
    """_open_parens of each line that holds a parenthesis (most hold none): each parenthesis found
    by a scan of the text and counted for its line."""
    starts, text = lines.starts, lines.text
    balance: dict[int, int] = {}
    for paren, step in (("（", 1), ("(", 1), ("）", -1), (")", -1)):
        for at in _finds(paren, text):
            line = bisect_right(starts, at) - 1
            balance[line] = balance.get(line, 0) + step
    return balance


def _parenthesis_joins(facts: _Lines) -> list[tuple[int, int, str]]:
    """The joins of ordinary text: only an open parenthesis joins lines. From depth 0, a line that
    leaves more parentheses open than it closes is needed to raise it (any other leaves it at 0),
    so the lines up to the next such one are passed over."""
    lines, starts = facts.lines, facts.starts
    balance = _parenthesis_balance(facts)
    opening = sorted(line for line, opened in balance.items() if opened > 0)
    if not opening:
        return []
    nonempty = list(compress(count(), map(str.strip, lines)))  # lines with more than white space
    edits: list[tuple[int, int, str]] = []
    heading: dict[int, bool] = {}  # a line is read as the next one and as the current one

    def heading_at(i: int) -> bool:
        found = heading.get(i)
        if found is None:
            found = heading[i] = HEADING_START.match(lines[i]) is not None
        return found

    opening_lines = iter(opening)
    depth = 0
    k, last = 0, len(nonempty) - 1
    while k < last:
        if not depth:
            line = next((i for i in opening_lines if i >= nonempty[k]), None)
            if line is None:
                break
            k = bisect_left(nonempty, line)
            if k >= last:
                break
        a, b = nonempty[k], nonempty[k + 1]
        k += 1
        cur = lines[a]
        depth += balance.get(a, 0)
        if depth < 0:
            depth = 0
        if 0 < depth <= 3 and not heading_at(b) and b - a <= 3:
            nxt = lines[b]
            edits.append((starts[a] + len(cur), starts[b], _glue(cur, nxt, is_tabular(nxt))))
        elif depth and (heading_at(b) or b - a > 3):
            depth = 0
    return edits


def _wrapped_joins(facts: _Lines, width: float) -> list[tuple[int, int, str]]:
    """The joins of hard-wrapped text: a full line, or one that ends mid-sentence, continues on
    the next non-empty line unless that starts a heading or a table row; and an open parenthesis."""
    lines, starts = facts.lines, facts.starts
    headings, tables, wide = facts.headings, facts.tables, facts.wide
    opens = _parenthesis_balance(facts)
    nonempty = list(compress(count(), map(str.strip, lines)))  # lines with more than white space
    edits: list[tuple[int, int, str]] = []
    depth = 0
    for k in range(len(nonempty) - 1):
        a, b = nonempty[k], nonempty[k + 1]
        cur = lines[a]
        if a in opens:
            depth += opens[a]
            if depth < 0:
                depth = 0
        b_heading = b in headings
        join = 0 < depth <= 3 and not b_heading and b - a <= 3
        if not join and not b_heading and a not in tables:
            cur_width = wide[a] + 0.5 * (len(cur) - wide[a])  # _width(cur)
            mid_sentence = cur[-1] not in _TERMINAL
            # not a heading alone on its line; a full line or one that stops mid-sentence
            if (mid_sentence or cur_width >= width - 1) and not (a in headings and cur_width < width - 3):
                join = b not in tables or (mid_sentence and not _CJK_CHAR.search(lines[b]))
        if join:
            nxt = lines[b]
            glue = " " if b in tables or (cur[-1].isalpha() and cur[-1].isascii() and nxt[0].isascii()
                                          and nxt[0].isalpha()) else ""  # _glue(cur, nxt, b in tables)
            edits.append((starts[a] + len(cur), starts[b], glue))
        elif depth and (b_heading or b - a > 3):
            depth = 0
    return edits


# --- punctuation and script -----------------------------------------------------------------

_PUNCT_MAP = {"(": "（", ")": "）", ":": "：", ",": "，", ";": "；", "?": "？", "!": "！"}
_HALF_PUNCT = re.compile(r"[()?!;:,]")
_DIGIT = re.compile(r"\d")
# the mark first, then the look-arounds: a scan for the mark rather than a try at every character
_PROSE_MARK = {mark: re.compile(rf"{mark}(?:(?<!\d{mark})|(?!\d))") for mark in ":,"}


def _full_width(m: re.Match[str]) -> str:
    char, text, i = m.group(), m.string, m.start()
    # half-width : and , between digits are numbers (13:46, 1,000), not prose punctuation
    if char in ":," and i > 0 and _DIGIT.match(text, i - 1) and _DIGIT.match(text, i + 1):
        return char
    return _PUNCT_MAP[char]


def unify_punctuation(t: MappedText) -> MappedText:
    # most plans write full-width punctuation only: a look for each mark is faster than the scan
    if not any(mark in t.text for mark in _PUNCT_MAP):
        return t
    # what t.sub(_HALF_PUNCT, _full_width) makes, by C scans: each mark is one character for
    # one (the offsets stay as they are), and : , become full-width unless between two digits
    text = t.text
    for mark, full in _PUNCT_MAP.items():
        if mark in text:
            text = _PROSE_MARK[mark].sub(full, text) if mark in _PROSE_MARK else text.replace(mark, full)
    return MappedText(text, t.offs)


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def _t2s_dictionary_entries() -> list[tuple[str, list[str]]]:
    """(left side, right sides) of every entry of the dictionaries opencc's t2s config reads
    (phrases, characters, and the normalisation of compatibility ideographs), dumped to text by
    the opencc_dict tool that the opencc package ships."""
    import json
    import subprocess
    import tempfile
    from pathlib import Path

    import opencc

    package = Path(opencc.__file__).parent / "clib"
    share = package / "share" / "opencc"
    files: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            nodes: Iterable[object] = node.values()
        else:
            nodes = node if isinstance(node, list) else ()
        for child in nodes:
            collect(child)

    collect(json.loads((share / "t2s.json").read_text(encoding="utf-8")))
    entries: list[tuple[str, list[str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            dumped = Path(tmp) / f"{name}.txt"
            subprocess.run([str(package / "bin" / "opencc_dict"), "-i", str(share / name), "-o", str(dumped),
                            "-f", "ocd2", "-t", "text"], check=True, capture_output=True, timeout=60)
            for line in dumped.read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                entries.append((key, values.split(" ")))
    return entries


@dataclass(frozen=True)
class _T2sChanges:
    """What opencc's t2s can change, from its dictionaries: characters (one-character left sides
    whose default right side, the one opencc writes, is another) and phrases (longer left sides
    whose default right side is another). A text holding none of them is its own Simplified form:
    whatever entries opencc matches in it (longest first, phrase or character), each is replaced
    by itself."""

    # one scan finds both: the changing characters of the BMP and lone surrogates (UTF-8 cannot
    # encode them: opencc raises); and the anchors of the phrases made of characters that do not
    # change alone ("批覆" -> "批复"; a phrase holding a changing character is found by that
    # character): one character of each phrase. A text with a character past the BMP is converted
    # (a few of them are changing ones; a class holding them is slow in re, a range 4x slower than
    # the rest of the class; and such characters are rare)
    scan: re.Pattern[str]
    phrases_at: dict[str, list[tuple[str, int]]]  # anchor -> [(phrase, where the anchor stands in it)]

    def could_change(self, text: str) -> bool:
        if len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text):  # past the BMP: two units
            return True
        search, phrases_at = self.scan.search, self.phrases_at
        m = search(text)
        while m is not None:
            at = m.start()
            phrases = phrases_at.get(m.group())
            if phrases is None or any(at >= k and text.startswith(phrase, at - k) for phrase, k in phrases):
                return True  # a changing character, or a phrase around its anchor
            m = search(text, at + 1)
        return False


@lru_cache(maxsize=1)
def _t2s_changes() -> _T2sChanges | None:
    """None when the dictionaries cannot be read: then every text is converted."""
    try:
        entries = _t2s_dictionary_entries()
    except Exception:  # no tool, no dictionary, an odd dump: convert everything
        return None
    changed = [key for key, values in entries if values[0] != key]
    characters = {key for key in changed if len(key) == 1}
    if len(characters) < 1000 or not all(changed):  # not the dictionaries this was written for
        return None
    phrases = sorted({key for key in changed if len(key) > 1 and characters.isdisjoint(key)})
    # a phrase's anchor: a character with an entry of its own (甦 -> 甦, 覆 -> 覆: a variant, rare
    # in Simplified text) if it has one, and of those the one in the most phrases
    variants = {key for key, _ in entries if len(key) == 1}
    in_phrases = Counter(c for phrase in phrases for c in set(phrase))
    phrases_at: dict[str, list[tuple[str, int]]] = {}
    for phrase in phrases:
        anchor = max(phrase, key=lambda c: (c in variants, in_phrases[c], -ord(c)))
        phrases_at.setdefault(anchor, []).append((phrase, phrase.index(anchor)))
    bmp = "".join(map(re.escape, sorted(c for c in characters if c <= "\uffff")))
    anchors = "".join(map(re.escape, sorted(phrases_at)))
    return _T2sChanges(re.compile(f"[{bmp}{anchors}\ud800-\udfff]"), phrases_at)


def load_tables() -> None:
    """Load opencc and read what its t2s can change (a build does it once, before its workers fork)."""
    _t2s()
    _t2s_changes()


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, character for character (offsets must not move)."""
    changes = _t2s_changes()
    if changes is not None and not changes.could_change(text):
        return text  # nothing opencc's dictionaries hold: it would return the text as it is
    convert = _t2s()
    out = convert(text)
    if len(out) == len(text):
        return out
    # a phrase rule changed the length somewhere: fall back line by line, then char by char
    lines = []
    for line in text.split("\n"):
        c = convert(line)
        lines.append(c if len(c) == len(line) else "".join(convert(ch) if len(convert(ch)) == 1 else ch for ch in line))
    return "\n".join(lines)

Step = Callable[[MappedText], MappedText]
STEPS: list[tuple[str, Step]] = [
    ("unify_characters", unify_characters),
    ("remove_pinyin", remove_pinyin),
    ("remove_page_markers", remove_page_markers),
    ("collapse_repeats", collapse_repeats),
    ("tidy_whitespace", tidy_whitespace),
    ("join_broken_lines", join_broken_lines),
    ("unify_punctuation", unify_punctuation),
]


def normalise(original: str, markup: str = "text") -> tuple[str, str, array[int]]:
    """Returns (simplified text, display text, offsets): display is the normalised text before
    Traditional->Simplified; both share `offsets` (normalised index -> original index)."""
    t = MappedText.of(original)
    if markup == "html":
        t = strip_markup(t)
    for _name, step in STEPS:
        t = step(t)
    assert len(t.offs) == len(t.text) + 1
    # a compact int array: a list of Python ints costs ~36 bytes per character of text
    return to_simplified(t.text), t.text, t.offs
