"""A function run in a forked child process while this one goes on with other work: how the
build's writers use both cores after extraction (graph/fragments.py CorpusWriter.close writes
GraphML and the 任务分工表 in children while it writes graph.json and the CSV tables; the API
starts the views as soon as graph.json is complete).

The child inherits everything this process holds (no pickling of inputs) and sends back only the
function's return value, or the exception it raised, which `result()` raises here. Where the
system cannot fork (Windows), or no process is to be had, the function runs at once, here.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from policykg.graph.fd_writes import write_all


def fork() -> int:
    """os.fork() with this process's buffered output flushed first (else a child's exit could
    write it again) and without Python 3.12's warning of a fork beside threads (the children of
    policykg run none). Raises OSError when no process can be had."""
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


class Forked:
    """`job = Forked.start(fn)`, other work, then `job.result()` (fn's value, or its exception
    raised); `job.stop()` ends a child whose result is no longer wanted (an error elsewhere)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._pipe: int | None = None
        self._inline: tuple[bool, Any] | None = None

    @classmethod
    def start(cls, fn: Callable[[], Any], inline: bool = True) -> Forked:
        """fn started in a forked child; where none can be had, run here at once, or, with
        inline=False, OSError raised (for work that must not run in this process now)."""
        job = cls()
        if hasattr(os, "fork"):
            try:
                job._fork(fn)
                return job
            except OSError:  # no process to be had (a limit): the work is done here
                if not inline:
                    raise
        elif not inline:
            raise OSError("no fork on this system")
        try:
            job._inline = (True, fn())
        except Exception as exc:  # raised by result(), as a child's would be
            job._inline = (False, exc)
        return job

    def _fork(self, fn: Callable[[], Any]) -> None:
        readable, writable = os.pipe()
        try:
            pid = fork()
        except OSError:
            os.close(readable)
            os.close(writable)
            raise
        if pid == 0:  # the child: the work, its outcome down the pipe, then out without this process's exit code
            code = 1
            try:
                os.close(readable)
                try:
                    outcome = pickle.dumps((True, fn()))
                except BaseException as exc:  # every failure is the parent's to report
                    try:
                        outcome = pickle.dumps((False, exc))
                    except Exception:  # an exception that does not pickle: its message
                        outcome = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                write_all(writable, outcome)
                code = 0
            finally:
                os._exit(code)
        os.close(writable)
        self.pid, self._pipe = pid, readable

    def result(self) -> Any:
        """The function's return value, once it is done; its exception raised here if it failed."""
        if self._inline is not None:
            ok, value = self._inline
        else:
            assert self._pipe is not None and self.pid is not None
            chunks = []
            try:
                while chunk := os.read(self._pipe, 1 << 16):
                    chunks.append(chunk)
            finally:
                os.close(self._pipe)
                self._pipe = None
                _, status = os.waitpid(self.pid, 0)
                self.pid = None
            code = os.waitstatus_to_exitcode(status)
            if code != 0 or not chunks:
                raise RuntimeError(f"a writer process ended without its result (exit status {code})")
            ok, value = pickle.loads(b"".join(chunks))
        if not ok:
            raise value
        return value

    def release(self) -> None:
        """Let go of a child that is ending by itself (it said all that was wanted some other
        way): its result is not read, and its exit is waited for on a thread of its own, as the
        kernel frees its memory (a tenth of a second for a large one), not here."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        pid, self.pid = self.pid, None
        if pid is not None:
            import threading

            threading.Thread(target=_reap, args=(pid,), name="policykg-reap", daemon=True).start()
        self._inline = None

    def stop(self) -> None:
        """End the child (if it still runs) without its result."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self.pid is not None:
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = None
        self._inline = None


def _reap(pid: int) -> None:
    with suppress(OSError):  # ChildProcessError: already waited for
        os.waitpid(pid, 0)
