"""Incremental rebuild: a build of the bench corpus, then one plan added, one changed and one
removed, each rebuilt into the same OUT from the per-document cache.

    python bench/bench_incremental.py [--docs 1000] [--views]

Prints wall and CPU seconds of each build (CPU: this process and its workers, i.e. the
summaries read from the cache, the one plan extracted, every file written) and how many documents came
from the cache. The output of an incremental build equals a clean build's
(tests/test_build_cache.py checks that); here only the time is measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from bench_build import corpus  # noqa: E402


def timed_build(data: Path, out: Path, views: bool, workers: int | None = 1) -> tuple[float, float, int, int]:
    from policykg.api import build

    wall, cpu = time.perf_counter(), process_cpu()
    report = build(data, out, views=views, workers=workers)
    return time.perf_counter() - wall, process_cpu() - cpu, report.cached, report.documents


def process_cpu() -> float:
    """CPU seconds of this process and of the worker processes it waited for."""
    import resource

    return time.process_time() + sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
                                     for f in ("ru_utime", "ru_stime"))


def cached_none(out: Path) -> bool:
    return not out.exists()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--views", action="store_true", help="write the HTML views too")
    args = parser.parse_args()
    docs = corpus(args.docs, 0, BENCH) / "docs"
    with tempfile.TemporaryDirectory(prefix="pkinc") as scratch:
        data, out = Path(scratch) / "data", Path(scratch) / "out"
        data.mkdir()
        files = sorted(p for p in docs.iterdir() if p.is_file())
        for p in files:
            try:
                os.link(p, data / p.name)
            except OSError:  # another file system
                shutil.copy2(p, data / p.name)
        plans = [p for p in files if p.suffix == ".txt"]
        extra = data / f"added_{plans[0].name}"
        megabytes = sum(p.stat().st_size for p in plans) / 1e6
        print(f"{len(plans)} plans, {megabytes:.1f} MB, views {'on' if args.views else 'off'}")
        print(f"{'build':28} {'wall s':>8} {'cpu s':>8} {'cached':>7} {'docs':>6}")
        steps = [("first (empty cache)", lambda: None),
                 ("nothing changed", lambda: None),
                 ("one plan added", lambda: extra.write_text(
                     plans[0].read_text(encoding="utf-8", errors="replace").replace("到20", "至20", 1) + "\n",
                     encoding="utf-8")),
                 ("one plan changed", lambda: extra.write_text(extra.read_text(encoding="utf-8") + "\n",
                                                               encoding="utf-8")),
                 ("one plan removed", lambda: (data / plans[1].name).unlink())]
        for label, change in steps:
            change()
            # the first build extracts every plan (in worker processes); the others one plan at most
            wall, cpu, cached, documents = timed_build(data, out, args.views, None if cached_none(out) else 1)
            print(f"{label:28} {wall:8.2f} {cpu:8.2f} {cached:7d} {documents:6d}")
        shutil.rmtree(out, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
