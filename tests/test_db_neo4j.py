"""The Neo4j path against a real server: runs when NEO4J_URI (and NEO4J_USERNAME, NEO4J_PASSWORD,
optionally NEO4J_DATABASE) point at an EMPTY database, skipped otherwise (no Neo4j server can be
installed on the CI machines). The same loader statements and the same .cypher files as the
embedded engine, with the same answers."""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_db import DATA, QINGYUAN_2020, build_sample, db_snapshot, graph_snapshot, sample_graph
from policykg.graph.cypher_load import LoadError, load_graph
from policykg.graph.neo4j_loader import Neo4jConnectionError, Neo4jEngine, Neo4jSettings
from policykg.queries.catalog import QueryError, load_catalog

import policykg

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="needs a Neo4j server: set NEO4J_URI"),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


@pytest.fixture()
def engine() -> Iterator[Neo4jEngine]:
    """The database of NEO4J_URI, which must be empty; emptied again afterwards."""
    with Neo4jEngine(Neo4jSettings.from_env()) as neo4j:
        if neo4j.read("MATCH (n) RETURN count(n) AS n", {})[0]["n"]:
            pytest.skip("the Neo4j database of NEO4J_URI is not empty; the tests need an empty one")
        try:
            yield neo4j
        finally:
            neo4j.write("MATCH (n) DETACH DELETE n", {})


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_load_into_neo4j_exactly_and_idempotently(out: Path, engine: Neo4jEngine) -> None:
    graph = sample_graph(out)
    first = load_graph(engine, graph, batch_size=100)
    assert len(first.documents_new) == 5
    assert db_snapshot(engine) == graph_snapshot(graph)
    second = load_graph(engine, graph, batch_size=100)
    assert len(second.documents_unchanged) == 5
    assert (second.counters.nodes_created, second.counters.relationships_created,
            second.counters.nodes_deleted, second.counters.relationships_deleted) == (0, 0, 0, 0)
    assert db_snapshot(engine) == graph_snapshot(graph)


def test_every_canned_query_gives_the_embedded_answer(out: Path, engine: Neo4jEngine, tmp_path: Path) -> None:
    load_graph(engine, sample_graph(out))
    copy = tmp_path / "out"
    copy.mkdir()
    shutil.copy2(out / "graph.json", copy / "graph.json")
    neo4j, embedded = policykg.connect(), policykg.open(copy)
    try:
        for name, query in load_catalog().items():
            params = {p.name: p.example for p in query.params if p.example and p.name != "path"}
            if name == "task_detail":
                params = {"task": query.param("task").example}
            a, b = neo4j.query(name, **params), embedded.query(name, **params)
            assert a.columns == b.columns == list(query.returns), name
            assert _same(list(a), list(b)), name
        with pytest.raises(QueryError, match="read-only"):
            neo4j.cypher("MATCH (n:Task) DETACH DELETE n")
    finally:
        neo4j.close()
        embedded.close()


def test_neo4j_receives_the_cypher_files_unchanged(out: Path, engine: Neo4jEngine,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """The driver's own log of each Bolt RUN message holds the .cypher file's text verbatim."""
    load_graph(engine, sample_graph(out))
    session = policykg.connect()
    try:
        with caplog.at_level(logging.DEBUG, logger="neo4j"):
            for name, query in load_catalog().items():
                caplog.clear()
                params = {p.name: p.example for p in query.params if p.required}
                if name == "task_detail":
                    params = {"task": query.param("task").example}
                session.query(name, **params)
                runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
                assert any(repr(query.path.read_text(encoding="utf-8")) in message for message in runs), name
                assert os.environ.get("NEO4J_PASSWORD", "\0") not in caplog.text
    finally:
        session.close()


def test_changed_document_replaced_in_neo4j(out: Path, engine: Neo4jEngine,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("neo4j_changed") / "data"
    shutil.copytree(DATA, data)
    text = QINGYUAN_2020.read_text(encoding="utf-8")
    (data / QINGYUAN_2020.name).write_text(text.replace("（牵头单位：市科技局，参与单位：市发展改革局、市工业和信息化局、清远高新区、广清产业园）",
                                                         "（牵头单位：市工业和信息化局，参与单位：市发展改革局、市科技局、清远高新区、广清产业园）"),
                                            encoding="utf-8")
    changed = sample_graph(build_sample(tmp_path_factory, data, key="neo4j_changed"))
    load_graph(engine, sample_graph(out))
    summary = load_graph(engine, changed)
    assert len(summary.documents_replaced) == 1 and len(summary.documents_unchanged) == 4
    assert db_snapshot(engine) == graph_snapshot(changed)


def test_constraint_violation_rolls_back_the_batch(out: Path, engine: Neo4jEngine) -> None:
    graph = sample_graph(out)
    load_graph(engine, graph)
    engine.write("MATCH (n:Department {id: $id}) REMOVE n:Department", {"id": "dept:441800:财政局"})
    departments = engine.read("MATCH (n:Department) RETURN count(n) AS n", {})[0]["n"]
    with pytest.raises(LoadError, match="constraint"):
        load_graph(engine, graph)
    assert engine.read("MATCH (n:Department) RETURN count(n) AS n", {})[0]["n"] == departments


def test_wrong_password_is_clear_and_secret() -> None:
    settings = Neo4jSettings.from_env(password="definitely-not-the-password-42")
    with pytest.raises(Neo4jConnectionError) as failure:
        Neo4jEngine(settings)
    assert "refused the user name or password" in str(failure.value)
    assert "definitely-not-the-password-42" not in str(failure.value)
