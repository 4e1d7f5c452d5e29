"""Incremental rebuild: a build of the bench corpus, then one plan added, one changed and one
removed, each rebuilt into the same OUT from the per-document cache.

    python bench/bench_incremental.py [--docs 1000] [--views] [--cli]

Prints wall and CPU seconds of each build (CPU: this process and its workers, i.e. the
summaries read from the cache, the one plan extracted, every file written) and how many documents came
from the cache. With --cli each build is a fresh `policykg build` process, so that the figures
include the interpreter's start-up and the imports (what a user waits for). The output of an
incremental build equals a clean build's (tests/test_build_cache.py checks that); here only the
time is measured.
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


def cli_build(data: Path, out: Path, views: bool, workers: int | None = 1) -> tuple[float, float, int, int]:
    """`policykg build` in a fresh process: wall and CPU seconds (its children's rusage), cached, documents."""
    import re
    import resource
    import subprocess

    exe = Path(sys.executable).with_name("policykg")
    cmd = [str(exe) if exe.exists() else "policykg", "build", str(data), "--out", str(out)]
    cmd += [] if views else ["--no-views"]
    cmd += [] if workers is None else ["--jobs", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"policykg build failed: {done.stderr.strip().splitlines()[-1:]}")
    documents = int(re.search(r"(\d+) documents", done.stdout).group(1))
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    return wall, cpu, -1, documents


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
    parser.add_argument("--cli", action="store_true", help="each build a fresh `policykg build` process")
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
        print(f"{len(plans)} plans, {megabytes:.1f} MB, views {'on' if args.views else 'off'}, "
              f"{'a fresh `policykg build` process each' if args.cli else 'in this process'}")
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
            build = cli_build if args.cli else timed_build
            wall, cpu, cached, documents = build(data, out, args.views, None if cached_none(out) else 1)
            shown = "-" if cached < 0 else str(cached)
            print(f"{label:28} {wall:8.2f} {cpu:8.2f} {shown:>7} {documents:6d}")
        shutil.rmtree(out, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
