"""The embedded load's GRAPH.BULK commands (graph/falkor_bulk.py) hold exactly what the CREATE
statements they replaced held, on a real FalkorDB server: the same nodes with the same internal
ids and labels, every property in the same order with the same type and value (texts empty or
not, Unicode of every plane, lists, integers, doubles, booleans, absent values), the same
relationships between the same ends, the same indexes and counters."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_db import build_sample, db_snapshot, fresh_copy, scratch_server
from policykg.graph.bulk_file import (
    _NODE_HEAD,
    EdgeCommands,
    EdgeJob,
    NotPlain,
    PlainGraph,
    _head_numbers,
    _layout,
    _node_numbers,
    _node_texts,
    read_plain,
)
from policykg.graph.cypher_load import LoadError, prepare_file
from policykg.graph.embedded import EmbeddedServer, FalkorEngine, bulk_create_graph, create_graph_by_statements
from policykg.graph.export import write_graph_elements
from policykg.graph.falkor_bulk import BulkWriter, slot_encoder
from policykg.graph.forked import Forked

SHA = "cd" * 32
DOC = "doc:" + SHA[:16]
TEXTS = ["", " ", " 前后空格 ", "（牵头单位：市科技局）\x0b第二行", 'q"x', "back\\slash", "\b\r\t\n\x0c", "\x01\x1f\x7f",
         "\u2028\u2029", "emoji😀 𠀀", "é", "[1, 2]", "true", "3", "null", '{"k":1}', "end\\"]


def _typed(value: Any) -> Any:
    """A value with its type, lists item by item (so 1, 1.0 and True never compare equal)."""
    if isinstance(value, list):
        return ["list", [_typed(item) for item in value]]
    if isinstance(value, float) and math.isnan(value):
        return ["float", "nan"]
    return [type(value).__name__, value]


def _contents(engine: FalkorEngine) -> tuple[list[Any], list[Any], list[str]]:
    """Every node and relationship by internal id: labels or type, ends, properties in the order
    the server holds them with their types; and the indexes."""
    nodes = [[nid, labels, [[key, _typed(value)] for key, value in props.items()]]
             for nid, labels, props in engine.graph.query(
                 "MATCH (n) RETURN ID(n), labels(n), properties(n) ORDER BY ID(n)").result_set]
    edges = [[rid, source, target, rel_type, [[key, _typed(value)] for key, value in props.items()]]
             for rid, source, target, rel_type, props in engine.graph.query(
                 "MATCH (a)-[r]->(b) RETURN ID(r), ID(a), ID(b), type(r), properties(r) ORDER BY ID(r)").result_set]
    indexes = sorted(str(row) for row in engine.read("CALL db.indexes()", {}))
    return nodes, edges, indexes


def _write_graph(out: Path, nodes: list[tuple[str, dict[str, Any]]], edges: list[tuple[str, str, str, dict[str, Any]]]
                 ) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "graph.json").open("w", encoding="utf-8") as handle:
        write_graph_elements(handle, {}, iter(nodes), iter(edges))
    return out


def _every_kind_of_value() -> tuple[list[Any], list[Any]]:
    """A document, tasks and units whose properties hold every kind of value graph.json can."""
    nodes: list[tuple[str, dict[str, Any]]] = [
        (DOC, {"label": "Document", "labels": ["Document"], "name": "规划", "file": "a.txt", "sha256": SHA,
               "docSha256": SHA, "current": True, "periodStart": 2021, "score": 0.1, "empty": ""})]
    for number, text in enumerate(TEXTS):
        nodes.append((f"task:{SHA[:16]}:{number}", {
            "label": "Task", "labels": ["Task"], "path": str(number), "quote": text, "docId": DOC, "docSha256": SHA,
            "start": number - 3, "end": 2**63 - 1 if number == 1 else -(2**63) if number == 2 else number,
            "weight": [0.1, -0.0, 1e300, 5e-324, 1.5][number % 5], "current": number % 2 == 0,
            # absent in some rows, None in others: neither is set
            **({"deadline": "2022-12-31"} if number % 3 == 0 else {"deadline": None} if number % 3 == 1 else {})}))
    nodes += [
        ("dept:1:科学技术局", {"label": "Department", "labels": ["Department", "Unit"], "name": "市科学技术局",
                          "kind": "Department", "aliases": ["市科技局", "", "😀"], "docs": [SHA],
                          "years": [2021, 2022], "mixed": [1, 2.5], "odd": [1, "a", None], "nested": {"a": [1]},
                          "none": [], "flags": [True, False]}),
        # the same label set with its names in another order, and with one missing
        ("dept:1:财政局", {"labels": ["Department", "Unit"], "label": "Department", "kind": "Department",
                        "name": "市财政局", "aliases": [], "docs": [SHA]}),
        ("dept:1:发展和改革局", {"label": "Department", "labels": ["Department", "Unit"], "name": "市发展改革委",
                           "aliases": ["发改委"], "docs": [SHA]}),
    ]
    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for number, text in enumerate(TEXTS):
        task = f"task:{SHA[:16]}:{number}"
        edges.append((task, DOC, "PART_OF:0", {"type": "PART_OF", "docSha256": SHA}))
        edges.append(("dept:1:科学技术局", task, f"LEADS:{number}", {
            "type": "LEADS", "written": text, "docSha256": SHA, "start": number, "flagged": number % 2 == 1,
            "share": number / 7, "rule": None if number % 2 else "labelled"}))
        if number % 4 == 0:
            edges.append(("dept:1:财政局", task, "PARTICIPATES_IN:0", {"written": "市财政局", "type": "PARTICIPATES_IN",
                                                                      "docSha256": SHA}))
    return nodes, edges


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    yield from scratch_server(tmp_path)


def _both_ways(server: EmbeddedServer, out: Path, batch_size: int) -> None:
    prepared = prepare_file(out)
    bulk, statements = server.engine("by_bulk"), server.engine("by_statements")
    commands, bulk_counters = bulk_create_graph(bulk, prepared, batch_size)
    _batches, statement_counters = create_graph_by_statements(statements, prepared, batch_size)
    assert bulk_counters == statement_counters
    assert bulk_counters.nodes_created == prepared.node_count
    assert bulk_counters.relationships_created == prepared.edge_count
    entities = prepared.node_count + prepared.edge_count
    assert commands - 1 >= -(-entities // batch_size)  # one command per batch_size entities at least
    assert _contents(bulk) == _contents(statements)


@pytest.mark.parametrize("batch_size", [10_000, 4])
def test_bulk_load_holds_what_create_statements_held_for_every_kind_of_value(
        server: EmbeddedServer, tmp_path: Path, batch_size: int) -> None:
    out = _write_graph(tmp_path / "out", *_every_kind_of_value())
    _both_ways(server, out, batch_size)
    # and what was held is what graph.json says, "" and lists included
    rows = server.engine("by_bulk").read("MATCH (t:Task) RETURN t.path AS path, t.quote AS quote", {})
    assert {int(row["path"]): row["quote"] for row in rows} == dict(enumerate(TEXTS))
    [unit] = server.engine("by_bulk").read("MATCH (u:Unit {id: 'dept:1:科学技术局'}) RETURN properties(u) AS p", {})
    assert unit["p"]["aliases"] == ["市科技局", "", "😀"] and unit["p"]["none"] == []
    assert unit["p"]["years"] == [2021, 2022] and unit["p"]["flags"] == [True, False]


def test_bulk_load_of_the_sample_build_equals_create_statements(
        server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    _both_ways(server, build_sample(tmp_path_factory), 500)


@pytest.mark.parametrize(("value", "problem"), [("前\x00后", "NUL"), (2**63, "beyond 64 bits")])
def test_a_value_falkordb_cannot_store_is_one_clear_error_and_keeps_the_graph(
        tmp_path: Path, value: Any, problem: str) -> None:
    nodes, edges = _every_kind_of_value()
    target = _write_graph(tmp_path / "out", nodes, edges)
    with EmbeddedServer(target) as running:
        assert running.sync() is not None
        before = db_snapshot(running.engine())
        nodes[1][1]["quote"] = value
        _write_graph(target, nodes, edges)
        with pytest.raises(LoadError, match=f"graph.json: node Task: .*{problem}.*cannot store; the graph loaded before is kept"):
            running.sync()
        assert db_snapshot(running.engine()) == before
        assert "policykg_staging" not in running.graph_names()


def test_a_sample_build_loads_by_bulk_exactly(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """sync() of a real build: the live graph holds what the statements would have written."""
    out = build_sample(tmp_path_factory)
    with EmbeddedServer(fresh_copy(out, tmp_path)) as running:
        summary = running.sync()
        assert summary is not None and summary.counters.nodes_created > 0
        live = _contents(running.engine())
        reference = running.engine("by_statements")
        create_graph_by_statements(reference, prepare_file(out), 1000)
        assert live == _contents(reference)


def test_a_forced_reload_finds_every_document_unchanged_and_one_edit_replaced(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The document digests of the embedded load (each relationship's graph.json text, each
    Document and Task row) are the same for the same graph.json and differ for an edited one."""
    out = build_sample(tmp_path_factory)
    target = fresh_copy(out, tmp_path)
    with EmbeddedServer(target) as running:
        first = running.sync()
        again = running.sync(force=True)
        assert first is not None and again is not None
        assert len(again.documents_unchanged) == len(first.documents_new) == 5
        lines = (target / "graph.json").read_text(encoding="utf-8").splitlines(keepends=True)
        edge = next(i for i, line in enumerate(lines) if line.startswith('{"type":"LEADS"'))
        lines[edge] = lines[edge].replace('"type":"LEADS"', '"type":"LEADS","note":"edited"', 1)
        (target / "graph.json").write_text("".join(lines), encoding="utf-8")
        edited = running.sync()
        assert edited is not None and len(edited.documents_replaced) == 1 and len(edited.documents_unchanged) == 4


def _plain_graph() -> tuple[list[Any], list[Any]]:
    """The graph of every kind of value with its edges as the build writes them (type first),
    so that the one-pass reader (graph/bulk_file.py) takes it: absent and null values in one
    group, and a group whose rows name their properties in two orders."""
    nodes, edges = _every_kind_of_value()
    plain = []
    for source, target, key, data in edges:
        data = {"type": data["type"], **{name: value for name, value in data.items() if name != "type"}}
        if data["type"] == "LEADS" and int(key.split(":")[1]) % 3 == 2:  # start before written
            data = {"type": "LEADS", "start": data.pop("start"), **{k: v for k, v in data.items() if k != "type"}}
        plain.append((source, target, key, data))
    return nodes, plain


@pytest.mark.parametrize("batch_size", [10_000, 4])
def test_the_one_pass_reader_holds_what_the_general_path_held(
        server: EmbeddedServer, tmp_path: Path, batch_size: int) -> None:
    out = _write_graph(tmp_path / "out", *_plain_graph())
    plain = read_plain(out / "graph.json")  # taken: no NotPlain
    general = prepare_file(out)
    assert plain.prepared.node_groups == general.node_groups and plain.prepared.documents == general.documents
    assert (plain.prepared.labels, plain.prepared.node_count, plain.prepared.edge_count) == (
        general.labels, general.node_count, general.edge_count)
    one_pass, reference = server.engine("one_pass"), server.engine("general")
    commands, counters = bulk_create_graph(one_pass, plain.prepared, batch_size, plain=plain)
    general_commands, general_counters = bulk_create_graph(reference, general, batch_size)
    assert (commands, counters) == (general_commands, general_counters)
    assert counters.relationships_created == len(_plain_graph()[1])
    assert _contents(one_pass) == _contents(reference)


@pytest.mark.parametrize("batch_size", [10_000, 4])
def test_the_edge_commands_made_by_a_forked_process_hold_what_the_one_pass_reader_held(
        server: EmbeddedServer, tmp_path: Path, batch_size: int) -> None:
    out = _write_graph(tmp_path / "out", *_plain_graph())
    in_process = read_plain(out / "graph.json")
    folder = tmp_path / "commands"
    folder.mkdir()
    forked = read_plain(out / "graph.json", EdgeCommands("forked", batch_size, folder))
    assert forked.edge_job is not None and not forked.edge_groups
    assert forked.prepared == in_process.prepared
    one_pass, by_fork = server.engine("one_pass"), server.engine("forked")
    try:
        _commands, counters = bulk_create_graph(by_fork, forked.prepared, batch_size, plain=forked)
    finally:
        forked.edge_job.close()
    assert counters == bulk_create_graph(one_pass, in_process.prepared, batch_size, plain=in_process)[1]
    assert _contents(by_fork) == _contents(one_pass)
    assert not [*folder.iterdir()]  # the commands' file is gone


def test_the_forked_process_numbers_the_build_s_node_lines_from_their_heads_and_is_reaped_unwaited(
        server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The edges' process starts before the nodes are parsed and numbers them from each line's
    id and labels (every line of a build writes them first): the same rows and the same graph
    as the one-pass reader in one process; its last word comes on its pipe, and its exit is
    waited for on a thread of its own (no zombie left)."""
    out = build_sample(tmp_path_factory)
    data = (out / "graph.json").read_bytes()
    nodes_end = data.index(b'\n],"edges":[\n')
    assert len(_NODE_HEAD.findall(data, 0, nodes_end)) == data.count(b"\n", 0, nodes_end) > 0  # every head found
    in_process = read_plain(out / "graph.json")
    folder = tmp_path / "commands"
    folder.mkdir()
    forked = read_plain(out / "graph.json", EdgeCommands("forked", 500, folder))
    assert forked.prepared == in_process.prepared
    by_fork, one_pass = server.engine("forked"), server.engine("one_pass")
    assert forked.edge_job is not None
    try:
        counters = bulk_create_graph(by_fork, forked.prepared, 500, plain=forked)[1]
        assert forked.edge_job.finished
        pid = forked.edge_job.job.pid
    finally:
        forked.edge_job.close()
    assert counters == bulk_create_graph(one_pass, in_process.prepared, 500, plain=in_process)[1]
    assert _contents(by_fork) == _contents(one_pass)
    for thread in threading.enumerate():
        if thread.name == "policykg-reap":
            thread.join()
    assert pid is not None
    with pytest.raises(ChildProcessError):  # reaped already
        os.waitpid(pid, os.WNOHANG)
    assert not [*folder.iterdir()]


def test_node_lines_that_do_not_start_with_id_and_labels_are_numbered_by_their_parse(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The forked process's numbering of the nodes (_head_numbers: each line's id and labels
    at its start, a line that writes them otherwise parsed whole) is the parsed lines'
    numbering, whichever lines start otherwise."""
    data = (build_sample(tmp_path_factory) / "graph.json").read_bytes()

    def by_parse(data: bytes) -> dict[str, tuple[str, int]]:
        head_end, nodes_end, _start, _end = _layout(data)
        nodes = [json.loads(text) for text in _node_texts(data, head_end, nodes_end)]
        return _node_numbers([(node.get("id"), node.get("label"), node.get("labels")) for node in nodes])

    nodes_end = data.index(b'\n],"edges":[\n')
    lines = data[:nodes_end].split(b"\n")
    for every in (1, 3):  # the label before the id on every line, on every third
        changed = [*lines]
        for number in range(1, len(lines), every):
            changed[number] = re.sub(rb'^\{"id":("[^"]*"),("label":"[^"]*"),', rb'{\2,"id":\1,', lines[number])
        assert changed != lines
        other = b"\n".join(changed) + data[nodes_end:]
        head_end, end, _start, _end = _layout(other)
        assert _head_numbers(other, head_end, end) == by_parse(other) == by_parse(data)
    head_end, end, _start, _end = _layout(data)
    assert _head_numbers(data, head_end, end) == by_parse(data)


def test_a_node_line_whose_parse_says_other_labels_than_its_head_leaves_the_forked_reader(
        server: EmbeddedServer, tmp_path: Path) -> None:
    """A node line whose labels come twice (its parse keeps the last, its head says the first):
    the forked process's numbering differs from the parse's, so the forked reader is NotPlain
    and what loads is what the general path reads (in one process the parse alone numbers)."""
    nodes, edges = _plain_graph()
    # each line's id and labels first, as the build writes them
    nodes = [(node_id, {"id": node_id, "label": data["label"], "labels": data["labels"], **data})
             for node_id, data in nodes]
    out = _write_graph(tmp_path / "out", nodes, edges)
    data = (out / "graph.json").read_bytes()
    line = data.index('{"id":"dept:1:发展和改革局"'.encode())
    end = data.index(b"}", data.index(b'"docs":[', line))
    (out / "graph.json").write_bytes(data[:end] + b',"labels":["Department"]' + data[end:])
    general = prepare_file(out)
    assert ("Department", ()) in general.node_groups
    plain = read_plain(out / "graph.json")
    assert plain.prepared.node_groups == general.node_groups
    folder = tmp_path / "commands"
    folder.mkdir()
    with pytest.raises(NotPlain, match="id and labels"):
        read_plain(out / "graph.json", EdgeCommands("forked", 10_000, folder))
    assert not [*folder.iterdir()]
    with EmbeddedServer(out) as running:
        assert running.sync() is not None
        reference = server.engine("general")
        bulk_create_graph(reference, general, 10_000)
        assert _contents(running.engine()) == _contents(reference)


def test_a_forked_edge_process_that_dies_leaves_the_graph_to_the_general_path(
        server: EmbeddedServer, tmp_path: Path) -> None:
    out = _write_graph(tmp_path / "out", *_plain_graph())
    plain = read_plain(out / "graph.json")
    # the edges' process dies before it says anything (as when killed): a real forked process
    told, telling = os.pipe()
    dying = EdgeJob(Forked.start(lambda: os._exit(3)), tempfile.TemporaryFile(), told)  # noqa: SIM115
    os.close(telling)
    try:
        with pytest.raises(NotPlain, match="ended without its counts"):
            dying.message()
        with pytest.raises(NotPlain, match="the process encoding the relationships failed"):
            bulk_create_graph(server.engine("forked"), plain.prepared, 10_000,
                              plain=PlainGraph(plain.prepared, {}, dying))
    finally:
        dying.close()


def test_the_sample_build_is_read_in_one_pass_as_the_general_path_reads_it(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    out = build_sample(tmp_path_factory)
    plain, general = read_plain(out / "graph.json"), prepare_file(out)
    assert plain.prepared.node_groups == general.node_groups and plain.prepared.documents == general.documents
    rows = {key: [(row["source"], row["target"], row["props"]) for row in group]
            for key, group in general.edge_groups.items()}
    assert {key: [(*shape.ends(values), dict(zip(shape.names, shape.props(values))))
                  for shape, values, _ends in group] for key, group in plain.edge_groups.items()} == rows


@pytest.mark.parametrize("layout", ["whole", "crlf", "blank line"])
def test_a_graph_json_in_another_layout_is_left_to_the_general_path_and_loads_the_same(
        tmp_path: Path, layout: str) -> None:
    out = _write_graph(tmp_path / "plain", *_plain_graph())
    text = (out / "graph.json").read_text(encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    changed = {"whole": json.dumps(json.loads(text), ensure_ascii=False), "crlf": text.replace("\n", "\r\n"),
               "blank line": text.replace(',\n{"type"', ',\n\n{"type"', 1)}[layout]
    (other / "graph.json").write_text(changed, encoding="utf-8", newline="")
    with pytest.raises(NotPlain):
        read_plain(other / "graph.json")
    with EmbeddedServer(out) as first, EmbeddedServer(other) as second:
        assert first.sync() is not None and second.sync() is not None
        # the same graph (the digests hash each edge's text, which another layout writes otherwise)
        without_digest = [[[key, value] for key, value in props if key != "loadDigest"]
                          for _nid, _labels, props in _contents(first.engine())[0]]
        assert [[[key, value] for key, value in props if key != "loadDigest"]
                for _nid, _labels, props in _contents(second.engine())[0]] == without_digest
        assert _contents(first.engine())[1:] == _contents(second.engine())[1:]


def test_an_edge_value_falkordb_cannot_store_is_the_general_paths_error_and_keeps_the_graph(tmp_path: Path) -> None:
    nodes, edges = _plain_graph()
    target = _write_graph(tmp_path / "out", nodes, edges)
    with EmbeddedServer(target) as running:
        assert running.sync() is not None
        before = db_snapshot(running.engine())
        edges[1][3]["written"] = "前\x00后"
        _write_graph(target, nodes, edges)
        read_plain(target / "graph.json")  # read in one pass; the NUL is found as the edges are encoded
        with pytest.raises(LoadError, match=r"graph\.json: relationship LEADS: a text holding NUL, which the "
                                            r"embedded engine .* cannot store; the graph loaded before is kept"):
            running.sync()
        assert db_snapshot(running.engine()) == before
        assert "policykg_staging" not in running.graph_names()


@pytest.mark.parametrize(("max_entities", "max_bytes"), [(10_000, 1 << 20), (3, 1 << 20), (10_000, 200), (7, 90), (1, 1)])
def test_encoded_relationships_are_cut_into_the_commands_rows_are_cut_into(max_entities: int, max_bytes: int) -> None:
    """BulkWriter.add_encoded_relationships (the one-pass reader's) sends the commands that
    _add sends for the same relationships (the general path's): cut after the same entity,
    by count or by bytes, with nodes pending in the same command."""
    _nodes, edges = _every_kind_of_value()
    relationships = [(number % 5, (number * 7) % 11, {"written": text, "start": number, "end": number + len(text),
                                                      "flagged": number % 2 == 0, "share": number / 3, "key": f"K:{number}"})
                     for number, (_source, _target, _key, data) in enumerate(edges * 3) for text in [data.get("written", "")]]
    sent: dict[str, list[Any]] = {"rows": [], "encoded": []}
    for way, commands in sent.items():
        writer = BulkWriter("g", commands.append, max_entities, max_bytes=max_bytes)
        writer.add_nodes(("Unit",), [(("id",), [f"u{number}"]) for number in range(4)])
        for half in (relationships[:len(relationships) // 2], relationships[len(relationships) // 2:]):
            if way == "rows":
                writer.add_relationships("LEADS", half)
            else:
                keys = tuple(half[0][2])
                encode = slot_encoder(tuple((place, type(value)) for place, value in enumerate(half[0][2].values())),
                                      True)
                writer.add_encoded_relationships(
                    "LEADS", keys, [encode(struct.pack("=QQ", source, target), [*props.values()])
                                    for source, target, props in half], len(half) * len(keys))
        writer.flush()
        commands.append((writer.relationships, writer.properties, writer.commands))
    assert sent["encoded"] == sent["rows"]
    assert len(sent["rows"]) > 2 or max_entities == 10_000


@pytest.mark.parametrize("damage", ["a tab inside a text", "a byte that is not UTF-8"])
def test_an_edge_line_json_refuses_is_the_general_paths_error_and_keeps_the_graph(tmp_path: Path, damage: str) -> None:
    nodes, edges = _plain_graph()
    out = _write_graph(tmp_path / "out", nodes, edges)
    with EmbeddedServer(out) as running:
        assert running.sync() is not None
        before = db_snapshot(running.engine())
        data = (out / "graph.json").read_bytes()
        at = data.rindex('"written":"市财政局"'.encode()) + len('"written":"市'.encode())
        (out / "graph.json").write_bytes(data[:at] + {"a tab inside a text": b"\t",
                                                      "a byte that is not UTF-8": b"\xff"}[damage] + data[at:])
        folder = tmp_path / "commands"
        folder.mkdir()
        with pytest.raises(NotPlain):
            read_plain(out / "graph.json")
        # the forked reader tells the digests' texts before it parses the lines: the line is
        # refused as the edges' commands are drawn
        forked = read_plain(out / "graph.json", EdgeCommands("forked", 10_000, folder))
        try:
            with pytest.raises(NotPlain):
                bulk_create_graph(running.engine("forked"), forked.prepared, 10_000, plain=forked)
        finally:
            assert forked.edge_job is not None
            forked.edge_job.close()
        running.engine("forked").graph.delete()  # what the node commands made
        assert not [*folder.iterdir()]
        with pytest.raises(LoadError, match=r"graph\.json: not a policykg graph file"):
            running.sync()
        assert db_snapshot(running.engine()) == before


def test_ids_written_with_escapes_load_as_the_general_path_loads_them(server: EmbeddedServer, tmp_path: Path) -> None:
    # an id holding a quote, a backslash or a tab: the counts the forked load finds in the text
    # unparsed cannot find the ends of a line whose ids hold a quote (the general path loads
    # that graph), those written with a backslash they unescape (a tab: no node id holds a
    # backslash, and the ends are looked up as written until one is not found)
    for name, unit in (("quote", 'dept:1:"引号"局'), ("backslash", "dept:1:反\\斜杠局"), ("tab", "dept:1:制表\t局")):
        nodes, edges = _plain_graph()
        nodes.append((unit, {"label": "Department", "labels": ["Department", "Unit"], "name": unit}))
        edges += [(unit, f"task:{SHA[:16]}:{number}", f"PARTICIPATES_IN:{number}",
                   {"type": "PARTICIPATES_IN", "written": unit, "docSha256": SHA}) for number in range(3)]
        out = _write_graph(tmp_path / name, nodes, edges)
        general = prepare_file(out)
        folder = tmp_path / f"commands-{name}"
        folder.mkdir()
        forked = read_plain(out / "graph.json", EdgeCommands("forked", 10_000, folder)) if name != "quote" else None
        for plain in (read_plain(out / "graph.json"), *([forked] if forked is not None else [])):
            assert plain.prepared.node_groups == general.node_groups and plain.prepared.documents == general.documents
        if forked is not None:
            assert forked.edge_job is not None
            forked.edge_job.close()
        else:
            with pytest.raises(NotPlain):
                read_plain(out / "graph.json", EdgeCommands("forked", 10_000, folder))
        with EmbeddedServer(out) as running:
            assert running.sync() is not None
            reference = server.engine(f"general_{name}")
            bulk_create_graph(reference, general, 10_000)
            assert _contents(running.engine()) == _contents(reference)


def test_a_doc_sha256_written_with_an_escape_loads_as_the_general_path_loads_it(
        server: EmbeddedServer, tmp_path: Path) -> None:
    # the forked load finds each edge's document by the text of its docSha256 before any parse
    # (for the digests) and checks it once parsed: a line that escapes it leaves the graph to
    # the general path, document digests included
    out = _write_graph(tmp_path / "out", *_plain_graph())
    data = (out / "graph.json").read_bytes()
    written = f'"docSha256":"{SHA}"'.encode()
    at = data.rindex(written)
    assert at > data.index(b'"edges":[')
    escaped = f'"docSha256":"\\u00{ord(SHA[0]):02x}{SHA[1:]}"'.encode()
    (out / "graph.json").write_bytes(data[:at] + escaped + data[at + len(written):])
    general = prepare_file(out)
    with pytest.raises(NotPlain, match="docSha256"):
        read_plain(out / "graph.json")
    folder = tmp_path / "commands"
    folder.mkdir()
    forked = read_plain(out / "graph.json", EdgeCommands("forked", 10_000, folder))
    try:  # the texts are told before the parse finds it
        with pytest.raises(NotPlain, match="docSha256"):
            bulk_create_graph(server.engine("forked"), forked.prepared, 10_000, plain=forked)
    finally:
        assert forked.edge_job is not None
        forked.edge_job.close()
    with EmbeddedServer(out) as running:
        assert running.sync() is not None
        reference = server.engine("general")
        bulk_create_graph(reference, general, 10_000)
        assert _contents(running.engine()) == _contents(reference)


def test_node_rows_made_in_place_are_the_copied_rows_name_for_name_in_order(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """prepare_nodes(own_data=True), which the one-pass reader uses, makes each node's dict its
    row's properties in place: the same rows as the copies, every property in the same order
    (the order the server holds them in), nulls and the skipped names taken out."""
    from policykg.graph.cypher_load import prepare_nodes
    from policykg.graph.export import iter_graph_elements

    sample = [(element.pop("id"), element) for kind, element in iter_graph_elements(build_sample(tmp_path_factory))
              if kind == "node"]
    every_kind = _every_kind_of_value()[0]
    assert any(None in data.values() for _id, data in every_kind)  # nulls to take out
    for nodes in (every_kind, sample):
        counts = {node_id: {"tasks": number} for number, (node_id, _data) in enumerate(nodes) if number % 2}
        copied = prepare_nodes(json.loads(json.dumps(nodes)), counts)
        in_place = prepare_nodes(json.loads(json.dumps(nodes)), counts, own_data=True)

        def ordered(rows: Any) -> Any:
            return {labels: [(row["id"], [*row["props"].items()], row["docs"], row["aliases"]) for row in group]
                    for labels, group in rows.node_groups.items()}

        assert ordered(in_place) == ordered(copied)
        assert (in_place.documents, in_place.owned_by, in_place.owned_rows, in_place.labels) == (
            copied.documents, copied.owned_by, copied.owned_rows, copied.labels)
