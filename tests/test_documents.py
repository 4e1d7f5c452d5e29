"""The real sample documents: every task, its lead and its number of participants, as the plans
state them (checked by reading each clause; the gold annotations in tests/gold agree)."""

from __future__ import annotations

from pathlib import Path

import pytest
from policykg.extract.pipeline import STAGES, process_file

DATA = Path(__file__).resolve().parents[1] / "data"

# (task path, first unit as written (the lead), participants)
EXPECTED: dict[str, list[tuple[str, str, int]]] = {
    "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt": [
        ("二.(一).2.1", "市发展改革委", 1),
        ("二.(一).2.2", "市科技创新委", 1),
        ("二.(一).2.3", "市教育局", 3),
        ("二.(一).2.4", "市科技创新委", 2),
        ("二.(一).2.5", "市科技创新委", 5),
        ("二.(二).2.1", "市商务委", 2),
        ("二.(二).2.2", "市金融局", 1),
        ("二.(二).2.3", "市科技创新委", 1),
        ("二.(二).2.4", "市科技创新委", 8),
        ("二.(二).2.5", "市工业和信息化委", 1),
        ("二.(三).2.1", "市发展改革委", 2),
        ("二.(三).2.2", "市工业和信息化委", 0),
        ("二.(三).2.3", "市工业和信息化委", 0),
        ("二.(三).2.4", "市工业和信息化委", 0),
        ("二.(四).2.1", "市科技创新委", 1),
        ("二.(四).2.2", "市科技创新委", 0),
        ("二.(四).2.3", "市发展改革委", 2),
        ("二.(四).2.4", "市科技创新委", 0),
        ("二.(四).2.5", "市科技创新委", 5),
        ("二.(五).2.1", "市科技创新委", 7),
        ("二.(五).2.2", "市发展改革委", 2),
        ("二.(五).2.3a", "市商务委", 4),
        ("二.(五).2.3b", "市科技创新委", 1),
        ("二.(五).2.4", "市科技创新委", 1),
        ("三.(一).1", "市科技创新委", 5),
        ("三.(一).2", "市科技创新委", 3),
        ("三.(一).3", "市科技创新委", 2),
        ("三.(二).4", "市委组织部", 2),
        ("三.(二).5", "市人力资源和社会保障局", 3),
        ("三.(二).6", "市人力资源和社会保障局", 1),
        ("三.(三).7", "市科技创新委", 1),
        ("三.(三).8", "市科技创新委", 3),
        ("三.(四).9", "市国土规划委", 1),
        ("三.(五).10", "市委宣传部", 2),
    ],
    "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt": [
        ("三.(一).1", "市科技局", 4),
        ("三.(一).2", "广清帮扶指挥部", 4),
        ("三.(一).3", "市科技局", 4),
        ("三.(二).1", "市科技局", 5),
        ("三.(二).2", "市科技局", 5),
        ("三.(二).3", "市科技局", 3),
        ("三.(三).1", "市科技局", 3),
        ("三.(三).2", "市科技局", 2),
        ("三.(三).3", "市科技局", 2),
        ("三.(四).1", "清远高新区", 4),
        ("三.(四).2", "清远高新区", 4),
        ("三.(四).3", "市科技局", 4),
        ("三.(五).1", "市科技局", 5),
        ("三.(五).2", "市科技局", 5),
        ("三.(五).3", "市科技局", 6),
        ("三.(五).4", "市工业和信息化局", 3),
        ("三.(六).1", "市科技局", 3),
        ("三.(六).2", "市科技局", 3),
        ("三.(六).3", "市科技局", 2),
        ("三.(六).4", "市金融局", 3),
        ("三.(七).1", "市委组织部", 2),
        ("三.(七).2", "市委组织部", 2),
        ("三.(七).3", "市委组织部", 2),
        ("三.(八).1", "市科技局", 4),
        ("三.(八).2", "市科技局", 3),
        ("三.(八).3", "市委宣传部", 3),
        ("三.(八).4", "市市场监督管理局", 2),
    ],
    "qingyuan_innovation_action_plan_2020-2022_draft.txt": [
        ("三.(一).1", "市科技局", 4),
        ("三.(一).2", "市科技局", 6),
        ("三.(一).3", "广清帮扶指挥部", 4),
        ("三.(一).4", "市科技局", 3),
        ("三.(二).1", "市科技局", 2),
        ("三.(二).2", "市科技局", 4),
        ("三.(二).3", "市科技局", 4),
        ("三.(二).4", "市科技局", 2),
        ("三.(三).1", "市工业和信息化局", 3),
        ("三.(三).2", "市科技局", 5),
        ("三.(三).3", "市科技局", 3),
        ("三.(三).4", "市科技局", 3),
        ("三.(四).1", "清远高新区", 4),
        ("三.(四).2", "清远高新区", 4),
        ("三.(四).3", "市科技局", 5),
        ("三.(五).1", "市科技局", 6),
        ("三.(五).2", "市科技局", 5),
        ("三.(五).3", "市科技局", 6),
        ("三.(五).4", "市市场监管局", 4),
        ("三.(六).1", "市科技局", 2),
        ("三.(六).2", "市金融局", 4),
        ("三.(六).3", "市教育局", 4),
        ("三.(六).4", "市委组织部", 2),
        ("三.(六).5", "市发展改革局", 12),
    ],
    "qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt": [
    ],
    "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt": [
    ],
}


@pytest.fixture(scope="module", params=sorted(EXPECTED), ids=lambda n: n[:24])
def doc_and_expected(request: pytest.FixtureRequest):
    return process_file(DATA / request.param, stages=STAGES[:2]), EXPECTED[request.param]


def test_tasks_per_document(doc_and_expected) -> None:
    doc, expected = doc_and_expected
    got = [(t.path, t.lead_units[0].written, len(t.participant_units)) for t in doc.tasks]
    assert got == expected


def test_every_clause_quote_is_the_original_text(doc_and_expected) -> None:
    doc, _ = doc_and_expected
    for task in doc.tasks:
        span = task.clause.span
        assert doc.original[span.start:span.end] == span.quote
        assert span.quote[0] in "（(【[" and span.quote[-1] in "）)】]"
        for unit in task.clause.units:
            assert task.clause.span.start <= unit.span.start < unit.span.end <= task.clause.span.end
            # the unit as cited, once whitespace and pinyin are normalised away, is the unit as read
            from policykg.extract.normalise import normalise
            assert normalise(unit.span.quote)[0].replace("\n", "") == unit.written


def test_qingyuan_2020_exact_tasks() -> None:
    doc = process_file(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt", stages=STAGES[:2])
    t = {x.path: x for x in doc.tasks}
    assert t["三.(一).2"].title == "建立与大湾区协同创新平台"
    assert [u.written for u in t["三.(一).2"].participant_units] == [
        "市发展改革局", "市工业和信息化局", "市农村农业局", "清远高新区", "广清产业园", "各县（市、区）人民政府"]
    assert t["三.(六).5"].clause.span.quote.startswith("(牵头单位：市发展改革局")  # "(" closed by "）"
    assert [u.written for u in t["三.(六).3"].participant_units][-1] == "广东省职教城（清远）事务中心"


def test_guangzhou_exact_tasks() -> None:
    doc = process_file(DATA / "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt", stages=STAGES[:2])
    t = {x.path: x for x in doc.tasks}
    assert t["二.(一).2.1"].title == "科学谋划综合性国家科学中心的空间布局"
    assert t["二.(一).2.1"].title_original == "科學謀劃綜合性國家科學中心的空間布局"
    assert [u.written for u in t["二.(一).2.4"].clause.units] == ["市科技创新委", "广州开发区", "南沙开发区管委会"]
    # two clauses in one item: the first task is named by the item, the second by its own text
    assert t["二.(五).2.3a"].title == "促进“一带一路”联合创新"
    assert t["二.(五).2.3b"].title.startswith("推动中乌巴顿焊接研究院")
    assert t["二.(五).2.3b"].text.startswith("推動中烏巴頓焊接研究院") and t["二.(五).2.3b"].text.endswith("發展改革委)")
    assert t["三.(三).7"].title == "优化资源配置模式"
    assert "(責任單位:" in t["三.(三).7"].clause.span.quote


def test_pdf_copy_repairs_broken_clauses() -> None:
    doc = process_file(DATA / "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt", stages=STAGES[:2])
    t = {x.path: x for x in doc.tasks}
    assert t["三.(一).2"].title == "提升广清产业园创新水平"
    assert t["三.(一).2"].lead_units[0].written == "广清帮扶指挥部"  # "广清帮扶\n\n指挥部" in the PDF text
    assert "\n" in t["三.(一).2"].clause.span.quote
    assert t["三.(四).3"].title == "新布局建设省级高新区"  # heading printed four times

