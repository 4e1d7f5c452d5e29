"""The streaming build (policykg.graph.fragments): a build writes, document by document and without
the graph of the whole corpus, the graph `build_graph` builds of the same documents — the same
nodes in the same order with the same attributes, the same edges — and the same tables; and a
rebuild in which a new edition makes a cached plan an older edition (its `current` changes)
writes what a clean build writes."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import networkx as nx
import pytest
from policykg.graph.build import build_graph
from policykg.graph.export import read_graph, write_outputs

from policykg import api

DATA = Path(__file__).resolve().parents[1] / "data"
OLDER, NEWER = "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt", "qingyuan_innovation_action_plan_2020-2022_draft.txt"


def nodes_and_edges(g: nx.MultiDiGraph) -> tuple[list[object], list[object]]:
    """Every node with its attributes (in order) and every edge in adjacency order."""
    return ([(n, list(d.items())) for n, d in g.nodes(data=True)],
            [(u, v, k, list(d.items())) for u, v, k, d in g.edges(keys=True, data=True)])


def stream_and_whole(data: Path, root: Path) -> tuple[Path, Path]:
    """OUT of a build of `data`, and the files build_graph + write_outputs write of the same documents."""
    out = root / "out"
    api.build(data, out, views=False, workers=1)
    docs = api.extract_documents(api.input_files(data), data)
    in_memory = root / "in-memory"
    in_memory.mkdir()
    write_outputs(build_graph(docs), docs, in_memory)
    return out, in_memory


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return stream_and_whole(DATA, tmp_path_factory.mktemp("stream"))


def test_the_streamed_graph_is_the_graph_build_graph_builds(built: tuple[Path, Path]) -> None:
    out, in_memory = built
    streamed, whole = read_graph(out), read_graph(in_memory)
    assert whole.number_of_nodes() > 500 and whole.number_of_edges() > 1000
    assert nodes_and_edges(streamed) == nodes_and_edges(whole)
    # a plan with two editions: the older is not current, and neither are its tasks
    current = {d["file"]: d["current"] for _, d in streamed.nodes(data=True) if d["label"] == "Document"}
    assert current[OLDER] is False and current[NEWER] is True
    older = next(n for n, d in streamed.nodes(data=True) if d.get("file") == OLDER)
    older_tasks = [d for _, d in streamed.nodes(data=True) if d["label"] == "Task" and d["docId"] == older]
    assert older_tasks and not any(t["current"] for t in older_tasks)


def test_graphml_and_tables_are_those_of_the_whole_graph(built: tuple[Path, Path]) -> None:
    assert_same_graphml_and_tables(*built)


def test_characters_xml_cannot_carry_are_cleaned_as_the_whole_graph_writer_cleans_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    text = (DATA / NEWER).read_text(encoding="utf-8")
    assert "市科技局" in text
    (data / NEWER).write_text(text.replace("市科技局", "市科\x0b技局", 3).replace("。", "\x0f。", 2), encoding="utf-8")
    out, in_memory = stream_and_whole(data, tmp_path)
    graphml = (out / "graph.graphml").read_text(encoding="utf-8")
    assert "\x0b" not in graphml and "\x0f" not in graphml and "市科\n技局" in graphml
    assert any("\x0b" in d.get("quote", "") for *_, d in read_graph(out).edges(data=True))  # graph.json: as written
    assert_same_graphml_and_tables(out, in_memory)


def assert_same_graphml_and_tables(out: Path, in_memory: Path) -> None:
    a = nx.read_graphml(out / "graph.graphml", force_multigraph=True)
    b = nx.read_graphml(in_memory / "graph.graphml", force_multigraph=True)  # write_graphml of the whole graph
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=repr) == sorted(b.edges(keys=True, data=True), key=repr)
    for name in ("responsibilities.csv", "resolution.csv", "targets.csv", "entities.csv"):
        assert (out / name).read_bytes() == (in_memory / name).read_bytes(), name
    with (out / "responsibilities.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) > 100


def test_a_new_edition_turns_a_cached_plan_old_as_a_clean_build_does(tmp_path: Path) -> None:
    from test_build_cache import assert_same_as_clean

    data = tmp_path / "data"
    data.mkdir()
    for name in (OLDER, "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt"):
        shutil.copy2(DATA / name, data / name)
    out = tmp_path / "out"
    api.build(data, out, views=False, workers=1)
    assert all(d["current"] for _, d in read_graph(out).nodes(data=True) if d["label"] in ("Document", "Task"))
    shutil.copy2(DATA / NEWER, data / NEWER)
    again = api.build(data, out, views=False, workers=1)
    assert again.cached == 2
    g = read_graph(out)
    older = next(n for n, d in g.nodes(data=True) if d.get("file") == OLDER)
    assert g.nodes[older]["current"] is False
    assert not any(d["current"] for _, d in g.nodes(data=True) if d["label"] == "Task" and d["docId"] == older)
    assert_same_as_clean(data, out, tmp_path)
