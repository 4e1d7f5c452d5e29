"""`policykg export neo4j-admin OUT`: files for loading the graph into Neo4j without policykg.

- `nodes_<Label>[_<Label>…].csv`, one per label set, and `relationships_<TYPE>.csv`, one per
  type, with the headers `neo4j-admin database import full` expects (`id:ID`, `:LABEL`,
  `:START_ID`, `:END_ID`, `:TYPE`, typed property columns such as `year:int`,
  `aliases:string[]`), plus `import.sh` with the exact command. For big corpora, into a new
  database. The importer cannot store an empty string in a typed column nor an empty array:
  such a property (a numeric `valueMax` left "", an empty `inferred` list) is imported as
  absent, where `policykg load` stores "" or [].
- `load.cypher`: schema statements and the same MERGE statements `policykg load` runs, with
  the rows written as literals, for `cypher-shell -f` on small graphs (idempotent; it does not
  remove documents replaced since, which `policykg load` does).
"""

from __future__ import annotations

import math
import shlex
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
from policykg.graph.cypher_load import (
    UNION_LIST_PROPERTIES,
    LoadError,
    merge_edges_statement,
    merge_nodes_statement,
    prepare_graph,
)
from policykg.graph.neo4j_loader import neo4j_schema_statements

ARRAY_DELIMITERS = (";", "|", "\u001f")
SCRIPT_BATCH = 500


def _column_type(values: list[Any]) -> str:
    """The neo4j-admin type of a property column, from its non-null values."""
    present = [value for value in values if value is not None and value != ""]  # "" = not given
    if not present:
        return "string"
    if all(isinstance(value, list) for value in present):
        items = [item for value in present for item in value]
        if items and all(isinstance(item, bool) for item in items):
            return "boolean[]"
        if items and all(isinstance(item, int) and not isinstance(item, bool) for item in items):
            return "long[]"
        if items and all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items):
            return "double[]"
        return "string[]"
    if any(isinstance(value, list) for value in present):
        return "string"
    if all(isinstance(value, bool) for value in present):
        return "boolean"
    if all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return "long"
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return "double"
    return "string"


def _cell(value: Any, column_type: str, delimiter: str) -> str | None:
    """The field's text; None where the property is absent (written as an empty, unquoted field,
    which neo4j-admin reads as "no property"; an empty string is written quoted and stays one)."""
    if value is None or (value == "" and column_type != "string"):
        return None  # "" in a typed column (a numeric valueMax left empty) cannot be written: absent
    if isinstance(value, list) and not value:
        return None  # neo4j-admin has no empty array: an empty list (Document.inferred) imports as absent
    if column_type.endswith("[]"):
        items = value if isinstance(value, list) else [value]
        return delimiter.join(("true" if item else "false") if isinstance(item, bool) else str(item) for item in items)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, list):
        return delimiter.join(str(item) for item in value)
    return str(value)


def _field(text: str | None) -> str:
    return "" if text is None else '"' + text.replace('"', '""') + '"'


def _pick_delimiter(rows: list[dict[str, Any]]) -> str:
    texts = [str(item) for row in rows for value in row.values() if isinstance(value, list) for item in value]
    for delimiter in ARRAY_DELIMITERS:
        if not any(delimiter in text for text in texts):
            return delimiter
    raise LoadError("every array delimiter candidate occurs inside a list value; cannot write neo4j-admin CSV")


def _write_csv(path: Path, header: list[str], rows: list[list[str | None]]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(_field(name) for name in header) + "\n")
        for row in rows:
            handle.write(",".join(_field(cell) for cell in row) + "\n")
    tmp.replace(path)


def cypher_literal(value: Any) -> str:
    """A Cypher literal for a value of our own graph (strings escaped; never user input)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "null" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, str):
        escaped = (value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
                   .replace("\t", "\\t"))
        return f"'{escaped}'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"`{key}`: {cypher_literal(item)}" for key, item in value.items()) + "}"
    return cypher_literal(str(value))


def export_neo4j_admin(graph: nx.MultiDiGraph, dest: str | Path) -> list[Path]:
    """Write the CSV files, import.sh and load.cypher into dest; returns the paths written."""
    prepared = prepare_graph(graph)
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    all_rows = [row["props"] | {name: row[name] for name in UNION_LIST_PROPERTIES if row.get(name) is not None}
                for rows in prepared.node_groups.values() for row in rows]
    all_rows += [row["props"] for rows in prepared.edge_groups.values() for row in rows]
    delimiter = _pick_delimiter(all_rows)
    written: list[Path] = []
    node_files: list[str] = []
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        records = [{"id": row["id"], **row["props"],
                    **{name: row[name] for name in UNION_LIST_PROPERTIES if row.get(name) is not None}}
                   for row in rows]
        names = sorted({key for record in records for key in record} - {"id"})
        types = {name: _column_type([record.get(name) for record in records]) for name in names}
        header = ["id:ID", ":LABEL", *[name if types[name] == "string" else f"{name}:{types[name]}" for name in names]]
        labels = delimiter.join((primary, *extra))
        body = [[record["id"], labels, *[_cell(record.get(name), types[name], delimiter) for name in names]]
                for record in records]
        path = target / f"nodes_{'_'.join((primary, *extra))}.csv"
        _write_csv(path, header, body)
        node_files.append(path.name)
        written.append(path)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (_source_label, rel_type, _target_label), rows in prepared.edge_groups.items():
        by_type[rel_type].extend(rows)
    rel_files: list[str] = []
    for rel_type, rows in sorted(by_type.items()):
        names = sorted({key for row in rows for key in row["props"]})
        types = {name: _column_type([row["props"].get(name) for row in rows]) for name in names}
        header = [":START_ID", ":END_ID", ":TYPE",
                  *[name if types[name] == "string" else f"{name}:{types[name]}" for name in names]]
        body = [[row["source"], row["target"], rel_type,
                 *[_cell(row["props"].get(name), types[name], delimiter) for name in names]] for row in rows]
        path = target / f"relationships_{rel_type}.csv"
        _write_csv(path, header, body)
        rel_files.append(path.name)
        written.append(path)

    # The database name goes first: --nodes/--relationships take one or more values (Neo4j
    # 5.19+), so a name after them would be read as one more CSV file.
    command = ["neo4j-admin database import full", '"${1:-neo4j}"', f"--array-delimiter={delimiter}",
               "--multiline-fields=true", "--overwrite-destination=false"]
    command += [f"--nodes={name}" for name in node_files] + [f"--relationships={name}" for name in rel_files]
    script = target / "import.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# Bulk import of a policykg graph into a NEW, stopped Neo4j database (default name: neo4j).\n"
        "# Run from this folder on the Neo4j host: ./import.sh [DATABASE]\n"
        "# Afterwards, create the constraints of load.cypher's first lines (cypher-shell) and start it.\n"
        "set -e\ncd \"$(dirname \"$0\")\"\n"
        + " \\\n  ".join(part if part.startswith(('"$', "neo4j-admin ")) else shlex.quote(part) for part in command)
        + "\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    written.append(script)

    lines = ["// policykg graph for cypher-shell -f load.cypher (small graphs; bulk: import.sh).",
             f"// {prepared.node_count} nodes, {prepared.edge_count} relationships; "
             "same statements as `policykg load`.", ""]
    lines += [statement + ";" for statement in neo4j_schema_statements(prepared.labels)]
    lines.append("")
    for (primary, extra), rows in sorted(prepared.node_groups.items()):
        statement = merge_nodes_statement(primary, extra)
        for start in range(0, len(rows), SCRIPT_BATCH):
            literal = cypher_literal(rows[start:start + SCRIPT_BATCH])
            lines.append(statement.replace("UNWIND $rows AS row", f"UNWIND {literal} AS row", 1) + ";")
    for (source_label, rel_type, target_label), rows in sorted(prepared.edge_groups.items()):
        statement = merge_edges_statement(source_label, rel_type, target_label)
        for start in range(0, len(rows), SCRIPT_BATCH):
            literal = cypher_literal(rows[start:start + SCRIPT_BATCH])
            lines.append(statement.replace("UNWIND $rows AS row", f"UNWIND {literal} AS row", 1) + ";")
    cypher_path = target / "load.cypher"
    tmp = cypher_path.with_suffix(".cypher.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(cypher_path)
    written.append(cypher_path)
    return written
