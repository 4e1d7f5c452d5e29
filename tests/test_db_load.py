"""The loader on the embedded engine (a real FalkorDB server) with the statements the Neo4j path
sends: exact contents, idempotency, per-document replacement, failed batches, the server's
lifecycle (persistence, a crash's leftovers, a server that cannot start), the neo4j-admin export."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from conftest_db import (
    DATA,
    QINGYUAN_2020,
    build_sample,
    db_snapshot,
    fresh_copy,
    graph_snapshot,
    sample_graph,
    scratch_server,
)
from policykg.graph.cypher_load import LoadError, load_graph, prepare_graph
from policykg.graph.embedded import EmbeddedError, EmbeddedServer
from policykg.graph.neo4j_admin import export_neo4j_admin

ORIGINAL_CLAUSE = "（牵头单位：市科技局，参与单位：市发展改革局、市工业和信息化局、清远高新区、广清产业园）"
CHANGED_CLAUSE = "（牵头单位：市工业和信息化局，参与单位：市发展改革局、市科技局、清远高新区、广清产业园）"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


@pytest.fixture(scope="module")
def changed_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with one document edited: task 三.(一).1 of the 清远 2020 draft gets another lead."""
    data = tmp_path_factory.mktemp("changed_data") / "data"
    shutil.copytree(DATA, data)
    text = QINGYUAN_2020.read_text(encoding="utf-8")
    assert text.count(ORIGINAL_CLAUSE) == 1
    (data / QINGYUAN_2020.name).write_text(text.replace(ORIGINAL_CLAUSE, CHANGED_CLAUSE), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def changed_out(tmp_path_factory: pytest.TempPathFactory, changed_data: Path) -> Path:
    return build_sample(tmp_path_factory, changed_data, key="changed")


@pytest.fixture(scope="module")
def changed_only_out(tmp_path_factory: pytest.TempPathFactory, changed_data: Path) -> Path:
    """A corpus of the edited document alone (what a user loads to update one document)."""
    data = tmp_path_factory.mktemp("changed_only") / "data"
    data.mkdir()
    shutil.copy2(changed_data / QINGYUAN_2020.name, data)
    shutil.copy2(changed_data / "manifest.json", data)  # same metadata as in the full corpus
    return build_sample(tmp_path_factory, data, key="changed_only")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    yield from scratch_server(tmp_path)


def _doc_sha(graph: nx.MultiDiGraph, file: str) -> str:
    return next(d["sha256"] for _n, d in graph.nodes(data=True) if d.get("label") == "Document" and d.get("file") == file)


# --------------------------------------------------------------------------- contents and idempotency


def test_loaded_database_holds_exactly_the_graph(out: Path, tmp_path: Path) -> None:
    graph = sample_graph(out)
    with EmbeddedServer(fresh_copy(out, tmp_path)) as running:
        summary = running.sync()
        assert summary is not None and len(summary.documents_new) == 5
        assert summary.counters.nodes_created == graph.number_of_nodes()
        assert summary.counters.relationships_created == graph.number_of_edges()
        assert db_snapshot(running.engine()) == graph_snapshot(graph)


def test_loading_twice_changes_nothing(out: Path, server: EmbeddedServer) -> None:
    graph = sample_graph(out)
    engine = server.engine()
    first = load_graph(engine, graph, batch_size=50)
    before = db_snapshot(engine)
    second = load_graph(engine, graph, batch_size=50)
    assert len(first.documents_new) == 5 and len(second.documents_unchanged) == 5
    counters = second.counters
    assert (counters.nodes_created, counters.nodes_deleted, counters.relationships_created,
            counters.relationships_deleted, counters.properties_set) == (0, 0, 0, 0, 0)
    assert db_snapshot(engine) == before == graph_snapshot(graph)


def test_batch_size_does_not_change_the_result(out: Path, server: EmbeddedServer) -> None:
    graph = sample_graph(out)
    engine = server.engine()
    summary = load_graph(engine, graph, batch_size=7)
    assert summary.batches > len(prepare_graph(graph).node_groups) + 100
    assert db_snapshot(engine) == graph_snapshot(graph)


# --------------------------------------------------------------------------- per-document replacement


def _restricted(snapshot: tuple[dict, dict], shas: set[str]) -> tuple[dict, dict]:
    """Document and Task nodes and edges of the documents with these sha256s."""
    nodes, edges = snapshot
    return ({node_id: value for node_id, value in nodes.items()
             if value[1].get("label") in ("Document", "Task") and value[1].get("docSha256", value[1].get("sha256")) in shas},
            {key: props for key, props in edges.items() if props.get("docSha256") in shas})


def test_reloading_a_changed_document_replaces_it_and_keeps_the_others(
        out: Path, changed_out: Path, server: EmbeddedServer) -> None:
    old, new = sample_graph(out), sample_graph(changed_out)
    old_sha, new_sha = _doc_sha(old, QINGYUAN_2020.name), _doc_sha(new, QINGYUAN_2020.name)
    assert old_sha != new_sha
    others = {d["sha256"] for _n, d in old.nodes(data=True) if d.get("label") == "Document"} - {old_sha}
    assert _restricted(graph_snapshot(old), others) == _restricted(graph_snapshot(new), others)
    engine = server.engine()
    load_graph(engine, old)
    before = db_snapshot(engine)
    summary = load_graph(engine, new)  # the Neo4j path: prune=False
    assert summary.documents_replaced == [next(d["name"] for _n, d in new.nodes(data=True) if d.get("sha256") == new_sha)]
    assert len(summary.documents_unchanged) == 4 and summary.documents_new == []
    after = db_snapshot(engine)
    assert after == graph_snapshot(new)
    assert _restricted(after, others) == _restricted(before, others)
    assert not any(old_sha in str(props) for props in after[1].values())
    rows = engine.read("MATCH (u:Unit)-[:LEADS]->(t:Task {path: $path})-[:PART_OF]->(d:Document {sha256: $sha}) "
                       "RETURN u.id AS id", {"path": "三.(一).1", "sha": new_sha})
    assert [row["id"] for row in rows] == ["dept:441800:工业和信息化局"]


def test_loading_one_changed_document_alone_leaves_every_other_document(
        out: Path, changed_out: Path, changed_only_out: Path, server: EmbeddedServer) -> None:
    old, new, alone = sample_graph(out), sample_graph(changed_out), sample_graph(changed_only_out)
    assert [d["file"] for _n, d in alone.nodes(data=True) if d.get("label") == "Document"] == [QINGYUAN_2020.name]
    engine = server.engine()
    load_graph(engine, old)
    summary = load_graph(engine, alone)
    assert len(summary.documents_replaced) == 1 and summary.documents_unchanged == []
    all_shas = {d["sha256"] for _n, d in new.nodes(data=True) if d.get("label") == "Document"}
    assert _restricted(db_snapshot(engine), all_shas) == _restricted(graph_snapshot(new), all_shas)
    assert engine.read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5


def test_embedded_sync_follows_graph_json_and_prunes_removed_documents(
        out: Path, changed_only_out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        assert running.sync() is not None
        assert running.sync() is None  # graph.json unchanged: nothing to do
        shutil.copy2(changed_only_out / "graph.json", target / "graph.json")
        summary = running.sync()
        assert summary is not None and len(summary.documents_removed) == 4
        assert db_snapshot(running.engine()) == graph_snapshot(sample_graph(changed_only_out))


# --------------------------------------------------------------------------- failures


def test_a_constraint_violation_rolls_the_batch_back_and_says_so(out: Path, server: EmbeddedServer) -> None:
    graph = sample_graph(out)
    engine = server.engine()
    engine.ensure_schema(prepare_graph(graph).labels)
    # a node of another kind holding a unit's id (e.g. loaded by an older resolver)
    engine.write("CREATE (:Firm:Unit {id: $id, name: 'conflict'})", {"id": "dept:441800:科学技术局"})
    with pytest.raises(LoadError) as failure:
        load_graph(engine, graph)
    message = str(failure.value)
    assert "unique constraint" in message and "rolled back" in message and "Department" in message
    # the whole batch holding that unit is absent, not part of it
    [batch_ids] = [[row["id"] for row in rows] for rows in prepare_graph(graph).node_groups.values()
                   if any(row["id"] == "dept:441800:科学技术局" for row in rows)]
    assert len(batch_ids) > 1
    found = engine.read("MATCH (n) WHERE n.id IN $ids RETURN n.id AS id, n.name AS name", {"ids": batch_ids})
    assert found == [{"id": "dept:441800:科学技术局", "name": "conflict"}]


def test_a_failed_embedded_load_keeps_the_previous_graph(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        running.sync()
        before = db_snapshot(running.engine())
        # a graph.json that names one unit twice: the staging graph's uniqueness constraint on the
        # id fails after every batch has loaded, so the load fails as a whole
        lines = (target / "graph.json").read_text(encoding="utf-8").splitlines(keepends=True)
        unit = next(i for i, line in enumerate(lines) if '"id":"dept:441800:发展和改革局"' in line)
        (target / "graph.json").write_text("".join([*lines[:unit + 1], lines[unit], *lines[unit + 1:]]),
                                           encoding="utf-8")
        with pytest.raises(LoadError, match="duplicate ids for Department"):
            running.sync(batch_size=10)
        assert db_snapshot(running.engine()) == before
        assert "policykg_staging" not in running.graph_names()


def test_an_id_given_to_nodes_of_labels_in_common_with_none_fails_the_embedded_load(out: Path, tmp_path: Path) -> None:
    # a uniqueness constraint per label would let a Department and an Indicator share an id (and
    # the load's relationships, which name their ends by id, would find one of them): the load
    # checks every id unique whatever its labels, before anything is sent
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        running.sync()
        before = db_snapshot(running.engine())
        lines = (target / "graph.json").read_text(encoding="utf-8").splitlines(keepends=True)
        unit = next(i for i, line in enumerate(lines) if '"id":"dept:441800:发展和改革局"' in line)
        indicator = json.loads(lines[unit].rstrip().rstrip(","))
        indicator.update(label="Indicator", labels=["Indicator"])
        lines.insert(unit + 1, json.dumps(indicator, ensure_ascii=False) + ",\n")
        (target / "graph.json").write_text("".join(lines), encoding="utf-8")
        with pytest.raises(LoadError) as failure:
            running.sync()
        message = str(failure.value)
        assert "duplicate ids for" in message and "uniqueness constraint" in message
        assert "'dept:441800:发展和改革局' as Department:Unit and Indicator" in message
        assert db_snapshot(running.engine()) == before
        assert "policykg_staging" not in running.graph_names()


def test_server_that_cannot_start_is_a_clear_error(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    (target / "falkordb").mkdir()
    (target / "falkordb" / "falkordb.log").mkdir()  # the server cannot open its log file
    (target / "falkordb" / "graph.rdb").write_bytes(b"REDIS0011 this is not a dump" * 10)
    with pytest.raises(EmbeddedError, match="failed to start"):
        EmbeddedServer(target, start_timeout=10).start()
    # not the dump's fault: it is left where it was
    assert (target / "falkordb" / "graph.rdb").read_bytes().startswith(b"REDIS0011 this is not")


def test_a_dump_that_is_not_a_dump_is_moved_aside_and_the_graph_reloaded(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    (target / "falkordb").mkdir()
    (target / "falkordb" / "graph.rdb").write_bytes(b"REDIS0011 this is not a dump" * 10)
    with EmbeddedServer(target, start_timeout=10) as server:
        assert any("damaged" in note for note in server.notes)
        assert server.sync() is not None  # reloaded from graph.json
        assert server.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5
    assert (target / "falkordb" / "graph.rdb.damaged").is_file()


def test_stale_socket_and_pid_of_a_crashed_server_are_cleaned_up(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    crashed = EmbeddedServer(target).start()
    crashed.sync()
    assert crashed.wait_saved()  # the load saves in the background: the crash comes after it
    assert crashed.process is not None
    pid = crashed.process.pid
    os.kill(pid, signal.SIGKILL)  # the server we started, by its pid
    crashed.process.wait()
    crashed._leave()  # as its user's lock goes when a process dies (else the new server waits for it)
    assert crashed.socket_path.exists() and crashed.pid_path.exists()
    with EmbeddedServer(target) as restarted:
        assert restarted.owned
        assert any("crashed" in note for note in restarted.notes)
        assert any("stale socket" in note for note in restarted.notes)
        # the dump saved after the load survives the crash: no reload needed
        assert restarted.sync() is None
        assert restarted.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5


def test_a_running_server_is_shared_and_stopped_by_its_starter_only(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    first = EmbeddedServer(target).start()
    try:
        first.sync()
        with EmbeddedServer(target) as second:
            assert not second.owned
            assert second.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5
        assert first.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5
    finally:
        first.stop()
    assert not first.socket_path.exists()
    assert (target / "falkordb" / "graph.rdb").is_file()
    with EmbeddedServer(target) as again:  # persisted in OUT: back without a reload
        assert again.owned and again.sync() is None


def test_a_server_whose_users_are_gone_is_stopped_by_its_watchdog(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    left = EmbeddedServer(target).start()
    left.sync()
    assert left.process is not None
    left._leave()  # its user goes away without stopping it (as a killed process does)
    assert left.process.wait(timeout=30) == 0  # SIGTERM from the watchdog: a clean exit
    assert not left.socket_path.exists()
    with EmbeddedServer(target) as again:  # the dump saved after the load is there
        assert again.owned and again.sync() is None


def test_no_tcp_port_and_a_socket_under_out(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        assert running.socket_path.parent == target.resolve() / "falkordb"
        config = running.client().connection.config_get("port")
        assert config["port"] == "0"


def test_an_out_too_deep_for_a_unix_socket_still_works(out: Path, tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    shutil.copy2(out / "graph.json", deep / "graph.json")
    with EmbeddedServer(deep) as running:
        assert len(str(running.socket_path)) <= 100
        assert running.sync() is not None
    assert (deep / "falkordb" / "graph.rdb").is_file()


# --------------------------------------------------------------------------- neo4j-admin export


def test_neo4j_admin_export_headers_and_counts(out: Path, tmp_path: Path) -> None:
    graph = sample_graph(out)
    written = export_neo4j_admin(graph, tmp_path / "admin")
    node_files = [path for path in written if path.name.startswith("nodes_")]
    rel_files = [path for path in written if path.name.startswith("relationships_")]
    node_count = edge_count = 0
    for path in node_files:
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert rows[0][:2] == ["id:ID", ":LABEL"]
        assert all(len(row) == len(rows[0]) for row in rows)
        node_count += len(rows) - 1
        if path.name == "nodes_Department_Unit.csv":
            assert "aliases:string[]" in rows[0] and "docs:string[]" in rows[0]
    for path in rel_files:
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert rows[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
        edge_count += len(rows) - 1
        if path.name == "relationships_TARGETS.csv":
            assert "year:long" in rows[0]
    assert (node_count, edge_count) == (graph.number_of_nodes(), graph.number_of_edges())
    script = (tmp_path / "admin" / "import.sh").read_text(encoding="utf-8")
    assert "neo4j-admin database import full" in " ".join(script.split("\\\n"))
    assert all(f"--nodes={path.name}" in script for path in node_files)


def test_neo4j_admin_cypher_script_rebuilds_the_graph(out: Path, tmp_path: Path, server: EmbeddedServer) -> None:
    """load.cypher's MERGE statements (rows as literals), run on FalkorDB, give the same graph."""
    graph = sample_graph(out)
    export_neo4j_admin(graph, tmp_path / "admin")
    script = (tmp_path / "admin" / "load.cypher").read_text(encoding="utf-8")
    statements = [s.strip() for s in script.split(";\n") if s.strip() and not s.strip().startswith("//")]
    engine = server.engine()
    schema = [s for s in statements if s.startswith("CREATE ")]
    assert schema and all("IF NOT EXISTS" in s for s in schema)
    started = time.perf_counter()
    for statement in statements:
        if not statement.startswith("CREATE "):
            engine.write(statement.rstrip(";"), {})
    assert time.perf_counter() - started < 60
    assert db_snapshot(engine) == graph_snapshot(graph)


def test_every_kind_of_character_loads_as_written(tmp_path: Path) -> None:
    """What the CREATE batches of the embedded load write comes back exactly: control characters,
    quotes, backslashes, line separators, astral characters, spaces around a text."""
    from policykg.graph.export import write_graph_elements

    texts = ["（牵头单位：市科技局）\x0b第二行", 'q"x', "back\\slash", "\\u000b as text", "\\\x0b", "\b\r\t\n\x0c",
             "\x01\x1f\x7f", "\u2028\u2029", "emoji😀", "", " 前后空格 ", '{"k":1}', 'x,"y":', "end\\"]
    sha = "ab" * 32
    nodes = [("doc:" + sha[:16], {"label": "Document", "labels": ["Document"], "name": "规划", "file": "a.txt",
                                  "sha256": sha, "docSha256": sha, "current": True})]
    nodes += [(f"task:{sha[:16]}:{i}", {"label": "Task", "labels": ["Task"], "path": str(i), "quote": text,
                                        "docId": "doc:" + sha[:16], "docSha256": sha, "start": i, "end": i + 1})
              for i, text in enumerate(texts)]
    edges = [(f"task:{sha[:16]}:{i}", "doc:" + sha[:16], "PART_OF:0", {"type": "PART_OF", "docSha256": sha})
             for i in range(len(texts))]
    out = tmp_path / "out"
    out.mkdir()
    with (out / "graph.json").open("w", encoding="utf-8") as handle:
        write_graph_elements(handle, {}, iter(nodes), iter(edges))
    with EmbeddedServer(out) as running:
        assert running.sync() is not None
        rows = running.engine().read("MATCH (t:Task) RETURN t.path AS path, t.quote AS quote", {})
        assert {int(row["path"]): row["quote"] for row in rows} == dict(enumerate(texts))


def test_a_graph_json_found_current_by_its_hash_keeps_its_new_stat_past_a_watchdog_stop(out: Path,
                                                                                         tmp_path: Path) -> None:
    """graph.json touched (or OUT copied): the first command hashes it, finds the graph current
    and records the new stat. That record is saved, so a server the watchdog stops (SIGTERM,
    which does not save) still knows it, and the next start needs no hash."""
    from policykg.graph.falkor_server import graph_file_stat

    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as first:
        assert first.sync() is not None
    graph_file = target / "graph.json"
    os.utime(graph_file, ns=(graph_file.stat().st_atime_ns, graph_file.stat().st_mtime_ns + 10**9))
    left = EmbeddedServer(target).start()
    assert left.sync() is None  # current by its hash
    assert left.wait_saved()
    assert left.process is not None
    left._leave()  # its user goes away: the watchdog's SIGTERM stops it
    assert left.process.wait(timeout=30) == 0
    with EmbeddedServer(target) as again:
        assert again._loaded()[1] == graph_file_stat(graph_file) and again.current_by_stat()
