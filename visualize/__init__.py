"""policykg.visualize stage: the graph (docs/graph-schema.md) as interactive HTML views that open
from the file system with no network (see views.py)."""

from policykg.visualize.views import DEFAULT_MAX_NODES, UnknownUnitError, write_views, write_views_from_out

__all__ = ["DEFAULT_MAX_NODES", "UnknownUnitError", "write_views", "write_views_from_out"]
