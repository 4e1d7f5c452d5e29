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
from policykg.extract.resolve import jurisdiction_code

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
        if e.generic or e.kind == "Department":
            continue  # departments carry the resolver's unit id (test_department_ids_are_the_resolvers)
        assert e.name
        if e.kind == "Firm":
            assert e.entity_id == f"firm:{e.name}"
        else:
            assert e.entity_id == f"{e.kind.lower()}:{jurisdiction_code(jurisdiction)}:{e.name}"
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
        assert next(iter(ids)).startswith(f"{merge['kind'].lower()}:{jurisdiction_code(merge['jurisdiction'])}:")
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
    assert all(isinstance(e, Entity) and e.kind in ("Platform", "Park", "Firm", "Department") for e in doc.entities)
    starts = [e.span.start for e in doc.entities]
    assert starts == sorted(starts)


# ---------------------------------------------------------------------------------------------
# Departments named in running text: Entity(kind="Department") with the resolver's unit id

# What a reader finds in each sample outside the responsibility clauses: (context as it reads in
# the normalised text, the department, the heading of the part it is in or ""). The 14th five-year
# plan and the 韶关 plan name departments only generically (县级科技部门) or inside clauses.
READER_DEPARTMENTS: dict[str, list[tuple[str, str, str]]] = {
    "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt": [
        ("请径向市科技创新委反映", "市科技创新委", ""),
    ],
    "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt": [
        ("加强与省科技厅的衔接", "省科技厅", ""),
        ("争取省科技厅更大支持", "省科技厅", "保障措施"),
    ],
    "qingyuan_innovation_action_plan_2020-2022_draft.txt": [
        ("特派员名单报送省科技厅", "省科技厅", ""),
        ("争取省科技厅更大支持", "省科技厅", "保障措施"),
    ],
    "qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt": [],
    "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt": [],
}
# Phrases that name no department: kinds of departments (科技部门) are not the ministry 科技部.
READER_NOT_DEPARTMENTS: dict[str, list[str]] = {
    "qingyuan_sci_tech_14th_five_year_plan_2021-2025.txt": ["科技部门人员"],
    "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt": ["县级科技部门", "市本级科技部门"],
}


def departments(doc: PolicyDocument) -> list[Entity]:
    return [e for e in doc.entities if e.kind == "Department"]


def test_reader_lists_cover_the_samples() -> None:
    assert sorted(READER_DEPARTMENTS) == DOCUMENTS


@pytest.mark.parametrize("file", DOCUMENTS)
def test_departments_a_reader_finds_in_running_text(file: str) -> None:
    doc = document(file)
    found = departments(doc)
    for context, name, heading in READER_DEPARTMENTS[file]:
        at = doc.text.find(context)
        assert at >= 0, f"{file}: {context!r} is not in the text"
        start = at + context.index(name)
        where = doc.span(start, start + len(name))
        hits = [e for e in found if e.span == where]
        assert [e.text for e in hits] == [name], (context, [(e.text, e.span) for e in found])
        if heading:  # the part of the plan it is in (四、保障措施)
            tops = [s for s in doc.sections if s.level == 1 and s.span.start <= where.start]
            assert max(tops, key=lambda s: s.span.start).title == heading, context
    for phrase in READER_NOT_DEPARTMENTS.get(file, []):
        at = doc.text.find(phrase)
        assert at >= 0, f"{file}: {phrase!r} is not in the text"
        inside = doc.span(at, at + len(phrase))
        assert not [e for e in found if inside.start <= e.span.start < inside.end], phrase
    # every mention is one a reader would list (nothing else comes out of the samples)
    assert len(found) == len(READER_DEPARTMENTS[file]), [(e.text, e.span) for e in found]


@pytest.mark.parametrize("file", DOCUMENTS)
def test_department_ids_are_the_resolvers(file: str) -> None:
    from policykg.extract.resolve import resolve_unit

    doc = document(file)
    for e in departments(doc):
        unit = resolve_unit(e.text, doc.meta.jurisdiction, province=doc.meta.province)
        assert unit.kind == "Department"
        assert (e.entity_id, e.name) == (unit.unit_id, unit.name)
        assert not e.generic and e.entity_id.startswith("dept:")


def test_a_mentioned_department_is_the_clause_unit_it_leads_as() -> None:
    """Where the body a text names also leads tasks, mention and clause unit have one id."""
    shared = 0
    for file in DOCUMENTS:
        doc = document(file)
        lead_ids: dict[str, set[str]] = {}
        for task in doc.tasks:
            for u in task.lead_units:
                if u.resolved is not None and u.resolved.rule not in ("prefix-carried", "suffix-shared"):
                    lead_ids.setdefault(norm(u.written), set()).add(u.resolved.unit_id)
        for e in departments(doc):
            if norm(e.text) in lead_ids:
                assert lead_ids[norm(e.text)] == {e.entity_id}, (file, e.text, lead_ids[norm(e.text)])
                shared += 1
    assert shared >= 1  # 广州: 市科技创新委 leads tasks and is named in the closing notice


@pytest.mark.parametrize("file", DOCUMENTS)
def test_no_department_mention_inside_a_responsibility_clause(file: str) -> None:
    from policykg.extract.entities import entity_doc

    doc = document(file)
    clauses = [t.clause.span for t in doc.tasks]
    for e in departments(doc):
        assert not any(c.start <= e.span.start < c.end for c in clauses), (e.text, e.span)
    # the pipeline itself does read the clauses' departments: the clause stage owns them
    if any(u.resolved is not None and u.resolved.kind == "Department" for t in doc.tasks for u in t.clause.units):
        sdoc = entity_doc(doc.text, doc.meta.jurisdiction, doc.meta.province)
        in_clauses = [
            ent for ent in sdoc.ents
            if ent.label_ == "Department"
            and any(c.start <= doc.span(ent.start_char, ent.end_char).start < c.end for c in clauses)
        ]
        assert in_clauses


# Running text of other plans: (sentence, jurisdiction, province, departments a reader names).
GENERAL_DEPARTMENT_FORMS = [
    ("由市科技局会同市财政局制定科技计划项目管理办法。", "长沙市", "湖南省", ["市科技局", "市财政局"]),
    ("积极争取科技部、国家发展改革委、工业和信息化部等国家部委支持。", "常州市", "江苏省",
     ["科技部", "国家发展改革委", "工业和信息化部"]),
    ("主动对接江苏省科技厅和省工信厅，组织开展科普宣传活动（市委宣传部）。", "常州市", "江苏省",
     ["江苏省科技厅", "省工信厅", "市委宣传部"]),
    ("配合国家税务总局金华市税务局落实研发费用加计扣除，人民银行金华市中心支行给予支持。", "金华市", "浙江省",
     ["国家税务总局金华市税务局"]),
    ("学习借鉴杭州市科技局的经验，由区科技局报市科技局备案。", "西湖区", "浙江省",
     ["杭州市科技局", "区科技局", "市科技局"]),
    # kinds of departments, other places' bureaus of every county, words that hold a name
    ("加强县级科技部门能力建设，各县（市、区）科技局、宣传部门要统筹科技部署。", "绵阳市", "四川省", []),
    ("全市科技局系统做好国办发〔2023〕18号文件落实，中外办学、政府办事要规范。", "洛阳市", "河南省", []),
    # 区科技局 in a city plan is each district's bureau: a collective, not one department
    ("由区科技局具体实施。", "洛阳市", "河南省", []),
]


@pytest.mark.parametrize(("sentence", "jurisdiction", "province", "names"), GENERAL_DEPARTMENT_FORMS)
def test_general_department_forms(sentence: str, jurisdiction: str, province: str, names: list[str]) -> None:
    from policykg.extract.entities import entity_doc
    from policykg.extract.resolve import resolve_unit

    sdoc = entity_doc(sentence, jurisdiction, province)
    found = [e for e in sdoc.ents if e.label_ == "Department"]
    assert [e.text for e in found] == names
    for e in found:
        assert e._.unit_id == resolve_unit(e.text, jurisdiction, province=province).unit_id


def test_a_department_mention_is_the_unit_node_in_the_graph() -> None:
    from policykg.graph import build_graph

    docs = [document(f) for f in DOCUMENTS]
    g = build_graph(docs)
    mentioned = {e.entity_id for d in docs for e in departments(d)}
    assert mentioned
    for node in mentioned:
        data = g.nodes[node]
        assert data["label"] == "Department" and "Unit" in data["labels"] and "Entity" not in data["labels"]
        assert data["jurisdiction"]
        kinds = {d["type"] for _, _, d in g.in_edges(node, data=True)}
        assert "MENTIONS" in kinds
    # a body that leads tasks and is mentioned: LEADS and MENTIONS touch the same node
    leading = {u for u, _, d in g.edges(data=True) if d["type"] == "LEADS"}
    assert mentioned & leading


def test_the_pipeline_reads_clause_departments_as_the_resolver_does() -> None:
    """Clauses are a check of the department reader: each department a clause names with a table
    form (not a repaired typo, not a prefix carried from a neighbour) is read at the same place
    with the same unit id (mentions there are then dropped: the clause stage owns them)."""
    from policykg.extract.entities import entity_doc

    checked = 0
    for file in DOCUMENTS:
        doc = document(file)
        sdoc = entity_doc(doc.text, doc.meta.jurisdiction, doc.meta.province)
        read = {}
        for ent in sdoc.ents:
            if ent.label_ == "Department":
                span = doc.span(ent.start_char, ent.end_char)
                read[(span.start, span.end)] = ent._.unit_id
        for u in (u for t in doc.tasks for u in t.clause.units):
            res = u.resolved
            if res is not None and res.kind == "Department" and res.rule in ("exact", "abbreviation", "alias",
                                                                            "local-alias"):
                assert read.get((u.span.start, u.span.end)) == res.unit_id, (file, u.written, u.span)
                checked += 1
    assert checked >= 100


def test_bad_department_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    from policykg.extract.entity_components import RESOURCES, load_departments

    for f in RESOURCES.glob("entities_*"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    rules = json.loads((tmp_path / "entities_departments.json").read_text(encoding="utf-8"))
    del rules["introducers"]
    (tmp_path / "entities_departments.json").write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"entities_departments\.json: KeyError"):
        load_departments(tmp_path)


def test_a_plan_of_more_than_a_million_characters_is_read_whole(tmp_path: Path) -> None:
    """No length limit from the entity pipeline (spaCy's max_length is 1,000,000 characters): a
    plan of 1.05M characters gives each copy of a repeated plan its tasks and its mentions."""
    from policykg.extract.pipeline import process_file

    plan = ROOT / "tests" / "fixtures" / "plans" / "jiangsu_labelled_plan.txt"
    one = process_file(plan)
    head, body = plan.read_text(encoding="utf-8").split("\n", 1)
    copies = 1_050_000 // len(body) + 1
    long_plan = tmp_path / "long_plan.txt"
    long_plan.write_text(head + "\n" + body * copies, encoding="utf-8")
    doc = process_file(long_plan)
    assert len(doc.text) > 1_000_000
    assert one.tasks and one.entities
    assert len(doc.entities) >= copies * len([e for e in one.entities if e.span.start > len(head)])
    assert {e.name for e in doc.entities} >= {e.name for e in one.entities if e.span.start > len(head)}


# The one scan and the shortcuts of the components give what the plain reading gives, on the
# sample plans: every occurrence of every word, each list's quantifier, the overlap choice.


@pytest.mark.parametrize("file", DOCUMENTS)
def test_one_scan_finds_every_ending_and_department_name(file: str) -> None:
    from policykg.extract.entity_components import EntityState, load_departments, load_knowledge, text_words

    def starts(word: str, text: str) -> list[int]:  # overlapping occurrences too
        found, i = [], text.find(word)
        while i >= 0:
            found.append(i)
            i = text.find(word, i + 1)
        return found

    text = document(file).text
    words = text_words(EntityState(text))
    every = sorted((i, i + len(w)) for w in load_knowledge().endings for i in starts(w, text))
    assert [(s, e) for s, e, _ in words.endings] == every
    assert all(text[s:e] == ending.suffix for s, e, ending in words.endings)
    longest: dict[int, int] = {}
    for name in load_departments().names:
        for i in starts(name, text):
            longest[i + len(name)] = max(longest.get(i + len(name), 0), len(name))
    assert words.departments == longest
    assert list(words.departments) == sorted(words.departments)  # by end, as the component reads them
    contexts = sorted({i for w in load_knowledge().firm_short_context for i in starts(w, text) if i >= 2})
    assert words.firm_contexts == contexts


def test_a_gap_of_letters_holds_no_digit() -> None:
    """The leftward scan tests a gap for digits (str.isdigit, ① and ² included) only when it is
    not all letters: no character is both a letter and a digit."""
    from policykg.extract.entity_components import _holds_digit

    assert not any(chr(c).isalpha() and chr(c).isdigit() for c in range(0x110000))
    for gap, holds in (("清远高新区", False), ("", False), ("第①批", True), ("广州²", True), ("A2B", True), ("（", False)):
        assert _holds_digit(gap) == holds == any(ch.isdigit() for ch in gap), gap


@pytest.mark.parametrize("file", DOCUMENTS)
def test_a_lists_quantifier_read_once_is_what_each_item_reads(file: str) -> None:
    from policykg.extract.entity_components import _list_quantified, list_quantified, load_knowledge

    k = load_knowledge()
    text = document(file).text
    known: dict[int, tuple[bool, int]] = {}
    separators = [i for i, c in enumerate(text) if c == "、"]
    assert separators
    for end in separators:
        assert _list_quantified(text, end, k, known) == list_quantified(text, end, k)
    assert any(known.values())  # some lists were read once for several items


@pytest.mark.parametrize("file", DOCUMENTS)
def test_overlaps_are_decided_as_by_priority_over_the_whole_text(file: str) -> None:
    from policykg.extract.entity_components import (
        _PRIORITY,
        MENTION_KINDS,
        EntityState,
        _longest_endings,
        _without_overlaps,
        components,
        text_words,
    )

    doc = document(file)
    state = EntityState(doc.text, doc.meta.jurisdiction, doc.meta.province)
    for component in components()[:-1]:  # every component but entity_select
        component.run(state)
    cands = [c for c in state.candidates if c.kind in MENTION_KINDS]
    order = sorted(cands, key=lambda c: (c.generic, -(c.end - c.start), -_PRIORITY.get(c.evidence, 0)))
    used = bytearray(len(doc.text) + 1)
    plain = []
    for c in order:
        if used.find(1, c.start, c.end) < 0:
            used[c.start : c.end] = b"\x01" * (c.end - c.start)
            plain.append(c)
    assert _without_overlaps(cands) == sorted(plain, key=lambda c: c.start)
    matches = text_words(state).endings
    used = bytearray(len(doc.text) + 1)
    kept = []
    for m in sorted(matches, key=lambda m: m[0] - m[1]):
        if used.find(1, m[0], m[1]) < 0:
            used[m[0] : m[1]] = b"\x01" * (m[1] - m[0])
            kept.append(m)
    assert _longest_endings(matches) == sorted(kept, key=lambda m: (m[0], m[1]))
    assert len(kept) < len(matches)  # nested endings (研究中心: 中心, 心) were there to decide


def test_a_lone_surrogate_in_a_text_is_read_over() -> None:
    """UTF-8 cannot carry a lone surrogate (a notebook's text may hold one): the scan reads it as
    any other character that is part of no word, at the same offsets."""
    from policykg.extract.entities import entity_state

    text = "支持清远\udcff高新区和广州研究院建设，由市科技局\udcff牵头"
    found = [(c.start, c.end, c.kind) for c in entity_state(text, "清远市", "广东省").chosen]
    plain = [(c.start, c.end, c.kind) for c in entity_state(text.replace("\udcff", "\ufffd"), "清远市", "广东省").chosen]
    assert found == plain
    assert (9, 14, "Platform") in found and any(kind == "Department" for _, _, kind in found)


@pytest.mark.parametrize("file", DOCUMENTS)
def test_the_list_markers_found_at_once_are_those_with_a_cue_after_them(file: str) -> None:
    """One search of the text finds the list markers that have a cue in the 14 characters after
    them: the markers each tested alone, on the sample plans and on texts of markers close to
    cues that end beyond the 14 characters."""
    from policykg.extract.entity_components import EntityLists, _occurrences, load_knowledge

    lists = EntityLists()
    k = load_knowledge()
    long_cue = max((c.cue for c in k.cues), key=len)
    texts = [document(file).text, "等" + "的" * (14 - len(long_cue)) + long_cue + "，等" + "的" * 13 + long_cue]
    for text in texts:
        plain = [p for p in _occurrences(k.list_marker, text) if lists.cue_within(text, p + 1, p + 15) is not None]
        assert lists.cued_markers(text) == plain
    assert lists.cued_markers(document(file).text)  # the plans hold such lists


@pytest.mark.parametrize("file", DOCUMENTS)
def test_generic_words_found_by_the_scan_are_those_read_slice_by_slice(file: str) -> None:
    """is_generic_words reads the generic words the automaton finds in a text (the ends reachable
    word by word); the reading of every slice of it gives the same answer: for every stretch of a
    sample document before a kind ending, each of its tails, and text built to trip it."""
    from policykg.extract.entity_components import _NOT_IN_WORDS, EntityState, load_knowledge, text_words

    k = load_knowledge()
    text = document(file).text
    pieces = {"", "“”", "（）", "省级省", "国家级国家", "科技企业科技"}
    for s, _, _ in text_words(EntityState(text)).endings:
        left = text[max(0, s - 12) : s]
        pieces.update(left[i:] for i in range(len(left)))
    answers = {piece: k._is_generic_words(piece) for piece in pieces}
    assert answers == {piece: k._is_generic_words_by_slices(_NOT_IN_WORDS.sub("", piece)) for piece in pieces}
    assert any(answers.values()) and not all(answers.values())


@pytest.mark.parametrize("file", DOCUMENTS)
def test_list_steps_kept_over_a_text_read_what_fresh_walks_read(file: str) -> None:
    """The items of a list, read once per text for the names in it and its cue (the state's
    list_steps), are the items a walk from each list end reads afresh."""
    from policykg.extract.entity_components import _list_quantified, list_items, load_knowledge

    k = load_knowledge()
    text = document(file).text
    steps: dict[int, tuple[int, int, bool]] = {}
    known: dict[int, tuple[bool, int]] = {}
    ends = [i for i, c in enumerate(text) if c in "、等"]
    assert ends
    for end in ends:
        assert list_items(text, end, k, steps) == list_items(text, end, k)
        assert _list_quantified(text, end, k, known, steps) == list_items(text, end, k)[1]
    assert len(steps) < sum(len(list_items(text, end, k)[0]) for end in ends)  # the walks shared steps
