"""`policykg compare`: what changed between two versions of a plan (policykg.graph.compare)."""

from __future__ import annotations

from pathlib import Path

import click

from policykg.cli import PolicykgError, main


def _from_file(path: Path):  # -> PolicyDocument
    from policykg.extract.meta import load_manifest, meta_from_manifest
    from policykg.extract.pipeline import process_file
    from policykg.extract.read import SourceError

    try:
        manifest = load_manifest(path.parent)
    except ValueError as exc:
        raise PolicykgError(str(exc)) from exc
    entry = manifest.get(path.name)
    try:
        doc = process_file(path, meta_from_manifest(entry) if entry else None)
        if entry is None and doc.sha256 in manifest:  # renamed copy of a listed file
            doc = process_file(path, meta_from_manifest(manifest[doc.sha256]))
    except SourceError as exc:
        raise PolicykgError(str(exc)) from exc
    except Exception as exc:  # an extraction bug must still name the file
        raise PolicykgError(f"{path}: extraction failed ({type(exc).__name__}: {exc})") from exc
    return doc


def _from_graph(out_dir: Path, refs: tuple[str, str], data_dir: Path | None):  # -> tuple of PolicyDocument
    from policykg.graph import read_graph
    from policykg.graph.compare import document_from_graph, find_document

    try:
        g = read_graph(out_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise PolicykgError(str(exc)) from exc
    docs = []
    for ref in refs:
        try:
            node = find_document(g, ref)
        except LookupError as exc:
            raise PolicykgError(f"{out_dir}: {exc}") from exc
        file_name = str(g.nodes[node].get("file", ""))
        source = (data_dir / file_name) if data_dir is not None else None
        docs.append(document_from_graph(g, node, source))
    return docs[0], docs[1]


@main.command()
@click.argument("doc_a")
@click.argument("doc_b")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="A built output folder: DOC_A and DOC_B name two of its documents (file name, id, sha256 or "
    "part of the title) instead of files.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="With --out: the folder of the source files, so paragraph texts help match tasks.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the changes as CSV (one row per change) to this file.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=None,
    help="Pair score below which two tasks count as different (default 0.33).",
)
def compare(
    doc_a: str, doc_b: str, out_dir: Path | None, data_dir: Path | None, csv_path: Path | None, min_score: float | None
) -> None:
    """What changed from plan DOC_A to plan DOC_B: targets changed for the same indicator and year,
    tasks added, removed, re-assigned (lead changed), participants added or dropped.

    DOC_A and DOC_B are two document files, or, with --out, two documents of a built graph.
    """
    from policykg.graph.compare import MIN_TASK_SCORE, format_report, write_comparison_csv
    from policykg.graph.compare import compare as compare_documents

    if out_dir is not None:
        a, b = _from_graph(out_dir, (doc_a, doc_b), data_dir)
    else:
        paths = [Path(doc_a), Path(doc_b)]
        for path in paths:
            if not path.is_file():
                hint = "" if path.exists() else " (to name documents of a built graph, add --out OUT)"
                raise PolicykgError(f"{path}: no such file{hint}")
        a, b = _from_file(paths[0]), _from_file(paths[1])
    result = compare_documents(a, b, min_score=MIN_TASK_SCORE if min_score is None else min_score)
    click.echo(format_report(result), nl=False)
    if csv_path is not None:
        try:
            write_comparison_csv(result, csv_path)
        except OSError as exc:
            raise PolicykgError(f"{csv_path}: cannot write ({exc.strerror or exc})") from exc
        click.echo(f"changes written to {csv_path}", err=True)
