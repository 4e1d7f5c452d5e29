"""Writes by the system calls themselves, for the hot paths that write whole buffers: a worker's
few files a document (the io layers around them cost more than the writes), pipes between
policykg's processes, the parent's output files. os.write may write less than it is given (a
pipe, a signal, a full disk's last bytes): write_all writes the rest."""

from __future__ import annotations

import os
from pathlib import Path

_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """All of data into the open file or pipe fd."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_file(path: Path, *parts: bytes) -> None:
    """Path.write_bytes of the parts joined, without joining them where os.writev takes them."""
    fd = os.open(path, _WRITE_FLAGS, 0o666)
    try:
        size = sum(map(len, parts))
        written = os.writev(fd, parts) if hasattr(os, "writev") else os.write(fd, b"".join(parts))
        if written < size:  # (a short write: the rest, as write_bytes does)
            write_all(fd, memoryview(b"".join(parts))[written:])
    finally:
        os.close(fd)
