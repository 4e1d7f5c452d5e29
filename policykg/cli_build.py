"""`policykg build` and `policykg tasks`: thin layers over policykg.api.build / .tasks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policykg import api
from policykg.cli import PolicykgError, main


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
def build(data_dir: Path, out_dir: Path, manifest_dir: Path | None, views: bool, strict: bool, quiet: bool,
          workers: int | None) -> None:
    """Build the responsibility graph from DATA_DIR (a folder of plans, or one file)."""
    try:
        report = api.build(data_dir, out_dir, manifest_dir=manifest_dir, views=views, strict=strict,
                           workers=workers)
    except api.BuildError as exc:
        raise PolicykgError(str(exc)) from exc
    except OSError as exc:
        raise PolicykgError(f"{exc.filename or out_dir}: {exc.strerror or exc}") from exc
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        for line in report.summary_lines():
            click.echo(line)


@main.command()
@click.argument("unit")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="A built output folder.")
@click.option("--jurisdiction", "-j", default=None, help="Choose among same-named units, e.g. 清远市.")
@click.option("--role", type=click.Choice(["lead", "participant"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--all-editions", is_flag=True,
              help="Count every edition of a plan, not only the newest (older editions are superseded).")
def tasks(unit: str, out_dir: Path, jurisdiction: str | None, role: str | None, fmt: str,
          all_editions: bool) -> None:
    """The tasks UNIT leads and takes part in (any alias: 科技局, 市科技局, 清远市科学技术局), in the
    newest edition of each plan unless --all-editions."""
    from policykg.graph.lookup import AmbiguousUnit, UnitNotFound

    try:
        rows = api.tasks(unit, out_dir, jurisdiction=jurisdiction, role=role, all_editions=all_editions)
    except (UnitNotFound, AmbiguousUnit, FileNotFoundError, ValueError) as exc:
        raise PolicykgError(str(exc)) from exc
    from policykg.queries.runner import Rows  # one table/CSV/JSON printer for every command

    columns = ["doc", "task_path", "task_title", "role", "unit_name"] if fmt == "table" else \
        ["doc", "doc_title", "task_path", "task_title", "role", "unit_id", "unit_name", "written", "quote"]
    table = Rows(columns, [{c: r[c] for c in columns} for r in rows])
    click.echo(table.to_json() if fmt == "json" else table.to_csv() if fmt == "csv" else table.to_table(),
               nl=fmt != "csv")
    if fmt == "table" and rows:
        leads = sum(r["role"] == "lead" for r in rows)
        click.echo(f"{rows[0]['unit_name']}: leads {leads}, takes part in {len(rows) - leads}", err=True)
    if fmt == "table" and not all_editions:
        older = len(api.tasks(unit, out_dir, jurisdiction=jurisdiction, role=role, all_editions=True)) - len(rows)
        if older:
            click.echo(f"newest editions only: --all-editions adds {older} tasks of older editions", err=True)
    sys.stdout.flush()
