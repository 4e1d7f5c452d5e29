"""`policykg build` and `policykg tasks`: thin layers over policykg.api.build / .tasks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policykg.cli import PolicykgError, main, out_option

TASK_TABLE_COLUMNS = ["doc", "task_path", "task_title", "role", "unit_name"]


@main.command()
@click.argument("data_dir", type=click.Path(path_type=Path, readable=False))  # the reader says why
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Output folder (replaced as a whole when the build succeeds).")
@click.option("--manifest-dir", type=click.Path(path_type=Path), default=None,
              help="Folder holding manifest.json (default: DATA_DIR).")
@click.option("--views/--no-views", default=True, show_default=True, help="Write the HTML views too.")
@click.option("--strict", is_flag=True, help="Fail (and write nothing) if any file cannot be read.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--jobs", "-j", "workers", type=click.IntRange(1, 64), default=None,
              help="Extraction processes (default: up to 4, one per core).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bars on stderr for stages over a second (default: when stderr is a terminal).")
def build(data_dir: Path, out_dir: Path, manifest_dir: Path | None, views: bool, strict: bool, quiet: bool,
          workers: int | None, progress: bool | None) -> None:
    """Build the responsibility graph from DATA_DIR (a folder of plans, or one file)."""
    from policykg import api  # the pipeline and the graph code: only a command that runs them imports them

    try:
        report = api.build(data_dir, out_dir, manifest_dir=manifest_dir, views=views, strict=strict,
                           workers=workers, progress=False if quiet else progress)
    except api.BuildError as exc:
        raise PolicykgError(str(exc)) from exc
    except OSError as exc:
        raise PolicykgError(f"{exc.filename or out_dir}: {exc.strerror or exc}") from exc
    if not quiet:  # the summary first; what went wrong or was guessed after it
        for line in report.summary_lines():
            click.echo(line)
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("unit")
@out_option
@click.option("--jurisdiction", default=None, help="Choose among same-named units, e.g. 清远市.")
@click.option("--role", type=click.Choice(["lead", "participant"]), default=None,
              help="Only the tasks the unit leads (lead) or takes part in (participant); default both.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: a short table for reading; csv and json: every column, full texts.")
@click.option("--all-editions", is_flag=True,
              help="Count every edition of a plan, not only the newest (older editions are superseded).")
@click.option("--neo4j", "use_neo4j", is_flag=True,
              help="Read Neo4j (NEO4J_URI etc.); the default when NEO4J_URI is set.")
def tasks(unit: str, out_dir: Path, jurisdiction: str | None, role: str | None, fmt: str,
          all_editions: bool, use_neo4j: bool) -> None:
    """The tasks UNIT leads and takes part in (any alias: 科技局, 市科技局, 清远市科学技术局), in the
    newest edition of each plan unless --all-editions.

    The same rows as policykg.tasks(unit, out, jurisdiction=…, role=…, all_editions=…) in Python."""
    from policykg import api
    from policykg.cli_db import say_engine, wants_neo4j
    from policykg.graph.cypher_load import LoadError
    from policykg.graph.lookup import AmbiguousUnit, UnitNotFound

    neo4j = wants_neo4j(use_neo4j)
    say_engine(neo4j, out_dir, use_neo4j, embedded="graph.json")
    try:
        rows = api.tasks(unit, out_dir, jurisdiction=jurisdiction, role=role, all_editions=all_editions,
                         neo4j=neo4j)
    except AmbiguousUnit as exc:
        raise PolicykgError(exc.message("--jurisdiction")) from exc
    except (UnitNotFound, FileNotFoundError, ValueError, LoadError) as exc:
        raise PolicykgError(str(exc)) from exc
    if fmt == "json":
        click.echo(rows.to_json())
    elif fmt == "csv":
        click.echo(rows.to_csv(), nl=False)
    else:
        click.echo(rows.select(TASK_TABLE_COLUMNS).to_table())
    if fmt == "table" and rows:
        leads = sum(r["role"] == "lead" for r in rows)
        click.echo(f"{rows[0]['unit_name']}: leads {leads}, takes part in {len(rows) - leads}", err=True)
    if fmt == "table" and not all_editions:
        older = len(api.tasks(unit, out_dir, jurisdiction=jurisdiction, role=role, all_editions=True)) - len(rows)
        if older:
            click.echo(f"newest editions only: --all-editions adds {older} tasks of older editions", err=True)
    sys.stdout.flush()
