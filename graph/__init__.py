"""policykg.graph: document model -> networkx graph, exports, database loaders.

The names below are imported on first use (PEP 562), so that a module of this package that
needs none of them — the embedded engine a one-shot `policykg query` starts — does not pay for
the graph build and the extraction modules it imports."""

from __future__ import annotations

from typing import Any

__all__ = ["build_graph", "read_graph", "write_outputs"]


def __getattr__(name: str) -> Any:
    if name == "build_graph":
        from policykg.graph.build import build_graph

        return build_graph
    if name in ("read_graph", "write_outputs"):
        from policykg.graph import export

        return getattr(export, name)
    raise AttributeError(f"module 'policykg.graph' has no attribute {name!r}")
