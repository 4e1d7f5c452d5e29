"""Responsibility clauses: who leads a task and who takes part, as the plan states it.

Forms (words in resources/clause_words.json):
  labelled   （牵头单位：A，参与单位：B、C）  (責任單位:A、B)  【责任单位：A】  牵头单位：A；配合单位：B
  inline     （A、B牵头，C、D配合）  （A负责）  （A、B等负责）  （A、B按职责分工负责）  （A会同B负责）
             （A、B按职责分工负责，列第一位者为牵头单位）  （A牵头，2024年底前完成）
  label lines  "牵头单位：A" / "配合单位：B" on lines of their own after the task (one clause)
  tables     任务分工表 as tab-separated rows (.docx, TSV, HTML), Markdown, or one cell per line
Conventions: units under a lead label or before 牵头 lead; under 配合/参与/… or before
配合/参与/落实 they participate. Where a clause names responsible units (责任单位, 负责) but no
lead, the first listed unit leads and the rest participate ("列第一位者为牵头单位"); where it
also names a lead, the responsible units participate. "按职责分工负责" makes every unit a lead
of its share, unless the document says the first listed unit leads ("列第一位者为牵头单位");
"A（牵头）" in a list leads. Parentheses that are not clauses (（2018-2022年）, （现有1家）) are left alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from policykg.extract.model import Clause, PolicyDocument, Section, Task, UnitMention
from policykg.extract.outline import heading_title

OPEN_BRACKETS = {"（": "）", "【": "】", "[": "]", "〖": "〗"}
CLOSE_BRACKETS = {v: k for k, v in OPEN_BRACKETS.items()}


@lru_cache(maxsize=1)
def clause_words() -> dict[str, Any]:
    return json.loads(resources.files("policykg.extract").joinpath("resources/clause_words.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    words = clause_words()
    label_role = {w: role for role, ws in words["labels"].items() for w in ws}
    verb_role = {w: role for role, ws in words["verbs"].items() for w in ws}
    by_len = sorted(label_role, key=len, reverse=True)
    # a label is followed by a colon, or stands in its own brackets: 【牵头单位】市科技局
    label_re = re.compile(r"【?(" + "|".join(map(re.escape, by_len)) + r")(?:\s*[：:]|】)\s*")
    verbs = sorted(verb_role, key=len, reverse=True)
    verb_re = re.compile(r"(?:等)?(" + "|".join(map(re.escape, verbs)) + r")$")
    suffixes = tuple(sorted(words["unit_suffixes"], key=len, reverse=True))
    levels = "|".join(map(re.escape, sorted(words["admin_levels"], key=len, reverse=True)))
    bodies = "|".join(map(re.escape, sorted(words["admin_bodies"], key=len, reverse=True)))
    headers = words["table_headers"]
    return {
        "label_role": label_role,
        "verb_role": verb_role,
        "label": label_re,
        "verb": verb_re,
        "suffixes": suffixes,
        "not_unit": tuple(words["not_unit_words"]),
        "not_unit_start": tuple(words["not_unit_starts"]),
        "measure": re.compile(r"[\d零〇一二两三四五六七八九十百千万几多余数]\s*(?:"
                              + "|".join(words["measure_words"]) + ")"),
        "separators": set(words["separators"]),
        "trailing_generic": tuple(sorted(words["trailing_generic"], key=len, reverse=True)),
        "first_leads": re.compile(words["first_leads_note"]),
        "deadline": re.compile(words["deadline"]),
        "lead_marks": tuple(words["lead_marks"]),
        "joint": re.compile("|".join(map(re.escape, words["joint_words"]))),
        "conjunction": re.compile("|".join(map(re.escape, sorted(words["conjunctions"], key=len, reverse=True)))),
        "admin_bodies": set(words["admin_bodies"]),
        # "各市" "自治区" … then "县（市、区）政府": one collective written over 、
        "admin_open": re.compile(rf"各(?:{levels})"),
        "admin_level": re.compile(rf"(?:{levels})"),
        "admin_close": re.compile(rf"(?:{levels})(?:（[^）]*）)?(?:{levels})?(?:{bodies})"),
        "task_header": set(headers["task"]),
        "number_header": set(headers["number"]),
        "other_header": set(headers["other"]),
    }


@dataclass
class ParsedUnit:
    written: str
    start: int  # offsets in the normalised text
    end: int
    role: str  # lead | participant | responsible | shared
    separator: str  # what preceded it in its list ("" for the first)
    lead_from_order: bool = False  # leads because it is listed first, not by a label


def bracket_groups(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Top-level bracketed groups [start, end) (brackets included) with balanced nesting;
    any opening bracket may be closed by any closing one ("(" … "）" is common)."""
    groups: list[tuple[int, int]] = []
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch in OPEN_BRACKETS:
            if depth == 0:
                start = i
            depth += 1
        elif ch in CLOSE_BRACKETS and depth:
            depth -= 1
            if depth == 0:
                groups.append((base + start, base + i + 1))
    return groups


def split_units(text: str, base: int, separators: set[str]) -> list[tuple[str, int, int, str]]:
    """Split a unit list on 、，；/ outside parentheses: [(unit, start, end, separator)]."""
    out: list[tuple[str, int, int, str]] = []
    depth, seg_start, sep = 0, 0, ""
    for i, ch in enumerate(text + "\0"):
        if ch in OPEN_BRACKETS or ch == "(":
            depth += 1
        elif (ch in CLOSE_BRACKETS or ch == ")") and depth:
            depth -= 1
        elif depth == 0 and (ch in separators or ch == "\0"):
            raw = text[seg_start:i]
            lead = len(raw) - len(raw.lstrip(" \t\n由"))
            unit = raw.strip(" \t\n").lstrip("由").rstrip("。.")
            for generic in _patterns()["trailing_generic"]:  # "市财政局等部门" names 市财政局
                if unit.endswith(generic) and len(unit) > len(generic) + 1:
                    unit = unit[: -len(generic)]
                    break
            if unit.endswith("等") and len(unit) > 2:
                unit = unit[:-1]
            if unit:
                s = base + seg_start + lead
                out.append((unit, s, s + len(unit), sep))
            sep = ch if ch != "\0" else ""
            seg_start = i + 1
    return _join_collectives([part for unit in out for part in _split_conjunction(unit)], text, base)


def _split_conjunction(unit: tuple[str, int, int, str]) -> list[tuple[str, int, int, str]]:
    """'市科技局和市财政局' -> two units; '工业和信息化部', '党委和政府' stay one (the part before
    the conjunction is no unit name, or the part after is a bare body word)."""
    p = _patterns()
    name, start, _end, sep = unit
    for m in p["conjunction"].finditer(name):
        left, right = name[: m.start()], name[m.end() :]
        if left.endswith(p["suffixes"]) and looks_like_unit(left) and looks_like_unit(right) \
                and right not in p["admin_bodies"] and len(right) >= 3:
            rest = _split_conjunction((right, start + m.end(), start + len(name), m.group(0)))
            return [(left, start, start + len(left), sep), *rest]
    return [unit]


def _join_collectives(units: list[tuple[str, int, int, str]], text: str,
                      base: int) -> list[tuple[str, int, int, str]]:
    """'各市、县（市、区）政府', '各省、自治区、直辖市人民政府': the levels listed with 、 name one
    collective body, whose suffix is written once at the end."""
    p = _patterns()
    out: list[tuple[str, int, int, str]] = []
    i = 0
    while i < len(units):
        if p["admin_open"].fullmatch(units[i][0]):
            j = i + 1
            while j < len(units) and units[j][3] == "、" and p["admin_level"].fullmatch(units[j][0]):
                j += 1
            if j < len(units) and units[j][3] == "、" and p["admin_close"].fullmatch(units[j][0]):
                start, end = units[i][1], units[j][2]
                out.append((text[start - base : end - base], start, end, units[i][3]))
                i = j + 1
                continue
        out.append(units[i])
        i += 1
    return out


def looks_like_unit(name: str) -> bool:
    p = _patterns()
    if not (2 <= len(name) <= 40) or re.search(r"\d", name):
        return False
    if any(w in name for w in p["not_unit"]) or name.startswith(p["not_unit_start"]) or p["measure"].search(name):
        return False
    core = re.sub(r"（[^）]*）", "", name)
    return core.endswith(p["suffixes"]) or core.startswith("各")


_OTHER_LABEL = re.compile(r"[，,；;。\s]*[\u4e00-\u9fff]{2,8}[：:]")
# labels of other kinds before the unit labels: "牵头领导：王五；牵头单位：…"
_LEADING_LABELS = re.compile(r"^(?:\s*[\u4e00-\u9fff]{2,8}[：:][^；;，,：:]{0,30}[；;，,])+")


def _is_note(part: str) -> bool:
    """A part of a clause that is not a unit list: '列第一位者为牵头单位', '2024年底前完成'."""
    p = _patterns()
    return bool(p["first_leads"].search(part) or p["deadline"].fullmatch(part))


def _mark_leads(units: list[ParsedUnit]) -> list[ParsedUnit]:
    """'省科技厅（牵头）' in a list: the unit leads; its name is written without the mark."""
    for u in units:
        for mark in _patterns()["lead_marks"]:
            if u.written.endswith(mark) and len(u.written) > len(mark) + 1:
                u.written = u.written[: -len(mark)]
                u.end -= len(mark)
                u.role = "lead"
                break
    return units


def parse_labelled(content: str, base: int) -> list[ParsedUnit] | None:
    """（牵头单位：A，参与单位：B、C） -> units with roles; None if no label opens the clause."""
    p = _patterns()
    labels = list(p["label"].finditer(content))
    if not labels or _LEADING_LABELS.sub("", content[: labels[0].start()]).strip(" ，,；;\n"):
        return None
    units: list[ParsedUnit] = []
    for i, m in enumerate(labels):
        role = p["label_role"][m.group(1)]
        end = labels[i + 1].start() if i + 1 < len(labels) else len(content)
        # another kind of label ends the list: "责任单位：A；完成时限：2022年底"
        other = _OTHER_LABEL.search(content, m.end(), end)
        if other:
            end = other.start()
        chunk = content[m.end() : end].rstrip(" ，,；;。\n")
        for unit, s, e, sep in split_units(chunk, base + m.end(), p["separators"] | {"\n"}):
            if _is_note(unit):
                continue
            units.append(ParsedUnit(unit, s, e, role, sep if units and units[-1].role == role else ""))
    return _mark_leads(units) or None


def parse_inline(content: str, base: int) -> list[ParsedUnit] | None:
    """（A、B牵头，C配合） / （A负责） / （A会同B负责） -> units with roles; None unless every part
    ends with a role verb and names units (notes and time limits after the units aside)."""
    p = _patterns()
    units: list[ParsedUnit] = []
    pending: list[ParsedUnit] = []  # units listed before the segment that names their role
    segments = split_units(content, base, {"，", "；", ",", ";"})
    while segments and _is_note(segments[-1][0]):
        segments.pop()
    for seg, s, _e, sep0 in segments:
        m = p["verb"].search(seg)
        names = seg[: m.start()] if m else seg
        # "A会同B、C负责": A takes the verb's role, the units after 会同 take part
        joint = p["joint"].search(names)
        head, tail = (names[: joint.start()], names[joint.end() :]) if joint and m else (names, "")
        parts = split_units(head, s, p["separators"])
        tail_parts = split_units(tail, s + joint.end(), p["separators"]) if joint and m else []
        if not parts or not all(looks_like_unit(u) for u, *_ in parts + tail_parts):
            return None
        group = [ParsedUnit(u, us, ue, "", sep if i else sep0) for i, (u, us, ue, sep) in enumerate(parts)]
        if not m:
            pending.extend(group)
            continue
        role = p["verb_role"][m.group(1)]
        for u in [*pending, *group]:
            u.role = role
        units.extend([*pending, *group])
        units.extend(ParsedUnit(u, us, ue, "participant", sep if i else "，")
                     for i, (u, us, ue, sep) in enumerate(tail_parts))
        pending = []
    if pending:
        return None
    return _mark_leads(units) or None


def assign_roles(units: list[ParsedUnit], first_leads: bool = False) -> list[ParsedUnit]:
    """Resolve 'responsible' and 'shared' into lead / participant. `first_leads`: the clause or
    the document says the first listed unit leads ("列第一位者为牵头单位")."""
    has_lead = any(u.role == "lead" for u in units)
    first = True
    for u in units:
        if u.role == "shared" and not first_leads:
            # every unit leads its own share, unless the clause names the lead ("A牵头，各部门按职责分工负责")
            u.role = "participant" if has_lead else "lead"
        elif u.role in ("responsible", "shared"):
            if has_lead:
                u.role = "participant"
            else:
                u.role = "lead" if first else "participant"
                u.lead_from_order = first
                first = False
    return units


def raw_clauses(text: str, base: int = 0) -> list[tuple[int, int, str, list[ParsedUnit]]]:
    """The clauses of a paragraph with the roles as written (lead, participant, responsible,
    shared): (start, end, form, units), offsets normalised."""
    found: list[tuple[int, int, str, list[ParsedUnit]]] = []
    labels = _patterns()["label_role"]
    for start, end in bracket_groups(text):
        content = text[start + 1 : end - 1]
        if content in labels:  # 【牵头单位】 labels the text after it: read below
            continue
        units = parse_labelled(content, base + start + 1)
        form = "labelled"
        if units is None:
            units = parse_inline(content, base + start + 1)
            form = "inline"
        if units:
            found.append((base + start, base + end, form, units))
    if not found:
        # an unbracketed label: "…。牵头单位：A；配合单位：B" to the end of the paragraph
        m = _patterns()["label"].search(text)
        if m and (m.start() == 0 or text[m.start() - 1] in "。；;：:\n 】"):
            content = text[m.start() :]
            units = parse_labelled(content, base + m.start())
            if units:
                found.append((base + m.start(), base + len(text.rstrip("。")), "labelled-bare", units))
    return found


def find_clauses(text: str, base: int = 0, first_leads: bool = False) -> list[tuple[int, int, str, list[ParsedUnit]]]:
    """All responsibility clauses in a paragraph: (start, end, form, units with lead /
    participant roles), offsets normalised."""
    note = _patterns()["first_leads"]
    return [(s, e, form, assign_roles(units, first_leads or bool(note.search(text[s - base : e - base]))))
            for s, e, form, units in raw_clauses(text, base)]


def _cells(line: str) -> list[str] | None:
    """A table row's cells: tab-separated (.docx, TSV) or a Markdown row; None for prose."""
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t")]
    elif line.startswith("|") and line.count("|") >= 3:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    else:
        return None
    return cells if len(cells) >= 2 else None


def _header_columns(cells: list[str]) -> dict[str, Any] | None:
    """Columns of a task table's header row: the task column, the unit columns with their roles
    and the number column; None unless it names a task column and a unit column."""
    p = _patterns()
    names = [re.sub(r"\s+", "", c) for c in cells]
    unit_cols = {i: p["label_role"][c] for i, c in enumerate(names) if c in p["label_role"]}
    task_cols = [i for i, c in enumerate(names) if c.removesuffix("名称") in p["task_header"] or c in p["task_header"]]
    if not unit_cols or not task_cols:
        return None
    return {"units": unit_cols, "task": task_cols[-1] if len(task_cols) == 1 else task_cols[0], "n": len(cells),
            "number": next((i for i, c in enumerate(names) if c in p["number_header"]), None)}


def _is_header_cell(line: str) -> bool:
    p = _patterns()
    c = re.sub(r"\s+", "", line)
    return c in p["label_role"] or c in p["task_header"] or c in p["number_header"] or c in p["other_header"]


TableRow = tuple[str, str, int, int, list[ParsedUnit]]


def _row_units(header: dict[str, Any], cells: list[tuple[str, int]]) -> list[ParsedUnit]:
    p = _patterns()
    units: list[ParsedUnit] = []
    for col, role in sorted(header["units"].items()):
        if col < len(cells):
            text, start = cells[col]
            for u, us, ue, sep in split_units(text, start, p["separators"]):
                units.append(ParsedUnit(u, us, ue, role, sep))
    return _mark_leads(units)


def _is_unit_list(cell: str) -> bool:
    parts = split_units(cell, 0, _patterns()["separators"])
    return bool(parts) and all(looks_like_unit(u) for u, *_ in parts)


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
            number = str(expected)
        else:
            k = min(len(lines), j + n)
            cell_lines = lines[j:k]
            number = str(expected)
        cols = [c for c in range(n) if c != number_col]
        if len(cell_lines) == len(cols):
            cells: list[tuple[str, int]] = [("", 0)] * n
            for c, (pos, text) in zip(cols, cell_lines):
                cells[c] = (text, pos)
        else:
            # cells lost or wrapped over lines: unit lists fill the unit columns in order, time
            # limits are dropped, the rest is the task
            cells = [("", 0)] * n
            unit_lines = [x for x in cell_lines if _is_unit_list(x[1])]
            task_lines = [x for x in cell_lines if x not in unit_lines and not _is_note(x[1])]
            for c, (pos, text) in zip(sorted(header["units"]), unit_lines):
                cells[c] = (text, pos)
            if task_lines:
                cells[header["task"]] = ("".join(t for _, t in task_lines), task_lines[0][0])
        units = _row_units(header, cells)
        title = cells[header["task"]][0]
        if units and title:
            end = cell_lines[-1][0] + len(cell_lines[-1][1])
            rows.append((number, heading_title(title), lines[j][0], end, units))
        expected += 1
        j = k
    return (rows, j) if rows else None


def find_table_tasks(text: str, first_leads: bool = False) -> list[TableRow]:
    """Task tables (任务分工表): a header row naming a task column and unit columns
    (牵头单位, 责任单位, 配合单位…), then one task per row; rows tab-separated (.docx, TSV),
    Markdown, or one cell per line. Returns (number, title, row start, row end, units) with
    normalised offsets."""
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    found: list[TableRow] = []
    tables = 0

    def add(table: list[TableRow]) -> None:
        nonlocal tables
        tables += 1
        for number, title, start, end, units in table:
            found.append((number if tables == 1 else f"{tables}.{number}", title, start, end,
                          assign_roles(units, first_leads)))

    i = 0
    while i < len(lines):
        start, line = lines[i]
        cells = _cells(line)
        header = _header_columns(cells) if cells else None
        if header is not None:
            rows: list[TableRow] = []
            i += 1
            while i < len(lines):
                row_start, row = lines[i]
                if not row.strip():  # blank lines between rows (HTML <tr> on lines of their own)
                    i += 1
                    continue
                if (cells := _cells(row)) is None or _header_columns(cells) is not None:
                    break  # prose, or the header of the next table
                i += 1
                if all(re.fullmatch(r":?-{2,}:?|", c) for c in cells):
                    continue  # Markdown rule under the header
                if len(cells) < max(header["units"]) + 1 or not cells[header["task"]]:
                    continue
                number = cells[header["number"]] if header["number"] is not None else ""
                number = number if re.fullmatch(r"\d{1,4}", number or "") else str(len(rows) + 1)
                # cell offsets inside the line: find each cell's text from the left
                cursor, spans = 0, []
                for c in cells:
                    k = row.find(c, cursor) if c else cursor
                    spans.append((c, row_start + k))
                    cursor = k + len(c)
                units = _row_units(header, spans)
                if units:
                    rows.append((number, heading_title(cells[header["task"]]), row_start, row_start + len(row), units))
            if rows:
                add(rows)
            continue
        if cells is None and _is_header_cell(line):
            nonempty = [x for x in lines[i:] if x[1].strip()]
            got = _cell_table([(p + len(x) - len(x.lstrip()), x.strip()) for p, x in nonempty], 0)
            if got is not None:
                rows, used = got
                add(rows)
                last = nonempty[used - 1][0] if used else start
                while i < len(lines) and lines[i][0] <= last:
                    i += 1
                continue
        i += 1
    return found


def _without_clauses(title: str) -> str:
    """A title with any clause it carries cut out: "搭建转化平台（市科技局牵头）" -> "搭建转化平台"."""
    for s, e, _form, _units in reversed(raw_clauses(title)):
        title = title[:s] + title[e:]
    return title.strip().rstrip("：:，,。")


@dataclass
class _Para:
    """A paragraph of the outline with the clauses it carries (raw roles)."""

    section: Section
    start: int
    end: int
    clauses: list[tuple[int, int, str, list[ParsedUnit]]]

    @property
    def clause_only(self) -> bool:
        """The paragraph is nothing but its clause(s): "责任单位：区科技局" on a line of its own."""
        return bool(self.clauses) and not self.section.marker and self.clauses[0][0] == self.start \
            and self.clauses[-1][1] >= self.end - 1

    @property
    def label_line(self) -> bool:
        return self.clause_only and len(self.clauses) == 1 and self.clauses[0][2] == "labelled-bare"


def _paragraphs(doc: PolicyDocument) -> list[_Para]:
    """The outline's paragraphs with their clauses; label lines that follow each other
    ("牵头单位：A" / "配合单位：B") make one clause."""
    paras: list[_Para] = []
    for section in doc.sections:
        start, end = section.text_range
        para = _Para(section, start, end, raw_clauses(doc.text[start:end], start))
        prev = paras[-1] if paras else None
        if para.label_line and prev is not None and prev.label_line:
            (s, _e, form, units), = prev.clauses
            prev.clauses = [(s, para.clauses[0][1], form, units + para.clauses[0][3])]
            prev.end = para.end
            continue
        paras.append(para)
    return paras


def extract_tasks(doc: PolicyDocument) -> PolicyDocument:
    """Fill doc.tasks from the outline: every paragraph clause becomes (part of) a task."""
    by_path = {s.path: s for s in doc.sections}
    first_leads = bool(_patterns()["first_leads"].search(doc.text))
    # (path, title, task paragraph start, clause, own section, is a child of a heading-only item)
    raw: list[tuple[str, str, int, tuple[int, int, str, list[ParsedUnit]], Section, bool]] = []
    n_children: dict[str, int] = {}
    previous: tuple[str, str, int, bool] | None = None  # identity of the paragraph before
    for para in _paragraphs(doc):
        section = para.section
        text = doc.text[para.start : para.end]
        parent = by_path.get(section.parent) if section.parent else None
        child = False
        if para.clause_only and previous is not None:
            # a paragraph that is just the clause belongs to the paragraph before it
            path, title, task_start, child = previous
        elif section.marker:  # a numbered item
            path, title, task_start = section.path, section.title, para.start
        elif parent is not None and parent.heading_only:
            # unnumbered task paragraphs under a heading with no body: …2.1, …2.2
            n_children[parent.path] = n_children.get(parent.path, 0) + 1
            path, title, task_start, child = f"{parent.path}.{n_children[parent.path]}", heading_title(text), \
                para.start, True
        elif parent is not None:
            path, title, task_start = parent.path, parent.title, para.start  # continuation of the item
        else:
            path, title, task_start = section.path, heading_title(text), para.start
        title = _without_clauses(title) or _without_clauses(heading_title(text)) or title
        for clause in para.clauses:
            raw.append((path, title, task_start, clause, section, child))
        previous = (path, title, task_start, child)

    # a heading-only item with ONE clause-bearing paragraph is itself the task ("7.优化…。")
    child_paths: dict[str, set[str]] = {}
    for path, _t, _s, _c, _section, child in raw:
        if child:
            child_paths.setdefault(path.rsplit(".", 1)[0], set()).add(path)
    lifted = {paths.pop(): by_path[parent] for parent, paths in child_paths.items() if len(paths) == 1}

    counts: dict[str, int] = {}
    for path, *_ in raw:
        counts[path] = counts.get(path, 0) + 1
    seen: dict[str, int] = {}
    tasks: list[Task] = []
    for path, title, task_start, (c_start, c_end, form, units), section, _child in raw:
        final_path, final_title = path, title
        if path in lifted:
            final_path, final_title = lifted[path].path, _without_clauses(lifted[path].title)
        n = seen.get(path, 0)
        seen[path] = n + 1
        if counts[path] > 1:
            final_path = f"{final_path}{chr(ord('a') + n)}" if n < 26 else f"{final_path}_{n + 1}"
        own = bool(_patterns()["first_leads"].search(doc.text[c_start:c_end]))
        units = assign_roles([ParsedUnit(u.written, u.start, u.end, u.role, u.separator) for u in units],
                             first_leads or own)
        p_start, p_end = task_start, max(section.text_range[1], c_end)
        mentions = [
            UnitMention(
                written=u.written,
                role="lead" if u.role == "lead" else "participant",
                span=doc.span(u.start, u.end),
                separator=u.separator,
                lead_from_order=u.lead_from_order,
            )
            for u in units
        ]
        for mention in mentions:
            mention.written_original = mention.span.quote
        clause = Clause(span=doc.span(c_start, c_end), form=form, units=mentions)
        tasks.append(
            Task(
                path=final_path,
                title=final_title,
                span=doc.span(p_start, p_end),
                clause=clause,
                section_path=section.path,
                title_original=_display_title(doc, p_start, p_end, final_title),
                text_range=(p_start, p_end),
            )
        )
    tasks.extend(_table_tasks(doc, first_leads))
    doc.tasks = tasks
    return doc


def _table_tasks(doc: PolicyDocument, first_leads: bool = False) -> list[Task]:
    """Tasks from 任务分工表 rows; paths 表.<序号>."""
    tasks = []
    for number, title, start, end, units in find_table_tasks(doc.text, first_leads):
        mentions = [UnitMention(written=u.written, role="lead" if u.role == "lead" else "participant",
                                span=doc.span(u.start, u.end), separator=u.separator,
                                lead_from_order=u.lead_from_order) for u in units]
        for m in mentions:
            m.written_original = m.span.quote
        row = doc.span(start, end)
        tasks.append(Task(path=f"表.{number}", title=title, span=row, clause=Clause(row, "table", mentions),
                          section_path="表", title_original=_display_title(doc, start, end, title),
                          text_range=(start, end)))
    return tasks


def _display_title(doc: PolicyDocument, start: int, end: int, title: str) -> str:
    """The title as the document writes it (Traditional kept), for display."""
    if not doc.display:
        return title
    i = doc.text.find(title, start, end) if title else -1
    return doc.display[i : i + len(title)] if i >= 0 else title
