"""Benchmark of the HTML views: time, size and memory of writing them, and time-to-usable of the
main pages in headless Chromium (Debian's /usr/bin/chromium) with the network blocked.

    .venv/bin/python bench/bench_views.py --built OUT_200 OUT_1000   # built corpora (policykg build … --no-views)
    .venv/bin/python bench/bench_views.py --tiny 1000 3000 10000       # many tiny synthetic plans
    .venv/bin/python bench/bench_views.py --sizes 1000 5000           # synthetic graphs of N nodes

--built: for each built OUT (e.g. `policykg build bench/corpus-1000/docs --out OUT --no-views`) writes
its views from OUT/graph.json in a child process and prints wall and CPU seconds (reading
graph.json included; with the views' own second process, the edge reader: its share is the
"(2nd)" column), MB, files and the peak RSS (of the larger process; "(2nd)": the reader's);
`--before main` first does the same
with the views code (visualize/ and graph/) of that git revision (its write_views_from_out, or
read_graph and then write_views on the networkx graph where it has none)
and says whether both wrote the same data.js and index.html; then (unless --no-browser) opens
index.html, network.html, cooperation.html, the busiest unit's view and the largest plan's view
and prints the seconds until each has drawn (the 'usable' time, measured around page.goto +
wait for the page's ready flag).
--rebuild DOCS OUT: the views' share of a build, as a build makes them (from the extraction
workers' parts of the views in OUT's build cache, visualize/document_parts.py): rebuilds of DOCS
into OUT, every document from the cache (OUT: a build of DOCS, with views, so that the parts are
there), alternately without and with views, each in a fresh process; prints wall and CPU seconds
(the build's process and all its children: writers, views and their processes) of each and the
difference, the median of --repeats pairs. (The workers' part: bench/bench_record.py's prints.)
--tiny: synthetic corpora of N plans of two tasks each (policykg.visualize.synthetic): the time of
write_views and the time per plan, which must stay flat as N grows (every cost is linear).
--sizes: synthetic graphs of about N nodes, drawn whole: write time, page MB, usable, redraw.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from policykg.visualize.browser import CHROMIUM, chromium_browser, offline_page, open_view

# The child that writes the views of a built OUT and measures itself. argv: OUT VIEWS [BEFORE_DIR].
# With BEFORE_DIR (the visualize/ and graph/ folders of an earlier commit, see --before: the reading
# of graph.json is timed with the code of that commit too) it runs that code the
# way it was called then: write_views_from_out where it has one, else read_graph, then write_views
# on the networkx graph.
CHILD = """
import json, resource, sys, time
from pathlib import Path
out, views = Path(sys.argv[1]), Path(sys.argv[2])
def peak_mb():  # this process's own high-water mark (ru_maxrss would count the parent's, kept across exec)
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1e3
wall, cpu = time.perf_counter(), time.process_time()
if len(sys.argv) > 3:
    import importlib, policykg.graph, policykg.visualize
    for package in (policykg.graph, policykg.visualize):
        for name in [m for m in sys.modules if m.startswith(package.__name__ + ".")]:
            del sys.modules[name]
        package.__path__ = [str(Path(sys.argv[3]) / package.__name__.split(".")[-1])]
    before_views = importlib.import_module("policykg.visualize.views")
    if hasattr(before_views, "write_views_from_out"):  # streams graph.json, as this code does
        read_s = 0.0
        written = before_views.write_views_from_out(out, views)
    else:
        from policykg.graph import read_graph
        graph = read_graph(out)
        read_s = time.perf_counter() - wall
        written = before_views.write_views(graph, views)
else:
    from policykg.visualize.views import write_views_from_out
    read_s = 0.0
    written = write_views_from_out(out, views)
# the views' own second process (the edge reader, forked: no exec) counts in its CPU and memory
reader = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "read": read_s,
                  "reader_cpu": reader.ru_utime + reader.ru_stime,
                  "files": len(written), "mb": sum(p.stat().st_size for p in written) / 1e6,
                  "peak_mb": peak_mb(), "reader_peak_mb": reader.ru_maxrss / 1e3}))
"""

# The child that rebuilds DOCS into OUT from its cache and measures itself. argv: DOCS OUT views|no-views.
REBUILD = """
import json, resource, sys, time
wall, cpu = time.perf_counter(), time.process_time()
from policykg.api import build
report = build(sys.argv[1], sys.argv[2], views=sys.argv[3] == "views", progress=False)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "children_cpu": children.ru_utime + children.ru_stime, "cached": report.cached,
                  "documents": report.documents}))
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


def _before_tree(rev: str, into: Path) -> Path:
    """The visualize/ and graph/ folders of git revision `rev`, extracted into `into`."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "visualize", "graph"], capture_output=True,
                             check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _write_in_child(out: Path, views: Path, before: Path | None) -> dict[str, float]:
    argv = [sys.executable, "-c", CHILD, str(out), str(views), *([str(before)] if before else [])]
    child = subprocess.run(argv, capture_output=True, text=True)
    if child.returncode:
        raise SystemExit(f"writing the views of {out} failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def bench_built(outs: list[Path], repeats: int, before_rev: str | None, browser: bool) -> int:
    """Write time (wall, and CPU seconds: the honest figure on a shared machine), MB, files and
    peak RSS of the child that reads OUT/graph.json and writes the views; with --before REV the
    same for that revision's code, run back to back on the same OUT."""
    usable_head = " | usable s (index, network, cooperation, busiest unit, largest plan)" if browser else ""
    print(f"{'corpus':<24} {'code':<10} {'nodes':>7} {'edges':>7} | {'wall s':>6} {'(read)':>6} {'CPU s':>6} "
          f"{'(2nd)':>6} {'MB':>6} {'files':>5} {'peak MB':>7} {'(2nd)':>6}" + usable_head)
    with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp:
        before = _before_tree(before_rev, Path(tmp)) if before_rev else None
        for out in outs:
            runs = ([(before_rev, before)] if before else []) + [("this", None)]
            for code, tree in runs:
                views = Path(tmp) / f"views-{code}"
                row = _write_in_child(out, views, tree)
                data = json.loads((views / "data.js").read_text(encoding="utf-8").split("=", 1)[1].rstrip()
                                  .rstrip(";"))
                times = _usable_times(views, data, repeats) if browser else []
                print(f"{str(out)[-24:]:<24} {str(code)[:10]:<10} {len(data['nodes']):>7} {len(data['edges']):>7} | "
                      f"{row['seconds']:>6.2f} {row['read']:>6.2f} {row['cpu'] + row['reader_cpu']:>6.2f} "
                      f"{row['reader_cpu']:>6.2f} {row['mb']:>6.1f} {row['files']:>5} "
                      f"{max(row['peak_mb'], row['reader_peak_mb']):>7.0f} {row['reader_peak_mb']:>6.0f}"
                      + (" | " + ", ".join(f"{t:.2f}" for t in times) if times else ""), flush=True)
                del data
            if before:
                same = all((Path(tmp) / "views-this" / name).read_bytes()
                           == (Path(tmp) / f"views-{before_rev}" / name).read_bytes()
                           for name in ("data.js", "index.html"))
                print(f"{'':<24} data.js and index.html {'identical' if same else 'DIFFER'} ({before_rev} vs this)")
            for code, _ in runs:
                shutil.rmtree(Path(tmp) / f"views-{code}", ignore_errors=True)
    return 0


def bench_rebuild(docs: Path, out: Path, repeats: int) -> int:
    """The views' wall and CPU seconds in rebuilds from the cache (see the module's docstring)."""
    runs: dict[str, list[dict[str, float]]] = {"no-views": [], "views": []}
    for _ in range(repeats):
        for mode in runs:
            child = subprocess.run([sys.executable, "-c", REBUILD, str(docs), str(out), mode],
                                   capture_output=True, text=True)
            if child.returncode:
                raise SystemExit(f"rebuilding {out} failed:\n{child.stderr}")
            row = json.loads(child.stdout.strip().splitlines()[-1])
            if row["cached"] != row["documents"]:
                print(f"note: {row['documents'] - row['cached']} documents were not in the cache (extracted)")
            runs[mode].append(row)

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] if key != "cpu" else r["cpu"] + r["children_cpu"] for r in runs[mode])

    print(f"rebuild of {docs} from the cache of {out}, median of {repeats}:")
    print(f"{'mode':<9} {'wall s':>6} {'CPU s':>6} {'(children)':>10}")
    for mode in runs:
        print(f"{mode:<9} {median(mode, 'seconds'):>6.2f} {median(mode, 'cpu'):>6.2f} "
              f"{median(mode, 'children_cpu'):>10.2f}")
    print(f"{'views +':<9} {median('views', 'seconds') - median('no-views', 'seconds'):>6.2f} "
          f"{median('views', 'cpu') - median('no-views', 'cpu'):>6.2f}")
    return 0


def _usable_times(views: Path, data: dict[str, object], repeats: int) -> list[float]:
    units = [n for n in data["nodes"] if n.get("unit")]
    busiest = max(units, key=lambda n: (n.get("led", 0) + n.get("joined", 0), n["id"]))
    largest = max(data["docs"], key=lambda d: d["tasks"])
    with chromium_browser() as browser, offline_page(browser) as (page, _):
        return [usable(page, views / "index.html", index=True, repeats=repeats),
                usable(page, views / "network.html", repeats=repeats),
                usable(page, views / "cooperation.html", repeats=repeats),
                usable(page, views / "unit.html", "unit=" + quote(busiest["id"], safe=""), repeats=repeats),
                usable(page, views / "document.html", "doc=" + quote(largest["id"], safe=""), repeats=repeats)]


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
    parser.add_argument("--rebuild", type=Path, nargs=2, metavar=("DOCS", "OUT"),
                        help="the views' share of rebuilds of DOCS into OUT from its cache")
    parser.add_argument("--tiny", type=int, nargs="+", metavar="PLANS", help="synthetic corpora of tiny plans")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="NODES", help="synthetic graphs drawn whole")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--before", metavar="REV", help="with --built: also time the views code of this git "
                        "revision (e.g. main), back to back on the same OUT, and compare the data files")
    parser.add_argument("--no-browser", action="store_true", help="with --built: skip the time-to-usable")
    args = parser.parse_args()
    if not (args.built or args.tiny or args.sizes or args.rebuild):
        args.sizes = [1000, 5000]
    if (args.sizes or (args.built and not args.no_browser)) and not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.rebuild:
        bench_rebuild(*args.rebuild, max(args.repeats, 1))
    if args.tiny:
        bench_tiny(args.tiny)
    if args.built:
        bench_built(args.built, args.repeats, args.before, not args.no_browser)
    if args.sizes:
        bench_sizes(args.sizes, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
