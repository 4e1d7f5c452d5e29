"""policykg compare: what changed between two versions of a plan (graph/compare.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from policykg.extract.model import (
    Clause,
    DocumentMeta,
    PolicyDocument,
    ResolvedUnit,
    Section,
    Span,
    Target,
    Task,
    UnitMention,
)
from policykg.graph.compare import Comparison, compare, format_report, match_tasks, write_comparison_csv

from policykg.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
DRAFT_2019 = DATA / "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt"
DRAFT_2020 = DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt"

# ---- hand-built versions -------------------------------------------------------------------------

TaskSpec = tuple[str, str, str, list[str], list[str]]  # section, title, body, leads, participants


def make_doc(name: str, tasks: list[TaskSpec], targets: list[tuple[str, str, int, float]] = ()) -> PolicyDocument:
    """A PolicyDocument as the pipeline would leave it: outline, tasks with resolved units, targets."""
    text = ""
    sections: list[Section] = []
    doc_tasks: list[Task] = []
    section_numbers: dict[str, int] = {}
    counts: dict[str, int] = {}
    for section, title, body, leads, parts in tasks:
        if section not in section_numbers:
            section_numbers[section] = len(section_numbers) + 1
            k = "一二三四五六七八九"[section_numbers[section] - 1]
            start = len(text)
            text += f"（{k}）{section}\n"
            sections.append(Section(f"三.({k})", f"（{k}）", 2, section, Span(start, len(text), ""), "三"))
        k = "一二三四五六七八九"[section_numbers[section] - 1]
        counts[section] = counts.get(section, 0) + 1
        path = f"三.({k}).{counts[section]}"
        start = len(text)
        text += f"{counts[section]}.{title}。{body}"
        clause_start = len(text)
        clause = f"（牵头单位：{'、'.join(leads)}" + (f"，参与单位：{'、'.join(parts)}" if parts else "") + "）"
        text += clause
        units = []
        for role, names in (("lead", leads), ("participant", parts)):
            for unit in names:
                at = text.index(unit, clause_start)
                resolved = ResolvedUnit(f"dept:清远市{unit.removeprefix('市')}", unit, "Department", "清远市", "exact")
                units.append(UnitMention(unit, role, Span(at, at + len(unit), unit), resolved=resolved))
        clause_span = Span(clause_start, len(text), clause)
        paragraph = Span(start, len(text), text[start:])
        text += "\n"
        sections.append(Section(path, f"{counts[section]}.", 3, title, paragraph, f"三.({k})"))
        doc_tasks.append(Task(path, title, paragraph, Clause(clause_span, "labelled", units), section_path=path))
    doc = PolicyDocument(
        Path(name),
        name.ljust(64, "0"),
        "utf-8",
        text,
        text=text,
        display=text,
        offsets=list(range(len(text) + 1)),
        meta=DocumentMeta(title=name),
    )
    doc.sections, doc.tasks = sections, doc_tasks
    for indicator, unit, year, value in targets:
        doc.targets.append(
            Target(indicator, f"ind:{indicator}", indicator, unit, year, value, Span(0, 0, ""), source="table")
        )
    return doc


LAB = (
    "积极参与省基础研究与应用基础研究布局，谋划参与共建再生医学省实验室，建立再生医学省实验室成果转化及产业化基地。"
    "积极参与岭南现代农业科学与技术省实验室建设，争取建立分中心和产业化示范基地。"
)
LAB_REWORDED = (
    "积极参与省基础研究与应用基础研究布局，谋划共建再生医学省实验室，建设成果转化及产业化基地。"
    "参与岭南现代农业科学与技术省实验室建设，结合其模式，争取建立分中心和产业化示范基地。"
)
FIRMS = "实施高新技术企业倍增计划，建立高新技术企业后备数据库，对首次认定的高新技术企业给予奖励。"
PATENTS = "强化企业知识产权主体地位，推动企业贯彻知识产权管理规范，提升知识产权创造、运用和保护能力。"
PUBLICITY = "充分利用各种宣传媒介，大力推介科技创新工作的文件、政策和典型经验，营造鼓励创新的舆论氛围。"
RURAL = "推进农业科技示范园建设，组织实施绿色宜居村镇技术创新重点专项，构建农村产业融合发展体系。"
ACTION1, ACTION2 = "入珠融湾科技创新合作行动", "企业创新能力提升行动"

VERSION_A: list[TaskSpec] = [
    (ACTION1, "共建省实验室等重大创新平台", LAB, ["市科技局"], ["市发展改革局", "市工业和信息化局"]),
    (ACTION2, "大力培育高新技术企业", FIRMS, ["市科技局"], ["市财政局", "市税务局"]),
    (ACTION2, "构建法治化创新环境", PATENTS, ["市市场监督管理局"], ["市司法局"]),
    (ACTION2, "加强宣传引导", PUBLICITY, ["市委宣传部"], ["市科技局"]),
]
VERSION_B: list[TaskSpec] = [
    (
        ACTION1,
        "建立与大湾区协同创新平台",
        LAB_REWORDED,
        ["市科技局"],
        ["市发展改革局", "市工业和信息化局", "清远高新区"],
    ),
    (ACTION1, "建设国家绿色宜居村镇综合示范", RURAL, ["市科技局"], ["市发展改革局"]),
    (ACTION2, "大力培育高新技术企业", FIRMS, ["市科技局"], ["市财政局", "市税务局"]),
    (
        ACTION2,
        "营造适应创新创业的良好氛围",
        "推进高新区建设。" + PUBLICITY,
        ["市发展改革局"],
        ["市委宣传部", "市科技局"],
    ),
]


@pytest.fixture()
def versions() -> tuple[PolicyDocument, PolicyDocument]:
    a = make_doc(
        "a.txt",
        VERSION_A,
        [
            ("高新技术企业", "家", 2021, 350),
            ("新型研发机构", "家", 2021, 5),
            ("新引进博士学位人才", "人", 2021, 26),
            ("省级农业科技园", "", 2021, 8),
        ],
    )
    b = make_doc(
        "b.txt",
        VERSION_B,
        [
            ("高新技术企业", "家", 2021, 370),
            ("新型研发机构", "家", 2021, 5),
            ("每年新引进博士人才", "人", 2021, 30),
            ("省级农业科技园", "个", 2021, 8),
            ("高新技术企业", "家", 2022, 380),
        ],
    )
    return a, b


def pairs(c: Comparison) -> dict[str, str]:
    return {m.a.title: m.b.title for m in c.matches}


def test_reworded_title_still_matches(versions: tuple[PolicyDocument, PolicyDocument]) -> None:
    c = compare(*versions)
    assert pairs(c)["共建省实验室等重大创新平台"] == "建立与大湾区协同创新平台"
    assert pairs(c)["大力培育高新技术企业"] == "大力培育高新技术企业"
    lab = next(m for m in c.matches if m.a.title == "共建省实验室等重大创新平台")
    assert lab.retitled and not lab.reassigned
    assert [u.written for u in lab.participants_added] == ["清远高新区"] and not lab.participants_dropped


def test_removed_added_and_reassigned(versions: tuple[PolicyDocument, PolicyDocument]) -> None:
    c = compare(*versions)
    # the patents task has no counterpart: same lead elsewhere is not enough to pair it
    assert [t.title for t in c.removed] == ["构建法治化创新环境"]
    assert [t.title for t in c.added] == ["建设国家绿色宜居村镇综合示范"]
    # the publicity paragraph moved under a new title and a new lead
    (moved,) = c.reassigned
    assert (moved.a.title, moved.b.title) == ("加强宣传引导", "营造适应创新创业的良好氛围")
    assert [u.written for u in moved.leads_a] == ["市委宣传部"] and [u.written for u in moved.leads_b] == [
        "市发展改革局"
    ]
    assert [u.written for u in moved.participants_added] == ["市委宣传部"]


CENTRE = (
    "聚焦优势领域，争取建设省技术创新中心，集聚行业最优秀人才、机构，形成面向全省的公共技术创新平台。"
    "借助省高水平研究院布局机遇，成建制、成体系引进国家级科研机构、高等院校等国家科研力量。"
)


def test_merged_task_is_reported_as_kept(tmp_path: Path) -> None:
    a = make_doc(
        "a.txt",
        [
            (ACTION1, "共建省实验室等重大创新平台", LAB, ["市科技局"], ["市发展改革局"]),
            (ACTION1, "建设省技术创新中心和高水平研究院", CENTRE, ["市科技局"], ["清远高新区"]),
        ],
    )
    b = make_doc(
        "b.txt",
        [(ACTION1, "建立与大湾区协同创新平台", LAB_REWORDED + CENTRE, ["市科技局"], ["市发展改革局", "清远高新区"])],
    )
    c = compare(a, b)
    (merged,) = c.removed
    (match,) = c.matches
    assert c.kept_in[id(merged)][0] is match.b
    assert c.kept_in[id(merged)][1] >= 0.6
    assert f"its text is kept in B {match.b.path}" in format_report(c)
    with write_comparison_csv(c, tmp_path / "c.csv").open(encoding="utf-8-sig", newline="") as fh:
        (removed_row,) = [r for r in csv.DictReader(fh) if r["change"] == "task-removed"]
    assert removed_row["note"].startswith(f"text kept in B {match.b.path}")


def test_matching_is_one_to_one_and_order_free(versions: tuple[PolicyDocument, PolicyDocument]) -> None:
    a, b = versions
    shuffled = make_doc("b2.txt", list(reversed(VERSION_B)))
    forward = {(m.a.title, m.b.title) for m in match_tasks(a, b)[0]}
    backward = {(m.a.title, m.b.title) for m in match_tasks(a, shuffled)[0]}
    assert forward == backward
    assert len({bt for _, bt in forward}) == len(forward)
    # identical versions pair every task with itself
    same = match_tasks(a, make_doc("a2.txt", VERSION_A))
    assert (
        [(m.a.path, m.b.path) for m in same[0]] == [(t.path, t.path) for t in a.tasks] and not same[1] and not same[2]
    )


def test_targets_same_indicator_and_year(versions: tuple[PolicyDocument, PolicyDocument]) -> None:
    c = compare(*versions)
    firms = c.target("高新技术企业", 2021)
    assert firms is not None and (firms.value_a, firms.value_b, firms.status) == (350, 370, "changed")
    assert c.target("新型研发机构", 2021).status == "same"
    assert c.target("省级农业科技园", 2021).status == "same"  # unit written in one version only
    assert c.target("高新技术企业", 2022).status == "added"
    # a renamed indicator with the same unit is still the same indicator
    doctors = c.target("每年新引进博士人才", 2021)
    assert doctors.indicator_a == "新引进博士学位人才" and (doctors.value_a, doctors.value_b) == (26, 30)


def test_report_and_csv(versions: tuple[PolicyDocument, PolicyDocument], tmp_path: Path) -> None:
    c = compare(*versions)
    report = format_report(c)
    assert "高新技术企业 2021: 350 -> 370" in report
    assert "市委宣传部  ->  市发展改革局" in report
    path = write_comparison_csv(c, tmp_path / "sub" / "changes.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    kinds = {r["change"] for r in rows}
    assert {"lead-changed", "participants-changed", "task-added", "task-removed", "target-changed"} <= kinds
    changed = [r for r in rows if r["change"] == "target-changed"]
    assert {(r["indicator"], r["year"], r["value_a"], r["value_b"]) for r in changed} >= {
        ("高新技术企业", "2021", "350", "370")
    }
    assert [p.name for p in path.parent.iterdir()] == ["changes.csv"]  # no temporary file left


# ---- the two real 清远 drafts --------------------------------------------------------------------


def table_row(path: Path, indicator: str) -> dict[int, float]:
    """The yearly values of one row of the 年度分解表, read straight from the text (one row per
    line in the PDF copy, one cell per line in the other)."""
    text = path.read_text(encoding="utf-8")
    header = re.search(r"(?m)^\s*主要指标\s", text)  # the header cell, not the table's caption
    cells = [c.strip() for c in re.split(r"[\t\n ]+", text[header.start() :]) if c.strip()]
    years: list[int] = []
    for cell in cells[1:]:
        m = re.fullmatch(r"(20\d\d)年?", cell)
        if m:
            years.append(int(m.group(1)))
        elif cell != "年":
            break
    start = next(i for i, c in enumerate(cells) if c.startswith(indicator))
    values = [float(c) for c in cells[start + 1 : start + 1 + len(years)]]
    return dict(zip(years, values, strict=True))


@pytest.fixture(scope="module")
def drafts() -> Comparison:
    from policykg.extract.pipeline import process_file

    return compare(process_file(DRAFT_2019), process_file(DRAFT_2020))


def test_drafts_targets_changed(drafts: Comparison) -> None:
    row_a, row_b = table_row(DRAFT_2019, "高新技术企业"), table_row(DRAFT_2020, "高新技术企业")
    assert row_a[2021] != row_b[2021]
    firms = drafts.target("高新技术企业", 2021)
    assert firms is not None and firms.status == "changed"
    assert (firms.value_a, firms.value_b) == (row_a[2021], row_b[2021])
    # every year both tables give is compared, changed or not
    for year in set(row_a) & set(row_b):
        change = drafts.target("高新技术企业", year)
        assert change.status == ("same" if row_a[year] == row_b[year] else "changed")
    assert "高新技术企业 2021: " in format_report(drafts)


def clause_leads(path: Path, title: str) -> list[str]:
    """The lead units the source text's clause names for the task with this title."""
    text = re.sub(r"\s+|-\d+-", "", path.read_text(encoding="utf-8"))
    paragraph = text[text.index(title) :]
    clause = re.search(r"[（(]牵头单位[：:]([^，,、；）)]+)", paragraph)
    return [clause.group(1)]


def test_drafts_reworded_and_reassigned_tasks(drafts: Comparison) -> None:
    assert pairs(drafts)["共建省实验室等重大创新平台"] == "建立与大湾区协同创新平台"
    assert drafts.reassigned, "the 2020 draft gives some tasks a new lead"
    for m in drafts.reassigned:
        leads_a = [u.written for u in m.leads_a]
        leads_b = [u.written for u in m.leads_b]
        assert leads_a == clause_leads(DRAFT_2019, m.a.title) and leads_b == clause_leads(DRAFT_2020, m.b.title)
        assert {u.resolved.unit_id for u in m.leads_a} != {u.resolved.unit_id for u in m.leads_b}
    moved = {m.a.title: m.b.title for m in drafts.reassigned}
    assert moved.get("加强宣传引导") == "营造适应创新创业的良好氛围"
    # one to one, and every task accounted for
    assert len({id(m.b) for m in drafts.matches}) == len(drafts.matches)
    assert len(drafts.matches) + len(drafts.removed) == drafts.a.n_tasks
    assert len(drafts.matches) + len(drafts.added) == drafts.b.n_tasks


def test_cli_compare_files(tmp_path: Path) -> None:
    out_csv = tmp_path / "changes.csv"
    result = CliRunner().invoke(main, ["compare", str(DRAFT_2019), str(DRAFT_2020), "--csv", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert "Tasks re-assigned" in result.output and "Targets changed" in result.output
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    row_a, row_b = table_row(DRAFT_2019, "高新技术企业"), table_row(DRAFT_2020, "高新技术企业")
    firms = [
        r for r in rows if r["change"] == "target-changed" and r["indicator"] == "高新技术企业" and r["year"] == "2021"
    ]
    assert [(float(r["value_a"]), float(r["value_b"])) for r in firms] == [(row_a[2021], row_b[2021])]
    assert any(r["change"] == "lead-changed" for r in rows)


def test_cli_compare_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    out_csv = tmp_path / "changes.csv"
    result = CliRunner().invoke(main, ["compare", str(missing), str(DRAFT_2020), "--csv", str(out_csv)])
    assert result.exit_code == 1
    assert str(missing) in result.output and "no such file" in result.output
    assert not out_csv.exists()
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    result = CliRunner().invoke(main, ["compare", str(binary), str(DRAFT_2020)])
    assert result.exit_code == 1 and str(binary) in result.output


def test_cli_compare_documents_of_a_built_graph(tmp_path: Path) -> None:
    from policykg import api

    data = tmp_path / "data"
    data.mkdir()
    for path in (DRAFT_2019, DRAFT_2020, DATA / "manifest.json"):
        (data / path.name).write_bytes(path.read_bytes())
    api.build(data, tmp_path / "out", views=False)
    args = ["compare", DRAFT_2019.name, DRAFT_2020.name, "--out", str(tmp_path / "out"), "--data", str(data)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    from_files = CliRunner().invoke(main, ["compare", str(data / DRAFT_2019.name), str(data / DRAFT_2020.name)])
    # the graph holds what the files give: the same report
    assert result.output == from_files.output
    unknown = CliRunner().invoke(
        main, ["compare", "nothing-like-this", DRAFT_2020.name, "--out", str(tmp_path / "out")]
    )
    assert unknown.exit_code == 1 and "nothing-like-this" in unknown.output
