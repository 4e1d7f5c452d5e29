"""The per-document record straight from the model (graph/record.py encode_record) is byte for
byte what the general encoding writes (fragments.encode_document over build.document_graph and
export.document_rows): on the sample plans, on a bench corpus plan, on fuzzed inputs (control
characters, & < >, clause fragments, file names that are not UTF-8) — and a document it does not
take is left to the general encoding, which api.document_files then uses."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import process_file
from policykg.extract.read import SourceError
from policykg.graph.build import document_graph
from policykg.graph.export import document_rows, orjson_bytes
from policykg.graph.fragments import _task_rows, encode_document, prerender_sheet, summary_bytes
from policykg.graph.record import encode_record, sheet_tasks
from policykg.graph.task_sheet import SheetRows, _clean_quote, _document_sheet, xlsx_tasks

from policykg.api import document_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import fuzz  # noqa: E402
import make_corpus  # noqa: E402


def general(doc: PolicyDocument) -> tuple[dict, bytes]:
    return encode_document(document_graph(doc), document_rows(doc))


def assert_same_record(doc: PolicyDocument) -> bool:
    """encode_record's summary and fragment are the general encoding's (True), or it leaves the
    document to it (False)."""
    encoded = encode_record(doc)
    if encoded is None:
        return False
    summary, fragment = encoded
    want_summary, want_fragment = general(doc)
    assert fragment == want_fragment, doc.name
    assert summary == want_summary, doc.name
    # the summary's bytes: orjson without the type check, as the check would write them
    assert summary_bytes(dict(summary), plain=True) == (orjson_bytes(want_summary) or summary_bytes(want_summary))
    # the 任务分工表's tasks straight from the model are those its rows, read back, give
    starts = list(itertools.accumulate(summary["sections"], initial=0))
    rows = _task_rows(memoryview(fragment)[starts[4]:starts[5]], memoryview(fragment)[starts[-2]:starts[-1]])
    tasks = sheet_tasks(doc)
    assert tasks == [{key: task[key] for key in tasks[0]} for task in xlsx_tasks(rows)] if tasks else not rows
    return True


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("*.txt")), ids=lambda p: p.name[:30])
def test_a_sheet_prerendered_from_the_model_is_the_sheet_from_the_rows(path: Path, tmp_path: Path) -> None:
    # from the rows read back, from the model's tasks, and rendered by the encoding on the way
    doc = process_file(path)
    rendered = SheetRows()
    summary, fragment = encode_record(doc, rendered)
    assert (summary, fragment) == encode_record(doc)
    sheets = []
    for name, tasks, rows in (("rows", None, None), ("model", sheet_tasks(doc), None), ("encoding", None, rendered)):
        (tmp_path / name).mkdir()
        prerender_sheet(tmp_path / name, summary, fragment, "key", tasks, rendered=rows)
        [sheet] = (tmp_path / name).iterdir()
        sheets.append((sheet.name, sheet.read_bytes()))
    assert sheets[0] == sheets[1] == sheets[2]
    assert len(rendered.rows) == len(sheet_tasks(doc))
    assert rendered.from_order == sum(task["lead_from_order"] for task in sheet_tasks(doc))


def test_a_sheet_written_a_row_at_a_time_is_the_sheet_written_cell_by_cell() -> None:
    # the sample plans' tasks (ruby pinyin among their texts), and one task whose texts are longer
    # than a cell holds, with & < > to escape, an empty deadline and a lead read from the order
    tasks = [task for path in sorted((ROOT / "data").glob("*.txt")) for task in sheet_tasks(process_file(path))]
    assert tasks
    tasks.append({**tasks[0], "text": "R&D <研发> " * 4000, "quote": "（牵头单位：A&B）", "deadline": "",
                  "part": [], "lead_from_order": True})
    assert _document_sheet("任务分工", tasks, writable=True) == _document_sheet("任务分工", tasks)


@pytest.mark.parametrize("text", [
    "開發區(qū)建設", "開發區（kāi）", "（牵头单位：市科技局）", "(R&D)投入", "(GDP)", "（A類）", "a(b", "末尾（",
    "两个  空格", " 首尾 ", "换\n行", "全角\u3000空格", "不换行\xa0空格", "零宽\u200b字符", "制表\t符", "段\u2029落",
    "", "(（", "广州(guǎng)市(shì)科技局（牵头）",
])
def test_a_sheet_cell_is_cleaned_as_without_pinyin_and_folded_white_space(text: str) -> None:
    from policykg.extract.normalise import without_pinyin

    assert _clean_quote(text) == " ".join(without_pinyin(text).split())


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("*.txt")), ids=lambda p: p.name[:30])
def test_sample_plans_are_encoded_as_the_general_way(path: Path) -> None:
    doc = process_file(path)
    assert assert_same_record(doc)  # every sample plan is plain (R&D and >> escaped in GraphML)


def test_a_bench_corpus_plan_is_encoded_as_the_general_way(tmp_path: Path) -> None:
    assert make_corpus.main(["--docs", "12", "--out", str(tmp_path / "corpus")]) == 0
    docs = sorted((tmp_path / "corpus" / "docs").glob("*.txt"))
    assert docs
    taken = sum(assert_same_record(process_file(path)) for path in docs)
    assert taken == len(docs)


def test_a_plan_whose_file_name_holds_percent_signs_is_encoded_as_the_general_way(tmp_path: Path) -> None:
    # the file name is written into the document's row and element templates: a % in it is text
    source = sorted((ROOT / "data").glob("*.txt"))[0]
    path = tmp_path / f"100%_{source.stem}_%s%d%%.txt"
    path.write_bytes(source.read_bytes())
    doc = process_file(path)
    assert "%" in doc.name and doc.tasks and doc.entities and doc.targets
    assert assert_same_record(doc)


def test_fuzzed_documents_are_encoded_as_the_general_way_or_left_to_it(tmp_path: Path) -> None:
    taken = left = 0
    for i, mutation in enumerate(fuzz.mutations(400, seed=21, size=3000)):
        name = f"f{i}-{mutation.name}"
        if i % 5 == 0:  # a file name that is not UTF-8: surrogates in its name
            name = os.fsdecode(b"bad\xff" + name.encode())
        path = tmp_path / name
        path.write_bytes(mutation.data)
        try:
            doc = process_file(path)
        except SourceError:
            continue
        if assert_same_record(doc):
            taken += 1
        else:
            left += 1
            _summary, fragment = document_files(doc)  # the general way, as the build does
            assert fragment == general(doc)[1]
    assert taken > 50 and left > 10  # both ways were exercised


def test_mentions_of_one_node_as_unit_and_entity_and_tasks_without_text_are_encoded_as_the_general_way() -> None:
    from dataclasses import replace

    from policykg.extract.model import Entity

    doc = process_file(ROOT / "data" / "qingyuan_innovation_action_plan_2020-2022_draft.txt")
    unit = next(u for t in doc.tasks for u in t.clause.units if u.resolved is not None)
    task = doc.tasks[0]
    span = task.span
    doc.entities = [
        # a unit's node named again as a firm (labels and a subtype added to the unit's node), twice
        Entity(text=unit.written, kind="Firm", span=span, subtype="公司", entity_id=unit.resolved.unit_id,
               name="某公司", task_path=task.path),
        Entity(text="另一写法", kind="Firm", span=replace(span, start=span.start + 1), subtype="公司",
               entity_id=unit.resolved.unit_id, task_path=task.path),
        Entity(text="各类孵化器", kind="Platform", span=span, subtype="孵化器", entity_id="category:Platform:孵化器",
               generic=True),
        *doc.entities,
    ]
    doc.tasks[1] = replace(doc.tasks[1], text_span=None)  # the 任务分工表 rows then go as JSON
    assert assert_same_record(doc)
    summary = encode_record(doc)[0]
    assert summary["sections"][-1] > 0
    node = next(m for m in summary["shared"] if m[1] == unit.resolved.unit_id)
    assert "Firm" in [node[2], *node[3]] and "subtype" in node[4] and "另一写法" in node[4]["aliases"]
    # the same MENTIONS edge twice (its ends and key): merged the general way
    doc.entities.append(doc.entities[0])
    assert encode_record(doc) is None


def test_unwritable_characters_are_found_line_by_line_as_in_the_whole_text() -> None:
    from policykg.graph.record import _UNWRITABLE, _unwritable

    plan = (ROOT / "data" / "qingyuan_innovation_action_plan_2020-2022_draft.txt").read_text(encoding="utf-8")
    lines = plan.split("\n")[:40]
    # every character XML cannot carry, and printable or allowed ones that are not printable (full-width
    # and no-break spaces, tabs, CR, zero-width, line and paragraph separators), at a line's start,
    # middle and end
    odd = ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff",
           "\u3000", "\xa0", "\t", "\r", "\u200b", "\u2028", "\u2029", "\x7f", "\x85", "\ue000"]
    texts = [plan, "", "\n", "\n\n"]
    for char in odd:
        for at in (0, 5, -1):
            changed = list(lines)
            line = changed[7]
            changed[7] = line[:at] + char + line[at:] if at >= 0 else line + char
            texts.append("\n".join(changed))
    found = [_unwritable(text) for text in texts]
    assert found == [_UNWRITABLE.search(text) is not None for text in texts]
    assert any(found) and not all(found)


def test_quotes_json_escapes_and_many_units_of_one_task_are_encoded_as_the_general_way() -> None:
    # the quotes of each kind of element are JSON-encoded together, their UTF-8 shared with GraphML and
    # CSV unless JSON escapes something in them (a quote mark, a backslash, a line break) or CSV quotes
    # them (a comma); a unit edge's key is made once for the first positions of a task's units (more
    # here); a name or id holding what JSON escapes leaves the document to the general way
    from dataclasses import replace

    doc = process_file(ROOT / "data" / "qingyuan_innovation_action_plan_2020-2022_draft.txt")
    task = next(t for t in doc.tasks if t.clause.units)
    # (no & < >: a quote is a slice of the original text, which decides whether they are escaped)
    odd = ['甲"乙', "丙\\丁", "戊,己", "庚\n辛", "壬\t癸", "研发"]
    units = [replace(unit, span=replace(unit.span, start=unit.span.start + k, quote=odd[k % len(odd)]))
             for k in range(40) for unit in task.clause.units[:1]]
    doc.tasks[doc.tasks.index(task)] = replace(task, clause=replace(task.clause, units=units))
    doc.entities = [replace(e, span=replace(e.span, quote=odd[i % len(odd)])) for i, e in enumerate(doc.entities)]
    doc.targets = [replace(t, span=replace(t.span, quote=odd[i % len(odd)])) for i, t in enumerate(doc.targets)]
    assert assert_same_record(doc)
    for name in ("科\\技局", "科\t技局"):  # a unit written so: JSON would escape it
        renamed = [replace(unit, written=name) for unit in units]
        doc.tasks[doc.tasks.index(next(t for t in doc.tasks if t.clause.units == units))] = \
            replace(task, clause=replace(task.clause, units=renamed))
        assert encode_record(doc) is None
        assert document_files(doc)[1] == general(doc)[1]
        units = renamed
