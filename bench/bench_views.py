"""Benchmark of the HTML views: time, size and memory of writing them, and time-to-usable of the
main pages in headless Chromium (Debian's /usr/bin/chromium) with the network blocked.

    .venv/bin/python bench/bench_views.py --built OUT_200 OUT_1000   # built corpora (policykg build … --no-views)
    .venv/bin/python bench/bench_views.py --tiny 1000 3000 10000       # many tiny synthetic plans
    .venv/bin/python bench/bench_views.py --sizes 1000 5000           # synthetic graphs of N nodes

--built: for each built OUT (e.g. `policykg build bench/corpus-1000 --out OUT --no-views`) writes
its views in a child process and prints seconds, MB, files and the child's peak RSS, then opens
index.html, network.html, cooperation.html, the busiest unit's view and the largest plan's view
and prints the seconds until each has drawn (the 'usable' time, measured around page.goto +
wait for the page's ready flag).
--tiny: synthetic corpora of N plans of two tasks each (policykg.visualize.synthetic): the time of
write_views and the time per plan, which must stay flat as N grows (every cost is linear).
--sizes: synthetic graphs of about N nodes, drawn whole: write time, page MB, usable, redraw.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from policykg.visualize.browser import CHROMIUM, chromium_browser, offline_page, open_view

CHILD = """
import json, resource, sys, time
from pathlib import Path
from policykg.graph import read_graph
from policykg.visualize import write_views
graph = read_graph(Path(sys.argv[1]))
started = time.perf_counter()
written = write_views(graph, Path(sys.argv[2]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "files": len(written), "mb": sum(p.stat().st_size for p in written) / 1e6,
                  "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}))
"""

REDRAW_JS = """() => {
    const net = window.policykgView.network, times = [];
    for (let i = 0; i < 5; i++) {
        const t = performance.now(); net.renderer._redraw(); times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[2];
}"""


def usable(page: object, path: Path, fragment: str = "", index: bool = False, repeats: int = 1) -> float:
    ready = ("window.policykgIndex && window.policykgIndex.ready" if index
             else "window.policykgView && window.policykgView.ready")
    times = []
    for _ in range(repeats):
        report = open_view(page, path, ready=ready, timeout_ms=300_000, fragment=fragment)
        if report.console_errors or report.page_errors or report.external_requests:
            problems = report.console_errors + report.page_errors + report.external_requests
            raise SystemExit(f"{path}#{fragment}: {problems}")
        times.append(report.seconds_to_ready)
    return statistics.median(times)


def bench_built(outs: list[Path], repeats: int) -> int:
    print(f"{'corpus':<28} {'nodes':>7} {'edges':>7} | {'write s':>7} {'MB':>6} {'files':>5} {'peak MB':>7} | usable s "
          "(index, network, cooperation, busiest unit, largest plan)")
    for out in outs:
        with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp:
            views = Path(tmp) / "views"
            child = subprocess.run([sys.executable, "-c", CHILD, str(out), str(views)], capture_output=True, text=True,
                                   check=True)
            row = json.loads(child.stdout.strip().splitlines()[-1])
            data = json.loads((views / "data.js").read_text(encoding="utf-8").split("=", 1)[1].rstrip().rstrip(";"))
            units = [n for n in data["nodes"] if n.get("unit")]
            busiest = max(units, key=lambda n: (n.get("led", 0) + n.get("joined", 0), n["id"]))
            largest = max(data["docs"], key=lambda d: d["tasks"])
            del data
            with chromium_browser() as browser, offline_page(browser) as (page, _):
                times = [usable(page, views / "index.html", index=True, repeats=repeats),
                         usable(page, views / "network.html", repeats=repeats),
                         usable(page, views / "cooperation.html", repeats=repeats),
                         usable(page, views / "unit.html", "unit=" + quote(busiest["id"], safe=""), repeats=repeats),
                         usable(page, views / "document.html", "doc=" + quote(largest["id"], safe=""), repeats=repeats)]
            print(f"{str(out)[-28:]:<28} {row['nodes']:>7} {row['edges']:>7} | {row['seconds']:>7.2f} "
                  f"{row['mb']:>6.1f} {row['files']:>5} {row['peak_mb']:>7.0f} | "
                  + ", ".join(f"{t:.2f}" for t in times), flush=True)
    return 0


def bench_tiny(counts: list[int]) -> int:
    from policykg.visualize import write_views
    from policykg.visualize.synthetic import synthetic_policy_graph

    print(f"{'plans':>7} {'nodes':>7} {'edges':>7} | {'write s':>7} {'ms/plan':>7} {'MB':>6} {'files':>5} "
          f"{'peak MB':>7}")
    for count in counts:
        graph = synthetic_policy_graph(count, tasks_per_document=2, seed=5)
        with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp:
            started = time.perf_counter()
            written = write_views(graph, Path(tmp) / "views")
            seconds = time.perf_counter() - started
            mb = sum(p.stat().st_size for p in written) / 1e6
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"{count:>7} {graph.number_of_nodes():>7} {graph.number_of_edges():>7} | {seconds:>7.2f} "
              f"{1000 * seconds / count:>7.2f} {mb:>6.1f} {len(written):>5} {peak:>7.0f}", flush=True)
    return 0


def bench_sizes(sizes: list[int], repeats: int) -> int:
    from policykg.visualize import write_views
    from policykg.visualize.synthetic import synthetic_graph_of_size

    print(f"{'graph nodes':>11} {'edges':>6} | {'write s':>7} {'MB':>5} | {'usable s':>8} {'redraw ms':>9}")
    with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp, chromium_browser() as browser, \
            offline_page(browser) as (page, _):
        for size in sizes:
            graph = synthetic_graph_of_size(size)
            out = Path(tmp) / str(size)
            started = time.perf_counter()
            written = write_views(graph, out, max_nodes=graph.number_of_nodes() + 1)
            seconds = time.perf_counter() - started
            mb = sum(p.stat().st_size for p in written) / 1e6
            seconds_usable = usable(page, out / "network.html", repeats=repeats)
            redraw = page.evaluate(REDRAW_JS)
            print(f"{graph.number_of_nodes():>11} {graph.number_of_edges():>6} | {seconds:>7.2f} {mb:>5.1f} | "
                  f"{seconds_usable:>8.2f} {redraw:>9.1f}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--built", type=Path, nargs="+", metavar="OUT_DIR", help="built OUT folders (with graph.json)")
    parser.add_argument("--tiny", type=int, nargs="+", metavar="PLANS", help="synthetic corpora of tiny plans")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="NODES", help="synthetic graphs drawn whole")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if not (args.built or args.tiny or args.sizes):
        args.sizes = [1000, 5000]
    if (args.built or args.sizes) and not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.tiny:
        bench_tiny(args.tiny)
    if args.built:
        bench_built(args.built, args.repeats)
    if args.sizes:
        bench_sizes(args.sizes, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
