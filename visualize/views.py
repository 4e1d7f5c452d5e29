"""The interactive views: graph (docs/graph-schema.md) -> self-contained HTML pages in OUT/views/.

Networks are built with pyvis (its Node/Edge data model and options); the pages come from this
package's own templates, because pyvis' template pulls bootstrap (and, unless inlined,
vis-network and tom-select) from a CDN, which leaves a blank page on an offline machine. The
vendored vis-network files are written once to views/assets/ (or inlined into every page), and
every position is computed in Python with physics off, so a page draws at once even at 10k nodes.

Views written:
- network.html: the whole graph (aggregated to units and documents above `max_nodes`);
- cooperation.html: units linked when they share tasks, weighted by how many;
- documents/<file>.html: one plan: its document node and every edge that came from it;
- units/<id>.html: one unit's ego view: its tasks, their partners, entities and targets;
- index.html: links, summary numbers, tasks led/participated per unit, responsibility matrix.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from policykg.visualize.layout import graph_layout, radial_layout
from pyvis.edge import Edge
from pyvis.network import Network
from pyvis.node import Node

ASSETS_DIR = Path(__file__).parent / "assets"
TEMPLATES_DIR = Path(__file__).parent / "templates"
ASSET_FILES = ("vis-network.min.js", "vis-network.min.css", "policykg-views.js", "policykg-views.css",
               "policykg-index.js")
# Above this many nodes a view is aggregated (units and documents only) instead of drawn whole.
DEFAULT_MAX_NODES = 6000
# Views with more nodes than this hide edges while dragging/zooming, to stay responsive.
BIG_VIEW = 1500

RESPONSIBILITY_TYPES = ("LEADS", "PARTICIPATES_IN")
ROLE_LETTER = {"LEADS": "L", "PARTICIPATES_IN": "P"}


class UnknownUnitError(ValueError):
    """A view was asked for a unit that is not in the graph; the message lists the closest names."""


@lru_cache(maxsize=1)
def styles() -> dict[str, dict[str, dict[str, Any]]]:
    """Colour, shape and legend text per node kind and per relationship type."""
    with open(TEMPLATES_DIR / "styles.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def _script_json(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no '</' can close the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("</", "<\\/").replace("<!--", "<\\!--"))


def _short(text: str, limit: int) -> str:
    """At most `limit` characters, cut in the middle: a plan's period and status at the end stay."""
    from policykg.graph.labels import shorten

    return shorten(str(text), limit, len)


def _slug(text: str, taken: set[str]) -> str:
    """A file name that is safe on any file system (letters of any script, digits, - _ .)."""
    base = re.sub(r"[^\w.-]+", "_", text).strip("._")[:80] or "view"
    slug, n = base, 1
    while slug.lower() in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug.lower())
    return slug


class _ViewNetwork(Network):
    """A pyvis Network whose add_node/add_edge take constant time (pyvis looks node ids up in a
    list, quadratic at 10k nodes); nodes and edges are still pyvis Node/Edge option dicts."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(directed=True, height="100%", width="100%")
        self.options = options
        self._node_set: set[str] = set()

    def add_node(self, n_id: str, label: str | None = None, shape: str | None = None, color: str | None = None,
                 **options: Any) -> None:
        if n_id in self._node_set:
            return
        node = Node(n_id, shape, label=label if label is not None else n_id, font_color=self.font_color, **options)
        if shape is None:  # the page script takes shape and colour from the kind's style
            del node.options["shape"]
        if color is not None:
            node.options["color"] = color
        self.nodes.append(node.options)
        self.node_ids.append(n_id)
        self.node_map[n_id] = node.options
        self._node_set.add(n_id)

    def add_edge(self, source: str, to: str, **options: Any) -> None:
        if source not in self._node_set or to not in self._node_set:
            raise ValueError(f"edge {source} -> {to} names a node that is not in the view")
        # directed=False: pyvis would write arrows="to" into every edge; the view's options do it once.
        self.edges.append(Edge(source, to, False, **options).options)


@dataclass
class ViewGraph:
    """What one page shows: node ids of the graph and edges (graph edges or derived ones)."""

    kind: str  # network | document | ego | cooperation
    title: str
    subtitle: str
    path: str  # relative to views/
    nodes: list[str]
    # (from, to, key, properties with "type"): the graph's key for graph edges, the relationship
    # type for derived ones (co-operation, aggregation); the page's edge id is from|to|key.
    edges: list[tuple[str, str, str, dict[str, Any]]]
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    note: str = ""
    aggregated: bool = False
    centre: str | None = None


class GraphIndex:
    """One linear pass over the graph: what every view needs to select its nodes quickly."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.kind: dict[str, str] = {}
        self.units: list[str] = []
        self.documents: list[str] = []
        for node, data in graph.nodes(data=True):
            label = str(data.get("label") or "_other")
            self.kind[node] = label
            labels = data.get("labels") or [label]
            if "Unit" in labels:
                self.units.append(node)
            if label == "Document":
                self.documents.append(node)
        self.unit_set = frozenset(self.units)
        self.tooltips: dict[str, str] = {}
        self.node_facts: dict[str, dict[str, Any]] = {}
        self.edge_tooltips: dict[tuple[str, str, str], str] = {}
        self._docs_cache: dict[str, list[int]] = {}
        self.documents.sort(key=lambda d: (str(graph.nodes[d].get("name", "")), d))
        self.units.sort(key=lambda u: (str(graph.nodes[u].get("name", "")), u))
        self.doc_index = {doc: i for i, doc in enumerate(self.documents)}
        self.doc_of_sha: dict[str, str] = {}
        for doc in self.documents:
            sha = graph.nodes[doc].get("sha256") or graph.nodes[doc].get("docSha256")
            if sha:
                self.doc_of_sha[str(sha)] = doc
        self.tasks_of_unit: dict[str, list[tuple[str, str]]] = defaultdict(list)  # unit -> (task, type)
        self.units_of_task: dict[str, dict[str, str]] = defaultdict(dict)  # task -> unit -> L/P
        self.mentioning_tasks: dict[str, list[str]] = defaultdict(list)
        self.edges_of_doc: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
        self.doc_of_task: dict[str, str] = {}
        for source, target, key, data in graph.edges(keys=True, data=True):
            rel = data.get("type")
            if rel in RESPONSIBILITY_TYPES:
                self.tasks_of_unit[source].append((target, rel))
                letter = ROLE_LETTER[rel]
                if self.units_of_task[target].get(source) != "L":
                    self.units_of_task[target][source] = letter
            elif rel == "MENTIONS" and self.kind.get(source) == "Task":
                self.mentioning_tasks[target].append(source)
            elif rel == "PART_OF" and self.kind.get(target) == "Document":
                self.doc_of_task[source] = target
            doc = self.doc_of_sha.get(str(data.get("docSha256")))
            if doc is not None:
                self.edges_of_doc[doc].append((source, target, key))
        for node, data in graph.nodes(data=True):
            if self.kind[node] == "Task" and node not in self.doc_of_task:
                doc = data.get("docId") if data.get("docId") in self.doc_index else self.doc_of_sha.get(
                    str(data.get("docSha256")))
                if doc is not None:
                    self.doc_of_task[node] = doc

    # --- node facts -------------------------------------------------------------------------

    def node_docs(self, node: str) -> list[int]:
        """Indices (into self.documents) of the documents a node occurs in."""
        cached = self._docs_cache.get(node)
        if cached is None:
            cached = self._docs_cache[node] = self._node_docs(node)
        return cached

    def _node_docs(self, node: str) -> list[int]:
        data = self.graph.nodes[node]
        if self.kind[node] == "Document":
            return [self.doc_index[node]]
        if node in self.doc_of_task:
            return [self.doc_index[self.doc_of_task[node]]]
        shas = list(data.get("docs") or []) or [data.get("docSha256")]
        return sorted({self.doc_index[self.doc_of_sha[s]] for s in map(str, shas) if s in self.doc_of_sha})

    def names(self, node: str) -> list[str]:
        """Every name a node can be searched by: name, aliases, id, and a task's path and title."""
        data = self.graph.nodes[node]
        found: list[str] = []
        for value in (data.get("name"), data.get("title"), data.get("path"), *(data.get("aliases") or []),
                      data.get("titleOriginal"), node):
            if value and str(value) not in found:
                found.append(str(value))
        return found

    def display_name(self, node: str) -> str:
        data = self.graph.nodes[node]
        return str(data.get("name") or data.get("title") or node)

    def resolve_units(self, queries: Iterable[str]) -> list[str]:
        """Unit ids for names, aliases or ids; an unknown one raises UnknownUnitError."""
        by_name: dict[str, list[str]] = defaultdict(list)
        for unit in self.units:
            for name in self.names(unit):
                if unit not in by_name[name]:
                    by_name[name].append(unit)
        resolved: list[str] = []
        for query in queries:
            hits = by_name.get(query.strip())
            if not hits:
                raise UnknownUnitError(self._unknown_unit_message(query, by_name))
            resolved.extend(h for h in hits if h not in resolved)
        return resolved

    def _unknown_unit_message(self, query: str, by_name: dict[str, list[str]]) -> str:
        query = query.strip()
        if not self.units:
            return f"unknown unit '{query}': the graph has no units"
        scored: list[tuple[float, str, str]] = []
        for unit in self.units:
            best, best_name = 0.0, ""
            for name in self.names(unit):
                if name == unit:
                    continue  # ids are accepted but not suggested
                score = difflib.SequenceMatcher(None, query, name).ratio()
                if query and (query in name or name in query):
                    score = max(score, 0.6 + 0.4 * min(len(query), len(name)) / max(len(query), len(name)))
                if score > best:
                    best, best_name = score, name
            if best >= 0.3:
                scored.append((best, self.display_name(unit), best_name))
        scored.sort(key=lambda item: (-item[0], item[1]))
        if not scored:
            return f"unknown unit '{query}': no similar unit name among {len(self.units)} units"
        shown = [name if written == name else f"{name} (written {written})" for _, name, written in scored[:6]]
        return f"unknown unit '{query}'; closest names: " + ", ".join(shown)


# --- selecting what each view shows --------------------------------------------------------------


def _graph_edges(index: GraphIndex, triples: Iterable[tuple[str, str, Any]]) -> list[tuple[str, str, str, dict]]:
    edges = []
    for source, target, key in triples:
        edges.append((source, target, str(key), index.graph.edges[source, target, key]))
    return edges


def whole_network_view(index: GraphIndex) -> ViewGraph:
    graph = index.graph
    return ViewGraph("network", "全部网络 Whole network", f"{len(index.documents)} documents", "network.html",
                     list(graph.nodes), _graph_edges(index, graph.edges(keys=True)))


def document_view(index: GraphIndex, doc: str, path: str) -> ViewGraph:
    """A plan: its document node and every edge that came from it (edge docSha256 = its sha256)."""
    triples = index.edges_of_doc.get(doc, [])
    nodes = [doc]
    seen = {doc}
    for source, target, _ in triples:
        for node in (source, target):
            if node not in seen:
                seen.add(node)
                nodes.append(node)
    data = index.graph.nodes[doc]
    subtitle = " · ".join(str(x) for x in (data.get("issuer"), data.get("jurisdiction"), data.get("file")) if x)
    return ViewGraph("document", index.display_name(doc), subtitle, path, nodes, _graph_edges(index, triples))


def ego_view(index: GraphIndex, unit: str, path: str) -> ViewGraph:
    """A unit, the tasks it leads, joins or is mentioned by, and everything on those tasks except
    their PART_OF link to the document (the document is in each task's tooltip and filter)."""
    graph = index.graph
    tasks: list[str] = []
    seen_tasks: set[str] = set()
    for task, _ in index.tasks_of_unit.get(unit, []):
        if task not in seen_tasks:
            seen_tasks.add(task)
            tasks.append(task)
    for task in index.mentioning_tasks.get(unit, []):
        if task not in seen_tasks:
            seen_tasks.add(task)
            tasks.append(task)
    tasks.sort(key=lambda t: (index.doc_of_task.get(t, ""), str(graph.nodes[t].get("start", 0)).zfill(9), t))
    triples: list[tuple[str, str, Any]] = []
    for task in tasks:
        triples.extend((s, t, k) for s, t, k in graph.in_edges(task, keys=True))
        triples.extend((s, t, k) for s, t, k, rel in graph.out_edges(task, keys=True, data="type")
                       if rel != "PART_OF")
    nodes, seen = [unit], {unit}
    for source, target, _ in triples:
        for node in (source, target):
            if node not in seen:
                seen.add(node)
                nodes.append(node)
    led = sum(1 for _, rel in index.tasks_of_unit.get(unit, []) if rel == "LEADS")
    joined = sum(1 for _, rel in index.tasks_of_unit.get(unit, []) if rel == "PARTICIPATES_IN")
    subtitle = f"{index.kind[unit]} · 牵头 L {led} · 参与 P {joined} · {len(tasks)} tasks"
    view = ViewGraph("ego", index.display_name(unit), subtitle, path, nodes, _graph_edges(index, triples),
                     centre=unit)
    # Partners on the second ring, entities and indicators on the third, each near its tasks.
    partners: dict[str, list[str]] = defaultdict(list)
    others: dict[str, list[str]] = defaultdict(list)
    for source, target, _ in triples:
        if source in seen_tasks and target not in seen_tasks:
            others[target].append(source)
        elif target in seen_tasks and source not in seen_tasks and source != unit:
            partners[source].append(target)
    view.positions = radial_layout(unit, tasks, [partners, others])
    return view


def cooperation_view(index: GraphIndex, max_nodes: int) -> ViewGraph:
    """Units linked when they share tasks (lead or participant), weighted by how many."""
    weight: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    task_count: Counter[str] = Counter()
    for task, roles in index.units_of_task.items():
        members = sorted(roles)
        task_count.update(members)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                weight[(a, b)] += 1
                if len(examples[(a, b)]) < 5:
                    examples[(a, b)].append(task)
    nodes = sorted(task_count, key=lambda u: (-task_count[u], u))
    note = ""
    if len(nodes) > max_nodes:
        note = f"Showing the {max_nodes} units with the most tasks of {len(nodes)}."
        nodes = nodes[:max_nodes]
    kept = set(nodes)
    edges = []
    for (a, b), count in sorted(weight.items()):
        if a in kept and b in kept:
            titles = "\n".join(f"· {index.graph.nodes[t].get('path', '')} {_short(index.display_name(t), 40)}"
                                for t in examples[(a, b)])
            more = f"\n… and {count - len(examples[(a, b)])} more" if count > len(examples[(a, b)]) else ""
            edges.append((a, b, "CO_OPERATES", {"type": "CO_OPERATES", "weight": count,
                                             "tasks": titles + more}))
    subtitle = f"{len(nodes)} units · {len(edges)} pairs sharing tasks"
    return ViewGraph("cooperation", "协作网络 Unit co-operation", subtitle, "cooperation.html", nodes, edges, note=note)


def aggregated(index: GraphIndex, view: ViewGraph, max_nodes: int) -> ViewGraph:
    """Units and documents only, a unit linked to a plan by how many of its tasks it leads or
    joins there: what a view shows when the full one would have more than max_nodes nodes."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for source, target, _, data in view.edges:
        rel = data.get("type")
        if rel in RESPONSIBILITY_TYPES and target in index.doc_of_task:
            counts[(source, index.doc_of_task[target], rel)] += 1
    nodes = [n for n in view.nodes if index.kind.get(n) == "Document" or n == view.centre]
    seen = set(nodes)
    for unit, doc, _ in counts:
        for node in (unit, doc):
            if node not in seen:
                seen.add(node)
                nodes.append(node)
    edges = [(unit, doc, rel, {"type": rel, "weight": n, "tasks": f"{n} tasks"})
             for (unit, doc, rel), n in sorted(counts.items())]
    note = (f"Aggregated: the full view has {len(view.nodes)} nodes (more than {max_nodes}); shown are "
            f"units and documents, linked by the number of tasks led or joined. Open a document's "
            f"or a unit's view for the detail.")
    return ViewGraph(view.kind, view.title, view.subtitle, view.path, nodes, edges, note=note, aggregated=True,
                     centre=view.centre)


# --- drawing ---------------------------------------------------------------------------------------


def _node_tooltip(index: GraphIndex, node: str) -> str:
    """The hover text of a node; the same in every view, so computed once per node."""
    cached = index.tooltips.get(node)
    if cached is None:
        cached = index.tooltips[node] = _compose_node_tooltip(index, node)
    return cached


def _compose_node_tooltip(index: GraphIndex, node: str) -> str:
    data = index.graph.nodes[node]
    kind = index.kind[node]
    lines: list[str] = []
    doc_indices = index.node_docs(node)
    doc_names = [index.display_name(index.documents[i]) for i in doc_indices[:4]]
    if kind == "Task":
        lines.append(_short(str(data.get("title") or data.get("name") or node), 120))
        lines.append(f"任务 Task {data.get('path', '')}")
        if data.get("quote"):
            lines.append(f"“{_short(data['quote'], 300)}”")
        if doc_names:
            lines.append(f"文件 {doc_names[0]}")
        roles = index.units_of_task.get(node, {})
        if roles:
            lines.append("L: " + "、".join(index.display_name(u) for u, r in roles.items() if r == "L"))
            partners = [index.display_name(u) for u, r in roles.items() if r == "P"]
            if partners:
                lines.append("P: " + _short("、".join(partners), 200))
    elif kind == "Document":
        lines.append(index.display_name(node))
        period = "–".join(str(data[k]) for k in ("periodStart", "periodEnd") if data.get(k))
        lines.append(" · ".join(str(x) for x in (data.get("issuer"), data.get("jurisdiction"), period,
                                                 data.get("status"), data.get("file")) if x))
    else:
        lines.append(f"{index.display_name(node)} ({kind})")
        aliases = [a for a in data.get("aliases") or [] if a != data.get("name")]
        if aliases:
            lines.append("别名 also written: " + _short("、".join(map(str, aliases)), 200))
        extra = [str(data[k]) for k in ("subtype", "jurisdiction", "unit") if data.get(k)]
        if extra:
            lines.append(" · ".join(extra))
        roles = index.tasks_of_unit.get(node)
        if roles:
            led = sum(1 for _, r in roles if r == "LEADS")
            lines.append(f"牵头 L {led} · 参与 P {len(roles) - led}")
        if doc_names:
            lines.append(f"{len(doc_indices)} document(s): " + _short("；".join(doc_names), 160))
    return "\n".join(lines)


def _edge_tooltip(index: GraphIndex, data: dict[str, Any]) -> str:
    rel = str(data.get("type"))
    legend = styles()["edges"].get(rel, styles()["edges"]["_other"])["legend"]
    lines = [legend]
    if data.get("weight") is not None:
        lines[0] += f" × {data['weight']}"
    if data.get("tasks"):
        lines.append(str(data["tasks"]))
    if data.get("written"):
        lines.append(f"written: {data['written']}")
    if rel == "TARGETS":
        value = data.get("value")
        if data.get("valueMax") not in (None, ""):
            value = f"{value}–{data['valueMax']}"
        lines.append(" ".join(str(x) for x in (data.get("year"), data.get("qualifier"), value, data.get("unit"))
                              if x not in (None, "")))
    if data.get("quote"):
        lines.append(f"“{_short(data['quote'], 200)}”")
    if data.get("taskPath"):
        lines.append(f"task {data['taskPath']}")
    return "\n".join(lines)


def _node_label(index: GraphIndex, node: str) -> str:
    data = index.graph.nodes[node]
    kind = index.kind[node]
    if kind == "Task":
        return str(data.get("path") or _short(index.display_name(node), 12))
    if kind == "Document":
        return _short(index.display_name(node), 18)
    return _short(index.display_name(node), 16)


def _layout(index: GraphIndex, view: ViewGraph) -> dict[str, tuple[float, float]]:
    if view.positions:
        return view.positions
    groups: dict[str, str | None] = {}
    if view.kind == "cooperation":
        groups = {n: index.graph.nodes[n].get("jurisdiction") for n in view.nodes}
    else:
        for node in view.nodes:
            if index.kind[node] == "Document":
                groups[node] = node
            elif node in index.doc_of_task:
                groups[node] = index.doc_of_task[node]
    # Unweighted: heavy pairs pulled together would pile the busiest units (and their labels) up.
    # Every node of the co-operation view is a unit with a long label drawn at any zoom: more room.
    spacing = 2.0 if view.kind == "cooperation" else 1.0
    return graph_layout(view.nodes, [(s, t, 1.0) for s, t, _, _ in view.edges], groups, spacing=spacing)


def _vis_options(n_nodes: int) -> dict[str, Any]:
    big = n_nodes > BIG_VIEW
    return {
        "autoResize": True,
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "nodes": {"font": {"size": 13, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 1, "scaling": {"label": {"drawThreshold": 6}}},
        # Arrowheads halve the drawing time of a big view, and at its fitted zoom they are
        # smaller than a pixel; direction is always unit -> task -> document there anyway.
        "edges": {"smooth": False, "arrows": {"to": {"enabled": not big, "scaleFactor": 0.45}},
                  "selectionWidth": 2, "hoverWidth": 1.5},
        "interaction": {"hover": not big, "tooltipDelay": 150, "hideEdgesOnDrag": big, "hideEdgesOnZoom": big,
                        "multiselect": False, "navigationButtons": False, "keyboard": False},
    }


def _node_facts(index: GraphIndex, node: str) -> dict[str, Any]:
    """The parts of a node's vis item that are the same in every view (computed once)."""
    facts = index.node_facts.get(node)
    if facts is None:
        kind = index.kind[node]
        # Units and documents keep readable labels when zoomed out; tasks and entities give way.
        font_size = 18 if kind == "Document" or node in index.unit_set else 12
        facts = index.node_facts[node] = {
            "label": _node_label(index, node), "title": _node_tooltip(index, node), "kind": kind,
            "font": {"size": font_size}, "names": index.names(node)}
    return facts


def view_page_data(index: GraphIndex, view: ViewGraph, hrefs: dict[str, str], root: str) -> dict[str, Any]:
    """Everything the page script needs: vis nodes/edges (pyvis dicts) and the view's facts.
    Colour, shape, dashes and default widths come from the kind's or type's style and edge ids
    are from|to|key: the page script fills those in, so that big views stay small to parse."""
    node_styles, edge_styles = styles()["nodes"], styles()["edges"]
    positions = _layout(index, view)
    degree: Counter[str] = Counter()
    for source, target, _, data in view.edges:
        w = float(data.get("weight", 1))
        degree[source] += w
        degree[target] += w
    # The documents this view draws from: its edges' documents and its document nodes. A bureau
    # in a plan's view keeps only that plan in its list (not the hundreds it occurs in).
    edge_docs: list[int | None] = []
    for _, _, _, data in view.edges:
        doc = index.doc_of_sha.get(str(data.get("docSha256")))
        edge_docs.append(index.doc_index[doc] if doc is not None else None)
    view_docs = {d for d in edge_docs if d is not None}
    view_docs.update(index.doc_index[n] for n in view.nodes if index.kind[n] == "Document")
    net = _ViewNetwork(_vis_options(len(view.nodes)))
    kinds: Counter[str] = Counter()
    for node in view.nodes:
        facts = _node_facts(index, node)
        kind = facts["kind"]
        kinds[kind] += 1
        base = 14.0 if kind == "Document" else 6.0 if kind == "Task" else 9.0
        x, y = positions.get(node, (0.0, 0.0))
        extra: dict[str, Any] = {}
        if node in hrefs:
            extra["href"] = root + hrefs[node]
        if node == view.centre:
            extra["borderWidth"] = 4
        net.add_node(node, size=round(min(48.0, base + 3.2 * math.sqrt(degree[node])), 1), x=x, y=y,
                     docs=[d for d in index.node_docs(node) if d in view_docs], **facts, **extra)
    types: Counter[str] = Counter()
    for (source, target, key, data), doc in zip(view.edges, edge_docs, strict=True):
        rel = str(data.get("type"))
        types[rel] += 1
        extra = {}
        if "weight" in data:  # a derived edge (co-operation, aggregation), drawn once
            extra["weight"] = data["weight"]
            width = edge_styles.get(rel, edge_styles["_other"])["width"]
            extra["width"] = round(min(10.0, width + 1.6 * math.log2(float(data["weight"]))), 2)
            title = _edge_tooltip(index, data)
        else:
            title = index.edge_tooltips.get((source, target, key)) or index.edge_tooltips.setdefault(
                (source, target, key), _edge_tooltip(index, data))
        if doc is not None:
            extra["doc"] = doc
        if rel == "CO_OPERATES":
            extra["arrows"] = ""
        net.add_edge(source, target, key=key, type=rel, title=title, **extra)
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    docs_shown = sorted(view_docs)
    return {
        "view": {"kind": view.kind, "title": view.title, "subtitle": view.subtitle, "note": view.note,
                 "aggregated": view.aggregated, "centre": view.centre, "big": len(nodes) > BIG_VIEW},
        "docs": [{"index": i, "id": index.documents[i], "name": index.display_name(index.documents[i]),
                  "href": root + hrefs[index.documents[i]] if index.documents[i] in hrefs else None}
                 for i in docs_shown],
        "nodeStyles": {k: {**node_styles.get(k, node_styles["_other"]), "count": c} for k, c in kinds.most_common()},
        "edgeStyles": {k: {**edge_styles.get(k, edge_styles["_other"]), "count": c} for k, c in types.most_common()},
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
    }


# --- pages -------------------------------------------------------------------------------------------


def _empty_message(index: GraphIndex, view: ViewGraph) -> str:
    if index.graph.number_of_nodes() == 0:
        return ("The graph has no nodes: no document in the input produced tasks, units, entities or targets. "
                "Check the input folder and the build's warnings.")
    if view.kind == "cooperation":
        return "No unit leads or takes part in any task, so no two units share one."
    return "Nothing in the graph belongs to this view."


def _asset_context(inline: bool, root: str) -> dict[str, Any]:
    if not inline:
        return {"inline": False, "root": root}
    return {"inline": True, "root": root,
            "assets": {name.replace(".", "_").replace("-", "_"): Markup(_asset_text(name)) for name in ASSET_FILES}}


@lru_cache(maxsize=8)
def _asset_text(name: str) -> str:
    text = (ASSETS_DIR / name).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script") if name.endswith(".js") else text


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _index_data(index: GraphIndex, views: list[ViewGraph], hrefs: dict[str, str], title: str) -> dict[str, Any]:
    graph = index.graph
    kinds = Counter(index.kind.values())
    edge_types = Counter(str(rel) for _, _, rel in graph.edges(data="type"))
    unit_rows = []
    for unit in index.units:
        roles = index.tasks_of_unit.get(unit, [])
        led = sum(1 for _, rel in roles if rel == "LEADS")
        unit_rows.append({"id": unit, "name": index.display_name(unit), "kind": index.kind[unit],
                          "aliases": [str(a) for a in graph.nodes[unit].get("aliases") or []],
                          "led": led, "joined": len(roles) - led, "href": hrefs.get(unit)})
    tasks = sorted((t for t in graph.nodes if index.kind[t] == "Task"),
                   key=lambda t: (index.doc_index.get(index.doc_of_task.get(t, ""), -1),
                                  int(graph.nodes[t].get("start") or 0), t))
    task_rows = [{"id": t, "path": str(graph.nodes[t].get("path") or ""),
                  "title": _short(index.display_name(t), 80),
                  "doc": index.doc_index.get(index.doc_of_task.get(t, ""), -1)} for t in tasks]
    tasks_per_doc = Counter(t["doc"] for t in task_rows)
    task_pos = {t: i for i, t in enumerate(tasks)}
    unit_pos = {u: i for i, u in enumerate(index.units)}
    cells = [[unit_pos[u], task_pos[t], role] for t in tasks for u, role in index.units_of_task.get(t, {}).items()
             if u in unit_pos]
    summary = {
        "documents": len(index.documents), "tasks": kinds.get("Task", 0), "units": len(index.units),
        "entities": sum(1 for n, d in graph.nodes(data=True) if "Entity" in (d.get("labels") or [])),
        "indicators": kinds.get("Indicator", 0), "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
        "leads": edge_types.get("LEADS", 0), "participates": edge_types.get("PARTICIPATES_IN", 0),
        "targets": edge_types.get("TARGETS", 0), "mentions": edge_types.get("MENTIONS", 0),
    }
    return {
        "title": title,
        "summary": summary,
        "edgeTypes": dict(edge_types.most_common()),
        "nodeKinds": dict(kinds.most_common()),
        "views": [{"kind": v.kind, "title": v.title, "subtitle": v.subtitle, "href": v.path,
                   "nodes": len(v.nodes), "edges": len(v.edges), "aggregated": v.aggregated}
                  for v in views if v.kind in ("network", "cooperation")],
        "documents": [{"id": d, "name": index.display_name(d), "href": hrefs.get(d),
                       "tasks": tasks_per_doc[i],
                       "jurisdiction": graph.nodes[d].get("jurisdiction", "")}
                      for i, d in enumerate(index.documents)],
        "units": unit_rows,
        "tasks": task_rows,
        "cells": cells,
    }


def write_views(
    graph: nx.MultiDiGraph,
    views_dir: Path | str,
    *,
    units: Iterable[str] | None = None,
    unit_views: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    inline_assets: bool = False,
    title: str = "policykg",
) -> list[Path]:
    """Write every view of `graph` into `views_dir` (replaced whole; nothing half-written is left
    if this fails) and return the paths written, index.html first.

    units: write the ego views of only these units (ids, names or aliases; an unknown one raises
    UnknownUnitError listing the closest names, before anything is written); unit_views=False
    writes none. max_nodes: views with more nodes are aggregated. inline_assets: put vis-network
    and the page scripts into every page instead of views/assets/ (one file is then enough).
    """
    views_dir = Path(views_dir)
    index = GraphIndex(graph)
    ego_units = list(index.units) if unit_views else []
    if units is not None:
        ego_units = index.resolve_units(list(units))
    taken_docs: set[str] = set()
    taken_units: set[str] = set()
    hrefs: dict[str, str] = {}
    for doc in index.documents:
        stem = Path(str(graph.nodes[doc].get("file") or "")).stem or doc
        hrefs[doc] = f"documents/{_slug(stem, taken_docs)}.html"
    for unit in ego_units:
        hrefs[unit] = f"units/{_slug(unit, taken_units)}.html"

    work = views_dir.parent / f".{views_dir.name}.tmp-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    written: list[str] = []
    try:
        if not inline_assets:
            (work / "assets").mkdir()
            for name in ASSET_FILES:
                shutil.copyfile(ASSETS_DIR / name, work / "assets" / name)
                written.append(f"assets/{name}")
        page = _templates().get_template("view.html")
        summaries: list[ViewGraph] = []

        def emit(view: ViewGraph) -> None:
            if len(view.nodes) > max_nodes and view.kind != "cooperation":
                view = aggregated(index, view, max_nodes)
            root = "../" * view.path.count("/")
            data = view_page_data(index, view, hrefs, root)
            html = page.render(title=view.title, subtitle=view.subtitle, kind=view.kind, data=_script_json(data),
                               empty=not view.nodes, empty_message=_empty_message(index, view),
                               **_asset_context(inline_assets, root))
            _write(work / view.path, html)
            written.append(view.path)
            if view.kind in ("network", "cooperation"):
                summaries.append(view)

        emit(whole_network_view(index))
        emit(cooperation_view(index, max_nodes))
        for doc in index.documents:
            emit(document_view(index, doc, hrefs[doc]))
        for unit in ego_units:
            emit(ego_view(index, unit, hrefs[unit]))
        index_page = _templates().get_template("index.html").render(
            title=title, data=_script_json(_index_data(index, summaries, hrefs, title)),
            empty=graph.number_of_nodes() == 0, **_asset_context(inline_assets, ""))
        _write(work / "index.html", index_page)
        written.insert(0, "index.html")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if views_dir.exists():
        old = views_dir.parent / f".{views_dir.name}.old-{os.getpid()}"
        views_dir.rename(old)
        work.rename(views_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(views_dir)
    return [views_dir / rel for rel in written]
