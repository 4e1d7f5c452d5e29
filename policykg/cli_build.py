"""`policykg build` and `policykg tasks`: thin layers over policykg.api.build / .tasks."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from policykg import api
from policykg.cli import PolicykgError, main


def emit_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    """Rows to stdout as an aligned table, CSV or a JSON array."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
        return
    if not rows:
        click.echo("(no rows)")
        return
    from wcwidth import wcswidth  # CJK characters take two columns in a terminal

    def cell(v: Any) -> str:
        s = " ".join(str(v).split())
        return s if len(s) <= 60 else s[:59] + "…"

    table = [[cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(wcswidth(c), *(wcswidth(row[i]) for row in table)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - wcswidth(v)) for v, w in zip(values, widths)).rstrip()

    click.echo(line(columns))
    click.echo(line(["-" * w for w in widths]))
    for row in table:
        click.echo(line(row))


@main.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
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
def tasks(unit: str, out_dir: Path, jurisdiction: str | None, role: str | None, fmt: str) -> None:
    """The tasks UNIT leads and takes part in (any alias: 科技局, 市科技局, 清远市科学技术局)."""
    from policykg.graph.lookup import AmbiguousUnit, UnitNotFound

    try:
        rows = api.tasks(unit, out_dir, jurisdiction=jurisdiction, role=role)
    except (UnitNotFound, AmbiguousUnit, FileNotFoundError, ValueError) as exc:
        raise PolicykgError(str(exc)) from exc
    columns = ["doc", "task_path", "task_title", "role", "unit_name"] if fmt == "table" else \
        ["doc", "doc_title", "task_path", "task_title", "role", "unit_id", "unit_name", "written", "quote"]
    emit_rows(rows, columns, fmt)
    if fmt == "table" and rows:
        leads = sum(r["role"] == "lead" for r in rows)
        click.echo(f"{rows[0]['unit_name']}: leads {leads}, takes part in {len(rows) - leads}", err=True)
    sys.stdout.flush()
