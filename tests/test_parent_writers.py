"""The build's parent: the writers' forked processes (graph/forked.py) and the summaries as
the workers send them (fragments.sent_summary / parsed_summary), which CorpusWriter.add must
merge exactly as the summaries they were made from."""

from __future__ import annotations

import copy
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from policykg.extract.pipeline import process_file
from policykg.graph.build import merge_node
from policykg.graph.forked import Forked
from policykg.graph.fragments import THIS_DOCUMENT, CorpusWriter, parsed_summary, sent_summary

from policykg import api

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import make_corpus  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the writers run in this process without fork")


def test_a_forked_job_returns_its_value_from_another_process_with_this_ones_memory() -> None:
    held = list(range(100_000))  # made before the fork: the child has it without pickling
    job = Forked.start(lambda: (os.getpid(), sum(held)))
    pid, total = job.result()
    assert pid != os.getpid() and total == sum(held)


def test_a_forked_jobs_exception_is_raised_here() -> None:
    def fails() -> None:
        raise ValueError("graph.graphml: no space left")

    job = Forked.start(fails)
    with pytest.raises(ValueError, match="no space left"):
        job.result()


def test_a_forked_job_that_dies_says_so() -> None:
    job = Forked.start(lambda: os._exit(3))
    with pytest.raises(RuntimeError, match="exit status 3"):
        job.result()


def test_a_stopped_job_leaves_no_process() -> None:
    job = Forked.start(lambda: time.sleep(60))
    pid = job.pid
    assert pid is not None
    job.stop()
    with pytest.raises(ProcessLookupError):  # ended and reaped
        os.kill(pid, signal.SIGCONT)


def summaries(tmp_path: Path) -> list[dict]:
    """The summaries, as encoded, of the sample plans and a small bench corpus (units named in
    many documents, with the same and with other aliases)."""
    assert make_corpus.main(["--docs", "12", "--out", str(tmp_path / "corpus")]) == 0
    paths = sorted((ROOT / "data").glob("*.txt")) + sorted((tmp_path / "corpus" / "docs").glob("*.txt"))
    found = []
    for path in paths:
        values, sent, _fragment, _plain = api._document_record(process_file(path))
        assert parsed_summary(sent)["sha256"] == values["sha256"]
        found.append(values)
    return found


def test_sent_summaries_merge_as_the_summaries_they_were_made_from(tmp_path: Path) -> None:
    encoded = summaries(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    as_encoded, as_sent = CorpusWriter(tmp_path / "a"), CorpusWriter(tmp_path / "b")
    lines = 0
    for summary in encoded:
        sent = sent_summary(copy.deepcopy(summary), plain=False)
        as_encoded.add(copy.deepcopy(summary), tmp_path / "x.frag")
        as_sent.add(parsed_summary(sent), tmp_path / "x.frag")
        lines += len(summary["shared"])
    assert list(as_sent.shared.items()) == list(as_encoded.shared.items())
    assert [(d.new_shared, d.ends) for d in as_sent.docs] == [(d.new_shared, d.ends) for d in as_encoded.docs]
    assert any(len(data["docs"]) > 3 for data in as_sent.shared.values())
    # mentions that repeat a line merged before (not parsed again)
    assert len(as_sent._merged) < lines


def test_a_mention_with_a_property_its_node_lacks_adds_it(tmp_path: Path) -> None:
    first, second = summaries(tmp_path)[:2]
    unit = next(m for m in first["shared"] if "Unit" in m[3] and m[4].get("docs") == "=")
    again = copy.deepcopy(unit)
    # named again in the next document, in the same words, with a property the unit's node has not
    again[4]["subtype"] = "公司"
    second = copy.deepcopy(second)
    second["shared"] = [again, *(m for m in second["shared"] if m[1] != unit[1])]
    (tmp_path / "w").mkdir()
    writer = CorpusWriter(tmp_path / "w")
    for summary in (first, second):
        writer.add(parsed_summary(sent_summary(copy.deepcopy(summary), plain=False)), tmp_path / "x.frag")
    node = writer.shared[unit[1]]
    assert node["subtype"] == "公司" and node["docs"] == [first["sha256"], second["sha256"]]


def test_the_merged_shared_nodes_are_merge_nodes_of_every_mention(tmp_path: Path) -> None:
    """CorpusWriter.add's short ways (a mention's line merged before, its docs appended in bulk)
    give what merge_node gives over every mention in order, also when a mention of another
    document's (merged the general way) comes in among them and the same node is named again."""
    encoded = summaries(tmp_path)
    popular = Counter(m[1] for s in encoded for m in s["shared"] if m[4].get("docs") == THIS_DOCUMENT)
    unit, _count = popular.most_common(1)[0]
    naming = [i for i, s in enumerate(encoded) if any(m[1] == unit for m in s["shared"])]
    assert len(naming) > 4
    # two plans whose mention of it gives as its docs those of an earlier plan naming it and its
    # own (not this document's alone): the second after plans whose docs came the short way
    for at in (naming[len(naming) // 2], naming[-1]):
        odd = encoded[at] = copy.deepcopy(encoded[at])
        earlier = encoded[naming[naming.index(at) - 1]]["sha256"]
        for mention in odd["shared"]:
            if mention[1] == unit:
                mention[4]["docs"] = [earlier, odd["sha256"]]
    expected: dict[str, dict[str, Any]] = {}
    members: dict[tuple[str, str], set[str]] = {}
    for summary in encoded:
        for _before, node_id, label, extra_labels, props in copy.deepcopy(summary["shared"]):
            if props.get("docs") == THIS_DOCUMENT:
                props["docs"] = [summary["sha256"]]
            if props.get("docSha256") == THIS_DOCUMENT:
                props["docSha256"] = summary["sha256"]
            merge_node(expected, members, node_id, label, extra_labels, props)
    (tmp_path / "w").mkdir()
    writer = CorpusWriter(tmp_path / "w")
    for summary in encoded:
        writer.add(parsed_summary(sent_summary(copy.deepcopy(summary), plain=False)), tmp_path / "x.frag")
    assert list(writer.shared.items()) == list(expected.items())
    assert writer.shared[unit]["docs"] == [encoded[i]["sha256"] for i in naming]
