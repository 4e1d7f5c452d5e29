"""Node positions computed in Python, so that the browser never runs a physics simulation:
a 5,000-node view with physics on takes minutes to settle, with fixed positions it draws at once.

`grouped_layout` is the one layout of the network views: nodes come in groups (communities of
the co-operation network, or jurisdictions in the aggregated view); every group gets its own
Fruchterman-Reingold layout and the groups are packed apart in rows, largest first, so that a
community reads as one island with its name above it. A group bigger than GROUP_CAP is cut into
pieces of at most GROUP_CAP nodes (in breadth-first order, so that neighbours stay together) laid
out side by side. The dense force layout is quadratic in the size of what it lays out, and never
sees more than GROUP_CAP nodes, so the whole layout is linear in the size of the view.
Deterministic (seeded); the force layout is igraph's (C), the rest numpy. The page script
(policykg-views.js) uses the same scheme when filters or an expanded neighbourhood change what
is shown.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import igraph
import numpy as np

# Pixel distance between neighbouring nodes in vis-network coordinates.
NODE_SPACING = 60.0
# The most nodes one dense force layout sees (its cost is quadratic in them).
GROUP_CAP = 400

Position = tuple[float, float]


@dataclass
class GroupBox:
    """Where a group was placed: its bounding box (for its label drawn above it)."""

    group: Hashable
    x: float
    y: float
    width: float
    height: float
    size: int


@contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    """igraph's random numbers (the order Louvain visits nodes in, the jitter of two nodes that
    coincide in a force layout) drawn from a generator of this seed while inside: the same input
    gives the same bytes. Python's global `random` is neither used nor reseeded."""
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def force_layout(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    *,
    iterations: int = 50,
    seed: int = 0,
) -> np.ndarray:
    """Fruchterman-Reingold positions (n × 2) inside the unit disc, for small n (its cost is n²
    a round): igraph's, in C, from a seeded random start (five times the speed of the same
    rounds in numpy, whose call overhead dominated the many small pieces of a big view)."""
    if n <= 1:
        return np.zeros((n, 2))
    start = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, 2)) * math.sqrt(n)
    graph = igraph.Graph(n=n, edges=[(a, b) for a, b, _ in edges])
    with seeded_igraph(seed):
        layout = graph.layout_fruchterman_reingold(weights=[w for _, _, w in edges] if edges else None,
                                                   niter=iterations, seed=start.tolist(), grid=False)
    pos = np.array(layout.coords, dtype=np.float64).reshape(n, 2)
    pos -= pos.mean(axis=0)
    radius = np.sqrt((pos**2).sum(axis=1)).max()
    return pos / radius if radius > 0 else pos


def _scaled(unit_positions: np.ndarray, count: int, spacing: float) -> np.ndarray:
    """Unit-disc positions scaled so that neighbouring nodes are about NODE_SPACING apart."""
    return unit_positions * (NODE_SPACING * spacing * (0.9 * math.sqrt(count) + 0.5))


def _pieces(members: list[int], neighbours: tuple[np.ndarray, np.ndarray], cap: int) -> list[list[int]]:
    """Members cut into pieces of at most `cap`, in breadth-first order within the group;
    `neighbours` is the graph as (offsets, neighbour indices): node i's are indices[offsets[i]:offsets[i+1]]."""
    if len(members) <= cap:
        return [members]
    offsets, indices = neighbours
    member_set = set(members)
    seen: set[int] = set()
    order: list[int] = []
    # Start from the best connected members: hubs first, their neighbourhoods with them.
    for start in sorted(members, key=lambda i: -int(offsets[i + 1] - offsets[i])):
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        while queue:
            i = queue.popleft()
            order.append(i)
            for j in indices[offsets[i]:offsets[i + 1]].tolist():
                if j in member_set and j not in seen:
                    seen.add(j)
                    queue.append(j)
    count = math.ceil(len(order) / cap)
    size = math.ceil(len(order) / count)
    return [order[p : p + size] for p in range(0, len(order), size)]


def grouped_layout(
    node_ids: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable, float]],
    group_of: Mapping[Hashable, Hashable] | None = None,
    *,
    seed: int = 0,
    spacing: float = 1.0,
    cap: int = GROUP_CAP,
) -> tuple[np.ndarray, list[GroupBox]]:
    """Positions (n × 2, in the order of `node_ids`, rounded to 0.1) for an undirected view of
    the nodes, each group an island of its own, and the boxes of the groups (largest first).
    Nodes missing from `group_of` form one group (None). The edges are handled as arrays."""
    n = len(node_ids)
    index = {node: i for i, node in enumerate(node_ids)}
    groups = [group_of.get(node) if group_of else None for node in node_ids]
    group_number: dict[Hashable, int] = {}
    group_of_node = np.fromiter((group_number.setdefault(g, len(group_number)) for g in groups), dtype=np.int64,
                                count=n)
    ends = np.array([(index[a], index[b], w) for a, b, w in edges], dtype=np.float64).reshape(-1, 3)
    a, b = ends[:, 0].astype(np.int64), ends[:, 1].astype(np.int64)
    kept = a != b
    low, high, w = np.minimum(a, b)[kept], np.maximum(a, b)[kept], ends[kept, 2]
    # Every linked pair once (in the order of its smaller end, then larger), its weights summed.
    pair, which = np.unique(low * max(n, 1) + high, return_inverse=True)
    weight = np.bincount(which.ravel(), weights=w, minlength=len(pair))
    low, high = pair // max(n, 1), pair % max(n, 1)
    both = np.concatenate((low, high))
    other = np.concatenate((high, low))
    order = np.argsort(both, kind="stable")
    neighbours = (np.concatenate(([0], np.cumsum(np.bincount(both, minlength=n)))), other[order])
    members_of: dict[Hashable, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members_of[group].append(i)
    ordered_groups = _linked_order(members_of, group_number, group_of_node, low, high, weight)
    pieces: list[tuple[Hashable, int, list[int]]] = []  # (group, seed, members)
    piece_of = np.zeros(n, dtype=np.int64)
    local_of = np.zeros(n, dtype=np.int64)
    for gi, group in enumerate(ordered_groups):
        for pi, piece in enumerate(_pieces(members_of[group], neighbours, cap)):
            piece_of[piece] = len(pieces)
            local_of[piece] = np.arange(len(piece))
            pieces.append((group, seed + gi * 31 + pi, piece))
    # The edges inside each piece, in pieces' order: a pair of more than one task pulls harder.
    inside = piece_of[low] == piece_of[high]
    local_weight = np.where(weight > 1, np.minimum(1.0 + np.log(np.maximum(weight, 1.0)), 4.0), weight)[inside]
    in_piece, local_a, local_b = piece_of[low[inside]], local_of[low[inside]], local_of[high[inside]]
    by_piece = np.argsort(in_piece, kind="stable")
    bounds = np.searchsorted(in_piece[by_piece], np.arange(len(pieces) + 1))
    laid_out: list[np.ndarray] = []
    for p, (_, piece_seed, piece) in enumerate(pieces):
        rows = by_piece[bounds[p]:bounds[p + 1]]
        piece_edges = list(zip(local_a[rows].tolist(), local_b[rows].tolist(), local_weight[rows].tolist(),
                               strict=True))
        laid_out.append(_scaled(force_layout(len(piece), piece_edges, seed=piece_seed), len(piece), spacing))
    placed = _pack(laid_out)
    positions = np.zeros((n, 2))
    extent: dict[Hashable, list[float]] = {}
    for (group, _, piece), pos in zip(pieces, placed, strict=True):
        positions[piece] = pos
        low_corner, high_corner = pos.min(axis=0), pos.max(axis=0)
        box = extent.setdefault(group, [float(low_corner[0]), float(low_corner[1]), float(high_corner[0]),
                                        float(high_corner[1]), 0])
        box[0], box[1] = min(box[0], float(low_corner[0])), min(box[1], float(low_corner[1]))
        box[2], box[3] = max(box[2], float(high_corner[0])), max(box[3], float(high_corner[1]))
        box[4] += len(piece)
    boxes = [GroupBox(g, round(b[0], 1), round(b[1], 1), round(b[2] - b[0], 1), round(b[3] - b[1], 1), int(b[4]))
             for g, b in extent.items()]
    return np.round(positions, 1), boxes


def _linked_order(members_of: Mapping[Hashable, list[int]], group_number: Mapping[Hashable, int],
                  group_of_node: np.ndarray, low: np.ndarray, high: np.ndarray, weight: np.ndarray,
                  chained: int = 200) -> list[Hashable]:
    """Groups largest first, except that each of the `chained` largest is followed by the one most
    linked to those already placed: linked communities end up side by side in the rows. Beyond
    them, by size (keeps the cost bounded)."""
    by_size = sorted(members_of, key=lambda g: (-len(members_of[g]), str(g)))
    head, tail = by_size[:chained], by_size[chained:]
    if len(head) < 3:
        return by_size
    rank = np.full(len(group_number), -1, dtype=np.int64)
    for i, g in enumerate(head):
        rank[group_number[g]] = i
    ga, gb = rank[group_of_node[low]], rank[group_of_node[high]]
    between = (ga >= 0) & (gb >= 0) & (ga != gb)
    link = np.zeros((len(head), len(head)))  # at most chained² cells
    np.add.at(link, (ga[between], gb[between]), weight[between])
    link += link.T
    to_placed = link[0].copy()
    placed = [0]
    left = np.ones(len(head), dtype=bool)
    left[0] = False
    for _ in range(len(head) - 1):
        # the most linked of those left; a tie goes to the larger (the earlier in head)
        best = int(np.argmax(np.where(left, to_placed, -np.inf)))
        placed.append(best)
        left[best] = False
        to_placed += link[best]
    return [head[i] for i in placed] + tail


def _pack(pieces: list[np.ndarray]) -> list[np.ndarray]:
    """Place pieces (arrays of positions) in rows, in the given order, without overlaps; room is
    left above each piece for its group's name."""
    if not pieces:
        return []
    boxes = []
    for piece in pieces:
        low, high = piece.min(axis=0), piece.max(axis=0)
        boxes.append((low, high - low + np.array([NODE_SPACING * 1.5, NODE_SPACING * 2.0])))
    # Rows about 1.6 times as wide as the whole is high: the shape of a screen.
    row_width = max(max(size[0] for _, size in boxes), math.sqrt(1.6 * sum(s[0] * s[1] for _, s in boxes)) * 1.1)
    placed: list[np.ndarray] = []
    x = y = row_height = 0.0
    for piece, (low, size) in zip(pieces, boxes, strict=True):
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        placed.append(piece - low + np.array([x, y + NODE_SPACING]))
        x += size[0]
        row_height = max(row_height, size[1])
    everything = np.vstack(placed)
    centre = (everything.min(axis=0) + everything.max(axis=0)) / 2.0
    return [p - centre for p in placed]
