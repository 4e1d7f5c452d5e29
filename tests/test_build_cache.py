"""Incremental builds: a build reuses the per-document records of the OUT it replaces (keyed by
file sha256, pipeline version, path and manifest entry), and its output is the output of a clean
build of the same folder — after adding, changing and removing a plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from policykg import api

PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"
FIRST = ["jiangsu_labelled_plan.txt", "zhejiang_provincial_plan.txt", "sichuan_chapters_plan.txt",
         "shandong_dept_labels.txt"]
ADDED = "national_guowuyuan_opinion.txt"
FILES = ["graph.json", "graph.graphml", "responsibilities.csv", "resolution.csv", "targets.csv", "entities.csv"]


def outputs(out: Path) -> dict[str, bytes | list[list[object]]]:
    found: dict[str, bytes | list[list[object]]] = {name: (out / name).read_bytes() for name in FILES}
    book = load_workbook(out / "responsibilities.xlsx", read_only=True)  # its zip carries a timestamp
    for sheet in book.worksheets:
        found[f"xlsx:{sheet.title}"] = [list(row) for row in sheet.iter_rows(values_only=True)]
    return found


def assert_same_as_clean(data: Path, out: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    api.build(data, clean, views=False, workers=1)
    assert outputs(out) == outputs(clean)


def cached_records(out: Path) -> list[Path]:
    return sorted((out / api.CACHE_DIR).glob("*" + api.SUMMARY))


def first_plans(tmp_path: Path) -> Path:
    """A data folder of the FIRST plans (the `data` fixture of the rebuild tests)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in FIRST:
        shutil.copy2(PLANS / name, folder / name)
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return first_plans(tmp_path)


def test_adding_changing_removing_a_plan_rebuilds_from_the_cache_as_a_clean_build(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.build(data, out, views=False, workers=1)
    assert first.cached == 0 and first.documents == len(FIRST)
    assert len(cached_records(out)) == len(FIRST)

    shutil.copy2(PLANS / ADDED, data / ADDED)  # a new plan: only it is extracted
    added = api.build(data, out, views=False, workers=1)
    assert (added.cached, added.documents) == (len(FIRST), len(FIRST) + 1)
    assert_same_as_clean(data, out, tmp_path)

    changed = data / FIRST[0]  # a changed plan: a new task with a clause, the rest from the cache
    changed.write_text(changed.read_text(encoding="utf-8")
                       + "\n4.建设成果转化平台。完善技术交易市场。（牵头单位：省科技厅，配合单位：省财政厅）\n",
                       encoding="utf-8")
    again = api.build(data, out, views=False, workers=1)
    assert (again.cached, again.documents) == (len(FIRST), len(FIRST) + 1)
    assert_same_as_clean(data, out, tmp_path)

    (data / FIRST[1]).unlink()  # a removed plan drops out of the graph and the cache
    removed = api.build(data, out, views=False, workers=1)
    assert (removed.cached, removed.documents) == (len(FIRST), len(FIRST))
    assert_same_as_clean(data, out, tmp_path)
    assert len(cached_records(out)) == len(FIRST)
    assert FIRST[1] not in (out / "responsibilities.csv").read_text(encoding="utf-8-sig")


def test_a_changed_manifest_entry_extracts_that_plan_again(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(data, out, views=False, workers=1)
    entry = {"file": FIRST[0], "title": "江苏省科技创新行动方案", "jurisdiction": "江苏省"}
    (data / "manifest.json").write_text(json.dumps({"documents": [entry]}, ensure_ascii=False), encoding="utf-8")
    rebuilt = api.build(data, out, views=False, workers=1)
    assert rebuilt.cached == len(FIRST) - 1
    assert_same_as_clean(data, out, tmp_path)
