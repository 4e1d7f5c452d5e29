"""`policykg load / export / query / cypher` through the real command line, on the embedded
engine with the sample graph; failure paths give one clear line and a non-zero exit."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_db import QINGYUAN_2020, build_sample, fresh_copy, qingyuan_2020_tasks
from conftest_db import run_cli as run
from policykg.queries.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]




@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_query_list_one_line_per_query() -> None:
    result = run("query", "--list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    catalog = load_catalog()
    assert [line.split()[0] for line in lines] == sorted(catalog)
    assert all(catalog[line.split()[0]].description in line for line in lines)


def test_query_loads_on_first_use_and_answers_from_the_text(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    result = run("query", "tasks_led_by", "--param", "unit=市科技局", "--param", f"doc={QINGYUAN_2020.name}",
                 "--out", str(target), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["path"] for row in rows] == [t["path"] for t in qingyuan_2020_tasks() if "市科技局" in t["leads"]]
    assert f"loaded {target / 'graph.json'}" in result.stderr and "市科技局 -> 清远市科学技术局" in result.stderr
    assert (target / "falkordb" / "graph.rdb").is_file()
    assert not (target / "falkordb" / "falkordb.sock").exists()  # stopped cleanly
    again = run("query", "tasks_led_by", "-p", "unit=市科技局", "-p", f"doc={QINGYUAN_2020.name}",
                "--out", str(target), "--format", "csv")
    assert again.returncode == 0 and "loaded " not in again.stderr
    assert again.stdout.splitlines()[0] == "unit,unitId,document,path,title,written"
    assert len(again.stdout.splitlines()) == len(rows) + 1


def test_load_then_load_again_reports_nothing_changed(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    first = run("load", str(target), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert len(summary["documentsNew"]) == 5 and summary["counters"]["nodes_created"] > 0
    second = run("load", str(target))
    assert second.returncode == 0 and "already loaded" in second.stdout
    forced = run("load", str(target), "--force", "--batch-size", "25", "--json")
    summary = json.loads(forced.stdout)
    assert len(summary["documentsUnchanged"]) == 5 and not summary["documentsNew"] + summary["documentsReplaced"]
    # the embedded engine builds its staging graph afresh from graph.json: the whole graph again
    assert (summary["counters"]["nodes_created"], summary["counters"]["relationships_created"]) == (
        summary["nodesInGraph"], summary["edgesInGraph"])


def test_cypher_reads_and_refuses_writes(out: Path) -> None:
    result = run("cypher", "MATCH (d:Document) WHERE d.periodEnd >= $year RETURN count(d) AS n",
                 "-p", "year=2022", "--out", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 2}]
    refused = run("cypher", "MATCH (n) DETACH DELETE n", "--out", str(out))
    assert refused.returncode == 1 and "read-only" in refused.stderr
    still = run("cypher", "MATCH (n) RETURN count(n) AS n", "--out", str(out), "--format", "json")
    assert json.loads(still.stdout)[0]["n"] > 0
    slow = run("cypher", "UNWIND range(1, 50000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x) AS n",
               "--out", str(out), "--timeout", "0.05")
    assert slow.returncode == 1 and "longer than 50 ms" in slow.stderr


def test_query_errors_are_one_clear_line(out: Path, tmp_path: Path) -> None:
    unknown = run("query", "no_such_query", "--out", str(out))
    assert unknown.returncode == 1 and "no canned query named 'no_such_query'" in unknown.stderr
    missing = run("query", "tasks_led_by", "--out", str(out))
    assert missing.returncode == 1 and "missing parameter unit" in missing.stderr
    nobody = run("query", "tasks_led_by", "-p", "unit=不存在的局", "--out", str(out))
    assert nobody.returncode == 1 and "no unit in the graph matches '不存在的局'" in nobody.stderr
    no_graph = run("query", "documents", "--out", str(tmp_path / "empty"))
    assert no_graph.returncode == 1 and "graph.json: no graph file" in no_graph.stderr


def test_embedded_server_that_cannot_start(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    (target / "falkordb").mkdir()
    (target / "falkordb" / "falkordb.log").mkdir()  # the server cannot open its log file
    result = run("query", "documents", "--out", str(target))
    assert result.returncode == 1
    assert "embedded FalkorDB server failed to start" in result.stderr and "Traceback" not in result.stderr


def test_a_damaged_store_is_repaired_from_graph_json(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    assert run("load", str(target)).returncode == 0
    dump = target / "falkordb" / "graph.rdb"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 3])  # truncated (a full disk, a crash)
    result = run("query", "documents", "--out", str(target), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 5
    assert "damaged" in result.stderr and "reloaded the graph from graph.json" in result.stderr
    assert (target / "falkordb" / "graph.rdb.damaged").is_file()


def test_constraint_violation_on_load_is_reported_and_rolled_back(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    assert run("load", str(target)).returncode == 0
    before = run("query", "documents", "--out", str(target), "--format", "json")
    # a graph.json that names one unit twice: the uniqueness constraint fails the load as a whole
    lines = (target / "graph.json").read_text(encoding="utf-8").splitlines(keepends=True)
    unit = next(i for i, line in enumerate(lines) if '"id":"dept:441800:财政局"' in line)
    (target / "graph.json").write_text("".join([*lines[:unit + 1], lines[unit], *lines[unit + 1:]]), encoding="utf-8")
    result = run("load", str(target), "--force")
    assert result.returncode == 1
    assert "duplicate ids for Department" in result.stderr and "uniqueness constraint" in result.stderr
    assert "Traceback" not in result.stderr
    from policykg.graph.embedded import EmbeddedServer

    with EmbeddedServer(target) as server:  # the graph loaded before is still there
        kept = server.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})
    assert kept == [{"n": len(json.loads(before.stdout))}] and kept[0]["n"] == 5


def test_neo4j_unreachable_is_clear_and_never_shows_the_password(out: Path) -> None:
    secret = "s3cret-Passw0rd"
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}", "NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": secret}
    for args in (("load", str(out), "--neo4j"), ("query", "documents", "--neo4j"),
                 ("cypher", "MATCH (n) RETURN n LIMIT 1", "--neo4j")):
        result = run(*args, env=env)
        assert result.returncode == 1, args
        assert "Neo4j unreachable at bolt://127.0.0.1" in result.stderr
        assert secret not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
    flagged = run("query", "documents", "--uri", env["NEO4J_URI"], "--password", secret)
    assert flagged.returncode == 1 and secret not in flagged.stderr + flagged.stdout
    # `policykg load OUT` goes to Neo4j whenever NEO4J_URI is set; --embedded keeps it local
    implicit = run("load", str(out), env=env)
    assert implicit.returncode == 1 and "Neo4j unreachable" in implicit.stderr


def test_neo4j_without_uri_says_how_to_set_it() -> None:
    result = run("query", "documents", "--neo4j")
    assert result.returncode == 1 and "NEO4J_URI" in result.stderr


def test_export_neo4j_admin_cli(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "admin"
    result = run("export", "neo4j-admin", str(out), "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    assert (dest / "import.sh").is_file() and (dest / "load.cypher").is_file()
    assert sorted(p.name for p in dest.glob("nodes_*.csv")) and sorted(dest.glob("relationships_*.csv"))
    bad = run("export", "neo4j-admin", str(tmp_path / "nothing"))
    assert bad.returncode == 1 and "no graph file" in bad.stderr


def test_notebook_example_runs(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "notebook_queries.py"), str(target)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "tasks_led_by" in result.stdout and "清远市科学技术局" in result.stdout
    assert not (target / "falkordb" / "falkordb.sock").exists()
