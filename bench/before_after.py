"""Before and after, in one run, on one corpus: the build benches of two checkouts of policykg
(an older commit's and this one), each with its own .venv, back to back.

    python bench/before_after.py --before /path/to/old/checkout [--docs 1000] [--skip queries,views]

Make the older checkout with `git worktree add --detach ../before <commit> && make -C ../before setup`.
For each checkout, on the same bench/corpus-N (this checkout's, linked into the other one):

- `build --no-views` and the full default build, through bench_build.py's helper (wall s, build s,
  MB/s, peak RSS of the largest process, CPU s of the whole tree), and the floor ratio;
- then that checkout's own benches on its own no-views OUT: bench_incremental.py, bench_queries.py,
  bench_views.py --built, bench_xlsx.py (their output as they print it).

Both checkouts run the same way on the same machine one after the other, so the ratios are fair
even where the wall seconds of a shared machine are not; CPU seconds are printed next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_build  # noqa: E402  (this checkout's helper and floor)

OTHER_BENCHES = {
    "incremental": lambda n, out, docs: ["bench/bench_incremental.py", "--docs", str(n)],
    "queries": lambda n, out, docs: ["bench/bench_queries.py", "--out", str(out), "--repeat", "5"],
    "views": lambda n, out, docs: ["bench/bench_views.py", "--built", str(out)],
    "xlsx": lambda n, out, docs: ["bench/bench_xlsx.py", str(out), "--data", str(docs)],
}


def timed_build(python: Path, checkout: Path, docs: Path, out: Path, views: bool) -> dict:
    """One API build in a fresh helper process of `checkout` (bench_build.HELPER measures it)."""
    child = [str(python), "-c", bench_build.CHILD, str(docs), str(out), "views" if views else "no-views"]
    helper = [str(python), "-c", bench_build.HELPER, json.dumps(child)]
    done = subprocess.run(helper, capture_output=True, text=True, cwd=checkout)
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": (done.stderr.strip() or "?")[-300:]}
    r = json.loads(done.stdout.strip().splitlines()[-1])
    if r["rc"] != 0:
        return {"error": r["stderr"].strip().splitlines()[-1] if r["stderr"].strip() else f"exit {r['rc']}"}
    return {"wall_s": r["wall_s"], "build_s": r["report"].get("build_s"), "max_mb": r["maxrss_kb"] / 1024,
            "cpu_s": r.get("cpu_s", 0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the older checkout (with its .venv)")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated: incremental,queries,views,xlsx")
    parser.add_argument("--work", type=Path, default=None, help="where the OUT folders go (default: a temp dir)")
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    corpus = bench_build.corpus(args.docs, args.seed, ROOT / "bench")
    docs = corpus / "docs"
    megabytes = sum(p.stat().st_size for p in docs.glob("*.txt")) / 1e6
    checkouts = {"before": args.before.resolve(), "after": ROOT}
    # the same corpus bytes for both: the older checkout's bench/corpus-N is this one's
    other = checkouts["before"] / "bench" / corpus.name
    if not other.exists():
        other.symlink_to(corpus)
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"policykg-before-after-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    floor = min(bench_build.floor_seconds(docs) for _ in range(3))
    print(f"corpus: {docs} ({args.docs} documents, {megabytes:.2f} MB); floor (read + decode + clause regex) "
          f"{floor:.3f} s = {megabytes / floor:.0f} MB/s")
    for name, checkout in checkouts.items():
        head = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True).stdout.strip()
        print(f"{name}: {checkout} ({head})")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}\n")

    builds: dict[tuple[str, str], dict] = {}
    for variant, views in (("--no-views", False), ("full", True)):
        for name, checkout in checkouts.items():
            out = work / f"{name}-{'full' if views else 'noviews'}"
            if out.exists():
                subprocess.run(["rm", "-rf", str(out)], check=True)
            builds[name, variant] = timed_build(checkout / ".venv/bin/python", checkout, docs, out, views)
    print("build (API, fresh process)  |  wall s  build s   MB/s  ×floor  max proc MB   cpu s")
    for (name, variant), r in builds.items():
        if "error" in r:
            print(f"  {name:6} {variant:10}  failed: {r['error']}")
            continue
        seconds = r["build_s"] or r["wall_s"]
        print(f"  {name:6} {variant:10}        | {r['wall_s']:7.2f} {seconds:8.2f} {megabytes / seconds:6.2f} "
              f"{seconds / floor:7.0f} {r['max_mb']:12.0f} {r['cpu_s']:7.1f}")
    for variant in ("--no-views", "full"):
        b, a = builds.get(("before", variant), {}), builds.get(("after", variant), {})
        if "error" not in b and "error" not in a and b and a:
            print(f"  speed-up {variant}: {(b['build_s'] or b['wall_s']) / (a['build_s'] or a['wall_s']):.1f}x wall, "
                  f"{b['cpu_s'] / max(a['cpu_s'], 1e-9):.1f}x CPU; memory {b['max_mb']:.0f} -> {a['max_mb']:.0f} MB")
    sys.stdout.flush()

    for bench, command in OTHER_BENCHES.items():
        if bench in skip:
            continue
        for name, checkout in checkouts.items():
            out = work / f"{name}-noviews"
            script = checkout / command(args.docs, out, docs)[0]
            if not script.exists() or not out.exists():
                print(f"\n== {bench}, {name}: not run ({'no ' + script.name if not script.exists() else 'no build'})")
                continue
            print(f"\n== {bench}, {name}: {' '.join(command(args.docs, out, docs))}")
            sys.stdout.flush()
            started = time.perf_counter()
            done = subprocess.run([str(checkout / ".venv/bin/python"), *command(args.docs, out, docs)], cwd=checkout,
                                  capture_output=True, text=True)
            print(done.stdout.rstrip())
            if done.returncode != 0:
                lines = [x for x in done.stderr.strip().splitlines() if x.strip()]
                print(f"(exit {done.returncode}: {lines[-1] if lines else '?'})")
            print(f"({time.perf_counter() - started:.1f} s)")
            sys.stdout.flush()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}; OUT folders in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
