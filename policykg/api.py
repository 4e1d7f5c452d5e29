"""The functions the CLI commands call (sqlite-utils style: the notebook API and the command
line are the same code). `build` is the main job: documents -> graph -> files in OUT.

OUT is written whole or not at all: everything goes to a temporary folder beside OUT and is
moved into place at the end, so a failed build never leaves a half-written OUT, and an OUT
folder that policykg did not make is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.pipeline import process_file
from policykg.extract.read import SUPPORTED_SUFFIXES, SourceError
from policykg.graph.build import build_graph
from policykg.graph.export import GRAPH_JSON, write_outputs
from policykg.progress import Progress

OUT_MARKER = ".policykg-out"  # a file that says: this folder is a policykg build output
INFERRED_FILE = "inferred.txt"  # one line per document whose metadata was inferred from its text


class BuildError(Exception):
    """Nothing useful could be built; the message is one line naming the file and problem."""


@dataclass
class BuildReport:
    out: Path
    documents: int = 0
    tasks: int = 0
    units: int = 0
    unit_mentions: int = 0
    flagged: int = 0
    targets: int = 0
    entities: int = 0
    nodes: int = 0
    edges: int = 0
    seconds: float = 0.0
    bytes_read: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = [
            f"built {self.out}: {self.documents} documents, {self.tasks} tasks, {self.units} units "
            f"({self.unit_mentions} assignments), {self.flagged} flagged, {self.targets} targets, "
            f"{self.entities} entities; graph {self.nodes} nodes / {self.edges} edges in {self.seconds:.1f} s",
        ]
        if self.inferred:
            lines.append(f"inferred title/jurisdiction/period of {len(self.inferred)} documents without a manifest "
                         f"entry: see {self.out / INFERRED_FILE}")
        return lines


def input_files(data: Path) -> list[Path]:
    """The documents under a folder (recursively; hidden files and the manifest skipped), or a
    single file."""
    if not data.exists():
        raise BuildError(f"{data}: no such file or folder")
    if data.is_file():
        return [data]
    files = [
        p for p in sorted(data.rglob("*"))
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(data).parts)
        and p.name.lower() not in ("readme.md", "readme.txt")
    ]
    if not files:
        raise BuildError(f"{data}: no documents (.txt, .md, .html, .docx, .pdf) in this folder")
    return files


def _extract_one(job: tuple[Path, dict[str, Any] | None]) -> PolicyDocument | str:
    """One file through the pipeline; an error message (naming the file) instead of raising,
    so that a worker process never dies on a bad file."""
    path, entry = job
    try:
        return process_file(path, meta_from_manifest(entry) if entry else None)
    except SourceError as exc:
        return str(exc)
    except Exception as exc:
        return f"{path}: extraction failed ({type(exc).__name__}: {exc})"


def _warm_up() -> None:
    """Load the pipeline's models and tables once, before the workers fork, so that each
    worker does not load them again."""
    from policykg.extract.clauses import clause_words
    from policykg.extract.entities import entity_pipeline

    clause_words()
    entity_pipeline()


def _entry_by_content(path: Path, manifest: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """A manifest entry for a renamed file, matched by its sha256 (found before extraction, so
    the file goes through the pipeline once)."""
    if not manifest:
        return None
    try:
        return manifest.get(hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return None  # the reader reports it


def _results(jobs: list[tuple[Path, dict[str, Any] | None]], workers: int) -> Iterator[PolicyDocument | str]:
    if workers <= 1 or len(jobs) < 16:  # below that, starting workers costs more than it saves
        yield from map(_extract_one, jobs)
        return
    import multiprocessing

    _warm_up()
    # fork: workers inherit the loaded vocabularies; imap keeps the input order (stable ids)
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(workers) as pool:
        yield from pool.imap(_extract_one, jobs, chunksize=4)


def extract_documents(
    files: Iterable[Path],
    manifest_dir: Path | None = None,
    report: BuildReport | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    workers: int = 1,
) -> list[PolicyDocument]:
    """Run the extraction pipeline over files (in `workers` processes); unreadable files
    become report errors."""
    report = report or BuildReport(out=Path("."))
    manifest = load_manifest(manifest_dir) if manifest_dir else {}
    docs: list[PolicyDocument] = []
    seen: dict[str, Path] = {}
    jobs = [(path, manifest.get(path.name) or _entry_by_content(path, manifest)) for path in files]
    results = _results(jobs, workers)
    for (path, entry), result in zip(jobs, progress(results) if progress else results):
        if isinstance(result, str):
            report.errors.append(result)
            continue
        doc = result
        if doc.sha256 in seen:
            report.warnings.append(f"{path}: same content as {seen[doc.sha256]}; skipped")
            continue
        seen[doc.sha256] = path
        report.bytes_read += path.stat().st_size
        if entry is None:
            how = ", ".join(f"{k} {v}" for k, v in doc.meta.inferred.items()
                            if k in ("title", "jurisdiction", "period"))
            report.inferred.append(
                f"{path.name}: no manifest entry; title '{doc.meta.title}', jurisdiction "
                f"'{doc.meta.jurisdiction or '?'}', period {doc.meta.period or '?'} ({how})")
        if doc.meta.jurisdiction == "unknown":
            report.warnings.append(f"{path}: jurisdiction unknown ({doc.meta.inferred.get('jurisdiction', '')}); "
                                   "add it to the manifest")
        if not doc.tasks:
            what = "no responsibility clauses (no tasks)" + ("" if doc.targets else " and no targets")
            report.warnings.append(f"{path}: {what}")
        report.warnings.extend(doc.warnings)
        docs.append(doc)
    return docs


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / OUT_MARKER).exists() and not (out / GRAPH_JSON).exists():
        raise BuildError(f"{out}: folder is not empty and was not made by policykg; choose another --out")
    parent = out.resolve().parent
    if not parent.exists():
        raise BuildError(f"{out}: parent folder {parent} does not exist")
    probe = parent / f".policykg-probe-{time.time_ns()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise BuildError(f"{out}: cannot write here ({exc.strerror or exc})") from exc


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move the finished tmp folder into place; the old OUT goes only after the new one is in."""
    old = None
    if out.exists():
        if (out / "falkordb").is_dir():
            from policykg.graph.embedded import stop_server

            stop_server(out)  # it serves the folder being replaced
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        # the embedded database is rebuilt from graph.json on first use, so it is not carried over
        shutil.rmtree(old, ignore_errors=True)


def _use_review_file(folder: Path, report: BuildReport) -> None:
    """DATA/policykg-aliases.tsv, a coordinator's corrections: read by every build, winning over
    the built-in tables; a malformed row is one warning and is left out."""
    from policykg.extract.resolve import REVIEW_FILE, read_review_file, use_review_entries

    path = folder / REVIEW_FILE
    entries, problems = read_review_file(path) if path.is_file() else ({}, [])
    use_review_entries(entries)
    report.warnings.extend(problems)
    if entries:
        report.inferred.append(f"{path}: {len(entries)} corrections applied")


def build(
    data: Path | str,
    out: Path | str = "out",
    *,
    manifest_dir: Path | str | None = None,
    views: bool = True,
    strict: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Build the graph and every output file from a folder (or one file) of plans into OUT.

    Raises BuildError when nothing useful can be built (no readable document, an unwritable
    OUT, or any error with strict=True)."""
    t0 = time.perf_counter()
    data, out = Path(data), Path(out)
    files = input_files(data)
    _check_out(out)
    report = BuildReport(out=out)
    stages = Progress(progress)

    def bar(items: Iterable[Any]) -> Iterable[Any]:
        return stages.items(items, len(files), "extracting", "doc")
    mdir = Path(manifest_dir) if manifest_dir else (data if data.is_dir() else data.parent)
    _use_review_file(data if data.is_dir() else data.parent, report)
    try:  # the review file's corrections hold for this build only
        try:
            workers = workers if workers is not None else min(4, os.cpu_count() or 1)
            docs = extract_documents(files, mdir, report, bar, workers=workers)
        except ValueError as exc:  # a broken manifest
            raise BuildError(str(exc)) from exc
        if not docs:
            raise BuildError(report.errors[0] if len(report.errors) == 1 else
                             f"{data}: no document could be read ({len(report.errors)} errors: "
                             f"{'; '.join(report.errors[:3])})")
        if strict and report.errors:
            raise BuildError(report.errors[0])
        with stages.stage("graph"):
            g = build_graph(docs)
    finally:
        from policykg.extract.resolve import use_review_entries

        use_review_entries({})
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.resolve().parent))
    try:
        report.files = write_outputs(g, docs, tmp, stage=stages.stage)
        if views:
            from policykg.visualize import write_views

            with stages.stage("views"):
                write_views(g, tmp / "views")
        if report.inferred:
            (tmp / INFERRED_FILE).write_text("".join(f"{line}\n" for line in report.inferred), encoding="utf-8")
        (tmp / OUT_MARKER).write_text("policykg build output; safe to delete and rebuild\n", encoding="utf-8")
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.documents = len(docs)
    report.tasks = sum(len(d.tasks) for d in docs)
    report.unit_mentions = sum(len(t.clause.units) for d in docs for t in d.tasks)
    report.units = sum(1 for _, d in g.nodes(data=True) if "Unit" in d.get("labels", ()))
    report.flagged = sum(1 for d in docs for t in d.tasks for u in t.clause.units if u.resolved and u.resolved.flagged)
    report.targets = sum(len(d.targets) for d in docs)
    report.entities = sum(1 for d in docs for e in d.entities if not e.generic)
    report.nodes, report.edges = g.number_of_nodes(), g.number_of_edges()
    report.seconds = time.perf_counter() - t0
    return report


TASK_COLUMNS = ["doc", "doc_title", "task_path", "task_title", "role", "unit_id", "unit_name", "written", "quote",
                "current"]
ROLES = ("lead", "participant")


def tasks(unit: str, out: Path | str = "out", *, jurisdiction: str | None = None,
          role: str | None = None, all_editions: bool = False) -> Any:
    """The tasks a unit leads and takes part in (any alias), as Rows (a list of dicts with
    .to_dataframe(), .to_csv(), a table in notebooks): the rows `policykg tasks` prints. Of the
    newest edition of each plan, or of every edition with all_editions=True."""
    from dataclasses import asdict

    from policykg.graph.export import read_graph
    from policykg.graph.lookup import tasks_of_unit
    from policykg.queries.runner import Rows

    if role not in (None, *ROLES):
        raise ValueError(f"role={role!r}: expected one of {', '.join(map(repr, ROLES))} or None")
    return Rows(TASK_COLUMNS, [asdict(r) for r in tasks_of_unit(read_graph(out), unit, jurisdiction, role,
                                                                all_editions)])
