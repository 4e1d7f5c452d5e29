"""The 任务分工表's streaming writer (graph/task_sheet.py), fed one document at a time from a real
build of the sample plans, read back with openpyxl: documents without rows, sheet names that
stay unique and valid, and the sheet cache (a cached sheet gives the same bytes)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest_db import build_sample
from policykg.graph.task_sheet import (
    CACHE_SUFFIX,
    OVERVIEW_SHEET,
    XLSX_COLUMNS,
    TaskSheetWriter,
    write_responsibilities_xlsx,
    xlsx_document,
)

Documents = list[tuple[dict[str, Any], list[dict[str, str]]]]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


@pytest.fixture(scope="module")
def documents(out: Path) -> Documents:
    """(document, its responsibilities.csv rows) in build order, as a build hands them over."""
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    docs = [xlsx_document(n) for n in data["nodes"] if n["label"] == "Document"]
    with (out / "responsibilities.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(d, [r for r in rows if r["doc_sha256"] == d["doc_sha256"]]) for d in docs]


def write(path: Path, documents: Documents, cache_dir: Path | None = None,
          reuse_dir: Path | None = None) -> TaskSheetWriter:
    with TaskSheetWriter(path, cache_dir, reuse_dir) as writer:
        for doc, rows in documents:
            writer.add_document(doc, rows)
    return writer


def overview(path: Path) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(path)[OVERVIEW_SHEET].iter_rows(min_row=2, values_only=True))


def test_streamed_workbook_equals_the_list_api(out: Path, documents: Documents, tmp_path: Path) -> None:
    streamed = write(tmp_path / "streamed.xlsx", documents)
    rows = [r for _, doc_rows in documents for r in doc_rows]
    tasks = write_responsibilities_xlsx(rows, tmp_path / "list.xlsx", [d for d, _ in documents])
    assert streamed.close() == tasks == sum(len({r["task_id"] for r in rs}) for _, rs in documents)
    assert (tmp_path / "streamed.xlsx").read_bytes() == (tmp_path / "list.xlsx").read_bytes()
    # the build's own workbook holds the same sheets and cells
    built, ours = openpyxl.load_workbook(out / "responsibilities.xlsx"), openpyxl.load_workbook(tmp_path / "list.xlsx")
    assert built.sheetnames == ours.sheetnames and built.sheetnames[0] == OVERVIEW_SHEET
    for name in built.sheetnames:
        assert list(built[name].values) == list(ours[name].values)


def test_a_document_without_rows_has_its_sheet_and_a_zero_count(documents: Documents, tmp_path: Path) -> None:
    (first, _), *rest = documents
    write(tmp_path / "t.xlsx", [(first, []), *rest])
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    row = overview(tmp_path / "t.xlsx")[0]
    assert row[1] == first["title"] and row[5] == 0 and row[6] == 0
    assert list(book[row[-1]].values) == [XLSX_COLUMNS]  # the header alone, still print-ready
    assert book[row[-1]].freeze_panes == "A2" and book[row[-1]].print_title_rows in ("1:1", "$1:$1")
    assert book[row[-1]].auto_filter.ref == "A1:H1"
    assert [r[5] for r in overview(tmp_path / "t.xlsx")[1:]] == [len({r["task_id"] for r in rs}) for _, rs in rest]


def test_no_documents_gives_an_overview_alone(tmp_path: Path) -> None:
    assert write(tmp_path / "t.xlsx", []).close() == 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == [OVERVIEW_SHEET] and book[OVERVIEW_SHEET].max_row == 1


def test_sheet_names_stay_unique_and_valid(documents: Documents, tmp_path: Path) -> None:
    doc, rows = documents[0]
    twins = [({**doc, "doc_sha256": f"{i:064x}", "doc": f"copy-{i}.txt"}, rows) for i in range(12)]
    odd = {**doc, "doc_sha256": "f" * 64, "title": "关于[印发]*清远/市?\\:创新'行动'方案的通知" * 3}
    write(tmp_path / "t.xlsx", [*twins, (odd, []), ({**odd, "doc_sha256": "e" * 64, "title": ""}, [])])
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    names = book.sheetnames[1:]
    assert len(names) == len({n.lower() for n in names}) == 14
    assert all(0 < len(n) <= 31 and not set("[]:*?/\\") & set(n) for n in names)
    assert names[0].startswith("1 ") and names[11].startswith("12 ")  # the overview's 序号 tells twins apart
    assert names[13].startswith("14 ") and "copy-" not in names[13]  # no title: the file name
    rows_of = [list(book[n].values) for n in names[:12]]
    assert all(r == rows_of[0] for r in rows_of) and len(rows_of[0]) > 1
    assert [r[-1] for r in overview(tmp_path / "t.xlsx")] == names  # each links to its own sheet
    links = [c.hyperlink.location for c in book[OVERVIEW_SHEET]["H"][1:]]
    assert links == [f"'{n.replace(chr(39), chr(39) * 2)}'!A1" for n in names]


def test_a_document_given_twice_is_refused_and_nothing_is_left(documents: Documents, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    with pytest.raises(ValueError, match="given twice"):
        write(path, [documents[0], documents[0]])
    assert not path.exists()


def test_cached_sheets_give_the_same_bytes(documents: Documents, tmp_path: Path) -> None:
    clean = write(tmp_path / "clean.xlsx", documents)
    cache = tmp_path / "cache"
    filled = write(tmp_path / "filled.xlsx", documents, cache)
    assert filled.cache_hits == 0 and len(list(cache.glob(f"*{CACHE_SUFFIX}"))) == len(documents)
    again = write(tmp_path / "again.xlsx", documents, cache)
    assert again.cache_hits == len(documents) and again.close() == clean.close()
    expected = (tmp_path / "clean.xlsx").read_bytes()
    assert (tmp_path / "filled.xlsx").read_bytes() == expected == (tmp_path / "again.xlsx").read_bytes()


def test_a_changed_document_is_rendered_again_and_its_old_sheet_dropped(documents: Documents,
                                                                         tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(tmp_path / "first.xlsx", documents, cache)
    before = {p.name for p in cache.glob(f"*{CACHE_SUFFIX}")}
    (doc, rows), *rest = documents
    edited = [{**r, "task_title": r["task_title"] + "（修订）"} for r in rows]
    changed = write(tmp_path / "changed.xlsx", [(doc, edited), *rest], cache)
    assert changed.cache_hits == len(documents) - 1
    after = {p.name for p in cache.glob(f"*{CACHE_SUFFIX}")}
    assert len(after) == len(documents) and len(before - after) == 1  # the old sheet is gone
    sheet = openpyxl.load_workbook(tmp_path / "changed.xlsx").worksheets[1]
    assert all(str(row[1]).endswith("（修订）") for row in sheet.iter_rows(min_row=2, values_only=True))
    # the same as a clean build of the edited rows
    write(tmp_path / "clean.xlsx", [(doc, edited), *rest])
    assert (tmp_path / "changed.xlsx").read_bytes() == (tmp_path / "clean.xlsx").read_bytes()


def test_sheets_are_taken_from_an_earlier_builds_cache(documents: Documents, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write(tmp_path / "old.xlsx", documents, old)
    taken = write(tmp_path / "new.xlsx", documents[1:], new, reuse_dir=old)
    assert taken.cache_hits == len(documents) - 1
    assert len(list(new.glob(f"*{CACHE_SUFFIX}"))) == len(documents) - 1  # a document gone drops out
    assert len(list(old.glob(f"*{CACHE_SUFFIX}"))) == len(documents)  # the earlier build's cache is untouched
    write(tmp_path / "clean.xlsx", documents[1:])
    assert (tmp_path / "new.xlsx").read_bytes() == (tmp_path / "clean.xlsx").read_bytes()


def test_a_damaged_cached_sheet_is_rendered_again(documents: Documents, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(tmp_path / "first.xlsx", documents, cache)
    for i, part in enumerate(sorted(cache.glob(f"*{CACHE_SUFFIX}"))):
        data = part.read_bytes()
        part.write_bytes(data[: len(data) // 2] if i % 2 else data[:3])  # cut short
    again = write(tmp_path / "again.xlsx", documents, cache)
    assert again.cache_hits == 0
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "first.xlsx").read_bytes()
