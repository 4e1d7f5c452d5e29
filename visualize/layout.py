"""Node positions computed in Python, so that the browser never runs a physics simulation:
a 5,000-node view with physics on takes minutes to settle, with fixed positions it draws at once.

Three layouts, all deterministic (seeded) and without scipy:
- `force_layout`: Fruchterman-Reingold on a dense numpy distance matrix (rows in blocks, so
  memory stays bounded); fine up to a couple of thousand nodes.
- `grouped_layout`: for big components. Nodes are grouped (a plan's tasks and its document form
  one group); each group gets its own small force layout, the groups are placed by a force layout
  of the group graph with overlaps pushed apart, and nodes shared by several groups (a bureau
  working in many plans) sit at the centre of their neighbours, between the plans they link.
  Cost grows with the sum of the squared group sizes, not the square of the graph size.
- `radial_layout`: the ego views (one unit in the centre, its tasks on a ring, partners and
  entities outside, each near the tasks it touches); linear after one sort, so writing an ego
  view per unit stays linear in the size of the graph.
Components are laid out separately and packed in rows, largest first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

# Pixel distance between neighbouring nodes in vis-network coordinates.
NODE_SPACING = 60.0
# Above this many nodes a component is laid out by groups instead of one force layout.
GROUPED_ABOVE = 600
_DENSE_BLOCK = 512

Position = tuple[float, float]


def force_layout(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    *,
    iterations: int = 45,
    seed: int = 0,
) -> np.ndarray:
    """Fruchterman-Reingold positions (n × 2) roughly inside the unit disc."""
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    k = 2.0 / math.sqrt(n)
    # Large graphs: fewer iterations keep the cost bounded (n² per iteration).
    iterations = max(10, min(iterations, int(4e8 / (n * n)) if n > 0 else iterations))
    temperature = 0.2
    cooling = temperature / (iterations + 1)
    if edges:
        src = np.fromiter((e[0] for e in edges), dtype=np.int64, count=len(edges))
        dst = np.fromiter((e[1] for e in edges), dtype=np.int64, count=len(edges))
        weight = np.fromiter((e[2] for e in edges), dtype=np.float64, count=len(edges))
    else:
        src = dst = np.zeros(0, dtype=np.int64)
        weight = np.zeros(0)
    for _ in range(iterations):
        displacement = np.zeros((n, 2))
        xs, ys = pos[:, 0], pos[:, 1]
        for start in range(0, n, _DENSE_BLOCK):
            dx = xs[start : start + _DENSE_BLOCK, None] - xs[None, :]
            dy = ys[start : start + _DENSE_BLOCK, None] - ys[None, :]
            repulsion = (k * k) / np.maximum(dx * dx + dy * dy, 1e-6)
            displacement[start : start + _DENSE_BLOCK, 0] = (dx * repulsion).sum(axis=1)
            displacement[start : start + _DENSE_BLOCK, 1] = (dy * repulsion).sum(axis=1)
        if len(src):
            delta = pos[src] - pos[dst]
            dist = np.sqrt(np.maximum((delta**2).sum(axis=1), 1e-9))
            pull = delta * (dist * weight / k)[:, None]
            for axis in (0, 1):
                displacement[:, axis] += np.bincount(dst, pull[:, axis], n) - np.bincount(src, pull[:, axis], n)
        # Weak gravity keeps disconnected pieces of a group from drifting away.
        displacement -= pos * (0.05 * k)
        length = np.sqrt(np.maximum((displacement**2).sum(axis=1), 1e-12))
        pos += displacement * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cooling
    pos -= pos.mean(axis=0)
    radius = np.sqrt((pos**2).sum(axis=1)).max()
    return pos / radius if radius > 0 else pos


def _components(n: int, edges: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b, _ in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members[find(i)].append(i)
    return sorted(members.values(), key=lambda m: (-len(m), m[0]))


def _scaled(unit_positions: np.ndarray, count: int) -> np.ndarray:
    """Unit-disc positions scaled so that neighbouring nodes are about NODE_SPACING apart."""
    return unit_positions * (NODE_SPACING * 0.9 * math.sqrt(count) + NODE_SPACING * 0.5)


def _grouped_component(
    members: list[int], edges: Sequence[tuple[int, int, float]], group_of: Sequence[Hashable | None], seed: int
) -> dict[int, np.ndarray]:
    member_set = set(members)
    neighbours: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, w in edges:
        if a in member_set:
            neighbours[a].append((b, w))
            neighbours[b].append((a, w))
    # Home group of ungrouped nodes: the only group among their neighbours; nodes whose
    # neighbours span several groups are "shared" and placed between them afterwards.
    home: dict[int, Hashable] = {}
    shared: list[int] = []
    for i in members:
        if group_of[i] is not None:
            home[i] = group_of[i]
    for i in members:
        if i in home:
            continue
        groups = {group_of[j] for j, _ in neighbours[i] if group_of[j] is not None}
        if len(groups) == 1:
            home[i] = next(iter(groups))
        elif groups:
            shared.append(i)
        else:
            home[i] = ("ungrouped",)
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    for i in members:
        if i in home:
            by_group[home[i]].append(i)
    group_names = sorted(by_group, key=lambda g: (-len(by_group[g]), str(g)))
    group_index = {g: gi for gi, g in enumerate(group_names)}
    local_edges: dict[Hashable, list[tuple[int, int, float]]] = defaultdict(list)
    group_weights: dict[tuple[int, int], float] = defaultdict(float)
    index_in_group: dict[int, int] = {}
    for g in group_names:
        for li, i in enumerate(by_group[g]):
            index_in_group[i] = li
    for a, b, w in edges:
        if a not in member_set or a not in home or b not in home:
            continue
        ga, gb = home[a], home[b]
        if ga == gb:
            local_edges[ga].append((index_in_group[a], index_in_group[b], w))
        else:
            x, y = sorted((group_index[ga], group_index[gb]))
            group_weights[(x, y)] += w
    # Shared nodes pull their groups together, too.
    for i in shared:
        touched = sorted({group_index[home[j]] for j, _ in neighbours[i] if j in home})
        for x_pos, x in enumerate(touched):
            for y in touched[x_pos + 1 :]:
                group_weights[(x, y)] += 1.0
    radii = np.array([NODE_SPACING * 0.9 * math.sqrt(len(by_group[g])) + NODE_SPACING for g in group_names])
    centres = force_layout(
        len(group_names), [(x, y, min(w, 10.0) / 10.0) for (x, y), w in group_weights.items()], seed=seed
    )
    centres = _spread_without_overlap(centres * radii.sum() / max(1.0, math.sqrt(len(radii))), radii)
    positions: dict[int, np.ndarray] = {}
    for gi, g in enumerate(group_names):
        group_members = by_group[g]
        local = force_layout(len(group_members), local_edges[g], seed=seed + gi)
        local = _scaled(local, len(group_members)) + centres[gi]
        for li, i in enumerate(group_members):
            positions[i] = local[li]
    rng = np.random.default_rng(seed)
    for i in shared:
        placed = [positions[j] for j, _ in neighbours[i] if j in positions]
        centre = np.mean(placed, axis=0) if placed else np.zeros(2)
        positions[i] = centre + rng.normal(0.0, NODE_SPACING, size=2)
    return positions


def _spread_without_overlap(centres: np.ndarray, radii: np.ndarray, rounds: int = 80) -> np.ndarray:
    """Push apart circles (centres, radii) that overlap, keeping their arrangement."""
    centres = centres.copy()
    n = len(centres)
    if n < 2:
        return centres
    for _ in range(rounds):
        delta = centres[:, None, :] - centres[None, :, :]
        dist = np.sqrt(np.maximum((delta**2).sum(axis=2), 1e-9))
        need = radii[:, None] + radii[None, :]
        overlap = np.maximum(need - dist, 0.0)
        np.fill_diagonal(overlap, 0.0)
        if not overlap.any():
            break
        push = (delta / dist[:, :, None]) * (overlap / 2.0)[:, :, None]
        centres += push.sum(axis=1) * 0.5
    return centres


def _pack(pieces: list[np.ndarray]) -> list[np.ndarray]:
    """Place components (arrays of positions) in rows, largest first, without overlaps."""
    if not pieces:
        return []
    boxes = []
    for piece in pieces:
        low, high = piece.min(axis=0), piece.max(axis=0)
        boxes.append((low, high - low + NODE_SPACING * 1.5))
    # Rows about 1.6 times as wide as the whole is high: the shape of a screen.
    row_width = max(max(size[0] for _, size in boxes), math.sqrt(1.6 * sum(s[0] * s[1] for _, s in boxes)) * 1.15)
    placed: list[np.ndarray] = []
    x = y = row_height = 0.0
    for piece, (low, size) in zip(pieces, boxes, strict=True):
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        placed.append(piece - low + np.array([x, y]))
        x += size[0]
        row_height = max(row_height, size[1])
    everything = np.vstack(placed)
    centre = (everything.min(axis=0) + everything.max(axis=0)) / 2.0
    return [p - centre for p in placed]


def graph_layout(
    node_ids: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable, float]],
    groups: Mapping[Hashable, Hashable | None] | None = None,
    *,
    seed: int = 0,
    spacing: float = 1.0,
) -> dict[Hashable, Position]:
    """Positions for an undirected view of the nodes; `groups` (node -> group or None) is used
    for components above GROUPED_ABOVE nodes; `spacing` multiplies the distances (views whose
    nodes all carry long labels need more room)."""
    index = {node: i for i, node in enumerate(node_ids)}
    weights: dict[tuple[int, int], float] = defaultdict(float)
    for a, b, w in edges:
        ia, ib = index[a], index[b]
        if ia != ib:
            weights[(min(ia, ib), max(ia, ib))] += w
    edge_list = [(a, b, min(1.0 + math.log(w), 4.0) if w > 1 else w) for (a, b), w in weights.items()]
    group_of = [groups.get(node) if groups else None for node in node_ids]
    pieces: list[np.ndarray] = []
    piece_members: list[list[int]] = []
    singles: list[int] = []
    components = _components(len(node_ids), edge_list)
    edges_by_component: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    component_of = {}
    for ci, members in enumerate(components):
        for i in members:
            component_of[i] = ci
    for a, b, w in edge_list:
        edges_by_component[component_of[a]].append((a, b, w))
    for ci, members in enumerate(components):
        if len(members) == 1:
            singles.append(members[0])
            continue
        component_edges = edges_by_component[ci]
        if len(members) > GROUPED_ABOVE and any(group_of[i] is not None for i in members):
            placed = _grouped_component(members, component_edges, group_of, seed + ci)
            pieces.append(np.array([placed[i] for i in members]))
        else:
            local_index = {i: li for li, i in enumerate(members)}
            local = force_layout(
                len(members), [(local_index[a], local_index[b], w) for a, b, w in component_edges], seed=seed + ci
            )
            pieces.append(_scaled(local, len(members)))
        piece_members.append(members)
    if singles:
        # Isolated nodes: a square grid, so they stay out of the way of the connected ones.
        side = math.ceil(math.sqrt(len(singles)))
        grid = np.array([[(k % side) * NODE_SPACING, (k // side) * NODE_SPACING] for k in range(len(singles))])
        pieces.append(grid)
        piece_members.append(singles)
    positions: dict[Hashable, Position] = {}
    for piece, members in zip(_pack(pieces), piece_members, strict=True):
        for (x, y), i in zip(piece, members, strict=True):
            positions[node_ids[i]] = (round(float(x) * spacing, 1), round(float(y) * spacing, 1))
    return positions


def radial_layout(
    centre: Hashable,
    inner: Sequence[Hashable],
    outer_rings: Sequence[Mapping[Hashable, Sequence[Hashable]]],
) -> dict[Hashable, Position]:
    """The centre at (0, 0), `inner` nodes evenly on a ring in the given order, and for each of
    the outer rings: nodes touching several inner nodes on a ring inside the inner one (a partner
    of many tasks between the centre and its tasks), nodes touching one inner node on a ring
    outside, each in the order of the (mean) angle of the inner nodes it touches."""
    positions: dict[Hashable, Position] = {centre: (0.0, 0.0)}
    angle_of: dict[Hashable, float] = {}
    radius = max(NODE_SPACING * 2.5, len(inner) * NODE_SPACING * 1.1 / (2 * math.pi))
    inner_radius = radius
    for k, node in enumerate(inner):
        angle = 2 * math.pi * k / max(1, len(inner))
        angle_of[node] = angle
        positions[node] = (round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1))

    def place(ring: list[tuple[float, str, Hashable]], ring_radius: float) -> None:
        # Even spacing in the order of the wanted angles, rotated so that the first node sits
        # at its wanted angle: neighbours on the ring stay near the inner nodes they touch.
        ring.sort()
        offset = ring[0][0]
        for k, (_, _, node) in enumerate(ring):
            angle = offset + 2 * math.pi * k / len(ring)
            positions[node] = (round(ring_radius * math.cos(angle), 1), round(ring_radius * math.sin(angle), 1))

    for ring_number, ring in enumerate(outer_rings):
        inside: list[tuple[float, str, Hashable]] = []
        outside: list[tuple[float, str, Hashable]] = []
        for node, touched in ring.items():
            if node in positions:
                continue
            angles = sorted({angle_of[t] for t in touched if t in angle_of})
            mean = math.atan2(sum(math.sin(a) for a in angles), sum(math.cos(a) for a in angles)) if angles else 0.0
            (inside if len(angles) >= 2 else outside).append((mean % (2 * math.pi), str(node), node))
        if inside:
            place(inside, inner_radius * (0.45 + 0.2 * ring_number))
        if outside:
            radius = max(radius + NODE_SPACING * 3, len(outside) * NODE_SPACING / (2 * math.pi))
            place(outside, radius)
    return positions
