"""Unit-name resolution (extract/resolve.py) on the names the sample plans in data/ write.

Jurisdictions come from data/manifest.json; the same/different pairs from the gold
(tests/gold/resolution.json); Traditional names are converted with OpenCC here only to
prepare input, as the normaliser does before the resolver sees a name.
"""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import opencc
import pytest
from policykg.extract import gazetteer
from policykg.extract.model import UNIT_KINDS, ResolvedUnit
from policykg.extract.resolve import (
    ID_PREFIX,
    find_units,
    jurisdiction_code,
    resolve_unit,
    resolve_unit_list,
    tables,
    unit_key,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
GOLD = ROOT / "tests" / "gold"
T2S = opencc.OpenCC("t2s").convert
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))["documents"]
# original file name (as the gold cites it) -> manifest entry
BY_ORIGINAL = {d["original_name"]: d for d in MANIFEST}
QINGYUAN = BY_ORIGINAL["000_58cc0514a1f22bc5.txt"]
GUANGZHOU = BY_ORIGINAL["004_7dfacc6de548b343.txt"]


def simplified(text: str) -> str:
    return T2S(PINYIN.sub("", text))


def sample_text(doc: dict) -> str:
    """The sample plan, pinyin removed and in Simplified, PDF line breaks joined."""
    text = simplified((DATA / doc["file"]).read_text(encoding="utf-8"))
    return re.sub(r"\s+", "", text)


def in_doc(doc: dict, *written: str) -> dict:
    """Guard that a test uses names the document really writes."""
    text = sample_text(doc)
    for name in written:
        assert name in text, f"{name} not written in {doc['file']}"
    return doc


def resolve_in(doc: dict, written: str) -> ResolvedUnit:
    return resolve_unit(written, doc["jurisdiction"], province=doc["province"])


def gold_tasks(original_name: str) -> list[dict]:
    return json.loads((GOLD / original_name.replace(".txt", ".json")).read_text(encoding="utf-8"))["tasks"]


def clause_units(quote: str) -> tuple[list[str], list[str]]:
    """Split a responsibility clause into units and the separator before each (test helper only)."""
    body = simplified(quote).translate(str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，"}))
    body = body.strip().removeprefix("（").removesuffix("）")
    body = re.sub(r"(牵头单位|参与单位|责任单位)：", "", body)
    units, seps, depth, current, sep = [], [], 0, "", ""
    for ch in body:
        depth += ch == "（"
        depth -= ch == "）"
        if depth == 0 and ch in "、，；":
            units.append(current)
            seps.append(sep)
            current, sep = "", ch
        else:
            current += ch
    units.append(current)
    seps.append(sep)
    seps[0] = ""
    return units, seps


# ---- the gold pairs --------------------------------------------------------------------------


def gold_pairs(verdict: str) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    spec = json.loads((GOLD / "resolution.json").read_text(encoding="utf-8"))
    return [(tuple(a), tuple(b)) for a, b in spec[verdict]]


@pytest.mark.parametrize(("a", "b"), gold_pairs("same"), ids=lambda p: f"{p[0][:3]}:{p[1]}")
def test_gold_same_pairs_resolve_to_one_id(a: tuple[str, str], b: tuple[str, str]) -> None:
    ra = resolve_in(BY_ORIGINAL[a[0]], T2S(a[1]))
    rb = resolve_in(BY_ORIGINAL[b[0]], T2S(b[1]))
    assert ra.unit_id == rb.unit_id, (ra, rb)
    assert ra.rule != "unknown"


@pytest.mark.parametrize(("a", "b"), gold_pairs("different"), ids=lambda p: f"{p[0][:3]}:{p[1]}")
def test_gold_different_pairs_resolve_apart(a: tuple[str, str], b: tuple[str, str]) -> None:
    ra = resolve_in(BY_ORIGINAL[a[0]], T2S(a[1]))
    rb = resolve_in(BY_ORIGINAL[b[0]], T2S(b[1]))
    assert ra.unit_id != rb.unit_id, (ra, rb)


@pytest.mark.parametrize("original", ["000_58cc0514a1f22bc5.txt", "004_7dfacc6de548b343.txt"])
def test_every_gold_unit_resolves_to_a_known_kind(original: str) -> None:
    doc = BY_ORIGINAL[original]
    written = {T2S(u) for t in gold_tasks(original) for u in t["lead"] + t["participants"]}
    assert written
    for name in written:
        unit = resolve_in(doc, name)
        assert unit.kind in UNIT_KINDS
        assert unit.unit_id.startswith(ID_PREFIX[unit.kind] + ":")
        assert unit.rule != "unknown", unit
        assert unit.flagged == (unit.rule == "typo"), unit


@pytest.mark.parametrize("original", ["000_58cc0514a1f22bc5.txt", "004_7dfacc6de548b343.txt"])
def test_gold_clauses_as_lists(original: str) -> None:
    """Every gold clause read as one list: same length, and list rules agree with single names."""
    doc = BY_ORIGINAL[original]
    for task in gold_tasks(original):
        units, seps = clause_units(task["quote"])
        assert units == [T2S(u) for u in task["lead"] + task["participants"]]
        resolved = resolve_unit_list(units, doc["jurisdiction"], province=doc["province"], separators=seps)
        assert len(resolved) == len(units)
        for name, unit in zip(units, resolved, strict=True):
            alone = resolve_in(doc, name)
            # list context may name the rule, never move a body to another id
            assert unit.unit_id == alone.unit_id, (name, unit, alone)


# ---- abbreviations and long forms, by jurisdiction -------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ("市科技局", "市科学技术局", "清远市科学技术局", "清远市科技局", "科技局"),
        ("市市场监管局", "市市场监督管理局", "清远市市场监督管理局"),
        ("市住建局", "市住房城乡建设局", "市住房和城乡建设局"),
        ("市人力资源社会保障局", "市人力资源和社会保障局", "市人社局"),
        ("市工业和信息化局", "市工信局", "市工业信息化局"),
        ("市发展改革局", "市发展和改革局", "市发改局"),
        ("市金融局", "市地方金融监督管理局", "市金融工作局"),
        ("市委组织部", "中共清远市委组织部", "中共清远市委员会组织部"),
        ("市委宣传部", "中共清远市委员会宣传部"),
        ("市税务局", "国家税务总局清远市税务局"),
        ("清远市电视台", "市广播电视台"),
    ],
    ids=lambda forms: forms[0],
)
def test_forms_of_one_qingyuan_body(forms: tuple[str, ...]) -> None:
    doc = in_doc(QINGYUAN, forms[0])
    ids = {resolve_in(doc, f).unit_id for f in forms}
    assert len(ids) == 1, [resolve_in(doc, f) for f in forms]
    unit = resolve_in(doc, forms[0])
    assert unit.jurisdiction == "清远市" and unit.name.startswith(("清远市", "中共清远市", "国家税务总局清远市"))
    assert unit.rule in ("exact", "alias", "abbreviation")


def test_canonical_names_are_the_standard_full_names() -> None:
    doc = in_doc(QINGYUAN, "市科技局", "市住建局", "市市场监管局", "市人力资源社会保障局", "市委组织部")
    assert resolve_in(doc, "市科技局").unit_id == "dept:441800:科学技术局"
    assert resolve_in(doc, "市住建局").name == "清远市住房和城乡建设局"
    assert resolve_in(doc, "市市场监管局").name == "清远市市场监督管理局"
    assert resolve_in(doc, "市人力资源社会保障局").name == "清远市人力资源和社会保障局"
    party = resolve_in(doc, "市委组织部")
    assert party.kind == "Department" and "中共清远市" in party.name


@pytest.mark.parametrize(
    "forms",
    [
        ("发展改革委", "市发展改革委", "发展和改革委员会", "发改委", "广州市发展和改革委员会"),
        ("科技创新委", "市科技创新委", "科技创新委员会", "广州市科技创新委员会"),
        ("人力资源和社会保障局", "人力资源社会保障局", "人社局"),
        ("工业和信息化委", "市工业和信息化委", "工业和信息化委员会", "工信委"),
        ("住房城乡建设委", "住房和城乡建设委员会", "住建委"),
        ("国土规划委", "市国土规划委", "国土资源和规划委员会"),
        ("知识产权局", "广州市知识产权局"),
        ("金融局", "市金融局", "地方金融监督管理局"),
        ("质监局", "质量技术监督局"),
        ("国资委", "人民政府国有资产监督管理委员会"),
        ("外办", "外事办公室", "人民政府外事办公室"),
        ("编办", "机构编制委员会办公室"),
        ("法制办", "法制办公室"),
    ],
    ids=lambda forms: forms[0],
)
def test_forms_of_one_guangzhou_body(forms: tuple[str, ...]) -> None:
    doc = in_doc(GUANGZHOU, forms[0])
    units = [resolve_in(doc, f) for f in forms]
    assert len({u.unit_id for u in units}) == 1, units
    assert all(u.jurisdiction == "广州市" and u.kind == "Department" for u in units)


def test_bureau_and_commission_stay_apart_unless_the_city_says_so() -> None:
    in_doc(QINGYUAN, "市发展改革局")
    in_doc(GUANGZHOU, "市发展改革委")
    gz_commission = resolve_in(GUANGZHOU, "市发展改革委")
    gz_bureau = resolve_in(GUANGZHOU, "市发展改革局")
    assert gz_commission.unit_id != gz_bureau.unit_id
    assert gz_commission.name == "广州市发展和改革委员会"
    # units_local.tsv: since 2019 清远 has a 发展和改革局, so a 市发改委 in its plans is that body
    qy_bureau = resolve_in(QINGYUAN, "市发展改革局")
    qy_commission = resolve_in(QINGYUAN, "市发改委")
    assert qy_commission.unit_id == qy_bureau.unit_id == "dept:441800:发展和改革局"
    assert qy_commission.rule == "local-alias"


def test_same_short_name_in_other_cities_is_another_body() -> None:
    for name in ("市教育局", "市委宣传部", "市委组织部", "市金融局"):
        in_doc(QINGYUAN, name)
        in_doc(GUANGZHOU, T2S(name))
        qy, gz = resolve_in(QINGYUAN, name), resolve_in(GUANGZHOU, name)
        assert qy.unit_id != gz.unit_id
        assert (qy.jurisdiction, gz.jurisdiction) == ("清远市", "广州市")
    shaoguan = BY_ORIGINAL["002_52a14dd7ab9d5471.txt"]
    assert resolve_in(shaoguan, "市科技局").unit_id == "dept:440200:科学技术局"
    assert resolve_in(QINGYUAN, "市科技局").unit_id != resolve_in(QINGYUAN, "市工业和信息化局").unit_id


def test_other_city_named_in_full_keeps_its_own_jurisdiction() -> None:
    unit = resolve_in(QINGYUAN, "广州市科技创新委")
    assert unit.unit_id == resolve_in(GUANGZHOU, "市科技创新委").unit_id
    assert unit.jurisdiction == "广州市"


# ---- typos ------------------------------------------------------------------------------------


def test_reversed_name_is_repaired_and_flagged() -> None:
    doc = in_doc(QINGYUAN, "市农村农业局", "市农业农村局")
    typo, right = resolve_in(doc, "市农村农业局"), resolve_in(doc, "市农业农村局")
    assert typo.unit_id == right.unit_id
    assert (typo.rule, typo.flagged) == ("typo", True)
    assert right.flagged is False


def test_every_two_part_name_of_the_table_is_repaired_when_reversed() -> None:
    """Not one hard-coded pair: any AABB局/委/厅 of the table written BBAA resolves back to it."""
    t = tables()
    checked = 0
    for core in t.by_core:
        if len(core) != 5 or core[-1] not in "局委厅":
            continue
        swapped = core[2:4] + core[0:2] + core[-1]
        if swapped in t.by_core or swapped == core:
            continue
        level = "省" if core[-1] == "厅" else "市"
        prefix = "省" if level == "省" else "市"
        right = resolve_unit(prefix + core, "清远市", province="广东省")
        typo = resolve_unit(prefix + swapped, "清远市", province="广东省")
        assert typo.unit_id == right.unit_id, (core, typo)
        assert typo.rule == "typo" and typo.flagged
        checked += 1
    assert checked > 20


def test_one_character_slip_is_repaired_and_flagged() -> None:
    unit = resolve_in(QINGYUAN, "市卫生建康局")
    assert unit.unit_id == resolve_in(in_doc(QINGYUAN, "市卫生健康局"), "市卫生健康局").unit_id
    assert unit.flagged and unit.rule == "typo"


# ---- names with inner parentheses, kinds -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("各县（市、区）人民政府", "Collective"),
        ("各县（市、区）科技主管部门", "Collective"),
        ("广东省职教城（清远）事务中心", "Institute"),
    ],
)
def test_inner_parentheses_stay_whole(written: str, kind: str) -> None:
    doc = in_doc(QINGYUAN, written)
    unit = resolve_in(doc, written)
    assert unit.kind == kind
    assert written.removeprefix("各") in unit.name
    units, seps = clause_units(f"（牵头单位：市科技局，参与单位：清远高新区、{written}）")
    assert written in units
    listed = resolve_unit_list(units, doc["jurisdiction"], province=doc["province"], separators=seps)
    assert listed[-1].unit_id == unit.unit_id


@pytest.mark.parametrize(
    ("doc", "written", "kind"),
    [
        (QINGYUAN, "清远高新区", "ParkCommittee"),
        (QINGYUAN, "广清产业园", "ParkCommittee"),
        (GUANGZHOU, "广州开发区管委会", "ParkCommittee"),
        (GUANGZHOU, "南沙开发区管委会", "ParkCommittee"),
        (GUANGZHOU, "南沙自贸区管委会", "ParkCommittee"),
        (BY_ORIGINAL["002_52a14dd7ab9d5471.txt"], "莞韶园管委会", "ParkCommittee"),
        (QINGYUAN, "清远日报社", "Media"),
        (QINGYUAN, "清远市电视台", "Media"),
        (QINGYUAN, "广清帮扶指挥部", "Organisation"),
        (QINGYUAN, "清远市智慧农业研究院", "Institute"),
        (GUANGZHOU, "华南理工大学", "Institute"),
        (GUANGZHOU, "中国科学院广州生物医药与健康研究院", "Institute"),
        (BY_ORIGINAL["001_2bdc0bcdbbb894b5.txt"], "粤科金融集团", "Firm"),
        (GUANGZHOU, "各区政府", "Collective"),
        (GUANGZHOU, "南沙区政府", "Government"),
        (GUANGZHOU, "天河区", "Government"),
        (GUANGZHOU, "市委宣传部", "Department"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_kinds(doc: dict, written: str, kind: str) -> None:
    in_doc(doc, written)
    unit = resolve_in(doc, written)
    assert unit.kind == kind, unit
    assert unit.unit_id.startswith(ID_PREFIX[kind] + ":")
    if kind in ("ParkCommittee", "Collective", "Organisation"):
        assert unit.unit_id.startswith(f"{ID_PREFIX[kind]}:{jurisdiction_code(doc['jurisdiction'])}:")


def test_kind_rules_live_in_the_data_file() -> None:
    rules = (ROOT / "extract" / "resources" / "units_kinds.tsv").read_text(encoding="utf-8")
    for suffix in ("日报社", "广播电视台", "有限公司", "研究院", "大学", "指挥部", "管委会", "高新区"):
        assert f"\t{suffix}\t" in rules
    made_up = {"日报社": "Media", "有限公司": "Firm", "研究院": "Institute", "产业园": "ParkCommittee"}
    for suffix, kind in made_up.items():
        assert resolve_unit("北江" + suffix, "清远市").kind == kind


def test_park_ids_are_reachable_from_the_park_name() -> None:
    """An entity extractor that finds 清远高新区 in text reaches the committee's node."""
    in_doc(QINGYUAN, "清远高新区")
    ids = {
        resolve_in(QINGYUAN, name).unit_id
        for name in ("清远高新区", "清远高新区管委会", "清远高新技术产业开发区", "清远市高新区", "市高新区")
    }
    assert ids == {"park:441800:清远高新区"}
    assert resolve_in(GUANGZHOU, "广州开发区").unit_id == resolve_in(GUANGZHOU, "广州开发区管委会").unit_id


def test_government_and_collective_names() -> None:
    doc = in_doc(GUANGZHOU, "各区政府", "南沙区政府")
    assert resolve_in(doc, "各区政府").unit_id == resolve_in(doc, "各区人民政府").unit_id
    assert resolve_in(doc, "南沙区政府").unit_id == resolve_in(doc, "南沙区人民政府").unit_id == "gov:440115:人民政府"
    assert resolve_in(doc, "市政府").unit_id == resolve_in(QINGYUAN, "广州市人民政府").unit_id
    qy = resolve_in(QINGYUAN, "各县（市、区）人民政府")
    assert qy.unit_id == resolve_in(QINGYUAN, "各县（市、区）政府").unit_id
    assert qy.jurisdiction == "清远市"
    assert resolve_in(doc, "各有关部门").kind == resolve_in(doc, "各成员单位").kind == "Collective"
    assert resolve_in(doc, "各区").kind == "Collective"


# ---- levels: province, national, district ------------------------------------------------------


def test_province_level_names() -> None:
    province_doc = {"jurisdiction": "广东省", "province": ""}
    in_doc(QINGYUAN, "省科技厅")
    forms = ("省科技厅", "省科学技术厅", "广东省科学技术厅", "科技厅")
    assert {resolve_in(province_doc, f).unit_id for f in forms} == {"dept:440000:科学技术厅"}
    # named in a city plan: the province of the plan
    assert resolve_in(QINGYUAN, "省科技厅").unit_id == "dept:440000:科学技术厅"
    assert resolve_in(QINGYUAN, "科技厅").jurisdiction == "广东省"
    assert resolve_in(QINGYUAN, "省委组织部").unit_id != resolve_in(QINGYUAN, "市委组织部").unit_id


def test_province_comes_from_the_gazetteer() -> None:
    unit = resolve_unit("省科技厅", "清远市")
    assert not unit.flagged and unit.jurisdiction == "广东省"
    assert unit.unit_id == "dept:440000:科学技术厅"
    hunan = resolve_unit("省科技厅", "长沙市")
    assert hunan.unit_id == "dept:430000:科学技术厅" and hunan.name == "湖南省科学技术厅"


def test_province_not_known_is_flagged_not_guessed() -> None:
    unit = resolve_unit("省科技厅", "unknown")
    assert unit.flagged and unit.jurisdiction == ""
    assert unit.name == "省科学技术厅"


def test_conventional_short_names_of_prefectures() -> None:
    # 博州, 巴州, 克州: usage, not the short-name rules (resources/gazetteer_short_names.tsv)
    assert gazetteer.best("博州").name == "博尔塔拉蒙古自治州"
    xinjiang = gazetteer.best("新疆维吾尔自治区")
    assert gazetteer.best("巴州", within=xinjiang).code == "652800"
    assert gazetteer.best("巴州", within=gazetteer.best("巴中市")).name == "巴州区"  # Sichuan's district
    unit = resolve_unit("克州人民政府", "新疆维吾尔自治区")
    assert unit.unit_id == "gov:653000:人民政府" and not unit.flagged
    assert unit.name == "克孜勒苏柯尔克孜自治州人民政府"


@pytest.mark.parametrize("national", ["全国", "", "国务院"])
def test_national_names(national: str) -> None:
    unit = resolve_unit("科技部", national)
    assert unit.unit_id == resolve_unit("科学技术部", national).unit_id == "dept:000000:科学技术部"
    assert unit.jurisdiction == "全国"
    assert resolve_unit("发展改革委", national).name == "国家发展和改革委员会"
    assert resolve_unit("国务院", national).kind == "Government"


def test_national_body_named_in_a_city_plan() -> None:
    assert resolve_in(QINGYUAN, "科技部").unit_id == resolve_unit("科学技术部", "全国").unit_id
    assert resolve_in(GUANGZHOU, "国家发展改革委").unit_id == resolve_unit("发改委", "全国").unit_id


@pytest.mark.parametrize(("jurisdiction", "prefix"), [("天河区", "区"), ("佛冈县", "县"), ("英德市", "市")])
def test_district_and_county_plans(jurisdiction: str, prefix: str) -> None:
    unit = resolve_unit(prefix + "科技局", jurisdiction, province="广东省")
    code = gazetteer.best(jurisdiction).code
    assert unit.unit_id == f"dept:{code}:科学技术局"
    assert unit.name == f"{jurisdiction}科学技术局"
    assert resolve_unit(prefix + "委组织部", jurisdiction).name == f"中共{jurisdiction}委员会组织部"
    assert resolve_unit(prefix + "政府", jurisdiction).unit_id == f"gov:{code}:人民政府"
    assert unit.unit_id != resolve_in(QINGYUAN, "市科技局").unit_id


def test_city_named_in_a_district_plan_with_a_full_jurisdiction() -> None:
    unit = resolve_unit("市科技局", "广东省清远市清城区")
    assert unit.unit_id == resolve_in(QINGYUAN, "市科技局").unit_id
    assert resolve_unit("区科技局", "广东省清远市清城区").unit_id == "dept:441802:科学技术局"


# ---- list rules ---------------------------------------------------------------------------------


def test_prefix_written_once_is_carried() -> None:
    doc = GUANGZHOU
    units, seps = clause_units(in_doc_quote(doc, "(責任單位:市科技創新委、發展改革委、教育局、知識産權局,天河區、南沙區政府)"))
    resolved = resolve_unit_list(units, doc["jurisdiction"], province=doc["province"], separators=seps)
    assert [u.rule for u in resolved[1:4]] == ["prefix-carried"] * 3
    assert resolved[1].unit_id == resolve_in(doc, "市发展改革委").unit_id == "dept:440100:发展和改革委员会"
    assert resolved[2].unit_id == resolve_in(doc, "市教育局").unit_id
    # the head's prefix wins over the document's level: a province list in a city plan
    listed = resolve_unit_list(["省科技厅", "发展改革委"], "清远市", province="广东省")
    assert listed[1].unit_id == "dept:440000:发展和改革委员会"
    assert listed[1].rule == "prefix-carried"


def test_suffix_shared_by_consecutive_items() -> None:
    doc = GUANGZHOU
    units, seps = clause_units(in_doc_quote(doc, "(責任單位:市科技創新委,廣州開發區、南沙開發區管委會)"))
    resolved = resolve_unit_list(units, doc["jurisdiction"], province=doc["province"], separators=seps)
    assert resolved[1].rule == "suffix-shared"
    assert resolved[1].unit_id == resolve_in(doc, "广州开发区管委会").unit_id
    assert resolved[2].unit_id == "park:440100:南沙开发区"
    units, seps = clause_units(in_doc_quote(doc, "(責任單位:市科技創新委、發展改革委、教育局、知識産權局,天河區、南沙區政府)"))
    resolved = resolve_unit_list(units, doc["jurisdiction"], province=doc["province"], separators=seps)
    assert resolved[4].rule == "suffix-shared"
    assert resolved[4].unit_id == resolve_in(doc, "天河区政府").unit_id == "gov:440106:人民政府"
    # departments too: 市财政、审计局 = 市财政局、市审计局
    listed = resolve_unit_list(["市科技局", "财政", "审计局"], "清远市")
    assert listed[1].unit_id == resolve_unit("市财政局", "清远市").unit_id
    assert listed[1].rule == "suffix-shared"


def test_suffix_not_shared_across_a_comma_or_with_other_kinds() -> None:
    listed = resolve_unit_list(["天河区", "南沙区政府"], "广州市", separators=["", "，"])
    assert listed[0].rule == "place"
    mixed = resolve_unit_list(["各县（市、区）人民政府", "市科技局"], "清远市")
    assert mixed[0].kind == "Collective" and mixed[0].rule == "collective"


def test_list_checks_its_separators() -> None:
    with pytest.raises(ValueError, match="separators"):
        resolve_unit_list(["市科技局", "市财政局"], "清远市", separators=[""])


def in_doc_quote(doc: dict, quote: str) -> str:
    in_doc(doc, simplified(quote))
    return quote


# ---- find_units, keys, robustness ----------------------------------------------------------------


def test_find_units_in_every_jurisdiction() -> None:
    cities = [d["jurisdiction"] for d in MANIFEST]
    found = find_units("科技局", cities)
    assert {u.unit_id for u in found} == {f"dept:{gazetteer.best(c).code}:科学技术局" for c in set(cities)}
    for alias in ("市科技局", "科学技术局", "清远市科学技术局"):
        assert [u.unit_id for u in find_units(alias, ["清远市"])] == ["dept:441800:科学技术局"]
    assert find_units("清远高新区", ["清远市"])[0].unit_id == "park:441800:清远高新区"
    assert find_units("某某不存在的东西", cities) == []


def test_unit_key_normalises_punctuation_and_space() -> None:
    assert unit_key(" 各县(市、区)人民政府，") == "各县（市、区）人民政府"
    assert resolve_unit(" 市科技局 ", "清远市").unit_id == resolve_unit("市科技局", "清远市").unit_id


def test_results_are_copies_of_the_cache() -> None:
    first = resolve_unit("市科技局", "清远市")
    first.name = "changed"
    assert resolve_unit("市科技局", "清远市").name == "清远市科学技术局"


def test_every_alias_of_the_table_resolves_to_its_row() -> None:
    t = tables()
    checked = 0
    for core, bodies in t.by_core.items():
        for level, jurisdiction in (("国", "全国"), ("省", "广东省"), ("市", "清远市"), ("县", "佛冈县")):
            rows = [b for b in bodies if level in b.levels]
            if not rows:
                continue
            unit = resolve_unit(core, jurisdiction, province="广东省")
            expected = rows[0].canonical.replace("{J}", jurisdiction).replace("{S}", jurisdiction[:-1])
            if level != "国" and "{J}" not in rows[0].canonical and "{S}" not in rows[0].canonical:
                expected = jurisdiction + rows[0].canonical
            local = t.local.get((jurisdiction, rows[0].canonical))
            assert unit.name == (jurisdiction + local if local else expected), (core, level, unit)
            assert unit.kind == rows[0].kind
            checked += 1
    assert checked > 300


def test_any_text_of_the_samples_resolves_without_error() -> None:
    """Unknown names still resolve: every phrase of every sample plan, read as a unit name."""
    seen = 0
    for doc in MANIFEST:
        for phrase in set(re.split(r"[。，、；：\n]", sample_text(doc))):
            unit = resolve_unit(phrase[:40], doc["jurisdiction"], province=doc["province"])
            assert unit.kind in UNIT_KINDS
            assert unit.unit_id.startswith(ID_PREFIX[unit.kind] + ":")
            if unit.rule == "unknown":
                assert unit.flagged and jurisdiction_code(doc["jurisdiction"]) in unit.unit_id
            seen += 1
    assert seen > 1000


def test_same_pairs_hold_as_combinations() -> None:
    """All written forms of one body in one plan give one id, whichever pair is compared."""
    forms = ["市住建局", "市住房城乡建设局", "市住房和城乡建设局", "住房和城乡建设局", "清远市住房和城乡建设局"]
    for a, b in combinations(forms, 2):
        assert resolve_in(QINGYUAN, a).unit_id == resolve_in(QINGYUAN, b).unit_id


def test_traditional_input_is_tolerated() -> None:
    """The CLI may pass what a user types: 科技創新委 finds the same body as 科技创新委."""
    assert resolve_in(GUANGZHOU, "市科技創新委").unit_id == resolve_in(GUANGZHOU, "市科技创新委").unit_id
    assert unit_key("廣州開發區管委會") == "广州开发区管委会"


def test_collective_prefixes_do_not_swallow_named_bodies() -> None:
    assert resolve_in(QINGYUAN, "市直机关工委").kind == "Department"
    assert resolve_in(QINGYUAN, "市直有关部门").kind == "Collective"
    assert resolve_in(QINGYUAN, "市各有关部门").unit_id == resolve_in(QINGYUAN, "各有关部门").unit_id


def test_a_park_does_not_take_a_government_suffix() -> None:
    listed = resolve_unit_list(["清远高新区", "清城区政府"], "清远市")
    assert listed[0].unit_id == "park:441800:清远高新区"
    assert listed[1].unit_id == "gov:441802:人民政府"


def test_one_city_body_written_two_ways() -> None:
    """A city has a 文化广电旅游局 or a 文化广电旅游体育局, never both: one body."""
    doc = in_doc(BY_ORIGINAL["003_31a4abef5afc7bf1.txt"], "市文化广电旅游体育局")
    assert resolve_in(doc, "市文化广电旅游局").unit_id == resolve_in(doc, "市文化广电旅游体育局").unit_id


BENCH_DEPARTMENTS = ROOT / "bench" / "vocab" / "departments.tsv"


@pytest.mark.skipif(not BENCH_DEPARTMENTS.is_file(), reason="bench vocabulary not present")
@pytest.mark.parametrize(("jurisdiction", "prefix"), [("清远市", "市"), ("长沙市", "市"), ("清城区", "区")])
def test_benchmark_vocabulary_forms_agree(jurisdiction: str, prefix: str) -> None:
    """The benchmark generator's written forms and variants of one body give one id, one per body."""
    ids_by_body: dict[str, set[str]] = {}
    for line in BENCH_DEPARTMENTS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written, canonical, kind, _weight, *rest = line.split("\t")
        forms = [written, *(v for v in (rest[0] if rest else "").split("|") if v)]
        units = [resolve_unit(re.sub("^市", prefix, f), jurisdiction, province="广东省") for f in forms]
        assert {u.kind for u in units} == {kind}, forms
        assert all(u.rule not in ("unknown", "kind-suffix") for u in units), units
        ids_by_body[canonical] = {u.unit_id for u in units}
    assert all(len(ids) == 1 for ids in ids_by_body.values()), ids_by_body
    all_ids = [next(iter(ids)) for ids in ids_by_body.values()]
    assert len(all_ids) == len(set(all_ids))


def test_park_named_with_its_city_in_a_province_plan() -> None:
    in_doc(GUANGZHOU, "南沙开发区管委会")
    assert resolve_unit("广州市南沙开发区管委会", "广东省").unit_id == resolve_in(GUANGZHOU, "南沙开发区管委会").unit_id
    assert resolve_unit("清远市高新区", "广东省").unit_id == resolve_in(QINGYUAN, "清远高新区").unit_id


def test_a_clause_of_thousands_of_units_reads_each_as_a_short_one() -> None:
    """The list rules look along the whole clause (a suffix written once at the end of a 、-run):
    a clause of 3,000 units gives, unit by unit, what a clause of three gives."""
    short = resolve_unit_list(["市科技局", "财政", "审计局"], "清远市")
    units = ["市科技局", *["财政"] * 2998, "审计局"]
    resolved = resolve_unit_list(units, "清远市")
    assert len(resolved) == len(units)
    assert {(r.unit_id, r.rule) for r in resolved[1:-1]} == {(short[1].unit_id, short[1].rule)}
    assert (resolved[-1].unit_id, resolved[0].unit_id) == (short[2].unit_id, short[0].unit_id)


def test_resolve_mentions_as_resolve_unit_list() -> None:
    """The pipeline's resolve_mentions sets on each mention what resolve_unit_list gives its
    clause, every field, as an object of the mention's own (never the cached one)."""
    import dataclasses

    from policykg.extract.clauses import extract_tasks
    from policykg.extract.outline import build_outline
    from policykg.extract.pipeline import load_document
    from policykg.extract.resolve import resolve_mentions

    checked = 0
    for f in sorted(DATA.glob("*.txt")):
        doc = extract_tasks(build_outline(load_document(f)))
        for task in doc.tasks:
            units = task.clause.units
            listed = resolve_unit_list([u.written for u in units], doc.meta.jurisdiction,
                                       province=doc.meta.province, separators=[u.separator for u in units])
            resolve_mentions(units, doc.meta.jurisdiction, doc.meta.province)
            first = [u.resolved for u in units]
            resolve_mentions(units, doc.meta.jurisdiction, doc.meta.province)
            for unit, expected, before in zip(units, listed, first):
                assert unit.resolved is not None
                assert dataclasses.astuple(unit.resolved) == dataclasses.astuple(expected)
                assert unit.resolved is not before and unit.resolved is not expected
                checked += 1
    assert checked > 300  # the sample plans name 351 unit assignments


def test_typo_candidates_found_by_the_index_are_those_of_a_comparison_with_every_core() -> None:
    """_typo_candidates looks the cores one character off up by a blanked form (_one_off_index): the
    same candidates, in the same order, as comparing the name with every core of its length and last
    character, on every core of the tables with one character changed or two neighbours swapped."""
    from itertools import permutations

    from policykg.extract import resolve

    t = resolve.tables()

    def compared(core: str) -> tuple[str, ...]:
        found: list[str] = []
        if len(core) >= 5 and core[-1] in "局委厅部办":
            stem, last = core[:-1], core[-1]
            if len(stem) in (4, 6):
                chunks = [stem[i : i + 2] for i in range(0, len(stem), 2)]
                found += [c for c in ("".join(p) + last for p in permutations(chunks)) if c != core and c in t.by_core]
            for candidate in t.cores_by_shape.get((len(core), last), ()):
                diff = [i for i, (a, b) in enumerate(zip(core, candidate)) if a != b]
                swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and core[diff[0]] == candidate[diff[1]] \
                    and core[diff[1]] == candidate[diff[0]]
                if len(diff) == 1 or swapped:
                    found.append(candidate)
        return tuple(dict.fromkeys(found))

    chars = sorted({ch for core in t.by_core for ch in core})[:40]
    probes = set(t.by_core)
    for core in t.by_core:
        for i in range(len(core)):
            probes.update(core[:i] + ch + core[i + 1 :] for ch in chars[i % 4 :: 8])
        probes.update(core[:i] + core[i + 1] + core[i] + core[i + 2 :] for i in range(len(core) - 1))
    with_candidates = 0
    for probe in probes:
        want = compared(probe)
        assert resolve._typo_candidates.__wrapped__(probe) == want, probe
        with_candidates += bool(want)
    assert with_candidates > 100
