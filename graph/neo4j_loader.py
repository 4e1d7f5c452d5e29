"""Loading into Neo4j with the official driver, through the statements of graph/cypher_load.py.

Connection settings come from NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD and NEO4J_DATABASE
(flags override them); bolt:// (one server) and neo4j:// (routing: a cluster, or one server
answering for itself) URIs alike. The password is never printed, logged or put into an error
message.

`load_into_neo4j` runs the load in explicit write transactions of WHOLE documents, after the
schema (which Neo4j cannot change in the same transaction): each transaction holds a group of
documents with their tasks, edges and the shared nodes those edges reach (a small graph: one
transaction). A load that fails anywhere — a refused batch, a dropped connection, a server that
dies — has its open transaction rolled back by the server: every document is in the database
completely or not at all, and the next load completes the rest. Only documents that are new or
changed are written.
"""

from __future__ import annotations

import os
from collections import defaultdict
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
    graph_elements,
    load_counts,
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
    statements.append("CREATE INDEX policykg_task_docid IF NOT EXISTS FOR (n:Task) ON (n.docId)")
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
            raise Neo4jConnectionError(f"Neo4j unreachable at {self.settings.uri}: {_one_line(exc)}") from exc
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


# Rows (document and task nodes, the documents' edges) per transaction: Neo4j keeps a
# transaction's changes in memory (dbms.memory.transaction.total.max), so a big corpus is loaded
# as several transactions of whole documents (about 60 MB of transaction state each).
DOCUMENT_GROUP_ROWS = 20000


def load_into_neo4j(graph: nx.MultiDiGraph, settings: Neo4jSettings, batch_size: int = DEFAULT_BATCH_SIZE,
                    progress: Callable[[int, int, str], None] | None = None,
                    group_rows: int = DOCUMENT_GROUP_ROWS) -> LoadSummary:
    """`policykg load OUT --neo4j`: the graph into Neo4j, replacing changed documents only, whole
    documents per transaction (see the module docstring)."""
    with Neo4jEngine(settings) as engine:
        return load_atomically(engine, graph, batch_size=batch_size, progress=progress, group_rows=group_rows)


def document_groups(graph: nx.MultiDiGraph, group_rows: int = DOCUMENT_GROUP_ROWS) -> list[nx.MultiDiGraph]:
    """The graph cut into sub-graphs of whole documents, about `group_rows` owned rows each: a
    group holds its Documents, their Tasks, every edge they own (docSha256) and those edges' end
    nodes. Then one last group: the whole graph, for what no document owns (its plan finds every
    document unchanged by then)."""
    owned_nodes: dict[str, list[str]] = defaultdict(list)
    owned_edges: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for node, data in graph.nodes(data=True):
        if data.get("label") == "Document":
            owned_nodes[str(data.get("sha256") or data.get("docSha256") or "")].append(node)
        elif data.get("label") == "Task" and data.get("docSha256"):
            owned_nodes[str(data["docSha256"])].append(node)
    for source, target, key, data in graph.edges(keys=True, data=True):
        if data.get("docSha256"):
            owned_edges[str(data["docSha256"])].append((source, target, key))
    groups: list[list[str]] = [[]]
    size = 0
    for sha in sorted(owned_nodes):
        rows = len(owned_nodes[sha]) + len(owned_edges[sha])
        if groups[-1] and size + rows > group_rows:
            groups.append([])
            size = 0
        groups[-1].append(sha)
        size += rows
    if len(groups) == 1:
        return [graph]
    subgraphs = []
    for shas in groups:
        sub = nx.MultiDiGraph()
        for sha in shas:
            for node in owned_nodes[sha]:
                sub.add_node(node, **graph.nodes[node])
            for source, target, key in owned_edges[sha]:
                for end in (source, target):
                    if end not in sub:
                        sub.add_node(end, **graph.nodes[end])
                sub.add_edge(source, target, key=key, **graph.edges[source, target, key])
        subgraphs.append(sub)
    return [*subgraphs, graph]


def load_atomically(engine: Neo4jEngine, graph: nx.MultiDiGraph, batch_size: int = DEFAULT_BATCH_SIZE,
                    progress: Callable[[int, int, str], None] | None = None,
                    group_rows: int = DOCUMENT_GROUP_ROWS) -> LoadSummary:
    """load_graph in transactions of whole documents: a document is in the database completely or
    not at all, whatever fails when (a small graph is one transaction: all of it, or nothing)."""
    counts = load_counts(*graph_elements(graph))  # the whole graph's: a group alone sees part of it
    groups = [prepare_graph(sub, counts) for sub in document_groups(graph, group_rows)]
    whole = groups[-1]
    all_shas = frozenset(whole.documents)
    engine.ensure_schema(whole.labels)
    total: LoadSummary | None = None
    done_documents = 0
    for prepared in groups:
        try:
            with engine.single_transaction():
                summary = load_prepared(engine, prepared, batch_size=batch_size, prune=False, progress=progress,
                                        also_in_graph=all_shas)
        except LoadError as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, LoadError) else exc
            where = str(exc).split(" failed and was rolled back: ")[0] \
                if " failed and was rolled back: " in str(exc) else "the load"
            kept = ("nothing of this load was committed: the database holds what it held before"
                    if not done_documents else
                    f"{done_documents} of {len(whole.documents)} documents were committed whole before it, "
                    "none is half-loaded")
            raise type(cause)(f"{where}: {cause}; {kept}; the next load starts from there") from exc
        done_documents += len(prepared.documents) if prepared is not whole else 0
        if total is None:
            total = summary
            continue
        if prepared is whole:  # every document is unchanged by now: keep the groups' account of them
            summary.documents_new, summary.documents_replaced = total.documents_new, total.documents_replaced
            summary.documents_unchanged = [name for name in summary.documents_unchanged
                                           if name not in set(total.documents_new) | set(total.documents_replaced)]
        else:
            summary.documents_new = total.documents_new + summary.documents_new
            summary.documents_replaced = total.documents_replaced + summary.documents_replaced
            summary.documents_unchanged = total.documents_unchanged + summary.documents_unchanged
        summary.counters.add(total.counters)
        summary.batches += total.batches
        summary.seconds += total.seconds
        total = summary
    assert total is not None
    total.nodes_in_graph, total.edges_in_graph = whole.node_count, whole.edge_count
    return total


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
