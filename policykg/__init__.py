"""policykg: who is responsible for what in Chinese government policy documents.

The stages live under this namespace: `policykg.extract` (text -> document model),
`policykg.graph` (model -> networkx, exports, database loaders), `policykg.queries` (canned
Cypher, one runner for the embedded engine and Neo4j), `policykg.visualize` (graph -> HTML).
The functions below are what the CLI commands call.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: `policykg query` imports this before it spawns its server
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "build", "connect", "evaluate", "open", "tasks"]


def build(data: Any, out: Any = "out", **kwargs: Any) -> Any:
    """Build the graph and tables from a folder (or file) of plans; see policykg.api.build."""
    from policykg.api import build as _build

    return _build(data, out, **kwargs)


def open(out: Any = "out", neo4j: bool | None = None, **kwargs: Any) -> Any:
    """The graph to query, rows via .query()/.cypher(): Neo4j when `neo4j` is true or, with
    neo4j=None, when NEO4J_URI is set (as the CLI chooses); else OUT on the embedded engine.
    Says which on stderr in one line."""
    import os
    import sys

    from policykg.queries.runner import connect_neo4j, open_embedded

    if neo4j or (neo4j is None and os.environ.get("NEO4J_URI")):
        print(f"engine: Neo4j at {os.environ.get('NEO4J_URI')}", file=sys.stderr)
        neo4j_kwargs = {key: kwargs[key] for key in ("username", "password", "database", "timeout_ms")
                        if key in kwargs}
        return connect_neo4j(**neo4j_kwargs)
    print(f"engine: embedded FalkorDB under {out} (NEO4J_URI unset)", file=sys.stderr)
    return open_embedded(out, **kwargs)


def connect(uri: str | None = None, **kwargs: Any) -> Any:
    """Connect to Neo4j (NEO4J_URI etc. by default); rows via .query()/.cypher()."""
    from policykg.queries.runner import connect_neo4j

    return connect_neo4j(uri, **kwargs)


def tasks(unit: str, out: Any = "out", *, jurisdiction: str | None = None, role: str | None = None,
          all_editions: bool = False) -> Any:
    """The tasks a unit leads and takes part in (any alias), the rows `policykg tasks` prints."""
    from policykg.api import tasks as _tasks

    return _tasks(unit, out, jurisdiction=jurisdiction, role=role, all_editions=all_editions)


def evaluate(gold_dir: Any, out: Any = "out", sources: Any = None) -> dict[str, Any]:
    """Score a build against annotated plans (`policykg evaluate`): P/R/F1 per document."""
    from policykg.evaluate import evaluate as _evaluate

    return _evaluate(gold_dir, out, sources)
