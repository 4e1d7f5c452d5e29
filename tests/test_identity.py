"""Which plan and which body: the gazetteer, the document head (title, issuer, 文号, date, period,
jurisdiction) of plans without a manifest entry, unit ids keyed by division code, plan editions
(SUPERSEDES, current), CITES and the review file. The plans in tests/fixtures/identity have no
manifest; what each says was written into its expected.json by reading it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from policykg.extract import gazetteer
from policykg.extract.meta import find_doc_number, find_issuer, infer_meta, load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import load_document, process_file
from policykg.extract.read import SUPPORTED_SUFFIXES
from policykg.extract.resolve import read_review_file, resolve_unit
from policykg.graph.build import family_key
from policykg.graph.export import read_graph

from policykg import api
from policykg.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
IDENTITY = ROOT / "tests" / "fixtures" / "identity"
PLANS = ROOT / "tests" / "fixtures" / "plans"
EXPECTED: dict[str, dict[str, Any]] = json.loads((IDENTITY / "expected.json").read_text(encoding="utf-8"))["documents"]
QY_2019 = "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt"
QY_2020 = "qingyuan_innovation_action_plan_2020-2022_draft.txt"
QY_14TH = "qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt"


def fixture_files() -> list[Path]:
    """Every plan the tests have: the identity and other-format fixtures and the five samples."""
    files = [p for folder in (IDENTITY, PLANS, DATA) for p in sorted(folder.iterdir())
             if p.suffix.lower() in SUPPORTED_SUFFIXES and p.name != "expected.json"]
    return [p for p in files if not p.name.startswith("make_")]


@pytest.fixture(scope="module")
def processed() -> dict[str, PolicyDocument]:
    return {p.name: process_file(p) for p in fixture_files()}


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("identity") / "out"
    api.build(DATA, out, views=False)
    return out


@pytest.fixture(scope="module")
def sample_graph(sample_out: Path) -> nx.MultiDiGraph:
    return read_graph(sample_out)


# ---- the gazetteer -------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "code", "name"), [
    ("清远", "441800", "清远市"),  # a short name
    ("清远市", "441800", "清远市"),
    ("长沙县", "430121", "长沙县"),  # a county
    ("宁乡县", "430182", "宁乡市"),  # a county become a county-level city
    ("恩施州", "422800", "恩施土家族苗族自治州"),  # a 自治州 by its short form
    ("恩施土家族苗族自治州", "422800", "恩施土家族苗族自治州"),
    ("峨边县", "511132", "峨边彝族自治县"),  # a 自治县
    ("襄樊市", "420600", "襄阳市"),  # a renamed city
    ("锡林郭勒盟", "152500", "锡林郭勒盟"),
    ("阿鲁科尔沁旗", "150421", "阿鲁科尔沁旗"),
    ("伊犁州", "654000", "伊犁哈萨克自治州"),  # a people without 族 (哈萨克)
    ("黔东南州", "522600", "黔东南苗族侗族自治州"),  # two peoples
    ("西双版纳", "532800", "西双版纳傣族自治州"),
    ("巴音郭楞州", "652800", "巴音郭楞蒙古自治州"),
    ("广西", "450000", "广西壮族自治区"),
    ("广东省清远市", "441800", "清远市"),
    ("广州市天河区", "440106", "天河区"),
])
def test_gazetteer_lookups(written: str, code: str, name: str) -> None:
    division = gazetteer.best(written)
    assert division is not None and (division.code, division.name) == (code, name)


@pytest.mark.parametrize("text", ["深化城市", "有条件的市", "发挥合肥市", "件乘坐城市", "设区市", "全市"])
def test_text_ending_in_a_place_suffix_is_no_division(text: str) -> None:
    assert gazetteer.lookup(text) == []


def test_gazetteer_covers_every_level() -> None:
    levels = {level: sum(d.level == level for d in gazetteer.divisions()) for level in "省市县"}
    assert levels["省"] == 34 and levels["市"] > 330 and levels["县"] > 2800
    tianhe = gazetteer.best("天河区")
    assert [d.name for d in tianhe.ancestors()] == ["广州市", "广东省"]
    # 朝阳区 is in Beijing and in Changchun: inside a given division, that one's
    changchun = gazetteer.best("长春市")
    assert gazetteer.best("朝阳区", changchun).code.startswith("2201")


# ---- the document head ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_head_of_plans_without_a_manifest(name: str) -> None:
    meta, want = load_document(IDENTITY / name).meta, EXPECTED[name]
    got = {"title": meta.title, "jurisdiction": meta.jurisdiction, "province": meta.province,
           "period": list(meta.period) if meta.period else None, "issuer": meta.issuer,
           "doc_number": meta.doc_number, "date": meta.date, "status": meta.status}
    assert got == {k: v for k, v in want.items() if k not in ("unit_code", "units")}
    assert meta.inferred["jurisdiction"]  # every inference says how it was made


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if w.get("unit_code")))
def test_unit_ids_carry_the_division_code(name: str, processed: dict[str, PolicyDocument]) -> None:
    code = EXPECTED[name]["unit_code"]
    doc = processed[name]
    own = [u.resolved for t in doc.tasks for u in t.clause.units
           if u.written[:1] in "省市县州旗" or u.written.startswith(("自治区", "科技部", "财政部", "国家发展改革委"))
           or (u.written[:1] == "区" and EXPECTED[name]["jurisdiction"].endswith("区"))]
    assert own, name
    for unit in own:
        if unit.kind == "Department" and unit.rule != "kind-suffix":
            assert unit.unit_id.split(":")[1] == code, unit


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if w.get("units")))
def test_units_resolve_to_their_standard_names(name: str, processed: dict[str, PolicyDocument]) -> None:
    """Abbreviations expanded to the standard name of the plan's own division (市人社局 -> 郑州市人力
    资源和社会保障局, 自治区科技厅 -> 广西壮族自治区科学技术厅), bodies without a level (海关, the central
    bank's branches, power companies, universities) by their own names and of the right kind."""
    got = {u.written: [u.resolved.name, u.resolved.kind] for t in processed[name].tasks for u in t.clause.units}
    want = EXPECTED[name]["units"]
    assert {w: got.get(w) for w in want} == want
    flagged = sorted({u.written for t in processed[name].tasks for u in t.clause.units if u.resolved.flagged})
    assert flagged == []


@pytest.mark.parametrize(("written", "jurisdiction", "name", "kind"), [
    ("自治区科技厅", "南宁市", "广西壮族自治区科学技术厅", "Department"),  # the region above a city
    ("自治区党委组织部", "广西壮族自治区", "中共广西壮族自治区委员会组织部", "Department"),
    ("省能源局", "四川省", "四川省能源局", "Department"),  # a province's own energy bureau
    ("能源局", "全国", "国家能源局", "Department"),
    ("市自然资源规划局", "杭州市", "杭州市自然资源和规划局", "Department"),
    ("人民银行成都分行", "四川省", "人民银行成都分行", "Department"),  # a state organ, not a bank
    ("中国科学院武汉分院", "湖北省", "中国科学院武汉分院", "Institute"),
    ("曲靖供电局", "曲靖市", "曲靖供电局", "Firm"),
    ("关山街道办事处", "洪山区", "洪山区关山街道办事处", "Government"),
    ("区科技厅", "广西壮族自治区", "广西壮族自治区科学技术厅", "Department"),  # 区 of a 自治区 plan: the region
    ("自治区人民政府", "广西壮族自治区", "广西壮族自治区人民政府", "Government"),
    ("伊犁州科技局", "新疆维吾尔自治区", "伊犁哈萨克自治州科学技术局", "Department"),
    ("市贸促会", "郑州市", "郑州市国际贸易促进委员会", "Organisation"),
    ("高校", "郑州市", "郑州市高校", "Collective"),  # universities in general, not one body
    ("城关镇政府", "兰考县", "兰考县城关镇人民政府", "Government"),  # a town of the plan's county
    ("关山街道", "洪山区", "洪山区关山街道办事处", "Government"),
    ("市属国有企业", "郑州市", "郑州市市属国有企业", "Collective"),
])
def test_level_words_and_bodies_without_a_level(written: str, jurisdiction: str, name: str, kind: str) -> None:
    unit = resolve_unit(written, jurisdiction)
    assert (unit.name, unit.kind, unit.flagged) == (name, kind, False)


def test_towns_of_a_shared_name_stay_apart() -> None:
    """城关镇 is in hundreds of counties: each county plan's 城关镇 is its own."""
    lankao, fugou = resolve_unit("城关镇人民政府", "兰考县"), resolve_unit("城关镇人民政府", "扶沟县")
    assert lankao.unit_id != fugou.unit_id
    assert lankao.unit_id.split(":")[1] == gazetteer.best("兰考县").code


def test_a_lower_level_body_in_a_national_plan_is_each_of_them() -> None:
    unit = resolve_unit("市政府", "全国")  # never "全国市人民政府"
    assert (unit.name, unit.kind, unit.flagged) == ("各市人民政府", "Collective", True)


@pytest.mark.parametrize(("line", "number", "prefix"), [
    ("国办发〔2023〕18号", "国办发〔2023〕18号", "国办发"),
    ("皖政办〔2021〕3号", "皖政办〔2021〕3号", "皖政办"),
    ("鲁政办发〔2022〕8号", "鲁政办发〔2022〕8号", "鲁政办发"),
    ("青政发 [2020] 12号", "青政发[2020]12号", "青政发"),
    ("发改高技〔2019〕1234号", "发改高技〔2019〕1234号", "发改高技"),
])
def test_doc_numbers(line: str, number: str, prefix: str) -> None:
    found = find_doc_number(f"某某关于印发某某方案的通知\n{line}\n\n各有关单位：\n现印发给你们。")
    assert found is not None and found[:2] == (number, prefix)


def test_a_doc_number_inside_a_sentence_cites_another_document() -> None:
    text = "清远市科技创新行动方案\n\n根据《国务院关于印发某规划的通知》（国发〔2021〕29号）精神，制定本方案。"
    assert find_doc_number(text) is None


@pytest.mark.parametrize(("text", "issuer"), [
    ("浙江省人民政府办公厅关于印发浙江省某某行动方案的通知\n浙政办发〔2023〕21号\n", "浙江省人民政府办公厅"),
    ("国务院办公厅关于进一步加强科技成果转化的指导意见\n国办发〔2023〕18号\n", "国务院办公厅"),
    ("某某方案\n\n一、总体要求\n为加快发展，制定本方案。\n\n合肥市人民政府\n2022年5月6日\n", "合肥市人民政府"),
])
def test_issuers(text: str, issuer: str) -> None:
    assert find_issuer(text)[0] == issuer


def test_a_doc_number_abbreviation_is_settled_by_the_places_named() -> None:
    # 青政发 is Qinghai's and Qingdao's: the text says which
    body = "\n为加快创新，制定本措施。\n一、任务\n（一）支持{0}、{1}建设孵化器。（{2}科技局牵头）\n（二）{0}、{1}协同创新。（{2}财政局牵头）\n"
    qingdao = infer_meta("关于加快推进科技创新的若干措施\n青政发〔2022〕3号" + body.format("青岛市", "市南区", "市"))
    qinghai = infer_meta("关于加快推进科技创新的若干措施\n青政发〔2022〕3号" + body.format("西宁市", "海东市", "省"))
    assert (qingdao.jurisdiction, qinghai.jurisdiction) == ("青岛市", "青海省")


def test_a_provincial_plan_is_not_scoped_to_the_cities_it_names(processed: dict[str, PolicyDocument]) -> None:
    doc = processed["anhui_notice_naming_cities.txt"]
    assert doc.meta.jurisdiction == "安徽省"
    named = {u.resolved.name for t in doc.tasks for u in t.clause.units}
    assert "合肥市人民政府" in named and "安徽省科学技术厅" in named
    # bodies without a level keep their own name
    assert {"合肥海关", "人行合肥中心支行"} <= named
    assert resolve_unit("合肥海关", "安徽省").unit_id == "dept:合肥海关"


def test_body_text_without_a_title_line(processed: dict[str, PolicyDocument], tmp_path: Path) -> None:
    doc = processed["body_text_no_title.txt"]
    assert doc.meta.title == ""  # never the heading 三、保障措施 nor the date line
    assert doc.meta.jurisdiction == "unknown"  # 市… units, but no city named: not guessed
    data = tmp_path / "data"
    data.mkdir()
    (data / "body_text_no_title.txt").write_bytes((IDENTITY / "body_text_no_title.txt").read_bytes())
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out"), "--no-views"])
    assert result.exit_code == 0, result.output
    assert "body_text_no_title.txt: jurisdiction unknown (weak evidence" in result.output
    node = next(d for _, d in read_graph(tmp_path / "out").nodes(data=True) if d.get("label") == "Document")
    assert node["name"] == "body_text_no_title.txt"  # the file name stands in for the title


def test_the_period_is_never_a_cited_documents(processed: dict[str, PolicyDocument]) -> None:
    doc = processed["dongguan_cites_period.txt"]
    assert "（2018—2022年）》" in doc.text
    assert doc.meta.period == (2023, 2025)  # 到2025年, from the document's date 2023-03-01


@pytest.mark.parametrize(("title", "period"), [
    ("广州市2019年科技创新工作要点", (2019, 2019)),
    ("清远市2023科技工作行动方案", (2023, 2023)),
    ("韶关市科技创新发展行动计划（2017—2020年）", (2017, 2020)),
    ("四川省“十四五”科技创新规划", (2021, 2025)),
])
def test_periods_from_the_title(title: str, period: tuple[int, int]) -> None:
    assert infer_meta(f"{title}\n\n为加快发展，根据《某某规划（2011-2015年）》，制定本方案。\n").period == period


# ---- canonical names -----------------------------------------------------------------------------

_NAME_HEADS = ("中共", "国家税务总局")
_OWN_NAME_RULES = ("kind-suffix", "unknown", "review-file")


def test_no_canonical_name_holds_a_fragment(processed: dict[str, PolicyDocument]) -> None:
    """Over every fixture and sample, read without a manifest: each unit's canonical name is a real
    division's name and the body's, a national body's, or the body's own name."""
    checked = 0
    for name, doc in processed.items():
        assert doc.meta.jurisdiction in ("全国", "unknown") or gazetteer.best(doc.meta.jurisdiction) is not None
        for task in doc.tasks:
            for unit in task.clause.units:
                res, where = unit.resolved, unit.resolved.jurisdiction
                checked += 1
                bare = res.name
                for head in _NAME_HEADS:
                    bare = bare.removeprefix(head)
                why = (name, unit.written, res)
                if res.kind in ("Institute", "Firm", "Media") or res.rule in _OWN_NAME_RULES:
                    continue  # named by itself
                if where == "全国" and res.kind == "Collective":
                    assert bare.startswith(("各", "有关", "相关")), why  # 各省级人民政府: a kind of body
                elif where == "全国":
                    assert not re.match(r"^.{1,8}?[省市区县州]", bare) or bare.startswith(("国家", "中国", "中央")), why
                elif not where:
                    assert doc.meta.jurisdiction == "unknown" and res.flagged and bare[:1] in "省市区县", why
                elif res.kind == "ParkCommittee":
                    assert gazetteer.best(where) is not None and gazetteer.best(where).name == where, why
                elif gazetteer.best(where) is not None and gazetteer.best(where).name == where:
                    assert bare.startswith(where), why  # 清远市科学技术局, 中共佛冈县委员会组织部
                else:  # a town the gazetteer does not list: its government, named as written
                    assert res.kind == "Government" and res.rule in ("government", "place", "exact"), why
    assert checked > 300


def test_samples_resolve_alike_with_and_without_their_manifest(processed: dict[str, PolicyDocument]) -> None:
    manifest = load_manifest(DATA)
    for name, entry in manifest.items():
        if not name.endswith(".txt"):
            continue
        listed = process_file(DATA / name, meta_from_manifest(entry))
        inferred = processed[name]
        assert inferred.meta.jurisdiction == listed.meta.jurisdiction
        ids = [[u.resolved.unit_id for u in t.clause.units] for t in listed.tasks]
        assert ids == [[u.resolved.unit_id for u in t.clause.units] for t in inferred.tasks]


def test_renamed_body_meets_its_new_name() -> None:
    old = resolve_unit("市科技创新委", "广州市")
    new = resolve_unit("市科学技术局", "广州市")
    assert old.unit_id == new.unit_id == "dept:440100:科学技术局"
    assert old.name == "广州市科学技术局" and "2019" in old.note


# ---- editions and citations ----------------------------------------------------------------------


def _doc(g: nx.MultiDiGraph, file: str) -> str:
    return next(n for n, d in g.nodes(data=True) if d.get("label") == "Document" and d.get("file") == file)


def test_the_qingyuan_family(sample_graph: nx.MultiDiGraph) -> None:
    g = sample_graph
    old, new = _doc(g, QY_2019), _doc(g, QY_2020)
    assert g.nodes[old]["planFamily"] == g.nodes[new]["planFamily"] != g.nodes[_doc(g, QY_14TH)]["planFamily"]
    assert [(u, v) for u, v, d in g.edges(data=True) if d.get("type") == "SUPERSEDES"] == [(new, old)]
    assert g.nodes[new]["current"] is True and g.nodes[old]["current"] is False
    plan = g.nodes[g.nodes[new]["planFamily"]]
    assert plan["label"] == "Plan" and plan["editions"] == 2
    assert family_key(g.nodes[old]["name"]) == family_key(g.nodes[new]["name"])
    tasks = [d for _, d in g.nodes(data=True) if d.get("label") == "Task"]
    assert all(d["current"] == (d["docId"] != old) for d in tasks)


def test_tasks_count_the_newest_edition_unless_all_editions(sample_out: Path, sample_graph: nx.MultiDiGraph) -> None:
    g = sample_graph
    unit = resolve_unit("市科技局", "清远市").unit_id
    per_doc: dict[str, set[str]] = {}
    for _, task, d in g.out_edges(unit, data=True):
        if d.get("type") in ("LEADS", "PARTICIPATES_IN"):
            per_doc.setdefault(g.nodes[task]["docId"], set()).add(task)
    newest = len(per_doc[_doc(g, QY_2020)])
    every = sum(len(v) for v in per_doc.values())
    assert every > newest > 0

    def rows(*flags: str) -> list[dict[str, Any]]:
        result = CliRunner().invoke(main, ["tasks", "市科技局", "--jurisdiction", "清远市", "--out", str(sample_out),
                                           "--format", "json", *flags])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # stderr says which engine

    assert len(rows()) == newest and len(rows("--all-editions")) == every
    assert {r["doc"] for r in rows()} == {QY_2020}


def test_cites_edges(sample_graph: nx.MultiDiGraph) -> None:
    g = sample_graph
    cites = [(u, v, d) for u, v, d in g.edges(data=True) if d.get("type") == "CITES"]
    # the 十四五 plan cites the 2020-2022 plan, which is in the corpus: the edge goes to its Plan
    fourteenth = _doc(g, QY_14TH)
    family = g.nodes[_doc(g, QY_2020)]["planFamily"]
    assert any(u == fourteenth and v == family for u, v, _ in cites)
    assert g.nodes[family]["label"] == "Plan"
    # what is not in the corpus is a CitedDocument named as written
    shaoguan = _doc(g, "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt")
    cited = {g.nodes[v]["name"] for u, v, _ in cites if u == shaoguan}
    assert "国家创新驱动发展战略纲要" in cited
    assert all(g.nodes[v]["label"] in ("Plan", "CitedDocument") for _, v, _ in cites)
    # provenance: the quote is the 《…》 in the original text
    for u, v, d in cites:
        assert d["quote"].startswith("《") and d["quote"].endswith("》")
        assert g.nodes[u]["planFamily"] != v  # never its own plan


# ---- the review file -----------------------------------------------------------------------------


def test_review_file_wins_and_bad_rows_are_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "fogang_county_plan.txt").write_bytes((IDENTITY / "fogang_county_plan.txt").read_bytes())
    (data / "policykg-aliases.tsv").write_text(
        "written\tjurisdiction\tcanonical\tkind\n"
        "# a coordinator's corrections\n"
        "县科技局\t佛冈县\t佛冈县科学技术和工业信息化局\tDepartment\n"
        "县税务局\n"
        "石角镇人民政府\t\t佛冈县石角镇人民政府\tGovernmentt\n",
        encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out"), "--no-views"])
    assert result.exit_code == 0, result.output
    review = data / "policykg-aliases.tsv"
    assert f"{review}: line 4: expected 4 tab-separated columns" in result.output
    assert f"{review}: line 5: kind 'Governmentt'" in result.output
    with (tmp_path / "out" / "resolution.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["written"]: r for r in csv.DictReader(fh)}
    assert rows["县科技局"]["unit_name"] == "佛冈县科学技术和工业信息化局"
    assert rows["县科技局"]["rule"] == "review-file" and "line 3" in rows["县科技局"]["note"]
    assert rows["县科技局"]["unit_id"] == "dept:441821:科学技术和工业信息化局"
    assert rows["县税务局"]["rule"] != "review-file"  # the malformed rows are left out
    entries, problems = read_review_file(review)
    assert len(entries) == 1 and len(problems) == 2


@pytest.mark.parametrize(("text", "want"), [
    # a notice title broken over two lines; a date in Chinese numerals
    ("清远市人民政府办公室关于印发清远市科技创新\n三年行动方案（2021—2023年）的通知\n清府办〔2021〕9号\n\n"
     "各县（市、区）人民政府：\n现将方案印发给你们。\n\n清远市人民政府办公室\n二〇二一年六月十八日\n",
     ("清远市科技创新三年行动方案（2021—2023年）", "清远市", (2021, 2023), "清远市人民政府办公室", "2021-06-18")),
    # 印发 without 关于, and a provincial 府 文号
    ("广东省人民政府印发关于进一步促进科技创新若干政策措施的通知\n粤府〔2019〕1号\n\n各地级以上市人民政府：\n现印发给你们。\n",
     ("进一步促进科技创新若干政策措施", "广东省", None, "广东省人民政府", "")),
    # a 通知 with no issuer before 关于: the signature block names it
    ("关于印发《广州市天河区科技创新三年行动方案（2021—2023年）》的通知\n\n各街道办事处：\n现将方案印发给你们。\n\n"
     "广州市天河区人民政府办公室\n2021年5月8日\n",
     ("广州市天河区科技创新三年行动方案（2021—2023年）", "天河区", (2021, 2023), "广州市天河区人民政府办公室",
      "2021-05-08")),
    # a district whose name two cities share: the title's city decides
    ("长春市朝阳区科技创新发展规划（2021—2025年）\n\n一、发展基础\n",
     ("长春市朝阳区科技创新发展规划（2021—2025年）", "朝阳区", (2021, 2025), "朝阳区人民政府", "")),
])
def test_heads_of_other_layouts(text: str, want: tuple[Any, ...]) -> None:
    meta = infer_meta(text)
    assert (meta.title, meta.jurisdiction, meta.period, meta.issuer, meta.date) == want
    assert meta.status == ("印发" if "通知" in text else "")


def test_a_district_of_a_shared_name_resolves_in_its_own_city() -> None:
    meta = infer_meta("长春市朝阳区科技创新发展规划（2021—2025年）\n\n一、发展基础\n")
    assert meta.province == "吉林省"
    unit = resolve_unit("区科技局", meta.jurisdiction, province=meta.province)
    assert unit.unit_id == "dept:220104:科学技术局"


def test_a_provincial_policy_about_a_city_is_the_provinces() -> None:
    text = ("赣州市革命老区科技创新高质量发展若干措施\n\n为支持赣州市建设革命老区高质量发展示范区，制定以下措施。\n"
            "一、支持建设创新平台\n（一）支持赣州市建设国家级高新区。（省科技厅牵头，省发展改革委、省财政厅配合）\n"
            "（二）支持赣州市引进高层次人才。（省人力资源社会保障厅牵头，省科技厅配合）\n"
            "（三）支持赣州市开展科技金融试点。（省地方金融监管局牵头，省科技厅、赣州市人民政府配合）\n")
    meta = infer_meta(text)
    assert meta.jurisdiction == "江西省" and "provincial bodies" in meta.inferred["jurisdiction"]
    # 科技部门 is a word, not the ministry
    assert infer_meta("韶关市科技创新行动计划\n\n加强县级科技部门能力建设。\n").jurisdiction == "韶关市"
