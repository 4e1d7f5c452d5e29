"""The Neo4j path against a real Neo4j 5 server (tools/neo4j-server, started by tests/conftest.py):
the loader, the canned queries with the embedded engine's answers (the sample graph and a
200-document bench corpus), the neo4j-admin export imported by Neo4j's own importer, the choice
of engine, and the failures a user meets (wrong password, server down, server dying mid-load)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest_db import DATA, QINGYUAN_2020, build_sample, db_snapshot, fresh_copy, graph_snapshot, sample_graph
from policykg.graph.cypher_load import LoadError
from policykg.graph.neo4j_admin import export_neo4j_admin
from policykg.graph.neo4j_loader import (
    Neo4jConnectionError,
    Neo4jEngine,
    Neo4jSettings,
    document_groups,
    load_atomically,
    load_into_neo4j,
)
from policykg.queries.catalog import CannedQuery, QueryError, load_catalog
from policykg.queries.runner import PolicyGraph, connect_neo4j, open_embedded

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "neo4j-server"))
from neo4j_server import Neo4jServer  # noqa: E402

pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("neo4j_env")]
BENCH_DOCS = 200


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


@pytest.fixture(scope="module")
def corpus_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200-document bench corpus (bench/make_corpus.py), built without views."""
    sys.path.insert(0, str(ROOT / "bench"))
    import make_corpus

    corpus = tmp_path_factory.mktemp("neo4j_corpus")
    make_corpus.make_corpus(BENCH_DOCS, corpus, seed=0)
    return build_sample(tmp_path_factory, corpus / "docs", key=f"corpus{BENCH_DOCS}")


def _delete_all(engine: Neo4jEngine) -> None:
    while engine.write("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n", {})[0][0]["n"]:
        pass


@pytest.fixture()
def engine() -> Iterator[Neo4jEngine]:
    """The database of NEO4J_URI, which must be empty; emptied again afterwards."""
    with Neo4jEngine(Neo4jSettings.from_env()) as neo4j:
        if neo4j.read("MATCH (n) RETURN count(n) AS n", {})[0]["n"]:
            _delete_all(neo4j)  # a test that failed midway left its graph
        try:
            yield neo4j
        finally:
            _delete_all(neo4j)


def _count(engine: Neo4jEngine) -> tuple[int, int]:
    nodes = engine.read("MATCH (n) RETURN count(n) AS n", {})[0]["n"]
    edges = engine.read("MATCH ()-[r]->() RETURN count(r) AS n", {})[0]["n"]
    return nodes, edges


# --------------------------------------------------------------------------- comparing answers


def _canonical(value: Any) -> Any:
    """A value as comparable text: floats at 12 digits (FalkorDB prints 15), lists as multisets
    (collect() gives no order; the path of path_between is compared in order separately)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(f"{float(value):.12g}") if math.isfinite(float(value)) else str(value)
    if isinstance(value, list):
        return sorted((_canonical(item) for item in value), key=repr)
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    return value


def _rows(rows: list[dict[str, Any]], empty_is_null: bool = False) -> list[dict[str, Any]]:
    return [{key: None if empty_is_null and value == "" else _canonical(value) for key, value in row.items()}
            for row in rows]


def _order_columns(query: CannedQuery, statement: str) -> list[str]:
    """The returned columns the result is sorted by: the final ORDER BY's leading items that are
    columns (sorting by a column both engines return is what the two must agree on; rows tied on
    them may come in either order)."""
    text = statement.split("\n// neo4j:")[0]
    at = text.upper().rfind("ORDER BY")
    if at < 0 or at < text.upper().rfind("WITH "):
        return []
    items = text[at + len("ORDER BY"):].split("LIMIT")[0].split(",")
    columns = []
    for item in items:
        name = item.split()[0] if item.split() else ""
        if name not in query.returns:
            break
        columns.append(name)
    return columns


def assert_same_answer(query: CannedQuery, neo4j: list[dict[str, Any]], embedded: list[dict[str, Any]],
                       what: str, empty_is_null: bool = False) -> None:
    """The same rows (as multisets), and where the query sorts, the same order of its sort columns."""
    a, b = _rows(neo4j, empty_is_null), _rows(embedded, empty_is_null)
    order = _order_columns(query, query.statement)
    if order:
        assert [[row[c] for c in order] for row in a] == [[row[c] for c in order] for row in b], \
            f"{what}: the rows come in another order of {', '.join(order)}"
    a, b = sorted(a, key=repr), sorted(b, key=repr)
    assert a == b, f"{what}: Neo4j {len(a)} rows, embedded {len(b)} rows; first difference: " + next(
        (f"{x} != {y}" for x, y in zip(a, b) if x != y), "in the row count")


def parameter_sets(query: CannedQuery, session: PolicyGraph) -> list[dict[str, Any]]:
    """Parameter sets for any canned query, so a query added to queries/ is covered unchanged:
    its required parameters alone, then every optional one given too. Unit and document
    parameters come from the graph (its most central units, the document of a task they lead),
    others from the header's examples."""
    top = session.cypher("MATCH (u:Unit)-[:LEADS]->(t:Task) RETURN u.id AS id, count(t) AS n, "
                         "min(t.docId) AS doc ORDER BY n DESC, id LIMIT 2")
    task = session.cypher("MATCH (t:Task)-[:PART_OF]->(d:Document) WHERE t.docId = $doc "
                          "RETURN t.id AS id, t.path AS path ORDER BY id LIMIT 1", doc=top[0]["doc"])[0]
    values = {"unit": top[0]["id"], "other": top[1]["id"], "doc": top[0]["doc"], "task": task["id"],
              "path": task["path"]}

    def value(param: Any) -> Any:
        if param.name in values and param.kind in ("unit", "doc", "str"):
            return values[param.name] if param.kind != "unit" or param.name == "other" else values["unit"]
        if param.kind == "unit":
            return values["unit"]
        if param.kind == "doc":
            return values["doc"]
        return param.example or None

    required = {param.name: value(param) for param in query.params if param.required}
    full = {param.name: value(param) for param in query.params}
    if query.name == "task_detail":  # task, or doc + path: two ways to name one task
        required = {"task": values["task"]}
        full = {"doc": values["doc"], "path": values["path"]}
    return [required] if full == required else [required, full]


def _compare_all_queries(neo4j: PolicyGraph, embedded: PolicyGraph, where: str, empty_is_null: bool = False) -> int:
    compared = 0
    for name, query in load_catalog().items():
        for params in parameter_sets(query, embedded):
            a, b = neo4j.query(name, **params), embedded.query(name, **params)
            assert a.columns == b.columns == list(query.returns), name
            if query.variants and not b:  # Neo4j's own statement may reach farther
                continue
            assert_same_answer(query, a, b, f"{where}: {name} {params}", empty_is_null)
            compared += 1
    return compared


# --------------------------------------------------------------------------- the loader


def test_load_into_neo4j_exactly_and_idempotently(out: Path, engine: Neo4jEngine) -> None:
    graph = sample_graph(out)
    first = load_atomically(engine, graph, batch_size=100)
    assert len(first.documents_new) == 5
    assert db_snapshot(engine) == graph_snapshot(graph)
    second = load_atomically(engine, graph, batch_size=100)
    assert len(second.documents_unchanged) == 5
    assert (second.counters.nodes_created, second.counters.relationships_created,
            second.counters.nodes_deleted, second.counters.relationships_deleted) == (0, 0, 0, 0)
    assert db_snapshot(engine) == graph_snapshot(graph)


def test_a_big_load_goes_in_transactions_of_whole_documents(out: Path, engine: Neo4jEngine) -> None:
    """With a small row budget the sample loads as several transactions (one per document or
    so, then the rest); the result is the same graph, and a failure in the third transaction
    leaves the documents of the first two complete and nothing of the others."""
    graph = sample_graph(out)
    assert len(document_groups(graph, group_rows=100)) > 3
    summary = load_atomically(engine, graph, group_rows=100)
    assert len(summary.documents_new) == 5 and not summary.documents_unchanged
    assert db_snapshot(engine) == graph_snapshot(graph)
    _delete_all(engine)
    # a plain Unit holding the id of a unit (a Department, Government, …: primary label not Unit)
    # that a later transaction is the first to bring: that transaction fails on the constraint
    groups = document_groups(graph, group_rows=100)[:-1]

    def first_new_unit(k: int) -> str | None:
        earlier = {node for group in groups[:k] for node in group}
        return next((node for node in sorted(groups[k]) if node not in earlier
                     and "Unit" in (graph.nodes[node].get("labels") or [])
                     and graph.nodes[node].get("label") != "Unit"), None)

    failing = next(k for k in range(1, len(groups)) if first_new_unit(k))
    engine.write("CREATE (:Unit {id: $id, name: 'placeholder'})", {"id": first_new_unit(failing)})
    committed = sum(1 for group in groups[:failing] for _n, d in group.nodes(data=True)
                    if d.get("label") == "Document")
    with pytest.raises(LoadError, match=f"{committed} of 5 documents were committed whole"):
        load_atomically(engine, graph, group_rows=100)
    loaded = {row["sha"] for row in engine.read("MATCH (d:Document) RETURN d.sha256 AS sha", {})}
    assert len(loaded) == committed
    full = graph_snapshot(graph)
    nodes, edges = db_snapshot(engine)
    for sha in loaded:  # each committed document with all its tasks and all its edges
        tasks = {n for n, (labels, props) in full[0].items() if "Task" in labels and props.get("docSha256") == sha}
        assert tasks <= set(nodes)
        owned = {key: props for key, props in full[1].items() if props.get("docSha256") == sha}
        assert owned and {key: edges.get(key) for key in owned} == owned
    assert not {n for n, (labels, props) in nodes.items() if "Task" in labels and props.get("docSha256") not in loaded}


def test_constraints_and_indexes_are_created(out: Path, engine: Neo4jEngine) -> None:
    load_atomically(engine, sample_graph(out))
    constraints = {row["label"]: row["props"] for row in engine.read(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type WHERE type = 'UNIQUENESS' "
        "RETURN labelsOrTypes[0] AS label, properties AS props", {})}
    labels = {label for row in engine.read("MATCH (n) RETURN DISTINCT labels(n) AS l", {}) for label in row["l"]}
    assert labels <= set(constraints) and all(props == ["id"] for props in constraints.values())
    indexed = {(row["label"], row["prop"]) for row in engine.read(
        "SHOW INDEXES YIELD labelsOrTypes, properties, type WHERE type = 'RANGE' "
        "RETURN labelsOrTypes[0] AS label, properties[0] AS prop", {})}
    assert {("Task", "docSha256"), ("Document", "sha256"), ("Document", "file")} <= indexed


def test_changed_document_replaced_in_neo4j(out: Path, engine: Neo4jEngine,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("neo4j_changed") / "data"
    shutil.copytree(DATA, data)
    text = QINGYUAN_2020.read_text(encoding="utf-8")
    (data / QINGYUAN_2020.name).write_text(text.replace("（牵头单位：市科技局，参与单位：市发展改革局、市工业和信息化局、清远高新区、广清产业园）",
                                                         "（牵头单位：市工业和信息化局，参与单位：市发展改革局、市科技局、清远高新区、广清产业园）"),
                                            encoding="utf-8")
    changed = sample_graph(build_sample(tmp_path_factory, data, key="neo4j_changed"))
    load_atomically(engine, sample_graph(out))
    summary = load_atomically(engine, changed)
    assert len(summary.documents_replaced) == 1 and len(summary.documents_unchanged) == 4
    assert db_snapshot(engine) == graph_snapshot(changed)


def _some_department(graph: nx.MultiDiGraph) -> str:
    """A department that leads tasks in the sample (found by kind, not by a fixed id)."""
    return next(node for node, data in sorted(graph.nodes(data=True))
                if "Department" in (data.get("labels") or []) and any(
                    d.get("type") == "LEADS" for _s, _t, d in graph.out_edges(node, data=True)))


def test_a_refused_batch_rolls_the_whole_load_back(out: Path, engine: Neo4jEngine) -> None:
    graph = sample_graph(out)
    # a Unit (not a Department) holding a department's id: the load's MERGE on :Department makes a
    # second node with that id and labels it :Unit too, which the Unit constraint refuses
    engine.ensure_schema(["Unit", "Department"])
    engine.write("CREATE (:Unit {id: $id, name: 'placeholder'})", {"id": _some_department(graph)})
    with pytest.raises(LoadError, match="constraint") as failure:
        load_atomically(engine, graph, batch_size=20)
    message = str(failure.value)
    assert "nothing of this load was committed" in message and "\n" not in message and "batch " in message
    # the batches before the refused one (categories, collectives, …) are gone too
    assert _count(engine) == (1, 0)
    engine.write("MATCH (n:Unit {name: 'placeholder'}) DELETE n", {})
    assert len(load_atomically(engine, graph).documents_new) == 5


class CuttableProxy:
    """A TCP relay on 127.0.0.1 in front of the test server, whose connections can be cut: the
    way a network drops a client's connection mid-load."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_a_dropped_connection_mid_load_leaves_nothing_and_the_next_load_completes(
        out: Path, engine: Neo4jEngine, neo4j_server: Any) -> None:
    graph = sample_graph(out)
    proxy = CuttableProxy(int(neo4j_server.uri.rsplit(":", 1)[1]))
    settings = Neo4jSettings.from_env(uri=f"bolt://127.0.0.1:{proxy.port}")
    batches: list[int] = []

    def cut_at_the_fifth_batch(number: int, total: int, kind: str) -> None:
        batches.append(number)
        if number == 5:
            proxy.cut()

    try:
        with pytest.raises(Neo4jConnectionError, match="lost the connection") as failure:
            load_into_neo4j(graph, settings, batch_size=50, progress=cut_at_the_fifth_batch)
    finally:
        proxy.close()
    assert batches[-1] == 5 and "\n" not in str(failure.value)
    assert settings.password not in str(failure.value)
    assert _count(engine) == (0, 0)  # the server rolled the open transaction back
    summary = load_into_neo4j(graph, Neo4jSettings.from_env(), batch_size=50)
    assert len(summary.documents_new) == 5
    assert db_snapshot(engine) == graph_snapshot(graph)


def test_a_server_dying_mid_load_is_one_line_and_leaves_nothing(out: Path, tmp_path: Path) -> None:
    """`policykg load` while its server is SIGKILLed (at its third write); a server restarted on the
    same data finds nothing of that load, and the next load completes."""
    graph = sample_graph(out)
    home = tmp_path / "neo4j-home"
    first = Neo4jServer.start(home=home)
    try:
        result = subprocess.run(
            [sys.executable, "-c", _KILL_AT_THIRD_WRITE, str(out), str(first.process.pid)],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
            env={**os.environ, **first.env()})
        first.process.wait(60)
    finally:
        first.kill()
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("engine: ")]
    assert len(errors) == 1 and errors[0].startswith("Error: ") and "lost the connection to Neo4j" in errors[0], \
        result.stderr
    assert first.password not in result.stderr
    second = Neo4jServer.start(home=home)
    try:
        with Neo4jEngine(Neo4jSettings(second.uri, second.username, second.password)) as engine:
            assert _count(engine) == (0, 0)
            assert len(load_atomically(engine, graph).documents_new) == 5
            assert db_snapshot(engine) == graph_snapshot(graph)
    finally:
        second.stop()


# `policykg load OUT` in a child process whose Neo4jEngine kills the server (SIGKILL, as a crash
# or an OOM killer would) just before its third write inside the load's transaction.
_KILL_AT_THIRD_WRITE = """
import os, signal, sys, time
from policykg.graph.neo4j_loader import Neo4jEngine
out, pid = sys.argv[1], int(sys.argv[2])
original, writes = Neo4jEngine.write, []
def write(self, statement, params):
    if self._tx is not None:
        writes.append(statement)
        if len(writes) == 3:
            os.kill(pid, signal.SIGKILL)
            time.sleep(1)
    return original(self, statement, params)
Neo4jEngine.write = write
from policykg.cli import main
main(["load", out, "--batch-size", "20"])
"""


def test_routing_uri_and_database_setting(out: Path, engine: Neo4jEngine, neo4j_server: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    routed = neo4j_server.uri.replace("bolt://", "neo4j://")
    monkeypatch.setenv("NEO4J_DATABASE", "neo4j")
    summary = load_into_neo4j(sample_graph(out), Neo4jSettings.from_env(uri=routed))
    assert len(summary.documents_new) == 5 and "database neo4j" in summary.engine
    with connect_neo4j(routed) as session:
        assert session.query("documents") and "neo4j://" in session.engine
    monkeypatch.setenv("NEO4J_DATABASE", "nosuchdb")
    with pytest.raises(QueryError, match="nosuchdb"), connect_neo4j(routed) as session:
        session.query("documents")


# --------------------------------------------------------------------------- the canned queries


def test_every_canned_query_gives_the_embedded_answer(out: Path, engine: Neo4jEngine, tmp_path: Path) -> None:
    load_atomically(engine, sample_graph(out))
    with connect_neo4j() as neo4j, open_embedded(fresh_copy(out, tmp_path)) as embedded:
        assert _compare_all_queries(neo4j, embedded, "sample") >= len(load_catalog())
        with pytest.raises(QueryError, match="read-only"):
            neo4j.cypher("MATCH (n:Task) DETACH DELETE n")


def test_every_canned_query_gives_the_embedded_answer_on_a_bench_corpus(
        corpus_out: Path, engine: Neo4jEngine, tmp_path: Path) -> None:
    graph = sample_graph(corpus_out)
    summary = load_atomically(engine, graph)
    assert len(summary.documents_new) == sum(1 for _n, d in graph.nodes(data=True) if d.get("label") == "Document")
    assert db_snapshot(engine) == graph_snapshot(graph)
    with connect_neo4j() as neo4j, open_embedded(fresh_copy(corpus_out, tmp_path)) as embedded:
        assert _compare_all_queries(neo4j, embedded, f"{BENCH_DOCS}-document corpus") >= len(load_catalog())


def test_every_canned_query_gives_the_embedded_answer_on_the_fixture_plans(
        tmp_path_factory: pytest.TempPathFactory, engine: Neo4jEngine, tmp_path: Path) -> None:
    """The fixture plans (task tables, every deadline form): the samples and the bench corpus
    have no deadlines, so tasks_due is compared here on dates that select tasks, and
    plans_citing on a title the fixture plans cite."""
    out = build_sample(tmp_path_factory, data=ROOT / "tests" / "fixtures" / "plans", key="plans")
    graph = sample_graph(out)
    load_atomically(engine, graph)
    assert db_snapshot(engine) == graph_snapshot(graph)
    catalog = load_catalog()
    cited = sorted(d["name"] for n, d in graph.nodes(data=True) if d.get("label") in ("Plan", "CitedDocument")
                   and any(e.get("type") == "CITES" for _s, _t, e in graph.in_edges(n, data=True)))
    with connect_neo4j() as neo4j, open_embedded(fresh_copy(out, tmp_path)) as embedded:
        assert _compare_all_queries(neo4j, embedded, "fixture plans") >= len(catalog)
        for name, params in [("tasks_due", {"date": "2024-06"}), ("tasks_due", {"date": "2030"}),
                             *[("plans_citing", {"cited": title}) for title in cited[:3]]]:
            rows = embedded.query(name, **params)
            assert rows, f"{name} {params}: no rows on the fixture plans"
            assert_same_answer(catalog[name], neo4j.query(name, **params), rows, f"fixture plans: {name} {params}")


def _unit_task_network(graph: nx.MultiDiGraph) -> nx.Graph:
    network = nx.Graph()
    for source, target, data in graph.edges(data=True):
        if data.get("type") in ("LEADS", "PARTICIPATES_IN"):
            network.add_edge(source, target)
    return network


def test_path_between_is_the_embedded_path_and_reaches_farther(out: Path, engine: Neo4jEngine,
                                                               tmp_path: Path) -> None:
    graph = sample_graph(out)
    load_atomically(engine, graph)
    network = _unit_task_network(graph)
    start = _some_department(graph)
    lengths = nx.single_source_shortest_path_length(network, start)
    units = sorted(n for n in lengths if "Unit" in (graph.nodes[n].get("labels") or []) and n != start)
    far = [unit for unit in units if lengths[unit] > 4]
    assert far, "the sample links some unit to 市科技局 only through three or more tasks"
    with connect_neo4j() as neo4j, open_embedded(fresh_copy(out, tmp_path)) as embedded:
        for other in [unit for unit in units if lengths[unit] <= 4][:6]:
            a, b = neo4j.query("path_between", unit=start, other=other), \
                embedded.query("path_between", unit=start, other=other)
            assert list(a) == list(b) and len(a) == 1  # the same path, in order
        for other in far[:3]:
            assert embedded.query("path_between", unit=start, other=other) == []  # capped at two tasks
            rows = neo4j.query("path_between", unit=start, other=other)
            assert [(row["hops"], row["units"]) for row in rows] == [(lengths[other], lengths[other] // 2 - 1)]
            assert rows[0]["path"][0] == graph.nodes[start]["name"]
            assert rows[0]["path"][-1] == graph.nodes[other]["name"]


def test_neo4j_receives_the_cypher_files_unchanged(out: Path, engine: Neo4jEngine,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """The driver's own log of each Bolt RUN message holds the .cypher file's text verbatim (its
    Neo4j statement where the file has one)."""
    load_atomically(engine, sample_graph(out))
    with connect_neo4j() as session, caplog.at_level(logging.DEBUG, logger="neo4j"):
        for name, query in load_catalog().items():
            caplog.clear()
            session.query(name, **parameter_sets(query, session)[0])
            runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
            assert any(repr(query.statement_for("neo4j")) in message for message in runs), name
            if query.variants:
                assert query.statement_for("neo4j") != query.statement
            assert os.environ["NEO4J_PASSWORD"] not in caplog.text


# --------------------------------------------------------------------------- neo4j-admin export


def _without_empty(snapshot: tuple[dict[Any, Any], dict[Any, Any]]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    # neo4j-admin can store neither "" in a typed column nor an empty array: both import as absent.
    nodes, edges = snapshot
    return ({key: (labels, {k: v for k, v in props.items() if v not in ("", [])})
             for key, (labels, props) in nodes.items()},
            {key: {k: v for k, v in props.items() if v not in ("", [])} for key, props in edges.items()})


def test_neo4j_admin_export_imports_with_neo4j_s_importer(out: Path, tmp_path: Path) -> None:
    """import.sh runs Neo4j's own `neo4j-admin database import full` (the importer of the Maven
    Central jars, behind a `neo4j-admin` on PATH) into a new database; a server started on it
    answers every canned query as the loader's database does."""
    graph = sample_graph(out)
    export = tmp_path / "admin"
    export_neo4j_admin(graph, export)
    home = tmp_path / "imported"
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "neo4j.conf").write_text("", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "neo4j-admin"
    from neo4j_server import admin_command

    shim.write_text("#!/bin/sh\nexec " + " ".join(f"'{part}'" for part in admin_command()) + ' "$@"\n',
                    encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "NEO4J_HOME": str(home),
           "NEO4J_CONF": str(home / "conf")}
    result = subprocess.run(["sh", str(export / "import.sh")], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "IMPORT DONE" in result.stdout + result.stderr
    server = Neo4jServer.start(home=home)
    try:
        # An empty string in a typed column (valueMax: a number or "") and an empty list (a
        # Document's inferred) are imported as no property; so "", [] and null are one here.
        # Every other value comes back as the loader stores it.
        with Neo4jEngine(Neo4jSettings(server.uri, server.username, server.password)) as imported:
            assert _without_empty(db_snapshot(imported)) == _without_empty(graph_snapshot(graph))
        with connect_neo4j(server.uri, server.username, server.password) as on_import, \
                open_embedded(fresh_copy(out, tmp_path)) as embedded:
            assert _compare_all_queries(on_import, embedded, "imported", empty_is_null=True) >= len(load_catalog())
    finally:
        server.stop()


# --------------------------------------------------------------------------- choosing the engine, bad input


POLICYKG = [sys.executable, "-m", "policykg"]


def _cli(*args: str, env: dict[str, str] | None = None, drop_neo4j: bool = False) -> subprocess.CompletedProcess[str]:
    full = {key: value for key, value in os.environ.items() if not (drop_neo4j and key.startswith("NEO4J_"))}
    full.update(env or {})
    return subprocess.run([*POLICYKG, *args], capture_output=True, text=True, timeout=300, env=full, cwd=ROOT)


def test_every_graph_command_follows_neo4j_uri_and_says_which_engine(out: Path, engine: Neo4jEngine,
                                                                      tmp_path: Path) -> None:
    loaded = _cli("load", str(out))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stderr.count("engine: Neo4j") == 1 and "documents: 5 new" in loaded.stdout
    target = fresh_copy(out, tmp_path)
    for args in (("query", "tasks_led_by", "-p", "unit=市科技局", "--format", "json"),
                 ("cypher", "MATCH (d:Document) RETURN count(d) AS n", "--format", "json"),
                 ("tasks", "市科技局", "--format", "json")):
        on_neo4j = _cli(*args, "--out", str(target))
        assert on_neo4j.returncode == 0, on_neo4j.stderr
        assert on_neo4j.stderr.count("engine: Neo4j") == 1, on_neo4j.stderr
        embedded = _cli(*args, "--out", str(target), drop_neo4j=True)
        assert embedded.returncode == 0, embedded.stderr
        assert "engine: embedded" in embedded.stderr
        assert json.loads(on_neo4j.stdout) == json.loads(embedded.stdout), args


def test_load_without_neo4j_says_what_it_does_instead(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    result = _cli("load", str(target), drop_neo4j=True)
    assert result.returncode == 0, result.stderr
    assert "engine: embedded" in result.stderr and "NEO4J_URI" in result.stderr


def test_python_api_follows_neo4j_uri(out: Path, engine: Neo4jEngine, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import policykg

    load_atomically(engine, sample_graph(out))
    with policykg.open(fresh_copy(out, tmp_path)) as session:
        assert session.backend.dialect == "neo4j" and session.query("documents")
    assert "engine: Neo4j" in capsys.readouterr().err
    (tmp_path / "b").mkdir()
    with policykg.open(fresh_copy(out, tmp_path / "b"), neo4j=False) as session:
        assert session.backend.dialect == "falkordb"


def test_wrong_password_is_one_clear_line_and_secret(out: Path) -> None:
    secret = "definitely-not-the-password-42"
    with pytest.raises(Neo4jConnectionError) as failure:
        Neo4jEngine(Neo4jSettings.from_env(password=secret))
    assert "refused the user name or password" in str(failure.value)
    assert secret not in str(failure.value)
    result = _cli("load", str(out), env={"NEO4J_PASSWORD": secret})
    assert result.returncode == 1 and result.stderr.count("\n") <= 2
    assert "refused the user name or password" in result.stderr and secret not in result.stderr
    assert "Traceback" not in result.stderr


def test_server_down_is_one_clear_line(out: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for args in (("load", str(out)), ("query", "documents"), ("tasks", "市科技局", "--out", str(out))):
        result = _cli(*args, env={"NEO4J_URI": f"bolt://127.0.0.1:{port}"})
        assert result.returncode == 1, args
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "Neo4j unreachable at bolt://127.0.0.1" in errors[0], result.stderr
        assert "Traceback" not in result.stderr
