"""The two engines side by side: load throughput and canned-query latency on the embedded
FalkorDB and on a real Neo4j 5 (tools/neo4j-server), for one bench corpus, in one run.

    python bench/bench_engines.py [--docs 1000] [--out OUT] [--repeat 5] [--uri bolt://… (own Neo4j)]

Without --out it generates and builds bench/corpus-N as bench/bench_queries.py does (reused when
present). It starts the Neo4j test server (Java 17 + Maven needed) unless --uri/NEO4J_URI names
a server whose database is empty, loads OUT/graph.json into each engine from empty (rows/s =
(nodes + relationships) / load seconds; Neo4j: one transaction, the embedded engine: its
staging graph and swap), reloads it (nothing changed), then runs every canned query of the
catalog (queries/*.cypher; parameters drawn from the graph) --repeat times after one warm-up
and prints the p50 of each on both engines, with the row counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tools" / "neo4j-server"))


def _params(query: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Required parameters, from the graph for units/documents/tasks, else the header example."""
    if query.name == "task_detail":
        return {"task": values["task"]}
    params = {}
    for param in query.params:
        if not param.required:
            continue
        if param.kind == "unit":
            params[param.name] = values["other"] if param.name == "other" else values["unit"]
        elif param.kind == "doc":
            params[param.name] = values["doc"]
        elif param.name in values:
            params[param.name] = values[param.name]
        else:
            params[param.name] = param.example
    return params


def _graph_values(session: Any) -> dict[str, Any]:
    top = session.cypher("MATCH (u:Unit)-[:LEADS]->(t:Task) RETURN u.id AS id, count(t) AS n, min(t.docId) AS doc "
                         "ORDER BY n DESC, id LIMIT 2")
    task = session.cypher("MATCH (t:Task) WHERE t.docId = $doc RETURN t.id AS id ORDER BY id LIMIT 1",
                          doc=top[0]["doc"])[0]["id"]
    year = session.cypher("MATCH ()-[g:TARGETS]->() WHERE g.year IS NOT NULL "
                          "RETURN g.year AS year, count(*) AS n ORDER BY n DESC, year LIMIT 1")
    indicator = session.cypher("MATCH ()-[g:TARGETS]->(i:Indicator) RETURN i.name AS name, count(*) AS n "
                               "ORDER BY n DESC, name LIMIT 1")
    values = {"unit": top[0]["id"], "other": top[1]["id"], "doc": top[0]["doc"], "task": task}
    if year:
        values["year"] = year[0]["year"]
    if indicator:
        values["indicator"] = indicator[0]["name"]
    return values


def _latencies(session: Any, params: dict[str, dict[str, Any]], repeat: int) -> dict[str, tuple[float, int]]:
    from policykg.queries.catalog import load_catalog

    result = {}
    for name in load_catalog():
        session.query(name, **params[name])  # warm-up (plan cache, page cache)
        times, rows = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            rows = len(session.query(name, **params[name]))
            times.append(time.perf_counter() - started)
        result[name] = (statistics.median(times), rows)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="a built OUT folder (default: bench/corpus-N/out)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--uri", default=os.environ.get("NEO4J_URI"), help="an own Neo4j with an empty database")
    args = parser.parse_args()

    from bench_queries import _corpus_out
    from neo4j_server import Neo4jServer
    from policykg.graph.cypher_load import read_graph_file
    from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, EmbeddedServer
    from policykg.graph.neo4j_loader import Neo4jEngine, Neo4jSettings, load_atomically
    from policykg.queries.catalog import load_catalog
    from policykg.queries.runner import connect_neo4j, open_embedded

    out = args.out or _corpus_out(args.docs)
    graph = read_graph_file(out)
    rows = graph.number_of_nodes() + graph.number_of_edges()
    documents = sum(1 for _n, d in graph.nodes(data=True) if d.get("label") == "Document")
    print(f"corpus: {out} — {documents} documents, {graph.number_of_nodes()} nodes, "
          f"{graph.number_of_edges()} relationships", flush=True)

    server = None
    if args.uri:
        settings = Neo4jSettings.from_env(uri=args.uri)
    else:
        started = time.perf_counter()
        server = Neo4jServer.start()
        print(f"Neo4j test server up in {time.perf_counter() - started:.1f} s at {server.uri}", flush=True)
        settings = Neo4jSettings(server.uri, server.username, server.password)
    scratch = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        copy = scratch / "out"
        copy.mkdir()
        shutil.copy2(out / "graph.json", copy / "graph.json")
        load: dict[str, tuple[float, float]] = {}
        with EmbeddedServer(copy) as embedded_server:
            started = time.perf_counter()
            embedded_server.sync(force=True, batch_size=EMBEDDED_BATCH_SIZE)
            first = time.perf_counter() - started
            started = time.perf_counter()
            embedded_server.sync(force=True, batch_size=EMBEDDED_BATCH_SIZE)
            load["embedded FalkorDB"] = (first, time.perf_counter() - started)
            print(f"embedded FalkorDB: load {first:.1f} s, second load {load['embedded FalkorDB'][1]:.1f} s",
                  flush=True)
        with Neo4jEngine(settings) as engine:
            if engine.read("MATCH (n) RETURN count(n) AS n", {})[0]["n"]:
                raise SystemExit(f"the Neo4j database at {settings.uri} is not empty")
            started = time.perf_counter()
            load_atomically(engine, graph)
            first = time.perf_counter() - started
            started = time.perf_counter()
            load_atomically(engine, graph)
            load["Neo4j 5.26"] = (first, time.perf_counter() - started)
        print("\n| engine | load s | rows/s | second load s |\n| --- | ---: | ---: | ---: |")
        for name, (first, again) in load.items():
            print(f"| {name} | {first:.1f} | {rows / first:,.0f} | {again:.1f} |")

        with open_embedded(copy) as embedded, \
                connect_neo4j(settings.uri, settings.username, settings.password) as neo4j:
            values = _graph_values(embedded)
            params = {name: _params(query, values) for name, query in load_catalog().items()}
            on_embedded = _latencies(embedded, params, args.repeat)
            on_neo4j = _latencies(neo4j, params, args.repeat)
        print(f"\n| query (p50 of {args.repeat}) | embedded ms | rows | Neo4j ms | rows |\n"
              "| --- | ---: | ---: | ---: | ---: |")
        for name in on_embedded:
            (a, ra), (b, rb) = on_embedded[name], on_neo4j[name]
            print(f"| {name} | {a * 1000:.1f} | {ra} | {b * 1000:.1f} | {rb} |")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
