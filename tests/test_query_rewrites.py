"""The canned queries that read counts computed at load (docs/graph-schema.md) and return pages
give the rows the live-aggregating statements gave before: tests/reference_queries/ holds each
query as it was before it was rewritten, run here on the same loaded sample graph with the same
parameters (every optional parameter alone and the editions switch), all pages together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_db import build_sample
from policykg.queries.catalog import load_catalog, parse_query_file
from policykg.queries.runner import PolicyGraph

import policykg

REFERENCE = Path(__file__).with_name("reference_queries")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyGraph]:
    session = policykg.open(build_sample(tmp_path_factory))
    yield session
    session.close()


def _cases(db: PolicyGraph) -> dict[str, list[dict[str, Any]]]:
    """Parameters per query from the sample graph itself: its busiest unit and document, a year
    and an indicator with targets, a cited plan, a task."""
    unit = db.cypher("MATCH (u:Unit)-[:LEADS]->(t:Task) RETURN u.id AS id, count(t) AS n ORDER BY n DESC, id LIMIT 2")
    doc = db.cypher("MATCH (t:Task) RETURN t.docId AS id, count(t) AS n ORDER BY n DESC, id LIMIT 1")[0]["id"]
    other_doc = db.cypher("MATCH (d:Document) WHERE d.current = false RETURN d.id AS id ORDER BY id LIMIT 1")
    jurisdiction = db.cypher("MATCH (u:Unit) WHERE u.jurisdiction IS NOT NULL RETURN u.jurisdiction AS j, "
                             "count(u) AS n ORDER BY n DESC, j LIMIT 1")[0]["j"]
    year = db.cypher("MATCH ()-[g:TARGETS]->() WHERE g.year IS NOT NULL RETURN g.year AS y, count(*) AS n "
                     "ORDER BY n DESC, y LIMIT 1")[0]["y"]
    indicator = db.cypher("MATCH ()-[g:TARGETS]->(i:Indicator) RETURN i.name AS name, count(*) AS n "
                          "ORDER BY n DESC, name LIMIT 1")[0]["name"]
    cited = db.cypher("MATCH (:Document)-[:CITES]->(x) RETURN x.name AS name ORDER BY name LIMIT 1")
    task = db.cypher("MATCH (t:Task) WHERE t.docId = $doc RETURN t.id AS id ORDER BY id LIMIT 1", doc=doc)[0]["id"]
    docs = [doc, *(row["id"] for row in other_doc)]
    scoped = [{}, {"allEditions": True}, *({"doc": d} for d in docs), {"jurisdiction": jurisdiction},
              {"jurisdiction": jurisdiction, "allEditions": True}]
    units = [{"unit": unit[0]["id"]}, {"unit": unit[1]["id"], "allEditions": True}, {"unit": unit[0]["id"], "doc": doc}]
    return {
        "central_units": scoped, "unit_workload": scoped,
        "units_by_jurisdiction": [{}, {"allEditions": True}, {"jurisdiction": jurisdiction}],
        "documents": [{}, {"jurisdiction": jurisdiction}],
        "tasks_lead_issues": [{}, {"allEditions": True}, *({"doc": d} for d in docs)],
        "entities_with_tasks": [{}, {"kind": "Platform"}, {"kind": "Park"}, {"name": "高新区"}],
        "targets_due": [{"year": year}, {"year": year, "doc": doc}],
        "indicator_targets": [{"indicator": indicator}],
        "tasks_due": [{"date": "2022-12-31"}, {"date": "2030", "unit": unit[0]["id"]}, {"date": "2022", "doc": doc}],
        "tasks_led_by": units, "tasks_participated_by": units, "unit_partners": units,
        "plans_citing": [{"cited": row["name"]} for row in cited],
        "task_detail": [{"task": task}],
        "path_between": [{"unit": unit[0]["id"], "other": unit[1]["id"]}],
    }


def _reference(db: PolicyGraph, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The query as it was before, with the parameters resolved as the canned query resolves them."""
    query = parse_query_file(REFERENCE / f"{name}.cypher")
    _canned, final = db.prepare(name, params)
    old = {param.name: final.get(param.name, param.default) for param in query.params}
    if "limit" in old:
        old["limit"] = 1_000_000
    return list(db._read(query.statement_for(db.backend.dialect), old, query.returns))


def test_every_canned_query_gives_the_rows_it_gave_before_its_rewrite(db: PolicyGraph) -> None:
    cases = _cases(db)
    assert set(cases) == set(load_catalog()), "a canned query without cases here"
    compared = 0
    for name, variants in cases.items():
        for params in variants:
            before = _reference(db, name, params)
            rows = db.query(name, **params, limit=1_000_000) if load_catalog()[name].paged else db.query(name, **params)
            assert list(rows) == before, f"{name} {params}"
            assert rows.total == len(before)
            compared += bool(before)
    assert compared >= 30  # the cases find rows: the comparison is not between empty answers


def test_pages_follow_each_other_and_count_the_total(db: PolicyGraph) -> None:
    every = db.query("units_by_jurisdiction", limit=1_000_000)
    assert len(every) > 25
    pages = [db.query("units_by_jurisdiction", limit=10, skip=skip) for skip in range(0, len(every) + 10, 10)]
    assert [row for page in pages for row in page] == list(every)
    assert {page.total for page in pages} == {len(every)}
    assert pages[0].page_note() == f"rows 1-10 of {len(every)}" and not pages[-1]
    default = db.query("units_by_jurisdiction")
    limit = load_catalog()["units_by_jurisdiction"].param("limit")
    assert limit is not None and len(default) == min(limit.default, len(every)) and default.total == len(every)
    # a page past the end of a query that collects units for its page only (entities_with_tasks)
    mentions = db.query("entities_with_tasks", limit=1_000_000)
    beyond = db.query("entities_with_tasks", skip=len(mentions) + 5)
    assert not beyond and beyond.total == len(mentions) > 0


def test_the_directories_written_at_load_are_what_the_database_answers(db: PolicyGraph) -> None:
    import json

    from policykg.graph.embedded import directory_path
    from policykg.queries.runner import DOCUMENTS_STATEMENT, UNITS_STATEMENT

    server = db.backend.server  # type: ignore[attr-defined]
    loaded = server.loaded_from()
    for name, statement in (("units", UNITS_STATEMENT), ("documents", DOCUMENTS_STATEMENT)):
        written = json.loads(directory_path(server.out_dir, name, loaded).read_text(encoding="utf-8"))
        assert written and written == db.backend.read(statement, {})[1]


def test_names_are_compared_without_any_kind_of_space_and_with_half_width_brackets() -> None:
    import re
    import sys

    from policykg.queries.runner import _norm

    spaces = "".join(chr(code) for code in range(sys.maxunicode + 1) if re.match(r"\s", chr(code)))
    written = f"清远市 科学{spaces}技术局（高新区）\u3000"
    assert _norm(written) == re.sub(r"\s+", "", written).replace("（", "(").replace("）", ")") == "清远市科学技术局(高新区)"
    assert _norm(None) == "" and _norm(12) == "12"
