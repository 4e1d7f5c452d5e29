"""A small read-only client for the embedded FalkorDB server, standard library only.

The official client (`falkordb`, on `redis`) takes longer to import (redis imports asyncio and
its cluster and sentinel support: ~0.1 s of CPU) than a one-shot `policykg query` spends on
everything else, so the commands that only read use this instead: the Redis protocol (RESP2)
over the server's Unix socket, the few commands a reading command sends (AUTH, INFO,
GRAPH.LIST, GET/MGET, GRAPH.RO_QUERY --compact) and the compact result set's scalar values,
lists and maps, decoded as the official client decodes them. A result holding a node, an edge,
a path or a temporal value raises NeedsFullClient: the caller runs it on the official client,
which also does every load, save and shutdown (graph/embedded.py).
"""

from __future__ import annotations

import contextlib
import socket

TYPE_CHECKING = False  # typing stays unimported until after the server's spawn (policykg/early_start.py)
if TYPE_CHECKING:
    from typing import Any

# compact result-set value types (FalkorDB's ResultSetScalarTypes)
_NULL, _STRING, _INTEGER, _BOOLEAN, _DOUBLE, _ARRAY, _MAP, _POINT = 1, 2, 3, 4, 5, 6, 10, 11


class ServerError(Exception):
    """An error reply of the server (its message)."""


class NeedsFullClient(Exception):
    """The result holds a value this reader does not decode (node, edge, path, date, vector)."""


def quote_string(text: str) -> str:
    """A string parameter as the official client writes it into the CYPHER header."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def param_text(value: Any) -> str:
    """A parameter value as Cypher text, exactly as falkordb.helpers.stringify_param_value."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        return quote_string(value) if value else '""'
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return f"[{','.join(map(param_text, value))}]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            if not name or "`" in name:
                raise ValueError(f"Cypher map key {name!r}: empty or with a backtick")
            parts.append(f"`{name}`:{param_text(item)}")
        return "{" + ",".join(parts) + "}"
    return str(value)


def params_header(params: dict[str, Any] | None) -> str:
    if not params:
        return "" if params is None else "CYPHER "
    header = "CYPHER "
    for key, value in params.items():
        name = str(key)
        if not name or "`" in name:
            raise ValueError(f"Cypher parameter name {name!r}: empty or with a backtick")
        header += f"`{name}`={param_text(value)} "
    return header


class FalkorReader:
    """One connection to a FalkorDB server on a Unix socket (AUTH with the password, if any)."""

    def __init__(self, socket_path: str, password: str | None = None, connect_timeout: float = 2.0) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._socket.settimeout(connect_timeout)
            self._socket.connect(socket_path)
            self._socket.settimeout(None)
            self._file = self._socket.makefile("rb")
            if password:
                self.command("AUTH", password)
        except BaseException:
            self._socket.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self._file.close()
        self._socket.close()

    # -- the protocol
    def command(self, *args: Any) -> Any:
        """Send one command; its reply (bulk strings as bytes; an error reply raises ServerError)."""
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            parts += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
        self._socket.sendall(b"".join(parts))
        reply = self._reply()
        if isinstance(reply, ServerError):
            raise reply
        return reply

    def _reply(self) -> Any:
        line = self._file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("the server closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self._file.read(size + 2)
            if len(data) != size + 2:
                raise ConnectionError("the server closed the connection")
            return data[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._reply() for _ in range(size)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return ServerError(rest.decode(errors="replace"))
        raise ConnectionError(f"not a Redis protocol reply: {line[:40]!r}")

    # -- the commands a reading command needs
    def info(self, section: str) -> dict[str, str]:
        text = self.command("INFO", section).decode(errors="replace")
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))

    def get(self, *keys: str) -> list[str | None]:
        values = self.command("MGET", *keys)
        return [value.decode() if isinstance(value, bytes) else value for value in values]

    def list_graphs(self) -> list[str]:
        return [name.decode() for name in self.command("GRAPH.LIST")]

    def ro_query(self, graph: str, statement: str, params: dict[str, Any] | None = None,
                 timeout_ms: int | None = None) -> tuple[list[str], list[dict[str, Any]]]:
        """GRAPH.RO_QUERY in the compact format: (columns, rows as dicts)."""
        args: list[Any] = ["GRAPH.RO_QUERY", graph, params_header(params) + statement, "--compact"]
        if timeout_ms is not None:
            args += ["timeout", int(timeout_ms)]
        reply = self.command(*args)
        if reply and isinstance(reply[-1], ServerError):  # a run-time error ends the reply
            raise reply[-1]
        if len(reply) < 3:  # statistics only: a statement that returns nothing
            return [], []
        columns = [name.decode() if isinstance(name, bytes) else str(name) for _kind, name in reply[0]]
        return columns, [dict(zip(columns, map(_value, row))) for row in reply[1]]


def _value(cell: list[Any]) -> Any:
    kind, value = cell[0], cell[1]
    if kind == _STRING:
        return value.decode() if isinstance(value, bytes) else str(value)
    if kind == _INTEGER:
        return int(value)
    if kind == _NULL:
        return None
    if kind == _DOUBLE:
        return float(value)
    if kind == _BOOLEAN:
        return (value.decode() if isinstance(value, bytes) else value) == "true"
    if kind == _ARRAY:
        return [_value(item) for item in value]
    if kind == _MAP:
        return {(value[i].decode() if isinstance(value[i], bytes) else str(value[i])): _value(value[i + 1])
                for i in range(0, len(value), 2)}
    if kind == _POINT:
        return {"latitude": float(value[0]), "longitude": float(value[1])}
    raise NeedsFullClient(f"value type {kind}")
