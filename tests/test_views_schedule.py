"""How the views are scheduled beside the build's writers: started while graph.json is still
being written (its nodes there, its edges to come), the layouts and the index page made by a
forked process of their own. Each way writes the bytes one process writes from the complete
file."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from policykg.graph.export import write_graph_json
from policykg.graph.forked import Forked
from policykg.visualize import views as views_module
from policykg.visualize import write_views_from_out
from policykg.visualize.synthetic import synthetic_graph_of_size

from policykg import api

DATA = Path(__file__).resolve().parent.parent / "data"
EDGES_START = b'],"edges":[\n'


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """graph.json of a synthetic corpus above LAYOUT_FORK_NODES nodes."""
    graph = synthetic_graph_of_size(2 * views_module.LAYOUT_FORK_NODES, seed=5)
    assert graph.number_of_nodes() >= views_module.LAYOUT_FORK_NODES
    out = tmp_path_factory.mktemp("views_schedule") / "out"
    out.mkdir()
    write_graph_json(graph, out / "graph.json")
    return out


def test_layouts_made_in_a_forked_process_are_the_bytes_of_one_process(
        synthetic_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for options in ({}, {"max_nodes": 2000}):  # drawn whole, and aggregated
        forked = write_views_from_out(synthetic_out, tmp_path / "forked", **options)
        with monkeypatch.context() as patch:
            patch.setattr(views_module, "LAYOUT_FORK_NODES", 1 << 40)  # no graph is that large: one process
            alone = write_views_from_out(synthetic_out, tmp_path / "alone", **options)
        assert [p.name for p in forked] == [p.name for p in alone] and forked[0].name == "index.html"
        assert files_of(tmp_path / "forked") == files_of(tmp_path / "alone"), options


def test_views_started_before_the_edges_are_written_read_them_once_the_file_is_complete(
        synthetic_out: Path, tmp_path: Path) -> None:
    """As the build does: a forked process draws (it holds the pipe's read end only) while this
    one appends the edges, then closes the pipe."""
    whole = (synthetic_out / "graph.json").read_bytes()
    assert whole.startswith(b'{"directed"') and whole.count(EDGES_START) == 1
    cut = whole.index(EDGES_START) + len(EDGES_START)
    growing = tmp_path / "out"
    growing.mkdir()
    with open(growing / "graph.json", "wb") as fh:
        fh.write(whole[:cut])  # the nodes, as CorpusWriter.close has them when it calls nodes_written
    read, write = os.pipe()

    def draw() -> int:
        os.close(write)
        return len(write_views_from_out(growing, tmp_path / "early", complete=lambda: api._wait_for_data(read)))
    drawing = Forked.start(draw, inline=False)
    os.close(read)
    try:
        with open(growing / "graph.json", "ab") as fh:  # the edges, while the views read the nodes
            fh.write(whole[cut:])
    finally:
        os.close(write)  # graph.json is complete
    written = drawing.result()
    write_views_from_out(synthetic_out, tmp_path / "after")
    assert written == len(files_of(tmp_path / "after"))
    assert files_of(tmp_path / "early") == files_of(tmp_path / "after")


def test_a_build_writes_the_views_that_its_graph_json_gives(tmp_path: Path) -> None:
    """The build starts the views while it writes graph.json's edges; they are the views that
    `policykg views` writes from the finished OUT."""
    out = tmp_path / "out"
    api.build(DATA, out, workers=1)
    again = write_views_from_out(out, tmp_path / "again")
    assert len(again) > 5
    assert files_of(out / "views") == files_of(tmp_path / "again")


def test_views_of_a_process_that_exits_after_them_are_the_same_bytes(synthetic_out: Path, tmp_path: Path) -> None:
    """exiting=True (the build's views process): nothing freed, the cycle collector left paused
    for the exit; the same files."""
    def draw() -> tuple[int, bool]:
        gc.enable()
        written = write_views_from_out(synthetic_out, tmp_path / "exiting", exiting=True)
        return len(written), gc.isenabled()
    written, collecting = Forked.start(draw, inline=False).result()
    assert not collecting
    write_views_from_out(synthetic_out, tmp_path / "usual")
    assert gc.isenabled()
    assert written == len(files_of(tmp_path / "usual"))
    assert files_of(tmp_path / "exiting") == files_of(tmp_path / "usual")


def test_every_process_waiting_for_the_writers_byte_sees_it() -> None:
    """The build's writers say "graph.json is complete" by one byte down a pipe that the views'
    two processes (and the writers' own forked processes, which hold its write end) share: each
    waiter sees it without reading it; the edge count before it is read once."""
    read, write = os.pipe()

    def wait() -> bool:
        os.close(write)
        api._wait_for_data(read)
        return True
    try:
        holder = Forked.start(lambda: api._wait_for_data(read), inline=False)  # a writer's process: holds `write`
        os.write(write, (1234).to_bytes(8, "little"))  # graph.json's nodes are written: its count of edges
        assert int.from_bytes(api._message(read, 8), "little") == 1234
        waiting = [Forked.start(wait, inline=False) for _ in range(2)]
        os.write(write, b"1")  # graph.json is complete
        assert [job.result() for job in waiting] == [True, True]
        holder.result()
    finally:
        os.close(read)
        os.close(write)


def test_the_end_of_a_list_of_graph_json_is_found_at_the_start_of_a_line_only() -> None:
    """_list_end: the first line that starts with "]" (the nodes' and edges' lines hold lists,
    whose "]" are never at a line's start), as a scan of every "]" finds it."""
    def every_bracket(block: bytes) -> int:
        return next((at for at, byte in enumerate(block) if byte == 93 and (at == 0 or block[at - 1] == 10)), -1)
    node = b'{"id":"a","label":"Task","labels":["Task"],"docs":["x","y"]},\n'
    blocks = [b"", b"]", b'],"edges":[\n', node, node * 3, node * 2 + b'],"edges":[\n' + node,
              b'{"id":"]","x":[1]},\n]}\n', node + b"]" + node, b"[]\n" * 4 + b"]\n"]
    for block in blocks:
        assert views_module._list_end(block) == every_bracket(block), block
