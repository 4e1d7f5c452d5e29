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


def _graph_of_files(paths: list[Path]):  # -> (nx.MultiDiGraph, document ids)
    """The files through the pipeline and into a graph, as a build would put them."""
    from policykg.graph.build import build_graph

    docs = [_from_file(path) for path in paths]
    return build_graph(docs), [doc.doc_id for doc in docs]


def _documents(g, refs: list[str], where: str):  # -> tuple of PolicyDocument
    """The two documents to compare, rebuilt from the graph (the one code path for files and
    for a built graph). One ref: the two newest editions of its plan family, older first."""
    from policykg.graph.compare import document_from_graph, family_editions, find_document

    try:
        if len(refs) == 1:
            editions = family_editions(g, refs[0])
            if len(editions) < 2:
                raise LookupError(f"{refs[0]}: its plan has {len(editions)} edition(s) in the graph; "
                                  "name two documents to compare")
            nodes = editions[-2:]
        else:
            nodes = [find_document(g, ref) for ref in refs]
    except LookupError as exc:
        raise PolicykgError(f"{where}: {exc}") from exc
    return document_from_graph(g, nodes[0]), document_from_graph(g, nodes[1])


@main.command()
@click.argument("doc_a")
@click.argument("doc_b", required=False)
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
    help="Accepted for compatibility; not needed (the graph holds the paragraph texts compare reads).",
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
    doc_a: str, doc_b: str | None, out_dir: Path | None, data_dir: Path | None, csv_path: Path | None,
    min_score: float | None
) -> None:
    """What changed from plan DOC_A to plan DOC_B: targets changed for the same indicator and year,
    tasks added, removed, re-assigned (lead changed), participants added or dropped.

    DOC_A and DOC_B are two document files, or, with --out, two documents of a built graph.
    With one argument (a plan or one of its documents, in --out OUT, default ./out): the plan's
    two newest editions. Files and a built graph give the same answer (one code path).
    """
    from policykg.graph import read_graph
    from policykg.graph.compare import MIN_TASK_SCORE, format_report, write_comparison_csv
    from policykg.graph.compare import compare as compare_documents

    refs = [doc_a] if doc_b is None else [doc_a, doc_b]
    if out_dir is None and doc_b is None:
        out_dir = Path("out")
    if out_dir is not None:
        try:
            g = read_graph(out_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise PolicykgError(str(exc)) from exc
        where = str(out_dir)
    else:
        paths = [Path(ref) for ref in refs]
        for path in paths:
            if not path.is_file():
                hint = "" if path.exists() else " (to name documents of a built graph, add --out OUT)"
                raise PolicykgError(f"{path}: no such file{hint}")
        g, refs = _graph_of_files(paths)
        where = "the files"
    a, b = _documents(g, refs, where)
    result = compare_documents(a, b, min_score=MIN_TASK_SCORE if min_score is None else min_score)
    click.echo(format_report(result), nl=False)
    if csv_path is not None:
        try:
            write_comparison_csv(result, csv_path)
        except OSError as exc:
            raise PolicykgError(f"{csv_path}: cannot write ({exc.strerror or exc})") from exc
        click.echo(f"changes written to {csv_path}", err=True)
