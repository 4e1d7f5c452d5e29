"""Outline: the numbered structure of a plan (一、 / （一） / 1. / （1） / ①) and its paragraphs.

Plans number their parts in a fixed order of marker kinds, each in full- and half-width forms
(一、 一. ; （一） (一) ; 1. 1． 1、 ; （1） (1) 1) ; ① ...). A paragraph with a marker opens an
item at that rank and closes every open item of the same or a lower rank. Paths read like
`三.(一).1`. A numbered heading with no body ("2.主要任务。") owns the unnumbered paragraphs
after it: they get paths `…2.1`, `…2.2` (the n-th unnumbered paragraph); after an item with
a body, unnumbered paragraphs continue that item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.extract.model import PolicyDocument, Section, _span

_CN_NUM = "一二三四五六七八九十百零〇"

# (rank, pattern, path element builder); rank 0 is the coarsest
# 规划 add 第X章 / 第X节 above 一、: a chapter holds sections, a section holds 一、 items
MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(rf"^第[{_CN_NUM}\d]+[章部篇](?:分)?[、.．\s]?")),
    (1, re.compile(rf"^第[{_CN_NUM}\d]+节[、.．\s]?")),
    (2, re.compile(rf"^([{_CN_NUM}]+)[、.．](?!\d)")),
    (3, re.compile(rf"^[（(]([{_CN_NUM}]+)[）)][、.．]?")),
    (4, re.compile(r"^(\d{1,3})(?:[.．、](?!\d)|[)）](?![\d%]))[、]?")),
    (5, re.compile(r"^[（(](\d{1,3})[）)][、.．]?")),
    (6, re.compile(r"^([①-⑳])")),
    (3, re.compile(rf"^第([{_CN_NUM}]+)条")),
    # "1突破关键技术": a number with no dot right before the heading's words; read as an item
    # only in sequence (1, 2, 3 … under one parent), not "3大工程" opening a paragraph
    (4, re.compile(r"^(\d{1,2})(?![年月日号个家项名件次所座万亿千百元人倍天户台套批期类条款级季周])"
                                 r"(?=[\u4e00-\u9fff])")),
]
_NUMBER_RANK = 4  # "1." : "1.5亿元" is a number, not a marker
_PAREN_RANKS = (3, 5)  # （一） （1） : path elements keep their parentheses
_WHOLE_RANKS = (0, 1)  # 第一章 / 第一节 : the marker as written is the path element

_YEAR_IN_HEADING = re.compile(r"(?:到|至|截至|于)?((?:19|20)\d{2})\s*年")
_TITLE_END = re.compile(r"[。！？；]")


@dataclass
class Paragraph:
    start: int  # normalised text offsets
    end: int
    text: str


# Markdown around a paragraph (plans converted from web pages): "## 一、主要任务", "**（一）…**",
# "- 1.…", "> …"
_MARKDOWN_LEAD = re.compile(r"^(?:#{1,6}\s*|>\s*|[-*+]\s+(?=\S)|\*\*|__)+")
_MARKDOWN_FIRST = frozenset("#>-*+_")  # what _MARKDOWN_LEAD can start with


def paragraphs(text: str) -> list[Paragraph]:
    return [Paragraph(start, end, stripped) for start, end, stripped in _paragraph_spans(text)]


def _paragraph_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each paragraph: a non-empty line stripped, without Markdown around it."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("|"):  # a Markdown table row stays as written
            mark = _MARKDOWN_LEAD.match(stripped) if stripped[0] in _MARKDOWN_FIRST else None
            if mark and mark.end() < len(stripped):
                stripped = stripped[mark.end() :]
            # closing bold markup: ** or __ at the end (endswith: a regex search scans the line)
            if stripped.endswith(("**", "__")) and len(stripped) > 2:
                stripped = stripped[:-2]
        if stripped:
            lead = 0 if stripped is line else line.find(stripped)
            out.append((pos + lead, pos + lead + len(stripped), stripped))
        pos += len(line) + 1
    return out


# the characters a marker can start with (第, a numeral, a bracket, ①-⑳; and any Unicode decimal
# digit, as \d): most paragraphs start with none, and need no pattern tried
_MARKER_FIRST = frozenset("第（(" + _CN_NUM + "".join(map(chr, range(ord("①"), ord("⑳") + 1))))
_NUMBER_AFTER_MARKER = re.compile(r"^[\d.%]")


# what may follow a marker's first character, one of each marker's shapes (一、 1. 1突 （一） （1）
# 第一章 第一节 第一条): a pattern that matches none of them after a character never matches a
# paragraph opening with it
_MARKER_SHAPES = ("一、x", "1、x", "1突", "1）x", "一）x", "一章", "一节", "一条")


def _markers_opening_with(first: str) -> list[tuple[int, re.Pattern[str]]]:
    """The MARKERS (in their order) that can match a text starting with `first`."""
    return [(rank, pattern) for rank, pattern in MARKERS
            if any(pattern.match(first + shape) for shape in _MARKER_SHAPES)]


# first character -> the patterns worth trying (each marker pattern starts with a literal
# character or class: 第, a numeral, a bracket, ①-⑳ or a digit)
_MARKERS_BY_FIRST = {first: _markers_opening_with(first) for first in _MARKER_FIRST}
_DIGIT_MARKERS = _markers_opening_with("1")


def match_marker(text: str) -> tuple[int, str, str] | None:
    """(rank, path element, marker as written) of a paragraph's numbering, or None."""
    if not text:
        return None
    markers = _MARKERS_BY_FIRST.get(text[0])
    if markers is None:
        if not text[0].isdecimal():  # \d: any Unicode decimal digit (Nd)
            return None
        markers = _DIGIT_MARKERS
    for rank, pattern in markers:
        m = pattern.match(text)
        if not m:
            continue
        rest = text[m.end() :]
        # "1.5亿元", "2018年…" and "3、4月" are numbers, not markers; a marker needs text after it
        if not rest.strip() or (rank == _NUMBER_RANK and _NUMBER_AFTER_MARKER.match(rest)):
            continue
        if rank in _WHOLE_RANKS:
            element = m.group(0).rstrip("、.． ")
        elif rank in _PAREN_RANKS:
            element = f"({m.group(1)})"
        else:
            element = m.group(1)
        return rank, element, m.group(0)
    return None


def heading_title(body: str) -> str:
    """A heading's title: its text up to the first sentence end."""
    m = _TITLE_END.search(body)
    title = body[: m.start()] if m else body
    return title.strip().rstrip("：:，,")


def is_heading_only(body: str) -> bool:
    """A numbered line that is a heading with no body text: short, one sentence at most."""
    m = _TITLE_END.search(body)
    tail = body[m.end() :].strip() if m else ""
    return not tail and len(body) <= 60


def build_outline(doc: PolicyDocument) -> PolicyDocument:
    """Fill doc.sections: one Section per numbered item and per unnumbered paragraph."""
    sections: list[Section] = []
    stack: list[tuple[int, Section]] = []  # (rank, section) of the open items
    child_count: dict[str, int] = {}
    bare_last: dict[str | None, int] = {}  # parent path -> number of its last dotless item
    offsets, original = doc.offsets, doc.original
    title_end = _TITLE_END.search
    for start, end, text in _paragraph_spans(doc.text):
        # doc.span(start, end), inline (a paragraph is never empty)
        o_start, o_end = offsets[start], offsets[end - 1] + 1
        span = _span(o_start, o_end, original[o_start:o_end])
        # match_marker(text), asked only of a paragraph opening with a character a marker can
        # open with (most open with none)
        first = text[0]
        marker = match_marker(text) if first in _MARKERS_BY_FIRST or first.isdecimal() else None
        if marker is not None and marker[2].isascii() and marker[2].isdigit():
            parent_key = next((sec.path for r, sec in reversed(stack) if r < marker[0]), None)
            if int(marker[2]) != bare_last.get(parent_key, 0) + 1:
                marker = None
            else:
                bare_last[parent_key] = int(marker[2])
        if marker is not None:
            rank, element, written = marker
            while stack and stack[-1][0] >= rank:
                stack.pop()
            parent = stack[-1][1] if stack else None
            path = f"{parent.path}.{element}" if parent else element
            body = text[len(written) :].strip()
            # heading_title(body) and is_heading_only(body): one search for the sentence end
            m = title_end(body)
            title = (body[: m.start()] if m else body).strip().rstrip("：:，,")
            year = _YEAR_IN_HEADING.search(title) if "年" in title else None  # it ends with 年
            # Section's fields in their order (path, marker, level, title, span, parent, year,
            # heading_only, text_range): a call by position costs half of one by keywords
            section = Section(
                path,
                written,
                len(stack) + 1,
                title,
                span,
                parent.path if parent else None,
                int(year.group(1)) if year else (parent.year if parent else None),
                len(body) <= 60 and not (m and body[m.end() :].strip()),  # is_heading_only(body)
                (start, end),
            )
            stack.append((rank, section))
        else:
            parent = stack[-1][1] if stack else None
            key = parent.path if parent else ""
            n = child_count[key] = child_count.get(key, 0) + 1
            m = title_end(text)  # heading_title(text)
            section = Section(
                f"{key}.{n}" if key else f"¶{n}",
                "",
                (parent.level + 1) if parent else 1,
                (text[: m.start()] if m else text).strip().rstrip("：:，,"),
                span,
                parent.path if parent else None,
                parent.year if parent else None,
                False,
                (start, end),
            )
        sections.append(section)
    doc.sections = sections
    return doc
