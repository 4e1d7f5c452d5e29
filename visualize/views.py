"""The interactive views: graph (docs/graph-schema.md) -> HTML pages in OUT/views/ that read one
shared data file, views/data.js.

data.js holds every node and edge once (label, search names, documents, community, tooltip) and
the precomputed layouts of the two big views; the pages draw from it with vis-network:
- network.html: the whole graph, communities coloured and laid out apart (aggregated to units and
  documents grouped by jurisdiction above `max_nodes`);
- cooperation.html: units linked when they share tasks, weighted by how many;
- document.html#doc=ID: one plan, laid out in the page by chapter;
- unit.html#unit=ID: one unit's ego view, laid out in the page (tasks by document and role
  around it, partners outside);
- index.html: links, summary numbers, tasks led/participated per unit, responsibility matrix.
Per-unit and per-document views are rendered in the page from the shared file, so the views of a
corpus are a handful of files whatever its size, and every cost here is linear in the graph.
A selected node is in the URL hash (#node=ID), so a view can be shared as a link.
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
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from policykg.visualize.layout import grouped_layout

ASSETS_DIR = Path(__file__).parent / "assets"
TEMPLATES_DIR = Path(__file__).parent / "templates"
ASSET_FILES = ("vis-network.min.js", "vis-network.min.css", "policykg-views.js", "policykg-views.css",
               "policykg-index.js")
# Above this many nodes the whole network is aggregated (units and documents by jurisdiction).
DEFAULT_MAX_NODES = 6000
# Views with more nodes than this hide edges while dragging/zooming, to stay responsive.
BIG_VIEW = 1500
# Colours of the largest communities; the others are drawn grey.
COMMUNITY_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                     "#bcbd22", "#3949ab", "#00897b", "#c2185b", "#6d4c41", "#7cb342", "#f4511e", "#5e35b1")
OTHER_COLOUR = "#9e9e9e"
PAGES = ("network", "cooperation", "document", "unit")

RESPONSIBILITY_TYPES = ("LEADS", "PARTICIPATES_IN")
ROLE_LETTER = {"LEADS": "L", "PARTICIPATES_IN": "P"}
_CLAUSE_BREAK = re.compile(r"[，。；：,;:（(、！!？?]")


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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _script_json(value: Any) -> Markup:
    """JSON safe inside a <script> element: no '</' can close it."""
    return Markup(_json(value).replace("</", "<\\/").replace("<!--", "<\\!--"))


def _short(text: str, limit: int) -> str:
    """At most `limit` characters, cut in the middle: a plan's period and status at the end stay."""
    from policykg.graph.labels import shorten

    return shorten(str(text), limit, len)


def short_title(title: str, limit: int = 12) -> str:
    """A task's label: its title up to the first clause break (when that leaves a phrase), cut to
    `limit` characters. The path, which repeats across plans, goes into the tooltip."""
    title = " ".join(str(title).split())
    head = _CLAUSE_BREAK.split(title, 1)[0].strip()
    if len(head) >= 4:
        title = head
    return _short(title, limit)


def _slug(text: str, taken: set[str]) -> str:
    """A file name that is safe on any file system (letters of any script, digits, - _ .)."""
    base = re.sub(r"[^\w.-]+", "_", text).strip("._")[:80] or "view"
    slug, n = base, 1
    while slug.lower() in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug.lower())
    return slug


def unit_href(unit: str) -> str:
    return "unit.html#unit=" + quote(unit, safe="")


def document_href(doc: str) -> str:
    return "document.html#doc=" + quote(doc, safe="")


class GraphIndex:
    """One linear pass over the graph: what every view needs to select its nodes quickly."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.kind: dict[str, str] = {}
        self.units: list[str] = []
        self.documents: list[str] = []
        self.entities = 0
        for node, data in graph.nodes(data=True):
            label = str(data.get("label") or "_other")
            self.kind[node] = label
            labels = data.get("labels") or [label]
            self.entities += "Entity" in labels
            if "Unit" in labels:
                self.units.append(node)
            if label == "Document":
                self.documents.append(node)
        self.unit_set = frozenset(self.units)
        self.tooltips: dict[str, str] = {}
        self.node_facts: dict[str, dict[str, Any]] = {}
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
        # Every edge once, as (source, target, key, properties): iterated by every later step.
        self.edges: list[tuple[str, str, Any, dict[str, Any]]] = [*iter(graph.edges(keys=True, data=True))]
        # (iter: list() would first ask the view its length, one more pass over every edge)
        self.edge_types: Counter[str] = Counter()
        for source, target, key, data in self.edges:
            rel = data.get("type")
            self.edge_types[str(rel)] += 1
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
        deadline = data.get("deadlineText") or data.get("deadline")
        if deadline:
            lines.append(f"期限 deadline: {deadline}")
        if data.get("text"):
            lines.append(f"原文 {_short(data['text'], 400)}")
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


def _edge_fields(data: dict[str, Any]) -> list[str]:
    """What an edge's tooltip says below its type, as raw fields (written, quote, task path,
    target value) that the page composes: a dict lookup each, for hundreds of thousands of edges."""
    fields = [str(data.get("written") or ""), str(data.get("quote") or "")[:200], str(data.get("taskPath") or "")]
    if data.get("type") == "TARGETS":
        value = data.get("value")
        if data.get("valueMax") not in (None, ""):
            value = f"{value}–{data['valueMax']}"
        fields.append(" ".join(str(x) for x in (data.get("year"), data.get("qualifier"), value, data.get("unit"))
                               if x not in (None, "")))
    while fields and not fields[-1]:
        fields.pop()
    return fields


# --- structure: co-operation weights and communities ----------------------------------------------


class Structure:
    """The co-operation network (units linked by the tasks they share) and its communities
    (networkx's Louvain), each named by its central unit; every node gets the community of the
    tasks it belongs to (a task: its lead unit's)."""

    def __init__(self, index: GraphIndex) -> None:
        self.pair_weight: Counter[tuple[str, str]] = Counter()
        self.pair_examples: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.task_count: Counter[str] = Counter()
        for task, roles in index.units_of_task.items():
            members = sorted(roles)
            self.task_count.update(members)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    self.pair_weight[(a, b)] += 1
                    if len(self.pair_examples[(a, b)]) < 5:
                        self.pair_examples[(a, b)].append(task)
        cooperation = nx.Graph()
        cooperation.add_nodes_from(u for u in index.units if u in self.task_count)
        cooperation.add_weighted_edges_from((a, b, w) for (a, b), w in self.pair_weight.items())
        # threshold: stop refining a level when modularity gains less than this (the default 1e-7
        # doubles the time on a thousand plans for partitions an analyst cannot tell apart).
        found = nx.community.louvain_communities(cooperation, weight="weight", seed=7, threshold=1e-4) \
            if cooperation else []
        strength = dict(cooperation.degree(weight="weight"))
        ranked = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
        self.community_of: dict[str, int] = {}
        self.communities: list[dict[str, Any]] = []
        for members in ranked:
            if len(members) < 2:
                continue  # a unit sharing no task with any other is no community
            number = len(self.communities)
            centre = max(members, key=lambda u: (strength.get(u, 0), self.task_count[u], u))
            colour = COMMUNITY_COLOURS[number] if number < len(COMMUNITY_COLOURS) else OTHER_COLOUR
            self.communities.append({"name": index.display_name(centre), "centre": centre, "units": len(members),
                                     "colour": colour})
            for unit in members:
                self.community_of[unit] = number
        # Tasks: the community of their lead (else first participant); documents and entities:
        # the most common community of their tasks.
        votes: dict[str, Counter[int]] = defaultdict(Counter)
        for task, roles in index.units_of_task.items():
            ordered = sorted(roles, key=lambda u: (roles[u] != "L", u))
            community = next((self.community_of[u] for u in ordered if u in self.community_of), None)
            if community is not None:
                self.community_of[task] = community
        for source, target, _, data in index.edges:
            if data.get("type") in RESPONSIBILITY_TYPES:
                continue
            for task, other in ((source, target), (target, source)):
                if index.kind.get(task) == "Task" and task in self.community_of and other not in index.unit_set:
                    votes[other][self.community_of[task]] += 1
        for node, counter in votes.items():
            if node not in self.community_of:
                self.community_of[node] = counter.most_common(1)[0][0]
        # What no task reaches (named by a document only, a unit of no task): its neighbours'.
        late: dict[str, Counter[int]] = defaultdict(Counter)
        for source, target, _, _ in index.edges:
            for node, other in ((source, target), (target, source)):
                if node not in self.community_of and other in self.community_of:
                    late[node][self.community_of[other]] += 1
        for node, counter in late.items():
            self.community_of[node] = counter.most_common(1)[0][0]


# --- the shared data file -----------------------------------------------------------------------------


def _node_label(index: GraphIndex, node: str) -> str:
    data = index.graph.nodes[node]
    kind = index.kind[node]
    if kind == "Task":
        return short_title(data.get("title") or data.get("name") or data.get("path") or node)
    if kind == "Document":
        return _short(index.display_name(node), 18)
    return _short(index.display_name(node), 14)


def _jurisdiction(index: GraphIndex, node: str) -> str:
    data = index.graph.nodes[node]
    if data.get("jurisdiction"):
        return str(data["jurisdiction"])
    docs = index.node_docs(node)
    if docs:
        return str(index.graph.nodes[index.documents[docs[0]]].get("jurisdiction") or "")
    return ""


def _current_docs(index: GraphIndex) -> set[int]:
    """Documents shown by default: the current edition of each plan family (identity's
    Document.current flag; every document when the graph has no such flag)."""
    return {i for i, doc in enumerate(index.documents)
            if str(index.graph.nodes[doc].get("current", True)).lower() not in ("false", "0")}


def _layout_block(node_ids: list[str], edges: list[tuple[str, str, float]], group_of: dict[str, Any],
                  group_names: dict[Any, str], spacing: float = 1.0) -> dict[str, Any]:
    positions, boxes = grouped_layout(node_ids, edges, group_of, spacing=spacing)
    return {
        "x": [positions[n][0] for n in node_ids], "y": [positions[n][1] for n in node_ids],
        "groups": [{"name": group_names[b.group], "key": b.group, "x": b.x, "y": b.y, "w": b.width,
                    "h": b.height, "size": b.size} for b in boxes if group_names.get(b.group)],
    }


def _edge_weight(rel: str) -> float:
    # A task is pulled to its document harder than to its units: the tasks of two editions that
    # share every unit still form two clusters around their two documents.
    return 3.0 if rel == "PART_OF" else 1.0


def shared_data(index: GraphIndex, structure: Structure, max_nodes: int, title: str) -> dict[str, Any]:
    """Everything the pages draw from: nodes, edges, documents, communities and the layouts of
    the whole network and the co-operation network."""
    graph = index.graph
    node_ids = list(graph.nodes)
    position = {n: i for i, n in enumerate(node_ids)}
    current = _current_docs(index)
    led = Counter(u for u, rel in ((u, r) for u, tasks in index.tasks_of_unit.items() for _, r in tasks)
                  if rel == "LEADS")
    tasks_per_doc = Counter(index.doc_index[d] for d in index.doc_of_task.values() if d in index.doc_index)
    nodes = []
    for node in node_ids:
        kind = index.kind[node]
        data = graph.nodes[node]
        item: dict[str, Any] = {"id": node, "kind": kind, "label": _node_label(index, node),
                                "names": [n for n in index.names(node) if n != node], "docs": index.node_docs(node),
                                "tip": _node_tooltip(index, node)}
        if node in structure.community_of:
            item["c"] = structure.community_of[node]
        if node in index.unit_set:
            item["unit"] = 1
            item["led"] = led[node]
            item["joined"] = len(index.tasks_of_unit.get(node, [])) - led[node]
            item["jur"] = _jurisdiction(index, node)
        elif kind == "Task":
            item["path"] = str(data.get("path") or "")
            item["title"] = str(data.get("title") or data.get("name") or "")
            if data.get("deadline"):
                item["deadline"] = str(data["deadline"])
        elif kind == "Document":
            item["tasks"] = tasks_per_doc[index.doc_index[node]]
        nodes.append(item)
    type_names: list[str] = []
    type_index: dict[str, int] = {}
    edges = []
    for source, target, key, data in index.edges:
        rel = str(data.get("type"))
        if rel not in type_index:
            type_index[rel] = len(type_names)
            type_names.append(rel)
        doc = index.doc_of_sha.get(str(data.get("docSha256")))
        edges.append([position[source], position[target], type_index[rel],
                      index.doc_index[doc] if doc is not None else -1, str(key), *_edge_fields(data)])
    docs = []
    for i, doc in enumerate(index.documents):
        data = graph.nodes[doc]
        docs.append({"id": doc, "name": index.display_name(doc), "short": _short(index.display_name(doc), 16),
                     "jurisdiction": str(data.get("jurisdiction") or ""), "file": str(data.get("file") or ""),
                     "current": i in current, "tasks": tasks_per_doc[i],
                     "period": "–".join(str(data[k]) for k in ("periodStart", "periodEnd") if data.get(k))})
    node_styles, edge_styles = styles()["nodes"], styles()["edges"]
    return {
        "title": title,
        "nodeStyles": node_styles, "edgeStyles": edge_styles, "types": type_names,
        "communities": structure.communities, "otherColour": OTHER_COLOUR,
        "docs": docs, "nodes": nodes, "edges": edges,
        "network": network_layout(index, structure, position, current, max_nodes),
        "cooperation": cooperation_layout(index, structure, position, max_nodes),
        "bigView": BIG_VIEW,
    }


def _shown_by_default(index: GraphIndex, node: str, current: set[int]) -> bool:
    docs = index.node_docs(node)
    return not docs or any(d in current for d in docs)


def network_layout(index: GraphIndex, structure: Structure, position: dict[str, int], current: set[int],
                   max_nodes: int) -> dict[str, Any]:
    """The whole network of the current editions, communities apart; above max_nodes nodes,
    aggregated: units and documents, grouped by jurisdiction, a unit linked to a plan by the
    number of its tasks it leads or joins there, and units of different jurisdictions linked by
    the tasks they share."""
    graph = index.graph
    shown = [n for n in graph.nodes if _shown_by_default(index, n, current)]
    names = {i: c["name"] for i, c in enumerate(structure.communities)}
    hidden_editions = len(index.documents) - len(current)
    edition_note = (f"Showing the current editions only ({hidden_editions} older editions hidden; untick "
                    f"“current editions only” to see them)." if hidden_editions else "")
    if len(shown) <= max_nodes:
        shown_set = set(shown)
        edges = [(s, t, _edge_weight(str(d.get("type")))) for s, t, _, d in index.edges
                 if s in shown_set and t in shown_set]
        # What belongs to no community (a plan naming entities but assigning no task) is grouped
        # by its first document, and that group named after the document.
        group_of: dict[str, Any] = {}
        for node in shown:
            if node in structure.community_of:
                group_of[node] = structure.community_of[node]
            else:
                docs = index.node_docs(node)
                group_of[node] = f"doc:{docs[0]}" if docs else -1
                if docs:
                    names[group_of[node]] = "文件 " + _short(index.display_name(index.documents[docs[0]]), 24)
        block = _layout_block(shown, edges, group_of, names)
        return {"aggregated": False, "nodes": [position[n] for n in shown], "note": edition_note, **block}
    counts: Counter[tuple[str, str, str]] = Counter()
    for unit, tasks in index.tasks_of_unit.items():
        for task, rel in tasks:
            doc = index.doc_of_task.get(task)
            if doc is not None and index.doc_index[doc] in current:
                counts[(unit, doc, rel)] += 1
    nodes = [d for i, d in enumerate(index.documents) if i in current]
    seen = set(nodes)
    for unit, _, _ in counts:
        if unit not in seen:
            seen.add(unit)
            nodes.append(unit)
    jurisdiction = {n: _jurisdiction(index, n) or "—" for n in nodes}
    derived: list[list[Any]] = [[position[u], position[d], rel, n, f"{ROLE_LETTER[rel]} × {n} tasks"]
                                for (u, d, rel), n in sorted(counts.items())]
    for (a, b), weight in sorted(structure.pair_weight.items()):
        if a in seen and b in seen and jurisdiction[a] != jurisdiction[b]:
            derived.append([position[a], position[b], "CO_OPERATES", weight, f"共同任务 share {weight} tasks"])
    node_at = {position[n]: n for n in nodes}
    layout_edges = [(node_at[e[0]], node_at[e[1]], min(4.0, 1.0 + math.log(e[3]))) for e in derived
                    if e[2] != "CO_OPERATES"]
    groups = Counter(jurisdiction.values())
    block = _layout_block(nodes, layout_edges, jurisdiction,
                          {j: f"{j} · {n} nodes" for j, n in groups.items()})
    hidden = Counter(index.kind[n] for n in graph.nodes if n not in seen)
    note = (f"Aggregated: the whole network has {len(shown)} nodes (more than {max_nodes}). Shown are units and "
            f"documents grouped by jurisdiction; a unit is linked to a plan by the number of tasks it leads or "
            f"joins there, and units of different jurisdictions by the tasks they share. Not shown here: "
            + ", ".join(f"{n} {kind}" for kind, n in hidden.most_common())
            + ". Double-click a node to expand it; the search box finds every node.")
    if edition_note:
        note += " " + edition_note
    return {"aggregated": True, "nodes": [position[n] for n in nodes], "edges": derived,
            "hiddenKinds": dict(hidden.most_common()), "note": note, **block}


def cooperation_layout(index: GraphIndex, structure: Structure, position: dict[str, int],
                       max_nodes: int) -> dict[str, Any]:
    nodes = sorted(structure.task_count, key=lambda u: (-structure.task_count[u], u))
    note = ""
    if len(nodes) > max_nodes:
        note = f"Showing the {max_nodes} units with the most tasks of {len(nodes)}."
        nodes = nodes[:max_nodes]
    kept = set(nodes)
    edges: list[list[Any]] = []
    for (a, b), count in sorted(structure.pair_weight.items()):
        if a in kept and b in kept:
            # The tooltip (composed in the page): the count and up to five of the shared tasks.
            edges.append([position[a], position[b], "CO_OPERATES", count, "",
                          [position[t] for t in structure.pair_examples[(a, b)]]])
    names = {i: c["name"] for i, c in enumerate(structure.communities)}
    block = _layout_block(nodes, [(a, b, 1.0) for a, b in structure.pair_weight if a in kept and b in kept],
                          {n: structure.community_of.get(n, -1) for n in nodes}, names, spacing=1.6)
    return {"nodes": [position[n] for n in nodes], "edges": edges, "note": note,
            "subtitle": f"{len(nodes)} units · {len(edges)} pairs sharing tasks", **block}


# --- pages -------------------------------------------------------------------------------------------


def _asset_context(inline: bool, root: str, data_js: str | None = None) -> dict[str, Any]:
    if not inline:
        return {"inline": False, "root": root}
    assets = {name.replace(".", "_").replace("-", "_"): Markup(_asset_text(name)) for name in ASSET_FILES}
    if data_js is not None:
        assets["data_js"] = Markup(data_js.replace("</script", "<\\/script"))
    return {"inline": True, "root": root, "assets": assets}


@lru_cache(maxsize=8)
def _asset_text(name: str) -> str:
    text = (ASSETS_DIR / name).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script") if name.endswith(".js") else text


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


PAGE_TITLES = {
    "network": ("全部网络 Whole network", "communities of units that share tasks, coloured and laid out apart"),
    "cooperation": ("协作网络 Unit co-operation", "units linked when they share tasks"),
    "document": ("文件 Document", "one plan"),
    "unit": ("单位 Unit", "one unit's tasks, partners and entities"),
}


def _index_data(index: GraphIndex, shared: dict[str, Any], title: str, unit_links: bool) -> dict[str, Any]:
    graph = index.graph
    kinds = Counter(index.kind.values())
    edge_types = index.edge_types
    unit_rows = []
    for unit in index.units:
        roles = index.tasks_of_unit.get(unit, [])
        led = sum(1 for _, rel in roles if rel == "LEADS")
        unit_rows.append({"id": unit, "name": index.display_name(unit), "kind": index.kind[unit],
                          "aliases": [str(a) for a in graph.nodes[unit].get("aliases") or []],
                          "led": led, "joined": len(roles) - led,
                          "href": unit_href(unit) if unit_links else None})
    tasks = sorted((t for t in graph.nodes if index.kind[t] == "Task"),
                   key=lambda t: (index.doc_index.get(index.doc_of_task.get(t, ""), -1),
                                  int(graph.nodes[t].get("start") or 0), t))
    task_rows = [{"id": t, "path": str(graph.nodes[t].get("path") or ""),
                  "title": _short(index.display_name(t), 80),
                  "short": short_title(graph.nodes[t].get("title") or index.display_name(t), 10),
                  "doc": index.doc_index.get(index.doc_of_task.get(t, ""), -1)} for t in tasks]
    tasks_per_doc = Counter(t["doc"] for t in task_rows)
    task_pos = {t: i for i, t in enumerate(tasks)}
    unit_pos = {u: i for i, u in enumerate(index.units)}
    cells = [[unit_pos[u], task_pos[t], role] for t in tasks for u, role in index.units_of_task.get(t, {}).items()
             if u in unit_pos]
    summary = {
        "documents": len(index.documents), "tasks": kinds.get("Task", 0), "units": len(index.units),
        "entities": index.entities,
        "indicators": kinds.get("Indicator", 0), "nodes": graph.number_of_nodes(), "edges": len(index.edges),
        "leads": edge_types.get("LEADS", 0), "participates": edge_types.get("PARTICIPATES_IN", 0),
        "targets": edge_types.get("TARGETS", 0), "mentions": edge_types.get("MENTIONS", 0),
        "communities": len(shared["communities"]),
    }
    network, cooperation = shared["network"], shared["cooperation"]
    current = _current_docs(index)
    return {
        "title": title,
        "summary": summary,
        "edgeTypes": dict(edge_types.most_common()),
        "nodeKinds": dict(kinds.most_common()),
        "views": [{"kind": "network", "title": PAGE_TITLES["network"][0], "href": "network.html",
                   "subtitle": f"{len(index.documents)} documents", "nodes": len(network["nodes"]),
                   "edges": len(network["edges"]) if network["aggregated"] else len(index.edges),
                   "aggregated": network["aggregated"]},
                  {"kind": "cooperation", "title": PAGE_TITLES["cooperation"][0], "href": "cooperation.html",
                   "subtitle": cooperation["subtitle"], "nodes": len(cooperation["nodes"]),
                   "edges": len(cooperation["edges"]), "aggregated": False}],
        "communities": shared["communities"],
        "documents": [{"id": d, "name": index.display_name(d), "href": document_href(d),
                       "short": _short(index.display_name(d), 16), "tasks": tasks_per_doc[i],
                       "current": i in current,
                       "jurisdiction": graph.nodes[d].get("jurisdiction", "")}
                      for i, d in enumerate(index.documents)],
        "units": unit_rows,
        "tasks": task_rows,
        "cells": cells,
    }


def _unit_stub(unit: str) -> str:
    """A small page that opens a unit's ego view (for `policykg views OUT --unit NAME`)."""
    target = "../" + unit_href(unit)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={target}">'
            f'<title>{Markup.escape(unit)}</title></head><body><a href="{target}">{Markup.escape(unit)}</a>'
            f'<script type="application/json" id="unit-id">{_script_json(unit)}</script></body></html>')


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
    """Write the views of `graph` into `views_dir` (replaced whole; nothing half-written is left
    if this fails) and return the paths written, index.html first.

    units: also write units/<name>.html, a link page to the ego view of each of these units (ids,
    names or aliases; an unknown one raises UnknownUnitError listing the closest names, before
    anything is written). unit_views=False: the index links no unit view. max_nodes: above it
    the whole network is aggregated. inline_assets: put vis-network, the page scripts and the
    data into every page instead of views/assets/ and views/data.js (each page then stands alone).
    """
    views_dir = Path(views_dir)
    index = GraphIndex(graph)
    stubs = index.resolve_units(list(units)) if units is not None else []
    structure = Structure(index)
    shared = shared_data(index, structure, max_nodes, title)
    data_js = "window.policykgData = " + _json(shared) + ";\n"

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
            _write(work / "data.js", data_js)
            written.append("data.js")
        page = _templates().get_template("view.html")
        for kind in PAGES:
            heading, subtitle = PAGE_TITLES[kind]
            _write(work / f"{kind}.html", page.render(
                title=heading, subtitle=subtitle, kind=kind, empty=graph.number_of_nodes() == 0,
                **_asset_context(inline_assets, "", data_js)))
            written.append(f"{kind}.html")
        taken: set[str] = set()
        for unit in stubs:
            path = f"units/{_slug(index.display_name(unit), taken)}.html"
            _write(work / path, _unit_stub(unit))
            written.append(path)
        index_page = _templates().get_template("index.html").render(
            title=title, data=_script_json(_index_data(index, shared, title, unit_views)),
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
