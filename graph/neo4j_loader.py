"""Loading into Neo4j with the official driver, through the statements of graph/cypher_load.py.

Connection settings come from NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD and NEO4J_DATABASE
(flags override them). The password is never printed, logged or put into an error message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from policykg.graph.cypher_load import (
    DEFAULT_BATCH_SIZE,
    LABEL_PATTERN,
    LoadError,
    LoadSummary,
    WriteCounters,
    load_graph,
)


class Neo4jConnectionError(LoadError):
    """Neo4j unreachable or refusing the credentials."""


@dataclass
class Neo4jSettings:
    uri: str
    username: str
    password: str = field(repr=False)
    database: str | None = None

    @classmethod
    def from_env(cls, uri: str | None = None, username: str | None = None, password: str | None = None,
                 database: str | None = None) -> Neo4jSettings:
        uri = uri or os.environ.get("NEO4J_URI")
        if not uri:
            raise Neo4jConnectionError("no Neo4j URI: set NEO4J_URI (e.g. neo4j://localhost:7687) or pass --uri")
        return cls(
            uri=uri,
            username=username or os.environ.get("NEO4J_USERNAME") or os.environ.get("NEO4J_USER") or "neo4j",
            password=password if password is not None else os.environ.get("NEO4J_PASSWORD", ""),
            database=database or os.environ.get("NEO4J_DATABASE") or None,
        )

    def describe(self) -> str:
        """Where, for messages: URI, user and database; never the password."""
        where = f"{self.uri} as {self.username}"
        return f"{where}, database {self.database}" if self.database else where


def neo4j_schema_statements(labels: Sequence[str]) -> list[str]:
    """Uniqueness on `id` per label, and the indexes replacement looks documents up by."""
    statements = []
    for label in sorted(set(labels) | {"Document", "Task"}):
        if not LABEL_PATTERN.match(label):
            raise LoadError(f"label {label!r} is not a CamelCase label")
        statements.append(f"CREATE CONSTRAINT policykg_{label.lower()}_id IF NOT EXISTS "
                          f"FOR (n:`{label}`) REQUIRE n.id IS UNIQUE")
    statements.append("CREATE INDEX policykg_task_docsha256 IF NOT EXISTS FOR (n:Task) ON (n.docSha256)")
    statements.append("CREATE INDEX policykg_document_sha256 IF NOT EXISTS FOR (n:Document) ON (n.sha256)")
    statements.append("CREATE INDEX policykg_document_file IF NOT EXISTS FOR (n:Document) ON (n.file)")
    return statements


def _counters(summary: Any) -> WriteCounters:
    c = summary.counters
    return WriteCounters(nodes_created=c.nodes_created, nodes_deleted=c.nodes_deleted,
                         relationships_created=c.relationships_created,
                         relationships_deleted=c.relationships_deleted, properties_set=c.properties_set,
                         labels_added=c.labels_added)


def _plain(value: Any) -> Any:
    """Neo4j values as plain Python (nodes and relationships as property dicts)."""
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, Node):
        return {**{k: _plain(v) for k, v in value.items()}, "labels": sorted(value.labels)}
    if isinstance(value, Relationship):
        return {**{k: _plain(v) for k, v in value.items()}, "type": value.type}
    if isinstance(value, Path):
        return [_plain(node) for node in value.nodes]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Neo4jEngine:
    """CypherEngine over a Neo4j database: one managed transaction per call."""

    def __init__(self, settings: Neo4jSettings) -> None:
        from neo4j import GraphDatabase

        self.settings = settings
        self.name = f"Neo4j ({settings.uri})"
        try:
            self.driver = GraphDatabase.driver(settings.uri, auth=(settings.username, settings.password))
        except Exception as exc:  # malformed URI and the like (ConfigurationError, ValueError)
            raise Neo4jConnectionError(f"bad Neo4j URI {settings.uri!r}: {exc}") from exc
        self._check(self.driver.verify_connectivity)

    def _check(self, call: Callable[[], Any]) -> Any:
        from neo4j.exceptions import AuthError, ClientError, ConstraintError, ServiceUnavailable, SessionExpired

        try:
            return call()
        except AuthError as exc:
            raise Neo4jConnectionError(
                f"Neo4j at {self.settings.uri} refused the user name or password of user "
                f"{self.settings.username!r} (check NEO4J_USERNAME/NEO4J_PASSWORD)") from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise Neo4jConnectionError(f"Neo4j unreachable at {self.settings.uri}: {exc}") from exc
        except ConstraintError as exc:
            raise LoadError(f"constraint violation: {exc.message or exc}") from exc
        except ClientError as exc:
            raise LoadError(f"Neo4j refused the statement: {exc.message or exc}") from exc

    def close(self) -> None:
        self.driver.close()

    def _session(self) -> Any:
        return self.driver.session(database=self.settings.database) if self.settings.database \
            else self.driver.session()

    def ensure_schema(self, labels: Sequence[str]) -> None:
        for statement in neo4j_schema_statements(labels):
            self.write(statement, {})

    def write(self, statement: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], WriteCounters]:
        def work(tx: Any) -> tuple[list[dict[str, Any]], WriteCounters]:
            result = tx.run(statement, params)
            rows = [{key: _plain(value) for key, value in record.items()} for record in result]
            return rows, _counters(result.consume())

        def run() -> tuple[list[dict[str, Any]], WriteCounters]:
            with self._session() as session:
                return session.execute_write(work)

        return self._check(run)

    def read(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A read transaction: Neo4j refuses any write inside it."""

        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(statement, params)
            return [{key: _plain(value) for key, value in record.items()} for record in result]

        def run() -> list[dict[str, Any]]:
            with self._session() as session:
                return session.execute_read(work)

        return self._check(run)

    def __enter__(self) -> Neo4jEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_into_neo4j(graph: nx.MultiDiGraph, settings: Neo4jSettings, batch_size: int = DEFAULT_BATCH_SIZE,
                    progress: Callable[[int, int, str], None] | None = None) -> LoadSummary:
    """`policykg load OUT --neo4j`: the graph into Neo4j, replacing changed documents only."""
    with Neo4jEngine(settings) as engine:
        return load_graph(engine, graph, batch_size=batch_size, prune=False, progress=progress)
