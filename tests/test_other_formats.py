"""Plans in formats the samples do not show: national (国务院) and provincial documents, district
plans with label lines, task tables (TSV, one cell per line, .docx), chapter outlines, HTML,
GB18030. Expected tasks in tests/fixtures/plans/expected.json were written by reading each file."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import STAGES, process_file

PLANS = Path(__file__).parent / "fixtures" / "plans"
EXPECTED: dict[str, Any] = json.loads((PLANS / "expected.json").read_text(encoding="utf-8"))["documents"]
_HALF = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；"})


def plain(s: str) -> str:
    """Text as a reader sees it: no tags or entities, no white space, full-width punctuation."""
    s = html.unescape(re.sub(r"<[^>]*>", "", s))
    return re.sub(r"\s+", "", s).translate(_HALF)


@pytest.fixture(scope="module")
def documents() -> dict[str, PolicyDocument]:
    return {name: process_file(PLANS / name, stages=STAGES[:3]) for name in EXPECTED}


def test_every_fixture_has_expectations() -> None:
    files = {p.name for p in PLANS.iterdir() if p.suffix in {".txt", ".md", ".html", ".docx", ".xlsx"}}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tasks(name: str, documents: dict[str, PolicyDocument]) -> None:
    doc = documents[name]
    got = [(t.path, t.title, [u.written for u in t.lead_units], [u.written for u in t.participant_units])
           for t in doc.tasks]
    want = [(t["path"], t["title"], t["lead"], t["participants"]) for t in EXPECTED[name]["tasks"]]
    assert got == want


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_clause_quotes(name: str, documents: dict[str, PolicyDocument]) -> None:
    got = [plain(t.clause.span.quote) for t in documents[name].tasks]
    assert got == [plain(t["quote"]) for t in EXPECTED[name]["tasks"]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_offsets_cite_the_original(name: str, documents: dict[str, PolicyDocument]) -> None:
    doc = documents[name]
    assert doc.tasks
    for task in doc.tasks:
        for span in (task.span, task.clause.span, *(u.span for u in task.clause.units)):
            assert doc.original[span.start:span.end] == span.quote
        for unit in task.clause.units:
            assert plain(unit.span.quote) == plain(unit.written)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if any("deadline" in t for t in EXPECTED[n]["tasks"])))
def test_deadlines(name: str, documents: dict[str, PolicyDocument]) -> None:
    got = [(t.path, t.deadline, t.deadline_text) for t in documents[name].tasks]
    assert got == [(t["path"], t["deadline"], t["deadline_text"]) for t in EXPECTED[name]["tasks"]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_task_carries_its_text(name: str, documents: dict[str, PolicyDocument]) -> None:
    """The text a clause covers: cited in the original, holding the clause (prose) or standing
    in the task's row (tables)."""
    doc = documents[name]
    for task in doc.tasks:
        span = task.text_span
        assert span is not None and task.text.strip()
        assert doc.original[span.start:span.end] == task.text
        if task.clause.form == "table":
            assert task.span.start <= span.start <= span.end <= task.span.end
        else:
            assert span.start <= task.clause.span.start and task.clause.span.end <= span.end


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_inferred(name: str, documents: dict[str, PolicyDocument]) -> None:
    meta, want = documents[name].meta, EXPECTED[name]["meta"]
    assert meta.title == want["title"]
    if want["jurisdiction"] == "全国":
        assert meta.jurisdiction in ("全国", "")
    else:
        assert meta.jurisdiction == want["jurisdiction"]
    assert meta.period == (tuple(want["period"]) if want["period"] else None)
    assert meta.inferred  # no manifest entry: every field says how it was found


def roles(text: str) -> list[list[tuple[str, str]]]:
    """[(role, unit), …] per clause found in a normalised paragraph."""
    from policykg.extract.clauses import find_clauses
    from policykg.extract.normalise import normalise

    norm, _, _ = normalise(text)
    return [[(u.role, u.written) for u in units] for _, _, _, units in find_clauses(norm)]


@pytest.mark.parametrize(("text", "want"), [
    # 会同: the unit before it leads, the units after it take part
    ("（省发展改革委会同省科技厅等负责）", [("lead", "省发展改革委"), ("participant", "省科技厅")]),
    # two units joined by 和; names with 和 inside stay whole
    ("（市科技局和市财政局负责）", [("lead", "市科技局"), ("participant", "市财政局")]),
    ("（市工业和信息化局牵头，市住房和城乡建设局配合）", [("lead", "市工业和信息化局"), ("participant", "市住房和城乡建设局")]),
    ("（责任单位：各县（市、区）党委和政府、市直有关单位）", [("lead", "各县（市、区）党委和政府"), ("participant", "市直有关单位")]),
    # notes and time limits after the units are not units
    ("（国家发展改革委、科技部等按职责分工负责，列第一位者为牵头单位）", [("lead", "国家发展改革委"), ("participant", "科技部")]),
    ("（科技部、财政部按职责分工负责，2024年12月底前出台）", [("lead", "科技部"), ("lead", "财政部")]),
    ("（责任单位：市科技局、市发展改革委，排名第一的为牵头单位）", [("lead", "市科技局"), ("participant", "市发展改革委")]),
    # a lead marked inside a list of responsible units
    ("（责任单位：市财政局、市科技局（牵头））", [("participant", "市财政局"), ("lead", "市科技局")]),
    # labels of other kinds before the unit labels
    ("（牵头领导：王五；牵头单位：市科技局）", [("lead", "市科技局")]),
    ("（市科技局主责，市财政局、市科协协同）", [("lead", "市科技局"), ("participant", "市财政局"), ("participant", "市科协")]),
    # one collective written over 、
    ("（各省、自治区、直辖市人民政府负责）", [("lead", "各省、自治区、直辖市人民政府")]),
])
def test_clause_forms_of_other_provinces(text: str, want: list[tuple[str, str]]) -> None:
    assert roles("做好工作" + text) == [want]


def test_document_note_first_listed_leads(tmp_path: Path) -> None:
    f = tmp_path / "plan.txt"
    f.write_text("关于做好科技工作的通知\n一、加强平台建设。建设实验室。（科技部、财政部按职责分工负责）\n"
                 "各项任务中，列第一位者为牵头单位。\n", encoding="utf-8")
    doc = process_file(f, stages=STAGES[:2])
    assert [(u.role, u.written) for u in doc.tasks[0].clause.units] == [("lead", "科技部"), ("participant", "财政部")]


def test_repeated_heading_wrapped_over_lines() -> None:
    from policykg.extract.normalise import normalise

    text = ("3．3．3．3．构建法治化创新环境构建法治化创新环境构建法\n\n治化创新环境构建法治化创新环境。。。。支持创办"
            "孵化器。（牵头单位：市科技局）\n")
    norm, _, offsets = normalise(text)
    assert norm.startswith("3.构建法治化创新环境。支持创办孵化器")
    assert text[offsets[norm.index("支持")]] == "支"
