"""Load time and canned-query latencies on the embedded engine (FalkorDB) for a bench corpus.

    python bench/bench_queries.py [--docs 1000] [--out OUT] [--repeat 5] [--batch-size 1000]

Without --out it generates bench/corpus-N (bench/make_corpus.py) and builds it into
bench/corpus-N/out (`policykg build … --no-views`), reusing both when present. It then copies
OUT/graph.json into a scratch OUT (so the load starts from an empty database) and prints:
server start, first load (the MERGE batches + the staging swap + SAVE), an idempotent reload,
a restart from the dump, and for each canned query the median and worst of --repeat runs with
the number of rows. Parameters are drawn from the loaded graph (its most central unit, one of
its documents, …) so every query does real work.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _corpus_out(docs: int) -> Path:
    corpus = BENCH / f"corpus-{docs}"
    out = corpus / "out"
    if not (out / "graph.json").is_file():
        if not (corpus / "docs").is_dir():
            subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), "--docs", str(docs), "--out", str(corpus)],
                           check=True)
        subprocess.run([sys.executable, "-m", "policykg", "build", str(corpus / "docs"), "--out", str(out),
                        "--no-views"], check=True, cwd=ROOT)
    return out


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _params(session: Any) -> dict[str, dict[str, Any]]:
    """Parameters per query, taken from the graph so that each query has something to find."""
    top = session.query("central_units", limit=50)
    unit = top[0]["unitId"]
    same_place = [row["unitId"] for row in top if row["jurisdiction"] == top[0]["jurisdiction"]]
    other = same_place[-1] if len(same_place) > 1 else top[1]["unitId"]
    doc = session.cypher("MATCH (u:Unit {id: $id})-[:LEADS]->(t:Task) RETURN t.docId AS doc, t.id AS task "
                         "ORDER BY doc, task LIMIT 1", id=unit)[0]
    year = session.cypher("MATCH ()-[g:TARGETS]->() WHERE g.year IS NOT NULL AND g.year <> '' "
                          "RETURN g.year AS year, count(*) AS n ORDER BY n DESC LIMIT 1")[0]["year"]
    indicator = session.cypher("MATCH ()-[g:TARGETS]->(i:Indicator) RETURN i.name AS name, count(*) AS n "
                               "ORDER BY n DESC, name LIMIT 1")[0]["name"]
    return {
        "tasks_led_by": {"unit": unit},
        "tasks_led_by (alias 市科技局)": {"unit": "市科技局"},
        "tasks_participated_by": {"unit": unit},
        "unit_partners": {"unit": unit},
        "unit_workload": {},
        "tasks_lead_issues": {},
        "units_by_jurisdiction": {},
        "task_detail": {"task": doc["task"]},
        "targets_due": {"year": year},
        "indicator_targets": {"indicator": indicator},
        "entities_with_tasks": {"kind": "Platform"},
        "path_between": {"unit": unit, "other": other},
        "central_units": {},
        "documents": {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="a built OUT folder (default: build the bench corpus)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (embedded default 5000)")
    args = parser.parse_args()

    from policykg.graph.cypher_load import prepare_graph, read_graph_file
    from policykg.graph.embedded import EmbeddedServer
    from policykg.queries.catalog import load_catalog
    from policykg.queries.runner import EmbeddedBackend, PolicyGraph

    source = args.out or _corpus_out(args.docs)
    graph, read_s = _timed(lambda: read_graph_file(source))
    _prepared, prepare_s = _timed(lambda: prepare_graph(graph))
    size_mb = (source / "graph.json").stat().st_size / 1e6
    print(f"graph: {source / 'graph.json'} ({size_mb:.1f} MB): {graph.number_of_nodes()} nodes, "
          f"{graph.number_of_edges()} edges; read {read_s:.2f} s, rows prepared {prepare_s:.2f} s")

    with tempfile.TemporaryDirectory(prefix="pkbench") as scratch:
        out = Path(scratch) / "out"
        out.mkdir()
        shutil.copy2(source / "graph.json", out / "graph.json")
        server = EmbeddedServer(out)
        _, start_s = _timed(server.start)
        summary, load_s = _timed(lambda: server.sync(batch_size=args.batch_size))
        print(f"server start: {start_s:.2f} s")
        print(f"first load (read + MERGE batches + staging swap + SAVE): {load_s:.2f} s; "
              f"batches {summary.batches} of ≤{args.batch_size} rows, MERGE phase {summary.seconds:.2f} s; "
              f"{summary.counters.nodes_created} nodes, {summary.counters.relationships_created} relationships")
        again, reload_s = _timed(lambda: server.sync(force=True, batch_size=args.batch_size))
        print(f"reload, nothing changed (digests skip every document): {reload_s:.2f} s; "
              f"{len(again.documents_unchanged)} documents unchanged, {again.counters.nodes_created} nodes created")
        _, stop_s = _timed(server.stop)
        dump = out / "falkordb" / "graph.rdb"
        print(f"stop (SHUTDOWN SAVE): {stop_s:.2f} s; dump {dump.stat().st_size / 1e6:.1f} MB")
        server = EmbeddedServer(out)
        _, restart_s = _timed(server.start)
        current, check_s = _timed(server.sync)
        assert current is None
        print(f"restart from the dump: {restart_s:.2f} s; graph.json unchanged check {check_s:.2f} s")

        session = PolicyGraph(EmbeddedBackend(server))
        try:
            params = _params(session)
            catalog = load_catalog()
            print(f"\nquery latencies, {args.repeat} runs each (ms; first run includes unit/document lookup)")
            print(f"{'query':32} {'first':>8} {'median':>8} {'max':>8} {'rows':>6}")
            for label, values in params.items():
                name = label.split(" ")[0]
                assert name in catalog
                times, rows = [], []
                session._units = session._documents = None  # the first run resolves names afresh
                for _ in range(args.repeat):
                    rows, seconds = _timed(lambda name=name, values=values: session.query(name, **values))
                    times.append(seconds * 1000)
                print(f"{label:32} {times[0]:8.1f} {statistics.median(times):8.1f} {max(times):8.1f} {len(rows):6d}")
            missing = set(catalog) - {label.split(" ")[0] for label in params}
            assert not missing, f"queries without bench parameters: {missing}"
        finally:
            session.close()


if __name__ == "__main__":
    main()
