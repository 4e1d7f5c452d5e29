"""`policykg load`, `policykg export neo4j-admin`, `policykg query`, `policykg cypher`: thin
layers over policykg.graph (loaders) and policykg.queries.runner (the notebook API)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from policykg.cli import PolicykgError, main

FORMATS = ("table", "csv", "json")


def _neo4j_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--uri/--user/--password/--database, defaulting to the NEO4J_* environment variables."""
    options = [
        click.option("--neo4j", "use_neo4j", is_flag=True,
                     help="Use Neo4j (NEO4J_URI etc.) instead of the embedded FalkorDB under OUT."),
        click.option("--uri", default=None, help="Neo4j URI (default: $NEO4J_URI); implies --neo4j."),
        click.option("--user", "username", default=None, help="Neo4j user (default: $NEO4J_USERNAME)."),
        click.option("--password", default=None, help="Neo4j password (default: $NEO4J_PASSWORD, preferred)."),
        click.option("--database", default=None, help="Neo4j database (default: $NEO4J_DATABASE or the server's)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _parse_params(pairs: tuple[str, ...], typed: bool) -> dict[str, Any]:
    """--param k=v pairs. For ad-hoc Cypher (typed), a JSON number, boolean or list is read as
    such (year=2022 is an integer); canned queries convert by their header instead."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise PolicykgError(f"--param {pair!r}: expected NAME=VALUE")
        parsed: Any = value
        if typed:
            try:
                candidate = json.loads(value)
            except ValueError:
                candidate = value
            if isinstance(candidate, (int, float, bool, list)) or candidate is None:
                parsed = candidate
        if name in params:  # repeated: a list (several units, several documents)
            previous = params[name]
            params[name] = [*previous, parsed] if isinstance(previous, list) else [previous, parsed]
        else:
            params[name] = parsed
    return params


def _session(out: str, use_neo4j: bool, uri: str | None, username: str | None, password: str | None,
             database: str | None, reload: bool = False, timeout: float | None = None) -> Any:
    from policykg.queries.runner import QueryError, connect_neo4j, open_embedded

    try:
        timeout_ms = int(timeout * 1000) if timeout else None
        if use_neo4j or uri:
            return connect_neo4j(uri, username, password, database, timeout_ms=timeout_ms)
        session = open_embedded(out, force_load=reload, timeout_ms=timeout_ms)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    for note in session.notes:
        click.echo(f"note: {note}", err=True)
    if session.load_summary is not None:
        click.echo("loaded OUT/graph.json into the embedded engine: "
                   f"{session.load_summary.nodes_in_graph} nodes, {session.load_summary.edges_in_graph} edges "
                   f"in {session.load_summary.seconds:.2f} s", err=True)
    return session


def _emit(rows: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(rows.to_json())
    elif fmt == "csv":
        click.echo(rows.to_csv(), nl=False)
    else:
        click.echo(rows.to_table())


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@_neo4j_options
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Rows per transaction (default: 1000 on Neo4j, 5000 embedded).")
@click.option("--embedded", is_flag=True, help="Load into the embedded FalkorDB even if NEO4J_URI is set.")
@click.option("--force", is_flag=True, help="Embedded: reload even when graph.json did not change.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def load(out_dir: Path, use_neo4j: bool, uri: str | None, username: str | None, password: str | None,
         database: str | None, batch_size: int | None, embedded: bool, force: bool, as_json: bool) -> None:
    """Load OUT_DIR/graph.json into Neo4j (NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD,
    NEO4J_DATABASE, or the flags), or into the embedded FalkorDB when no Neo4j is configured.

    Idempotent: documents already loaded with the same content are skipped; a changed document
    replaces its earlier version; every other document's data is left as it is.
    """
    from policykg.graph.cypher_load import DEFAULT_BATCH_SIZE, LoadError, read_graph_file
    from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, EmbeddedError, EmbeddedServer

    try:
        if embedded and (use_neo4j or uri):
            raise LoadError("--embedded and --neo4j/--uri exclude each other")
        if not embedded and (use_neo4j or uri or os.environ.get("NEO4J_URI")):
            from policykg.graph.neo4j_loader import Neo4jSettings, load_into_neo4j

            graph = read_graph_file(out_dir)
            settings = Neo4jSettings.from_env(uri, username, password, database)
            summary = load_into_neo4j(graph, settings, batch_size=batch_size or DEFAULT_BATCH_SIZE)
        else:
            click.echo(f"note: loading into the embedded engine under {out_dir} (no NEO4J_URI; --neo4j for Neo4j)",
                       err=True)
            if not (out_dir / "graph.json").is_file():
                raise LoadError(f"{out_dir / 'graph.json'}: no graph file; "
                                f"run `policykg build DATA --out {out_dir}` first")
            with EmbeddedServer(out_dir) as server:
                for note in server.notes:
                    click.echo(f"note: {note}", err=True)
                summary = server.sync(force=force, batch_size=batch_size or EMBEDDED_BATCH_SIZE)
            if summary is None:
                click.echo(f"{out_dir / 'graph.json'} is already loaded in {server.db_dir} (use --force to reload)")
                return
    except (LoadError, EmbeddedError) as exc:
        raise PolicykgError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in summary.lines():
            click.echo(line)


@main.group()
def export() -> None:
    """Export the graph for other tools."""


@export.command("neo4j-admin")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write (default OUT_DIR/neo4j-admin).")
def export_neo4j_admin(out_dir: Path, dest: Path | None) -> None:
    """CSV files for `neo4j-admin database import` (big corpora) and a Cypher script (small ones)."""
    from policykg.graph.cypher_load import LoadError, read_graph_file
    from policykg.graph.neo4j_admin import export_neo4j_admin as do_export

    target = dest or out_dir / "neo4j-admin"
    try:
        written = do_export(read_graph_file(out_dir), target)
    except (LoadError, OSError) as exc:
        raise PolicykgError(str(exc)) from exc
    click.echo(f"wrote {len(written)} files to {target}:")
    for path in written:
        click.echo(f"  {path.name}")
    click.echo(f"bulk import: see {target / 'import.sh'}; small graphs: cypher-shell -f {target / 'load.cypher'}")


@main.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; repeat for several (a repeated name gives a list).")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries, one line each.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", "out", default="out", show_default=True, type=click.Path(file_okay=False),
              help="The built OUT folder (embedded engine).")
@click.option("--reload", is_flag=True, help="Embedded: reload OUT/graph.json first.")
@click.option("--timeout", type=click.FloatRange(min=0.001), default=None,
              help="Stop the query after this many seconds.")
@_neo4j_options
def query(name: str | None, params: tuple[str, ...], list_queries: bool, fmt: str, out: str, reload: bool,
          timeout: float | None, use_neo4j: bool, uri: str | None, username: str | None, password: str | None,
          database: str | None) -> None:
    """Run the canned query NAME (queries/*.cypher) on the embedded engine or Neo4j."""
    from policykg.queries.catalog import QueryError, canned_query, load_catalog

    try:
        catalog = load_catalog()
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    if list_queries:
        width = max(len(query_name) for query_name in catalog)
        for query_name, canned in catalog.items():
            click.echo(f"{query_name.ljust(width)}  {canned.description}")
        return
    if not name:
        raise PolicykgError("name a query (policykg query --list shows them)")
    try:
        canned = canned_query(name)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    values = _parse_params(params, typed=False)
    missing = [param.name for param in canned.params if param.required and param.name not in values]
    if missing:
        raise PolicykgError(f"query {name}: missing parameter {', '.join(missing)}\n{canned.usage()}")
    session = _session(out, use_neo4j, uri, username, password, database, reload, timeout)
    try:
        rows = session.query(name, **values)
        for note in session.notes:
            click.echo(f"note: {note}", err=True)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    finally:
        session.close()
    _emit(rows, fmt)


@main.command()
@click.argument("statement")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter ($NAME in the query); numbers, booleans and [lists] are read as JSON.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", "out", default="out", show_default=True, type=click.Path(file_okay=False),
              help="The built OUT folder (embedded engine).")
@click.option("--timeout", type=click.FloatRange(min=0.001), default=None,
              help="Stop the query after this many seconds.")
@_neo4j_options
def cypher(statement: str, params: tuple[str, ...], fmt: str, out: str, timeout: float | None, use_neo4j: bool,
           uri: str | None, username: str | None, password: str | None, database: str | None) -> None:
    """Run an ad-hoc read-only Cypher STATEMENT; writes are refused."""
    from policykg.queries.catalog import QueryError
    from policykg.queries.runner import check_params

    values = _parse_params(params, typed=True)
    try:
        check_params(values)  # before the engine starts: a bad parameter costs nothing
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    session = _session(out, use_neo4j, uri, username, password, database, timeout=timeout)
    try:
        rows = session.cypher(statement, **values)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    finally:
        session.close()
    _emit(rows, fmt)
