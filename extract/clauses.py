"""Responsibility clauses: who leads a task and who takes part, as the plan states it.

Forms (words in resources/clause_words.json):
  labelled   （牵头单位：A，参与单位：B、C）  (責任單位:A、B)  【责任单位：A】  牵头单位：A；配合单位：B
  inline     （A、B牵头，C、D配合）  （A负责）  （A、B等负责）  （A、B按职责分工负责）
Conventions: units under a lead label or before 牵头 lead; under 配合/参与/… or before
配合/参与/落实 they participate. Where a clause names responsible units (责任单位, 负责) but no
lead, the first listed unit leads and the rest participate ("列第一位者为牵头单位"); where it
also names a lead, the responsible units participate. "按职责分工负责" makes every unit a lead
of its share. Parentheses that are not clauses (（2018-2022年）, （现有1家）) are left alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from policykg.extract.model import Clause, PolicyDocument, Task, UnitMention
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
    return {
        "label_role": label_role,
        "verb_role": verb_role,
        "label": label_re,
        "verb": verb_re,
        "suffixes": suffixes,
        "not_unit": tuple(words["not_unit_words"]),
        "separators": set(words["separators"]),
        "trailing_generic": tuple(sorted(words["trailing_generic"], key=len, reverse=True)),
    }


@dataclass
class ParsedUnit:
    written: str
    start: int  # offsets in the normalised text
    end: int
    role: str  # lead | participant | responsible | shared
    separator: str  # what preceded it in its list ("" for the first)


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
    return out


def looks_like_unit(name: str) -> bool:
    p = _patterns()
    if not (2 <= len(name) <= 40) or re.search(r"\d", name):
        return False
    if any(w in name for w in p["not_unit"]):
        return False
    core = re.sub(r"（[^）]*）", "", name)
    return core.endswith(p["suffixes"]) or core.startswith("各")


_OTHER_LABEL = re.compile(r"[，,；;。\s]*[\u4e00-\u9fff]{2,8}[：:]")


def parse_labelled(content: str, base: int) -> list[ParsedUnit] | None:
    """（牵头单位：A，参与单位：B、C） -> units with roles; None if no label opens the clause."""
    p = _patterns()
    labels = list(p["label"].finditer(content))
    if not labels or content[: labels[0].start()].strip(" ，,；;"):
        return None
    units: list[ParsedUnit] = []
    for i, m in enumerate(labels):
        role = p["label_role"][m.group(1)]
        end = labels[i + 1].start() if i + 1 < len(labels) else len(content)
        # another kind of label ends the list: "责任单位：A；完成时限：2022年底"
        other = _OTHER_LABEL.search(content, m.end(), end)
        if other:
            end = other.start()
        chunk = content[m.end() : end].rstrip(" ，,；;。")
        for unit, s, e, sep in split_units(chunk, base + m.end(), p["separators"]):
            units.append(ParsedUnit(unit, s, e, role, sep if units and units[-1].role == role else ""))
    return units or None


def parse_inline(content: str, base: int) -> list[ParsedUnit] | None:
    """（A、B牵头，C配合） / （A负责） -> units with roles; None unless every part ends with a
    role verb and names units."""
    p = _patterns()
    units: list[ParsedUnit] = []
    pending: list[ParsedUnit] = []  # units listed before the segment that names their role
    for seg, s, _e, sep0 in split_units(content, base, {"，", "；", ",", ";"}):
        m = p["verb"].search(seg)
        names = seg[: m.start()] if m else seg
        parts = split_units(names, s, p["separators"])
        if not parts or not all(looks_like_unit(u) for u, *_ in parts):
            return None
        group = [ParsedUnit(u, us, ue, "", sep if i else sep0) for i, (u, us, ue, sep) in enumerate(parts)]
        if not m:
            pending.extend(group)
            continue
        role = p["verb_role"][m.group(1)]
        for u in [*pending, *group]:
            u.role = role
        units.extend([*pending, *group])
        pending = []
    if pending:
        return None
    return units or None


def assign_roles(units: list[ParsedUnit]) -> list[ParsedUnit]:
    """Resolve 'responsible' and 'shared' into lead / participant."""
    has_lead = any(u.role == "lead" for u in units)
    first_responsible = True
    for u in units:
        if u.role == "shared":
            # every unit leads its own share, unless the clause names the lead ("A牵头，各部门按职责分工负责")
            u.role = "participant" if has_lead else "lead"
        elif u.role == "responsible":
            if has_lead:
                u.role = "participant"
            else:
                u.role = "lead" if first_responsible else "participant"
                first_responsible = False
    return units


_BARE_LABEL = re.compile(r"(?:^|(?<=[。；]))")


def find_clauses(text: str, base: int = 0) -> list[tuple[int, int, str, list[ParsedUnit]]]:
    """All responsibility clauses in a paragraph: (start, end, form, units), offsets normalised."""
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
            found.append((base + start, base + end, form, assign_roles(units)))
    if not found:
        # an unbracketed label: "…。牵头单位：A；配合单位：B" to the end of the paragraph
        m = _patterns()["label"].search(text)
        if m and (m.start() == 0 or text[m.start() - 1] in "。；;：:\n 】"):
            content = text[m.start() :]
            units = parse_labelled(content, base + m.start())
            if units:
                found.append((base + m.start(), base + len(text.rstrip("。")), "labelled-bare", assign_roles(units)))
    return found


_TASK_HEADER = re.compile(
    r"^(重点任务|主要任务|工作任务|任务内容|工作内容|具体任务|具体措施|任务|措施|工作措施|政策措施|事项|工作事项)(名称)?$"
)
_NUMBER_HEADER = re.compile(r"^(序号|编号|序|号)$")


def _cells(line: str) -> list[str] | None:
    """A table row's cells: tab-separated (.docx, TSV) or a Markdown row; None for prose."""
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t")]
    elif line.startswith("|") and line.count("|") >= 3:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    else:
        return None
    return cells if len(cells) >= 2 else None


def find_table_tasks(text: str) -> list[tuple[str, str, int, int, list[ParsedUnit]]]:
    """Task tables (任务分工表): a header row naming a task column and unit columns
    (牵头单位, 责任单位, 配合单位…), then one task per row. Returns
    (number, title, row start, row end, units) with normalised offsets."""
    p = _patterns()
    roles = {w: r for r, ws in clause_words()["labels"].items() for w in ws}
    found: list[tuple[str, str, int, int, list[ParsedUnit]]] = []
    header: dict[str, Any] | None = None
    tables = 0
    pos = 0
    for line in text.split("\n"):
        cells = _cells(line)
        if cells is None:
            header = None
        elif header is None:
            unit_cols = {i: roles[c] for i, c in enumerate(cells) if c in roles}
            task_cols = [i for i, c in enumerate(cells) if _TASK_HEADER.match(c)]
            if unit_cols and task_cols:
                tables += 1
                header = {"table": tables, "units": unit_cols, "task": task_cols[-1], "n": len(cells), "row": 0,
                          "number": next((i for i, c in enumerate(cells) if _NUMBER_HEADER.match(c)), None)}
        elif not all(re.fullmatch(r":?-{2,}:?|", c) for c in cells):
            header["row"] += 1
            if len(cells) < max(header["units"]) + 1 or not cells[header["task"]]:
                pos += len(line) + 1
                continue
            number = cells[header["number"]] if header["number"] is not None else ""
            number = number if re.fullmatch(r"\d{1,4}", number or "") else str(header["row"])
            # cell offsets inside the line: find each cell's text from the left
            cursor, spans = 0, []
            for c in cells:
                i = line.find(c, cursor) if c else cursor
                spans.append(i)
                cursor = i + len(c)
            units: list[ParsedUnit] = []
            for col, role in sorted(header["units"].items()):
                for u, us, ue, sep in split_units(cells[col], pos + spans[col], p["separators"]):
                    units.append(ParsedUnit(u, us, ue, role, sep))
            if units:
                number = number if header["table"] == 1 else f"{header['table']}.{number}"
                found.append((number, heading_title(cells[header["task"]]), pos, pos + len(line), assign_roles(units)))
        pos += len(line) + 1
    return found


def _first_sentence(text: str) -> str:
    return heading_title(text)


def extract_tasks(doc: PolicyDocument) -> PolicyDocument:
    """Fill doc.tasks from the outline: every paragraph clause becomes (part of) a task."""
    from policykg.extract.outline import match_marker

    by_path = {s.path: s for s in doc.sections}
    raw: list[tuple[str, str, Any, tuple[int, int, str, list[ParsedUnit]]]] = []
    children_with_clause: dict[str, int] = {}
    previous_task_path: str | None = None
    previous_title = ""
    for section in doc.sections:
        start, end = section.text_range
        para = doc.text[start:end]
        clauses = find_clauses(para, start)
        if not clauses:
            previous_task_path = None
            continue
        parent = by_path.get(section.parent) if section.parent else None
        only_clause = clauses[0][0] == start and clauses[-1][1] >= end - 1
        if section.marker:  # a numbered item carrying its own clause
            path, title = section.path, section.title
        elif only_clause and previous_task_path is not None:
            # a paragraph that is just the clause belongs to the paragraph before it
            path, title = previous_task_path, previous_title
        elif parent is not None and parent.heading_only:
            path, title = section.path, _first_sentence(para)
            children_with_clause[parent.path] = children_with_clause.get(parent.path, 0) + 1
        elif parent is not None:
            path, title = parent.path, parent.title  # a continuation paragraph of the item
        else:
            path, title = section.path, _first_sentence(para)
        if match_marker(title or "") is None and not title:
            title = _first_sentence(para)
        for clause in clauses:
            raw.append((path, title, section, clause))
        previous_task_path, previous_title = path, title

    # a heading-only item with ONE clause-bearing paragraph is itself the task ("7.优化…。")
    lifted: dict[str, tuple[str, str]] = {}
    for parent_path, count in children_with_clause.items():
        if count == 1:
            parent = by_path[parent_path]
            lifted[parent_path] = (parent.path, parent.title)

    counts: dict[str, int] = {}
    for path, *_ in raw:
        counts[path] = counts.get(path, 0) + 1
    seen: dict[str, int] = {}
    tasks: list[Task] = []
    for path, title, section, (c_start, c_end, form, units) in raw:
        final_path, final_title = path, title
        if not section.marker and section.parent in lifted and path == section.path:
            final_path, final_title = lifted[section.parent]
        n = seen.get(path, 0)
        seen[path] = n + 1
        if counts[path] > 1:
            final_path = f"{final_path}{chr(ord('a') + n)}" if n < 26 else f"{final_path}_{n + 1}"
        p_start, p_end = section.text_range
        mentions = [
            UnitMention(
                written=u.written,
                role="lead" if u.role == "lead" else "participant",
                span=doc.span(u.start, u.end),
            )
            for u in units
        ]
        for u, mention in zip(units, mentions):
            mention.written_original = mention.span.quote
            mention.separator = u.separator
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
    tasks.extend(_table_tasks(doc))
    doc.tasks = tasks
    return doc


def _table_tasks(doc: PolicyDocument) -> list[Task]:
    """Tasks from 任务分工表 rows; paths 表.<序号>."""
    tasks = []
    for number, title, start, end, units in find_table_tasks(doc.text):
        mentions = [UnitMention(written=u.written, role="lead" if u.role == "lead" else "participant",
                                span=doc.span(u.start, u.end), separator=u.separator) for u in units]
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
