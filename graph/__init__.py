"""policykg.graph: document model -> networkx graph, exports, database loaders."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: `policykg query` imports this package before it spawns its server
if TYPE_CHECKING:
    from typing import Any

    from policykg.graph.build import build_graph
    from policykg.graph.export import read_graph, write_outputs

__all__ = ["build_graph", "read_graph", "write_outputs"]

# imported on first use (PEP 562): a submodule (the embedded engine, the watchdog) does not pay
# for the graph builder and the extraction tables it imports
_HOME = {"build_graph": "policykg.graph.build", "read_graph": "policykg.graph.export",
         "write_outputs": "policykg.graph.export"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
