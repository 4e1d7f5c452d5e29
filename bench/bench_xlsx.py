"""Time the 任务分工表 writer (responsibilities.xlsx) on a built OUT, e.g. the 1000-plan corpus:

    .venv/bin/python bench/make_corpus.py --docs 1000 --out bench/corpus-1000
    .venv/bin/policykg build bench/corpus-1000/docs --out /tmp/out-1000 --no-views
    .venv/bin/python bench/bench_xlsx.py /tmp/out-1000 [--data bench/corpus-1000/docs] [--whole]

Documents come from OUT/graph.json (read element by element) and rows from
OUT/responsibilities.csv, streamed: each document's rows are read and handed to
TaskSheetWriter.add_document as a build hands them, so `peak MB` is what the writer holds.
`--whole` loads every row first and calls write_responsibilities_xlsx (the list API). With
--data, each task's paragraph (the 任务内容 fallback for a task without text of its own) is read
from the original files, so the cells are as long as in a build.

Prints, for a build without a sheet cache, one that fills it, one that finds every sheet there,
and one after a plan changed: seconds (wall, CPU, CPU inside the writer), cache hits, peak RSS
and file MB; and whether every cached build gave the same bytes as the clean one.
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policykg.extract.read import read_source
from policykg.graph.export import iter_graph_elements
from policykg.graph.task_sheet import TaskSheetWriter, write_responsibilities_xlsx, xlsx_document


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def documents_and_paragraphs(out: Path, data: Path | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    docs: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    paragraphs: dict[str, str] = {}
    for kind, item in iter_graph_elements(out):
        if kind != "node":
            continue
        if item["label"] == "Document":
            docs.append(xlsx_document(item))
            if data is not None:
                texts[item["sha256"]] = read_source(data / item["file"]).text
        elif item["label"] == "Task" and item.get("docSha256") in texts:
            paragraphs[item["id"]] = texts[item["docSha256"]][item["paragraphStart"]:item["paragraphEnd"]]
    return docs, paragraphs


def rows_by_document(out: Path, docs: list[dict[str, Any]], paragraphs: dict[str, str],
                     changed: str = "") -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(document, its rows) in build order, reading the CSV as it goes (its rows are in that order).
    `changed`: the doc_sha256 of a document whose task titles are edited (a changed plan)."""
    with (out / "responsibilities.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        pending = next(reader, None)
        for doc in docs:
            rows = []
            while pending is not None and pending["doc_sha256"] == doc["doc_sha256"]:
                pending["task_paragraph"] = paragraphs.get(pending["task_id"], "")
                if pending["doc_sha256"] == changed:
                    pending["task_title"] += "（修订）"
                rows.append(pending)
                pending = next(reader, None)
            yield doc, rows
        if pending is not None:
            raise SystemExit(f"{out}/responsibilities.csv: rows of {pending['doc']} out of the graph's document order")


def timed(label: str, run: Any) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    tasks, hits, writer_cpu, path = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  {label:<24} {seconds:6.2f} {cpu:6.2f} {writer_cpu:8.2f} {tasks:7d} {hits:6d} {peak_mb():8.0f} "
          f"{path.stat().st_size / 1e6:8.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="a built OUT folder")
    ap.add_argument("--data", type=Path, default=None, help="the folder the build read (for task paragraphs)")
    ap.add_argument("--whole", action="store_true", help="all rows in memory, write_responsibilities_xlsx")
    args = ap.parse_args(argv)
    docs, paragraphs = documents_and_paragraphs(args.out, args.data)
    with tempfile.TemporaryDirectory() as tmp:
        path, cache = Path(tmp) / "responsibilities.xlsx", Path(tmp) / "cache"

        def stream(cache_dir: Path | None, changed: str = "",
                   reuse_dir: Path | None = None) -> tuple[int, int, float, Path]:
            cpu = time.process_time()
            writer = TaskSheetWriter(path, cache_dir, reuse_dir)
            in_writer = time.process_time() - cpu
            for doc, rows in rows_by_document(args.out, docs, paragraphs, changed):
                cpu = time.process_time()
                writer.add_document(doc, rows)
                in_writer += time.process_time() - cpu
            cpu = time.process_time()
            writer.close()
            in_writer += time.process_time() - cpu
            return writer.tasks, writer.cache_hits, in_writer, path

        def whole() -> tuple[int, int, float, Path]:
            rows = [row for _, doc_rows in rows_by_document(args.out, docs, paragraphs) for row in doc_rows]
            cpu = time.process_time()
            tasks = write_responsibilities_xlsx(rows, path, docs)
            return tasks, 0, time.process_time() - cpu, path

        print(f"{len(docs)} documents, {len(docs) + 1} sheets; peak MB before writing: {peak_mb():.0f}")
        heads = ("wall s", "cpu s", "writer s", "tasks", "hits", "peak MB", "file MB")
        print(f"  {'':<24} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, (6, 6, 8, 7, 6, 8, 8))))
        timed("streamed, no cache", lambda: stream(None))
        clean = path.read_bytes()
        timed("cache filled", lambda: stream(cache))
        same = path.read_bytes() == clean
        timed("cache, nothing changed", lambda: stream(cache))
        same = same and path.read_bytes() == clean
        renewed = Path(tmp) / "new-cache"

        def rebuild() -> tuple[int, int, float, Path]:  # as a build does: from the old OUT's cache into the new
            shutil.rmtree(renewed, ignore_errors=True)
            return stream(renewed, reuse_dir=cache)

        timed("earlier build's cache", rebuild)
        same = same and path.read_bytes() == clean
        changed = docs[len(docs) // 2]["doc_sha256"] if docs else ""
        timed("cache, one plan changed", lambda: stream(cache, changed))
        timed("cache, changed back", lambda: stream(cache))
        same = same and path.read_bytes() == clean
        if args.whole:
            timed("all rows, list API", whole)
            same = same and path.read_bytes() == clean
    print("cpu s: CPU of the whole run, reading the CSV included; writer s: CPU inside the writer's calls")
    print("peak MB: peak RSS of this process (documents, paragraphs and imports included); "
          f"every cached build = the clean build byte for byte: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
