"""The build's parent process replayed from a built OUT: every cached summary parsed and merged
(what the parent does while the workers extract), then every file written (CorpusWriter.close:
graph.json, GraphML in a forked process, the CSV tables, the 任务分工表) into a scratch folder.

    python bench/bench_parent.py OUT [--repeat 3]

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a build of this checkout")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not (args.out / api.CACHE_DIR).is_dir():
        parser.error(f"{args.out}: no build cache here (build it with this checkout first)")
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
