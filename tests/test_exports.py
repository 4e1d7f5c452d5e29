"""What a build hands to people and other tools: the 任务分工表 (responsibilities.xlsx, opened
with openpyxl), GraphML (read back with networkx), typed graph.json values, short labels that
stay unique, and notebook tables — on a real build of the sample plans in data/."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import networkx as nx
import openpyxl
import pytest
from conftest_db import build_sample
from policykg.graph.export import LEAD_FROM_ORDER_MARK, OVERVIEW_SHEET, XLSX_COLUMNS
from policykg.graph.labels import display_width, shorten, unique_short_labels
from policykg.queries.runner import Rows

PINYIN = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,7}[)）]")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def csv_rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def documents(out: Path) -> list[dict]:
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    return [n for n in data["nodes"] if n["label"] == "Document"]


# ---- the 任务分工表 ---------------------------------------------------------------------------


def test_xlsx_has_an_overview_and_one_sheet_per_document(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "responsibilities.xlsx")
    docs = documents(out)
    assert wb.sheetnames[0] == OVERVIEW_SHEET
    assert len(wb.sheetnames) == 1 + len(docs)
    overview = list(wb[OVERVIEW_SHEET].iter_rows(values_only=True))
    assert overview[0][:2] == ("序号", "文件")
    # every document once, with its full title, and a link to its sheet
    assert sorted(row[1] for row in overview[1:]) == sorted(d["name"] for d in docs)
    assert [row[-1] for row in overview[1:]] == wb.sheetnames[1:]
    # the two 清远 editions differ only in the period: their sheet names keep it
    editions = [name for name in wb.sheetnames if "清远市建设环粤港澳" in name]
    assert len(editions) == 2
    assert any("2019-2021" in name for name in editions) and any("2020-2022" in name for name in editions)
    assert all(len(name) <= 31 for name in wb.sheetnames)


def test_xlsx_document_sheets_columns_rows_and_marks(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "responsibilities.xlsx")
    resp = csv_rows(out, "responsibilities.csv")
    overview = {row[1]: row for row in wb[OVERVIEW_SHEET].iter_rows(min_row=2, values_only=True)}
    checked_marks = 0
    for doc in documents(out):
        sheet = wb[overview[doc["name"]][-1]]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == XLSX_COLUMNS
        doc_rows = [r for r in resp if r["doc_sha256"] == doc["sha256"]]
        task_ids = list(dict.fromkeys(r["task_id"] for r in doc_rows))
        assert len(rows) - 1 == len(task_ids) == overview[doc["name"]][5]
        by_task = {t: [r for r in doc_rows if r["task_id"] == t] for t in task_ids}
        for number, (row, task_id) in enumerate(zip(rows[1:], task_ids), 1):
            units = by_task[task_id]
            cells = dict(zip(XLSX_COLUMNS, row))
            assert cells["序号"] == number
            assert cells["任务"].startswith(units[0]["task_path"]) and units[0]["task_title"] in cells["任务"]
            assert (cells["牵头单位"] or "").split("、") == [u["unit"] for u in units if u["role"] == "lead"] or \
                not any(u["role"] == "lead" for u in units)
            assert (cells["配合单位"] or "") == "、".join(u["unit"] for u in units if u["role"] == "participant")
            assert cells["原文"] and not PINYIN.search(cells["原文"])
            assert cells["任务内容"]
            inferred = any(u["lead_from_order"] == "yes" for u in units)
            assert (cells["备注"] == LEAD_FROM_ORDER_MARK) == inferred
            checked_marks += inferred
    # 广州's (責任單位：A、B) names no lead: the first listed is read as lead, and marked
    assert checked_marks >= 30


def test_xlsx_quote_without_pinyin_but_otherwise_as_written(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "responsibilities.xlsx")
    quotes = [row[6] for name in wb.sheetnames[1:] for row in wb[name].iter_rows(min_row=2, values_only=True)]
    raw = [r["quote"] for r in csv_rows(out, "responsibilities.csv")]
    with_pinyin = [q for q in raw if PINYIN.search(q)]
    assert with_pinyin, "the 广州 plan writes 區(qū) in its clauses"
    cleaned = {" ".join(PINYIN.sub("", q).split()) for q in with_pinyin}
    assert cleaned <= set(quotes)
    assert any("區" in q for q in cleaned)  # Traditional kept as the plan wrote it


def test_xlsx_is_print_ready(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "responsibilities.xlsx")
    for sheet in wb.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (1, None) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows in ("1:1", "$1:$1")  # the header row on every page
        assert sheet.freeze_panes == "A2"
        widths = [sheet.column_dimensions[c].width for c in "ABCDEFG"]
        assert all(w and w >= 5 for w in widths)
    assert "明细" not in wb.sheetnames  # the (task, unit, role) detail is responsibilities.csv
    overview = wb[OVERVIEW_SHEET]
    for row in range(2, overview.max_row + 1):  # each document's row links to its sheet
        assert overview.cell(row, 8).hyperlink.location == f"'{overview.cell(row, 8).value}'!A1"
    titles = {d["name"] for d in documents(out)}
    assert {wb[name].oddHeader.center.text for name in wb.sheetnames[1:]} == titles  # printed on every page


# ---- GraphML and typed values -------------------------------------------------------------------


def test_graphml_reads_back_with_display_labels_and_types(out: Path) -> None:
    g = nx.read_graphml(out / "graph.graphml", force_multigraph=True)
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    assert g.number_of_nodes() == len(data["nodes"]) and g.number_of_edges() == len(data["edges"])
    by_id = {n["id"]: n for n in data["nodes"]}
    for node, attrs in g.nodes(data=True):
        original = by_id[node]
        assert attrs["kind"] == original["label"]  # the kind is its own attribute
        if original["label"] == "Task":
            assert attrs["label"] == f"{original['path']} {original['title']}"
        else:
            assert attrs["label"] == original["name"]  # Gephi's caption is the display name
    doc = next(a for _, a in g.nodes(data=True) if a["kind"] == "Document" and "periodStart" in a)
    assert isinstance(doc["periodStart"], int)
    targets = [a for *_, a in g.edges(data=True) if a["type"] == "TARGETS"]
    assert targets and all(isinstance(a["value"], float) for a in targets)
    assert all(isinstance(a["year"], int) for a in targets if "year" in a)
    ranges = [a for a in targets if "valueMax" in a]
    assert all(isinstance(a["valueMax"], float) for a in ranges)
    assert len(ranges) < len(targets)  # most targets have no range: absent, not ""
    assert all(a["label"] == a["type"] for *_, a in g.edges(data=True))


def test_graph_json_empty_numbers_are_null(out: Path) -> None:
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    for edge in data["edges"]:
        if edge["type"] == "TARGETS":
            assert edge["year"] is None or isinstance(edge["year"], int)
            assert edge["valueMax"] is None or isinstance(edge["valueMax"], float | int)
    for node in data["nodes"]:
        if node["label"] == "Document":
            assert node["periodStart"] is None or isinstance(node["periodStart"], int)


def test_tabular_outputs_use_snake_case(out: Path) -> None:
    for name in ("responsibilities.csv", "resolution.csv", "targets.csv", "entities.csv"):
        header = next(csv.reader((out / name).open(encoding="utf-8-sig")))
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", column) for column in header), (name, header)
    schema = (Path(__file__).resolve().parents[1] / "docs" / "graph-schema.md").read_text(encoding="utf-8")
    assert "snake_case" in schema and "camelCase" in schema


# ---- titles and tables -------------------------------------------------------------------------


def test_csv_and_json_keep_full_titles(out: Path) -> None:
    titles = {d["name"] for d in documents(out)}
    assert {r["doc_title"] for r in csv_rows(out, "responsibilities.csv")} <= titles
    assert any(display_width(t) > 60 for t in titles)


def test_short_labels_keep_period_and_status_and_stay_unique() -> None:
    a = "清远市建设环粤港澳大湾区创新发展先行市三年行动计划（2019-2021年）（征求意见稿）"
    b = "清远市建设环粤港澳大湾区创新发展先行市三年行动计划（2020-2022年）（征求意见稿）"
    assert shorten(a, 40).endswith("（2019-2021年）（征求意见稿）") and display_width(shorten(a, 40)) <= 40
    labels = unique_short_labels([a, b, a], 40)
    assert len(labels) == 2 and len(set(labels.values())) == 2
    same_end = ["某市科技创新发展三年行动计划甲方案附件", "某市科技创新发展三年行动计划乙方案附件"]
    assert len(set(unique_short_labels(same_end, 16).values())) == 2


def test_rows_table_shortens_titles_distinctly_and_html_shows_them_whole(out: Path) -> None:
    docs = documents(out)
    rows = Rows(["document", "tasks"], [{"document": d["name"], "tasks": 1} for d in docs])
    table = rows.to_table(max_width=40)
    lines = table.splitlines()[2:-1]
    assert len({line.split("  ")[0].strip() for line in lines}) == len(docs)
    assert "（2019-2021年）" in table and "（2020-2022年）" in table
    html = rows._repr_html_()
    assert html.startswith("<table>") and all(d["name"] in html for d in docs)
    assert "<td>1</td>" in html
