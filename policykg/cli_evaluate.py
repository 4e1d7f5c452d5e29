"""`policykg evaluate GOLD_DIR --out OUT`: a thin layer over policykg.evaluate.evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from policykg.cli import PolicykgError, main


@main.command()
@click.argument("gold_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="The built OUT folder whose responsibilities.csv and targets.csv are scored.")
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the original files, to find a gold document by its bytes when the gold file "
                   "gives no sha256 and the build used another name.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table with misses and extras listed, or one JSON object.")
def evaluate(gold_dir: Path, out_dir: Path, sources: Path | None, fmt: str) -> None:
    """Score OUT against the annotated plans in GOLD_DIR (one JSON file per plan, as tests/gold/):
    precision, recall and F1 per document for responsibilities and targets."""
    from policykg.evaluate import EvaluationError, report_lines
    from policykg.evaluate import evaluate as run_evaluation

    try:
        report = run_evaluation(gold_dir, out_dir, sources)
    except EvaluationError as exc:
        raise PolicykgError(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        for line in report_lines(report):
            click.echo(line)
