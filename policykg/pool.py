"""Forked worker processes that run one function over a list of jobs, their results in the
jobs' order: how a build extracts its documents on every core.

Leaner than multiprocessing.Pool for this one use: the workers inherit the jobs (nothing is
pickled on the way out: a job is its index, four bytes on the worker's pipe), and the parent
runs no threads (the Pool's three feed, collect and watch on the parent's core, which the
workers need: ~0.5 CPU s of a 1000-plan build). Each worker has two pipes: its jobs (at most
two waiting, so that it never idles and a slow job holds up few others) and its results, which
the parent reads as they come.

A worker that dies (killed, out of memory) loses only the job it was on: that job's result is
made by `lost`, its other jobs go to a new worker. Should the parent die, the workers read the
end of their job pipes and stop after their current job.
"""

from __future__ import annotations

import gc
import os
import pickle
import selectors
import signal
import struct
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from typing import TypeVar

from policykg.graph.fd_writes import write_all
from policykg.graph.forked import fork

J = TypeVar("J")
R = TypeVar("R")

_INDEX = struct.Struct("<I")  # a job's index on a worker's job pipe
_HEAD = struct.Struct("<Q")  # a result on a worker's result pipe: the length of its pickle, then the pickle
_QUEUED = 2  # jobs a worker holds at most: the one it runs and the next
_PIPE_SIZE = 1 << 20  # room for a few results in a worker's pipe, so that it need not wait for the parent


class _Worker:
    __slots__ = ("buffer", "jobs", "pid", "results", "work")

    def __init__(self, pid: int, work: int, results: int) -> None:
        self.pid, self.work, self.results = pid, work, results
        self.buffer = bytearray()
        self.jobs: deque[int] = deque()  # sent to it and not finished, in order


def ordered_results(fn: Callable[[J], R], jobs: Sequence[J], workers: int, lost: Callable[[J, str], R],
                    ahead: int | None = None) -> Iterator[R]:
    """fn(job) for every job, in order, computed by `workers` forked processes (at most `ahead`
    jobs beyond the one the caller waits for are given out: results behind a slow job are held
    here). `lost` makes the result of a job from the job and what went wrong: its worker died
    on it, or fn raised (fn should not). fn's results must pickle. Where no process can be
    forked, the jobs are done here."""
    ahead = max(ahead if ahead is not None else workers * 4, workers)
    running: dict[int, _Worker] = {}  # by pid
    selector = selectors.DefaultSelector()
    done: dict[int, R] = {}  # results received and not yet yielded
    again: deque[int] = deque()  # jobs of a worker that died, to give out first
    given = 0  # jobs[:given] given out (or in `again`)

    def start() -> _Worker | None:
        work_read, work_write = os.pipe()
        results_read, results_write = os.pipe()
        with suppress(OSError, AttributeError):  # (Linux only; elsewhere the default size)
            import fcntl

            fcntl.fcntl(results_write, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        try:
            pid = fork()
        except OSError:  # no process to be had (a limit): fewer workers, or the jobs done here
            for fd in (work_read, work_write, results_read, results_write):
                os.close(fd)
            return None
        if pid == 0:
            code = 1
            try:
                os.close(work_write)
                os.close(results_read)
                for other in running.values():  # the parent's ends of the other workers' pipes
                    os.close(other.work)
                    os.close(other.results)
                _work(fn, jobs, work_read, results_write, lost)
                code = 0
            finally:
                os._exit(code)
        os.close(work_read)
        os.close(results_write)
        worker = running[pid] = _Worker(pid, work_write, results_read)
        selector.register(results_read, selectors.EVENT_READ, worker)
        return worker

    def give(limit: int) -> None:
        """Jobs to the workers with room for them, up to jobs[:limit]."""
        nonlocal given
        limit = min(limit, len(jobs))
        for worker in sorted(running.values(), key=lambda w: len(w.jobs)):
            batch = []
            while len(worker.jobs) + len(batch) < _QUEUED:
                if again:
                    batch.append(again.popleft())
                elif given < limit:
                    batch.append(given)
                    given += 1
                else:
                    break
            if batch:
                try:
                    os.write(worker.work, b"".join(map(_INDEX.pack, batch)))
                except BrokenPipeError:  # it died: its results' pipe says so next (ended)
                    again.extendleft(reversed(batch))
                    continue
                worker.jobs.extend(batch)

    def ended(worker: _Worker) -> None:
        selector.unregister(worker.results)
        os.close(worker.results)
        os.close(worker.work)
        del running[worker.pid]
        _, status = os.waitpid(worker.pid, 0)
        if worker.jobs:  # it died on its first job: the others go to another worker
            code = os.waitstatus_to_exitcode(status)
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            job = worker.jobs.popleft()
            done[job] = lost(jobs[job], f"its worker process {how}")
            again.extendleft(reversed(worker.jobs))
        if again or given < len(jobs):
            start()  # in its place, for the jobs to come

    try:
        for _ in range(min(workers, len(jobs))):
            start()
        for index in range(len(jobs)):
            give(index + 1 + ahead)
            while index not in done:
                if not running:  # no worker could be started: the job is done here
                    if index in again:
                        again.remove(index)
                    done[index] = fn(jobs[index])
                    given = max(given, index + 1)
                    break
                for key, _events in selector.select():
                    worker = key.data
                    chunk = os.read(worker.results, _PIPE_SIZE)
                    if not chunk:
                        ended(worker)
                    else:
                        worker.buffer += chunk
                        _take_results(worker, done)
                give(index + 1 + ahead)
            if index == len(jobs) - 1:
                # every job done: the end of its job pipe, then it exits. Before the last result is
                # handed over: a caller that stops asking once it has them all (the build) would
                # otherwise leave the workers to be killed when this generator is dropped
                for worker in list(running.values()):
                    os.close(worker.work)
                    worker.work = -1
                for worker in list(running.values()):
                    os.waitpid(worker.pid, 0)
                    del running[worker.pid]
                    os.close(worker.results)
            yield done.pop(index)
    finally:
        for worker in running.values():  # stopped early (an error, or the caller's): no result wanted
            with suppress(OSError):
                os.kill(worker.pid, signal.SIGKILL)
            with suppress(OSError):
                os.waitpid(worker.pid, 0)
            for fd in (worker.work, worker.results):
                if fd >= 0:
                    with suppress(OSError):
                        os.close(fd)
        selector.close()


def _take_results(worker: _Worker, done: dict[int, object]) -> None:
    """The whole results in a worker's buffer, taken out of it (they come in the order of its jobs)."""
    buffer, at = worker.buffer, 0
    while len(buffer) - at >= _HEAD.size:
        (length,) = _HEAD.unpack_from(buffer, at)
        end = at + _HEAD.size + length
        if len(buffer) < end:
            break
        done[worker.jobs.popleft()] = pickle.loads(buffer[at + _HEAD.size:end])
        at = end
    del buffer[:at]


def _work(fn: Callable[[J], R], jobs: Sequence[J], work: int, out: int, lost: Callable[[J, str], R]) -> None:
    """A worker: jobs from its job pipe until the end of it, each result down `out`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops the workers)
    # The collector by hand: what a job leaves behind is its cycles, if any (all in the youngest
    # generation: nothing is collected during a job), and what outlives it (the stages' tables and
    # caches, grown by a few hundred objects a job). The automatic collector, set off after each job
    # by those survivors, would walk them again and again in the older generations (~3 % of a
    # worker's CPU); collected once and frozen, they are never walked again (refcounting still frees
    # whatever of them a later job drops).
    gc.disable()
    pending = b""
    while True:
        while len(pending) < _INDEX.size:
            more = os.read(work, 1 << 12)
            if not more:
                return
            pending += more
        (index,), pending = _INDEX.unpack_from(pending), pending[_INDEX.size:]
        try:
            result = pickle.dumps(fn(jobs[index]), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # fn should not raise; this keeps the worker, and says what went wrong
            result = pickle.dumps(lost(jobs[index], f"{type(exc).__name__}: {exc}"), pickle.HIGHEST_PROTOCOL)
        write_all(out, _HEAD.pack(len(result)) + result)
        del result
        gc.collect(0)
        gc.freeze()
