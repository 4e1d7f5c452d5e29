"""Platforms, parks and firms: the spaCy entity pipeline on the five sample documents.

tests/expected_entities.json lists, per document, what a careful reader finds there (written by
reading the documents): named entities that must be found, optional borderline mentions, and
category phrases that must never come out as named entities.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from policykg.extract.entities import entity_id, entity_pipeline, extract_entities
from policykg.extract.entity_components import PIPELINE
from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.model import Entity, PolicyDocument
from policykg.extract.normalise import to_simplified
from policykg.extract.pipeline import STAGES, load_document, process_document

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
EXPECTED = json.loads((ROOT / "tests" / "expected_entities.json").read_text(encoding="utf-8"))
DOCUMENTS = sorted(EXPECTED["documents"])
MIN_RECALL = 0.95


def norm(name: str) -> str:
    """Brackets half/full width alike, quotes and spaces dropped: how names are compared."""
    return re.sub(r"[“”\"'\s]", "", name.replace("(", "（").replace(")", "）"))


@cache
def document(file: str) -> PolicyDocument:
    """A sample document read, normalised and outlined by the real pipeline (tasks and their
    resolved units included), with its manifest metadata."""
    entry = load_manifest(DATA).get(file)
    doc = load_document(DATA / file, meta_from_manifest(entry) if entry else None)
    doc = process_document(doc, [s for s in STAGES if s[0] in ("outline", "clauses", "resolve")])
    doc.entities = extract_entities(doc)
    return doc


def named(doc: PolicyDocument) -> dict[str, set[str]]:
    """Every named entity's written form and canonical name -> kinds found."""
    found: dict[str, set[str]] = {}
    for e in doc.entities:
        if not e.generic:
            for form in (e.text, e.name):
                found.setdefault(norm(form), set()).add(e.kind)
    return found


def test_pipeline_is_blank_chinese_with_one_job_per_component() -> None:
    nlp = entity_pipeline()
    assert nlp.lang == "zh"
    assert tuple(nlp.pipe_names) == PIPELINE
    assert entity_pipeline() is nlp  # cached
    doc = nlp("支持天安智谷、华大电商孵化器等孵化载体，建设华南师范大学清远研究院。")
    assert [(e.text, e.label_) for e in doc.ents if not e._.generic] == [
        ("天安智谷", "Platform"),
        ("华大电商孵化器", "Platform"),
        ("华南师范大学清远研究院", "Platform"),
    ]


# General forms of other provinces' plans (sentences as such plans write them): what must be found
# as named, and what must come out as a category.
GENERAL_FORMS = [
    ("支持之江实验室、西湖实验室建设，争创国家实验室。", ["之江实验室", "西湖实验室"], ["国家实验室"]),
    (
        "推进苏州工业园区、昆山高新区创新发展，支持武汉东湖新技术开发区建设世界一流科技园区。",
        ["苏州工业园区", "昆山高新区", "武汉东湖新技术开发区"],
        ["世界一流科技园区"],
    ),
    (
        "鼓励华为技术有限公司、中兴通讯股份有限公司等龙头企业牵头组建创新联合体。",
        ["华为技术有限公司", "中兴通讯股份有限公司"],
        [],
    ),
    ("支持宁德时代、比亚迪等企业建设国家企业技术中心。", ["宁德时代", "比亚迪"], ["国家企业技术中心"]),
    (
        "鼓励江苏省产业技术研究院、深圳清华大学研究院等新型研发机构发展。",
        ["江苏省产业技术研究院", "深圳清华大学研究院"],
        ["新型研发机构"],
    ),
    (
        "到2025年，全省建成省级以上科技企业孵化器100家、众创空间200家、星创天地50家。",
        [],
        ["科技企业孵化器", "众创空间", "星创天地"],
    ),
    ("在滨海新区、雄安新区布局建设一批产业创新中心。", ["滨海新区", "雄安新区"], ["产业创新中心"]),
    ("推进福州软件园、厦门火炬高新区、泉州芯谷等园区建设。", ["福州软件园", "厦门火炬高新区", "泉州芯谷"], []),
]


@pytest.mark.parametrize(("sentence", "names", "categories"), GENERAL_FORMS)
def test_general_forms(sentence: str, names: list[str], categories: list[str]) -> None:
    doc = entity_pipeline()(sentence)
    assert [e.text for e in doc.ents if not e._.generic] == names
    found_categories = [e.text for e in doc.ents if e._.generic]
    assert all(c in found_categories for c in categories), found_categories


def test_bad_knowledge_file_is_a_clear_error(tmp_path: Path) -> None:
    from policykg.extract.entity_components import RESOURCES, load_knowledge

    for f in RESOURCES.glob("entities_*"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    with (tmp_path / "entities_suffixes.tsv").open("a", encoding="utf-8") as out:
        out.write("研究院\tInstitute\t研究院\n")
    with pytest.raises(ValueError, match=r"entities_suffixes\.tsv: line \d+"):
        load_knowledge(tmp_path)


@pytest.mark.parametrize("file", DOCUMENTS)
def test_recall_of_named_entities(file: str) -> None:
    expected = EXPECTED["documents"][file]["named"]
    doc = document(file)
    found = named(doc)
    missed = [name for name, _ in expected if norm(name) not in found]
    recall = 1 - len(missed) / len(expected)
    assert recall >= MIN_RECALL, f"{file}: recall {recall:.3f}, missed {missed}"
    wrong_kind = [(n, k, found[norm(n)]) for n, k in expected if norm(n) in found and k not in found[norm(n)]]
    assert not wrong_kind, f"{file}: kinds differ from the reader's: {wrong_kind}"


@pytest.mark.parametrize("file", DOCUMENTS)
def test_no_generic_phrase_is_a_named_entity(file: str) -> None:
    doc = document(file)
    phrases = EXPECTED["documents"][file]["generic"]
    absent = [p for p in phrases if norm(p) not in norm(doc.text)]
    assert not absent, f"{file}: expected-list phrases not in the text: {absent}"
    found = named(doc)
    assert [p for p in phrases if norm(p) in found] == []
    categories = [e for e in doc.entities if e.generic]
    assert categories, "category phrases come out as generic entities"
    for e in categories:
        assert e.entity_id == f"category:{e.kind}:{e.name}"
        assert e.subtype


@pytest.mark.parametrize("file", DOCUMENTS)
def test_spans_cite_the_original_text(file: str) -> None:
    doc = document(file)
    pinyin = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")
    for e in doc.entities:
        assert doc.original[e.span.start : e.span.end] == e.span.quote
        # the quote is the mention itself, up to pinyin, line breaks and Traditional forms
        quote = to_simplified(pinyin.sub("", re.sub(r"\s+", "", e.span.quote)))
        assert norm(quote) == norm(to_simplified(e.text)), (e.text, e.span.quote)


@pytest.mark.parametrize("file", DOCUMENTS)
def test_ids_are_canonical_and_scoped_by_jurisdiction(file: str) -> None:
    doc = document(file)
    jurisdiction = doc.meta.jurisdiction
    assert jurisdiction
    for e in doc.entities:
        if e.generic:
            continue
        assert e.name
        if e.kind == "Firm":
            assert e.entity_id == f"firm:{e.name}"
        else:
            assert e.entity_id == f"{e.kind.lower()}:{jurisdiction}:{e.name}"
        assert e.entity_id == entity_id(e.kind, e.name, jurisdiction)


def test_task_paths_come_from_the_task_paragraph() -> None:
    doc = document("qingyuan_innovation_action_plan_2020-2022_draft.txt")
    assert doc.tasks
    in_tasks = 0
    for e in doc.entities:
        holders = [t for t in doc.tasks if t.span.start <= e.span.start < t.span.end]
        if holders:
            in_tasks += 1
            assert e.task_path in {t.path for t in holders}
        else:
            assert e.task_path == ""
    assert in_tasks > len(doc.entities) / 2


def _ids(file: str, name: str) -> set[str]:
    return {e.entity_id for e in document(file).entities if not e.generic and norm(e.text) == norm(name)}


def test_entities_merge_across_documents_of_a_jurisdiction() -> None:
    qingyuan = [f for f in DOCUMENTS if document(f).meta.jurisdiction == "清远市"]
    assert len(qingyuan) == 3
    for name in ("清远高新区", "广清产业园", "天安智谷", "清远华侨工业园"):
        ids = [_ids(f, name) for f in qingyuan]
        present = [i for i in ids if i]
        assert len(present) >= 2, name
        assert len(set().union(*present)) == 1, (name, present)
    # the bare 高新区 of a 清远 plan is 清远高新区
    zone = _ids(qingyuan[0], "清远高新区")
    bare = {e.entity_id for e in document(qingyuan[0]).entities if e.text == "高新区" and not e.generic}
    assert bare and bare == zone


def test_written_forms_merge_to_one_id() -> None:
    for merge in EXPECTED["merges"]:
        ids = {entity_id(merge["kind"], w, merge["jurisdiction"]) for w in merge["written"]}
        assert len(ids) == 1, (merge, ids)
        assert next(iter(ids)).startswith(f"{merge['kind'].lower()}:{merge['jurisdiction']}:")
        if "id" in merge:
            assert ids == {merge["id"]}


def test_same_short_name_in_other_jurisdictions_stays_apart() -> None:
    assert entity_id("Park", "高新区", "清远市") != entity_id("Park", "高新区", "韶关市")
    assert entity_id("Platform", "科技馆", "清远市") != entity_id("Platform", "科技馆", "广州市")
    assert entity_id("Firm", "先导稀材", "清远市") == entity_id("Firm", "先导稀材", "广州市")


def test_a_park_named_as_a_unit_is_the_same_node() -> None:
    doc = document("qingyuan_innovation_action_plan_2020-2022_draft.txt")
    unit_ids = {
        u.resolved.unit_id: u.written
        for t in doc.tasks
        for u in t.clause.units
        if u.resolved is not None and u.resolved.unit_id.startswith("park:")
    }
    assert unit_ids
    park_ids = {e.entity_id for e in doc.entities if e.kind == "Park" and not e.generic}
    assert set(unit_ids) <= park_ids, {i: w for i, w in unit_ids.items() if i not in park_ids}


def test_short_firm_names_join_their_full_name() -> None:
    doc = document("qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt")
    firms: dict[str, set[str]] = {}
    for e in doc.entities:
        if e.kind == "Firm" and not e.generic:
            firms.setdefault(e.entity_id, set()).add(e.text)
    joined = [forms for forms in firms.values() if len(forms) > 1]
    assert joined, firms
    for forms in joined:
        longest = max(forms, key=len)
        assert all(longest.startswith(f) for f in forms)


def test_entities_are_entity_records() -> None:
    doc = document("shaoguan_sci_tech_innovation_action_plan_2017-2020.txt")
    assert doc.entities
    assert all(isinstance(e, Entity) and e.kind in ("Platform", "Park", "Firm") for e in doc.entities)
    starts = [e.span.start for e in doc.entities]
    assert starts == sorted(starts)
