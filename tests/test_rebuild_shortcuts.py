"""The shortcuts of a build and a rebuild give what the plain path gives: 任务分工表 sheets rendered
by the extraction (and found by the fragment's cache key), the shared nodes' and corpus-level
elements' GraphML from the cache of the OUT a build replaces (also when that cache is damaged),
graph.json lines by orjson where its bytes are json's, and a rebuild from the cache that loads
no extraction code."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from policykg.graph.export import iter_graph_elements
from policykg.graph.fragments import _encode, _json_bytes, _utf8
from test_build_cache import FIRST, assert_same_as_clean, first_plans, outputs

from policykg import api


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return first_plans(tmp_path)


def test_sheets_rendered_by_the_extraction_are_the_sheets_the_writer_renders(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.build(data, out, views=False, workers=1)
    assert first.cached == 0 and first.cached_sheets == first.documents  # every sheet made in extraction
    made_in_extraction = outputs(out)
    shutil.rmtree(out / api.XLSX_CACHE_DIR)  # the writer now renders every sheet from the fragments' rows
    again = api.build(data, out, views=False, workers=1)
    assert again.cached == again.documents and again.cached_sheets == 0
    assert outputs(out) == made_in_extraction


def test_a_rebuild_takes_the_shared_elements_graphml_from_the_cache(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.build(data, out, views=False, workers=1)
    assert first.cached_elements == 0
    again = api.build(data, out, views=False, workers=1)
    assert again.cached_elements > first.units  # units, entities, indicators, plans and their edges
    assert_same_as_clean(data, out, tmp_path)

    # a changed plan, the last in build order (its mentions of units named before it merge into
    # them): the elements it names are encoded again, the rest come from the cache; its sheet too
    changed = data / max(FIRST)
    changed.write_text(changed.read_text(encoding="utf-8").replace("。", "。\n", 1)
                       + "\n4.建设成果转化平台。完善技术交易市场。（牵头单位：省科技厅，配合单位：省财政厅）\n",
                       encoding="utf-8")
    rebuilt = api.build(data, out, views=False, workers=1)
    assert 0 < rebuilt.cached_elements < again.cached_elements
    assert_same_as_clean(data, out, tmp_path)


def test_a_damaged_cache_costs_time_not_correctness(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(data, out, views=False, workers=1)
    encodings = out / api.NODES_CACHE
    encodings.write_bytes(encodings.read_bytes()[: encodings.stat().st_size // 2])  # cut short
    for sheet in (out / api.XLSX_CACHE_DIR).iterdir():
        sheet.write_bytes(sheet.read_bytes()[:-7])
    api.build(data, out, views=False, workers=1)
    assert_same_as_clean(data, out, tmp_path)
    encodings.write_bytes(b"not policykg's")
    again = api.build(data, out, views=False, workers=1)
    assert again.cached_elements == 0
    assert_same_as_clean(data, out, tmp_path)


def test_orjson_lines_are_the_bytes_json_writes(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(data, out, views=False, workers=1)
    elements = [value for kind, value in iter_graph_elements(out) if kind != "graph"]
    assert len(elements) > 100
    odd = [{"v": 1e-07}, {"v": 1e16}, {"v": math.nan}, {"v": "\ud800"}, {"v": 2 ** 70}, {"v": None},
           {"v": "\x00\x1f\x7f\u2028 e-1 引号\"\\"}, {"v": [True, False, -3, 0.1]}]
    for value in elements + odd:
        assert _json_bytes(value) == _utf8(_encode(value)), value


def test_a_rebuild_from_the_cache_loads_no_extraction_code(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(data, out, views=False, workers=1)
    script = ("import sys; from policykg import api; "
              f"report = api.build({str(data)!r}, {str(out)!r}, views=False, workers=1); "
              "print(report.cached, report.documents); print(sorted(sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    counts, modules = done.stdout.splitlines()
    assert counts == f"{len(FIRST)} {len(FIRST)}"
    loaded = set(json.loads(modules.replace("'", '"')))
    stages = {"spacy", "networkx", *(f"policykg.extract.{name}" for name in (
        "pipeline", "normalise", "outline", "clauses", "resolve", "entities", "entity_components", "targets"))}
    assert not stages & loaded
    from policykg.extract.resolve import REVIEW_FILE

    assert api.REVIEW_FILE == REVIEW_FILE  # the name the build looks for without loading the resolver
