"""Benchmark of the HTML views: time to write them, and time-to-usable of a 1k, 5k and 10k-node
whole-network view in headless Chromium (Debian's /usr/bin/chromium) with the network blocked.

    .venv/bin/python bench/bench_views.py [--sizes 1000 5000 10000] [--unit-views]

Graphs are synthetic (policykg.visualize.synthetic: plans with tasks, shared bureaus, platforms,
parks and targets, following docs/graph-schema.md). For each size it prints:
- write: seconds for write_views (whole network, co-operation, one view per document, and with
  --unit-views one ego view per unit), and the number of pages;
- usable: seconds from navigation start until the page has drawn the network once (vis-network
  'afterDrawing', after fitting), measured from Python around page.goto + wait;
- redraw: milliseconds of one full redraw at the fitted zoom (after a pan or zoom ends);
- drag: milliseconds of one frame while panning or zooming (views above 1,500 nodes hide their
  edges meanwhile, as vis-network's hideEdgesOnDrag/hideEdgesOnZoom do);
- search: milliseconds to find a unit by an alias and focus it;
and does the same for the default view of the largest size (aggregated above DEFAULT_MAX_NODES).

    .venv/bin/python bench/bench_views.py --built OUT_DIR

times write_views on a built graph (e.g. `policykg build bench/corpus-1000 --out OUT_DIR`) with
one ego view per unit, and the time-to-usable of its main views and of its largest ego view.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from policykg.visualize import DEFAULT_MAX_NODES, write_views
from policykg.visualize.browser import CHROMIUM, chromium_browser, offline_page, open_view
from policykg.visualize.synthetic import synthetic_graph_of_size

REDRAW_JS = """(dragging) => {
    const net = window.policykgView.network;
    const times = [];
    net.renderer.dragging = dragging;  // while panning, big views hide their edges (hideEdgesOnDrag)
    for (let i = 0; i < 5; i++) {
        const t = performance.now();
        net.renderer._redraw();
        times.push(performance.now() - t);
    }
    net.renderer.dragging = false;
    times.sort((a, b) => a - b);
    return times[2];
}"""
SEARCH_JS = """(alias) => {
    const t = performance.now();
    const ids = window.policykgView.search(alias);
    window.policykgView.selectNode(ids[0]);
    window.policykgView.network.renderer._redraw();
    return [performance.now() - t, ids[0]];
}"""


def measure(page: object, path: Path, alias: str, repeats: int) -> dict[str, float]:
    usable, redraw, drag, search = [], [], [], []
    for _ in range(repeats):
        report = open_view(page, path, timeout_ms=180_000)
        if report.console_errors or report.page_errors or report.external_requests:
            raise SystemExit(f"{path}: {report.console_errors} {report.page_errors} {report.external_requests}")
        usable.append(report.seconds_to_ready)
        redraw.append(page.evaluate(REDRAW_JS, False))
        drag.append(page.evaluate(REDRAW_JS, True))
        search.append(page.evaluate(SEARCH_JS, alias)[0])
    nodes = page.evaluate("window.policykgView.data.nodes.length")
    edges = page.evaluate("window.policykgView.data.edges.length")
    return {"nodes": nodes, "edges": edges, "usable": statistics.median(usable), "redraw": statistics.median(redraw),
            "drag": statistics.median(drag),
            "search": statistics.median(search), "mb": path.stat().st_size / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--unit-views", action="store_true", help="also write one ego view per unit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--built", type=Path, metavar="OUT_DIR",
                        help="instead: a built OUT_DIR (e.g. of bench/corpus-1000): time writing all its views "
                             "(one per unit too) and opening the main ones")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.built:
        return bench_built(args.built, args.repeats)
    print(f"{'graph nodes':>11} {'edges':>6} {'pages':>5} {'write s':>8} | {'view':<10} {'nodes':>6} {'edges':>6} "
          f"{'MB':>5} {'usable s':>8} {'redraw ms':>9} {'drag ms':>7} {'search ms':>9}")
    with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp, chromium_browser() as browser, \
            offline_page(browser) as (page, _):
        for size in args.sizes:
            graph = synthetic_graph_of_size(size)
            unit = next(n for n, d in graph.nodes(data=True) if "Unit" in d["labels"])
            alias = next(a for a in graph.nodes[unit]["aliases"] if a != graph.nodes[unit]["name"])
            runs = [("full", max(DEFAULT_MAX_NODES, graph.number_of_nodes() + 1))]
            if graph.number_of_nodes() > DEFAULT_MAX_NODES:
                runs.append(("default", DEFAULT_MAX_NODES))
            for label, max_nodes in runs:
                out = Path(tmp) / f"{size}-{label}"
                started = time.perf_counter()
                written = write_views(graph, out, unit_views=args.unit_views, max_nodes=max_nodes)
                seconds = time.perf_counter() - started
                pages = sum(1 for p in written if p.suffix == ".html")
                row = measure(page, out / "network.html", alias, args.repeats)
                view = "aggregated" if label == "default" else "whole"
                print(f"{graph.number_of_nodes():>11} {graph.number_of_edges():>6} {pages:>5} {seconds:>8.2f} | "
                      f"{view:<10} {row['nodes']:>6} {row['edges']:>6} {row['mb']:>5.1f} {row['usable']:>8.2f} "
                      f"{row['redraw']:>9.1f} {row['drag']:>7.1f} {row['search']:>9.1f}", flush=True)
    return 0


def bench_built(out_dir: Path, repeats: int) -> int:
    from policykg.graph import read_graph

    graph = read_graph(out_dir)
    with tempfile.TemporaryDirectory(prefix="bench_views_") as tmp:
        started = time.perf_counter()
        written = write_views(graph, Path(tmp) / "views")
        seconds = time.perf_counter() - started
        pages = [p for p in written if p.suffix == ".html"]
        size = sum(p.stat().st_size for p in written) / 1e6
        print(f"{out_dir}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges -> {len(pages)} pages, "
              f"{size:.0f} MB in {seconds:.1f} s")
        views = Path(tmp) / "views"
        ego = max((views / "units").glob("*.html"), key=lambda p: p.stat().st_size, default=None)
        with chromium_browser() as browser, offline_page(browser) as (page, _):
            for path in [views / "network.html", views / "cooperation.html", ego]:
                if path is None:
                    continue
                usable = []
                for _ in range(repeats):
                    report = open_view(page, path, timeout_ms=180_000)
                    if report.console_errors or report.page_errors or report.external_requests:
                        raise SystemExit(f"{path}: {report.console_errors} {report.page_errors}")
                    usable.append(report.seconds_to_ready)
                nodes = page.evaluate("window.policykgView.data.nodes.length")
                edges = page.evaluate("window.policykgView.data.edges.length")
                print(f"  {path.relative_to(views)}: {nodes} nodes, {edges} edges, "
                      f"{path.stat().st_size / 1e6:.1f} MB, usable in {statistics.median(usable):.2f} s")
            report = open_view(page, views / "index.html", ready="window.policykgIndex && window.policykgIndex.ready")
            print(f"  index.html: {(views / 'index.html').stat().st_size / 1e6:.1f} MB, "
                  f"usable in {report.seconds_to_ready:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
