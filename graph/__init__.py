"""policykg.graph: document model -> networkx graph, exports, database loaders."""

from __future__ import annotations

from typing import Any

__all__ = ["build_graph", "read_graph", "write_outputs"]


def __getattr__(name: str) -> Any:
    # imported on first use: a rebuild from the cache imports neither networkx nor the resolver
    if name == "build_graph":
        from policykg.graph.build import build_graph

        return build_graph
    if name in ("read_graph", "write_outputs"):
        from policykg.graph import export

        return getattr(export, name)
    raise AttributeError(f"module 'policykg.graph' has no attribute {name!r}")
