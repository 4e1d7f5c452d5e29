"""The embedded load alone (`EmbeddedServer.sync` of OUT/graph.json into a fresh server, as
bench_queries.py's "load, now" line), with the time line of its steps: where the critical path
goes.

    python bench/bench_load.py --out OUT [--repeat 3] [--fork auto|yes|no] [--steps]

Each run copies OUT/graph.json into a scratch OUT, starts a server there, and prints the load's
wall seconds and CPU seconds of this process, of the process it forks (the edges' commands)
and of the server (INFO cpu). --fork yes/no forces the forked edge reader on or off (auto: as
the load decides, by graph/embedded.core_to_spare: off when the machine's load average is not
below its cores). --steps adds the steps' time stamps (s after the load began) and the thread
they ran on: the file read, the node lines checked, the load counts, the node rows, the
edges' process's first message, each GRAPH.BULK command made (flush) and sent/answered,
the directories, the swap's background save. The steps are timed by wrapping the load's
functions in this process only (the forked process's work shows as the commands it tells).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

_began = [0.0]
_marks: list[tuple[float, str, str]] = []


def _mark(what: str) -> None:
    _marks.append((time.perf_counter() - _began[0], what, threading.current_thread().name))


def _wrap(owner: Any, name: str) -> None:
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        _mark(f"{name} >")
        try:
            return original(*args, **kwargs)
        finally:
            _mark(f"{name} <")

    setattr(owner, name, timed)


def _instrument() -> None:
    """Time stamps at the load's steps (wrappers, in this process)."""
    import policykg.graph.bulk_file as bulk_file
    import policykg.graph.embedded as embedded
    import policykg.graph.falkor_bulk as falkor_bulk

    for name in ("_check_node_lines", "_scanned_counts", "prepare_nodes"):
        if hasattr(bulk_file, name):
            _wrap(bulk_file, name)
    _wrap(bulk_file, "read_plain")
    embedded.read_plain = bulk_file.read_plain
    for name in ("create_graph", "write_directories", "check_unique_ids", "make_query_indexes", "compare_documents"):
        _wrap(embedded, name)
    _wrap(bulk_file.EdgeJob, "message")
    frames = bulk_file.EdgeJob.frames

    def timed_frames(self: Any) -> Any:
        first = True
        for frame in frames(self):
            if first:
                _mark("the edges' process's first command")
                first = False
            yield frame
        _mark("the edges' process's last command")

    bulk_file.EdgeJob.frames = timed_frames
    send_frame = falkor_bulk.BulkConnection.send_frame

    def timed_send(self: Any, frame: bytes, timeout: float) -> Any:
        _mark(f"sent {len(frame) / 1e6:.1f} MB")
        try:
            return send_frame(self, frame, timeout)
        finally:
            _mark(f"answered {len(frame) / 1e6:.1f} MB")

    falkor_bulk.BulkConnection.send_frame = timed_send
    flush = falkor_bulk.BulkWriter.flush

    def timed_flush(self: Any) -> None:
        if self._tokens[False] or self._tokens[True]:
            _mark(f"command {self.commands} made: {self._counts[False]} nodes, {self._counts[True]} relationships")
        flush(self)

    falkor_bulk.BulkWriter.flush = timed_flush
    _wrap(embedded.EmbeddedServer, "save_in_background")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_once(source: Path, fork: str) -> tuple[float, str]:
    """One load of source/graph.json into a fresh scratch server: (wall s, its line)."""
    import policykg.graph.embedded as embedded

    if fork != "auto":
        embedded.core_to_spare = (lambda: True) if fork == "yes" else (lambda: False)  # type: ignore[assignment]
    scratch = Path(tempfile.mkdtemp(prefix="pkbenchload"))
    out = scratch / "out"
    out.mkdir()
    shutil.copy2(source / "graph.json", out / "graph.json")
    server = embedded.EmbeddedServer(out).start()
    try:
        client = server.client()

        def server_cpu() -> float:
            info = client.connection.info("cpu")
            return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

        cpu, children, served = time.process_time(), _children_cpu(), server_cpu()
        _marks.clear()
        _began[0] = time.perf_counter()
        summary = server.sync()
        wall = time.perf_counter() - _began[0]
        assert summary is not None
        line = (f"{wall:.2f} s wall, CPU {time.process_time() - cpu:.2f} s here + {_children_cpu() - children:.2f} s "
                f"forked + {server_cpu() - served:.2f} s server ({summary.nodes_in_graph} nodes, "
                f"{summary.edges_in_graph} relationships)")
        return wall, line
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="a built OUT folder (its graph.json is loaded)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fork", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--steps", action="store_true", help="the time line of the steps of each load")
    args = parser.parse_args()
    if not (args.out / "graph.json").is_file():
        sys.exit(f"{args.out}: no graph.json")
    if args.steps:
        _instrument()
    walls = []
    for number in range(args.repeat):
        wall, line = load_once(args.out, args.fork)
        walls.append(wall)
        print(f"load {number + 1}: {line}", flush=True)
        if args.steps:
            for when, what, thread in _marks:
                print(f"  {when:6.3f} {thread[:14]:14} {what}")
    print(f"median of {len(walls)}: {statistics.median(walls):.2f} s wall (fork: {args.fork})")


if __name__ == "__main__":
    main()
