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
    files = {p.name for p in PLANS.iterdir() if p.suffix in {".txt", ".html", ".docx"}}
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
