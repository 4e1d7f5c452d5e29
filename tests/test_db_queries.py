"""Every canned query on the embedded engine (a real FalkorDB server) against the real sample
graph: answers checked against the 清远 2020-2022 draft's own text, and against an independent
computation on the networkx graph (graph.json) for the aggregate queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest_db import QINGYUAN_2020, build_sample, qingyuan_2020_tasks, sample_graph
from policykg.graph.cypher_load import prepare_file
from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, QUERY_INDEXES, create_graph
from policykg.graph.export import write_graph_json
from policykg.queries.catalog import QueryError, load_catalog
from policykg.queries.runner import PolicyGraph

import policykg

QY2020_FILE = QINGYUAN_2020.name
UNIT_ROLES = ("LEADS", "PARTICIPATES_IN")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


@pytest.fixture(scope="module")
def db(out: Path) -> Iterator[PolicyGraph]:
    session = policykg.open(out)
    yield session
    session.close()


@pytest.fixture(scope="module")
def graph(out: Path) -> nx.MultiDiGraph:
    return sample_graph(out)


def _doc_of(graph: nx.MultiDiGraph, file: str) -> str:
    return next(n for n, d in graph.nodes(data=True) if d.get("label") == "Document" and d.get("file") == file)


def _unit_edges(graph: nx.MultiDiGraph, all_editions: bool = True) -> Iterator[tuple[str, str, str]]:
    """(unit, role, task) over LEADS/PARTICIPATES_IN edges whose task belongs to a document; with
    all_editions=False only the tasks of the newest edition of each plan (what queries count by default)."""
    for source, target, data in graph.edges(data=True):
        if data.get("type") in UNIT_ROLES and (all_editions or graph.nodes[target].get("current") is not False):
            yield source, data["type"], target


def _task_doc(graph: nx.MultiDiGraph) -> dict[str, str]:
    return {s: t for s, t, d in graph.edges(data=True) if d.get("type") == "PART_OF"}


def _example_params(query: Any) -> dict[str, Any]:
    """The header's examples of the required parameters (task_detail needs a task or doc+path)."""
    params = {param.name: param.example for param in query.params if param.required}
    if query.name == "task_detail":
        params["task"] = query.param("task").example
    return params


# --------------------------------------------------------------------------- every query


def test_the_live_graph_keeps_only_the_query_indexes_and_answers_as_with_the_loads(out: Path, db: PolicyGraph) -> None:
    """The live graph keeps no index or constraint but QUERY_INDEXES (the server would rebuild
    every one at each start; the load checks the ids unique itself); the same graph.json loaded
    beside it with every index and constraint the loaders make answers every canned query with
    the same rows."""
    server = db.backend.server  # type: ignore[attr-defined]
    live = server.engine()
    assert {(row["label"], prop) for row in live.read("CALL db.indexes()", {})
            for prop in row["properties"]} == set(QUERY_INDEXES)
    assert live.read("CALL db.constraints()", {}) == []
    # (not GRAPH.COPY: while the load's background save runs, FalkorDB 4.16 cannot fork for it
    # and the command never returns)
    indexed = server.engine("policykg_indexed")
    try:
        prepared = prepare_file(out)
        create_graph(indexed, prepared, EMBEDDED_BATCH_SIZE)
        indexed.ensure_schema(prepared.labels)  # every index the loaders make (Neo4j keeps them)
        assert len(indexed.read("CALL db.indexes()", {})) > len(QUERY_INDEXES)
        for name, query in sorted(load_catalog().items()):
            _query, final = db.prepare(name, _example_params(query))
            statement = query.statement_for("falkordb")
            assert live.read(statement, final) == indexed.read(statement, final), name
    finally:
        indexed.graph.delete()


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_every_canned_query_runs_with_its_header_examples(db: PolicyGraph, name: str) -> None:
    query = load_catalog()[name]
    rows = db.query(name, **_example_params(query))
    assert rows.columns == list(query.returns)
    if name == "tasks_lead_issues":  # every sample task names one lead: see the tests below
        assert rows == []
        return
    if name == "tasks_due":  # the sample plans state no deadlines: see test_tasks_due_by_a_date
        assert rows == []
        return
    assert len(rows) > 0, f"{name} with its header's examples returns nothing on the sample graph"
    frame = rows.to_dataframe()
    assert list(frame.columns) == list(query.returns) and len(frame) == len(rows)


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_every_optional_parameter_example_runs(db: PolicyGraph, name: str) -> None:
    query = load_catalog()[name]
    params = {param.name: param.example for param in query.params if param.example}
    if name == "task_detail":  # task id, or doc + path: both forms must give the same task
        by_id = db.query(name, task=params["task"])
        by_path = db.query(name, doc=params["doc"], path=params["path"])
        assert [row["taskId"] for row in by_id] == [row["taskId"] for row in by_path] == [params["task"]]
        return
    rows = db.query(name, **params)
    assert rows.columns == list(query.returns)
    assert len(rows) > 0 or name in ("tasks_lead_issues", "tasks_due"), f"{name} with all header examples returns nothing"


# --------------------------------------------------------------------------- checked against the text


def test_tasks_led_by_kejiju_in_qingyuan_2020_are_those_of_the_text(db: PolicyGraph) -> None:
    expected = [(task["path"], task["title"]) for task in qingyuan_2020_tasks() if "市科技局" in task["leads"]]
    assert len(expected) == 15
    rows = db.query("tasks_led_by", unit="市科技局", doc=QY2020_FILE)
    assert [(row["path"], row["title"]) for row in rows] == expected
    assert {row["unitId"] for row in rows} == {"dept:441800:科学技术局"}
    assert all(row["written"] == ["市科技局"] for row in rows)
    # the canonical id and the canonical name give the same rows as the alias
    assert db.query("tasks_led_by", unit="dept:441800:科学技术局", doc=QY2020_FILE) == rows
    assert db.query("tasks_led_by", unit="清远市科学技术局", doc="清远市建设环粤港澳大湾区创新发展先行市三年行动计划（2020-2022年）") == rows


def test_tasks_participated_by_kejiju_in_qingyuan_2020(db: PolicyGraph) -> None:
    tasks = qingyuan_2020_tasks()
    expected = [(task["path"], task["title"]) for task in tasks if "市科技局" in task["participants"]]
    rows = db.query("tasks_participated_by", unit="市科技局", doc=QY2020_FILE)
    assert [(row["path"], row["title"]) for row in rows] == expected
    leads_written = {task["path"]: task["leads"] for task in tasks}
    for row in rows:  # one lead per task in this plan; its canonical name ends like the written one
        assert len(row["leads"]) == len(leads_written[row["path"]]) == 1


def test_task_detail_matches_the_clause_in_the_text(db: PolicyGraph) -> None:
    text = QINGYUAN_2020.read_text(encoding="utf-8")
    for task in qingyuan_2020_tasks():
        [row] = db.query("task_detail", doc=QY2020_FILE, path=task["path"])
        assert row["title"] == task["title"]
        assert len(row["leads"]) == len(task["leads"])
        assert len(row["participants"]) == len(set(task["participants"]))
        assert row["clause"] in text  # the clause as quoted: a slice of the original text
        assert "牵头单位" in row["clause"]


def test_no_lead_issues_in_qingyuan_2020_every_task_has_one_lead(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    assert all(len(task["leads"]) == 1 for task in qingyuan_2020_tasks())
    assert db.query("tasks_lead_issues", doc=QY2020_FILE) == []
    # over all documents: exactly the tasks whose number of distinct lead units is not one
    task_doc = _task_doc(graph)
    leads: dict[str, set[str]] = {task: set() for task in task_doc}
    for unit, role, task in _unit_edges(graph):
        if role == "LEADS":
            leads[task].add(graph.nodes[unit]["name"])
    expected = sorted((graph.nodes[task]["path"], len(names)) for task, names in leads.items() if len(names) != 1)
    rows = db.query("tasks_lead_issues")
    assert sorted((row["path"], row["leadCount"]) for row in rows) == expected


def test_lead_issues_found_when_a_task_loses_or_gains_a_lead(out: Path, tmp_path: Path) -> None:
    """The sample names one lead per task; take one lead away and give another task a second."""
    graph = sample_graph(out)
    doc = _doc_of(graph, QY2020_FILE)
    task_doc = _task_doc(graph)
    lead_edges = sorted((t, u, k) for u, t, k, d in graph.edges(keys=True, data=True)
                        if d.get("type") == "LEADS" and task_doc.get(t) == doc)
    (lost_task, lost_unit, lost_key), (second_task, second_unit, _key) = lead_edges[0], lead_edges[-1]
    graph.remove_edge(lost_unit, lost_task, lost_key)
    extra_unit = next(u for u, _r, t in _unit_edges(graph) if t == second_task and u != second_unit)
    graph.add_edge(extra_unit, second_task, key="LEADS:test", type="LEADS", docSha256=graph.nodes[doc]["sha256"])
    variant = tmp_path / "variant"
    variant.mkdir()
    write_graph_json(graph, variant / "graph.json")
    with policykg.open(variant) as session:
        rows = session.query("tasks_lead_issues", doc=QY2020_FILE)
    assert [(row["path"], row["issue"], row["leadCount"]) for row in rows] == sorted(
        [(graph.nodes[lost_task]["path"], "no lead", 0), (graph.nodes[second_task]["path"], "several leads", 2)],
        key=lambda item: graph.nodes[lost_task if item[1] == "no lead" else second_task]["paragraphStart"])
    several = next(row for row in rows if row["issue"] == "several leads")
    assert sorted(several["leads"]) == sorted({graph.nodes[second_unit]["name"], graph.nodes[extra_unit]["name"]})


# --------------------------------------------------------------------------- checked against graph.json


def test_unit_partners_count_shared_tasks(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    unit = "dept:441800:科学技术局"
    for all_editions in (False, True):
        tasks_of: dict[str, set[str]] = defaultdict(set)
        for source, _role, task in _unit_edges(graph, all_editions):
            tasks_of[source].add(task)
        expected = {other: len(tasks_of[unit] & tasks) for other, tasks in tasks_of.items()
                    if other != unit and tasks_of[unit] & tasks}
        rows = db.query("unit_partners", unit="市科技局", allEditions=all_editions)
        assert {row["partnerId"]: row["sharedTasks"] for row in rows} == expected
    rows = db.query("unit_partners", unit="市科技局")
    counts = [row["sharedTasks"] for row in rows]
    assert counts == sorted(counts, reverse=True)
    # in the 2020 plan alone, 市发展改革局 shares exactly the tasks the text names both in
    in_text = sum(1 for task in qingyuan_2020_tasks()
                  if "市科技局" in task["leads"] + task["participants"]
                  and "市发展改革局" in task["leads"] + task["participants"])
    rows = db.query("unit_partners", unit="市科技局", doc=QY2020_FILE)
    assert {row["partnerId"]: row["sharedTasks"] for row in rows}["dept:441800:发展和改革局"] == in_text


def test_unit_workload_counts_leads_and_participations(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    for all_editions in (False, True):
        roles: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for unit, role, task in _unit_edges(graph, all_editions):
            roles[unit][role].add(task)
        expected = {unit: (len(r["LEADS"]), len(r["PARTICIPATES_IN"]), len(r["LEADS"] | r["PARTICIPATES_IN"]))
                    for unit, r in roles.items()}
        rows = db.query("unit_workload", allEditions=all_editions)
        assert {row["unitId"]: (row["leads"], row["participates"], row["tasks"]) for row in rows} == expected
    rows = db.query("unit_workload")
    assert all(isinstance(row["leads"], int) for row in rows)
    top = db.query("unit_workload", limit=3, jurisdiction="清远市")
    assert len(top) == 3 and all(row["jurisdiction"] == "清远市" for row in top)
    # 2020 plan from the text: 市科技局 leads 15 and takes part in the rest that name it
    tasks = qingyuan_2020_tasks()
    [row] = [r for r in db.query("unit_workload", doc=QY2020_FILE) if r["unitId"] == "dept:441800:科学技术局"]
    assert row["leads"] == sum("市科技局" in t["leads"] for t in tasks)
    assert row["participates"] == sum("市科技局" in t["participants"] for t in tasks)


def test_units_by_jurisdiction(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    units = {n: d for n, d in graph.nodes(data=True) if "Unit" in (d.get("labels") or [])}
    rows = db.query("units_by_jurisdiction")
    assert sorted(row["unitId"] for row in rows) == sorted(units)
    tasks_of: dict[str, set[str]] = defaultdict(set)
    for unit, _role, task in _unit_edges(graph, all_editions=False):
        tasks_of[unit].add(task)
    assert {row["unitId"]: row["tasks"] for row in rows} == {unit: len(tasks_of[unit]) for unit in units}
    qingyuan = db.query("units_by_jurisdiction", jurisdiction="清远市")
    assert qingyuan and all("清远市" in row["jurisdiction"] for row in qingyuan)
    assert len(qingyuan) == sum(1 for d in units.values() if "清远市" in str(d.get("jurisdiction") or ""))


def _targets(graph: nx.MultiDiGraph) -> list[tuple[str, dict[str, Any]]]:
    return [(target, data) for _s, target, data in graph.edges(data=True) if data.get("type") == "TARGETS"]


def test_targets_due_in_a_year(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    years = Counter(data.get("year") for _t, data in _targets(graph))
    assert years, "the sample has targets"
    for year in sorted(y for y in years if isinstance(y, int)):
        rows = db.query("targets_due", year=year)
        assert len(rows) == years[year]
        assert {row["year"] for row in rows} == {year}
    qy2020 = graph.nodes[_doc_of(graph, QY2020_FILE)]["sha256"]
    expected = Counter((graph.nodes[t]["name"], data.get("value")) for t, data in _targets(graph)
                       if data.get("year") == 2022 and data.get("docSha256") == qy2020)
    rows = db.query("targets_due", year=2022, doc=QY2020_FILE)
    assert Counter((row["indicator"], row["value"]) for row in rows) == expected and expected


def test_indicator_targets_across_documents_and_years(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    word = "高新技术企业"
    matching = {n for n, d in graph.nodes(data=True) if d.get("label") == "Indicator"
                and (word in str(d.get("name")) or word in (d.get("aliases") or []))}
    expected = Counter((graph.nodes[t]["name"], data.get("year")) for t, data in _targets(graph) if t in matching)
    rows = db.query("indicator_targets", indicator=word)
    assert Counter((row["indicator"], row["year"]) for row in rows) == expected and expected
    assert len({row["document"] for row in rows}) >= 2  # across documents
    keys = [(row["indicator"], row["year"] if row["year"] is not None else -1) for row in rows]
    assert keys == sorted(keys)


def test_entities_with_tasks_and_their_units(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    expected = {(target, source) for source, target, data in graph.edges(data=True)
                if data.get("type") == "MENTIONS" and "Entity" in (graph.nodes[target].get("labels") or [])}
    rows = db.query("entities_with_tasks", limit=len(expected))
    assert rows.total == len(expected) and db.query("entities_with_tasks").total == len(expected)
    by_pair = {(row["entityId"], row["taskPath"], row["document"]) for row in rows}
    assert len(rows) == len(by_pair) == len(expected)
    platforms = db.query("entities_with_tasks", kind="Platform")
    assert platforms and {row["kind"] for row in platforms} == {"Platform"}
    # units around the task: the leads of a mentioning task are its LEADS edges
    for row in platforms:
        if row["taskPath"]:
            task = next(source for entity, source in expected if entity == row["entityId"]
                        and graph.nodes[source].get("path") == row["taskPath"]
                        and graph.nodes[_task_doc(graph)[source]]["name"] == row["document"])
            leads = {graph.nodes[u]["name"] for u, role, t in _unit_edges(graph) if t == task and role == "LEADS"}
            assert set(row["leads"]) == leads


def _unit_task_graph(graph: nx.MultiDiGraph) -> nx.Graph:
    network = nx.Graph()
    for unit, _role, task in _unit_edges(graph):
        network.add_edge(unit, task)
    return network


def test_path_between_two_units_is_the_shortest(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    network = _unit_task_graph(graph)
    start = "dept:441800:科学技术局"
    lengths = dict(nx.single_source_shortest_path_length(network, start))
    units = sorted(n for n in network if "Unit" in (graph.nodes[n].get("labels") or []) and n != start)
    by_length: dict[int | None, list[str]] = defaultdict(list)
    for unit in units:
        by_length[lengths.get(unit)].append(unit)
    assert by_length[2] and by_length[4], "the sample has units one and two tasks away from 市科技局"
    for hops in (2, 4):
        for other in by_length[hops][:3]:
            rows = db.query("path_between", unit=start, other=other)
            assert [(row["hops"], row["units"]) for row in rows] == [(hops, hops // 2 - 1)]
            path = rows[0]["path"]
            assert path[0] == graph.nodes[start]["name"] and path[-1] == graph.nodes[other]["name"]
            assert len(path) == hops + 1
            if hops == 4:  # the unit in the middle shares a task with both ends
                middle = next(n for n in network if graph.nodes[n].get("name") == path[2]
                              and "Unit" in graph.nodes[n]["labels"])
                assert lengths[middle] == 2 and nx.shortest_path_length(network, middle, other) == 2
    # farther than two tasks, or not linked at all (other cities' plans): no row, not an error
    beyond = [unit for length, found in by_length.items() if length is None or length > 4 for unit in found]
    assert beyond
    for other in beyond[:3]:
        assert db.query("path_between", unit=start, other=other) == []


def test_central_units_by_cooperation_degree(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for unit, _role, task in _unit_edges(graph, all_editions=False):
        members[task].add(unit)
    partners: dict[str, set[str]] = defaultdict(set)
    for units in members.values():
        for unit in units:
            partners[unit] |= units - {unit}
    degrees = {unit: len(others) for unit, others in partners.items() if others}
    rows = db.query("central_units", limit=len(degrees) + 5)
    assert {row["unitId"]: row["degree"] for row in rows} == degrees
    top = db.query("central_units")
    assert len(top) == min(20, len(degrees))
    assert top[0]["degree"] == max(degrees.values())
    assert [row["degree"] for row in top] == sorted((row["degree"] for row in top), reverse=True)


def test_documents_lists_the_sample_with_counts(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    files = sorted(p.name for p in QINGYUAN_2020.parent.glob("*.txt"))
    rows = db.query("documents")
    assert sorted(row["file"] for row in rows) == files
    task_doc = _task_doc(graph)
    per_doc = Counter(task_doc.values())
    assert {row["docId"]: row["tasks"] for row in rows} == {doc: per_doc.get(doc, 0) for doc in (r["docId"] for r in rows)}
    [qy] = [row for row in rows if row["file"] == QY2020_FILE]
    assert qy["tasks"] == len(qingyuan_2020_tasks())
    assert (qy["periodStart"], qy["periodEnd"]) == (2020, 2022)


# --------------------------------------------------------------------------- parameters


def test_unit_aliases_resolve_to_canonical_ids_before_the_query(db: PolicyGraph) -> None:
    assert [u["id"] for u in db.resolve_unit("市科技局")] == ["dept:441800:科学技术局"]
    assert [u["id"] for u in db.resolve_unit("清远市科学技术局")] == ["dept:441800:科学技术局"]
    # a form written nowhere still finds the units containing it
    found = {u["id"] for u in db.resolve_unit("科学技术局")}
    assert "dept:441800:科学技术局" in found


def test_bad_parameters_are_clear_errors(db: PolicyGraph) -> None:
    with pytest.raises(QueryError, match="no unit in the graph matches"):
        db.query("tasks_led_by", unit="' OR 1=1 //")
    with pytest.raises(QueryError, match="required"):
        db.query("tasks_led_by")
    with pytest.raises(QueryError, match="unknown parameter"):
        db.query("tasks_led_by", unit="市科技局", bogus=1)
    with pytest.raises(QueryError, match="integer"):
        db.query("targets_due", year="next year")
    with pytest.raises(QueryError, match="no canned query"):
        db.query("drop_everything")


def test_user_input_is_a_parameter_never_cypher(db: PolicyGraph) -> None:
    hostile = "x'}) MATCH (n) DETACH DELETE n //"
    assert db.cypher("MATCH (u:Unit) WHERE u.name = $name RETURN u.id AS id", name=hostile) == []
    assert db.query("units_by_jurisdiction", jurisdiction=hostile) == []
    assert db.cypher("MATCH (n) RETURN count(n) AS n")[0]["n"] > 0


def test_cypher_is_read_only(db: PolicyGraph) -> None:
    before = db.cypher("MATCH (n) RETURN count(n) AS n")[0]["n"]
    for statement in ("CREATE (n:Unit {id: 'x'}) RETURN n", "MATCH (n:Task) DETACH DELETE n",
                      "MATCH (n:Unit) SET n.name = 'x' RETURN count(n)", "MERGE (n:Document {id: 'y'}) RETURN n"):
        with pytest.raises(QueryError, match="read-only"):
            db.cypher(statement)
    assert db.cypher("MATCH (n) RETURN count(n) AS n")[0]["n"] == before


def test_the_statement_sent_is_the_cypher_file_unchanged(db: PolicyGraph) -> None:
    """Both engines' backends receive `CannedQuery.statement`, the file's text byte for byte."""
    sent: list[str] = []

    class Recording:
        name = db.backend.name

        def read(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
            sent.append(statement)
            return db.backend.read(statement, params)

        def close(self) -> None:
            pass

    recorder = PolicyGraph(Recording())
    for name, query in load_catalog().items():
        sent.clear()
        recorder.query(name, **_example_params(query))
        text = query.path.read_text(encoding="utf-8")
        # the file's text, or where the file has a `// neo4j:` statement, the part before it
        assert sent[-1] == (text if not query.variants else text[:text.index("// neo4j:")])
    # Neo4j goes through the same PolicyGraph.query; tests/test_db_neo4j.py checks the driver's
    # Bolt RUN log against the files when NEO4J_URI is set.


# --------------------------------------------------------------------------- editions and citations


def test_tasks_led_by_counts_the_newest_edition_unless_all_editions(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    unit = "dept:441800:科学技术局"
    led = [task for source, role, task in _unit_edges(graph) if source == unit and role == "LEADS"]
    newest = {t for t in led if graph.nodes[t]["current"]}
    assert len(led) > len(newest) > 0, "the two 清远 editions both name 市科技局 as a lead"
    assert len(db.query("tasks_led_by", unit="市科技局")) == len(newest)
    assert len(db.query("tasks_led_by", unit="市科技局", allEditions=True)) == len(set(led))
    # naming an older edition shows its tasks
    older = next(d["file"] for _, d in graph.nodes(data=True) if d.get("label") == "Document" and d["current"] is False)
    rows = db.query("tasks_led_by", unit="市科技局", doc=older)
    assert rows and {row["document"] for row in rows} != {graph.nodes[_doc_of(graph, QY2020_FILE)]["name"]}


def test_plans_citing_a_plan(db: PolicyGraph, graph: nx.MultiDiGraph) -> None:
    cites = [(u, v) for u, v, d in graph.edges(data=True) if d.get("type") == "CITES"]
    target = graph.nodes[_doc_of(graph, QY2020_FILE)]["planFamily"]
    citing = {graph.nodes[u]["name"] for u, v in cites if v == target}
    assert citing, "the 十四五 plan cites the 2020-2022 plan"
    assert db.query("plans_citing", cited=target) == db.query("plans_citing", cited=QY2020_FILE)
    rows = db.query("plans_citing", cited=target)
    assert {row["document"] for row in rows} == citing and all(row["inCorpus"] for row in rows)
    outside = db.query("plans_citing", cited="国家创新驱动发展战略纲要")
    assert outside and not any(row["inCorpus"] for row in outside)


# --------------------------------------------------------------------------- deadlines (fixture plans)

PLANS = Path(__file__).parent / "fixtures" / "plans"


def test_tasks_due_by_a_date(tmp_path_factory: pytest.TempPathFactory) -> None:
    """tasks_due on the fixture plans (every deadline form): the tasks whose last allowed day is
    up to the date, earliest first; a year or a year-month as the date takes in all of it."""
    out = build_sample(tmp_path_factory, data=PLANS, key="plans")
    graph = sample_graph(out)
    tasks = {n: d for n, d in graph.nodes(data=True) if d.get("label") == "Task"}
    assert {d.get("deadline") for d in tasks.values()} >= {"ongoing", "2024", "2024-06", "2025-06-30"}
    session = policykg.open(out)
    try:
        for date, last in (("2024-12-31", "2024-12-31"), ("2024-06", "2024-06-30"), ("2025", "2025-12-31")):
            want = sorted((d["path"], d["dueBy"]) for d in tasks.values() if d.get("dueBy") and d["dueBy"] <= last)
            rows = session.query("tasks_due", date=date)
            assert want and sorted((r["path"], r["dueBy"]) for r in rows) == want
            assert [r["dueBy"] for r in rows] == sorted(r["dueBy"] for r in rows)
            assert all(r["deadline"] != "ongoing" for r in rows)
        # one unit: the tasks it leads or takes part in, found by its name in the graph
        unit = next(n for n, d in graph.nodes(data=True) if "Unit" in (d.get("labels") or [])
                    and d.get("name") == "福建省科学技术厅")
        mine = {t for s, t, d in graph.edges(data=True) if s == unit and d.get("type") in UNIT_ROLES}
        want = sorted(tasks[t]["path"] for t in mine if tasks[t].get("dueBy") and tasks[t]["dueBy"] <= "2026-12-31")
        rows = session.query("tasks_due", date="2026-12-31", unit=unit)
        assert want and sorted(r["path"] for r in rows) == want
    finally:
        session.close()


def test_every_task_has_its_text_in_the_graph_and_the_csv(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Task nodes carry text/textStart/textEnd/deadline/deadlineText; responsibilities.csv has
    task_text, deadline and deadline_text on every row."""
    import csv

    out = build_sample(tmp_path_factory, data=PLANS, key="plans")
    graph = sample_graph(out)
    by_task = {n: d for n, d in graph.nodes(data=True) if d.get("label") == "Task"}
    assert by_task
    for d in by_task.values():
        assert d["text"].strip() and d["textStart"] < d["textEnd"]
        assert d["textEnd"] - d["textStart"] >= len(d["text"].strip())
        assert "deadline" in d and "deadlineText" in d
    with (out / "responsibilities.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["task_text"].strip() for r in rows)
    for r in rows:
        assert r["task_text"] == by_task[r["task_id"]]["text"]
        assert r["deadline"] == by_task[r["task_id"]]["deadline"]
