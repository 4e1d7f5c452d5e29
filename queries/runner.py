"""One runner for both engines: canned queries (queries/*.cypher) and ad-hoc read queries.

`policykg.open(OUT)` (embedded FalkorDB, loading OUT/graph.json on first use or when it
changed) and `policykg.connect(uri, …)` (Neo4j) both return a `PolicyGraph`; the CLI commands
`policykg query` and `policykg cypher` call the same methods. User input reaches the database
only as query parameters; the statement of a canned query is its file's text, unchanged, on
either engine; everything runs in a read transaction (GRAPH.RO_QUERY on FalkorDB,
`execute_read` on Neo4j), so a query that writes is refused by the database itself.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from policykg.queries.catalog import CannedQuery, QueryError, canned_query, load_catalog

__all__ = ["PolicyGraph", "QueryError", "Rows", "connect_neo4j", "open_embedded"]

WRITE_REFUSED = "policykg cypher runs read-only queries; this one writes and was refused"
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
INT64 = (-(2**63), 2**63 - 1)


def check_params(params: dict[str, Any]) -> None:
    """Parameters both engines can take as they are: plain names, integers within 64 bits (a
    bigger one would be clamped or wrapped silently), finite numbers."""
    for name, value in params.items():
        if not isinstance(name, str) or not PARAM_NAME.match(name):
            raise QueryError(f"parameter name {name!r}: use letters, digits and _ only (e.g. --param year=2022)")
        _check_value(name, value)


def _check_value(name: str, value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise QueryError(f"parameter {name}: {value} does not fit in a 64-bit integer "
                             f"({INT64[0]} to {INT64[1]})")
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QueryError(f"parameter {name}: {value} is not a finite number")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_value(name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(f"{name}.{key}", item)


class Rows(list):
    """Query rows: a list of dicts (column -> value), with the column order kept.

    `total` is how many rows the query found: more than len(rows) when a paged query returned
    one page of them (`limit`/`skip`); `skip` is where that page starts."""

    def __init__(self, columns: Sequence[str], rows: Iterable[dict[str, Any]] = (), seconds: float = 0.0,
                 total: int | None = None, skip: int = 0) -> None:
        super().__init__(rows)
        self.columns = list(columns)
        self.seconds = seconds
        self.total = len(self) if total is None else total
        self.skip = skip

    @property
    def complete(self) -> bool:
        """True when these are all the rows the query found."""
        return self.skip == 0 and self.total == len(self)

    def page_note(self) -> str:
        """'rows 1-100 of 4623' for a page; '' when the rows are complete."""
        if self.complete:
            return ""
        if not self:
            return f"no rows from {self.skip + 1} on; the query found {self.total}"
        return f"rows {self.skip + 1}-{self.skip + len(self)} of {self.total}"

    def to_dataframe(self) -> Any:
        """A pandas DataFrame (pandas is the `notebook` extra)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise QueryError("DataFrames need pandas: pip install 'policykg[notebook]'") from exc
        return pd.DataFrame(list(self), columns=self.columns)

    df = to_dataframe

    def select(self, columns: Sequence[str]) -> Rows:
        """The same rows with only these columns."""
        return Rows(columns, ({c: row.get(c) for c in columns} for row in self), self.seconds, self.total, self.skip)

    def column(self, name: str) -> list[Any]:
        return [row.get(name) for row in self]

    def to_json(self) -> str:
        return json.dumps(list(self), ensure_ascii=False, indent=2, default=str)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self:
            writer.writerow([_cell(row.get(column)) for column in self.columns])
        return buffer.getvalue()

    def to_table(self, max_width: int = 60) -> str:
        """A plain-text table; a cell wider than max_width is shortened in the middle, keeping
        its end (a plan's period and status) and staying distinct from the column's other cells."""
        from policykg.graph.labels import display_width, unique_short_labels

        cells = [[_cell(row.get(column)) for column in self.columns] for row in self]
        for i in range(len(self.columns)):
            long = [row[i] for row in cells if display_width(row[i]) > max_width]
            if long:
                labels = unique_short_labels(sorted({row[i] for row in cells}), max_width)
                for row in cells:
                    row[i] = labels[row[i]]
        widths = [max([display_width(column), *(display_width(row[i]) for row in cells)])
                  for i, column in enumerate(self.columns)]
        lines = ["  ".join(_pad(column, widths[i]) for i, column in enumerate(self.columns)),
                 "  ".join("-" * width for width in widths)]
        lines += ["  ".join(_pad(value, widths[i]) for i, value in enumerate(row)) for row in cells]
        lines.append(f"({len(self)} row{'s' if len(self) != 1 else ''}"
                     + (f"; {self.page_note()}" if not self.complete else "") + ")")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Notebooks: an HTML table with every value in full."""
        from html import escape

        head = "".join(f"<th>{escape(column)}</th>" for column in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(_cell(row.get(column)))}</td>" for column in self.columns)
                       + "</tr>" for row in self)
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>{len(self)} row{'s' if len(self) != 1 else ''}</p>")

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def _pad(text: str, width: int) -> str:
    from policykg.graph.labels import display_width

    return text + " " * (width - display_width(text))


# --------------------------------------------------------------------------- engines


class ReadBackend(Protocol):
    name: str
    dialect: str  # which statement of a canned query it runs: "falkordb" or "neo4j"

    def read(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
        """Run a read-only statement; (columns, rows)."""

    def close(self) -> None: ...


class EmbeddedBackend:
    """The embedded FalkorDB server of one OUT folder."""

    dialect = "falkordb"

    def __init__(self, server: Any, timeout_ms: int | None = None) -> None:
        self.server = server
        self.timeout_ms = timeout_ms
        self.name = f"embedded FalkorDB ({server.db_dir})"

    def read(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
        """On the light client (graph/falkor_reader.py: a one-shot command never imports the
        official one); a result with nodes, edges or paths is read again on the official client."""
        from policykg.graph.falkor_reader import NeedsFullClient
        from policykg.graph.falkor_server import GRAPH_NAME, server_failure

        try:
            try:
                return self.server.reader().ro_query(GRAPH_NAME, statement, params, self.timeout_ms)
            except NeedsFullClient:
                return self._read_full(statement, params)
        except Exception as exc:
            if not server_failure(exc):
                raise
            message = str(exc).replace("\n", " ")
            if isinstance(exc, (ConnectionError, TimeoutError)) or "ConnectionError" in type(exc).__name__:
                raise QueryError(f"the embedded server went away: {exc}") from exc
            if "read-only" in message or "RO_QUERY" in message:
                raise QueryError(WRITE_REFUSED) from exc
            if "timed out" in message.lower():
                raise QueryError(f"the query took longer than {self.timeout_ms} ms and was stopped") from exc
            raise QueryError(f"the embedded engine refused the query: {message}") from exc

    def _read_full(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
        from policykg.graph.embedded import GRAPH_NAME, FalkorEngine

        result = self.server.client().select_graph(GRAPH_NAME).ro_query(statement, params, timeout=self.timeout_ms)
        columns = [str(column[1]) for column in (result.header or [])]
        return columns, FalkorEngine._rows(result)

    def close(self) -> None:
        self.server.stop()


class Neo4jBackend:
    """A Neo4j database through the official driver; each query in a read transaction."""

    dialect = "neo4j"

    def __init__(self, engine: Any, timeout_ms: int | None = None) -> None:
        self.engine = engine
        self.name = engine.name
        self.timeout_ms = timeout_ms

    def read(self, statement: str, params: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
        from neo4j.exceptions import ClientError
        from policykg.graph.cypher_load import LoadError
        from policykg.graph.neo4j_loader import _plain

        def work(tx: Any) -> tuple[list[str], list[dict[str, Any]]]:
            result = tx.run(statement, params)
            keys = list(result.keys())
            return keys, [{key: _plain(record[key]) for key in keys} for record in result]

        if self.timeout_ms:
            from neo4j import unit_of_work

            work = unit_of_work(timeout=self.timeout_ms / 1000)(work)

        def run() -> tuple[list[str], list[dict[str, Any]]]:
            with self.engine._session() as session:
                return session.execute_read(work)

        try:
            return self.engine._check(run)
        except LoadError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and (
                "AccessMode" in str(cause.code or "") or "read access mode" in str(cause.message or "")
            ):
                raise QueryError(WRITE_REFUSED) from exc
            raise QueryError(str(exc)) from exc

    def close(self) -> None:
        self.engine.close()


# --------------------------------------------------------------------------- parameters

UNITS_STATEMENT = ("MATCH (u:Unit) RETURN u.id AS id, u.name AS name, u.aliases AS aliases, "
                   "u.jurisdiction AS jurisdiction, u.kind AS kind")
DOCUMENTS_STATEMENT = ("MATCH (d:Document) RETURN d.id AS id, d.sha256 AS sha256, d.file AS file, d.name AS name, "
                       "d.jurisdiction AS jurisdiction")


def _norm(text: Any) -> str:
    """Compare forms loosely: no spaces, full-width brackets as half-width (str.split() splits at
    what the regex \\s matches; it runs for every unit and alias of the graph a name is resolved
    against, and this is the cheapest form of it)."""
    joined = "".join(str(text or "").split())
    return joined.replace("（", "(").replace("）", ")") if "（" in joined or "）" in joined else joined


@dataclass
class ResolvedParam:
    name: str
    written: str
    ids: list[str]
    labels: list[str]
    rule: str


def _norm_all(texts: Iterable[Any]) -> list[str]:
    """[_norm(text) for text in texts] in one pass over them joined by NUL (which no stored text
    holds: FalkorDB and the loader refuse it; a text that does is normalised on its own)."""
    parts = [str(text or "") for text in texts]
    joined = "\x00".join(parts)
    if joined.count("\x00") != max(len(parts) - 1, 0):
        return [_norm(part) for part in parts]
    return "".join(joined.split()).replace("（", "(").replace("）", ")").split("\x00") if parts else []


class UnitDirectory:
    """The graph's own units, to turn a unit as a user writes it into canonical ids."""

    def __init__(self, units: list[dict[str, Any]]) -> None:
        self.units = units
        self.by_id = {str(unit["id"]): unit for unit in units}
        self._names: list[str] | None = None  # _norm of each unit's name, in the order of units
        self._aliases: list[tuple[int, str]] = []  # (unit's position, _norm of one of its aliases)

    def _normalised(self) -> tuple[list[str], list[tuple[int, str]]]:
        """Every name and alias in the compared form, made once (by _norm_all) for all lookups."""
        if self._names is None:
            owners = [i for i, unit in enumerate(self.units) for _alias in unit.get("aliases") or []]
            aliases = _norm_all(alias for unit in self.units for alias in unit.get("aliases") or [])
            self._aliases = list(zip(owners, aliases))
            self._names = _norm_all(unit.get("name") for unit in self.units)
        return self._names, self._aliases

    def resolve(self, written: str, jurisdiction: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """(matching units, rule): id, then name, then alias, then the resolver, then containment."""
        text = str(written).strip()
        key = _norm(text)
        positions: Sequence[int] = range(len(self.units))
        if jurisdiction:
            positions = [i for i, unit in enumerate(self.units)
                         if jurisdiction in str(unit.get("jurisdiction") or "")] or positions
        if text in self.by_id:
            return [self.by_id[text]], "id"
        names, aliases = self._normalised()
        found = [self.units[i] for i in positions if names[i] == key]
        if found:
            return found, "name"
        hits = {i for i, alias in aliases if alias == key}
        found = [self.units[i] for i in positions if i in hits]
        if found:
            return found, "alias"
        candidates = [self.units[i] for i in positions]
        found = self._by_resolver(text, candidates)
        if found:
            return found, "resolver"
        if len(key) >= 2:
            hits = {i for i, alias in aliases if key in alias}
            found = [self.units[i] for i in positions if key in names[i] or i in hits]
            if found:
                return found, "contains"
        return [], "none"

    def _by_resolver(self, text: str, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """extract.resolve's alias tables (科技局 -> 科学技术局), kept to the units in the graph."""
        try:
            from policykg.extract.resolve import find_units  # type: ignore[import-not-found]
        except ImportError:
            return []
        jurisdictions = sorted({str(unit.get("jurisdiction")) for unit in candidates if unit.get("jurisdiction")})
        try:
            resolved = find_units(text, jurisdictions)
        except Exception:  # the resolver is a helper here: a failure falls through to containment
            return []
        ids = {getattr(unit, "unit_id", None) for unit in resolved or []}
        return [unit for unit in candidates if unit["id"] in ids]


class DocumentDirectory:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents

    def resolve(self, written: str) -> tuple[list[dict[str, Any]], str]:
        text = str(written).strip()
        key = _norm(text)
        tests = (
            ("id", lambda doc: text == doc.get("id")),
            ("sha256", lambda doc: len(text) >= 8 and str(doc.get("sha256") or "").startswith(text.lower())),
            ("file", lambda doc: text in (doc.get("file"), Path(str(doc.get("file") or "")).stem)),
            ("title", lambda doc: key == _norm(doc.get("name"))),
            ("title words", lambda doc: bool(key) and key in _norm(doc.get("name"))),
            ("file words", lambda doc: bool(key) and key in str(doc.get("file") or "")),
        )
        for rule, test in tests:
            found = [doc for doc in self.documents if test(doc)]
            if found:
                return found, rule
        return [], "none"


# --------------------------------------------------------------------------- the session


# a directory of the graph's units or of its documents, read once a session
D = TypeVar("D", "UnitDirectory", "DocumentDirectory")


class PolicyGraph:
    """A loaded policy graph: `.query(name, **params)` and `.cypher(text, **params)` return Rows."""

    def __init__(self, backend: ReadBackend, load_summary: Any = None) -> None:
        self.backend = backend
        self.load_summary = load_summary
        self.notes: list[str] = []  # how parameters were resolved in the last query
        self._units: UnitDirectory | None = None
        self._documents: DocumentDirectory | None = None
        # directories read while the server still read its dump (open_embedded), by their path
        self.prefetched: dict[Path, UnitDirectory | DocumentDirectory] = {}
        self._closed = False

    @property
    def engine(self) -> str:
        return self.backend.name

    # -- catalog
    @staticmethod
    def queries() -> list[CannedQuery]:
        return list(load_catalog().values())

    # -- parameter resolution
    def units(self) -> UnitDirectory:
        if self._units is None:
            self._units = self._directory_of("units", UNITS_STATEMENT, UnitDirectory)
        return self._units

    def documents(self) -> DocumentDirectory:
        if self._documents is None:
            self._documents = self._directory_of("documents", DOCUMENTS_STATEMENT, DocumentDirectory)
        return self._documents

    def _directory_of(self, name: str, statement: str, kind: type[D]) -> D:
        """The directory `name`: the one prefetched for the loaded graph if any, else read."""
        path = self._directory_path(name)
        found = self.prefetched.get(path) if path is not None else None
        return found if isinstance(found, kind) else kind(self._directory(name, statement, path))

    def _directory_path(self, name: str) -> Path | None:
        """OUT/.cache/<name>-<graph sha256>.json of the graph the embedded engine holds; None on
        Neo4j or when the server cannot say."""
        server = getattr(self.backend, "server", None)
        if server is None or not hasattr(server, "loaded_from"):
            return None
        try:
            loaded = server.loaded_from()
        except Exception:  # the cache is a shortcut: without it, ask the database
            return None
        if not loaded:
            return None
        from policykg.graph.falkor_server import directory_path

        return directory_path(server.out_dir, name, loaded)

    def _directory(self, name: str, statement: str, path: Path | None) -> list[dict[str, Any]]:
        """The rows of a directory statement. On the embedded engine they are kept in `path`,
        OUT/.cache/<name>-<graph sha256>.json, written when graph.json is loaded (or else the
        answer of the database, kept), so that a one-shot `policykg query` fetches no unit."""
        if path is not None:
            rows = read_directory(path)
            if rows is not None:
                return rows
        rows = self.backend.read(statement, {})[1]
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, path)
            except OSError:
                pass
        return rows

    def resolve_unit(self, written: str, jurisdiction: str | None = None) -> list[dict[str, Any]]:
        """The graph's units a written form (id, name, alias, 科技局) stands for."""
        return self.units().resolve(written, jurisdiction)[0]

    def prepare(self, name: str, params: dict[str, Any]) -> tuple[CannedQuery, dict[str, Any]]:
        """The canned query and its final parameters (types converted, units and documents resolved)."""
        query = canned_query(name)
        try:
            query.check(params)  # unknown names (did you mean), missing ones, unmet `needs`
        except QueryError as exc:
            raise QueryError(f"{exc}; e.g. {query.python_example()}") from None
        final: dict[str, Any] = {}
        self.notes = []
        scope = params.get("jurisdiction")
        for param in query.params:
            value = params.get(param.name)
            if value is None or value == "":
                if param.required:
                    raise QueryError(f"query {name}: parameter {param.name} is required ({param.description}; "
                                     f"e.g. .query({name!r}, {param.name}={param.example!r}))")
                final[param.name] = param.default
                continue
            value = param.convert(value)
            if param.kind == "unit":
                final[param.name] = self._resolve_many(param.name, value, lambda text: self.units().resolve(
                    text, str(scope) if scope else None), "unit")
            elif param.kind == "doc":
                final[param.name] = self._resolve_many(param.name, value, self.documents().resolve, "document")
            else:
                final[param.name] = value
        return query, final

    def _resolve_many(self, name: str, value: Any, resolve: Any, what: str) -> list[str]:
        ids: list[str] = []
        for text in value if isinstance(value, list) else [value]:
            found, rule = resolve(text)
            if not found:
                raise QueryError(f"parameter {name}: no {what} in the graph matches {text!r}")
            ids += [str(item["id"]) for item in found if str(item["id"]) not in ids]
            shown = ", ".join(f"{item.get('name')} ({item['id']})" for item in found[:8])
            more = f" and {len(found) - 8} more" if len(found) > 8 else ""
            self.notes.append(f"{name}={text} -> {shown}{more} [{rule}]")
        return ids

    # -- running
    def query(self, name: str, /, **params: Any) -> Rows:
        """Run a canned query (see `policykg query --list`); unit/doc parameters accept aliases."""
        query, final = self.prepare(name, params)
        check_params(final)
        if query.paged:
            if final["limit"] < 0 or final["skip"] < 0:
                raise QueryError(f"query {name}: limit and skip must be 0 or more")
            return self._read_page(query, final)
        return self._read(query.statement_for(getattr(self.backend, "dialect", "falkordb")), final, query.returns)

    def _read_page(self, query: CannedQuery, params: dict[str, Any]) -> Rows:
        """A paged query's reply (one row of total and page per UNION ALL part) as Rows."""
        started = time.perf_counter()
        _columns, parts = self.backend.read(query.statement_for(getattr(self.backend, "dialect", "falkordb")), params)
        columns = list(query.returns)
        rows = [dict(zip(columns, values)) for part in parts for values in part.get("rows") or []]
        total = sum(int(part.get("total") or 0) for part in parts)
        return Rows(columns, rows[:params["limit"]], time.perf_counter() - started, total, params["skip"])

    def cypher(self, text: str, /, **params: Any) -> Rows:
        """An ad-hoc read-only Cypher query; values only through params ($name in the text)."""
        if not text or not text.strip():
            raise QueryError("empty Cypher query")
        check_params(params)
        return self._read(text, params, ())

    def _read(self, statement: str, params: dict[str, Any], expected: Sequence[str]) -> Rows:
        started = time.perf_counter()
        columns, rows = self.backend.read(statement, params)
        return Rows(columns or list(expected), rows, time.perf_counter() - started)

    # -- lifetime
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.backend.close()

    def __enter__(self) -> PolicyGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PolicyGraph on {self.engine}>"


def read_directory(path: Path) -> list[dict[str, Any]] | None:
    """The rows of one directory file in OUT/.cache; None when it is missing or unreadable."""
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def prefetch_directories(out_dir: Path) -> dict[Path, UnitDirectory | DocumentDirectory]:
    """The newest unit and document directories in OUT/.cache, read (the units' names made
    comparable) while the server still reads its dump, when the command has nothing else to do:
    the session takes one only if it is the loaded graph's (the file name holds graph.json's
    sha256, and a file of that name is written once, whole), else reads its own."""
    found: dict[Path, UnitDirectory | DocumentDirectory] = {}
    for name in ("units", "documents"):
        try:
            candidates = [(path.stat().st_mtime_ns, path) for path in (out_dir / ".cache").glob(f"{name}-*.json")]
        except OSError:
            continue
        newest = max(candidates)[1] if candidates else None
        rows = read_directory(newest) if newest is not None else None
        if newest is None or not isinstance(rows, list):
            continue
        if name == "units":
            units = UnitDirectory(rows)
            units._normalised()
            found[newest] = units
        else:
            found[newest] = DocumentDirectory(rows)
    return found


def open_embedded(out: str | Path = "out", load: bool = True, force_load: bool = False, batch_size: int | None = None,
                  timeout_ms: int | None = None, progress: Any = None, idle_timeout: float = 0.0) -> PolicyGraph:
    """Start (or join) the embedded server of OUT, load OUT/graph.json if it changed; a PolicyGraph.

    Close it (or use `with`) to save and stop the server; it is also stopped at interpreter exit.
    With idle_timeout > 0 (the command line's) closing leaves the server running that many
    seconds for the next session, which then only connects. `progress(done, total, kind)` hears
    of each load batch.

    The server `policykg query` started early (policykg/early_start.py) is taken as it is: when
    the graph it holds is OUT/graph.json as it is now (by its stat), the session needs nothing of
    graph/embedded.py and its loaders (a one-shot command does not import them); else it becomes
    the EmbeddedServer that syncs.
    """
    from policykg.graph.falkor_server import EmbeddedError, take_early

    out_dir = Path(out)
    if not (out_dir / "graph.json").is_file():
        raise QueryError(f"{out_dir / 'graph.json'}: no graph file; run `policykg build DATA --out {out_dir}` first")
    server: Any = take_early(out_dir)  # the one `policykg query` started early, if any
    if server is not None:
        server.idle_timeout = idle_timeout
    else:
        from policykg.graph.embedded import EmbeddedServer

        server = EmbeddedServer(out_dir, idle_timeout=idle_timeout)
    prefetched = prefetch_directories(out_dir) if server.starting else {}
    try:
        server.start()
    except EmbeddedError as exc:
        raise QueryError(str(exc)) from exc
    summary = None
    if load and (force_load or not server.current_by_stat()):
        from policykg.graph.cypher_load import LoadError
        from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, EmbeddedServer

        if not isinstance(server, EmbeddedServer):
            # the early one, made before embedded.py was imported, becomes the EmbeddedServer it
            # stands for (which adds methods only, no state), as embedded.claim_server does
            server.__class__ = EmbeddedServer
        try:
            summary = server.sync(force=force_load, batch_size=batch_size or EMBEDDED_BATCH_SIZE, progress=progress)
        except (LoadError, EmbeddedError) as exc:
            server.stop()
            raise QueryError(f"{out_dir / 'graph.json'}: loading into the embedded engine failed: {exc}") from exc
        except BaseException:
            server.stop()
            raise
    session = PolicyGraph(EmbeddedBackend(server, timeout_ms), summary)
    session.prefetched = prefetched
    session.notes = list(server.notes)
    atexit.register(session.close)
    return session


def connect_neo4j(uri: str | None = None, username: str | None = None, password: str | None = None,
                  database: str | None = None, timeout_ms: int | None = None) -> PolicyGraph:
    """Connect to Neo4j (arguments, else NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE)."""
    from policykg.graph.cypher_load import LoadError
    from policykg.graph.neo4j_loader import Neo4jEngine, Neo4jSettings

    if not (uri or os.environ.get("NEO4J_URI")):
        raise QueryError("no Neo4j URI: pass uri='neo4j://host:7687' (and username=, password=) "
                         "or set NEO4J_URI")
    try:
        engine = Neo4jEngine(Neo4jSettings.from_env(uri, username, password, database))
    except LoadError as exc:
        raise QueryError(str(exc)) from exc
    session = PolicyGraph(Neo4jBackend(engine, timeout_ms))
    atexit.register(session.close)
    return session
