"""Each document's part of the views (visualize/document_parts.py), made by the build's extraction
workers and kept in the build cache: a build that draws from the parts writes the bytes the
views write from graph.json alone, whether the parts are there, missing (a cache left by a build
without views), of other code, or do not fit the graph's lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from policykg.visualize import write_views_from_out
from policykg.visualize.document_parts import VIEWS_PART, document_part, encoded_part, part_version

from policykg import api

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import make_corpus  # noqa: E402

CACHE = Path(api.CACHE_DIR)
DATA = ROOT / "data"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plans enough for the build's worker processes (it extracts fewer in its own process)."""
    out = tmp_path_factory.mktemp("corpus")
    make_corpus.make_corpus(24, out, seed=3)
    return out / "docs"


@pytest.fixture(scope="module")
def from_graph_json(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The views of a build of the corpus as `policykg views` writes them from graph.json alone."""
    out = tmp_path_factory.mktemp("reference") / "out"
    api.build(corpus, out, views=False, progress=False)
    write_views_from_out(out, out / "views")
    return files_of(out / "views")


def parts_of(out: Path) -> list[Path]:
    return sorted((out / CACHE).glob(f"*{VIEWS_PART}"))


def test_a_build_draws_from_the_workers_parts_the_bytes_of_graph_json(
        corpus: Path, from_graph_json: dict[str, bytes], tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = api.build(corpus, out, progress=False)
    parts = parts_of(out)
    assert len(parts) == report.documents == 24
    assert all(p.read_bytes().split(b"\n")[0] == part_version() for p in parts)
    assert files_of(out / "views") == from_graph_json
    # a rebuild takes every document and its part from the cache
    report = api.build(corpus, out, progress=False)
    assert report.cached == 24 and len(parts_of(out)) == 24
    assert files_of(out / "views") == from_graph_json


def test_a_build_without_views_makes_no_parts_and_the_views_make_them_later(
        corpus: Path, from_graph_json: dict[str, bytes], tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(corpus, out, views=False, progress=False)
    assert parts_of(out) == []
    api.build(corpus, out, progress=False)  # every document from the cache, no part: the views make them
    assert files_of(out / "views") == from_graph_json
    assert len(parts_of(out)) == 24  # kept for the next build
    api.build(corpus, out, progress=False)
    assert files_of(out / "views") == from_graph_json


def test_parts_of_other_code_or_that_do_not_fit_are_not_used(
        corpus: Path, from_graph_json: dict[str, bytes], tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(corpus, out, progress=False)
    parts = parts_of(out)
    # one part of another version of the code; in another, task records named after other nodes
    # (as many as its document's own nodes: the lines they stand for are read instead); in a
    # third, the task records of a fourth document (not as many)
    _version, edges, tasks = parts[0].read_bytes().split(b"\n")
    parts[0].write_bytes(b"0123456789abcdef\n" + edges + b"\n" + tasks)
    version, edges, tasks = parts[1].read_bytes().split(b"\n")
    records = orjson.loads(tasks)
    renamed = [[record[0] + "-other", *record[1:]] if record else record for record in records]
    assert any(renamed)
    parts[1].write_bytes(version + b"\n" + edges + b"\n" + orjson.dumps(renamed))
    version, edges, tasks = parts[2].read_bytes().split(b"\n")
    fourth = parts[3].read_bytes().split(b"\n")[2]
    assert len(orjson.loads(fourth)) != len(orjson.loads(tasks))
    parts[2].write_bytes(version + b"\n" + edges + b"\n" + fourth)
    api.build(corpus, out, progress=False)
    assert files_of(out / "views") == from_graph_json
    assert parts_of(out)[0].read_bytes().split(b"\n")[0] == part_version()  # made again


def _encoded(path: Path) -> tuple[list[int], bytes, list[Any]]:
    """A document's sections, fragment and the values its part is made of (graph/record.py's `views`)."""
    from policykg.extract.pipeline import process_file

    views: list[Any] = []
    values, _summary, fragment, plain = api._document_record(process_file(path), None, views)
    assert plain and len(views) == 3
    return values["sections"], fragment, views


def test_the_workers_part_from_the_encoded_values_is_the_part_of_the_fragments_lines(corpus: Path) -> None:
    """The extraction worker makes a document's part from the values its lines were encoded from
    (encoded_part), not from the lines parsed back: the same bytes, for the sample plans and the
    corpus's (every kind of edge: PART_OF, LEADS, PARTICIPATES_IN, MENTIONS, TARGETS)."""
    files = [p for p in sorted(DATA.iterdir()) if p.suffix == ".txt"] + sorted(corpus.glob("*.txt"))[:12]
    types: set[str] = set()
    for path in files:
        sections, fragment, views = _encoded(path)
        lines = memoryview(fragment)
        assert encoded_part(*views) == document_part(lines[:sections[0]], lines[sections[0]:sum(sections[:2])]), path
        types.update(edge["type"] for edge in views[1])
    assert types == {"PART_OF", "LEADS", "PARTICIPATES_IN", "MENTIONS", "TARGETS"}


def test_encoded_values_that_differ_from_their_lines_are_not_used(corpus: Path) -> None:
    """The first edge of each type and the last are checked against their lines: where one
    differs in a field the views read, encoded_part makes no part (the worker then parses the lines)."""
    _sections, _fragment, views = _encoded(next(p for p in sorted(DATA.iterdir()) if p.suffix == ".txt"))
    nodes, edges, lines = views
    assert encoded_part(nodes, edges, lines) is not None
    for at in (0, len(edges) - 1, next(i for i, edge in enumerate(edges) if edge["type"] == "TARGETS")):
        for field, value in (("written", "其他"), ("quote", None), ("key", "TARGETS:0")):
            changed = [dict(edge) for edge in edges]
            changed[at][field] = value
            assert encoded_part(nodes, changed, lines) is None, (at, field)
    assert encoded_part(nodes, edges[:-1], lines) is None  # not one value per line
