"""A server that stops answering mid-load (SIGSTOP, a real FalkorDB process): the GRAPH.BULK
command's reply deadline ends the load with one error line naming OUT's database and the
command, and the graph loaded before still answers once the server runs again."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from conftest_db import build_sample, db_snapshot, fresh_copy
from policykg.graph.embedded import BulkTimeout, EmbeddedServer
from policykg.graph.falkor_bulk import BULK_TIMEOUT_ENV, bulk_reply_seconds


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def test_a_server_that_stops_answering_ends_the_load_with_one_line_and_keeps_the_graph(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        running.sync()
        before = db_snapshot(running.engine())
        pid = running._server_pid
        assert pid
        # another graph.json (one document's name changed), loaded while the server is stopped
        text = (target / "graph.json").read_text(encoding="utf-8")
        (target / "graph.json").write_text(text.replace('"label":"Document","labels":["Document"],"name":"',
                                                        '"label":"Document","labels":["Document"],"name":"改 ', 1),
                                           encoding="utf-8")
        monkeypatch.setenv(BULK_TIMEOUT_ENV, "1.5")
        stopped: list[int] = []

        def stop_the_server(_number: int, _total: int, _step: str) -> None:
            if not stopped:  # before the first GRAPH.BULK command is sent
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)

        try:
            with pytest.raises(BulkTimeout) as failure:
                running.sync(progress=stop_the_server)
        finally:
            if stopped:
                os.kill(pid, signal.SIGCONT)
        message = str(failure.value)
        assert stopped and "\n" not in message
        assert message.startswith(f"{running.db_dir}: the embedded server stopped answering during the load")
        assert re.search(r"\(no reply to GRAPH\.BULK command 1 \(nodes Category, [^()]+, [0-9.]+ MB\) "
                         r"within [0-9]+ s\)", message)
        assert "the graph loaded before is kept" in message
        # the server runs again: the previous graph answers, unchanged, and the next load works
        assert db_snapshot(running.engine()) == before
        monkeypatch.delenv(BULK_TIMEOUT_ENV)
        summary = running.sync()
        assert summary is not None and len(summary.documents_replaced) == 1
        assert "policykg_staging" not in running.graph_names()
        names = [row["name"] for row in running.engine().read("MATCH (d:Document) RETURN d.name AS name", {})]
        assert sum(name.startswith("改 ") for name in names) == 1


def test_the_reply_deadline_is_generous_grows_with_the_command_and_is_set_in_one_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BULK_TIMEOUT_ENV, raising=False)
    assert bulk_reply_seconds(0) >= 60
    assert bulk_reply_seconds(32 << 20) > bulk_reply_seconds(1 << 20) > bulk_reply_seconds(0)
    monkeypatch.setenv(BULK_TIMEOUT_ENV, "5")
    assert bulk_reply_seconds(0) == 5
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv(BULK_TIMEOUT_ENV, bad)
        with pytest.raises(ValueError, match=BULK_TIMEOUT_ENV):
            bulk_reply_seconds(0)
