"""The embedded server reads its dump without a CRC (--rdbchecksum no, graph/falkor_server.py):
policykg checks the dump itself against the digest it recorded after the save, while the server
reads it. A real FalkorDB server, real damage: a dump that does not match (flipped bytes, cut
short, another OUT's digest, none at all) is refused before any query, moved aside, and the graph
loaded again from graph.json; a dump saved by a process that died before recording its digest is
saved again and recorded by the next stop."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_db import build_sample, fresh_copy
from conftest_db import run_cli as run
from policykg.graph.embedded import EmbeddedServer
from policykg.graph.falkor_server import DIGEST_NAME, DUMP_NAME, FalkorServer

TITLES = "MATCH (d:Document) RETURN d.name AS title ORDER BY title"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def loaded(target: Path) -> list[str]:
    """Load OUT's graph.json into its embedded store (the server stopped after); the titles."""
    with EmbeddedServer(target) as server:
        assert server.sync() is not None
        return [row["title"] for row in server.engine().read(TITLES, {})]


def titles_after_start(target: Path) -> tuple[list[str], list[str], bool]:
    """(titles, notes, whether graph.json was loaded again) of a fresh start of OUT's server."""
    with EmbeddedServer(target) as server:
        reloaded = server.sync() is not None
        return [row["title"] for row in server.engine().read(TITLES, {})], list(server.notes), reloaded


def test_a_load_records_the_digest_and_the_next_start_uses_the_dump(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    titles = loaded(target)
    digest = target / "falkordb" / DIGEST_NAME
    assert digest.is_file() and stat.S_IMODE(digest.stat().st_mode) == 0o600
    kind, _hex, size, _stat = digest.read_text(encoding="ascii").split()
    assert kind == "xxh3-128" and int(size) == (target / "falkordb" / DUMP_NAME).stat().st_size
    again, notes, reloaded = titles_after_start(target)
    assert again == titles and not reloaded and not any("damaged" in note for note in notes)
    assert not (target / "falkordb" / f"{DUMP_NAME}.damaged").exists()


def test_a_flipped_byte_is_refused_and_never_answered_from(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    titles = loaded(target)
    dump = target / "falkordb" / DUMP_NAME
    # the last character of a document title changed wherever the dump holds it, in place (same
    # size): the server itself (no CRC) would read this dump as a graph with another title
    written = titles[0].encode("utf-8")
    changed = written[:-3] + ("乙" if not titles[0].endswith("乙") else "甲").encode("utf-8")
    assert len(changed) == len(written)
    whole = dump.read_bytes()
    assert written in whole
    data = whole.replace(written, changed)
    dump.write_bytes(data)
    again, notes, reloaded = titles_after_start(target)
    assert reloaded and again == titles  # the graph from graph.json, not the damaged title
    assert any("damaged" in note and "does not match" in note for note in notes)
    assert (target / "falkordb" / f"{DUMP_NAME}.damaged").read_bytes() == data  # moved aside, kept
    # the reload recorded the new dump: the start after uses it
    assert titles_after_start(target)[1:] == ([], False)


def test_a_truncated_dump_is_refused_before_the_server_reads_it(out: Path, tmp_path: Path) -> None:
    target = fresh_copy(out, tmp_path)
    titles = loaded(target)
    dump = target / "falkordb" / DUMP_NAME
    whole = dump.read_bytes()
    dump.write_bytes(whole[: len(whole) - 9])  # only the end cut: every record of the graph is still there
    again, notes, reloaded = titles_after_start(target)
    assert reloaded and again == titles
    assert any("truncated" in note for note in notes)
    assert (target / "falkordb" / f"{DUMP_NAME}.damaged").read_bytes() == whole[: len(whole) - 9]


def crc64_redis(data: bytes) -> int:
    """CRC-64/Jones as redis ends its dumps with (reflected, init 0), bit by byte: slow, for tests."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95AC9329AC4BC9B5 if crc & 1 else crc >> 1
        table.append(crc)
    crc = 0
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def test_a_dump_of_an_older_policykg_is_checked_by_its_crc_once_then_by_its_digest(out: Path, tmp_path: Path) -> None:
    assert crc64_redis(b"123456789") == 0xE9C6D914C4B8D9CA  # the CRC's check value
    target = fresh_copy(out, tmp_path)
    titles = loaded(target)
    dump = target / "falkordb" / DUMP_NAME
    body = dump.read_bytes()[:-8]
    assert dump.read_bytes()[-8:] == bytes(8)  # saved with --rdbchecksum no
    (target / "falkordb" / DIGEST_NAME).unlink()
    # as an older policykg saved it: a CRC64 at the end, no digest; one byte of a title changed
    # in it is refused by the server itself (the dump moved aside, the graph reloaded) ...
    written = titles[0].encode("utf-8")
    changed = written[:-3] + ("乙" if not titles[0].endswith("乙") else "甲").encode("utf-8")
    dump.write_bytes(body.replace(written, changed) + crc64_redis(body).to_bytes(8, "little"))
    again, notes, reloaded = titles_after_start(target)
    assert reloaded and again == titles and any("could not read it" in note for note in notes)
    # ... and a sound one is used without a reload, and its digest recorded for the next start
    (target / "falkordb" / DIGEST_NAME).unlink()
    dump.write_bytes(body + crc64_redis(body).to_bytes(8, "little"))
    again, notes, reloaded = titles_after_start(target)
    assert not reloaded and again == titles and notes == []
    assert (target / "falkordb" / DIGEST_NAME).is_file()
    assert titles_after_start(target)[1:] == ([], False)


def test_a_dump_without_a_digest_or_with_another_dumps_digest_is_reloaded(out: Path, tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = fresh_copy(out, tmp_path / "first")
    titles = loaded(first)
    (first / "falkordb" / DIGEST_NAME).unlink()  # as a dump saved before policykg checked its dumps
    again, notes, reloaded = titles_after_start(first)
    assert reloaded and again == titles and any("no digest" in note for note in notes)
    # another OUT's digest (same graph.json, another dump) in place of this one's
    second = fresh_copy(out, tmp_path / "second")
    loaded(second)
    (second / "falkordb" / DIGEST_NAME).write_bytes((first / "falkordb" / DIGEST_NAME).read_bytes())
    second_dump = (second / "falkordb" / DUMP_NAME).read_bytes()
    if second_dump == (first / "falkordb" / DUMP_NAME).read_bytes():
        pytest.fail("the two loads wrote the same dump: this test needs two different ones")
    again, notes, reloaded = titles_after_start(second)
    assert reloaded and again == titles and any("does not match" in note for note in notes)


@pytest.mark.parametrize("stopped_by", ["db stop", "watchdog"])
def test_a_dump_whose_loader_died_before_recording_it_is_recorded_when_the_server_stops(
        out: Path, tmp_path: Path, stopped_by: str) -> None:
    target = fresh_copy(out, tmp_path)
    # a load whose process dies right after it (its background save runs on in the server) ...
    died = subprocess.run([sys.executable, "-c", "import os\n"
                           "from policykg.graph.embedded import EmbeddedServer\n"
                           f"server = EmbeddedServer({str(target)!r}).start()\n"
                           "server.sync()\n"
                           "assert server.wait_saved()\n"
                           "os._exit(0)"], capture_output=True, text=True, timeout=300)
    assert died.returncode == 0, died.stderr
    # ... before it recorded the digest of that save
    (target / "falkordb" / DIGEST_NAME).unlink()
    state = json.loads((target / "falkordb" / "falkordb.state").read_text(encoding="utf-8"))
    if stopped_by == "db stop":
        (target / "falkordb" / "falkordb.keep").write_text(f"{time.time() + 600}\n", encoding="ascii")  # not the watchdog
        stopped = run("db", "stop", "--out", str(target))
        assert stopped.returncode == 0, stopped.stderr
    else:  # nobody uses the server: its watchdog stops it (and records the dump once the server has exited)
        deadline = time.monotonic() + 60
        while (target / "falkordb" / "falkordb.state").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        while watchdog_alive(state["watchdog"]) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert (target / "falkordb" / DIGEST_NAME).is_file()
    titles, notes, reloaded = titles_after_start(target)
    assert not reloaded and len(titles) == 5 and notes == []


def watchdog_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return "\tZ" not in Path(f"/proc/{pid}/status").read_text()


def dump_stat(target: Path) -> str:
    st = (target / "falkordb" / DUMP_NAME).stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def test_a_copied_outs_dump_is_recorded_under_its_new_stat_and_not_saved_again(out: Path, tmp_path: Path) -> None:
    """A copy of OUT (another inode, the same bytes): the start that checks its dump against the
    digest records it under the copy's stat, so the last user's stop does not save the
    unchanged graph again to get a digest."""
    (tmp_path / "first").mkdir()
    first = fresh_copy(out, tmp_path / "first")
    titles = loaded(first)
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # copy2: the same mtimes, other inodes
    recorded = (first / "falkordb" / DIGEST_NAME).read_text(encoding="ascii").split()
    before = dump_stat(copy)
    assert (copy / "falkordb" / DIGEST_NAME).read_text(encoding="ascii").split()[3] != before
    with FalkorServer(copy) as server:  # no sync: nothing in the graph changes
        copied = (copy / "falkordb" / DIGEST_NAME).read_text(encoding="ascii").split()
        assert copied[:3] == recorded[:3] and copied[3] == before  # recorded at the start
        assert [row["title"] for row in server.reader().ro_query("policykg", TITLES)[1]] == titles
    assert dump_stat(copy) == before  # stopped without a save
    assert "DB saved on disk" not in (copy / "falkordb" / "falkordb.log").read_text(errors="replace").split(
        "Redis is starting")[-1]
    again, notes, reloaded = titles_after_start(copy)
    assert again == titles and notes == [] and not reloaded


def test_stop_after_a_change_that_came_after_the_loads_save_does_not_wait_for_a_save(out: Path,
                                                                                      tmp_path: Path) -> None:
    """A change after the load's background save (a later load that failed once its staging graph
    was made) leaves something unsaved that no save is coming for: stop() once waited for one up
    to LOAD_WAIT_SECONDS (600 s). It now shuts the server down with its dump saved and recorded.
    The join bound is a liveness check (a hang), not a speed goal."""
    import threading

    target = fresh_copy(out, tmp_path)
    server = EmbeddedServer(target).start()
    assert server.sync() is not None
    titles = [row["title"] for row in server.engine().read(TITLES, {})]
    server.client().connection.execute_command("SET", "policykg:unsaved", "1")
    stopping = threading.Thread(target=server.stop, daemon=True)
    stopping.start()
    stopping.join(120)
    assert not stopping.is_alive()
    again, notes, reloaded = titles_after_start(target)
    assert again == titles and not reloaded and not any("damaged" in note for note in notes)
