"""How long the embedded server lives: a command-line command leaves it running for the next
command (POLICYKG_SERVER_IDLE seconds), which then only connects; the watchdog stops it when that
time has passed with no command, or when OUT is removed or replaced; `policykg db stop` stops
it at once. Real commands in real processes, a real FalkorDB server; every test stops the
servers it starts (conftest checks that none is left at the end of the run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_db import build_sample, fresh_copy
from conftest_db import run_cli as run
from policykg.graph.embedded import (
    KEEP_NAME,
    LOADED_STAT_KEY,
    EmbeddedServer,
    graph_file_stat,
    server_status,
    stop_server,
)
from policykg.graph.watchdog import process_alive

KEEP_TEN_MINUTES = {"POLICYKG_SERVER_IDLE": "600"}




@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def _gone(pid: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not process_alive(pid)


def _running_pid(out: Path) -> int:
    status = server_status(out)
    assert status["running"], f"no embedded server runs for {out}"
    return int(status["pid"])


def test_a_command_leaves_the_server_running_and_the_next_only_connects(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    first = run("query", "documents", "--out", str(target), "--format", "json", env=KEEP_TEN_MINUTES)
    assert first.returncode == 0, first.stderr
    assert "loaded" in first.stderr
    pid = _running_pid(target)
    try:
        assert server_status(target)["kept_until"] > time.time() + 500
        second = run("query", "documents", "--out", str(target), "--format", "json", env=KEEP_TEN_MINUTES)
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout) == json.loads(first.stdout)
        assert f"using the embedded server already running (pid {pid})" in second.stderr
        assert "loaded" not in second.stderr
        shown = run("db", "status", "--out", str(target))
        assert shown.returncode == 0 and f"pid {pid}" in shown.stdout and "stops after" in shown.stdout
    finally:
        stopped = run("db", "stop", "--out", str(target))
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped the embedded server of {target} (pid {pid})" in stopped.stdout
    assert not process_alive(pid)
    assert not (target / "falkordb" / KEEP_NAME).exists()
    assert "no embedded server runs" in run("db", "status", "--out", str(target)).stdout
    assert "no embedded server runs" in run("db", "stop", str(target)).stdout
    # the graph was saved: the next command starts a server from the dump, without loading
    again = run("query", "documents", "--out", str(target), "--format", "json")
    assert again.returncode == 0 and "loaded" not in again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert not server_status(target)["running"]  # POLICYKG_SERVER_IDLE=0: stopped with the command


def test_the_watchdog_stops_a_server_left_idle_past_its_time(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    done = run("query", "documents", "--out", str(target), env={"POLICYKG_SERVER_IDLE": "1"})
    assert done.returncode == 0, done.stderr
    pid = _running_pid(target)
    try:
        assert _gone(pid), "the idle server was not stopped"
    finally:
        stop_server(target)
    for name in ("falkordb.pid", "falkordb.state", KEEP_NAME):
        assert not (target / "falkordb" / name).exists(), name


def _wait_for_the_loads_save(out: Path, seconds: float = 30.0) -> None:
    """Until the background save of the load a kept command left running has ended (the server
    logs it when its save child has renamed the dump into place): until then the server still
    creates files in OUT/falkordb (the dump; its log, which redis reopens for every line), and a
    removal of the folder that races with them fails with "Directory not empty"."""
    log = out / "falkordb" / "falkordb.log"
    deadline = time.monotonic() + seconds
    while "Background saving terminated" not in log.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, f"the load's background save did not end: {log}"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_server_whose_out_is_removed_or_replaced_stops(out: Path, tmp_path: Path, how: str) -> None:
    target = fresh_copy(out, tmp_path)
    done = run("query", "documents", "--out", str(target), env=KEEP_TEN_MINUTES)
    assert done.returncode == 0, done.stderr
    pid = _running_pid(target)
    moved = tmp_path / "moved"
    try:
        if how == "removed":
            _wait_for_the_loads_save(target)
            shutil.rmtree(target)
        else:  # a new OUT at the same path: nobody can reach the old server any more
            target.rename(moved)
            (fresh_copy(out, tmp_path) / "falkordb").mkdir(mode=0o700)
        assert _gone(pid), f"the server of an OUT {how} kept running"
    finally:
        if process_alive(pid):
            os.kill(pid, 15)
    assert not server_status(target)["running"]


def _replace_out(out: Path, target: Path, tmp_path: Path) -> None:
    """A new OUT at the same path (the old one moved away, as a rebuild into a fresh folder does)."""
    target.rename(tmp_path / "moved")
    assert fresh_copy(out, tmp_path) == target


@pytest.mark.parametrize("old_user", ["stops", "dies"])
def test_the_old_server_of_a_replaced_out_leaves_the_new_servers_socket_alone(
        out: Path, tmp_path: Path, old_user: str) -> None:
    """The old server's user stops it (or dies, and its watchdog stops it) after a new server has
    started in the new OUT at the same path: redis unlinks its socket by path on a clean shutdown,
    which is now the new server's socket; the orphan is killed instead, and the new server stays
    reachable."""
    target = fresh_copy(out, tmp_path)
    holder = None
    if old_user == "stops":
        old = EmbeddedServer(target).start()
        old_pid = old._read_state()["pid"]
    else:  # a process that uses the server and is killed: only the watchdog is left to stop it
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; from policykg.graph.embedded import EmbeddedServer; "
             "EmbeddedServer(sys.argv[1]).start(); print('ready', flush=True); time.sleep(600)", str(target)],
            stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        old_pid = _running_pid(target)
    _replace_out(out, target, tmp_path)
    with EmbeddedServer(target) as new:
        new_pid = new._read_state()["pid"]
        assert new_pid != old_pid
        if holder is not None:
            holder.kill()
            holder.wait()
        else:
            old.stop()
        assert _gone(old_pid), "the old server of a replaced OUT kept running"
        assert new.socket_path.exists(), "the old server removed the new server's socket"
        with EmbeddedServer(target) as third:
            assert f"using the embedded server already running (pid {new_pid})" in third.notes
            assert int(third.reader().info("server")["process_id"]) == new_pid


def test_a_graph_file_with_another_stat_is_hashed_and_a_changed_one_reloaded(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    graph_file = target / "graph.json"
    with EmbeddedServer(target) as server:
        assert server.sync() is not None
        connection = server.client().connection
        assert connection.get(LOADED_STAT_KEY) == graph_file_stat(graph_file)
        assert server.sync() is None  # the recorded stat: current without reading the file
        later = graph_file.stat().st_mtime_ns + 1_000_000_000
        os.utime(graph_file, ns=(later, later))  # the same bytes written again
        assert server.sync() is None
        assert connection.get(LOADED_STAT_KEY) == graph_file_stat(graph_file)
        with graph_file.open("a", encoding="utf-8") as handle:
            handle.write("\n")  # other bytes, the same graph: loaded again
        assert server.sync() is not None
        assert connection.get(LOADED_STAT_KEY) == graph_file_stat(graph_file)


def test_a_bad_idle_timeout_is_one_clear_line(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    done = run("query", "documents", "--out", str(target), env={"POLICYKG_SERVER_IDLE": "soon"})
    assert done.returncode == 1
    assert "POLICYKG_SERVER_IDLE='soon': expected a number of seconds" in done.stderr
    assert not server_status(target)["running"]


def test_db_stop_right_after_a_load_keeps_the_dump(out: Path, tmp_path: Path) -> None:
    """`policykg db stop` while the load's background save may still run saves the graph
    instead of dropping it: the next command starts from the dump, without loading graph.json."""
    target = fresh_copy(out, tmp_path)
    loaded = run("load", "--out", str(target), env=KEEP_TEN_MINUTES)
    assert loaded.returncode == 0, loaded.stderr
    stopped = run("db", "stop", "--out", str(target))
    assert stopped.returncode == 0 and "stopped the embedded server" in stopped.stdout, stopped.stderr
    assert (target / "falkordb" / "graph.rdb").is_file()
    again = run("query", "documents", "--out", str(target), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert "loaded" not in again.stderr and json.loads(again.stdout)


def test_a_loads_background_save_is_finished_by_the_server_and_recorded_once_by_db_stop(
        out: Path, tmp_path: Path) -> None:
    """`policykg load` leaves its background save to the server it leaves running (it does not
    wait for it); `policykg db stop` waits for that save if it still runs, records its digest and
    stops the server without saving the same graph again; the next start reads that dump."""
    from policykg.graph.falkor_server import DIGEST_NAME, DUMP_NAME

    target = fresh_copy(out, tmp_path)
    loaded = run("load", "--out", str(target), env=KEEP_TEN_MINUTES)
    assert loaded.returncode == 0, loaded.stderr
    pid = _running_pid(target)
    try:
        stopped = run("db", "stop", "--out", str(target))
    finally:
        stop_server(target)
    assert stopped.returncode == 0 and f"(pid {pid})" in stopped.stdout, stopped.stderr
    log = (target / "falkordb" / "falkordb.log").read_text(errors="replace")
    assert log.count("DB saved on disk") == 1  # the load's background save, and no other
    st = (target / "falkordb" / DUMP_NAME).stat()
    recorded = (target / "falkordb" / DIGEST_NAME).read_text(encoding="ascii").split()
    assert recorded[3] == f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    again = run("query", "documents", "--out", str(target), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert "loaded" not in again.stderr and "damaged" not in again.stderr and json.loads(again.stdout)


def test_the_watchdog_waits_for_a_dump_being_written(tmp_path: Path) -> None:
    """A save's temp-PID.rdb written to recently holds the watchdog's SIGTERM back; one left by a
    save that died long ago does not; nor one in a folder that is no longer the server's."""
    from policykg.graph.watchdog import SAVE_STALE_SECONDS, _saving, folder_identity

    home = folder_identity(tmp_path)
    assert home is not None and not _saving(tmp_path, home)
    temp = tmp_path / "temp-4242.rdb"
    temp.write_bytes(b"REDIS0012")
    assert _saving(tmp_path, home)
    stale = time.time() - SAVE_STALE_SECONDS - 10
    os.utime(temp, (stale, stale))
    assert not _saving(tmp_path, home)
    os.utime(temp, None)
    assert not _saving(tmp_path, (home[0], home[1] + 1))


def test_a_one_shot_query_runs_without_the_cyclic_collector(tmp_path: Path) -> None:
    """`policykg query` / `cypher` turn the cyclic garbage collector off as they start
    (policykg/early_start.py); other commands keep it."""
    code = ("import sys; sys.argv = ['policykg', *sys.argv[1:]]; import gc, policykg.cli; "
            "print(gc.isenabled())")
    for args, enabled in ((["query", "--list"], "False"), (["cypher", "RETURN 1", "--out", str(tmp_path)], "False"),
                          (["build", "DATA"], "True")):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.strip() == enabled, (args, done.stdout, done.stderr)


def test_query_starts_the_server_before_its_imports_and_uses_that_one(out: Path, tmp_path: Path) -> None:
    """`policykg query NAME` starts the server from its dump first (policykg/early_start.py) and
    its session takes that server: the first call starts it (no "already running" note, the same
    answer as the next call, which only connects)."""
    target = fresh_copy(out, tmp_path)
    assert run("load", "--out", str(target)).returncode == 0  # a dump, no server left running
    assert not server_status(target)["running"]
    first = run("query", "documents", "--out", str(target), "--format", "json", env=KEEP_TEN_MINUTES)
    assert first.returncode == 0, first.stderr
    assert "already running" not in first.stderr and "loaded" not in first.stderr
    pid = _running_pid(target)
    try:
        second = run("query", "documents", "--out", str(target), "--format", "json", env=KEEP_TEN_MINUTES)
        assert f"using the embedded server already running (pid {pid})" in second.stderr
        assert json.loads(second.stdout) == json.loads(first.stdout)
    finally:
        stop_server(target)


def test_a_query_that_fails_before_using_its_early_server_leaves_it_to_the_watchdog(
        out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    assert run("load", "--out", str(target)).returncode == 0
    failed = run("query", "tasks_led_by", "--out", str(target), env=KEEP_TEN_MINUTES)  # no unit given
    assert failed.returncode == 1 and "unit" in failed.stderr
    status = server_status(target)
    try:
        if status["running"]:  # started early: nobody uses it, so the watchdog stops it
            assert _gone(int(status["pid"])), "the server of a failed query kept running"
    finally:
        stop_server(target)
    assert not server_status(target)["running"]


@pytest.mark.parametrize(("args", "expected"), [
    (["query", "documents"], "out"),
    (["query", "documents", "--out", "OUT", "--format", "csv"], "OUT"),
    (["query", "tasks_led_by", "-p", "unit=市科技局", "--out=OUT"], "OUT"),
    (["query", "no_such_query", "--out", "OUT"], None),
    (["query", "documents", "--out", "OUT", "--neo4j"], None),
    (["query", "documents", "--out", "OUT", "--uri=neo4j://127.0.0.1:7687"], None),
    (["query", "documents", "--help", "--out", "OUT"], None),
    (["query", "--list"], None),
    (["cypher", "MATCH (n) RETURN count(n)", "--out", "OUT"], "OUT"),
    (["cypher", "--out", "OUT", "MATCH (n) RETURN count(n)"], None),
    (["load", "--out", "OUT"], None),
    (["query", "documents", "--out", "EMPTY"], None),
])
def test_which_commands_start_their_server_early(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: str | None) -> None:
    from policykg.early_start import query_out_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    shutil.copy(out / "graph.json", tmp_path / "graph.json")
    for folder in ("out", "OUT"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "graph.json").symlink_to(tmp_path / "graph.json")
    (tmp_path / "EMPTY").mkdir()  # no graph.json: the command says so, without a server
    found = query_out_dir(args)
    assert (None if found is None else str(found)) == expected
