"""Build and start the throw-away Neo4j 5 server of tools/neo4j-server (tests and benches).

    python tools/neo4j-server/neo4j_server.py build   # mvn -q -B package, once (cached in ~/.m2)
    python tools/neo4j-server/neo4j_server.py run     # start it; prints the READY line; Ctrl-D stops

From Python: `with Neo4jServer.start() as server: server.uri, server.password, server.env()`.
The server stops when its stdin closes, so it never outlives the process that started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSES = HERE / "target" / "classes"
CLASSPATH_FILE = HERE / "target" / "classpath.txt"
MAIN_CLASS = "policykg.Neo4jTestServer"
SOURCES = [HERE / "pom.xml", *sorted((HERE / "src").rglob("*.java"))]

# Small heap and page cache: the machines are shared (2 cores). The --add-opens are those
# Neo4j's own launcher passes on Java 17.
JVM_OPTIONS = [
    "-Xms128m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=2",
    "-Dpolicykg.pagecache=64m", "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
]
START_TIMEOUT = 600.0  # minutes on a busy shared machine; seconds on an idle one


class Neo4jServerError(RuntimeError):
    """The server could not be built or started; the message says why."""


def missing_tools() -> list[str]:
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def is_built() -> bool:
    if not (CLASSPATH_FILE.is_file() and (CLASSES / "policykg" / "Neo4jTestServer.class").is_file()):
        return False
    built = min(CLASSPATH_FILE.stat().st_mtime, (CLASSES / "policykg" / "Neo4jTestServer.class").stat().st_mtime)
    return all(path.stat().st_mtime <= built for path in SOURCES)


def build(quiet: bool = True) -> None:
    """mvn -q -B package unless target/ is newer than the sources."""
    if is_built():
        return
    if shutil.which("mvn") is None:
        raise Neo4jServerError("Maven (mvn) is not installed: apt-get install maven openjdk-17-jdk-headless")
    result = subprocess.run(["mvn", "-q", "-B", "package"], cwd=HERE, capture_output=quiet, text=True)
    if result.returncode != 0:
        tail = "\n".join(((result.stdout or "") + (result.stderr or "")).splitlines()[-20:])
        raise Neo4jServerError(f"mvn package in {HERE} failed (exit {result.returncode}):\n{tail}")


def command(home: Path, port: int = 0) -> list[str]:
    classpath = os.pathsep.join([str(CLASSES), CLASSPATH_FILE.read_text(encoding="utf-8").strip()])
    extra = os.environ.get("POLICYKG_NEO4J_JVM_OPTIONS", "").split()
    return ["java", *JVM_OPTIONS, *extra, f"-Dpolicykg.home={home}", "-cp", classpath, MAIN_CLASS,
            *([str(port)] if port else [])]


def admin_command() -> list[str]:
    """`neo4j-admin` from the same jars (org.neo4j.cli.AdminTool): NEO4J_HOME and NEO4J_CONF in
    the environment name the home whose data/databases/ it writes, as on a Neo4j host."""
    classpath = os.pathsep.join([str(CLASSES), CLASSPATH_FILE.read_text(encoding="utf-8").strip()])
    return ["java", *JVM_OPTIONS, "-cp", classpath, "org.neo4j.cli.AdminTool"]


@dataclass
class Neo4jServer:
    process: subprocess.Popen[str]
    uri: str
    username: str
    password: str = field(repr=False)
    home: Path
    owns_home: bool
    log: deque[str] = field(default_factory=lambda: deque(maxlen=50), repr=False)

    @classmethod
    def start(cls, port: int = 0, home: Path | None = None, timeout: float = START_TIMEOUT) -> Neo4jServer:
        """Build if needed, start, wait for the READY line. With `home`, the data stays there
        after stop (a restart on it finds the database as the last server left it)."""
        if missing_tools():
            raise Neo4jServerError(f"{' and '.join(missing_tools())} not installed: "
                                   "apt-get install openjdk-17-jdk-headless maven")
        build()
        owns_home = home is None
        home = Path(tempfile.mkdtemp(prefix="policykg-neo4j-")) if home is None else home
        try:
            return cls._launch(port, home, owns_home, timeout)
        except BaseException:
            if owns_home:
                shutil.rmtree(home, ignore_errors=True)
            raise

    @classmethod
    def _launch(cls, port: int, home: Path, owns_home: bool, timeout: float) -> Neo4jServer:
        process = subprocess.Popen(command(home, port), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
        log: deque[str] = deque(maxlen=50)
        ready: list[str] = []
        seen = threading.Event()

        def pump() -> None:  # keep reading so the server never blocks on a full pipe
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("READY ") and not ready:
                    ready.append(line.strip())
                    seen.set()
                else:
                    log.append(line.rstrip())
            seen.set()

        threading.Thread(target=pump, name="neo4j-server-output", daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready and process.poll() is None and time.monotonic() < deadline:
            seen.wait(0.2)
        if not ready:
            process.kill()
            process.wait()
            tail = "\n".join(list(log)[-15:])
            raise Neo4jServerError(f"the Neo4j test server did not become ready (exit {process.returncode}):\n{tail}")
        _, uri, _, username, _, password = ready[0].split()
        return cls(process, uri, username, password, home, owns_home, log)

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USERNAME": self.username, "NEO4J_PASSWORD": self.password}

    @property
    def port(self) -> int:
        return int(self.uri.rsplit(":", 1)[1])

    def stop(self, timeout: float = 60.0) -> None:
        """Close stdin (the server shuts down and deletes its data), kill it if it lingers."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._clean()

    def kill(self) -> None:
        """Die at once (SIGKILL), as a crashed server would; a given data folder is left as it was."""
        self.process.kill()
        self.process.wait()
        self._clean()

    def _clean(self) -> None:
        if self.owns_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Neo4jServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"]:
        build(quiet="-v" not in argv)
        return 0
    if argv[:1] == ["run"]:
        with Neo4jServer.start() as server:
            print(f"READY {server.uri} user {server.username} password {server.password}", flush=True)
            sys.stdin.read()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
