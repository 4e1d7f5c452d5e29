"""Quantitative targets (extract/targets.py): the real documents in data/, every written form
as a sentence, and the warnings for bad input.

The expected targets per document were checked by reading each sentence and table of the plan
(they agree with the gold annotations in tests/gold where those exist).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import STAGES, load_document, process_document
from policykg.extract.targets import (
    UNREADABLE,
    canonical_indicator,
    extract_targets,
    find_table_targets,
    find_text_targets,
)

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "targets"

# per document: table rows (indicator, unit, one value per year) and text targets
# (year, value, value_max, unit, qualifier, indicator as written)
EXPECTED: dict[str, dict] = {
    "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt": {
        "text": [
            (2020, 1.5, None, "万亿元", "突破", "战略性新兴产业总量"),
            (2020, 5, None, "个", "", "超两千亿级产业集群"),
            (2020, 3, None, "%", "达到", "全社会研究与试验发展（R&D）经费占地区生产总值（GDP）的比重"),
            (2020, 64, None, "%", "超", "科技进步贡献率"),
            (2020, 30, None, "件", "达到|以上", "每万人发明专利拥有量"),
            (2020, 35, None, "人", "达到", "市属院士（含双聘）"),
            (2020, 300, None, "人", "突破", "千人计划专家"),
            (2020, 8.7, None, "万人", "达到", "留学归国人员"),
            (2020, 1200, None, "亿元", "", "科技服务业收入"),
            (2020, 500, None, "亿元", "突破", "输出技术交易合同成交金额"),
            (2020, 1, None, "家", "力争", "国家实验室"),
            (2020, 3, None, "家", "力争", "广东省实验室"),
            (2020, 21, None, "家", "", "国家重点实验室"),
            (2020, 10, None, "家", "", "诺奖创新中心"),
            (2020, 2, None, "所", "", "世界一流大学"),
            (2018, 1, None, "家", "", "广东省实验室"),
            (2018, 6, None, "家", "", "诺奖创新中心"),
            (2019, 2, None, "家", "力争", "广东省实验室"),
            (2019, 20, None, "家", "", "国家重点实验室"),
            (2019, 8, None, "家", "", "诺奖创新中心"),
            (2020, 1.2, None, "万家", "超", "高新技术企业"),
            (2020, 20, None, "万家", "超", "科技创新企业"),
            (2020, 50, None, "%", "达到", "规模以上工业企业设立研发机构的比例"),
            (2018, 1, None, "万家", "超", "高新技术企业"),
            (2018, 18, None, "万家", "超", "科技创新企业"),
            (2018, 40, None, "%", "达到", "规模以上工业企业设立研发机构比例"),
            (2019, 1.1, None, "万家", "超", "高新技术企业"),
            (2019, 19, None, "万家", "超", "科技创新企业"),
            (2019, 45, None, "%", "达到", "规模以上工业企业设立研发机构比例"),
            (None, 100, None, "家", "每年", "创新标杆企业"),  # a quota: recurrence annual
            (2020, 4000, None, "亿元", "达到", "战略性新兴产业增加值"),
            (2020, 15, None, "%", "超", "战略性新兴产业增加值占GDP比重"),
            (2020, 3000, None, "家", "达到", "技术改造规模以上工业企业"),
            (2020, 250, None, "家", "达到", "国家和省认定“两化”融合贯标企业"),
            (2018, 2900, None, "亿元", "达到", "战略性新兴产业增加值"),
            (2018, 1000, None, "家", "达到", "技术改造规模以上工业企业"),
            (2018, 150, None, "家", "达到", "“两化”融合贯标企业"),
            (2019, 3400, None, "亿元", "达到", "战略性新兴产业增加值"),
            (2019, 2000, None, "家", "达到", "技术改造规模以上工业企业"),
            (2019, 200, None, "家", "达到", "“两化”融合贯标企业"),
            (2020, 1, 2, "家", "", "国家级制造业创新中心"),
            (2020, 30, None, "家", "", "国家级企业技术中心"),
            (2020, 68, None, "家", "", "国家级众创空间"),
            (2020, 41, None, "家", "", "国家级孵化器"),
            (2018, 20, None, "家", "", "国家级企业技术中心"),
            (2018, 58, None, "家", "达到", "国家级众创空间"),
            (2018, 31, None, "家", "达到", "国家级孵化器"),
            (2019, 25, None, "家", "", "国家级企业技术中心"),
            (2019, 63, None, "家", "达到", "国家级众创空间"),
            (2019, 36, None, "家", "达到", "国家级孵化器"),
            (None, 2, 3, "家", "每年", "科技成果转移转化机构"),  # a quota (optional in the gold)
            (2020, 20, None, "家", "以上", "国际知名合作伙伴"),
            (2020, 55, None, "家", "以上", "国际科技合作基地"),
            (2020, 6, None, "家", "", "海外研发中心"),
            (2018, 5, None, "家", "", "国际知名合作伙伴"),
            (2018, 45, None, "家", "", "国际科技合作基地"),
            (2018, 1, None, "家", "", "海外研发中心"),
            (2019, 10, None, "家", "", "国际知名合作伙伴"),
            (2019, 50, None, "家", "", "国际科技合作基地"),
            (2019, 3, None, "家", "", "海外研发中心"),
        ],
    },
    "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt": {
        "table_years": [2018, 2019, 2020, 2021],
        "table": [
            ("高新区全国排名", "位", [101, 99, 97, 95]),
            ("省级高新区", "家", [0, 1, 2, 3]),
            ("高新技术企业", "家", [262, 300, 325, 350]),
            ("新型研发机构", "家", [2, 3, 4, 5]),
            ("科技企业孵化器", "家", [6, 7, 8, 9]),
            ("国家级孵化器", "家", [1, 2, 3, 4]),
            ("发明专利申请量", "件", [1325, 1400, 1450, 1500]),
            ("规以上工业企业设立研发机构比例", "%", [37, 40, 45, 50]),
            ("省级农业科技园", "", [1, 2, 4, 8]),
            ("新引进博士学位人才", "", [24, 20, 23, 26]),
        ],
        "text": [
            (None, 50, None, "家", "力争|每年", "广州孵化毕业企业落户"),
            (2021, 35, None, "家", "超|力争", "广清（清城）园区高新技术企业"),
            (None, 1, None, "个", "不少于|力争|每年", "重大项目资助"),
            (2021, 1, None, "", "突破|力争", "国家级农业科技园区"),
            (2021, 350, None, "家", "超|力争", "高新技术企业数量"),
            (2021, 50, None, "%", "超|力争", "规上工业企业研发机构覆盖率"),
            (2021, 30, None, "项", "", "市级重大技术改造项目"),
            (2021, 1, 2, "家", "力争", "省技术创新中心或省高水平创新研究院"),
            (2021, 1, None, "", "突破", "清远市高新技术企业上市数量"),
            (2021, 100, None, "套", "达到|力争|以上", "人才公寓数量"),
        ],
    },
    "qingyuan_innovation_action_plan_2020-2022_draft.txt": {
        "table_years": [2018, 2019, 2020, 2021, 2022],
        "table": [
            ("高新区全国排名", "位", [101, 97, 96, 95, 94]),
            ("省级高新区", "家", [0, 1, 1, 2, 2]),
            ("高新技术企业", "家", [259, 330, 350, 370, 380]),
            ("新型研发机构", "家", [2, 5, 6, 7, 8]),
            ("科技企业孵化器", "家", [4, 4, 6, 8, 10]),
            ("国家级孵化器", "家", [1, 3, 4, 5, 5]),
            ("发明专利申请量", "件", [1325, 1400, 1450, 1500, 1600]),
            ("规以上工业企业设立研发机构比例", "%", [26, 28, 30, 32, 35]),
            ("省级农业科技园", "个", [1, 2, 3, 5, 8]),
            ("每年新引进博士人才", "", [24, 20, 23, 26, 30]),
        ],
        "text": [
            (None, 50, None, "家", "力争|每年", "大湾区孵化毕业企业落户"),
            (2022, 1, None, "家", "力争", "省技术创新中心或省高水平创新研究院"),
            (2022, 35, None, "家", "超|力争", "广清（清城）园区高新技术企业"),
            (2022, 1, None, "", "突破|力争", "国家级农业科技园"),
            (None, 1, None, "个", "不少于|力争|每年", "重大项目资助"),
            (2022, 40, None, "项", "", "市级重大技术改造项目"),
            (2022, 94, None, "名", "力争|以内", "高新区排位"),
            (2022, 380, None, "家", "超|力争", "高新技术企业数量"),
            (2022, 1, None, "", "突破|力争", "国家知识产权示范企业"),
            (2022, 35, None, "%", "超|力争", "规上工业企业研发机构覆盖率"),
            (2022, 1, None, "", "突破", "牵头完成的成果获得国家科技奖励"),
            (2022, 1, None, "", "突破", "清远市高新技术企业上市数量"),
            (2022, 100, None, "套", "达到|力争|以上", "人才公寓数量"),
        ],
    },
    "qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt": {
        "text": [
            (2025, 1.5, None, "%", "达到", "全社会研发投入占地区生产总值的比例"),
            (2025, 2, None, "件", "达到", "万人发明专利拥有量"),
            (2025, 50, None, "人年", "达到", "每万人从业人员中研发人员数"),
            (2025, 500, None, "家", "达到", "高新技术企业"),
            (2025, 1000, None, "家", "", "科技型中小企业"),
            (2025, 50, None, "%", "达到", "规模以上工业企业研发机构建有率"),
            (2025, 1, 2, "个", "", "具有较强竞争力的创新型产业集群"),
            (2025, 50, None, "%", "达到", "高新技术产业产值占规模以上工业总产值的比重"),
            (2025, 3, None, "家", "", "省级以上高新区"),
            (2025, 20, None, "家", "超", "新型研发机构"),
            (2025, 10, None, "家", "以上", "省级新型研发机构"),
            (2025, 1, None, "家", "力争|新增", "省级高新区"),
            (None, 2, None, "个", "力争|每年|以上", "条件成熟的县域申报省级以上农业科技园"),
            (2025, 1, None, "家", "", "具有一定影响力和特色的国家级农业科技园"),
            (2025, 5, None, "家", "", "国家级孵化器"),
            (2025, 1, None, "家", "", "省级以上大学科技园"),
            (2025, 3, None, "家", "", "省级孵化器（加速器）"),
            (2025, 500, None, "家", "以上", "在孵企业总数"),
            (2025, 300, None, "家", "累计|以上", "孵化毕业企业"),
            (2025, 5, None, "家", "累计", "国家级“星创天地”"),
            (2025, 15, None, "家", "", "省级“星创天地”"),
            (2025, 100, None, "个", "", "“清远市三农科技服务站”"),
            (2025, 6, None, "家", "力争|新增", "新增省级新型研发机构"),
            (2025, 25, None, "家", "新增", "新增省级工程中心"),
            (2025, 50, None, "家", "", "市级工程中心"),
            (2025, 30, None, "项", "不少于|力争", "重大科技项目"),
        ],
    },
    "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt": {
        "text": [
            (2020, 2, None, "%", "达到", "研究与试验发展经费支出占生产总值比重"),
            (2020, 4, None, "件", "达到", "每万人口有效发明专利拥有量"),
            (2020, 100, None, "家", "保底", "高新技术企业"),
            (2020, 130, None, "家", "力争", "高新技术企业"),
            (2020, 4, None, "个", "", "产值过百亿的高新技术产业"),
            (2020, 35, None, "%", "达到|以上", "先进制造业增加值占规模以上工业增加值比重"),
            (2020, 3, None, "个", "以上", "国家“星创天地”"),
            (2020, 8, None, "家", "", "科技企业孵化器省级"),
            (2020, 2, 3, "家", "", "国家级科技企业孵化器"),
            (2020, 50, None, "个", "", "省级工程技术研究中心"),
            (2020, 2, None, "个", "", "国家级工程技术研究中心"),
            (2020, 20, None, "个", "突破", "省级专业镇"),
            (2020, 10, None, "个", "以上", "产学研创新平台"),
            (2020, 2, 3, "家", "", "新培育省级新型研发机构"),
            (2020, 1, 2, "个", "", "产值超500亿元的产业集群"),
            (2020, 500, None, "亿元", "超|力争", "以韶钢为龙头的特钢产业集群及相关产业配套项目产值"),
            (2020, 100, None, "家", "突破|力争", "企业工程技术研究中心"),
            (2018, 20, None, "%", "达到|力争", "规模以上工业企业设立研发机构的比例"),
            (2020, 3, None, "家", "", "国家级科技企业孵化器"),
            (2020, 200, None, "家", "累计|以上", "科技信贷风险准备金入池企业"),
            (2020, 6, None, "亿元", "累计|以上", "入池企业获得银行贷款"),
        ],
    },
}


def _load(name: str) -> PolicyDocument:
    entry = load_manifest(DATA).get(name)
    return load_document(DATA / name, meta_from_manifest(entry) if entry else None)


@pytest.fixture(scope="module", params=sorted(EXPECTED), ids=lambda n: n[:24])
def doc_targets(request: pytest.FixtureRequest):
    doc = _load(request.param)
    return doc, extract_targets(doc), EXPECTED[request.param]


def test_table_targets_per_document(doc_targets) -> None:
    _doc, targets, expected = doc_targets
    got: dict[tuple[str, str], list[tuple[int | None, float]]] = {}
    for t in targets:
        if t.source == "table":
            got.setdefault((t.indicator, t.unit), []).append((t.year, t.value))
    want = {(ind, unit): list(zip(expected.get("table_years", []), values))
            for ind, unit, values in expected.get("table", [])}
    assert got == want


def test_text_targets_per_document(doc_targets) -> None:
    _doc, targets, expected = doc_targets
    got = [(t.year, t.value, t.value_max, t.unit, t.qualifier, t.indicator) for t in targets if t.source == "text"]
    assert got == expected["text"]


def test_quotes_cite_the_original_text(doc_targets) -> None:
    doc, targets, _ = doc_targets
    assert targets
    for t in targets:
        assert doc.original[t.span.start:t.span.end] == t.span.quote
        assert t.indicator_id == f"ind:{t.indicator_name}"
    assert not doc.warnings  # the samples are well formed


def test_table_label_broken_over_lines_in_the_pdf_copy() -> None:
    doc = _load("qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt")
    row = [t for t in extract_targets(doc) if t.indicator == "规以上工业企业设立研发机构比例"]
    assert [(t.year, t.value, t.unit) for t in row] == [(2018, 37, "%"), (2019, 40, "%"), (2020, 45, "%"), (2021, 50, "%")]
    assert row[0].span.quote == "规以上工业企业设立研\n\n发机构比例"  # the label as the PDF broke it
    assert row[0].indicator_name == "规模以上工业企业研发机构覆盖率"


def test_targets_inside_tasks_carry_the_task_path() -> None:
    doc = process_document(_load("qingyuan_innovation_action_plan_2020-2022_draft.txt"), STAGES[:2])
    by_value = {(t.indicator, t.value): t for t in extract_targets(doc)}
    assert by_value[("高新技术企业数量", 380)].task_path == "三.(五).1"
    assert by_value[("人才公寓数量", 100)].task_path == "三.(六).4"
    assert by_value[("高新技术企业", 380)].task_path == ""  # the table row is plan-level


def test_indicators_are_canonical_across_documents() -> None:
    names = {t.indicator_id for name in EXPECTED for t in extract_targets(_load(name))
             if t.indicator in ("高新技术企业", "高新技术企业数量")}
    assert names == {"ind:高新技术企业"}
    assert canonical_indicator("高企") == canonical_indicator("高新技术企业数量") == "高新技术企业"
    assert canonical_indicator("研发经费投入占地区产生总值比重") == "研发经费投入强度"  # typo in 韶关's plan


# --- forms, one sentence each ---------------------------------------------------------------------


def _text(sentence: str, period: tuple[int, int] | None = (2020, 2022)) -> list[tuple]:
    found = find_text_targets(sentence, period)
    return [(t.year, t.value, t.value_max, t.unit, t.qualifier, t.indicator) for t in found.targets]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("到2022年，高新技术企业数量超380家。", [(2022, 380, None, "家", "超", "高新技术企业数量")]),
    ("2021年，建成广东省实验室1家，建设诺奖创新中心6家。",
     [(2021, 1, None, "家", "", "广东省实验室"), (2021, 6, None, "家", "", "诺奖创新中心")]),
    ("全市高新技术企业保底100家，力争130家。",
     [(2022, 100, None, "家", "保底", "高新技术企业"), (2022, 130, None, "家", "力争", "高新技术企业")]),
    ("培育科技企业孵化器省级8家（现有1家）、国家级2—3家。",
     [(2022, 8, None, "家", "", "科技企业孵化器省级"), (2022, 2, 3, "家", "", "国家级科技企业孵化器")]),
    ("2020年，高新技术企业超过1.2万家。", [(2020, 1.2, None, "万家", "超", "高新技术企业")]),
    ("到2020年末，全社会研发投入达到13.7亿元。", [(2020, 13.7, None, "亿元", "达到", "全社会研发投入")]),
    ("到2021年，规上工业企业研发机构覆盖率超50%。", [(2021, 50, None, "%", "超", "规上工业企业研发机构覆盖率")]),
    ("争取到2022年人才公寓数量达到100套以上。", [(2022, 100, None, "套", "达到|力争|以上", "人才公寓数量")]),
    ("到2021年，建成1-2家省技术创新中心。", [(2021, 1, 2, "家", "", "省技术创新中心")]),
    ("孵化毕业企业累计300家以上。", [(2022, 300, None, "家", "累计|以上", "孵化毕业企业")]),
    ("力争到2025年实施不少于30项重大科技项目。", [(2025, 30, None, "项", "不少于|力争", "重大科技项目")]),
    ("争取每年吸引50家孵化毕业企业落户。", [(None, 50, None, "家", "力争|每年", "孵化毕业企业落户")]),
    ("2023年、2025年全市高新技术企业数量分别达到100家和150家。",
     [(2023, 100, None, "家", "达到", "高新技术企业数量"), (2025, 150, None, "家", "", "高新技术企业数量")]),
    ("到2020年末，战略性新兴产业增加值达4000亿元，占GDP比重超过15%。",
     [(2020, 4000, None, "亿元", "达到", "战略性新兴产业增加值"),
      (2020, 15, None, "%", "超", "战略性新兴产业增加值占GDP比重")]),
    ("形成时尚创意等5个超两千亿级产业集群。", [(2022, 5, None, "个", "", "超两千亿级产业集群")]),
    ("争取到2022年实现国家知识产权示范企业零的突破。", [(2022, 1, None, "", "突破|力争", "国家知识产权示范企业")]),
])
def test_text_forms(sentence: str, expected: list[tuple]) -> None:
    assert _text(sentence) == expected


def test_respective_values() -> None:
    assert _text("到2022年，高新技术企业和科技型中小企业分别达到500家和1000家。") == [
        (2022, 500, None, "家", "达到", "高新技术企业"), (2022, 1000, None, "家", "", "科技型中小企业")]


def test_a_list_introduced_by_a_year() -> None:
    text = "（二）发展目标\n到2021年，实现以下目标：\n1．全社会研发投入强度达到2.5%。\n2．高新技术企业达到500家。"
    assert _text(text) == [(2021, 2.5, None, "%", "达到", "全社会研发投入强度"),
                           (2021, 500, None, "家", "达到", "高新技术企业")]


def test_year_from_heading_and_from_period_name() -> None:
    text = "二、到2020年的主要任务\n1、每万人口有效发明专利拥有量达到4件。\n三、工作措施\n2、新增省级工程中心3家。"
    assert [(y, v) for y, v, *_ in _text(text, (2017, 2021))] == [(2020, 4), (2021, 3)]  # heading, then plan end
    text = "（三）发展目标\n“十四五”期间，全市科技创新水平明显提高。\n——培育科技型中小企业1000家。"
    assert _text(text, (2021, 2025))[0][:2] == (2025, 1000)
    assert _text("“十四五”期间，争取新增省级新型研发机构6家。", None)[0][:2] == (2025, 6)


def test_year_from_a_yearly_block() -> None:
    text = "2018—2020年分年度目标：\n2018年，国际科技合作基地45家。\n2019年，国际科技合作基地50家。"
    assert [(y, v) for y, v, *_ in _text(text, (2018, 2020))] == [(2018, 45), (2019, 50)]


def test_a_baseline_in_parentheses_is_not_a_target() -> None:
    got = _text("创建3个以上国家“星创天地”（现有1家）。")
    assert got == [(2022, 3, None, "个", "以上", "国家“星创天地”")]


@pytest.mark.parametrize("sentence", [
    "推进已有3家省级新型研发机构与我市企业开展产学研合作。",  # 已有: a baseline
    "对通过认定的企业，分别给予奖补30万元、30万元和1万元/个。",  # subsidies
    "推动主营业务收入5亿元以上企业普遍设立研发机构。",  # an amount describing firms
    "形成产值超500亿元的产业集群。",  # the amount is part of the indicator
    "在原2880万元的基础上增至5000万元。",  # relative to a base
    "扶持中科院韶关育成中心、暨南大学韶关研究院等3家省级新型研发机构。",  # counting named bodies
    "以全球排名前100名的大学为目标。",  # a rank threshold
    "面向未来10-15年，建设5G基站。",  # years, and 5G is a name
    "审批时限压缩至5个工作日，3个月内办结。",  # time limits
    "对获批的国家级孵化器，一次性奖励100万元。",
])
def test_what_is_not_a_target(sentence: str) -> None:
    assert _text(sentence) == []


def test_baseline_section_is_skipped() -> None:
    text = "一、发展基础\n全市拥有高新技术企业数量达到380家。\n二、发展目标\n到2025年，高新技术企业达到500家。"
    assert [(y, v) for y, v, *_ in _text(text, (2021, 2025))] == [(2025, 500)]


def test_a_year_before_the_plan_is_a_baseline() -> None:
    assert _text("2020年，全市高新技术企业达到380家。", (2021, 2025)) == []


# --- tables -------------------------------------------------------------------------------------


def _table(text: str, period: tuple[int, int] | None = (2021, 2025)):
    found = find_table_targets(text, period)
    return [(t.indicator, t.unit, t.year, t.value) for t in found.targets], [m for _, m in found.warnings]


def test_table_one_cell_per_line() -> None:
    rows, warnings = _table("主要指标\n2021年\n2022年\n\n高新技术企业（家）\n350\n380\n\n三、主要任务\n围绕……")
    assert rows == [("高新技术企业", "家", 2021, 350), ("高新技术企业", "家", 2022, 380)]
    assert warnings == []


def test_table_row_on_one_line_with_index_unit_and_attribute_columns() -> None:
    text = ("序号 指标 单位 2020年（基期） 2025年（目标） 属性\n"
            "1 研发经费投入强度 % 1.5 2.5 预期性\n"
            "2 每万人口高价值发明专利拥有量 件/万人 1.2 3 预期性\n")
    rows, warnings = _table(text)
    assert rows == [("研发经费投入强度", "%", 2020, 1.5), ("研发经费投入强度", "%", 2025, 2.5),
                    ("每万人口高价值发明专利拥有量", "件/万人", 2020, 1.2),
                    ("每万人口高价值发明专利拥有量", "件/万人", 2025, 3)]
    assert warnings == []


def test_table_in_markdown_with_a_category_column() -> None:
    text = ("| 类别 | 指标 | 单位 | 2020年 | 2025年 |\n| --- | --- | --- | --- | --- |\n"
            "| 创新投入 | 研发经费投入强度 | % | 2.1 | 2.8 |\n| 基础研究经费占比 | % | 5 | 8 |\n")
    rows, warnings = _table(text)
    assert rows == [("研发经费投入强度", "%", 2020, 2.1), ("研发经费投入强度", "%", 2025, 2.8),
                    ("基础研究经费占比", "%", 2020, 5), ("基础研究经费占比", "%", 2025, 8)]
    assert warnings == []


def test_table_rows_keep_their_cell_spaces(tmp_path: Path) -> None:
    # header cells such as "2021年" make a table row: the normaliser keeps its spaces
    path = tmp_path / "plan.txt"
    path.write_text("某市行动计划（2021-2022年）\n\n主要指标 2021年 2022年\n高新技术企业（家） 350 380\n",
                    encoding="utf-8")
    doc = load_document(path)
    assert "主要指标 2021年 2022年" in doc.text
    assert [(t.indicator, t.year, t.value) for t in extract_targets(doc)] == [
        ("高新技术企业", 2021, 350), ("高新技术企业", 2022, 380)]


def test_table_with_one_target_year() -> None:
    rows, _ = _table("指标 单位 2025年目标值 属性\n研发经费投入强度 % 2.8 预期性\n高新技术企业 家 3000 预期性\n")
    assert rows == [("研发经费投入强度", "%", 2025, 2.8), ("高新技术企业", "家", 2025, 3000)]
    rows, _ = _table("到2025年，科技创新水平显著提升。\n高新技术企业（家） 3000\n")  # prose, not a header
    assert rows == []


def test_table_label_split_over_lines() -> None:
    rows, _ = _table("主要指标 2020 年 2021 年\n规以上工业企业设立研\n发机构比例\n45% 50%\n")
    assert rows == [("规以上工业企业设立研发机构比例", "%", 2020, 45), ("规以上工业企业设立研发机构比例", "%", 2021, 50)]


def test_table_with_a_missing_cell_is_warned_not_misread() -> None:
    rows, warnings = _table("主要指标 2021年 2022年 2023年\n高新技术企业（家） 350 380\n孵化器（家） 4 6 8\n")
    assert rows == [("孵化器", "家", 2021, 4), ("孵化器", "家", 2022, 6), ("孵化器", "家", 2023, 8)]
    assert len(warnings) == 1 and "missing cell" in warnings[0] and "高新技术企业" in warnings[0]


def test_table_with_an_extra_column_is_warned() -> None:
    rows, warnings = _table("主要指标 2021年 2022年\n高新技术企业（家） 350 380 400\n孵化器（家） 4 6\n")
    assert rows == [("孵化器", "家", 2021, 4), ("孵化器", "家", 2022, 6)]
    assert len(warnings) == 1 and "extra column" in warnings[0]


def test_table_cell_that_does_not_parse_is_warned() -> None:
    rows, warnings = _table("主要指标 2021年 2022年\n高新技术企业（家） 350 3.8.0\n")
    assert rows == [("高新技术企业", "家", 2021, 350)]
    assert len(warnings) == 1 and "3.8.0" in warnings[0]


def test_table_year_out_of_range_is_warned() -> None:
    _rows, warnings = _table("主要指标 2021年 2202年\n高新技术企业（家） 350 380\n")
    assert any("2202" in w and "out of range" in w for w in warnings)


def test_text_number_and_year_that_do_not_parse_are_warned() -> None:
    found = find_text_targets("到2025年，培育1.2.3家企业。\n到2202年，建成实验室5家。", (2021, 2025))
    assert found.targets == []
    messages = [m for _, m in found.warnings]
    assert any("1.2.3" in m for m in messages) and any("2202" in m for m in messages)


def test_document_warnings_name_the_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("某市科技创新行动计划（2021-2025年）\n\n主要指标 2021年 2022年\n"
                    "高新技术企业（家） 350\n孵化器（家） 4 6\n", encoding="utf-8")
    doc = load_document(path)
    targets = extract_targets(doc)
    assert [(t.indicator, t.year, t.value) for t in targets] == [("孵化器", 2021, 4), ("孵化器", 2022, 6)]
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith("plan.txt: line 4, column 1: table row “高新技术企业（家）”: missing cell")


# --- plans of other provinces, ministries and levels (tests/fixtures/targets) ----------------------
# expected.json: per file every target as [indicator as written, unit, year, value, value_max,
# recurrence, source], checked by reading each plan (goals blocks, tables of every layout, annual
# quotas, subsidy parameters, numbers that are names, compute and storage units).

FIXTURE_EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(FIXTURE_EXPECTED), ids=lambda n: n[:28])
def test_fixture_plans(name: str) -> None:
    doc = process_document(load_document(FIXTURES / name))
    got = [[t.indicator, t.unit, t.year, t.value, t.value_max, t.recurrence, t.source] for t in doc.targets]
    assert got == FIXTURE_EXPECTED[name]
    for t in doc.targets:
        assert doc.original[t.span.start:t.span.end] == t.span.quote
    assert not doc.warnings


def test_fixture_plans_cover_every_form() -> None:
    """The fixtures hold what they are for: compute/storage units, annual quotas, every table layout."""
    rows = [r for rows in FIXTURE_EXPECTED.values() for r in rows]
    units = {r[1] for r in rows}
    assert {"EFLOPS", "PFlops", "EB", "PB", "万人次", "名", "项", "个百分点", "万亿元"} <= units
    assert any(r[5] == "annual" and r[2] is None for r in rows)
    assert sum(r[6] == "table" for r in rows) >= 25
    assert len(FIXTURE_EXPECTED) >= 8


def _targets_of(text: str, tmp_path: Path, name: str = "plan.txt") -> list[tuple]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    return [(t.indicator, t.unit, t.year, t.value, t.recurrence) for t in extract_targets(doc)]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("到2025年，全省算力规模超过300 EFLOPS，存储总量达到1800EB。",
     [(2025, 300, None, "EFLOPS", "超", "算力规模"), (2025, 1800, None, "EB", "达到", "存储总量")]),
    ("到2025年，数据中心总算力超过10PFlops，存储规模达到5PB，数据中心机架达到20万标准机架。",
     [(2025, 10, None, "PFlops", "超", "数据中心总算力"), (2025, 5, None, "PB", "达到", "存储规模"),
      (2025, 20, None, "万标准机架", "达到", "数据中心机架")]),
    ("到2025年，全年接待游客5000万人次，引进高层次人才50名，实施重点项目30项。",
     [(2025, 5000, None, "万人次", "", "接待游客"), (2025, 50, None, "名", "", "高层次人才"),
      (2025, 30, None, "项", "", "重点项目")]),
    ("到2025年，数字经济核心产业增加值占GDP比重提高2个百分点，营业收入突破3.5万亿元。",
     [(2025, 2, None, "个百分点", "提高", "数字经济核心产业增加值占GDP比重"),
      (2025, 3.5, None, "万亿元", "突破", "营业收入")]),
    ("到2025年，建成两个国家级创新平台，新增十二家省级重点实验室。",
     [(2025, 2, None, "个", "", "国家级创新平台"), (2025, 12, None, "家", "新增", "省级重点实验室")]),
    ("到2024年，新建大型数据中心PUE降到1.3以下。", [(2024, 1.3, None, "", "降至|以下", "大型数据中心PUE")]),
])
def test_units_and_amounts(sentence: str, expected: list[tuple]) -> None:
    assert _text(sentence, (2021, 2025)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("主要指标：\n——研发投入强度：2.5%。\n——高新技术企业：500家。",
     [(2025, 2.5, None, "%", "", "研发投入强度"), (2025, 500, None, "家", "", "高新技术企业")]),
    ("高新技术企业2023年达到500家，2024年达到600家。",
     [(2023, 500, None, "家", "达到", "高新技术企业"), (2024, 600, None, "家", "达到", "高新技术企业")]),
    ("2023年，高新技术企业达到500家；2024年，达到600家。",
     [(2023, 500, None, "家", "达到", "高新技术企业"), (2024, 600, None, "家", "达到", "高新技术企业")]),
    ("到二〇二四年，森林覆盖率稳定在67%以上。", [(2024, 67, None, "%", "保持在|以上", "森林覆盖率")]),
    ("到2025年，研发经费比2020年增长50%。", [(2025, 50, None, "%", "增长", "研发经费")]),
    ("到2025年，关键工序数控化率由55%提高到68%，高新技术企业从300家增加到500家。",
     [(2025, 68, None, "%", "达到", "关键工序数控化率"), (2025, 500, None, "家", "达到", "高新技术企业")]),
    ("到2025年，工业增加值年均增长5%—8%，建成2到3个平台。",
     [(2025, 5, 8, "%", "年均增长", "工业增加值"), (2025, 2, 3, "个", "", "平台")]),
])
def test_indicator_and_year_forms(text: str, expected: list[tuple]) -> None:
    assert _text(text, (2021, 2025)) == expected


def test_table_header_with_attribute_before_years_and_unit_in_label_header() -> None:
    rows, warnings = _table("序号 指标 单位 属性 2020年 2025年\n1 研发投入强度 % 预期性 1.5 2.5\n"
                            "2 高新技术企业 家 约束性 300 500\n")
    assert rows == [("研发投入强度", "%", 2020, 1.5), ("研发投入强度", "%", 2025, 2.5),
                    ("高新技术企业", "家", 2020, 300), ("高新技术企业", "家", 2025, 500)]
    assert warnings == []
    rows, _ = _table("指标名称（单位） 2022年 2025年\n高新技术企业（家） 300 500\n")
    assert rows == [("高新技术企业", "家", 2022, 300), ("高新技术企业", "家", 2025, 500)]


@pytest.mark.parametrize("sentence", [
    "对新认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元。",
    "按设备投资额的30%给予补助，最高不超过500万元。",
    "按实际投入研发费用30%的比例给予奖补，单个企业最高200万元。",
    "对购置农机装备的，按购置金额的30%的比例给予补贴，每户最高5万元。",
    "推动“十四五”规划落地，实施5G+工业互联网512工程，建设“1+N”政策体系。",
    "展望二〇三五年，基本实现新型工业化，坚决做到两个维护，实施三大工程，建设一批项目。",
    "举办第3届数字经济大会，推进G107国道改造，发展4K/8K超高清视频。",
    "实施“3个100”工程，打造5A级景区。",
    "风险补偿比例最高可达50%，贷款贴息比例不超过30%。",
    "根据《关于培育100家科技领军企业的通知》要求，做好申报工作。",
])
def test_parameters_and_names_are_not_targets(sentence: str) -> None:
    assert _text(sentence, (2021, 2025)) == []


def test_goals_sentence_year_carries_through_its_block() -> None:
    text = ("（二）主要目标\n力争到2027年，全省算力基础设施体系基本建成。\n"
            "1．算力规模大幅跃升。数据中心标准机架达到80万架。\n2．存储总量达到50EB。\n"
            "二、重点任务\n（一）建设枢纽\n1．新增智算中心3个。\n")
    assert [(y, v) for y, v, *_ in _text(text, (2024, 2028))] == [(2027, 80), (2027, 50), (2028, 3)]


def test_cited_documents_years_are_never_taken() -> None:
    text = ("对标《广东省科技创新“十四五”规划（2021-2025年）》和《2018年工作要点》，"
            "高新技术企业达到800家。")
    assert [(y, v) for y, v, *_ in _text(text, (2024, 2027))] == [(2027, 800)]


def test_annual_quotas_recur_without_a_year(tmp_path: Path) -> None:
    got = _targets_of("某市科技创新行动方案（2023—2025年）\n\n每年培训高素质农民1000人次以上，选派科技特派员100名。\n"
                      "到2025年，每年新增高新技术企业100家。每年组织培训，到2025年累计培训1万人次。\n", tmp_path)
    assert got == [("培训高素质农民", "人次", None, 1000, "annual"), ("选派科技特派员", "名", None, 100, "annual"),
                   ("新增高新技术企业", "家", None, 100, "annual"),
                   ("培训", "万人次", 2025, 1, "")]  # a year written after 每年: the total by that year
    # a 每年 clause that states no amount does not make the next clause a quota
    assert _text("每年举办一次创新大赛，培育科技型企业500家。", (2021, 2025)) == [
        (2025, 500, None, "家", "", "科技型企业")]


def test_task_table_rows_take_their_own_deadline() -> None:
    text = ("序号\t任务\t牵头单位\t完成时限\n1\t建成重点实验室10家\t市科技局\t2024年底前\n"
            "2\t新增高新技术企业100家\t市科技局\t2025年12月底\n3\t培育瞪羚企业20家\t市科技局\t长期坚持\n")
    assert [(y, v, i) for y, v, _m, _u, _q, i in _text(text, (2023, 2026))] == [
        (2024, 10, "重点实验室"), (2025, 100, "新增高新技术企业"), (2026, 20, "瞪羚企业")]


def test_annual_plan_year_ends_mean_its_own_year(tmp_path: Path) -> None:
    text = ("某省2024年数字经济工作要点\n\n根据《某省数字经济发展“十四五”规划》，提出如下要点。\n"
            "年底前，建成5G基站1.2万个。年内新增规模以上工业企业200家。2025年底前，完成改造项目100项。\n")
    got = _targets_of(text, tmp_path)
    assert [(y, v) for _i, _u, y, v, _r in got] == [(2024, 1.2), (2024, 200), (2025, 100)]


@pytest.mark.parametrize("marker", ["①", "⑴", "⒈", "（1）", "(1)", "1", "一、"])
def test_table_row_markers_never_raise(marker: str) -> None:
    nxt = {"①": "②", "⑴": "⑵", "⒈": "⒉", "（1）": "（2）", "(1)": "(2)", "1": "2", "一、": "二、"}[marker]
    for sep in (" ", "\t", "\n"):
        text = sep.join(["序号", "指标", "单位", "2021年", "2022年"]) + "\n"
        text += sep.join([marker, "高新技术企业", "家", "350", "380"]) + "\n"
        text += sep.join([nxt, "孵化器", "家", "4", "6"]) + "\n"
        rows, warnings = _table(text)
        assert rows == [("高新技术企业", "家", 2021, 350), ("高新技术企业", "家", 2022, 380),
                        ("孵化器", "家", 2021, 4), ("孵化器", "家", 2022, 6)], (marker, sep)
        assert warnings == []
    if not marker.isdigit():
        rows, _ = _table(f"主要指标 2021年 2022年\n{marker}高新技术企业（家） 350 380\n")  # marker on the label
        assert rows == [("高新技术企业", "家", 2021, 350), ("高新技术企业", "家", 2022, 380)]


def test_table_with_a_lead_unit_column() -> None:
    rows, warnings = _table("指标\t单位\t2023年\t2025年\t牵头单位\n研发投入强度\t%\t2.1\t2.5\t市科技局、市统计局、市发展改革委\n"
                            "高新技术企业\t家\t300\t500\t市科技局\n", (2023, 2025))
    assert rows == [("研发投入强度", "%", 2023, 2.1), ("研发投入强度", "%", 2025, 2.5),
                    ("高新技术企业", "家", 2023, 300), ("高新技术企业", "家", 2025, 500)]
    assert warnings == []


def test_table_category_rows_are_not_labels() -> None:
    text = ("指标\n2020年\n2025年\n一、创新投入\n研发投入强度（%）\n2.1\n2.8\n基础研究占比（%）\n5\n8\n"
            "二、创新产出\n每万人口发明专利拥有量（件）\n3\n7\n")
    rows, warnings = _table(text)
    assert rows == [("研发投入强度", "%", 2020, 2.1), ("研发投入强度", "%", 2025, 2.8), ("基础研究占比", "%", 2020, 5),
                    ("基础研究占比", "%", 2025, 8), ("每万人口发明专利拥有量", "件", 2020, 3),
                    ("每万人口发明专利拥有量", "件", 2025, 7)]
    assert warnings == []


def test_table_cells_with_comparators_ranges_and_qualifiers() -> None:
    text = "指标\t单位\t2022年\t2025年\n研发投入强度\t%\t≥2.1\t≥2.8\n高新技术企业\t家\t500以上\t800以上\n" \
           "5G基站\t万个\t1.2\t2-3\n"
    found = find_table_targets(text, (2021, 2025))
    got = [(t.indicator, t.unit, t.year, t.value, t.value_max, t.qualifier) for t in found.targets]
    assert got == [("研发投入强度", "%", 2022, 2.1, None, "不低于"), ("研发投入强度", "%", 2025, 2.8, None, "不低于"),
                   ("高新技术企业", "家", 2022, 500, None, "以上"), ("高新技术企业", "家", 2025, 800, None, "以上"),
                   ("5G基站", "万个", 2022, 1.2, None, ""), ("5G基站", "万个", 2025, 2, 3, "")]
    assert found.warnings == []


@pytest.mark.parametrize("sep", [" ", "\t", "\n", " | "])
def test_transposed_table_with_years_as_rows(sep: str) -> None:
    lines = [["年份", "高新技术企业（家）", "研发投入强度（%）"], ["2023年", "500", "2.2"], ["2024年", "600", "2.4"]]
    text = "\n".join(sep.join(cells) for cells in lines) + "\n"
    rows, warnings = _table(text)
    assert rows == [("高新技术企业", "家", 2023, 500), ("研发投入强度", "%", 2023, 2.2),
                    ("高新技术企业", "家", 2024, 600), ("研发投入强度", "%", 2024, 2.4)]
    assert warnings == []


def test_recurrence_reaches_the_graph_and_targets_csv(tmp_path: Path) -> None:
    from policykg.graph.build import build_graph
    from policykg.graph.export import TARGET_COLUMNS, target_rows

    path = tmp_path / "plan.txt"
    path.write_text("某县行动方案（2023—2027年）\n\n每年培训高素质农民1000人次。到2027年，建成高标准农田10万亩。\n",
                    encoding="utf-8")
    doc = process_document(load_document(path))
    rows = list(target_rows([doc]))
    assert "recurrence" in TARGET_COLUMNS and {"year", "value", "quote"} <= set(TARGET_COLUMNS)
    assert [(r["year"], r["value"], r["recurrence"]) for r in rows] == [("", "1000", "annual"), (2027, "10", "")]
    g = build_graph([doc])
    edges = [e for _a, _b, e in g.edges(data=True) if e.get("type") == "TARGETS"]
    assert sorted(e["recurrence"] for e in edges) == ["", "annual"]


# --- robustness: nothing in the targets stage raises, whatever the input --------------------------

_MUTATION_PIECES = ["①", "⑴", "⒈", "²", "（", "）", "(", ")", "《", "》", "“", "”", "年", "%", "万", "亿", "每年",
                    "\t", "\n", "|", "、", "，", "。", "；", "2025年", "——", "-", "～", "1.2.3", "00000000000",
                    "年底前", "按", "给予", "最高", "十四五", "〇", "两", "\x0b", "\u3000", "PFlops", "EB"]


def _mutate(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 12)):
        if not chars:
            chars = list(rng.choice(_MUTATION_PIECES))
        i = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.45:
            chars[i:i] = list(rng.choice(_MUTATION_PIECES))
        elif op < 0.65:
            del chars[i: i + rng.randint(1, 40)]
        elif op < 0.8:
            j = min(len(chars), i + rng.randint(1, 200))
            chars[i:i] = chars[i:j]  # a repeated stretch
        elif op < 0.9:
            chars[i] = rng.choice("0123456789①⑴（）《》年\n\t ")
        else:
            chars = chars[:i]  # a file cut short
    return "".join(chars)


def test_fuzzed_plans_never_raise_and_quotes_stay_exact(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    sources = [*(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))),
               *(_load(name).original for name in sorted(EXPECTED))]
    path = tmp_path / "fuzz.txt"
    for _ in range(300):
        source = rng.choice(sources)
        start = rng.randrange(max(1, len(source) - 3000))
        text = _mutate(source[start: start + rng.randint(200, 3000)], rng)
        path.write_text(text, encoding="utf-8")
        doc = load_document(path)
        for t in extract_targets(doc):
            assert doc.original[t.span.start:t.span.end] == t.span.quote
            assert t.recurrence in ("", "annual") and (t.recurrence == "" or t.year is None)
        assert not [w for w in doc.warnings if UNREADABLE in w], text  # the readers' own guard never fired


def test_cover_pieces_hold_every_word() -> None:
    """The few pieces tested with `in` before a word list's pattern (_cover) must each time hold
    every word of the list: a text without any piece then holds none of the words."""
    from policykg.extract.targets import _cover, vocabulary

    vocab = vocabulary()
    lists = {key: vocab.words(key) for key in ("horizon_words", "plan_year_words", "bare_value_qualifiers",
                                              "baseline_markers", "not_target_before", "parameter_words",
                                              "parameter_cap_words")}
    lists["period_names"] = tuple(vocab.raw["period_names"])
    for key, words in lists.items():
        pieces = _cover(words)
        assert pieces and len(pieces) <= len(words), key
        assert all(any(p in w for p in pieces) for w in words), key
    # and the same pieces for the same words: the readers ask per line
    assert _cover(lists["horizon_words"]) is _cover(lists["horizon_words"])


def _equivalence_texts() -> list[str]:
    """The real plans, the fixtures and fuzzed pieces of them (digits, 年, breaks, tabs and spaces
    thrown in: cells and values cut at every kind of place)."""
    rng = random.Random(20261202)
    sources = [*(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))),
               *(_load(name).text for name in sorted(EXPECTED))]
    fuzzed = []
    for _ in range(200):
        source = rng.choice(sources)
        start = rng.randrange(max(1, len(source) - 3000))
        fuzzed.append(_mutate(source[start: start + rng.randint(200, 3000)], rng))
    return [*sources, *fuzzed]


def test_tables_read_around_year_hints_as_over_the_whole_text() -> None:
    """The table reader cuts into cells only the stretches around a hint of a year cell
    (_table_windows); it finds what reading every cell of the text finds: the same targets,
    warnings and table regions, also where a table runs into prose, a row number or a year broken
    over lines."""
    from policykg.extract.targets import Finding, _read_tables, _tokens, vocabulary

    texts = [*_equivalence_texts(),
             "主要指标 2021年 2022年\n高新技术企业（家） 350 380\n为深入实施创新驱动发展战略，制定本方案。",
             "序号 指标 2021年 2022年\n1 高新技术企业（家） 350 380\n2\n为深入实施创新驱动发展战略，制定本方案。",
             "主要指标\n20\n21年\n202\n2 年\n\n高新技术企业（家）\n350\n380\n三、主要任务，围绕创新链布局产业链。"]
    for text in texts:
        for period in ((2021, 2025), None):
            whole = Finding()
            _read_tables(text, _tokens(text), period, vocabulary(), whole)
            found = find_table_targets(text, period)
            assert (found.targets, found.warnings, found.regions) == (whole.targets, whole.warnings,
                                                                      whole.regions), text[:80]

