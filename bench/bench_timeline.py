"""Where a build's wall time goes: a timeline of one build and how busy the cores are over it.

    .venv/bin/python bench/bench_timeline.py [DOCS] [--views] [--step 0.5] [--keep OUT]

Runs `policykg.api.build(DOCS, OUT)` (default bench/corpus-1000/docs, without views) in a fresh
process whose build functions are wrapped to note when they start and end (process start and
imports, the warm-up plan, each extraction job in its worker, the parent's merging of each
summary, graph.json, GraphML, the CSV tables and the 任务分工表, the views, the swap into OUT),
while a forked sampler reads the CPU time of every process of the build from /proc every 10 ms
(Linux only). It prints the marks, each worker's first and last job, busy time and the gaps
between its jobs (wall and the CPU spent in them), the parent's merging, the tail after the last
worker, and the CPU seconds of the parent, the workers and the other processes (GraphML, views)
per `--step` seconds with the cores they kept busy: idle cores and serial stretches are wall that
costs no CPU to remove. The machine's other load shows as cores not busy with the build.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Runs in the child: the build with its functions wrapped, and the sampler beside it.
CHILD = r'''
import os, sys, time
T0 = time.perf_counter()
EVENTS = sys.argv[3]
_fd = os.open(EVENTS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)

def ev(name):
    os.write(_fd, f"{os.getpid()}\t{time.perf_counter() - T0:.4f}\t{time.process_time():.4f}\t{name}\n".encode())

parent = os.getpid()
stop_read, stop_write = os.pipe()
sampler = os.fork()
if sampler == 0:  # reads the CPU ticks of the build's processes until the build ends
    import select
    os.close(stop_write)
    out = open(EVENTS + ".cpu", "w")

    def ticks(pid):
        with open(f"/proc/{pid}/stat") as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        return int(parts[11]) + int(parts[12])

    def tree():
        found, todo = [], [parent]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                continue
            for kid in kids:
                if kid == os.getpid():
                    continue
                try:
                    found.append((kid, ticks(kid)))
                except OSError:
                    continue
                todo.append(kid)
        return found

    while not select.select([stop_read], [], [], 0.01)[0]:
        try:
            me = ticks(parent)
        except OSError:
            break
        out.write(f"{time.perf_counter() - T0:.4f}\t{parent}:{me}"
                  + "".join(f"\t{p}:{c}" for p, c in tree()) + "\n")
    out.close()
    os._exit(0)
os.close(stop_read)
ev("start")
from policykg import api, outdir
from policykg.graph import fragments, task_sheet
ev("imported")

def wrap(owner, name, label=None):
    fn = getattr(owner, name)
    label = label or name
    def wrapped(*args, **kwargs):
        ev(label + ">")
        try:
            return fn(*args, **kwargs)
        finally:
            ev(label + "<")
    setattr(owner, name, wrapped)

wrap(api, "input_files")
wrap(api, "_warm_up", "warm-up")
wrap(api, "_extract_one", "job")
wrap(fragments.CorpusWriter, "add")
wrap(fragments.CorpusWriter, "close", "writers")
graph = fragments.CorpusWriter._write_graph
def write_graph(self, heads, families, graph_json, nodes_written=None):
    label = "graph.json" if graph_json else "graphml"
    ev(label + ">")
    try:
        return graph(self, heads, families, graph_json, nodes_written)
    finally:
        ev(label + "<")
fragments.CorpusWriter._write_graph = write_graph
wrap(fragments.CorpusWriter, "_write_tables", "tables")
wrap(task_sheet.TaskSheetWriter, "close", "xlsx")
wrap(api, "_write_views", "views")
wrap(outdir.OutFolder, "commit", "swap")
api.build(sys.argv[1], sys.argv[2], views=sys.argv[4] == "views")
ev("built")
os.close(stop_write)
os.waitpid(sampler, 0)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default=str(BENCH / "corpus-1000" / "docs"), type=Path)
    parser.add_argument("--views", action="store_true", help="the full build (default: without views)")
    parser.add_argument("--step", type=float, default=0.5, help="seconds a row of the CPU table")
    parser.add_argument("--keep", type=Path, default=None, help="build into this OUT and keep it")
    args = parser.parse_args(argv)
    if not Path("/proc/self/stat").exists():
        print("bench_timeline.py reads /proc: Linux only")
        return 1
    if not args.docs.exists():
        print(f"{args.docs}: no such folder (bench/make_corpus.py --docs 1000 --out bench/corpus-1000)")
        return 1
    with tempfile.TemporaryDirectory(prefix="policykg-timeline-") as tmp:
        out = args.keep or Path(tmp) / "out"
        events = Path(tmp) / "events"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(args.docs), str(out), str(events),
                               "views" if args.views else "no-views"], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(f"the build failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
            return 1
        report(events, args.step, wall)
    return 0


def report(path: Path, step: float, wall: float) -> None:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        pid, at, cpu, name = line.split("\t")
        events.append((int(pid), float(at), float(cpu), name))
    parent = events[0][0]
    print(f"process wall {wall:.2f} s (interpreter start and exit included); marks in s from the build "
          f"process's start (P = the build's process, W = extraction workers, o = GraphML, views)")

    def mark(name: str, pid: int | None = parent) -> float | None:
        return next((t for p, t, _, n in events if n == name and (pid is None or p == pid)), None)

    for name in ("imported", "input_files>", "warm-up>", "warm-up<", "writers>", "graph.json>", "graph.json<",
                 "tables>", "xlsx>", "xlsx<", "tables<", "writers<", "swap>", "built"):
        at = mark(name)
        if at is not None:
            print(f"  P {name:14s} {at:7.3f}")
    for name in ("graphml>", "graphml<", "views>", "views<"):
        at = mark(name, None)
        if at is not None:
            print(f"  o {name:14s} {at:7.3f}")
    by_pid: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for pid, at, cpu, name in events:
        if name in ("job>", "job<"):
            by_pid[pid].append((at, cpu, name))
    workers = [pid for pid in by_pid if pid != parent]
    last_job = 0.0
    for pid in workers:
        marks = by_pid[pid]
        jobs = [(a, b) for a, b in itertools.pairwise(marks) if a[2] == "job>" and b[2] == "job<"]
        gaps = [(a, b) for a, b in itertools.pairwise(marks) if a[2] == "job<" and b[2] == "job>"]
        last_job = max(last_job, jobs[-1][1][0])
        print(f"  W {pid}: {len(jobs)} jobs from {jobs[0][0][0]:.3f} to {jobs[-1][1][0]:.3f}; in jobs "
              f"{sum(b[0] - a[0] for a, b in jobs):.2f} s wall, {sum(b[1] - a[1] for a, b in jobs):.2f} CPU s; "
              f"between jobs {sum(b[0] - a[0] for a, b in gaps):.3f} s wall, "
              f"{sum(b[1] - a[1] for a, b in gaps):.3f} CPU s")
    adds = [(t, c) for p, t, c, n in events if p == parent and n in ("add>", "add<")]
    if adds:
        pairs = list(zip(adds[::2], adds[1::2]))
        print(f"  P merging: {len(pairs)} summaries, {sum(b[0] - a[0] for a, b in pairs):.3f} s wall, "
              f"{sum(b[1] - a[1] for a, b in pairs):.3f} CPU s; the last merged at {pairs[-1][1][0]:.3f}")
    built = mark("built") or 0.0
    if workers:
        print(f"  after the last job: {built - last_job:.3f} s to the end of build()")
    # the CPU table: ticks per process, differences between samples
    tick = os.sysconf("SC_CLK_TCK")
    rows: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, float] = defaultdict(float)
    before: dict[int, int] = {}
    cpu_file = Path(f"{path}.cpu")
    for line in cpu_file.read_text(encoding="utf-8").splitlines():
        at_text, *items = line.split("\t")
        at = float(at_text)
        for item in items:
            pid_text, ticks_text = item.split(":")
            pid, ticks = int(pid_text), int(ticks_text)
            base = before.get(pid, ticks if pid == parent else 0)
            before[pid] = ticks
            kind = "P" if pid == parent else "W" if pid in workers else "o"
            rows[int(at / step)][kind] += (ticks - base) / tick
            totals[kind] += (ticks - base) / tick
    print(f"CPU s per {step} s (from the first sample: imports before it are not counted)")
    for row in sorted(rows):
        cpu = rows[row]
        busy = sum(cpu.values()) / step
        print(f"  {row * step:6.2f}  P {cpu['P']:.2f}  W {cpu['W']:.2f}  o {cpu['o']:.2f}   "
              f"cores busy {busy:4.2f} {'#' * round(busy * 10)}")
    print("  total CPU s: " + ", ".join(f"{kind} {totals[kind]:.2f}" for kind in "PWo"))


if __name__ == "__main__":
    sys.exit(main())
