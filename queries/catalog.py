"""The canned queries: one `.cypher` file each in this folder, with a header of `//` comments.

    // name: tasks_led_by
    // description: Tasks a unit leads (牵头单位), by document and outline path.
    // param: unit (unit, required): the unit, as an id, canonical name or alias; e.g. 市科技局
    // param: limit (int, optional, default 20): how many rows; e.g. 10
    // returns: unit, unitId, document, path, title
    // needs: task | doc path        (optional: which optional parameters must come together)

Parameter kinds: `unit` (resolved to a list of unit ids before the query runs), `doc` (resolved
to a list of document ids), `str`, `int`, `float`, `bool` (true/false). The whole file, header included, is the
statement both engines receive.

Where the Cypher must differ between the engines, the file says so once, with a line
`// neo4j: WHY` after the portable statement, followed by the statement Neo4j runs instead. The
embedded engine then receives the text before that line; Neo4j receives the header and the text
from that line on.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

QUERY_DIR = Path(__file__).resolve().parent
PARAM_KINDS = ("unit", "doc", "str", "int", "float", "bool")
_HEADER_LINE = re.compile(r"^//\s*(name|description|param|returns|needs|paged):\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<kind>\w+)\s*,\s*(?P<need>required|optional)"
    r"(?:\s*,\s*default\s+(?P<default>[^)]*))?\)\s*:\s*(?P<text>.*)$"
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENGINE_MARKER = re.compile(r"^//\s*(neo4j):", re.M)  # the start of an engine's own statement
ENGINES = ("falkordb", "neo4j")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """'; did you mean X?' naming the closest known words ('' when none is close)."""
    known = list(known)
    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    close += [k for k in known if k not in close and len(word) >= 3 and (word in k or k in word)][: 3 - len(close)]
    return f"; did you mean {' or '.join(close)}?" if close else ""


class QueryError(Exception):
    """A query that cannot run as asked (unknown name, bad parameter, refused statement)."""


class QueryCatalogError(QueryError):
    """A .cypher file whose header does not follow the format above."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    kind: str
    required: bool
    default: Any
    description: str
    example: str

    def convert(self, value: Any) -> Any:
        """A value given on the command line (text) or from Python, as this parameter's type."""
        if value is None:
            return None
        if self.kind == "int":
            if isinstance(value, bool):
                raise QueryError(f"parameter {self.name}: expected an integer, not {value!r}")
            try:
                return int(value)
            except (TypeError, ValueError):
                raise QueryError(f"parameter {self.name}: expected an integer, not {value!r}") from None
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes", "y", "on"):
                return True
            if text in ("false", "0", "no", "n", "off", ""):
                return False
            raise QueryError(f"parameter {self.name}: expected true or false, not {value!r}")
        if self.kind == "float":
            try:
                return float(value)
            except (TypeError, ValueError):
                raise QueryError(f"parameter {self.name}: expected a number, not {value!r}") from None
        if self.kind in ("unit", "doc") and isinstance(value, (list, tuple, set)):
            return [str(item) for item in value]
        return str(value)


@dataclass(frozen=True)
class CannedQuery:
    name: str
    description: str
    params: tuple[QueryParam, ...]
    returns: tuple[str, ...]
    statement: str  # the file's text, exactly as both engines receive it (or the portable part)
    path: Path = field(compare=False)
    needs: tuple[tuple[str, ...], ...] = ()  # alternatives of optional parameters, one of which is required
    variants: tuple[tuple[str, str], ...] = ()  # (engine, statement) where an engine differs
    paged: bool = False  # returns `total` and `rows` (one page of lists in `returns` order); see below

    def statement_for(self, engine: str) -> str:
        """The text `engine` ("falkordb" or "neo4j") receives."""
        return dict(self.variants).get(engine, self.statement)

    def param(self, name: str) -> QueryParam | None:
        return next((param for param in self.params if param.name == name), None)

    def check(self, given: Mapping[str, Any]) -> None:
        """Unknown names (with the closest), missing required parameters, unmet `needs`."""
        names = [param.name for param in self.params]
        for key in given:
            if key not in names:
                raise QueryError(f"query {self.name}: unknown parameter {key!r}{did_you_mean(key, names)}"
                                 f" (parameters: {', '.join(names) or 'none'})")
        present = {key for key, value in given.items() if value not in (None, "", [])}
        missing = [param.name for param in self.params if param.required and param.name not in present]
        if missing:
            raise QueryError(f"query {self.name}: missing parameter {', '.join(missing)} (required)")
        if self.needs and not any(set(group) <= present for group in self.needs):
            raise QueryError(f"query {self.name}: give {', or '.join(' and '.join(g) for g in self.needs)}")

    def example(self) -> str:
        """A command line that runs the query, with example values."""
        wanted = {param.name for param in self.params if param.required}
        if self.needs and not wanted:
            wanted = set(self.needs[0])
        parts = [f"policykg query {self.name}"]
        for param in self.params:
            if param.name in wanted and param.example:
                value = param.example if " " not in param.example else f"'{param.example}'"
                parts.append(f"-p {param.name}={value}")
        return " ".join(parts)

    def python_example(self) -> str:
        """The same example as a call of PolicyGraph.query."""
        wanted = {param.name for param in self.params if param.required} or set(self.needs[0] if self.needs else ())
        args = [repr(self.name), *(f"{p.name}={p.example!r}" for p in self.params if p.name in wanted and p.example)]
        return f".query({', '.join(args)})"

    def usage(self) -> str:
        parts = [f"{self.name}: {self.description}", "parameters (-p NAME=VALUE):"]
        for param in self.params:
            need = "required" if param.required else "optional" + (
                f", default {param.default!r}" if param.default is not None else "")
            parts.append(f"  {param.name} ({param.kind}, {need}): {param.description}"
                         + (f"; e.g. {param.example}" if param.example else ""))
        if not self.params:
            parts.append("  none")
        if self.needs:
            parts.append("  give " + ", or ".join(" and ".join(group) for group in self.needs))
        parts.append("returns: " + ", ".join(self.returns))
        parts.append("example: " + self.example())
        return "\n".join(parts)

    def summary(self) -> str:
        """One line: the description and the parameters (required ones first, optional in [])."""
        params = [param.name if param.required else f"[{param.name}]" for param in self.params]
        return f"{self.description} ({' '.join(params) or 'no parameters'})"


def parse_query_file(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[QueryParam] = []
    for line in text.splitlines():
        match = _HEADER_LINE.match(line.strip())
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip()
        if key == "param":
            params.append(_parse_param(path, value))
        elif key in fields:
            raise QueryCatalogError(f"{path}: header field {key!r} given twice")
        else:
            fields[key] = value
    for key in ("name", "description", "returns"):
        if not fields.get(key):
            raise QueryCatalogError(f"{path}: header has no '// {key}:' line")
    name = fields["name"]
    if name != path.stem or not _NAME.match(name):
        raise QueryCatalogError(f"{path}: query name {name!r} must be the file name in snake_case")
    for param in params:
        if f"${param.name}" not in text:
            raise QueryCatalogError(f"{path}: parameter {param.name!r} is declared but never used")
    needs = tuple(tuple(group.split()) for group in fields.get("needs", "").split("|") if group.strip())
    declared = {param.name for param in params}
    for group in needs:
        if not set(group) <= declared:
            raise QueryCatalogError(f"{path}: '// needs:' names undeclared parameters {sorted(set(group) - declared)}")
    paged = fields.get("paged", "").strip().lower()
    if paged not in ("", "true", "false"):
        raise QueryCatalogError(f"{path}: '// paged:' must be true or false, not {paged!r}")
    if paged == "true" and not {"limit", "skip"} <= declared:
        raise QueryCatalogError(f"{path}: a paged query declares the parameters limit and skip")
    statement, variants = text, []
    marker = _ENGINE_MARKER.search(text)
    if marker:
        statement = text[:marker.start()]
        header = "".join(line for line in statement.splitlines(keepends=True) if _HEADER_LINE.match(line.strip()))
        variants.append((marker.group(1), header + text[marker.start():]))
        if _ENGINE_MARKER.search(text, marker.end()):
            raise QueryCatalogError(f"{path}: more than one '// neo4j:' statement")
    return CannedQuery(name, fields["description"], tuple(params),
                       tuple(column.strip() for column in fields["returns"].split(",") if column.strip()),
                       statement, path, needs, tuple(variants), paged == "true")


def _parse_param(path: Path, value: str) -> QueryParam:
    match = _PARAM.match(value)
    if not match:
        raise QueryCatalogError(f"{path}: cannot read parameter line {value!r}; "
                                "expected 'NAME (KIND, required|optional[, default D]): text; e.g. EXAMPLE'")
    kind = match.group("kind")
    if kind not in PARAM_KINDS:
        raise QueryCatalogError(f"{path}: parameter kind {kind!r} is not one of {', '.join(PARAM_KINDS)}")
    text = match.group("text").strip()
    example = ""
    if "e.g." in text:
        text, example = (part.strip() for part in text.rsplit("e.g.", 1))
        text = text.rstrip(";, ")
    draft = QueryParam(match.group("name"), kind, match.group("need") == "required", None, text, example)
    default = match.group("default")
    if default is not None:
        draft = QueryParam(draft.name, kind, draft.required, draft.convert(default.strip()), text, example)
    return draft


@lru_cache(maxsize=4)
def load_catalog(directory: Path = QUERY_DIR) -> dict[str, CannedQuery]:
    """All canned queries by name (sorted)."""
    queries = [parse_query_file(path) for path in sorted(directory.glob("*.cypher"))]
    return {query.name: query for query in queries}


def canned_query(name: str) -> CannedQuery:
    catalog = load_catalog()
    if name not in catalog:
        hint = did_you_mean(name, catalog) or "; the canned queries: " + ", ".join(catalog)
        raise QueryError(f"no canned query named {name!r}{hint}")
    return catalog[name]
