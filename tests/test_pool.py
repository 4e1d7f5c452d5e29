"""policykg/pool.py: the build's forked workers give every job's result in order, and a worker
that dies, or a function that raises, costs only that job; a build through them writes what a
build in one process writes."""

from __future__ import annotations

import gc
import os
import signal
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest

from policykg import api
from policykg.pool import ordered_results

ROOT = Path(__file__).resolve().parents[1]


def lost(job: int, why: str) -> str:
    return f"job {job}: {why}"


def digits(job: int) -> tuple[int, str, int]:
    """Some work whose result depends on the job (and says which process did it)."""
    return job, "".join(str(n * job) for n in range(job % 7 * 50)), os.getpid()


def dies_on_seven(job: int) -> tuple[int, str, int] | str:
    if job == 7:
        os.kill(os.getpid(), signal.SIGKILL)
    return digits(job)


def raises_on_three(job: int) -> tuple[int, str, int] | str:
    if job == 3:
        raise ValueError("no three")
    return digits(job)


def test_results_come_in_job_order_from_several_processes() -> None:
    jobs = list(range(60))
    results = list(ordered_results(digits, jobs, 2, lost, ahead=3))
    assert [r[:2] for r in results] == [digits(job)[:2] for job in jobs]
    workers = {r[2] for r in results}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2


def test_a_worker_that_dies_loses_only_its_job() -> None:
    jobs = list(range(30))
    results = list(ordered_results(dies_on_seven, jobs, 2, lost))
    assert results[7] == f"job 7: its worker process was killed by signal {int(signal.SIGKILL)}"
    assert [r[:2] for r in results[:7] + results[8:]] == [digits(job)[:2] for job in jobs if job != 7]


def test_a_function_that_raises_loses_only_its_job() -> None:
    results = list(ordered_results(raises_on_three, list(range(20)), 2, lost))
    assert results[3] == "job 3: ValueError: no three"
    assert [r[0] for r in results[:3] + results[4:]] == [n for n in range(20) if n != 3]


def test_stopping_early_ends_every_worker() -> None:
    results = ordered_results(digits, list(range(200)), 2, lost, ahead=2)
    seen = {next(results)[2] for _ in range(20)}
    results.close()  # the build stopped (an error elsewhere)
    for pid in seen:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_taking_every_result_leaves_no_worker_running() -> None:
    """The build asks for exactly as many results as it gave jobs and then drops the generator:
    by the last result the workers have ended (their jobs' pipes closed, each reaped), rather than
    waiting to be killed when the generator goes."""
    jobs = list(range(40))
    results = ordered_results(digits, jobs, 2, lost, ahead=3)
    taken = [next(results) for _ in jobs]
    assert [r[:2] for r in taken] == [digits(job)[:2] for job in jobs]
    workers = {r[2] for r in taken}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert next(results, None) is None


def test_a_build_on_forked_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    """The build's path through the pool (16 documents or more, two workers): every output file
    the same bytes as the build that extracts in its own process, and a rebuild takes them all
    from the cache."""
    sys.path.insert(0, str(ROOT / "bench"))
    import make_corpus

    make_corpus.make_corpus(18, tmp_path / "corpus", seed=3)
    docs = tmp_path / "corpus" / "docs"
    alone = api.build(docs, tmp_path / "alone", views=False, workers=1)
    pooled = api.build(docs, tmp_path / "pooled", views=False, workers=2)
    assert pooled.documents == alone.documents == 18 and pooled.errors == alone.errors == []
    # (the OUT marker says when it was built)
    files = sorted(p.relative_to(tmp_path / "alone") for p in (tmp_path / "alone").glob("*")
                   if p.is_file() and p.name != api.OUT_MARKER)
    assert {"graph.json", "graph.graphml", "responsibilities.csv", "responsibilities.xlsx"} <= {str(p) for p in files}
    for name in files:
        assert (tmp_path / "pooled" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    again = api.build(docs, tmp_path / "pooled", views=False, workers=2)
    assert again.cached == 18


def test_an_extraction_job_runs_without_the_collector_and_leaves_it_as_it_was() -> None:
    """_extract_one turns the cyclic collector off for the job (the stages make no reference cycle,
    so a collection during it would free nothing) and back to what it was after it; the job's
    result is the document's record as document_files gives it."""
    from policykg.extract.pipeline import process_file

    plan = sorted((ROOT / "data").glob("*.txt"))[0]
    want = api.document_files(process_file(plan))
    started: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])
    job = (plan, None, None)
    gc.callbacks.append(watch)
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            started.clear()
            result = api._extract_one(job)
            during = len(started)  # (before anything here allocates: the collector may run again now)
            assert during == 0 and gc.isenabled() is enabled
            assert result == want
    finally:
        gc.callbacks.remove(watch)
        gc.enable()


class _Cycle:
    """An object in a reference cycle (only the cyclic collector frees it)."""

    def __init__(self) -> None:
        self.me = self


_left: list[Any] = []  # in a worker: a weak reference to the cycle each job left behind


def leaves_a_cycle(job: int) -> tuple[int, bool, bool, int]:
    """Leaves a cycle behind and says whether the one the worker's previous job left is freed by
    now, and whether the automatic collector is on."""
    cycle = _Cycle()
    previous_freed = not _left or _left[-1]() is None
    _left.append(weakref.ref(cycle))
    del cycle
    return job, previous_freed, gc.isenabled(), os.getpid()


def test_a_worker_frees_each_jobs_cycles_after_it_with_the_automatic_collector_off() -> None:
    """A worker runs the collector itself after each job (the automatic one off: it would walk
    what outlives the jobs again and again): the reference cycles a job leaves are freed before
    the next job of that worker."""
    results = list(ordered_results(leaves_a_cycle, list(range(30)), 2, lost, ahead=3))
    assert [r[0] for r in results] == list(range(30))
    assert all(previous_freed for _, previous_freed, _, _ in results)
    assert not any(enabled for _, _, enabled, _ in results)
    assert os.getpid() not in {r[3] for r in results}


def test_a_build_leaves_the_callers_collector_as_it_was(tmp_path: Path) -> None:
    """The build pauses the collector while it merges the documents and freezes what it holds while
    it writes the files: afterwards the collector is on or off as the caller had it, nothing frozen,
    and a cycle the caller makes is freed by the collector as before."""
    sys.path.insert(0, str(ROOT / "bench"))
    import make_corpus

    make_corpus.make_corpus(18, tmp_path / "corpus", seed=5)
    docs = tmp_path / "corpus" / "docs"
    try:
        for enabled, workers in ((True, 2), (False, 2), (True, 1)):
            gc.enable() if enabled else gc.disable()
            out = tmp_path / f"out-{enabled}-{workers}"
            report = api.build(docs, out, views=False, workers=workers)
            assert report.documents == 18
            assert gc.isenabled() is enabled and gc.get_freeze_count() == 0
        gc.enable()
        cycle = _Cycle()
        ref = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert ref() is None
    finally:
        gc.enable()
