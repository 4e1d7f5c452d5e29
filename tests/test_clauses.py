"""Every responsibility-clause form, one test each, on sentences shaped like real plans."""

from __future__ import annotations

from pathlib import Path

import pytest
from policykg.extract.clauses import extract_tasks, find_clauses
from policykg.extract.normalise import normalise
from policykg.extract.outline import build_outline
from policykg.extract.pipeline import load_document


def roles(text: str) -> list[list[tuple[str, str]]]:
    """[(role, unit), …] per clause found in a normalised paragraph."""
    norm, _, _ = normalise(text)
    return [[(u.role, u.written) for u in units] for _, _, _, units in find_clauses(norm)]


def test_labelled_lead_and_participants() -> None:
    assert roles("1.引进资源。（牵头单位：市科技局，参与单位：市发展改革局、清远高新区、广清产业园）") == [[
        ("lead", "市科技局"), ("participant", "市发展改革局"), ("participant", "清远高新区"),
        ("participant", "广清产业园")]]


@pytest.mark.parametrize("label", ["配合单位", "参加单位", "协办单位", "协助单位", "配合部门"])
def test_participant_labels(label: str) -> None:
    assert roles(f"做好工作。（牵头单位：市科技局；{label}：市财政局、市税务局）") == [[
        ("lead", "市科技局"), ("participant", "市财政局"), ("participant", "市税务局")]]


@pytest.mark.parametrize("label", ["牵头部门", "主责单位"])
def test_lead_labels(label: str) -> None:
    assert roles(f"做好工作。（{label}：市科技局、市教育局）") == [[("lead", "市科技局"), ("lead", "市教育局")]]


@pytest.mark.parametrize("text", ["(責任單位:市科技創新委、發展改革委)", "（责任单位：市科技创新委、发展改革委）",
                                  "（责任部门：市科技创新委、发展改革委）"])
def test_responsible_units_first_leads(text: str) -> None:
    # no 牵头 named: the first listed unit leads, the rest participate
    assert roles("建设平台。" + text) == [[("lead", "市科技创新委"), ("participant", "发展改革委")]]


def test_responsible_after_lead_participate() -> None:
    assert roles("（牵头单位：市科技局，责任单位：市财政局、市教育局）") == [[
        ("lead", "市科技局"), ("participant", "市财政局"), ("participant", "市教育局")]]


def test_inline_lead_and_cooperate() -> None:
    assert roles("推进融合发展（市科技局、市发展改革局牵头，市财政局、市税务局配合）。") == [[
        ("lead", "市科技局"), ("lead", "市发展改革局"), ("participant", "市财政局"), ("participant", "市税务局")]]


def test_inline_single_responsible() -> None:
    assert roles("加强宣传引导（市委宣传部负责）。") == [[("lead", "市委宣传部")]]


def test_inline_etc_responsible() -> None:
    assert roles("加强宣传引导（市委宣传部、市科技局等负责）。") == [[("lead", "市委宣传部"), ("participant", "市科技局")]]


def test_inline_shared_duty_all_lead() -> None:
    assert roles("落实政策（市财政局、市税务局按职责分工负责）。") == [[("lead", "市财政局"), ("lead", "市税务局")]]


def test_inline_implement_participates() -> None:
    assert roles("落实政策（市科技局牵头，各县（市、区）人民政府落实）。") == [[
        ("lead", "市科技局"), ("participant", "各县（市、区）人民政府")]]


@pytest.mark.parametrize("sep", ["、", "，", ",", "；"])
def test_separators(sep: str) -> None:
    assert roles(f"（牵头单位：市科技局，参与单位：市农业农村局{sep}市财政局）") == [[
        ("lead", "市科技局"), ("participant", "市农业农村局"), ("participant", "市财政局")]]


def test_half_width_open_full_width_close() -> None:
    assert roles("营造氛围。 (牵头单位：市发展改革局，参与单位：市住建局）") == [[
        ("lead", "市发展改革局"), ("participant", "市住建局")]]


def test_clause_words_split_by_line_break() -> None:
    text = "提升创新水平。（牵头单\n位：市\n 科技局，参与单位：市发展\n改革局）\n"
    assert roles(text) == [[("lead", "市科技局"), ("participant", "市发展改革局")]]


def test_inner_parentheses_stay_whole() -> None:
    assert roles("（牵头单位：市科技局，参与单位：各县（市、区）人民政府、广东省职教城（清远）事务中心）") == [[
        ("lead", "市科技局"), ("participant", "各县（市、区）人民政府"), ("participant", "广东省职教城（清远）事务中心")]]


@pytest.mark.parametrize("text", [
    "清远市三年行动计划（2018-2022年）", "新培育省级孵化器（现有1家）", "研发投入（R&D）占比", "各县（市、区）要落实",
    "支持龙头企业（含农业企业）发展", "（注：2016年入池企业33家，科技信贷7100万元）",
])
def test_parentheses_that_are_not_clauses(text: str) -> None:
    assert roles(text) == []


def test_bare_label_line() -> None:
    assert roles("完善服务体系。牵头单位：市科技局；配合单位：市财政局") == [[
        ("lead", "市科技局"), ("participant", "市财政局")]]


def test_several_clauses_in_one_paragraph(tmp_path: Path) -> None:
    f = tmp_path / "plan.txt"
    f.write_text("某市行动计划\n一、主要任务\n（一）开放合作\n2.主要任务。\n"
                 "促进联合创新。建设基地（责任单位：市商务委、科技创新委），推动合作（责任单位：市科技创新委）。\n"
                 "深化交流。（责任单位：市外办）\n", encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    # a later clause's task is named by the first sentence of its own text
    assert [(t.path, t.title) for t in doc.tasks] == [
        ("一.(一).2.1a", "促进联合创新"), ("一.(一).2.1b", "推动合作"), ("一.(一).2.2", "深化交流")]
    assert [t.text for t in doc.tasks] == [
        "促进联合创新。建设基地（责任单位：市商务委、科技创新委）", "推动合作（责任单位：市科技创新委）",
        "深化交流。（责任单位：市外办）"]


def test_heading_only_item_with_one_clause_paragraph_is_the_task(tmp_path: Path) -> None:
    f = tmp_path / "plan.txt"
    f.write_text("三、保障措施\n（三）资金保障。\n7.优化资源配置模式。\n完善配置方式。（责任单位：市科技创新委、财政局）\n",
                 encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    assert [(t.path, t.title) for t in doc.tasks] == [("三.(三).7", "优化资源配置模式")]


def test_units_listed_before_the_verb_segment_share_its_role() -> None:
    assert roles("（市科技局、市财政局，各县（市、区）人民政府负责）") == [[
        ("lead", "市科技局"), ("participant", "市财政局"), ("participant", "各县（市、区）人民政府")]]


def test_shared_duty_after_a_named_lead_participates() -> None:
    assert roles("（科技部、发展改革委牵头，各有关部门按职责分工负责）") == [[
        ("lead", "科技部"), ("lead", "发展改革委"), ("participant", "各有关部门")]]


def test_other_labels_end_the_unit_list() -> None:
    assert roles("（责任单位：市科技局、市财政局；完成时限：2022年底）") == [[("lead", "市科技局"), ("participant", "市财政局")]]


def test_space_separated_unit_list() -> None:
    assert roles("（牵头单位：市科技局 市财政局，配合单位：各区政府）") == [[
        ("lead", "市科技局"), ("lead", "市财政局"), ("participant", "各区政府")]]


def test_task_tables(tmp_path: Path) -> None:
    f = tmp_path / "plan.txt"
    f.write_text("重点任务分工表\n序号\t重点任务\t牵头单位\t配合单位\t完成时限\n"
                 "1\t建设省实验室。推进建设\t市科技局\t市财政局、市发展改革局\t2022年\n"
                 "2\t培育高新技术企业\t市科技局、市税务局\t各县（市、区）人民政府\t持续推进\n\n"
                 "| 序号 | 工作任务 | 责任单位 |\n|---|---|---|\n| 1 | 加快人才引进 | 市委组织部、市人力资源社会保障局 |\n",
                 encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    got = [(t.path, t.title, [(u.role, u.written) for u in t.clause.units]) for t in doc.tasks]
    assert got == [
        ("表.1", "建设省实验室", [("lead", "市科技局"), ("participant", "市财政局"), ("participant", "市发展改革局")]),
        ("表.2", "培育高新技术企业", [("lead", "市科技局"), ("lead", "市税务局"), ("participant", "各县（市、区）人民政府")]),
        ("表.2.1", "加快人才引进", [("lead", "市委组织部"), ("participant", "市人力资源社会保障局")]),
    ]
    for t in doc.tasks:
        assert doc.original[t.clause.span.start:t.clause.span.end] == t.clause.span.quote


def test_task_table_laid_out_with_spaces(tmp_path: Path) -> None:
    """A 任务分工表 whose columns are aligned with spaces (pdftotext -layout, a table typed with
    spaces) reads as the tab-separated table does; prose typed with stray double spaces stays
    prose (a line with one gap, a line alone, lines ending their sentences)."""
    rows = [["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
            ["1", "建设市级工业互联网平台", "市工业和信息化局", "市科技局、市发展改革局", "2023年底"],
            ["2", "推进5G基站建设", "市通信发展办", "各县（市、区）人民政府", "2024年"]]
    widths = [max(len(row[k]) for row in rows) * 2 + 2 for k in range(5)]
    spaced = "".join("  " + "".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n"
                     for row in rows)
    tabbed = "".join("\t".join(row) + "\n" for row in rows)
    got = {}
    for name, table in (("spaced", spaced), ("tabbed", tabbed)):
        f = tmp_path / f"{name}.txt"
        f.write_text("重点任务分工表\n" + table, encoding="utf-8")
        doc = extract_tasks(build_outline(load_document(f)))
        got[name] = [(t.path, t.title, [(u.role, u.written) for u in t.clause.units]) for t in doc.tasks]
        for t in doc.tasks:
            assert doc.original[t.clause.span.start:t.clause.span.end] == t.clause.span.quote
    assert got["spaced"] == got["tabbed"] == [
        ("表.1", "建设市级工业互联网平台",
         [("lead", "市工业和信息化局"), ("participant", "市科技局"), ("participant", "市发展改革局")]),
        ("表.2", "推进5G基站建设", [("lead", "市通信发展办"), ("participant", "各县（市、区）人民政府")]),
    ]
    for prose, tidy in (("加快建设创新平台  推动企业上云，提升服务水平。\n", "加快建设创新平台推动企业上云，提升服务水平。\n"),
                        ("到2025年，全市  高新技术企业达到  500家。\n加快  建设  平台。\n",
                         "到2025年，全市高新技术企业达到500家。\n加快建设平台。\n"),
                        ("推进  产业  升级\n", "推进产业升级\n")):
        assert normalise(prose)[0] == tidy


def test_bracketed_labels() -> None:
    assert roles("加强宣传。【牵头单位】市委宣传部【配合单位】市科技局、清远日报社") == [[
        ("lead", "市委宣传部"), ("participant", "市科技局"), ("participant", "清远日报社")]]


def test_separately_lead_and_generic_tails() -> None:
    assert roles("（市发展改革委、市科技局分别牵头，市财政局等有关部门配合）") == [[
        ("lead", "市发展改革委"), ("lead", "市科技局"), ("participant", "市财政局")]]


def test_unread_clause_warns_with_its_line(tmp_path: Path) -> None:
    """A bracket that means to be a clause but names no unit: one warning naming its line in
    the original file; the clauses around it are read."""
    f = tmp_path / "plan.txt"
    f.write_text("某市科技创新行动方案\n一、主要任务\n1.建设平台。推进平台建设。（牵头单位：市科技局）\n"
                 "2.培育企业。实施培育计划。（牵头单位：2022年；配合单位：）\n"
                 "3.引进人才。（市委组织部牵头，市人社局配合\n", encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    assert [(t.path, [(u.role, u.written) for u in t.clause.units]) for t in doc.tasks] == [
        ("一.1", [("lead", "市科技局")]),
        # a clause whose closing bracket was lost is read to the end of its paragraph
        ("一.3", [("lead", "市委组织部"), ("participant", "市人社局")])]
    assert len(doc.warnings) == 1 and "line 4:" in doc.warnings[0] and "（牵头单位：2022年" in doc.warnings[0]


def test_clause_with_thousands_of_units_is_read_whole() -> None:
    chars = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土风云雷电山川河海江湖"
    units = [f"市{a}{b}局" for a in chars for b in chars][:2000]
    got = roles("推进建设。（牵头单位：市科技局，参与单位：" + "、".join(units) + "）")
    assert got == [[("lead", "市科技局"), *(("participant", u) for u in units)]]


@pytest.mark.parametrize(("text", "want"), [
    # a label is a role word, 考核 or not, and a body noun
    ("（主责部门：市科技局；配合考核部门：市财政局）", [("lead", "市科技局"), ("participant", "市财政局")]),
    ("（牵头处室：高新技术处 协同处室：政策法规处）", [("lead", "高新技术处"), ("participant", "政策法规处")]),
    # fields and scores before, between and after the lists
    ("（2分，牵头单位：市科技局，完成时限：2023年底，配合单位：市财政局）", [("lead", "市科技局"), ("participant", "市财政局")]),
    ("（责任单位：市科技局（0.5分）、市财政局（0.5分））", [("lead", "市科技局"), ("participant", "市财政局")]),
    # inline verbs by family
    ("（市科技局牵头，市财政局、市税务局按职责分工配合）", [("lead", "市科技局"), ("participant", "市财政局"),
                                                          ("participant", "市税务局")]),
    ("（市发展改革委、市科技局按职责分别负责）", [("lead", "市发展改革委"), ("lead", "市科技局")]),
    ("（市科技局负责，各县（市、区）政府分工落实）", [("lead", "市科技局"), ("participant", "各县（市、区）政府")]),
    ("（市科技局牵头，市财政局负责）", [("lead", "市科技局"), ("participant", "市财政局")]),
    # collectives and lists: no unit keeps a verb tail
    ("（各地区、各部门按职责分工负责）", [("lead", "各地区"), ("lead", "各部门")]),
    ("（责任单位：各部门按职责分工负责）", [("lead", "各部门")]),
    ("（有关区、市政府负责）", [("lead", "有关区、市政府")]),
    ("（市科技局，各区、县级市人民政府）", [("lead", "市科技局"), ("participant", "各区、县级市人民政府")]),
    ("（相关区、市科技主管部门负责）", [("lead", "相关区、市科技主管部门")]),
    ("（市科技局及市财政局负责）", [("lead", "市科技局"), ("lead", "市财政局")]),
    ("（市科技局牵头，市教育局等相关部门配合）", [("lead", "市科技局"), ("participant", "市教育局")]),
    # a note between a label and its colon; a word and a colon before an inline clause
    ("（牵头单位（部门）：市科技局；主要责任单位：市财政局）", [("lead", "市科技局"), ("participant", "市财政局")]),
    ("（分工：市科技局牵头，市财政局配合）", [("lead", "市科技局"), ("participant", "市财政局")]),
    # a unit named twice is one unit, leading if either mention leads; 统筹 leads, 指导 takes part
    ("（市科技局、市财政局按职责分工负责，市科技局牵头）", [("lead", "市科技局"), ("participant", "市财政局")]),
    ("（市发展改革委统筹，各县（区）政府负责，市科技局指导）", [("lead", "市发展改革委"), ("participant", "各县（区）政府"),
                                                            ("participant", "市科技局")]),
    # labelled and inline parts in one bracket
    ("（省科技厅、省财政厅按职责分工负责；牵头单位：省科技厅）", [("lead", "省科技厅"), ("participant", "省财政厅")]),
    ("（市科技局牵头；配合单位：市财政局、市税务局）", [("lead", "市科技局"), ("participant", "市财政局"),
                                                  ("participant", "市税务局")]),
    # units after the lead with no verb of their own take part
    ("（市科技局牵头，市财政局、各县（市、区）政府）", [("lead", "市科技局"), ("participant", "市财政局"),
                                                ("participant", "各县（市、区）政府")]),
    # labels ending in 为 instead of a colon
    ("（牵头单位为市科技局，配合单位为市财政局）", [("lead", "市科技局"), ("participant", "市财政局")]),
    # an unbracketed 由… sentence closing the task
    ("。由市科技局牵头，市财政局配合。", [("lead", "市科技局"), ("participant", "市财政局")]),
    # an unmarked sentence closing the task: units of public bodies and their role verbs
    ("。省工业和信息化厅牵头，省科技厅、省商务厅按职责分工负责。", [("lead", "省工业和信息化厅"),
                                                  ("participant", "省科技厅"), ("participant", "省商务厅")]),
    ("。市政务服务数据管理局牵头负责。", [("lead", "市政务服务数据管理局")]),
    ("。省财政厅、省税务局负责。", [("lead", "省财政厅"), ("participant", "省税务局")]),
    ("。长沙市人民政府负责，湘江新区管委会配合。", [("lead", "长沙市人民政府"), ("participant", "湘江新区管委会")]),
    ("。科技部牵头，教育部、财政部配合。", [("lead", "科技部"), ("participant", "教育部"), ("participant", "财政部")]),
    # 〔〕 brackets hold clauses too
    ("。〔责任单位：市金融局、市财政局〕", [("lead", "市金融局"), ("participant", "市财政局")]),
    # a note written after the last unit
    ("（责任单位：市科技局、市财政局（列第一位的为牵头单位，下同））", [("lead", "市科技局"), ("participant", "市财政局")]),
    # units alone closing a task: responsible units, the first leads
    ("。（市科技局、市财政局）", [("lead", "市科技局"), ("participant", "市财政局")]),
])
def test_composed_clause_forms(text: str, want: list[tuple[str, str]]) -> None:
    assert roles("做好工作" + text) == [want]


@pytest.mark.parametrize("text", [
    "支持龙头企业牵头组建创新联合体，高校、科研院所参与。",  # the verb is not the sentence's end
    "鼓励有条件的企业牵头，高校参与。",  # who a sentence says may lead is no public body
    "支持企业牵头，高校、科研院所参与。",
    "推动企业上云。重点企业负责。",
    "建立健全工作机制，明确各方责任。",
    "粤府〔2023〕12号文件要求各地抓好落实。",
])
def test_sentences_that_are_not_unmarked_clauses(text: str) -> None:
    assert roles(text) == []


def test_dotless_item_numbers_in_sequence(tmp_path: Path) -> None:
    f = tmp_path / "plan.txt"
    f.write_text("某市工作安排\n一、重点工作\n1突破关键技术。实施攻关项目。（市科技局负责）\n"
                 "2建设创新平台。（市发展改革委负责）\n3大工程带动投资增长。\n", encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    assert [(t.path, t.title) for t in doc.tasks] == [("一.1", "突破关键技术"), ("一.2", "建设创新平台")]
    assert [s.path for s in doc.sections if s.marker] == ["一", "一.1", "一.2", "一.3"]


@pytest.mark.parametrize(("written", "plan_year", "want"), [
    ("2022年底前完成", None, ("2022", "2022年底前完成")),
    ("完成时限：2022年6月底", None, ("2022-06", "2022年6月底")),
    ("2024年12月31日前", None, ("2024-12-31", "2024年12月31日前")),
    ("2023年第三季度", None, ("2023-09", "2023年第三季度")),
    ("2023—2025年", None, ("2025", "2023—2025年")),
    ("2023年至2025年", None, ("2025", "2023年至2025年")),
    ("6月底完成", 2024, ("2024-06", "6月底完成")),
    ("年内", 2024, ("2024", "年内")),
    ("年内", None, ("", "年内")),  # a plan over several years: which year is not said
    ("长期坚持", None, ("ongoing", "长期坚持")),
    ("持续推进", None, ("ongoing", "持续推进")),
])
def test_deadline_forms(written: str, plan_year: int | None, want: tuple[str, str]) -> None:
    from policykg.extract.deadlines import read_deadline

    assert read_deadline(written, plan_year) == want


def test_deadlines_in_running_text_only_where_a_limit_is_said() -> None:
    from policykg.extract.deadlines import due_by, read_deadline

    assert read_deadline("到2025年，高新技术企业达到500家", 2023, running_text=True) is None
    assert read_deadline("持续推进平台建设", 2023, running_text=True) is None
    assert read_deadline("力争9月底前完成首批项目遴选", 2023, running_text=True) == ("2023-09", "9月底前完成")
    assert [due_by(d) for d in ("2024", "2024-02", "2024-06-15", "ongoing", "")] == [
        "2024-12-31", "2024-02-29", "2024-06-15", "", ""]


def test_markdown_outline(tmp_path: Path) -> None:
    """A plan converted to Markdown: headings after #, bold items, list items are numbered items."""
    f = tmp_path / "plan.md"
    f.write_text("# 某市科技创新行动方案\n\n## 一、主要任务\n\n**（一）建设创新平台。**推进实验室建设。（市科技局牵头，市财政局配合）\n\n"
                 "- 1.培育企业。实施培育计划。（责任单位：市科技局、市税务局）\n", encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    assert [(t.path, t.title, [(u.role, u.written) for u in t.clause.units]) for t in doc.tasks] == [
        ("一.(一)", "建设创新平台", [("lead", "市科技局"), ("participant", "市财政局")]),
        ("一.(一).1", "培育企业", [("lead", "市科技局"), ("participant", "市税务局")])]


def test_task_table_headers_with_more_words(tmp_path: Path) -> None:
    from policykg.extract.clauses import find_table_tasks

    rows = find_table_tasks("序号\t重点任务及举措\t牵头单位及责任人\t配合单位\n1\t建设平台\t市科技局\t市财政局\n")
    assert [(r.title, [(u.role, u.written) for u in r.units]) for r in rows] == [
        ("建设平台", [("lead", "市科技局"), ("participant", "市财政局")])]


def test_task_table_row_numbers() -> None:
    """序号 in numerals or Chinese numbers; a row left unnumbered continues the row above; a
    table with no 序号 column numbers its rows in order."""
    from policykg.extract.clauses import find_table_tasks

    rows = find_table_tasks("序号\t工作任务\t负责单位\n一\t制定细则\t省科技厅\n二\t开展试点\t省财政厅\n\t总结推广\t省教育厅\n")
    assert [(r.number, r.title) for r in rows] == [("1", "制定细则"), ("2", "开展试点"), ("2b", "总结推广")]
    rows = find_table_tasks("工作任务\t负责单位\n制定细则\t省科技厅\n开展试点\t省财政厅\n")
    assert [(r.number, r.title) for r in rows] == [("1", "制定细则"), ("2", "开展试点")]


def test_a_repeated_clause_cites_each_place() -> None:
    # a plan repeats its clauses: each one's units point at its own text, and roles resolved for
    # one clause (the first of a 负责 list leads) are not carried into the next
    clause = "（市科技局、市财政局负责）"
    text = f"推进平台建设{clause}；完善服务体系{clause}；加快成果转化（牵头单位：市财政局，配合单位：市科技局）"
    found = find_clauses(text)
    second = text.index(clause, 6 + len(clause))
    assert [(s, e) for s, e, _f, _u in found[:2]] == [(6, 6 + len(clause)), (second, second + len(clause))]
    for s, _e, _f, units in found:
        for u in units:
            assert text[u.start : u.end] == u.written
            assert u.start > s
    assert [[(u.role, u.written) for u in units] for *_, units in found] == [
        [("lead", "市科技局"), ("participant", "市财政局")],
        [("lead", "市科技局"), ("participant", "市财政局")],
        [("lead", "市财政局"), ("participant", "市科技局")]]


def test_resolved_lists_are_not_shared() -> None:
    # the same list resolved twice hands out separate units: changing one leaves the other alone
    from policykg.extract.resolve import resolve_unit_list

    first = resolve_unit_list(["市科技局", "市财政局"], "清远市", province="广东省")
    second = resolve_unit_list(["市科技局", "市财政局"], "清远市", province="广东省")
    assert [u.name for u in first] == [u.name for u in second] == ["清远市科学技术局", "清远市财政局"]
    first[0].note = "changed"
    assert second[0].note != "changed"
    assert resolve_unit_list(["市科技局", "市财政局"], "清远市", province="广东省")[0].note != "changed"


def test_flat_split_equals_the_bracket_aware_split_on_the_sample_plans() -> None:
    """split_units cuts a text without brackets by re.split (_split_flat): on every bracket's
    content, and every part of it, in the sample plans, with each separator set the grammar uses,
    the pieces, offsets and separators are those of the bracket-aware loop (_split_nested)."""
    from policykg.extract import clauses

    separator_sets = [clauses._PART_SEPARATORS, clauses._UNIT_SEPARATORS, clauses._NOTE_SEPARATORS,
                      clauses._patterns()["separators"]]
    texts: set[str] = set()
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        text = load_document(f).text
        for start, end in clauses.bracket_groups(text):
            content = text[start + 1 : end - 1]
            texts.add(content)
            texts.update(piece for piece, *_ in clauses._split_nested(content, 0, clauses._PART_SEPARATORS, False))
    flat = [t for t in texts if not clauses._DEPTH_MARK.search(t)]
    assert len(flat) > 100  # the sample plans hold hundreds of clauses
    for text in flat:
        for separators in separator_sets:
            for names in (True, False):
                assert clauses._split_flat(text, 7, separators, names) == \
                    clauses._split_nested(text, 7, separators, names), text


def test_first_characters_of_the_grammar_patterns() -> None:
    """A whole-document search for the first-leads note is tried only where its first characters
    stand: they are read from the pattern, and a pattern that may start anywhere has none."""
    import re

    from policykg.extract import clauses

    note = clauses.clause_words()["first_leads_note"]
    firsts = clauses._first_characters(note)
    assert firsts
    compiled = re.compile(note)
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        text = load_document(f).text
        for probe in (text, text + "，列第一位的为牵头单位。"):
            assert clauses._holds(compiled, firsts, probe) == bool(compiled.search(probe))
    assert clauses._first_characters(r"(?:完成)?时限") is None
    assert clauses._first_characters(r"^牵头") is None


# what may stand in a clause and changes how its units are read: the short path must see each and
# leave the clause to the general parsers, or read it as they do
_UNUSUAL_PIECES = ["和", "及", "由", "等", "等相关部门", "（牵头）", "（市、区）", "（0.5分）", "会同", "、", "，", "；",
                   " ", "\n", "2022年底前", "牵头单位：", "配合部门：", "完成时限：", "联系人：", "为", "牵头", "按职责分工负责",
                   "各", "有关区", "：", "【", "(", "列第一位者为牵头单位"]


def test_short_path_reads_as_the_general_parsers() -> None:
    """The common clauses' short path (labels or verbs with lists of plain names) gives the readings
    the general parsers give: on every bracket of the sample plans, and on each with one of the
    pieces that make a clause unusual put after each of its separators."""
    from policykg.extract import clauses

    contents: set[str] = set()
    for f in sorted((Path(__file__).resolve().parents[1] / "data").glob("*.txt")):
        text = load_document(f).text
        for start, end in clauses.bracket_groups(text):
            contents.add(text[start + 1 : end - 1 if text[end - 1] in clauses.CLOSE_BRACKETS else end])
    # the plans write their clauses with labels: the same units written inline too
    for content in list(contents):
        if not clauses._patterns()["clue"].search(content) or clauses.label_role(content):
            continue
        form, units, _looks = clauses._parsed_reading(content)
        if form == "labelled" and units:
            leads = "、".join(u[0] for u in units if u[3] == "lead")
            others = "、".join(u[0] for u in units if u[3] != "lead")
            contents.update([f"{leads}牵头，{others}配合" if leads and others else f"{leads or others}负责",
                             "、".join(u[0] for u in units) + "按职责分工负责"])
    variants = set(contents)
    for content in contents:
        cuts = [i + 1 for i, ch in enumerate(content) if ch in "、，；：:"]
        variants.update(content[:i] + piece + content[i:] for i in cuts for piece in _UNUSUAL_PIECES)
    short = {"labelled": 0, "inline": 0}
    for content in sorted(variants):
        if clauses.label_role(content) or not clauses._patterns()["clue"].search(content):
            continue
        for form, read in (("labelled", clauses._plain_labelled), ("inline", clauses._plain_inline)):
            units = read(content)
            if units is not clauses._UNUSUAL:
                assert (form, units, False) == clauses._parsed_reading(content), content
                short[form] += 1
                break
    assert short["labelled"] and short["inline"], short  # both short paths were tried


def test_assigned_reading_gives_the_roles_of_assign_roles() -> None:
    """A bracket's reading assigned on its tuples (clauses._assigned) gives what assign_roles gives
    its ParsedUnits: on every reading of the sample plans, and on lists of every role with names
    written twice and joined by 及/和, with and without "the first listed leads"."""
    import itertools

    from policykg.extract import clauses

    readings = set()
    for f in sorted((Path(__file__).resolve().parents[1] / "data").glob("*.txt")):
        text = load_document(f).text
        for start, end in clauses.bracket_groups(text):
            content = text[start + 1 : end - 1 if text[end - 1] in clauses.CLOSE_BRACKETS else end]
            reading = clauses._bracket_reading(content)
            for units in (reading[1] if reading else None, clauses._relative(clauses._bare_list(content, 0))):
                if units:
                    readings.add(units)
    names, separators = ["市科技局", "市财政局", "市科技局"], ["、", "及", "和", "，"]
    for n in range(1, 4):
        for written_roles in itertools.product(["lead", "participant", "responsible", "shared"], repeat=n):
            for k in range(len(separators)):
                readings.add(tuple((names[(i + k) % 3], 5 * i, 5 * i + 4, role, separators[(i + k) % 4] if i else "")
                                   for i, role in enumerate(written_roles)))
    assert len(readings) > 300
    for reading in readings:
        for first_leads in (False, True):
            units = clauses.assign_roles(clauses._placed(reading, 0), first_leads)
            want = tuple((u.written, u.start, u.end, u.role, u.separator, u.lead_from_order) for u in units)
            assert clauses._assigned(reading, first_leads) == want, reading


def test_no_deadline_where_no_deadline_can_start() -> None:
    """may_hold_deadline tells where read_deadline can read nothing: on every sentence of the
    sample plans it is True wherever read_deadline finds a deadline (in notes and in running text)."""
    import re

    from policykg.extract.deadlines import may_hold_deadline, read_deadline

    pieces = {"2022年底前完成", "完成时限：年内", "【时间节点】持续推进", "长期坚持", "第三季度", "上半年完成", "本年度内完成"}
    for f in sorted((Path(__file__).resolve().parents[1] / "data").glob("*.txt")):
        pieces.update(re.split(r"[。\n]", load_document(f).text))
    found = 0
    for piece in pieces:
        for running in (False, True):
            got = read_deadline(piece, 2023, running_text=running)
            if not may_hold_deadline(piece, 0, len(piece), running_text=running):
                assert got is None, piece
            found += got is not None
    assert found > 20


def test_table_line_scan_finds_every_line_the_table_reader_looks_at() -> None:
    """find_table_tasks passes over the lines its one scan of the text finds no table start in: on
    every line of the sample plans, and on those lines with a tab, a "|", white space or a header
    cell put in front, the scan finds a start exactly where the reader's own test of the line does."""
    from policykg.extract import clauses

    header_first = clauses._patterns()["header_first"]
    lines: set[str] = set()
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        for line in load_document(f).text.split("\n"):
            lines.update({line, "\t" + line, line + "\t", "|" + line, " \u3000" + line, "\x0c牵头单位" + line,
                          "\r" + line, "序号" + line})
    looked_at = [line for line in lines if "\t" in line or line[:1] == "|" or line.lstrip()[:1] in header_first]
    assert len(lines) > 1000 and len(looked_at) > 500
    text = "\n".join(sorted(lines))
    starts = set(clauses._table_line_starts(text))
    at = 0
    for line in sorted(lines):
        assert (at in starts) == ("\t" in line or line[:1] == "|" or line.lstrip()[:1] in header_first), line
        at += len(line) + 1


def test_plain_role_readings_are_assigned_as_assign_roles_does() -> None:
    """_assigned returns a reading whose roles are all lead or participant and whose units are all
    different as it is: on every bracket of the sample plans read as a clause, with and without the
    first-leads note, its units, roles and lead-from-order marks are those of assign_roles."""
    from policykg.extract import clauses

    readings: set[tuple[clauses._RelativeUnit, ...]] = set()
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        text = load_document(f).text
        for start, end in clauses.bracket_groups(text):
            reading = clauses._bracket_reading(text[start + 1 : end - 1])
            if reading is not None and reading[1]:
                units = reading[1]
                readings.update({units, units + units[:1], units[::-1]})
    plain = [r for r in readings if all(u[3] in ("lead", "participant") for u in r)]
    assert len(plain) > 50 and len(readings) > len(plain)  # the plans hold both kinds
    for reading in readings:
        for first_leads in (False, True):
            general = clauses.assign_roles(clauses._placed(reading, 0), first_leads)
            assert clauses._assigned.__wrapped__(reading, first_leads) == tuple(
                (u.written, u.start, u.end, u.role, u.separator, u.lead_from_order) for u in general), reading


def test_no_label_word_holds_a_colon() -> None:
    """A bracket's content with a colon is not looked up as a bare label (【牵头单位】): no word the
    label grammar composes or lists holds one, so no such content is a label."""
    from policykg.extract import clauses

    words = clauses.clause_words()
    grammar = words["label_grammar"]
    every = [w for ws in words["labels"].values() for w in ws] + \
        [w for ws in grammar["roles"].values() for w in ws] + grammar["modifiers"] + grammar["bodies"]
    assert len(every) > 20
    assert not [w for w in every if "：" in w or ":" in w]
    assert clauses.label_role("牵头单位") == "lead" and clauses.label_role("牵头单位：") is None


def test_end_verb_finds_what_the_verb_pattern_search_finds() -> None:
    """end_verb tries the verb pattern only where one of its first characters stands: on the end of
    every paragraph, bracket and list part of the sample plans (with 等, a line break or verbs added),
    it finds the match a search from the last 24 characters finds, with the same groups."""
    from policykg.extract import clauses

    verb = clauses._patterns()["verb"]
    texts: set[str] = set()
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        text = load_document(f).text
        for paragraph in text.split("\n"):
            texts.update({paragraph, paragraph.rstrip("。；"), paragraph + "\n"})
        for start, end in clauses.bracket_groups(text):
            content = text[start + 1 : end - 1]
            for part in [content, *(p for p, *_ in clauses._split_nested(content, 0, clauses._PART_SEPARATORS, False))]:
                texts.update({part, part + "等", "等" + part, part + "\n"})
                texts.update(part + verb for verb in ("牵头", "等配合", "按职责分工负责", "负责落实", "协同推进\n"))
    found = 0
    for text in texts:
        want = verb.search(text, max(0, len(text) - 24)) if text[-1:] in clauses._patterns()["verb_last"] else None
        got = clauses.end_verb(text)
        assert (got and (got.span(), got.groupdict())) == (want and (want.span(), want.groupdict())), text
        found += got is not None
    assert found > 100


def test_scans_at_start_characters_find_what_the_patterns_find() -> None:
    """The patterns that open with a lookahead on their first characters are tried only where one
    stands (_search_at, _finditer_at): on the sample plans, their paragraphs and bracket contents,
    every such pattern finds the matches its own search and finditer find, from any start."""
    from policykg.extract import clauses

    p = clauses._patterns()
    texts: set[str] = set()
    for f in sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt")):
        text = load_document(f).text
        texts.update(text.split("\n"))
        texts.update(text[s + 1 : e - 1] for s, e in clauses.bracket_groups(text))
    assert len(texts) > 500
    found = 0
    for name in ("label", "label_word", "label_bare", "clue"):
        pattern, at = p[name], p[f"{name}_at"]
        assert pattern.pattern.startswith("(?=[" + at.pattern[1:-1] + "])")
        for text in texts:
            spans = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in clauses._finditer_at(pattern, at, text)] == spans, text
            found += len(spans)
            for pos, endpos in ((0, len(text)), (3, len(text)), (1, len(text) - 2)):
                want = pattern.search(text, pos, endpos)
                got = clauses._search_at(pattern, at, text, pos, endpos)
                assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups())), text
    assert found > 1000


def test_reading_mentions_are_the_mentions_unit_mention_makes() -> None:
    """_reading_mentions sets each field of a mention itself: on a sample plan every field of
    UnitMention is set, to what UnitMention(...) of the same values holds."""
    import dataclasses

    from policykg.extract import clauses
    from policykg.extract.model import UnitMention

    path = sorted(Path(__file__).resolve().parents[1].joinpath("data").glob("*.txt"))[0]
    doc = extract_tasks(build_outline(load_document(path)))
    mentions = [u for t in doc.tasks for u in t.clause.units]
    assert len(mentions) > 50
    fields = [f.name for f in dataclasses.fields(UnitMention)]
    for u in mentions:
        assert all(hasattr(u, name) for name in fields)
        made = UnitMention(*(getattr(u, name) for name in fields))
        assert made == u and repr(made) == repr(u)
    text = doc.text
    reading = next(r[1] for s, e in clauses.bracket_groups(text)
                   if (r := clauses._bracket_reading(text[s + 1 : e - 1])) is not None and r[1])
    for u in clauses._reading_mentions(doc, clauses._assigned(reading, False), 0):
        assert all(hasattr(u, name) for name in fields)
