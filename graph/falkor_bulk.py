"""FalkorDB's GRAPH.BULK binary protocol: a FRESH graph's nodes and relationships in a few
commands, every value typed as the rows hold it (no CSV in between, so nothing is stripped,
retyped or turned into null on the way).

What the server reads (FalkorDB src/bulk_insert/bulk_insert.c, the format falkordb-bulk-loader
writes):

    GRAPH.BULK graph [BEGIN] <nodes> <relationships> <node tokens> <relationship tokens> token…

BEGIN (first command only) refuses a graph that exists. Each token is one label set (or one
relationship type) with its property names, then its entities:

    header : labels joined by ":" NUL, uint32 property count, each property name NUL
    node   : one value per property of the header
    edge   : uint64 source, uint64 target (internal node ids), then the values
    value  : 1 byte type, then  0 null (nothing; the property is not set), 1 bool (1 byte),
             2 double (8 bytes), 3 string (UTF-8, NUL-terminated), 4 long (int64),
             5 array (int64 length, then that many values)

Numbers in the machine's byte order (the server reads them as native integers and doubles).
Nodes of a fresh graph get the internal ids 0, 1, 2, … in the order the commands create them,
which is how relationships name their ends.

A string holding NUL cannot be written (the server would cut it there), nor text that is not
valid Unicode (a lone surrogate), nor an integer beyond 64 bits: `BulkUnsupported` says which,
and the caller loads by statements instead.

Property order: FalkorDB keeps a node's properties in the order they were set, skipping nulls,
so a row whose names are the header's (or an ordered part of them, the rest null) holds its
properties in its own order, as a `SET n += row` of the same row would; a row whose names come
in another order goes into a token of its own.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Any

# "=": the server reads native integers and doubles (standard sizes, no padding)
_LONG = struct.Struct("=Bq").pack
_DOUBLE = struct.Struct("=Bd").pack
_ARRAY = struct.Struct("=Bq").pack  # type byte 5 and the length
_COUNT = struct.Struct("=I").pack
_ENDS = struct.Struct("=QQ").pack
_NULL = b"\x00"
_TRUE = b"\x01\x01"
_FALSE = b"\x01\x00"
_STRING = b"\x03"
_NUL = b"\x00"

# Bytes of entities per command: the server holds a command's arguments while it runs it, and
# the client encodes the next command meanwhile (bench/bench_queries.py measures the load).
MAX_COMMAND_BYTES = 32 << 20


class BulkUnsupported(ValueError):
    """A value GRAPH.BULK cannot carry exactly; the message names it."""


# How long a GRAPH.BULK command may wait for its reply (and for its bytes to be taken): generous
# (the server runs a 32 MB command in well under a second), so that only a server that stopped
# answering reaches it: BULK_REPLY_SECONDS, plus BULK_SECONDS_PER_MB for each MB of the command;
# POLICYKG_BULK_TIMEOUT (seconds) replaces the first.
BULK_REPLY_SECONDS = 60.0
BULK_SECONDS_PER_MB = 2.0
BULK_TIMEOUT_ENV = "POLICYKG_BULK_TIMEOUT"


def bulk_reply_seconds(size: int) -> float:
    """The reply timeout of a GRAPH.BULK command of `size` bytes (see BULK_REPLY_SECONDS)."""
    base = BULK_REPLY_SECONDS
    setting = os.environ.get(BULK_TIMEOUT_ENV, "").strip()
    if setting:
        try:
            base = float(setting)
        except ValueError:
            raise ValueError(f"{BULK_TIMEOUT_ENV}={setting!r}: not a number of seconds") from None
        if not base > 0:
            raise ValueError(f"{BULK_TIMEOUT_ENV}={setting!r}: must be more than 0 seconds")
    return base + BULK_SECONDS_PER_MB * size / 1e6


def command_frame(args: Sequence[Any]) -> bytes:
    """A command as the Redis protocol sends it (an array of bulk strings)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += [b"$%d\r\n" % len(data), data, b"\r\n"]
    return b"".join(parts)


def command_step(args: Sequence[Any]) -> str:
    """What a GRAPH.BULK command's arguments hold, for an error message: "nodes Task, …;
    relationships LEADS, …" (each token's label set or type, once; a few, then how many more)."""
    start = 2 if len(args) > 1 and args[1] == "BEGIN" else 1
    node_tokens = int(args[start + 2])
    tokens = [arg[:arg.index(b"\x00")].decode(errors="replace") for arg in args[start + 4:]]
    parts = []
    for kind, names in (("nodes", tokens[:node_tokens]), ("relationships", tokens[node_tokens:])):
        distinct = list(dict.fromkeys(names))
        if distinct:
            more = f" and {len(distinct) - 3} more" if len(distinct) > 4 else ""
            parts.append(f"{kind} {', '.join(distinct[:3] if more else distinct)}{more}")
    return "; ".join(parts) or "empty"


class BulkReplyError(Exception):
    """The server's error reply to a command (its message)."""


class BulkConnection:
    """A connection of its own for the GRAPH.BULK commands (the Redis protocol over the server's
    socket), whose every command has a deadline: a server that stops answering (stopped,
    wedged) raises TimeoutError after `bulk_reply_seconds` and the connection is closed (the
    server never receives half a command from it afterwards), instead of a wait without end."""

    def __init__(self, address: str | tuple[str, int], password: str | None, timeout: float) -> None:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self._socket: socket.socket | None = socket.socket(family, socket.SOCK_STREAM)
        self._buffer = b""
        try:
            self._socket.settimeout(timeout)
            self._socket.connect(address)
            if password:
                self.command(["AUTH", password], timeout)
        except BaseException:
            self.close()
            raise

    @classmethod
    def like(cls, redis_client: object, timeout: float = 60.0) -> BulkConnection:
        """A connection to the server (and with the password) of an official (redis-py) client."""
        kwargs = redis_client.connection_pool.connection_kwargs  # type: ignore[attr-defined]
        address = kwargs.get("path") or (kwargs.get("host", "localhost"), int(kwargs.get("port", 6379)))
        return cls(address, kwargs.get("password"), timeout)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def command(self, args: Sequence[Any], timeout: float) -> Any:
        """Send one command and read its reply within `timeout` seconds in all (TimeoutError
        then, the connection closed); an error reply raises BulkReplyError."""
        return self.send_frame(command_frame(args), timeout)

    def send_frame(self, frame: bytes, timeout: float) -> Any:
        """command() of a command already framed (command_frame)."""
        if self._socket is None:
            raise ConnectionError("the GRAPH.BULK connection was closed after an earlier failure")
        deadline = time.monotonic() + timeout
        try:
            self._socket.settimeout(timeout)
            self._socket.sendall(frame)
            return self._reply(deadline)
        except BaseException:
            self.close()  # whatever was not read (or sent) of this command must never be taken for the next
            raise

    def _receive(self, deadline: float) -> None:
        assert self._socket is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply in time")
        self._socket.settimeout(left)
        data = self._socket.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self._buffer += data

    def _reply(self, deadline: float) -> Any:
        while b"\r\n" not in self._buffer:
            self._receive(deadline)
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise BulkReplyError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self._buffer) < size + 2:
                self._receive(deadline)
            data, self._buffer = self._buffer[:size], self._buffer[size + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._reply(deadline) for _ in range(size)]
        raise ConnectionError(f"not a Redis protocol reply: {line[:40]!r}")


def _array(items: list[Any]) -> bytes:
    if items and _ONLY_TEXT.issuperset(map(type, items)):  # most lists (docs, aliases): encode_row's bytes
        text = "\x03" + "\x00\x03".join(items) + "\x00"
        if text.count("\x00") != len(items):
            raise BulkUnsupported("a text holding NUL")
        return _ARRAY(5, len(items)) + text.encode()
    return _ARRAY(5, len(items)) + encode_row(items)[0]


_ONLY_TEXT = frozenset((str,))


_NoneType = type(None)
_PIECE = {int: "LONG(4, v[{0}])", float: "DOUBLE(2, v[{0}])", bool: "(TRUE if v[{0}] else FALSE)",
          list: "array(v[{0}])", _NoneType: "NULL"}
_SCOPE = {"LONG": _LONG, "DOUBLE": _DOUBLE, "TRUE": _TRUE, "FALSE": _FALSE, "NULL": _NULL, "array": _array,
          "BulkUnsupported": BulkUnsupported}
# struct codes of a value packed with its type byte (a null: the type byte 0 alone)
_FIXED = {int: ("Bq", 4), float: ("Bd", 2), bool: ("BB", 1), _NoneType: ("x", None)}
Encoder = Callable[[bytes, list[Any]], bytes]  # (prefix, values) -> the prefix and the values encoded
_ENCODERS: dict[tuple[bool, tuple[type, ...]], tuple[Encoder, int]] = {}


def _encoder(types: tuple[type, ...], check_nul: bool) -> tuple[Encoder, int]:
    """A function encoding a prefix (a relationship's ends) and a row of values of these types
    (slot_encoder's, every value in its own place), and how many of the values are not null."""
    slots = tuple(None if kind is _NoneType else (place, kind) for place, kind in enumerate(types))
    return slot_encoder(slots, check_nul), sum(slot is not None for slot in slots)


Slot = tuple[int, type] | None  # (place in the values, its type), or None: not set (null)
_SLOT_ENCODERS: dict[tuple[bool, tuple[Slot, ...]], Encoder] = {}


def slot_encoder(slots: tuple[Slot, ...], check_nul: bool) -> Encoder:
    """A function encoding a prefix (a relationship's ends) and the values of an entity picked
    out of a list: slot k is `values[place]` (of that type) or null (None). A reader that keeps
    an element's values as parsed encodes them without making a row of them first.

    Made once per slot signature (a graph has a few dozen): each run of texts is joined and
    encoded at once ("\\x03" text NUL for each), each other value packed alone, all in one
    expression — a fraction of the work of deciding each value's type in a loop. check_nul:
    refuse a text holding NUL (it would end early on the server)."""
    found = _SLOT_ENCODERS.get((check_nul, slots))
    if found is not None:
        return found
    texts, pieces, runs = [], ["p"], 0
    fixed: dict[str, Callable[..., bytes]] = {}
    number = 0
    while number < len(slots):
        slot = slots[number]
        if slot is not None and slot[1] is str:
            end = number
            while end < len(slots) and slots[end] is not None and slots[end][1] is str:  # type: ignore[index]
                end += 1
            places = [slots[k][0] for k in range(number, end)]  # type: ignore[index]
            if places == list(range(places[0], places[0] + len(places))):  # side by side: a slice
                items = f"v[{places[0]}:{places[-1] + 1}]"
            else:
                items = "(" + "".join(f"v[{place}], " for place in places) + ")"
            texts.append(f'    t{len(texts)} = "\\x03" + "\\x00\\x03".join({items}) + "\\x00"')
            pieces.append(f"t{len(texts) - 1}.encode()")
            runs += end - number
            number = end
            continue
        kind = _NoneType if slot is None else slot[1]
        if kind not in _PIECE:
            raise BulkUnsupported(f"a value of type {kind.__name__}")
        end = number
        while end < len(slots) and (slots[end] is None or slots[end][1] in _FIXED):  # type: ignore[index]
            end += 1
        if end - number < 2:
            pieces.append(_PIECE[kind].format(0 if slot is None else slot[0]))
            number += 1
            continue
        # a run of numbers, booleans and nulls (start and end, say): one struct.pack for all
        codes, arguments = "=", []
        for other in slots[number:end]:
            code, type_byte = _FIXED[_NoneType if other is None else other[1]]
            codes += code
            if type_byte is not None:
                arguments.append(f"{type_byte}, v[{other[0]}]")  # type: ignore[index]
        name = f"F{len(fixed)}"
        fixed[name] = struct.Struct(codes).pack
        pieces.append(f"{name}({', '.join(arguments)})")
        number = end
    lines = ["def encode(p, v):", *texts]
    if texts and check_nul:  # every NUL must be a terminator
        lines += ["    if " + " + ".join(f't{n}.count("\\x00")' for n in range(len(texts))) + f" != {runs}:",
                  '        raise BulkUnsupported("a text holding NUL")']
    lines.append(f"    return b\"\".join([{', '.join(pieces)}])")
    scope = {**_SCOPE, **fixed}
    exec(compile("\n".join(lines), f"<GRAPH.BULK row {len(_SLOT_ENCODERS)}>", "exec"), scope)  # code of our own making
    found = _SLOT_ENCODERS[(check_nul, slots)] = scope["encode"]
    return found


def encode_row(values: list[Any], check_nul: bool = True) -> tuple[bytes, int]:
    """The values one after the other in the protocol's encoding (None: not set), and how many
    were not None."""
    types = tuple(map(type, values))
    found = _ENCODERS.get((check_nul, types))
    if found is None:
        found = _ENCODERS[(check_nul, types)] = _encoder(types, check_nul)
    return found[0](b"", values), found[1]


def _header(name: str, keys: Sequence[str]) -> bytes:
    return b"".join([name.encode(), _NUL, _COUNT(len(keys)), *(key.encode() + _NUL for key in keys)])


def merged_names(key_tuples: Iterable[tuple[str, ...]]) -> list[str]:
    """One header for rows with these property names: every name once, each row's names in its
    order where the rows agree (a name missing so far goes right after the name it follows)."""
    header: list[str] = []
    seen: set[str] = set()
    for keys in key_tuples:
        previous = None
        for key in keys:
            if key not in seen:
                header.insert(header.index(previous) + 1 if previous is not None else 0, key)
                seen.add(key)
            previous = key
    return header


@dataclass
class _Token:
    name: str
    keys: tuple[str, ...]
    parts: list[bytes] = field(default_factory=list)


class BulkWriter:
    """Tokens of nodes and relationships, sent as GRAPH.BULK commands of at most
    `max_entities` entities and about `max_bytes` bytes each, through `send(args)` (which may
    run the command on another thread: the next one is encoded meanwhile)."""

    def __init__(self, graph: str, send: Callable[[list[Any]], Any], max_entities: int,
                 max_bytes: int = MAX_COMMAND_BYTES, check_nul: bool = True) -> None:
        """check_nul=False: the caller knows that no text holds NUL (the loader saw no \\u0000
        in graph.json), so the texts are not searched for one."""
        self.graph = graph
        self.send = send
        self.check_nul = check_nul
        self.max_entities = max(1, max_entities)
        self.max_bytes = max_bytes
        self.nodes = 0  # the internal id of the next node
        self.relationships = 0
        self.properties = 0  # values set (not null)
        self.commands = 0
        self._tokens: dict[bool, list[bytes]] = {False: [], True: []}  # node tokens, relationship tokens
        self._counts = {False: 0, True: 0}  # entities pending
        self._bytes = 0

    def add_nodes(self, labels: Sequence[str], rows: Sequence[tuple[tuple[str, ...], list[Any]]]) -> int:
        """Nodes with these labels, rows of (property names, values); returns the internal id of
        the first node (the others follow in order)."""
        first = self.nodes
        self._add(":".join(labels), ((keys, values, b"") for keys, values in rows), edges=False)
        self.nodes += len(rows)
        return first

    def add_relationships(self, rel_type: str, rows: Sequence[tuple[int, int, dict[str, Any]]]) -> None:
        """Relationships of one type: (source internal id, target internal id, properties)."""
        self._add(rel_type, ((tuple(props), [*props.values()], _ENDS(source, target))
                             for source, target, props in rows), edges=True)
        self.relationships += len(rows)

    def add_encoded_relationships(self, rel_type: str, keys: tuple[str, ...], parts: Sequence[bytes],
                                  properties: int) -> None:
        """Relationships of one type already encoded (their ends and the values of `keys`, by a
        slot_encoder), `properties` values set among them: cut into commands where _add cuts
        (at max_entities entities or once max_bytes bytes are reached), the cuts found from
        the running sizes (bisect) rather than entity by entity."""
        sizes = list(accumulate(map(len, parts), initial=0))  # sizes[k]: bytes of parts[:k]
        count = len(parts)
        pending = self._counts[True]
        max_entities, max_bytes = self.max_entities - self._counts[False], self.max_bytes - self._bytes
        start = 0
        while True:  # the last part of the command being filled: where either limit is reached
            end = min(start + max(max_entities - pending, 1) - 1,
                      bisect_left(sizes, sizes[start] + max_bytes, start + 1) - 1)
            if end >= count:
                break
            self._close(_Token(rel_type, keys, list(parts[start:end + 1])), True)
            self._counts[True] = pending + end + 1 - start
            self._bytes += sizes[end + 1] - sizes[start]
            self.flush()
            start, pending = end + 1, 0
            max_entities, max_bytes = self.max_entities, self.max_bytes
        self._close(_Token(rel_type, keys, list(parts[start:])), True)
        self._counts[True] = pending + count - start
        self._bytes += sizes[count] - sizes[start]
        self.relationships += count
        self.properties += properties

    def _add(self, name: str, rows: Iterable[tuple[tuple[str, ...], list[Any], bytes]], edges: bool) -> None:
        rows = list(rows)
        header = tuple(merged_names(dict.fromkeys(keys for keys, _values, _prefix in rows)))
        positions = {key: number for number, key in enumerate(header)}
        # per tuple of names: None (the header itself), the header places of its names (an ordered
        # part of the header: nulls between), or () (another order: a token of its own names)
        places_of: dict[tuple[str, ...], tuple[int, ...] | None] = {header: None}
        token = _Token(name, header)
        parts = token.parts
        last_keys: tuple[str, ...] | None = header
        places: tuple[int, ...] | None = None
        pending, others = self._counts[edges], self._counts[not edges]
        size = properties = 0
        encoders, check_nul = _ENCODERS, self.check_nul
        max_entities, max_bytes = self.max_entities - others, self.max_bytes - self._bytes
        try:
            for keys, values, prefix in rows:
                if keys != last_keys:  # rows of a group mostly share their names
                    last_keys = keys
                    places = places_of.get(keys, False)  # type: ignore[arg-type]
                    if places is False:
                        found = tuple(positions[key] for key in keys)
                        places = places_of[keys] = found if all(a < b for a, b in pairwise(found)) else ()
                    token_keys = keys if places == () else header
                    if token.keys != token_keys:
                        self._close(token, edges)
                        token = _Token(name, token_keys)
                    parts = token.parts
                if places:
                    full: list[Any] = [None] * len(header)
                    for place, value in zip(places, values):
                        full[place] = value
                    values = full
                signature = (check_nul, tuple(map(type, values)))
                encoder = encoders.get(signature)
                if encoder is None:
                    encoder = encoders[signature] = _encoder(signature[1], check_nul)
                data = encoder[0](prefix, values)
                properties += encoder[1]
                parts.append(data)
                size += len(data)
                pending += 1
                if pending >= max_entities or size >= max_bytes:
                    self._close(token, edges)
                    self._counts[edges] = pending
                    self._bytes += size
                    self.flush()
                    token, size, pending = _Token(name, token.keys), 0, 0
                    parts = token.parts
                    max_entities, max_bytes = self.max_entities, self.max_bytes
        except BulkUnsupported as exc:
            raise BulkUnsupported(f"{'relationship' if edges else 'node'} {name}: {exc}") from exc
        except UnicodeEncodeError as exc:
            raise BulkUnsupported(f"{'relationship' if edges else 'node'} {name}: a text that is not "
                                  f"valid Unicode ({exc.reason})") from exc
        except (struct.error, OverflowError) as exc:
            raise BulkUnsupported(f"{'relationship' if edges else 'node'} {name}: an integer beyond "
                                  "64 bits") from exc
        finally:
            self.properties += properties
        self._close(token, edges)
        self._counts[edges] = pending
        self._bytes += size

    def _close(self, token: _Token | None, edges: bool) -> None:
        if token is not None and token.parts:
            self._tokens[edges].append(b"".join([_header(token.name, token.keys), *token.parts]))

    def flush(self) -> None:
        """Send what is pending as one command."""
        nodes, edges = self._tokens[False], self._tokens[True]
        if not nodes and not edges:
            return
        args: list[Any] = [self.graph, *(["BEGIN"] if self.commands == 0 else []),
                           self._counts[False], self._counts[True], len(nodes), len(edges), *nodes, *edges]
        self._tokens = {False: [], True: []}
        self._counts = {False: 0, True: 0}
        self._bytes = 0
        self.commands += 1
        self.send(args)
