"""`policykg load`, `policykg export neo4j-admin`, `policykg query`, `policykg cypher`: thin
layers over policykg.graph (loaders) and policykg.queries.runner (the notebook API)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from policykg.cli import PolicykgError, main, out_argument_or_option, out_option

FORMATS = ("table", "csv", "json")
FORMAT_HELP = "table: for reading (long texts shortened, kept distinct); csv and json: every value in full."


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


def wants_neo4j(use_neo4j: bool = False, uri: str | None = None, embedded: bool = False) -> bool:
    """The one rule for every command that reads or loads a graph: --neo4j, --uri or NEO4J_URI
    -> Neo4j; otherwise (or with --embedded) the embedded FalkorDB under OUT."""
    return not embedded and bool(use_neo4j or uri or os.environ.get("NEO4J_URI"))


def say_engine(neo4j: bool, out: Path | str, use_neo4j: bool = False, uri: str | None = None,
               loading: bool = False, embedded: str = "FalkorDB") -> None:
    """The one line on stderr that says which engine a command uses, and why."""
    if neo4j:
        why = "--uri" if uri else "--neo4j" if use_neo4j else "NEO4J_URI"
        database = os.environ.get("NEO4J_DATABASE")
        where = (uri or os.environ.get("NEO4J_URI") or "(no NEO4J_URI)") \
            + (f", database {database}" if database else "")
        click.echo(f"engine: Neo4j at {where} ({why})", err=True)
    elif loading:
        click.echo(f"engine: embedded FalkorDB under {out} — no Neo4j configured (NEO4J_URI unset), so this "
                   "loads graph.json into the embedded engine that `policykg query` reads; "
                   "set NEO4J_URI or pass --neo4j/--uri to load into Neo4j", err=True)
    else:
        click.echo(f"engine: embedded {embedded} under {out} (NEO4J_URI unset; --neo4j or NEO4J_URI for Neo4j)",
                   err=True)


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
    from policykg.graph.falkor_server import EmbeddedError, command_idle_seconds  # not the loaders
    from policykg.queries.runner import QueryError, connect_neo4j, open_embedded

    neo4j = wants_neo4j(use_neo4j, uri)
    say_engine(neo4j, out, use_neo4j, uri)
    try:
        timeout_ms = int(timeout * 1000) if timeout else None
        if neo4j:
            if not (uri or os.environ.get("NEO4J_URI")):
                raise PolicykgError("no Neo4j URI: pass --uri neo4j://host:7687 or set NEO4J_URI")
            return connect_neo4j(uri, username, password, database, timeout_ms=timeout_ms)
        from policykg.progress import Progress

        session = open_embedded(out, force_load=reload, timeout_ms=timeout_ms, idle_timeout=command_idle_seconds(),
                                progress=Progress().batches("loading into the embedded engine"))
    except (QueryError, EmbeddedError) as exc:
        raise PolicykgError(str(exc)) from exc
    for note in session.notes:
        click.echo(f"note: {note}", err=True)
    if session.load_summary is not None:
        click.echo(f"loaded {Path(out) / 'graph.json'} into the embedded engine: "
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
@_neo4j_options
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Rows per transaction (default: 1000 on Neo4j, 5000 embedded).")
@click.option("--embedded", is_flag=True, help="Load into the embedded FalkorDB even if NEO4J_URI is set.")
@click.option("--force", is_flag=True, help="Embedded: reload even when graph.json did not change.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--progress/--no-progress", default=None,
              help="A progress bar on stderr for loads over a second (default: when stderr is a terminal).")
@out_argument_or_option
def load(out_dir: Path, use_neo4j: bool, uri: str | None, username: str | None, password: str | None,
         database: str | None, batch_size: int | None, embedded: bool, force: bool, as_json: bool,
         progress: bool | None) -> None:
    """Load OUT/graph.json into Neo4j (NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD,
    NEO4J_DATABASE, or the flags), or into the embedded FalkorDB when no Neo4j is configured.

    Idempotent: documents already loaded with the same content are skipped; a changed document
    replaces its earlier version; every other document's data is left as it is.
    """
    from policykg.graph.cypher_load import DEFAULT_BATCH_SIZE, LoadError, read_graph_file
    from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, EmbeddedError, EmbeddedServer, command_idle_seconds
    from policykg.progress import Progress

    report = Progress(progress).batches("loading")
    try:
        if embedded and (use_neo4j or uri):
            raise LoadError("--embedded and --neo4j/--uri exclude each other")
        neo4j = wants_neo4j(use_neo4j, uri, embedded)
        say_engine(neo4j, out_dir, use_neo4j, uri, loading=True)
        if neo4j:
            from policykg.graph.neo4j_loader import Neo4jSettings, load_into_neo4j

            graph = read_graph_file(out_dir)
            settings = Neo4jSettings.from_env(uri, username, password, database)
            summary = load_into_neo4j(graph, settings, batch_size=batch_size or DEFAULT_BATCH_SIZE, progress=report)
        else:
            if not (out_dir / "graph.json").is_file():
                raise LoadError(f"{out_dir / 'graph.json'}: no graph file; "
                                f"run `policykg build DATA --out {out_dir}` first")
            with EmbeddedServer(out_dir, idle_timeout=command_idle_seconds()) as server:
                for note in server.notes:
                    click.echo(f"note: {note}", err=True)
                summary = server.sync(force=force, batch_size=batch_size or EMBEDDED_BATCH_SIZE, progress=report)
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


def export_folder(out_dir: Path, what: str) -> Path:
    """Where `export` writes by default: beside OUT (OUT-neo4j-admin), because the next build
    replaces OUT as a whole."""
    return out_dir.parent / f"{out_dir.name}-{what}"


@export.command("neo4j-admin")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write (default: OUT-neo4j-admin beside OUT, which a rebuild of OUT leaves alone).")
@out_argument_or_option
def export_neo4j_admin(out_dir: Path, dest: Path | None) -> None:
    """CSV files for `neo4j-admin database import` (big corpora) and a Cypher script (small ones)."""
    from policykg.graph.cypher_load import LoadError, read_graph_file
    from policykg.graph.neo4j_admin import export_neo4j_admin as do_export

    target = dest or export_folder(out_dir, "neo4j-admin")
    if target.resolve().is_relative_to(out_dir.resolve()):
        click.echo(f"note: {target} is inside {out_dir}: the next `policykg build --out {out_dir}` replaces it",
                   err=True)
    try:
        written = do_export(read_graph_file(out_dir), target)
    except (LoadError, OSError) as exc:
        raise PolicykgError(str(exc)) from exc
    click.echo(f"wrote {len(written)} files to {target}:")
    for path in written:
        click.echo(f"  {path.name}")
    click.echo(f"bulk import: see {target / 'import.sh'}; small graphs: cypher-shell -f {target / 'load.cypher'}")


class QueryCommand(click.Command):
    """`policykg query NAME --help` shows NAME's parameters (types, defaults, an example) above
    the options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any(arg in ("-h", "--help") for arg in args):
            from policykg.queries.catalog import QueryError, load_catalog

            try:
                catalog = load_catalog()
            except QueryError:
                catalog = {}
            ctx.meta["policykg.query"] = next((catalog[arg] for arg in args if arg in catalog), None)
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        canned = ctx.meta.get("policykg.query")
        if canned is None:
            super().format_help(ctx, formatter)
            return
        formatter.write_usage(ctx.command_path, f"{canned.name} [-p NAME=VALUE]... [OPTIONS]")
        formatter.write_paragraph()
        for line in canned.usage().splitlines():
            formatter.write(f"  {line}\n")
        formatter.write_paragraph()
        self.format_options(ctx, formatter)


@main.command(cls=QueryCommand)
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; repeat for several (a repeated name gives a list).")
@click.option("--list", "list_queries", is_flag=True,
              help="List the canned queries: what each answers and its parameters ([optional]).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=FORMAT_HELP)
@out_option
@click.option("--reload", is_flag=True, help="Embedded: reload OUT/graph.json first.")
@click.option("--timeout", type=click.FloatRange(min=0.001), default=None,
              help="Stop the query after this many seconds.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="At most this many rows (a paged query's default is in its --help); the total is counted.")
@click.option("--skip", type=click.IntRange(min=0), default=None,
              help="Leave out this many rows first: --skip 100 --limit 100 is the second page of 100.")
@_neo4j_options
def query(name: str | None, params: tuple[str, ...], list_queries: bool, fmt: str, out_dir: Path, reload: bool,
          timeout: float | None, limit: int | None, skip: int | None, use_neo4j: bool, uri: str | None,
          username: str | None, password: str | None, database: str | None) -> None:
    """Run the canned query NAME (queries/*.cypher) on the embedded engine or Neo4j.

    `policykg query --list` lists them; `policykg query NAME --help` shows NAME's parameters."""
    from policykg.queries.catalog import QueryError, canned_query, load_catalog

    try:
        catalog = load_catalog()
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    if list_queries:
        width = max(len(query_name) for query_name in catalog)
        for query_name, canned in catalog.items():
            click.echo(f"{query_name.ljust(width)}  {canned.summary()}")
        click.echo("(policykg query NAME --help: a query's parameters, their types and an example)", err=True)
        return
    if not name:
        raise PolicykgError("name a query (policykg query --list shows them)")
    try:
        canned = canned_query(name)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    values = _parse_params(params, typed=False)
    for option, value in (("limit", limit), ("skip", skip)):
        if value is None:
            continue
        if not canned.paged:
            raise PolicykgError(f"query {name} returns no pages: --{option} does not apply to it")
        if option in values:
            raise PolicykgError(f"--{option} and -p {option}=… both given; give one")
        values[option] = value
    try:
        canned.check(values)  # unknown names first (did you mean), then missing ones
    except QueryError as exc:
        raise PolicykgError(f"{exc}\n{canned.usage()}") from exc
    session = _session(str(out_dir), use_neo4j, uri, username, password, database, reload, timeout)
    try:
        rows = session.query(name, **values)
        for note in session.notes:
            click.echo(f"note: {note}", err=True)
        if not rows.complete:
            click.echo(f"note: {rows.page_note()}; --skip and --limit show others", err=True)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    finally:
        session.close()
    _emit(rows, fmt)


@main.command()
@click.argument("statement")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter ($NAME in the query); numbers, booleans and [lists] are read as JSON.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=FORMAT_HELP)
@out_option
@click.option("--timeout", type=click.FloatRange(min=0.001), default=None,
              help="Stop the query after this many seconds.")
@_neo4j_options
def cypher(statement: str, params: tuple[str, ...], fmt: str, out_dir: Path, timeout: float | None, use_neo4j: bool,
           uri: str | None, username: str | None, password: str | None, database: str | None) -> None:
    """Run an ad-hoc read-only Cypher STATEMENT; writes are refused."""
    from policykg.queries.catalog import QueryError
    from policykg.queries.runner import check_params

    values = _parse_params(params, typed=True)
    try:
        check_params(values)  # before the engine starts: a bad parameter costs nothing
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    session = _session(str(out_dir), use_neo4j, uri, username, password, database, timeout=timeout)
    try:
        rows = session.cypher(statement, **values)
    except QueryError as exc:
        raise PolicykgError(str(exc)) from exc
    finally:
        session.close()
    _emit(rows, fmt)


@main.group()
def db() -> None:
    """The embedded database server of an OUT folder (FalkorDB on a Unix socket under OUT).

    `query`, `cypher` and `load` leave it running for the next command, which then only
    connects; it stops by itself after POLICYKG_SERVER_IDLE seconds with no command (default
    600; 0 stops it with each command), when OUT is rebuilt or removed, or with `policykg db stop`."""


@db.command("stop")
@out_argument_or_option
def db_stop(out_dir: Path) -> None:
    """Stop the embedded server of OUT now (the graph stays saved in OUT/falkordb)."""
    from policykg.graph.embedded import EmbeddedError, server_status, stop_server

    try:
        status = server_status(out_dir)
        stopped = stop_server(out_dir, keep_unsaved=True)
    except EmbeddedError as exc:
        raise PolicykgError(str(exc)) from exc
    if stopped:
        click.echo(f"stopped the embedded server of {out_dir} (pid {status.get('pid')})")
    else:
        click.echo(f"no embedded server runs for {out_dir}")


@db.command("status")
@out_argument_or_option
def db_status(out_dir: Path) -> None:
    """Whether the embedded server of OUT runs, its pid and socket, and until when it waits idle."""
    import time

    from policykg.graph.embedded import EmbeddedError, server_status

    try:
        status = server_status(out_dir)
    except EmbeddedError as exc:
        raise PolicykgError(str(exc)) from exc
    if not status.get("running"):
        click.echo(f"no embedded server runs for {out_dir}")
        return
    click.echo(f"embedded server of {out_dir}: pid {status['pid']}, socket {status['socket']}")
    until = status.get("kept_until") or 0.0
    if until > time.time():
        click.echo(f"stops after {until - time.time():.0f} s more with no command "
                   f"({time.strftime('%H:%M:%S', time.localtime(until))}), or with `policykg db stop`")
    else:
        click.echo("stops when its last user does")
