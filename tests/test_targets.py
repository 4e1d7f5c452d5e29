"""Quantitative targets (extract/targets.py): the real documents in data/, every written form
as a sentence, and the warnings for bad input.

The expected targets per document were checked by reading each sentence and table of the plan
(they agree with the gold annotations in tests/gold where those exist).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import STAGES, load_document, process_document
from policykg.extract.targets import (
    canonical_indicator,
    extract_targets,
    find_table_targets,
    find_text_targets,
)

DATA = Path(__file__).resolve().parents[1] / "data"

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
