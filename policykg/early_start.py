"""`policykg query NAME …` and `policykg cypher STATEMENT …` begin to start the embedded server
of their OUT before anything else is imported (policykg/cli.py imports this module first): the
server reads its dump (the larger part of a first call after a reboot or the idle timeout) while
the command imports click and its modules and checks its parameters; the session then takes
that server (queries/runner.py open_embedded) instead of starting one, and imports the loaders
only when graph.json changed. What it imports for that is graph/falkor_server.py, the server's
lifecycle, without the loaders.

Only the plain forms are recognised — `policykg query NAME …` with a canned query of that name,
`policykg cypher STATEMENT …` — with no --help/--list, no Neo4j (--neo4j, --uri, NEO4J_URI) and
an OUT holding graph.json; anything else starts nothing here and the command runs as it would
without this module. A command that fails before it uses the server leaves it to its watchdog,
which stops it when no process uses it (the start still finishes: its thread is not a daemon).
Nothing here raises.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# options of `policykg query` after which the early start does not apply
_NOT_EMBEDDED = ("--neo4j", "--uri", "--list", "-h", "--help")


def _invoked_as_command() -> bool:
    """True in the `policykg` console script or `python -m policykg` (not in tests importing
    policykg.cli, nor in notebooks)."""
    program = Path(sys.argv[0] if sys.argv else "")
    return program.name == "policykg" or (program.name == "__main__.py" and program.parent.name == "policykg")


def query_out_dir(args: list[str]) -> Path | None:
    """OUT of `query NAME [options]` or `cypher STATEMENT [options]` when this module should start
    its server; else None."""
    if len(args) < 2 or args[0] not in ("query", "cypher") or args[1].startswith("-"):
        return None
    if os.environ.get("NEO4J_URI") or any(arg.split("=", 1)[0] in _NOT_EMBEDDED for arg in args[2:]):
        return None
    out = "out"
    for i, arg in enumerate(args[2:], start=2):
        if arg == "--out" and i + 1 < len(args):
            out = args[i + 1]
        elif arg.startswith("--out="):
            out = arg.split("=", 1)[1]
    if args[0] == "query":
        from importlib.util import find_spec

        spec = find_spec("policykg.queries")
        folders = list(spec.submodule_search_locations or []) if spec else []
        if not any((Path(folder) / f"{args[1]}.cypher").is_file() for folder in folders):
            return None  # not a canned query: the command says so without a server
    out_dir = Path(out)
    return out_dir if (out_dir / "graph.json").is_file() else None


def start_server_early() -> None:
    if not _invoked_as_command():
        return
    if sys.argv[1:2] in (["query"], ["cypher"]):
        # a one-shot read makes no reference cycle worth collecting: its imports and the unit
        # directory (thousands of dicts) set off ~10 collections that walk every object made so
        # far (8 % of a call's instructions); the process ends with the answer, and what it
        # drops is freed by reference counting (a --reload load runs without the collector anyway)
        import atexit
        import gc

        gc.disable()
        # and the collection at exit walks none of them (registered first, so run last)
        atexit.register(gc.freeze)
    if sys.platform == "win32":
        return
    try:
        out_dir = query_out_dir(sys.argv[1:])
        if out_dir is None:
            return
        from policykg.graph.falkor_server import command_idle_seconds, start_early  # not the loaders

        start_early(out_dir, command_idle_seconds())
    except Exception:  # only a head start: the command itself reports whatever is wrong
        return


start_server_early()
