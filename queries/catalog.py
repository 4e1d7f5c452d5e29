"""The canned queries: one `.cypher` file each in this folder, with a header of `//` comments.

    // name: tasks_led_by
    // description: Tasks a unit leads (牵头单位), by document and outline path.
    // param: unit (unit, required): the unit, as an id, canonical name or alias; e.g. 市科技局
    // param: limit (int, optional, default 20): how many rows; e.g. 10
    // returns: unit, unitId, document, path, title

Parameter kinds: `unit` (resolved to a list of unit ids before the query runs), `doc` (resolved
to a list of document ids), `str`, `int`, `float`, `bool` (true/false). The whole file, header included, is the
statement both engines receive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

QUERY_DIR = Path(__file__).resolve().parent
PARAM_KINDS = ("unit", "doc", "str", "int", "float", "bool")
_HEADER_LINE = re.compile(r"^//\s*(name|description|param|returns):\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<kind>\w+)\s*,\s*(?P<need>required|optional)"
    r"(?:\s*,\s*default\s+(?P<default>[^)]*))?\)\s*:\s*(?P<text>.*)$"
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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
    statement: str  # the file's text, exactly as both engines receive it
    path: Path = field(compare=False)

    def param(self, name: str) -> QueryParam | None:
        return next((param for param in self.params if param.name == name), None)

    def usage(self) -> str:
        parts = [f"{self.name}: {self.description}"]
        for param in self.params:
            need = "required" if param.required else f"optional, default {param.default!r}"
            parts.append(f"  --param {param.name}=…  ({param.kind}, {need}) {param.description}"
                         + (f"; e.g. {param.example}" if param.example else ""))
        parts.append("  returns: " + ", ".join(self.returns))
        return "\n".join(parts)


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
    return CannedQuery(name, fields["description"], tuple(params),
                       tuple(column.strip() for column in fields["returns"].split(",") if column.strip()), text, path)


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
        close = [known for known in catalog if name in known or known in name]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `policykg query --list`"
        raise QueryError(f"no canned query named {name!r}{hint}")
    return catalog[name]
