"""The fast paths of the per-document encoding (graph/fragments.py encode_document) write the bytes
the general writers write: orjson where it writes json's bytes (and json where it would not: floats
such as 1e-05, nan, integers beyond 64 bits, lone surrogates), CSV fields as csv.writer quotes them,
GraphML <data> from per-shape templates as value by value, and a document's shared-node mentions
merged as merge_node merges every mention."""

from __future__ import annotations

import csv
import enum
import io
import json
import random
from typing import Any

import pytest
from policykg.graph.build import merge_node
from policykg.graph.export import (
    JsonElements,
    _graphml_data,
    _graphml_data_of_each,
    graphml_edge,
    graphml_node,
    graphml_node_attributes,
    orjson_bytes,
)
from policykg.graph.fragments import _json_writable, _merged_mentions, csv_field, csv_text

JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Level(enum.IntEnum):
    CITY = 2


class Name(str):
    pass


FLOATS = [0.0, -0.0, 0.1, 2.5, 100.0, 1e15, 1e16, 1e22, 1.2345678901234568e17, 1e-4, 9.99e-5, 1e-05,
          1.5e-07, 1e-10, 5e-324, 1.7976931348623157e308, float("nan"), float("inf"), float("-inf")]
INTS = [0, -1, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30]
TEXTS = ["", "清远市科技局", 'a "quote"', "back\\slash", "\x00\x08\x0b\x0c\x1f\x7f", "\t\n\r", "\u2028\u2029",
         "\ufffe\uffff\ufffd", "lone \udc80 surrogate", "\ud83d\ude00 pair as surrogates", "😀", "<&>"]


def as_json(element: dict[str, Any]) -> bytes:
    """What graph.json held before orjson: json's text, UTF-8 with a lone surrogate as "?"."""
    return JSON_TEXT(element).encode("utf-8", "replace")


@pytest.mark.parametrize("value", [*FLOATS, *INTS, *TEXTS, True, False, None, Level.CITY, Name("名"),
                                   [1, "a", None], (2.5, "b"), [1e-05], {"k": 1e16}, {"k": [float("nan")]},
                                   {1: "int key"}, {"nested": {"deep": ["x", 2**64]}}, []])
def test_graph_json_elements_are_the_bytes_json_writes(value: Any) -> None:
    element = {"id": "unit:1", "value": value, "label": "Unit"}
    assert JsonElements()(element) == as_json(element)


def test_orjson_writes_only_what_it_writes_as_json() -> None:
    # the fast path is taken for what the graph holds...
    plain = {"type": "LEADS", "written": "市科技局", "flagged": False, "start": 12, "valueMax": None,
             "value": 2.5, "labels": ["Department", "Unit"]}
    assert orjson_bytes(plain) == as_json(plain)
    assert orjson_bytes({"summary": [[0, "dept:1", "Department", ["Unit"], plain]]}) is not None
    # ... and left to json where orjson would write other bytes or refuses the value
    for value in (1e-05, 1.5e-07, float("nan"), float("inf"), 2**64, "\udc80", Level.CITY, Name("x"), [1e-05],
                  {1: "a"}):
        assert orjson_bytes({"value": value}) is None, value


@pytest.mark.parametrize("elements", [
    [], [{"a": 1}], [{"type": "LEADS", "quote": "x"}, {"type": "MENTIONS", "quote": "中", "end": None}],
    [{"type": "TARGETS", "value": 2.5, "valueMax": None}, {"type": "TARGETS", "value": 30.0, "year": 2025}],
    [{"quote": "a},{b"}, {"quote": "c"}],  # a boundary inside a text
    [{"quote": "a"}, {"quote": "\udc80"}, {"value": 1e-05}, {"value": 2**64}, {"nested": [{"a": 1}, {"b": 2}]}],
])
def test_graph_json_lines_at_once_are_the_lines_one_by_one(elements: list[dict[str, Any]]) -> None:
    assert JsonElements().lines(elements) == b"".join(as_json(e) + b",\n" for e in elements)


def test_a_lone_surrogate_is_remembered_for_the_graphml_cleaning() -> None:
    encode = JsonElements()
    encode({"file": "ok.txt"})
    assert not encode.surrogates
    assert encode({"file": "bad\udcff.txt"}) == b'{"file":"bad?.txt"}'
    assert encode.surrogates
    at_once = JsonElements()
    at_once.lines([{"file": "ok"}, {"file": "bad\udcff.txt"}])
    assert at_once.surrogates


@pytest.mark.parametrize("text", ["市科技局", "a\nb", 'quote "x"', "line\\nescaped", "\x0b", "\x08", "\x0c",
                                  "\ufffe", "\uffff", "（一）", "\uffef\ufffd"])
def test_json_writable_finds_what_xml_cannot_carry(text: str) -> None:
    from policykg.graph.sanitise import has_unwritable

    line = as_json({"quote": text})
    if has_unwritable(text):
        assert not _json_writable(line)
    elif "\\" not in text:  # (an escaped backslash before b, f or u is a false alarm: the careful path)
        assert _json_writable(line)


def csv_writer_text(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def test_csv_fields_are_quoted_as_csv_writer_quotes_them() -> None:
    alphabet = ["a", "中", ",", '"', "\r", "\n", " ", "\t", "'", "\x00", "\\", "\x0b", "\u2028", "#", ";"]
    rng = random.Random(12)
    for _ in range(5000):
        row = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(2, 5))]
        assert ",".join(map(csv_field, row)) + "\r\n" == csv_writer_text([row]), row
    values = [None, 0, -3, 10**30, 2.5, 1e-05, float("nan"), True, False, Level.CITY, Name('n"m')]
    assert ",".join(map(csv_field, values)) + "\r\n" == csv_writer_text([values])


@pytest.mark.parametrize("rows", [
    [{"a": "x", "b": 1}, {"a": "x", "b": "1"}, {"a": "", "b": None}],  # 1 and "1" are two fields
    [{"a": 1, "b": True}, {"a": 1.0, "b": 1}],  # 1, 1.0 and True are equal keys: written one by one
    [{"a": ["l", "ist"], "b": "x"}],  # unhashable
    [{"a": 'he said "go", then\nleft', "b": "市\x0b科技局\x0f"}, {"a": "", "b": ""}],  # quoted; cleaned
    [{"a": "only a"}],  # a missing column is ""
    [],
])
def test_csv_text_is_what_csv_writer_writes(rows: list[dict[str, Any]]) -> None:
    from policykg.graph.sanitise import clean_value

    expected = csv_writer_text([[clean_value(row.get(c, "")) for c in ("a", "b")] for row in rows])
    assert csv_text(["a", "b"], rows) == expected


def test_a_single_column_keeps_the_quoted_empty_row() -> None:
    assert csv_text(["a"], [{"a": ""}, {"a": "x"}]) == '""\r\nx\r\n' == csv_writer_text([[""], ["x"]])


EDGE_VALUES: list[dict[str, Any]] = [
    {"type": "LEADS", "written": "市科技局", "rule": "alias", "flagged": True, "taskPath": "一.1",
     "docSha256": "ab" * 32, "start": 3, "end": 7, "quote": "市科技局"},
    {"type": "LEADS", "written": "A&B <C>", "rule": "alias", "flagged": False, "taskPath": "一.1",
     "docSha256": "ab", "start": 3, "end": 7, "quote": "x"},  # escaped
    {"type": "TARGETS", "year": None, "value": 2.5, "valueMax": None, "unit": "家", "qualifier": "",
     "source": "text", "written": "企业", "taskPath": "", "recurrence": "annual", "docSha256": "ab",
     "start": 0, "end": 2, "quote": "企业"},
    {"type": "TARGETS", "year": 2025, "value": 3, "valueMax": 1e-05, "unit": "", "start": "", "end": True},
    {"type": "X", "flagged": 1, "start": 2.7, "quote": ["a", "b"], "written": ("c", 2), "extra": 5, "rule": None},
    {"type": "X", "flagged": "", "written": "", "start": -4, "extra%s": "percent"},
]


@pytest.mark.parametrize("data", EDGE_VALUES)
def test_graphml_templates_write_what_value_by_value_writes(data: dict[str, Any]) -> None:
    for _ in range(2):  # the first call makes the template, the second uses it
        used_fast: set[str] = set()
        used_each: set[str] = set()
        attrs = {**data, "label": data.get("type", "")}
        assert _graphml_data("edge", attrs, used_fast, False) == _graphml_data_of_each("edge", attrs, used_each, False)
        assert used_fast == used_each


def test_graphml_elements_with_ids_to_quote_or_clean() -> None:
    used: set[str] = set()
    plain = graphml_edge("unit:a", "task:b", "LEADS:0", EDGE_VALUES[0], used)
    assert plain.startswith('<edge id="LEADS:0" source="unit:a" target="task:b"><data key="e0">LEADS</data>')
    quoted = graphml_edge('u"1', "v&2", "k<3>", EDGE_VALUES[0], set())
    assert quoted.startswith("<edge id=\"k&lt;3&gt;\" source='u\"1' target=\"v&amp;2\">")
    cleaned = graphml_edge("u\x0b", "v", "k", {**EDGE_VALUES[0], "quote": "市\x0b科技局\x0f"}, set())
    assert 'source="u&#10;"' in cleaned and "市\n科技局\ufffd" in cleaned
    data = {"id": "task:1", "label": "Task", "labels": ["Task"], "path": "一.1", "title": "A&B", "current": True,
            "start": 1, "inferred": []}
    node = graphml_node("task:1", data, set(), False)
    each = _graphml_data_of_each("node", graphml_node_attributes(data), set(), False)
    assert node == f'<node id="task:1">{each}</node>\n'
    assert '<data key="n23">一.1 A&amp;B</data>' in node and '<data key="n13">true</data>' in node


def merged_every_mention(mentions: list[list[Any]]) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    members: dict[tuple[str, str], set[str]] = {}
    for _, node_id, label, extra_labels, props in mentions:
        merge_node(nodes, members, node_id, label, extra_labels, props)
    return nodes


def test_a_documents_mentions_merged_once_merge_into_the_corpus_as_every_mention_does() -> None:
    rng = random.Random(3)
    ids, labels = [f"unit:{i}" for i in range(6)], ["Department", "Government", "Unit", "Entity"]
    for _ in range(300):
        mentions = []
        for before in range(rng.randint(0, 25)):
            props = {"name": rng.choice(["甲", "乙"]), "aliases": rng.sample(["a", "b", "c", "d"], rng.randint(1, 2)),
                     "docs": [rng.choice(["sha1", "sha2"])]}
            if rng.random() < 0.5:
                props[rng.choice(["start", "quote", "jurisdiction"])] = rng.randint(0, 9)
            mentions.append([before, rng.choice(ids), rng.choice(labels), rng.sample(labels, rng.randint(0, 2)), props])
        corpus_before = [[0, "unit:0", "Unit", [], {"name": "先", "aliases": ["z"], "docs": ["sha0"]}]]
        merged = _merged_mentions([[*m[:4], dict(m[4])] for m in mentions])
        assert len(merged) == len({m[1] for m in mentions})
        assert list(merged_every_mention(corpus_before + merged).items()) == \
            list(merged_every_mention(corpus_before + mentions).items())
        first = {}
        for m in mentions:
            first.setdefault(m[1], m[0])
        assert [(m[1], m[0]) for m in merged] == list(first.items())
