"""The OUT folder of a build: who owns it, who may write it, and how it is replaced.

- Ownership is proven only by policykg's own marker file, OUT/.policykg-out (a regular file whose
  first line is MARKER_LINE). A folder without it is never replaced, whatever else it holds (a
  graph.json alone proves nothing), unless it is empty.
- An OUT holding anything policykg did not write (a DATA folder, notes) is not replaced either:
  the build says what is in the way and stops, so nothing the user had is ever lost.
- One build per OUT at a time: a lock file beside OUT (.OUT.lock, flock, removed when the build
  ends); a second build says who holds it and stops.
- The new OUT is written into a staging folder beside it (.OUT.tmp-*) and swapped in whole: with
  renameat2(RENAME_EXCHANGE) on Linux (one atomic step), else with two renames. Staging and old
  folders left by a killed build are removed by the next build; if a build died between the two
  renames (OUT gone, .OUT.old-* there), the old OUT is put back first.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; builds there are not locked against each other
    fcntl = None  # type: ignore[assignment]

OUT_MARKER = ".policykg-out"
MARKER_LINE = "policykg build output; safe to delete and rebuild"
# Names a build or a later policykg command writes into OUT (the marker lists a build's files too).
KNOWN_NAMES = {
    OUT_MARKER, "graph.json", "graph.graphml", "responsibilities.csv", "responsibilities.xlsx", "resolution.csv",
    "targets.csv", "entities.csv", "inferred.txt", "views", "falkordb", "neo4j-admin", "policykg-aliases.tsv", "cache",
    ".cache",
}


class OutError(Exception):
    """OUT cannot be written; one line naming the folder and the reason."""


def is_policykg_folder(folder: Path) -> bool:
    """True when folder carries policykg's marker (a regular file, first line MARKER_LINE)."""
    marker = folder / OUT_MARKER
    try:
        if marker.is_symlink() or not marker.is_file():
            return False
        with marker.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip() == MARKER_LINE
    except OSError:
        return False


def _marker_files(folder: Path) -> set[str]:
    try:
        lines = (folder / OUT_MARKER).read_text(encoding="utf-8", errors="replace").splitlines()
        return set(json.loads(lines[1]).get("files", [])) if len(lines) > 1 else set()
    except (OSError, ValueError, AttributeError):
        return set()


def write_marker(folder: Path, files: list[str], complete: bool) -> None:
    state = {"complete": complete, "files": sorted(files), "pid": os.getpid(), "time": int(time.time())}
    (folder / OUT_MARKER).write_text(f"{MARKER_LINE}\n{json.dumps(state)}\n", encoding="utf-8")


def check_out(out: Path, data: Path | None = None) -> None:
    """Refuse an OUT policykg may not replace (the message names it and why)."""
    if out.is_symlink() and not out.exists():
        raise OutError(f"{out}: a broken symbolic link; remove it or choose another --out")
    if out.exists() and not out.is_dir():
        raise OutError(f"{out}: exists and is not a folder")
    if data is not None and out.exists():
        resolved_data, resolved_out = data.resolve(), out.resolve()
        if resolved_data == resolved_out or resolved_out in resolved_data.parents:
            raise OutError(f"{out}: the documents ({data}) are inside this output folder, which a build "
                           "replaces as a whole; choose another --out")
    if out.is_dir():
        try:
            entries = sorted(p.name for p in out.iterdir())
        except OSError as exc:
            raise OutError(f"{out}: cannot list this folder ({exc.strerror or exc})") from exc
        if entries and not is_policykg_folder(out):
            raise OutError(f"{out}: folder is not empty and was not made by policykg (no {OUT_MARKER}); "
                           "choose another --out")
        foreign = [name for name in entries if name not in KNOWN_NAMES | _marker_files(out)]
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise OutError(f"{out}: holds files policykg did not write ({shown}); a build replaces the folder "
                           "as a whole, so move them out or choose another --out")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OutError(f"{out}: parent folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutError(f"{out}: cannot write here (no write permission on {parent})")


# --------------------------------------------------------------------------- the swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # a file system without RENAME_EXCHANGE: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


class OutFolder:
    """Exclusive use of one OUT for the length of a build (a context manager)."""

    def __init__(self, out: Path, data: Path | None = None) -> None:
        self.out = Path(out)
        if self.out.is_symlink() and self.out.exists():
            self.out = self.out.resolve()  # build into the folder the link points to
        self.data = data
        self.parent = self.out.absolute().parent
        self.lock_path = self.parent / f".{self.out.name}.lock"
        self.notes: list[str] = []
        self._lock_handle: int | None = None
        self._staging: list[Path] = []

    # -- lock and leftovers
    def __enter__(self) -> OutFolder:
        check_out(self.out, self.data)  # before the lock: no lock file beside an OUT we refuse
        self._lock()
        try:
            self._recover()
            check_out(self.out, self.data)
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for folder in self._staging:
            _remove_tree(folder)
        self._unlock()

    def _lock(self) -> None:
        if fcntl is None:
            return
        while True:
            try:
                handle = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise OutError(f"{self.out}: cannot create the build lock {self.lock_path} "
                               f"({exc.strerror})") from exc
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(handle, 64, 0).decode(errors="replace").strip() or "?"
                os.close(handle)
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise OutError(f"{self.out}: another policykg build (pid {holder}) is writing this folder; "
                                   "wait for it to finish or choose another --out") from exc
                raise OutError(f"{self.out}: cannot lock {self.lock_path} ({exc.strerror})") from exc
            try:  # the file is removed when a build ends: make sure we locked the one that is there
                if os.stat(self.lock_path).st_ino == os.fstat(handle).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(handle)
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        self._lock_handle = handle

    def _unlock(self) -> None:
        if self._lock_handle is not None:
            with contextlib.suppress(OSError):
                self.lock_path.unlink()  # while still holding it (see _lock)
            os.close(self._lock_handle)  # closing releases the flock
            self._lock_handle = None

    def _leftovers(self, kind: str) -> list[Path]:
        prefix = f".{self.out.name}.{kind}-"
        try:
            found = [p for p in self.parent.iterdir() if p.name.startswith(prefix) and p.is_dir()
                     and not p.is_symlink() and is_policykg_folder(p)]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime)

    def _recover(self) -> None:
        """Put back an OUT a killed build left half-swapped; remove its staging and old folders."""
        olds = self._leftovers("old")
        if not self.out.exists() and not self.out.is_symlink() and olds:
            olds[-1].rename(self.out)
            self.notes.append(f"restored {self.out} from {olds[-1].name} (an earlier build was stopped mid-swap)")
            olds = olds[:-1]
        for folder in [*olds, *self._leftovers("tmp")]:
            _remove_tree(folder)
            self.notes.append(f"removed {folder.name} left by an earlier build that was stopped")

    # -- staging and the swap
    def staging(self) -> Path:
        """A new empty folder beside OUT, marked as policykg's (so a leftover can be recognised)."""
        folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.parent))
        self._staging.append(folder)
        os.chmod(folder, 0o755 & ~_umask())
        write_marker(folder, [], complete=False)
        return folder

    def commit(self, staging: Path) -> None:
        """Swap the finished staging folder in as OUT; the old OUT is removed after."""
        files = sorted(p.name for p in staging.iterdir() if p.name != OUT_MARKER)
        write_marker(staging, files, complete=True)
        if self.out.exists():
            if (self.out / "falkordb").is_dir():
                from policykg.graph.embedded import stop_server

                stop_server(self.out)  # it serves the folder being replaced
            if _exchange(staging, self.out):
                return  # staging now holds the old OUT; __exit__ removes it
            old = self.parent / f".{self.out.name}.old-{time.time_ns()}"
            self.out.rename(old)
            self._staging.append(old)
            try:
                staging.rename(self.out)
            except OSError:
                old.rename(self.out)
                raise
        else:
            staging.rename(self.out)
        self._staging.remove(staging)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def out_folder(out: Path, data: Path | None = None) -> Iterator[OutFolder]:
    with OutFolder(out, data) as folder:
        yield folder
