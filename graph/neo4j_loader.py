"""Loading into Neo4j with the official driver, through the statements of graph/cypher_load.py.

Connection settings come from NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD and NEO4J_DATABASE
(flags override them); bolt:// (one server) and neo4j:// (routing: a cluster, or one server
answering for itself) URIs alike. The password is never printed, logged or put into an error
message.

`load_into_neo4j` runs the whole load (every batch) in ONE explicit write transaction, after
the schema (which Neo4j cannot change in the same transaction): a load that fails anywhere — a
refused batch, a dropped connection, a server that dies — is rolled back by the server whole,
and the database keeps exactly what it had; the next load starts from there. Only documents
that are new or changed are written, so the transaction's size is that of the change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from policykg.graph.cypher_load import (
    DEFAULT_BATCH_SIZE,
    LABEL_PATTERN,
    LoadError,
    LoadSummary,
    WriteCounters,
    load_prepared,
    prepare_graph,
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


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


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
        self.name = f"Neo4j ({settings.describe()})"
        self._tx: Any = None  # the open transaction of `single_transaction`
        self._schema_labels: set[str] = set()  # labels whose constraints this engine has ensured
        try:
            # notifications ("null value eliminated in set function" and the like) would reach the
            # user's terminal through the driver's log: off
            self.driver = GraphDatabase.driver(settings.uri, auth=(settings.username, settings.password),
                                               notifications_min_severity="OFF")
        except Exception as exc:  # malformed URI and the like (ConfigurationError, ValueError)
            raise Neo4jConnectionError(f"bad Neo4j URI {settings.uri!r}: {exc}") from exc
        self._check(self.driver.verify_connectivity)

    def _check(self, call: Callable[[], Any]) -> Any:
        from neo4j.exceptions import (
            AuthError,
            ClientError,
            ConstraintError,
            DriverError,
            Neo4jError,
            ServiceUnavailable,
            SessionExpired,
        )

        try:
            return call()
        except AuthError as exc:
            raise Neo4jConnectionError(
                f"Neo4j at {self.settings.uri} refused the user name or password of user "
                f"{self.settings.username!r} (check NEO4J_USERNAME/NEO4J_PASSWORD)") from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            if self._tx is not None:
                raise Neo4jConnectionError(f"lost the connection to Neo4j at {self.settings.uri} during the load "
                                           "(the server stopped or the connection dropped)") from exc
            raise Neo4jConnectionError(f"Neo4j unreachable at {self.settings.uri}: {exc}") from exc
        except ConstraintError as exc:
            raise LoadError(f"constraint violation: {_one_line(exc.message or exc)}") from exc
        except ClientError as exc:
            raise LoadError(f"Neo4j refused the statement: {_one_line(exc.message or exc)}") from exc
        except (Neo4jError, DriverError) as exc:  # transient (memory limits, deadlocks) and the rest
            raise LoadError(f"Neo4j failed the statement: {_one_line(getattr(exc, 'message', None) or exc)}") \
                from exc

    def close(self) -> None:
        self.driver.close()

    def _session(self) -> Any:
        return self.driver.session(database=self.settings.database) if self.settings.database \
            else self.driver.session()

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """Constraints and indexes, each in its own transaction (even inside `single_transaction`:
        Neo4j does not mix schema and data changes in one)."""
        wanted = set(labels) - self._schema_labels
        if not wanted:
            return
        tx, self._tx = self._tx, None
        try:
            for statement in neo4j_schema_statements(sorted(wanted)):
                self.write(statement, {})
        finally:
            self._tx = tx
        self._schema_labels |= wanted

    @contextmanager
    def single_transaction(self) -> Iterator[None]:
        """Every write() and read() inside runs in one explicit transaction, committed at the end
        of the block, rolled back if it raises (or, when the connection is gone, by the server)."""
        def begin() -> Any:
            session = self._session()
            try:
                return session, session.begin_transaction()
            except BaseException:
                session.close()
                raise

        session, tx = self._check(begin)
        self._tx = tx
        try:
            yield
            self._check(tx.commit)
        finally:
            self._tx = None
            # rolls back what was not committed; with the connection gone, the server does
            with suppress(Exception):
                if not tx.closed():
                    tx.close()
            with suppress(Exception):
                session.close()

    def write(self, statement: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], WriteCounters]:
        def work(tx: Any) -> tuple[list[dict[str, Any]], WriteCounters]:
            result = tx.run(statement, params)
            rows = [{key: _plain(value) for key, value in record.items()} for record in result]
            return rows, _counters(result.consume())

        if self._tx is not None:
            return self._check(lambda: work(self._tx))

        def run() -> tuple[list[dict[str, Any]], WriteCounters]:
            with self._session() as session:
                return session.execute_write(work)

        return self._check(run)

    def read(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A read transaction: Neo4j refuses any write inside it."""

        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(statement, params)
            return [{key: _plain(value) for key, value in record.items()} for record in result]

        if self._tx is not None:
            return self._check(lambda: work(self._tx))

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
    """`policykg load OUT --neo4j`: the graph into Neo4j, replacing changed documents only, in one
    transaction (see the module docstring)."""
    with Neo4jEngine(settings) as engine:
        return load_in_one_transaction(engine, graph, batch_size=batch_size, progress=progress)


def load_in_one_transaction(engine: Neo4jEngine, graph: nx.MultiDiGraph, batch_size: int = DEFAULT_BATCH_SIZE,
                            progress: Callable[[int, int, str], None] | None = None) -> LoadSummary:
    """load_graph with every batch in one transaction: all of it commits, or none of it."""
    prepared = prepare_graph(graph)
    engine.ensure_schema(prepared.labels)
    try:
        with engine.single_transaction():
            return load_prepared(engine, prepared, batch_size=batch_size, prune=False, progress=progress)
    except LoadError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, LoadError) else exc
        where = str(exc).split(" failed and was rolled back: ")[0] if " failed and was rolled back: " in str(exc) \
            else "the load"
        raise type(cause)(f"{where}: {cause}; nothing of this load was committed (one transaction): the "
                          "database holds what it held before, and the next load starts from there") from exc


def unit_task_graph(engine: Neo4jEngine, name: str, jurisdiction: str | None = None) -> nx.MultiDiGraph:
    """The part of the database `policykg tasks` reads, as the networkx graph graph/lookup.py
    reads: every unit (to resolve `name` the same way), then the tasks and documents of the unit
    it resolves to, with their LEADS/PARTICIPATES_IN edges."""
    from policykg.graph.lookup import resolve_unit_id

    graph = nx.MultiDiGraph()
    for row in engine.read("MATCH (u:Unit) RETURN u.id AS id, labels(u) AS labels, properties(u) AS props", {}):
        graph.add_node(row["id"], **{**row["props"], "labels": sorted(row["labels"])})
    if not graph:
        return graph
    unit_id = resolve_unit_id(graph, name, jurisdiction)  # not found / ambiguous: raised as lookup does
    rows = engine.read(
        "MATCH (u:Unit {id: $id})-[r:LEADS|PARTICIPATES_IN]->(t:Task) "
        "OPTIONAL MATCH (t)-[:PART_OF]->(d:Document) "
        "RETURN type(r) AS type, properties(r) AS rel, t.id AS task, properties(t) AS taskProps, "
        "d.id AS doc, properties(d) AS docProps", {"id": unit_id})
    for row in rows:
        graph.add_node(row["task"], **row["taskProps"])
        if row["doc"] is not None:
            graph.add_node(row["doc"], **row["docProps"])
        graph.add_edge(unit_id, row["task"], **{**row["rel"], "type": row["type"]})
    return graph
