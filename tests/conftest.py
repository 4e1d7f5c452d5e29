"""Session fixtures: a real Neo4j 5 server (tools/neo4j-server) for the tests marked `neo4j`.

One server per test run, started on first use and stopped at the end. With CI=true the Neo4j
tests must run: a missing Java/Maven or a server that does not start fails them. Elsewhere they
are skipped, saying why, only when Java or Maven is missing (or the server cannot be built).
A developer's own server is used instead when POLICYKG_TEST_NEO4J_URI (with
POLICYKG_TEST_NEO4J_USERNAME/PASSWORD) names one; its database must be empty.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "neo4j-server"))

from neo4j_server import Neo4jServer, Neo4jServerError, missing_tools  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Every embedded server a test starts must be stopped by the test (or its command): the command
# line's idle timeout is off for the suite (tests of the timeout set their own), and the servers
# this run started (their folder is under the run's temporary folder) and their watchdogs (they
# inherit POLICYKG_TEST_RUN) are looked for at its end.
os.environ["POLICYKG_SERVER_IDLE"] = "0"
TEST_RUN = os.environ["POLICYKG_TEST_RUN"] = f"{os.getpid()}-{time.time_ns()}"


def servers_of_this_run(basetemp: Path) -> list[tuple[int, str]]:
    """(pid, command line) of the FalkorDB servers and watchdogs started during this test run
    (a server rewrites its environment as its process title: it is known by its folder)."""
    found = []
    marker = f"POLICYKG_TEST_RUN={TEST_RUN}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"redis-server" in cmdline:
                ours = os.readlink(proc / "cwd").startswith(str(basetemp)) or str(basetemp).encode() in cmdline
            elif b"watchdog.py" in cmdline:
                ours = marker in (proc / "environ").read_bytes().split(b"\0")
            else:
                continue
            if ours and "\tZ" not in (proc / "status").read_text().split("State:")[1][:4]:
                found.append((int(proc.name), cmdline.replace(b"\0", b" ").decode(errors="replace").strip()))
        except (OSError, IndexError):
            continue
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a server it started is still running (watchdogs get their grace time)."""
    if not Path("/proc").is_dir():
        return
    basetemp = session.config._tmp_path_factory.getbasetemp().resolve()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 15
    left = servers_of_this_run(basetemp)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = servers_of_this_run(basetemp)
    if not left:
        return
    for pid, _cmdline in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "embedded servers left running by the tests (now stopped): " + "; ".join(
        f"pid {pid}: {cmdline[:200]}" for pid, cmdline in left)
    if reporter is not None:
        reporter.write_line(message, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run the Neo4j tests: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Any]:
    """The session's Neo4j: an object with uri, username, password and env()."""
    if os.environ.get("POLICYKG_TEST_NEO4J_URI"):
        class External:
            uri = os.environ["POLICYKG_TEST_NEO4J_URI"]
            username = os.environ.get("POLICYKG_TEST_NEO4J_USERNAME", "neo4j")
            password = os.environ.get("POLICYKG_TEST_NEO4J_PASSWORD", "")

            def env(self) -> dict[str, str]:
                return {"NEO4J_URI": self.uri, "NEO4J_USERNAME": self.username, "NEO4J_PASSWORD": self.password}

        yield External()
        return
    if missing_tools():
        _unavailable(f"no {' or '.join(missing_tools())}: the Neo4j tests need Java 17 and Maven "
                     "(apt-get install openjdk-17-jdk-headless maven)")
    try:
        server = Neo4jServer.start()
    except Neo4jServerError as exc:
        _unavailable(f"the Neo4j test server did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def neo4j_env(neo4j_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """NEO4J_URI/USERNAME/PASSWORD of the session's server for one test (NEO4J_DATABASE unset)."""
    for name, value in neo4j_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NEO4J_DATABASE", raising=False)
    return neo4j_server
