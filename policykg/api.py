"""The functions the CLI commands call (sqlite-utils style: the notebook API and the command
line are the same code). `build` is the main job: documents -> graph -> files in OUT.

OUT is written whole or not at all: everything goes to a temporary folder beside OUT and is
moved into place at the end, so a failed build never leaves a half-written OUT, and an OUT
folder that policykg did not make is never overwritten.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import select
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.read import SUPPORTED_SUFFIXES, SourceError
from policykg.graph.build import document_graph
from policykg.graph.export import document_rows
from policykg.graph.fd_writes import write_all, write_file
from policykg.graph.forked import Forked
from policykg.graph.fragments import CorpusWriter, encode_document, prerender_sheet, sent_summary
from policykg.graph.fragments import parsed_summary as _parsed_summary
from policykg.graph.record import encode_record
from policykg.graph.task_sheet import SheetRows
from policykg.outdir import OUT_MARKER, OutError, OutFolder, is_policykg_folder
from policykg.pool import ordered_results
from policykg.progress import Progress

INFERRED_FILE = "inferred.txt"  # one line per document whose metadata was inferred from its text
XLSX_CACHE_DIR = ".cache/task-sheets"  # under OUT: the 任务分工表's per-document parts
NODES_CACHE = ".cache/shared-nodes"  # under OUT: the shared nodes' GraphML, by their graph.json text

__all__ = ["OUT_MARKER", "BuildError", "BuildReport", "build", "extract_documents", "input_files", "tasks"]


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
    cached: int = 0  # documents whose record came from the old OUT's cache (not extracted again)
    cached_sheets: int = 0  # 任务分工表 sheets copied from a cache (not rendered by the writer)
    cached_elements: int = 0  # shared nodes and corpus-level elements whose GraphML came from the cache
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


def input_files(data: Path, warnings: list[str] | None = None) -> list[Path]:
    """The documents under a folder (recursively, following links; hidden files, the manifest
    and policykg's own output folders skipped), or a single file. A symbolic-link loop or an
    unreadable folder is skipped with a warning."""
    if not data.exists():
        raise BuildError(f"{_shown(data)}: no such file or folder"
                         + (" (a broken symbolic link)" if data.is_symlink() else ""))
    if data.is_file():
        return [data]
    if not data.is_dir():
        raise BuildError(f"{_shown(data)}: not a file or folder of documents")
    warnings = warnings if warnings is not None else []
    files: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()

    def walk_error(exc: OSError) -> None:
        warnings.append(f"{_shown(Path(exc.filename or data))}: cannot read this folder "
                        f"({exc.strerror or exc}); skipped")

    for root, dirs, names in os.walk(data, followlinks=True, onerror=walk_error):
        folder = Path(root)
        try:
            st = folder.stat()
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            warnings.append(f"{_shown(folder)}: a symbolic link back to a folder already read (a loop); skipped")
            dirs[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        if folder != data and is_policykg_folder(folder):
            dirs[:] = []  # an OUT (or its staging copy) inside DATA: its views are not documents
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = folder / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES \
                    or name.lower() in ("readme.md", "readme.txt"):
                continue
            if path.is_symlink() and not path.exists():
                warnings.append(f"{_shown(path)}: a broken symbolic link; skipped")
                continue
            if path.is_file():
                files.append(path)
    if not files:
        raise BuildError(f"{_shown(data)}: no documents (.txt, .md, .html, .docx, .pdf) in this folder")
    return sorted(files)


def _shown(path: Path) -> str:
    """A path as a message shows it: bytes that are not UTF-8 as \\xNN."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def document_files(doc: PolicyDocument) -> tuple[bytes, bytes]:
    """What the build needs of one extracted document, without the document itself (texts,
    offsets, spans): its summary (what crosses documents, its report figures; JSON) and its
    fragment file (its part of every output, encoded once: policykg.graph.fragments). A worker
    sends back these two, the build cache keeps them."""
    _summary, summary_bytes, fragment, _plain = _document_record(doc)
    return summary_bytes, fragment


def _document_record(doc: PolicyDocument, sheet: SheetRows | None = None,
                     views: list[Any] | None = None) -> tuple[dict[str, Any], bytes, bytes, bool]:
    """document_files, the summary as the values it was encoded from (the worker renders the
    document's sheet from them without parsing the bytes back), and whether graph/record.py
    encoded it (then its sheet's rows were rendered into `sheet` on the way, if given, and the
    values of its views part put into `views`, if given: see encode_record)."""
    # The encoding makes thousands of small containers, none in a reference cycle: the cyclic
    # garbage collector, which they would set off, would walk the whole document's objects for
    # nothing (a fifth of this stage's time). Refcounting frees them as before.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # straight from the document where its values allow (graph/record.py), else the general way
        encoded = encode_record(doc, sheet, views)
        summary, fragment = encoded or encode_document(document_graph(doc), document_rows(doc))
        summary["report"] = {
            "path": str(doc.path), "name": doc.name, "title": doc.meta.title, "jurisdiction": doc.meta.jurisdiction,
            "period": doc.meta.period, "inferred": dict(doc.meta.inferred), "tasks": len(doc.tasks),
            "unit_mentions": sum(len(t.clause.units) for t in doc.tasks),
            "flagged": sum(1 for t in doc.tasks for u in t.clause.units if u.resolved and u.resolved.flagged),
            "targets": len(doc.targets), "entities": sum(1 for e in doc.entities if not e.generic),
            "warnings": list(doc.warnings),
        }
        return summary, sent_summary(summary, plain=encoded is not None), fragment, encoded is not None
    finally:
        if collecting:
            gc.enable()


def load_summary(path: Path) -> dict[str, Any]:
    return _parsed_summary(path.read_bytes())


# An extraction job: the file, its manifest entry, and (when the document has a cache key) where
# its fragment goes, that key, and the writer's sheet cache (None: the fragment is sent back).
Job = tuple[Path, dict[str, Any] | None, tuple[Path, str, Path | None] | None]


def _extract_one(job: Job) -> tuple[bytes, bytes | None] | str:
    """One file through the pipeline, as its summary and fragment (document_files); an error
    message (naming the file) instead of raising, so that a worker process never dies on a bad file.
    With a place for the fragment, the worker writes it into the build cache itself (and renders
    the document's 任务分工表 sheet into the sheet cache) and sends back only the summary: the
    parent never handles a fragment's bytes."""
    path, entry, place = job
    # The stages and the encoding make many small containers and no reference cycle (a collection
    # during a job frees nothing): the cyclic collector, which their allocations set off about once
    # a document, would walk the job's objects for nothing (2-3 % of a worker's CPU). Refcounting
    # frees them; whatever cycle a job leaves (an exception's traceback) is collected after it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _extracted(path, entry, place)
    finally:
        if collecting:
            gc.enable()


def _extracted(path: Path, entry: dict[str, Any] | None,
               place: tuple[Path, str, Path | None] | None) -> tuple[bytes, bytes | None] | str:
    """_extract_one's work (the collector off)."""
    from policykg.extract.pipeline import process_file

    try:
        doc = process_file(path, meta_from_manifest(entry) if entry else None)
        sheet = SheetRows() if place is not None and place[2] is not None else None
        views = [] if _views_parts and place is not None else None
        values, summary, fragment, plain = _document_record(doc, sheet, views)
        if place is None:
            return summary, fragment
        fragment_file, key, sheets = place
        write_file(fragment_file, fragment)
        if _views_parts:
            _write_views_part(fragment_file, values["sections"], fragment, views)
        if sheets is not None:
            if plain:  # the sheet's rows rendered by the encoding, no text of theirs to clean
                prerender_sheet(sheets, values, fragment, key, rendered=sheet)
            else:
                prerender_sheet(sheets, values, fragment, key)
        # the summary last (RecordCache.put's order: it is what says the entry is there)
        write_file(fragment_file.with_suffix(SUMMARY), summary)
        return summary, None
    except SourceError as exc:
        return str(exc)
    except Exception as exc:
        return f"{path}: extraction failed ({type(exc).__name__}: {exc})"


# whether the extraction workers make each document's part of the views (set by a build with views)
_views_parts = False


@contextmanager
def _views_parts_made(wanted: bool) -> Iterator[None]:
    """The extraction workers started inside make each document's part of the views if `wanted`."""
    global _views_parts
    _views_parts = wanted
    try:
        yield
    finally:
        _views_parts = False


def _write_views_part(fragment_file: Path, sections: list[int], fragment: bytes,
                      values: list[Any] | None = None) -> None:
    """The document's part of the views (its edges' rows and its task records, see
    visualize/document_parts.py) beside its fragment in the build cache: made here, in the worker,
    so that the views of the build mostly renumber and copy it; from the values its lines were
    encoded from where graph/record.py gave them (`values`), else from the lines. Not fatal:
    where it fails, the views make it again from the fragment (and report what is wrong)."""
    from policykg.visualize.document_parts import document_part, encoded_part, part_file

    try:
        part = encoded_part(*values) if values else None
        if part is None:
            lines = memoryview(fragment)
            part = document_part(lines[:sections[0]], lines[sections[0]:sections[0] + sections[1]])
        write_file(part_file(fragment_file), part)
    except Exception:  # (the views make the part again, and raise there)
        with suppress(OSError):
            part_file(fragment_file).unlink()


# a small plan of the usual forms (headings, clauses of each kind, targets in text and in a table,
# parks and firms), extracted once before the workers fork
WARM_UP_PLAN = "warm_up_plan.txt"  # in policykg.extract's resources


def _warm_up() -> None:
    """Load the pipeline's models and tables once, before the workers fork, so that each
    worker does not load them again: and what the stages build on first use (their patterns and
    tables, the modules they import then, compiled from source where no bytecode is cached: 0.1 to
    0.2 CPU s that every worker spent again on its first document), by extracting and encoding a
    small plan of the package's own, whose result is dropped (a user's document is extracted only
    in a worker, where a crash on it loses only that document)."""
    from policykg.extract.clauses import clause_words
    from policykg.extract.entity_components import components
    from policykg.extract.meta import RESOURCES
    from policykg.extract.meta import load_tables as load_meta_tables
    from policykg.extract.normalise import load_tables
    from policykg.extract.pipeline import process_file

    load_tables()  # opencc and what its t2s can change
    load_meta_tables()  # the gazetteer, the bodies of each level
    clause_words()
    components()  # the entity stage's tables (without spaCy: extraction does not use it)
    with suppress(Exception):  # (a warm-up only: the workers build what it did not)
        _document_record(process_file(RESOURCES / WARM_UP_PLAN), SheetRows())


def _entry_by_content(sha256: str | None, manifest: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """A manifest entry for a renamed file, matched by its sha256 (found before extraction, so
    the file goes through the pipeline once)."""
    return manifest.get(sha256) if manifest and sha256 else None


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # the reader reports it


def _results(jobs: list[Job], workers: int) -> Iterator[tuple[bytes, bytes | None] | str]:
    if workers <= 1 or len(jobs) < 16:  # below that, starting workers costs more than it saves
        yield from map(_extract_one, jobs)
        return
    _warm_up()
    # the tables and modules loaded so far live as long as the workers: the collector need not walk
    # them on every full collection (and a worker's reads do not copy their pages); the parent, whose
    # caller may go on to make and drop objects of its own, collects as before once they are forked
    gc.freeze()
    if not hasattr(os, "fork"):  # (Windows) workers that import the pipeline afresh
        gc.unfreeze()
        yield from _spawned_results(jobs, workers)
        return
    # forked workers inherit the loaded vocabularies and the jobs; results in input order (stable
    # ids), at most a few ahead of the one the build waits for (each is a document's summary)
    try:
        results = ordered_results(_extract_one, jobs, workers, _lost_job, ahead=workers * 4)
        first = next(results, None)
    finally:
        gc.unfreeze()
    if first is not None:
        yield first
        yield from results


def _lost_job(job: Job, why: str) -> str:
    """The result of a job whose worker process died on it, or raised past _extract_one."""
    return f"{job[0]}: extraction failed ({why})"


def _spawned_results(jobs: list[Job], workers: int) -> Iterator[tuple[bytes, bytes | None] | str]:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_extract_one, jobs, chunksize=1)


@cache
def pipeline_version() -> str:
    """A digest of everything that decides what a document becomes: the extraction code and its
    resources, the graph and table code. A cached record is reused only under the same version."""
    import policykg.extract
    import policykg.graph

    digest = hashlib.sha256(b"policykg-record-2")
    extract_dir = Path(policykg.extract.__file__).parent
    graph_dir = Path(policykg.graph.__file__).parent
    files = sorted(p for p in extract_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    # the worker's encoding: the graph part, the table rows, the fragments and their cleaning
    # (and the task sheet each worker renders; compare.py gives a task its content and section title)
    files += [graph_dir / name for name in ("build.py", "export.py", "fragments.py", "record.py", "sanitise.py",
                                            "compare.py", "task_sheet.py", "xlsx.py", "labels.py")] + [Path(__file__)]
    for path in files:
        digest.update(str(path.relative_to(path.parents[1])).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


CACHE_DIR = ".cache/documents"  # under OUT: each document's summary and fragment file, by what made them
SUMMARY, FRAGMENT = ".json", ".frag"
VIEWS_PART = ".views"  # = visualize.document_parts.VIEWS_PART: a document's part of the views, if made


class RecordCache:
    """The per-document cache of a build: OUT/.cache/documents/<key>.json (the summary) and
    <key>.frag (the fragment file), the key made of the file's sha256, the pipeline version, the
    file's path and its manifest entry. A build reads the entries of unchanged files from the
    old OUT and writes every entry of this build into the new one (so documents that are gone
    drop out with the old OUT)."""

    def __init__(self, old_out: Path | None, new_out: Path, corrections: str = "") -> None:
        self.old = old_out / CACHE_DIR if old_out is not None else None
        self.new = new_out / CACHE_DIR
        self.new.mkdir(parents=True, exist_ok=True)
        self.corrections = corrections  # sha256 of the review file the build reads ("" for none)
        self.hits = 0

    def key(self, sha256: str, path: Path, entry: dict[str, Any] | None) -> str:
        about = json.dumps([pipeline_version(), str(path), entry, self.corrections], ensure_ascii=False,
                           sort_keys=True, default=str)
        # surrogateescape: a file name that is not UTF-8 still keys its record
        return f"{sha256}-{hashlib.sha256(about.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"

    def take(self, key: str) -> Path | None:
        """The new cache's summary for `key` when the old cache has it (linked, else copied),
        its fragment beside it."""
        if self.old is None:
            return None
        for suffix in (FRAGMENT, VIEWS_PART, SUMMARY):  # the summary last: it is what says the entry is there
            old, new = self.old / f"{key}{suffix}", self.new / f"{key}{suffix}"
            try:
                os.link(old, new)
            except FileExistsError:
                pass
            except FileNotFoundError:
                if suffix == VIEWS_PART:  # (a build without views made none: the views make it)
                    continue
                return None
            except OSError:
                try:
                    shutil.copyfile(old, new)
                except OSError:
                    return None
        self.hits += 1
        return self.new / f"{key}{SUMMARY}"

    def fragment_file(self, key: str) -> Path:
        """Where the new cache keeps the fragment of `key` (an extraction worker writes it there)."""
        return self.new / f"{key}{FRAGMENT}"

    def put(self, key: str, summary: bytes, fragment: bytes | None) -> Path:
        """Keep a document's summary and its fragment, unless the worker wrote them already
        (fragment None: it did, see _extract_one)."""
        path = self.new / f"{key}{SUMMARY}"
        if fragment is not None:
            self.fragment_file(key).write_bytes(fragment)
            path.write_bytes(summary)
        return path


def extract_records(
    files: Iterable[Path],
    manifest_dir: Path | None,
    report: BuildReport,
    cache: RecordCache,
    writer: CorpusWriter,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    workers: int = 1,
) -> int:
    """Run the extraction pipeline over the files not in the cache (in `workers` processes) and
    hand each document's summary to the writer, in input order; returns the documents added.
    Unreadable files become report errors; a file with the content of an earlier one is skipped."""
    manifest = load_manifest(manifest_dir) if manifest_dir else {}
    jobs: list[Job] = []
    planned: list[tuple[Path, str | None, Path | None]] = []  # (file, cache key, cached summary)
    for path in files:
        sha256 = _file_sha256(path)
        entry = manifest.get(path.name) or _entry_by_content(sha256, manifest)
        key = cache.key(sha256, path, entry) if sha256 else None
        cached = cache.take(key) if key else None
        planned.append((path, key, cached))
        if cached is None:
            jobs.append((path, entry, (cache.fragment_file(key), key, writer.cache_dir) if key else None))
    results = _results(jobs, workers)
    fresh = iter(progress(results) if progress else results)
    added = 0
    seen: dict[str, Path] = {}
    for path, key, cached in planned:
        if cached is None:
            result = next(fresh)
            if isinstance(result, str):
                report.errors.append(result)
                continue
            summary_bytes, fragment = result
            summary = _parsed_summary(summary_bytes)
            cached = cache.put(key or f"{summary['sha256']}-nokey", summary_bytes, fragment)
        else:
            summary = load_summary(cached)
        record = summary["report"]
        if summary["sha256"] in seen:
            report.warnings.append(f"{_shown(path)}: same content as {_shown(seen[summary['sha256']])}; skipped")
            continue
        seen[summary["sha256"]] = path
        report.bytes_read += path.stat().st_size
        period = tuple(record["period"]) if record["period"] else None
        if (manifest.get(path.name) or manifest.get(summary["sha256"])) is None:
            how = ", ".join(f"{k} {v}" for k, v in record["inferred"].items()
                            if k in ("title", "jurisdiction", "period"))
            report.inferred.append(
                f"{_shown(Path(path.name))}: no manifest entry; title '{record['title']}', jurisdiction "
                f"'{record['jurisdiction'] or '?'}', period {period or '?'} ({how})")
        if record["jurisdiction"] == "unknown":
            report.warnings.append(f"{_shown(path)}: jurisdiction unknown "
                                   f"({record['inferred'].get('jurisdiction', '')}); add it to the manifest")
        if not record["tasks"]:
            what = "no responsibility clauses (no tasks)" + ("" if record["targets"] else " and no targets")
            report.warnings.append(f"{_shown(path)}: {what}")
        report.warnings.extend(record["warnings"])
        report.documents += 1
        report.tasks += record["tasks"]
        report.unit_mentions += record["unit_mentions"]
        report.flagged += record["flagged"]
        report.targets += record["targets"]
        report.entities += record["entities"]
        writer.add(summary, cached.with_suffix(FRAGMENT), key)
        added += 1
    return added


def extract_documents(
    files: Iterable[Path],
    manifest_dir: Path | None = None,
    report: BuildReport | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> list[PolicyDocument]:
    """The extracted documents themselves (for notebooks and tests; the build uses records):
    unreadable files become report errors, repeated contents are skipped."""
    report = report or BuildReport(out=Path("."))
    manifest = load_manifest(manifest_dir) if manifest_dir else {}
    docs: list[PolicyDocument] = []
    seen: set[str] = set()
    items = list(files)
    from policykg.extract.pipeline import process_file

    for path in progress(items) if progress else items:
        # a manifest entry by content only where there is a manifest (else no second read of the file)
        entry = manifest.get(path.name) or (_entry_by_content(_file_sha256(path), manifest) if manifest else None)
        try:
            doc = process_file(path, meta_from_manifest(entry) if entry else None)
        except SourceError as exc:
            report.errors.append(str(exc))
            continue
        if doc.sha256 not in seen:
            seen.add(doc.sha256)
            docs.append(doc)
    return docs


def _build_into(target: OutFolder, data: Path, files: list[Path], report: BuildReport,
                manifest_dir: Path | str | None, views: bool, strict: bool, progress: bool | None,
                workers: int | None) -> CorpusWriter:
    """Extract (through the per-document cache) and write every file into a staging folder
    swapped in as OUT, streaming: no graph of the whole corpus is held (CorpusWriter); returns
    the writer (its figures)."""
    with _collector_paused() as resume:
        return _build_staged(target, data, files, report, manifest_dir, views, strict, progress, workers, resume)


@contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """The cyclic garbage collector off while the build's parent merges the documents' summaries:
    the shared nodes and a few objects per document, kept to the end of the build and in no
    reference cycle, would set it off again and again as they grow, and it would walk them (and,
    in its full collections, every table loaded for the workers) for nothing: ~0.2 CPU s of a
    1000-plan build, taken from the cores that extract. The function it gives resumes the
    collector once extraction is over, with what is held by then frozen (never walked while the
    files are written); unfrozen at the end: the caller's collector as it was."""
    collecting = gc.isenabled()
    frozen: list[bool] = []

    def resume() -> None:
        if collecting and not frozen:
            gc.freeze()
            frozen.append(True)
            gc.enable()
    gc.disable()
    try:
        yield resume
    finally:
        if frozen:
            gc.unfreeze()
        elif collecting:
            gc.enable()


def _build_staged(target: OutFolder, data: Path, files: list[Path], report: BuildReport,
                  manifest_dir: Path | str | None, views: bool, strict: bool, progress: bool | None,
                  workers: int | None, resume: Callable[[], None]) -> CorpusWriter:
    """_build_into's work, the collector paused until `resume()`."""
    out = target.out
    stages = Progress(progress)

    def bar(items: Iterable[Any]) -> Iterable[Any]:
        return stages.items(items, len(files), "extracting", "doc")
    mdir = Path(manifest_dir) if manifest_dir else (data if data.is_dir() else data.parent)
    folder = data if data.is_dir() else data.parent
    tmp = target.staging()  # removed by the OutFolder unless committed
    old_out = out if is_policykg_folder(out) else None
    # the review file's corrections change what documents become: they are part of the cache key
    review = folder / REVIEW_FILE
    cache = RecordCache(old_out, tmp, (_file_sha256(review) or "") if review.is_file() else "")
    writer = CorpusWriter(tmp, cache_dir=tmp / XLSX_CACHE_DIR,
                          reuse_dir=old_out / XLSX_CACHE_DIR if old_out is not None else None,
                          nodes_cache=tmp / NODES_CACHE,
                          nodes_reuse=old_out / NODES_CACHE if old_out is not None else None)
    _use_review_file(folder, report)
    try:  # the review file's corrections hold for this build only
        try:
            workers = workers if workers is not None else min(4, os.cpu_count() or 1)
            with _views_parts_made(views):
                added = extract_records(files, mdir, report, cache, writer, bar, workers=workers)
        except ValueError as exc:  # a broken manifest
            raise BuildError(str(exc)) from exc
        if not added:
            raise BuildError(report.errors[0] if len(report.errors) == 1 else
                             f"{_shown(data)}: no document could be read ({len(report.errors)} errors: "
                             f"{'; '.join(report.errors[:3])})")
        report.cached = cache.hits
        if strict and report.errors:
            raise BuildError(report.errors[0])
        if not (report.tasks or report.targets):
            # a graph of bare Document nodes replacing a good OUT helps nobody: keep the old one
            where = _shown(files[0]) if len(files) == 1 else f"{_shown(data)} ({report.documents} documents read)"
            raise BuildError(f"{where}: nothing to build: no responsibility clause (task) and no target found; "
                             f"{out} was left as it was")
    finally:
        _forget_review_entries()
    resume()
    # the views are made from graph.json alone, in a forked process started before the writers
    # (its modules imported meanwhile, a tenth of its CPU, where it would otherwise wait for them):
    # it reads graph.json's nodes as soon as they are written, while the edges are written, and
    # the edges once the file is complete, while the writers go on with GraphML, the CSV tables and
    # the 任务分工表. The writers say when by messages down a pipe (not by its end: the writers'
    # own forked processes hold copies of its write end): graph.json's count of edges once its
    # nodes are written, then a byte once it is complete (seen, not read, by each process waiting).
    drawing: list[Forked] = []
    signals: list[int] = []  # the write end of that pipe
    if views:
        read, write = os.pipe()

        def draw() -> None:  # (a child: Forked, inline=False)
            os.close(write)
            import policykg.visualize.views  # noqa: F401
            edges = int.from_bytes(_message(read, 8), "little")
            _write_views(tmp, lambda: _wait_for_data(read), writer, exiting=True, edges=edges)
        try:
            drawing.append(Forked.start(draw, inline=False))
        except OSError:  # no process to be had now: the views start once graph.json is complete
            os.close(write)
        else:
            signals.append(write)
        finally:
            os.close(read)

    def nodes_written() -> None:
        if signals:
            write_all(signals[0], writer.edges.to_bytes(8, "little"))

    def graph_complete() -> None:
        if signals:
            write_all(signals[0], b"1")
        elif not drawing:
            drawing.append(Forked.start(lambda: _write_views(tmp, None, writer)))
    try:
        report.files = writer.close(stage=stages.stage, nodes_written=nodes_written if views else None,
                                    graph_written=graph_complete if views else None)
        if drawing:
            with stages.stage("views"):
                drawing.pop().result()
    except BaseException:
        for job in drawing:
            job.stop()
        raise
    finally:
        for fd in signals:
            os.close(fd)
    if report.inferred:
        (tmp / INFERRED_FILE).write_text("".join(f"{line}\n" for line in report.inferred), encoding="utf-8")
    target.commit(tmp)
    return writer


def _forget_review_entries() -> None:
    """No review file's corrections from now on (resolution without them is the default: nothing
    to undo unless the resolver was loaded)."""
    resolve = sys.modules.get(_RESOLVE)
    if resolve is not None:
        resolve.use_review_entries({})


def _write_views(out: Path, complete: Callable[[], None] | None = None, writer: CorpusWriter | None = None,
                 exiting: bool = False, edges: int | None = None) -> None:
    """The views of the graph written to out/graph.json, read from there as a stream (`complete`:
    returns once the file, still being written, is complete); the documents' edges from their
    views parts (visualize/document_parts.py) where the writer that wrote graph.json says where
    (`edges`: how many graph.json has, where the writer was copied before it counted them all).
    `exiting`: this is a forked child that exits right after (what the views hold is not freed)."""
    from policykg.visualize.document_parts import BuiltDocuments
    from policykg.visualize.views import write_views_from_out

    documents = None
    if writer is not None:
        files = [(d.fragment, d.sections[0], d.sections[1], d.edges, d.nodes, [before for before, _ in d.new_shared])
                 for d in writer.docs]
        documents = BuiltDocuments(files, (writer.edges if edges is None else edges) - sum(file[3] for file in files))
    write_views_from_out(out, out / "views", complete=complete, documents=documents, exiting=exiting)


def _message(fd: int, size: int) -> bytes:
    """The next `size` bytes from the pipe `fd` (an error if it ends before)."""
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise RuntimeError("the build's writers ended before graph.json's nodes were written")
        data += chunk
    return data


def _wait_for_data(fd: int) -> None:
    """Until the pipe `fd` has something to read, or is closed at its other end (nothing is read:
    every process that waits on it sees it)."""
    select.select([fd], [], [])




# = policykg.extract.resolve.REVIEW_FILE, named here so that a build whose documents all come
# from the cache imports no extraction code (tests/test_build_cache.py checks both agree)
REVIEW_FILE = "policykg-aliases.tsv"
_RESOLVE = "policykg.extract.resolve"


def _use_review_file(folder: Path, report: BuildReport) -> None:
    """DATA/policykg-aliases.tsv, a coordinator's corrections: read by every build, winning over
    the built-in tables; a malformed row is one warning and is left out."""
    path = folder / REVIEW_FILE
    if not path.is_file():
        _forget_review_entries()
        return
    from policykg.extract.resolve import read_review_file, use_review_entries

    entries, problems = read_review_file(path)
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
    report = BuildReport(out=out)
    files = input_files(data, report.warnings)
    try:
        with OutFolder(out, data) as target:
            report.warnings.extend(target.notes)
            written = _build_into(target, data, files, report, manifest_dir, views, strict, progress, workers)
    except OutError as exc:
        raise BuildError(str(exc)) from exc
    report.units, report.nodes, report.edges = written.units, written.nodes, written.edges
    report.cached_sheets, report.cached_elements = written.sheet_hits, written.node_hits
    report.seconds = time.perf_counter() - t0
    return report


TASK_COLUMNS = ["doc", "doc_title", "task_path", "task_title", "role", "unit_id", "unit_name", "written", "quote",
                "current"]
ROLES = ("lead", "participant")


def tasks(unit: str, out: Path | str = "out", *, jurisdiction: str | None = None,
          role: str | None = None, all_editions: bool = False, neo4j: bool | None = None) -> Any:
    """The tasks a unit leads and takes part in (any alias), as Rows (a list of dicts with
    .to_dataframe(), .to_csv(), a table in notebooks): the rows `policykg tasks` prints. Of the
    newest edition of each plan, or of every edition with all_editions=True. From OUT/graph.json,
    or from Neo4j when `neo4j` is true (None: when NEO4J_URI is set)."""
    import os
    from dataclasses import asdict

    from policykg.graph.lookup import tasks_of_unit
    from policykg.queries.runner import Rows

    if role not in (None, *ROLES):
        raise ValueError(f"role={role!r}: expected one of {', '.join(map(repr, ROLES))} or None")
    if neo4j or (neo4j is None and os.environ.get("NEO4J_URI")):
        from policykg.graph.neo4j_loader import Neo4jEngine, Neo4jSettings, unit_task_graph

        with Neo4jEngine(Neo4jSettings.from_env()) as engine:
            graph = unit_task_graph(engine, unit, jurisdiction)
    else:
        from policykg.graph.export import read_graph

        graph = read_graph(out)
    return Rows(TASK_COLUMNS, [asdict(r) for r in tasks_of_unit(graph, unit, jurisdiction, role, all_editions)])
