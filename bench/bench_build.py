"""Build throughput and peak memory of `policykg build` on generated corpora.

    python bench/bench_build.py [--sizes 10,100,1000] [--seed 0] [--cli] [--no-views] [--score]

For each size N it generates (or reuses) the corpus bench/corpus-N (bench/make_corpus.py), runs
the build in a fresh subprocess — `policykg.api.build(DOCS, OUT)`, or the `policykg build DOCS
--out OUT` command with --cli — twice: without views (extraction, graph.json, GraphML, the CSV
tables and the 任务分工表) and the full default build (with the views); --no-views runs the first
only (e.g. `--sizes 10000 --no-views`). It prints wall time, MB/s, documents/s, CPU seconds and
the peak resident memory of the largest build process (from wait4) and of the whole process tree,
then the bare read + decode + clause-regex floor over the same bytes and each mode's ratio to it.
With --score it also scores the build's tables against the corpus's ground truth (`policykg evaluate`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

sys.path.insert(0, str(BENCH))
from make_corpus import make_corpus  # noqa: E402

# Runs in the child: times the import apart from the build, reports its children's peak memory.
# The CPU split: this process (the parent: hashing, the cache, merging the summaries, then writing
# every file) against its extraction workers (RUSAGE_CHILDREN); the parent's part split at the
# moment the writers start (CorpusWriter.close: every document extracted by then).
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from policykg.api import build
try:
    from policykg.graph import fragments
except ImportError:  # an older checkout (before_after.py): no streaming writer to split the CPU at
    fragments = None
t1 = time.perf_counter()
def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
marks = {}
if fragments is not None:
    close = fragments.CorpusWriter.close
    def timed_close(self, *args, **kwargs):
        marks["self_at_close"] = cpu(resource.RUSAGE_SELF)
        marks["children_at_close"] = cpu(resource.RUSAGE_CHILDREN)
        marks["wall_at_close"] = time.perf_counter()
        return close(self, *args, **kwargs)
    fragments.CorpusWriter.close = timed_close
self0 = cpu(resource.RUSAGE_SELF)
build(sys.argv[1], sys.argv[2], views=sys.argv[3] == "views")
t2 = time.perf_counter()
report = {"import_s": t1 - t0, "build_s": t2 - t1,
          "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
if marks:
    report.update({"parent_cpu_s": cpu(resource.RUSAGE_SELF), "parent_import_cpu_s": self0,
                   "parent_extract_cpu_s": marks["self_at_close"] - self0,
                   "workers_cpu_s": marks["children_at_close"],
                   "writers_cpu_s": cpu(resource.RUSAGE_CHILDREN) - marks["children_at_close"],
                   "extract_wall_s": marks["wall_at_close"] - t1, "tail_wall_s": t2 - marks["wall_at_close"]})
print("BENCH " + json.dumps(report))
"""


@dataclass
class Result:
    size: int
    megabytes: float
    wall_s: float
    build_s: float | None  # without interpreter start-up and imports (API mode)
    maxrss_mb: float  # the largest single process of the build (wait4 / RUSAGE_CHILDREN)
    children_maxrss_mb: float | None
    tree_peak_mb: float | None  # all processes of the build together (sampled every 50 ms)
    ok: bool
    error: str = ""
    cpu_s: float = 0.0  # user + system CPU of the build and its workers (robust on a busy machine)
    f1: str = ""
    views: bool = True
    split: dict[str, float] = field(default_factory=dict)  # parent vs worker CPU (API mode)

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / (self.build_s or self.wall_s)

    @property
    def docs_per_s(self) -> float:
        return self.size / (self.build_s or self.wall_s)


def corpus(size: int, seed: int, root: Path) -> Path:
    """The corpus folder for this size, generated unless an identical one is there."""
    folder = root / f"corpus-{size}" if seed == 0 else root / f"corpus-{size}-s{seed}"
    truth = folder / "truth.json"
    if truth.exists():
        meta = json.loads(truth.read_text(encoding="utf-8"))
        if meta.get("seed") == seed and meta.get("docs") == size:
            return folder
        shutil.rmtree(folder)
    print(f"generating {folder} ...", file=sys.stderr)
    make_corpus(size, folder, seed)
    return folder


def build_command(docs: Path, out: Path, use_cli: bool, views: bool = True) -> list[str]:
    if use_cli:
        exe = Path(sys.executable).with_name("policykg")
        cmd = [str(exe) if exe.exists() else "policykg", "build", str(docs), "--out", str(out)]
        return cmd if views else [*cmd, "--no-views"]
    return [sys.executable, "-c", CHILD, str(docs), str(out), "views" if views else "no-views"]


def measure(size: int, docs: Path, use_cli: bool, score: bool, views: bool = True) -> Result:
    megabytes = sum(p.stat().st_size for p in docs.glob("*.txt")) / 1e6
    with tempfile.TemporaryDirectory(prefix=f"policykg-bench-{size}-") as tmp:
        out = Path(tmp) / "out"
        # A fresh helper process per size, so that RUSAGE_CHILDREN's peak is this build's peak only.
        helper = [sys.executable, "-c", HELPER, json.dumps(build_command(docs, out, use_cli, views))]
        done = subprocess.run(helper, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0 or not done.stdout.strip():
            return Result(size, megabytes, 0, None, 0, None, None, False, error=(done.stderr.strip() or "?")[-400:])
        r = json.loads(done.stdout.strip().splitlines()[-1])
        if r["rc"] != 0:
            lines = [x for x in r["stderr"].strip().splitlines() if x.strip()]
            return Result(
                size,
                megabytes,
                r["wall_s"],
                None,
                r["maxrss_kb"] / 1024,
                None,
                None,
                False,
                error=lines[-1] if lines else f"exit {r['rc']}",
            )
        report = r["report"]
        result = Result(
            size,
            megabytes,
            r["wall_s"],
            report.get("build_s"),
            r["maxrss_kb"] / 1024,
            report["children_maxrss_kb"] / 1024 if "children_maxrss_kb" in report else None,
            r["tree_peak_kb"] / 1024 if r.get("tree_peak_kb") else None,
            True,
            cpu_s=r.get("cpu_s", 0.0),
            views=views,
            split={k: report[k] for k in ("parent_cpu_s", "parent_import_cpu_s", "parent_extract_cpu_s",
                                          "workers_cpu_s", "writers_cpu_s", "extract_wall_s", "tail_wall_s")
                   if k in report},
        )
        if score:
            result.f1 = score_build(out, docs.parent)
    return result


# The helper starts the build as its only child and reads that child's peak RSS from
# RUSAGE_CHILDREN, which (unlike psutil sampling) cannot miss a short peak.
HELPER = """
import json, resource, subprocess, sys, tempfile, time
try:
    import psutil
except ImportError:
    psutil = None
cmd = json.loads(sys.argv[1])
with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
    tree_peak = 0
    while proc.poll() is None:  # sample the whole tree: a worker pool's memory adds up
        if psutil is not None:
            try:
                root = psutil.Process(proc.pid)
                rss = root.memory_info().rss
                for child in root.children(recursive=True):
                    try:
                        rss += child.memory_info().rss
                    except psutil.Error:
                        pass
                tree_peak = max(tree_peak, rss)
            except psutil.Error:
                pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
report = {}
for line in stdout.splitlines():
    if line.startswith("BENCH "):
        report = json.loads(line[6:])
print(json.dumps({"wall_s": wall, "rc": proc.returncode, "stderr": stderr[-4000:], "report": report,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "cpu_s": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                  + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
                  "tree_peak_kb": tree_peak // 1024 if psutil is not None else None}))
"""


def score_build(out: Path, corpus_dir: Path) -> str:
    """Precision and recall of responsibilities and targets against the corpus truth (`policykg evaluate`)."""
    done = subprocess.run(
        [sys.executable, "-m", "policykg", "evaluate", str(corpus_dir / "truth"), "--out", str(out),
         "--sources", str(corpus_dir / "docs"), "--format", "json"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return "score failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        return "score: unreadable output"
    overall = data.get("overall", data)
    parts = []
    for key in ("responsibilities", "targets"):
        figures = overall.get(key)
        if isinstance(figures, dict) and {"p", "r"} <= set(figures):
            parts.append(f"{key[:4]} P {figures['p']:.2f} R {figures['r']:.2f}")
    return ", ".join(parts) or json.dumps(overall)[:80]


# the floor: the least any build must do with the same bytes (read, decode, find the clauses)
def floor_seconds(docs: Path) -> float:
    """Seconds for a bare read + decode + clause-regex pass over every document of the corpus:
    the figure the build's cost is compared with."""
    import re
    import time

    clause = re.compile(r"[（(](?:牵头单位|责任单位|牵头部门|责任部门)[：:][^）)]*[）)]")
    started = time.perf_counter()
    found = 0
    for path in sorted(docs.iterdir()):
        if path.suffix not in (".txt", ".md"):
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        found += sum(1 for _ in clause.finditer(text))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated document counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus-root", type=Path, default=BENCH, help="where corpus-N folders live")
    parser.add_argument("--cli", action="store_true", help="time `policykg build` instead of the API")
    parser.add_argument("--no-views", action="store_true", help="build without the HTML views")
    parser.add_argument("--score", action="store_true", help="also score each build against the truth")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of integers: {args.sizes!r}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: give positive document counts")

    modes = [False] if args.no_views else [False, True]
    results = []
    for size in sizes:
        docs = corpus(size, args.seed, args.corpus_root) / "docs"
        for views in modes:
            print(f"building {size} documents ({docs}){'' if views else ' without views'} ...", file=sys.stderr)
            results.append(measure(size, docs, args.cli, args.score, views=views))

    mode = "policykg build (CLI)" if args.cli else "policykg.api.build"
    print(f"\n{mode}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print("mode: `no-views` = extraction + graph.json + GraphML + CSV tables + 任务分工表; `full` = also the views")
    head = (
        f"{'docs':>6} {'mode':>8} {'MB':>7} {'wall s':>8} {'build s':>8} {'MB/s':>7} {'docs/s':>8} "
        f"{'max proc MB':>12} {'tree MB':>9} {'cpu s':>7}"
    )
    print(head + ("  score" if args.score else ""))
    failed = 0
    for r in results:
        mode = "full" if r.views else "no-views"
        if not r.ok:
            failed += 1
            print(f"{r.size:>6} {mode:>8} {r.megabytes:>7.2f}  FAILED: {r.error}")
            continue
        build_s = f"{r.build_s:8.2f}" if r.build_s is not None else f"{'-':>8}"
        tree = f"{r.tree_peak_mb:9.0f}" if r.tree_peak_mb else f"{'-':>9}"
        print(
            f"{r.size:>6} {mode:>8} {r.megabytes:>7.2f} {r.wall_s:>8.2f} {build_s} {r.mb_per_s:>7.3f} "
            f"{r.docs_per_s:>8.2f} {r.maxrss_mb:>12.0f} {tree} {r.cpu_s:7.1f}" + (f"  {r.f1}" if args.score else "")
        )
    for r in results:
        if r.ok and r.split:
            s = r.split
            tail = s["parent_cpu_s"] - s["parent_import_cpu_s"] - s["parent_extract_cpu_s"]
            print(f"{r.size:>6} {'full' if r.views else 'no-views':>8}  CPU s: parent {s['parent_cpu_s']:.1f} "
                  f"(imports {s['parent_import_cpu_s']:.1f}, during extraction {s['parent_extract_cpu_s']:.1f} "
                  f"= {s['parent_extract_cpu_s'] / max(s['extract_wall_s'], 1e-9):.0%} of a core over its "
                  f"{s['extract_wall_s']:.1f} s, writers and views after it {tail:.1f}), "
                  f"workers {s['workers_cpu_s']:.1f}"
                  + (f", the writers' and views' processes {s['writers_cpu_s']:.1f}; after extraction "
                     f"{s['tail_wall_s']:.2f} s wall" if "writers_cpu_s" in s else ""))
    floor_docs = corpus(max(sizes), args.seed, args.corpus_root) / "docs"
    floor = min(floor_seconds(floor_docs) for _ in range(3))
    floor_mb = sum(p.stat().st_size for p in floor_docs.glob("*.txt")) / 1e6
    print(f"floor (read + decode + clause regex, {max(sizes)} docs): {floor:.3f} s, {floor_mb / floor:.0f} MB/s")
    for r in results:
        if r.ok and r.size == max(sizes):
            print(f"  build / floor, {'full' if r.views else 'no-views'}: {(r.build_s or r.wall_s) / floor:.0f}x "
                  f"({r.mb_per_s:.2f} MB/s against {floor_mb / floor:.0f} MB/s)")
    print("max proc MB: peak RSS of the largest process of the build (main or a worker; from wait4).")
    print("tree MB: peak RSS of the build and its workers together (psutil, sampled every 50 ms).")
    print("cpu s: user + system CPU seconds of the build and its workers (on a shared machine wall time is not).")
    if not args.cli:
        print("CPU s parent / workers: RUSAGE_SELF / RUSAGE_CHILDREN of the build process; 'during extraction' "
              "ends when the writers start; the writers' and views' processes: RUSAGE_CHILDREN after that "
              "(graph.graphml and the views are written by forked processes).")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("MB/s and docs/s use the build time (imports excluded) when the API reports it, else wall time.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
