"""The build's parent: the writers' forked processes (graph/forked.py) and the summaries as
the workers send them (fragments.sent_summary / parsed_summary), which CorpusWriter.add must
merge exactly as the summaries they were made from."""

from __future__ import annotations

import copy
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from policykg.extract.pipeline import process_file
from policykg.graph.forked import Forked
from policykg.graph.fragments import CorpusWriter, parsed_summary, sent_summary

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
