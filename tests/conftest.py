"""Session fixtures: a real Neo4j 5 server (tools/neo4j-server) for the tests marked `neo4j`.

One server per test run, started on first use and stopped at the end. With CI=true the Neo4j
tests must run: a missing Java/Maven or a server that does not start fails them. Elsewhere they
are skipped, saying why, only when Java or Maven is missing (or the server cannot be built).
A developer's own server is used instead when POLICYKG_TEST_NEO4J_URI (with
POLICYKG_TEST_NEO4J_USERNAME/PASSWORD) names one; its database must be empty.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "neo4j-server"))

from neo4j_server import Neo4jServer, Neo4jServerError, missing_tools  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
