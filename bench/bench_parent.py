"""The build's parent process replayed from a built OUT: every cached summary parsed and merged
(what the parent does while the workers extract), then every file written (CorpusWriter.close:
graph.json, GraphML in a forked process, the CSV tables, the 任务分工表) into a scratch folder.
With --docs DOCS (the folder OUT was built from), first the whole extraction phase as the
parent sees it: api.extract_records over DOCS with 2 forked workers that hand back OUT's cached
summaries instead of extracting (the pool, the cache, the report, the merging: the parent's CPU
while real workers extract, apart from the tables loaded before they fork).

    python bench/bench_parent.py OUT [--repeat 3] [--docs DOCS]

OUT: a build of this checkout (`policykg build DOCS --out OUT --no-views`; its cache holds the
summaries and fragments). The sheets come from OUT's sheet cache, as the workers' pre-rendered
sheets do in a clean build; the shared nodes' GraphML is encoded afresh, as in a clean build.
Prints CPU seconds of this process and of the writer processes, and the wall time of the
writers (on a busy machine, the CPU figures are the steadier ones).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from policykg.graph.fragments import CorpusWriter, parsed_summary

from policykg import api


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def replay(out: Path, scratch: Path) -> tuple[float, float, float, float, int]:
    """(parse + add CPU s, close CPU s here, close CPU s of the writer processes, close wall s, documents)."""
    sheets = scratch / api.XLSX_CACHE_DIR
    shutil.copytree(out / api.XLSX_CACHE_DIR, sheets)
    summaries = [(path.read_bytes(), path) for path in (out / api.CACHE_DIR).glob("*" + api.SUMMARY)]
    # in build order: the input files' order (sorted paths)
    summaries.sort(key=lambda item: parsed_summary(item[0])["report"]["path"])
    started = cpu(resource.RUSAGE_SELF)
    writer = CorpusWriter(scratch, cache_dir=sheets, nodes_cache=scratch / api.NODES_CACHE)
    for data, path in summaries:
        writer.add(parsed_summary(data), path.with_suffix(api.FRAGMENT), path.stem)
    added = cpu(resource.RUSAGE_SELF)
    children, wall = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    writer.close()
    wall = time.perf_counter() - wall
    return (added - started, cpu(resource.RUSAGE_SELF) - added, cpu(resource.RUSAGE_CHILDREN) - children, wall,
            len(summaries))


def replay_extraction(out: Path, docs: Path, scratch: Path) -> tuple[float, int]:
    """(CPU s of this process in api.extract_records, documents) with workers that take each
    document's summary and fragment from OUT's cache (linked into the scratch build's cache)."""
    import hashlib
    import os

    by_sha = {path.name.split("-")[0]: path for path in (out / api.CACHE_DIR).glob("*" + api.SUMMARY)}

    def cached(job: api.Job) -> tuple[bytes, bytes | None] | str:
        path, _entry, place = job
        found = by_sha.get(hashlib.sha256(path.read_bytes()).hexdigest())
        if found is None or place is None:
            return f"{path}: not in {out}'s cache"
        fragment, _key, _sheets = place
        os.link(found.with_suffix(api.FRAGMENT), fragment)
        summary = found.read_bytes()
        fragment.with_suffix(api.SUMMARY).write_bytes(summary)
        return summary, None

    extract, warm_up = api._extract_one, api._warm_up
    api._extract_one, api._warm_up = cached, lambda: None
    try:
        report = api.BuildReport(out=scratch)
        cache = api.RecordCache(None, scratch)
        writer = CorpusWriter(scratch, cache_dir=scratch / api.XLSX_CACHE_DIR)
        started = cpu(resource.RUSAGE_SELF)
        added = api.extract_records(api.input_files(docs), docs, report, cache, writer, workers=2)
        return cpu(resource.RUSAGE_SELF) - started, added
    finally:
        api._extract_one, api._warm_up = extract, warm_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a build of this checkout")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--docs", type=Path, help="the documents OUT was built from: replay the extraction phase too")
    args = parser.parse_args(argv)
    if not (args.out / api.CACHE_DIR).is_dir():
        parser.error(f"{args.out}: no build cache here (build it with this checkout first)")
    if args.docs is not None:
        print(f"{'extraction phase, parent CPU s':>30}  documents")
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="policykg-bench-parent-") as tmp:
                spent, documents = replay_extraction(args.out, args.docs, Path(tmp))
            print(f"{spent:30.3f}  {documents}")
    print(f"{'parse + add CPU s':>18} {'close CPU s':>12} {'writers CPU s':>14} {'close wall s':>13}  documents")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="policykg-bench-parent-") as tmp:
            try:
                merged, here, writers, wall, documents = replay(args.out, Path(tmp))
            except KeyError as exc:
                print(f"{args.out}: a summary of another checkout's format ({exc}); build OUT with this one",
                      file=sys.stderr)
                return 1
        print(f"{merged:18.3f} {here:12.3f} {writers:14.3f} {wall:13.3f}  {documents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
