"""policykg.graph: document model -> networkx graph, exports, database loaders."""

from policykg.graph.build import build_graph
from policykg.graph.export import read_graph, write_outputs

__all__ = ["build_graph", "read_graph", "write_outputs"]
