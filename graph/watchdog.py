"""The embedded server's watchdog: stops the FalkorDB server of one OUT when no policykg
process uses it any more (its users died — a killed query, a restarted notebook kernel — or
simply finished without stopping it), so that no server is ever left running on its own.

Every policykg process that uses the server holds a shared flock on falkordb.users for as long
as it does; the kernel drops it when the process dies, however it dies. This watchdog, started
beside the server, polls: when it can take that lock exclusively for GRACE_SECONDS in a row (and
the start lock, so no process is joining at that moment), it stops the server with SIGTERM
(every load saves its dump when it completes, so nothing is lost; a save still being written
is waited for) and exits. It exits too when
the server is gone. A command that leaves the server running for the next one writes until when
(epoch seconds) into falkordb.keep: the idle server is stopped only after that time, or at once
when its folder is removed or replaced (OUT deleted or rebuilt: nobody can reach the server any
more). An orphaned server is killed with SIGKILL, not SIGTERM: on a clean shutdown redis unlinks
its socket BY PATH, and that path may now be the socket of a new server started in the new
folder (there is nothing to save either: the dump's folder is gone). Run as a script
(`python watchdog.py DB_DIR PID [DEV:INO]`, DEV:INO the folder the server was started in, as its
starter saw it: a folder replaced before this script has started is then still told apart):
standard library only, so it starts in a few milliseconds and imports nothing of policykg.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import sys
import time
from pathlib import Path

GRACE_SECONDS = 2.0
POLL_SECONDS = 0.5
KEEP_NAME = "falkordb.keep"
DUMP_NAME = "graph.rdb"
SAVE_STALE_SECONDS = 60.0  # a temp-PID.rdb not written to for this long is left by a save that died
DIGEST_NAME = "graph.rdb.digest"  # the dump's xxh3 and stat, recorded by policykg after each save (falkor_server.py)


def process_alive(pid: int) -> bool:
    """True while pid runs (a zombie counts as gone); embedded.py uses it too."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is gone for our purpose
        return "\tZ" not in Path(f"/proc/{pid}/status").read_text().split("State:")[1][:4]
    except (OSError, IndexError):
        return True


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


def folder_identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of folder, None when it is gone; embedded.py passes it to this script."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _same_folder(db_dir: Path, home: tuple[int, int]) -> bool:
    """True while db_dir is still the folder the server was started in (not removed, not a new
    OUT's folder at the same path)."""
    return folder_identity(db_dir) == home


def _kept(db_dir: Path, home: tuple[int, int]) -> bool:
    """True while a command's keep time has not passed and the folder is still the server's."""
    if not _same_folder(db_dir, home):
        return False
    try:
        return time.time() < float((db_dir / KEEP_NAME).read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return False


def _saving(db_dir: Path, home: tuple[int, int]) -> bool:
    """True while the server writes a dump in the background (a load's save that its command did
    not wait for: redis writes temp-PID.rdb and renames it into place at the end; one written to
    within SAVE_STALE_SECONDS): a SIGTERM now would stop it, and the dump would stay the one before."""
    if not _same_folder(db_dir, home):
        return False
    try:
        with os.scandir(db_dir) as entries:
            return any(entry.name.startswith("temp-") and entry.name.endswith(".rdb")
                       and time.time() - entry.stat().st_mtime < SAVE_STALE_SECONDS for entry in entries)
    except OSError:
        return False


def watch(db_dir: Path, pid: int, home: tuple[int, int] | None = None, grace: float = GRACE_SECONDS) -> int:
    home = home or folder_identity(db_dir)
    if home is None:
        return 0
    try:
        if not _same_folder(db_dir, home):
            raise FileNotFoundError(db_dir)
        users = os.open(db_dir / "falkordb.users", os.O_RDWR | os.O_CREAT, 0o600)
        start = os.open(db_dir / "falkordb.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # gone or replaced before this script started: nobody can reach this server
        _kill(pid, signal.SIGKILL)
        return 0
    idle_since: float | None = None
    while process_alive(pid):
        time.sleep(POLL_SECONDS)
        if not _try_lock(users, fcntl.LOCK_EX):
            idle_since = None
            continue
        fcntl.flock(users, fcntl.LOCK_UN)
        now = time.monotonic()
        idle_since = idle_since if idle_since is not None else now
        if now - idle_since < grace or _kept(db_dir, home) or _saving(db_dir, home) \
                or not _try_lock(start, fcntl.LOCK_EX):
            continue
        try:
            if _try_lock(users, fcntl.LOCK_EX):  # still nobody, and nobody can join now
                ours = _same_folder(db_dir, home)
                exited = _kill(pid, signal.SIGTERM if ours else signal.SIGKILL)
                if ours:  # not a new OUT's files (another server's)
                    for name in ("falkordb.pid", "falkordb.state", KEEP_NAME):
                        (db_dir / name).unlink(missing_ok=True)
                    if exited and not _digest_current(db_dir):
                        _record_digest(db_dir)
                return 0
        finally:
            fcntl.flock(start, fcntl.LOCK_UN)
        idle_since = None
    return 0


def _kill(pid: int, first: int) -> bool:
    """Send `first`, wait up to 30 s for the server to exit, then SIGKILL; True if it exited by `first`."""
    try:
        os.kill(pid, first)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + 30
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process_alive(pid):
        os.kill(pid, signal.SIGKILL)
        return False
    return True


def _digest_current(db_dir: Path) -> bool:
    """True when the dump's recorded digest is of the dump as it is (by its stat), or there is no dump."""
    try:
        st = os.stat(db_dir / DUMP_NAME)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        recorded = (db_dir / DIGEST_NAME).read_text(encoding="ascii").split()[3]
    except (OSError, IndexError, ValueError):
        return False
    return recorded == f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _record_digest(db_dir: Path) -> None:
    """The server saved a dump whose user died before it recorded the digest (a load's background
    save that ended after its process was killed): the server has now exited, so that dump is
    final; record it (in a process with the site packages: the hash is xxhash's), or the next
    start would load graph.json again. Waited for, with the start lock held: no start meanwhile."""
    import contextlib
    import subprocess

    code = ("import sys; from policykg.graph.falkor_server import FalkorServer; "
            "FalkorServer(sys.argv[1])._record_digest()")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([sys.executable, "-c", code, str(db_dir.parent)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)


def _identity(text: str) -> tuple[int, int] | None:
    device, _, inode = text.partition(":")
    return (int(device), int(inode)) if device.isdigit() and inode.isdigit() else None


if __name__ == "__main__":
    sys.exit(watch(Path(sys.argv[1]), int(sys.argv[2]), _identity(sys.argv[3]) if len(sys.argv) > 3 else None))
