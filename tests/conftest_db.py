"""Shared helpers of the database tests (tests/test_db_*.py import it; pytest puts tests/ on
sys.path): the real sample graph built once per session, a snapshot of what a database holds
next to what the graph says it should hold, and an independent reading of the responsibility
clauses of the 清远 2020-2022 draft straight from its text."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from policykg.graph.cypher_load import UNION_LIST_PROPERTIES, prepare_graph, read_graph_file
from policykg.graph.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
QINGYUAN_2020 = DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt"

POLICYKG = [sys.executable, "-m", "policykg"]

_built: dict[str, Path] = {}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`policykg ARGS` in a process of its own, from the repository, without the developer's
    NEO4J_* settings (`env` adds to the environment)."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
    full_env.update(env or {})
    return subprocess.run([*POLICYKG, *args], capture_output=True, text=True, timeout=300, env=full_env, cwd=ROOT)


def scratch_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """An embedded server of its own (an empty OUT) for tests that load graphs by hand (the body
    of their `server` fixture)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with EmbeddedServer(scratch) as running:
        yield running


def build_sample(tmp_path_factory: pytest.TempPathFactory, data: Path = DATA, key: str = "sample") -> Path:
    """policykg build DATA into a temporary OUT, once per session and key; returns OUT."""
    if key not in _built:
        from policykg.api import build

        out = tmp_path_factory.mktemp(f"db_{key}") / "out"
        build(data, out, views=False)
        assert (out / "graph.json").is_file()
        _built[key] = out
    return _built[key]


def fresh_copy(out: Path, tmp_path: Path) -> Path:
    """A copy of OUT's graph.json alone (no database yet), so a test owns its embedded server."""
    copy = tmp_path / "out"
    copy.mkdir()
    shutil.copy2(out / "graph.json", copy / "graph.json")
    return copy


def _value(value: Any) -> Any:
    # FalkorDB prints doubles with 15 significant digits; compare at that precision.
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


def _props(props: dict[str, Any]) -> dict[str, Any]:
    out = {key: _value(value) for key, value in props.items() if key != "loadDigest" and value is not None}
    for name in UNION_LIST_PROPERTIES:
        if isinstance(out.get(name), list):
            out[name] = sorted(out[name])
    return out


def graph_snapshot(graph: nx.MultiDiGraph) -> tuple[dict[str, Any], dict[tuple[str, str, str, str], Any]]:
    """What a database loaded with `graph` must hold: nodes by id, edges by (source, type, target, key)."""
    prepared = prepare_graph(graph)
    nodes: dict[str, Any] = {}
    for (primary, extra), rows in prepared.node_groups.items():
        for row in rows:
            props = dict(row["props"], id=row["id"])
            for name in UNION_LIST_PROPERTIES:
                if row.get(name) is not None:
                    props[name] = row[name]
            nodes[row["id"]] = (sorted((primary, *extra)), _props(props))
    edges: dict[tuple[str, str, str, str], Any] = {}
    for (_s, rel_type, _t), rows in prepared.edge_groups.items():
        for row in rows:
            edges[(row["source"], rel_type, row["target"], row["key"])] = _props(row["props"])
    return nodes, edges


def db_snapshot(engine: Any) -> tuple[dict[str, Any], dict[tuple[str, str, str, str], Any]]:
    """What a database holds, in graph_snapshot's shape (read through the engine's read())."""
    nodes = {row["id"]: (sorted(row["labels"]), _props(row["props"]))
             for row in engine.read("MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props", {})}
    edges: dict[tuple[str, str, str, str], Any] = {}
    for row in engine.read("MATCH (a)-[r]->(b) RETURN a.id AS s, type(r) AS t, b.id AS o, properties(r) AS props",
                           {}):
        key = (row["s"], row["t"], row["o"], row["props"].get("key"))
        assert key not in edges, f"duplicate relationship {key}"
        edges[key] = _props(row["props"])
    return nodes, edges


def sample_graph(out: Path) -> nx.MultiDiGraph:
    return read_graph_file(out)


# --------------------------------------------------------------------------- the text, read independently

_CHINESE_NUMERALS = "一二三四五六七八九十"
_CHAPTER = re.compile(r"^\s*([一二三四五六七八九十]+)、")
_SECTION = re.compile(r"^\s*[（(]([一二三四五六七八九十]+)[）)]")
_ITEM = re.compile(r"^\s*(\d+)\s*[.．、]\s*([^。]+)。")
_CLAUSE = re.compile(r"[（(]牵头单位[：:]([^，,）)]+(?:（[^）]*）[^，,）)]*)*)(?:[，,]参与单位[：:](.*?))?[）)]\s*$")


def _split_units(text: str) -> list[str]:
    # 各县（市、区）keeps its inner 、: split only outside brackets.
    units, depth, current = [], 0, ""
    for char in text:
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth -= 1
        if char in "、，," and depth == 0:
            units.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        units.append(current.strip())
    return units


def qingyuan_2020_tasks() -> list[dict[str, Any]]:
    """Numbered tasks of the 清远 2020-2022 draft with a （牵头单位：…，参与单位：…） clause:
    path (三.(一).1), title, leads and participants as written."""
    chapter = section = None
    tasks = []
    for line in QINGYUAN_2020.read_text(encoding="utf-8").splitlines():
        if match := _CHAPTER.match(line):
            chapter, section = match.group(1), None
            continue
        if match := _SECTION.match(line):
            section = match.group(1)
            continue
        item = _ITEM.match(line)
        clause = _CLAUSE.search(line.rstrip())
        if item and clause and chapter:
            path = f"{chapter}.({section}).{item.group(1)}" if section else f"{chapter}.{item.group(1)}"
            tasks.append({"path": path, "title": item.group(2).strip(),
                          "leads": _split_units(clause.group(1)),
                          "participants": _split_units(clause.group(2) or "")})
    return tasks
