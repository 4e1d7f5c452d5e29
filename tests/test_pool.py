"""policykg/pool.py: the build's forked workers give every job's result in order, and a worker
that dies, or a function that raises, costs only that job."""

from __future__ import annotations

import os
import signal

import pytest

from policykg.pool import ordered_results


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
    assert results[7] == f"job 7: the worker process ended (signal {int(signal.SIGKILL)})"
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
