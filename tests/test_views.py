"""The HTML views (issues 5 and 14) in a real headless Chromium with the network blocked.

Every page of the real sample graph opens with no console error and no request leaving file://
and draws from one shared data file; each view holds exactly the nodes and edges of the graph it
shows (recomputed here from the graph, not by the views code): the whole network, the
co-operation network, every document and every unit rendered in the page from its URL hash.
Exploring: click highlights a node and its neighbours and dims the rest, double-click expands a
neighbourhood from the shared data, filters re-run the layout and fit the view, the selected
node is in the URL hash, labels do not overlap at the default zoom (boxes measured in the page),
the aggregated view of a large graph groups jurisdictions and its search box says what it
hides. Bad input: an unknown unit lists the closest names; an empty graph gives a page that says
so; names that look like markup stay text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
import pytest
from click.testing import CliRunner
from policykg.graph import read_graph
from policykg.graph.export import write_graph_json
from policykg.visualize import UnknownUnitError, write_views, write_views_from_out
from policykg.visualize.browser import CHROMIUM, chromium_browser, offline_page, open_view

from policykg.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RESPONSIBILITY = ("LEADS", "PARTICIPATES_IN")
INDEX_READY = "window.policykgIndex && window.policykgIndex.ready"
READY = "window.policykgView && window.policykgView.ready"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample corpus built by `policykg build` (which writes the views too)."""
    out = tmp_path_factory.mktemp("views_sample") / "out"
    result = CliRunner().invoke(main, ["build", str(DATA), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sample_graph(sample_out: Path) -> nx.MultiDiGraph:
    return read_graph(sample_out)


@pytest.fixture(scope="session")
def large_views(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.MultiDiGraph, Path]:
    """A synthetic corpus of ~3,000 nodes, drawn aggregated (max_nodes 2000)."""
    from policykg.visualize.synthetic import synthetic_graph_of_size

    graph = synthetic_graph_of_size(3000, seed=3)
    views = tmp_path_factory.mktemp("views_large") / "views"
    write_views(graph, views, max_nodes=2000)
    return graph, views


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture()
def page(browser: Any) -> Iterator[tuple[Any, list[Any]]]:
    with offline_page(browser) as opened:
        yield opened


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("view_screenshots")


# --- what each view should show, computed from the graph here ----------------------------------------


def graph_edge_set(graph: nx.MultiDiGraph, edges: Any) -> set[tuple[str, str, str]]:
    return {(u, v, str(k)) for u, v, k in edges}


def is_current(graph: nx.MultiDiGraph, doc: str) -> bool:
    return str(graph.nodes[doc].get("current", True)).lower() not in ("false", "0")


def expected_network(graph: nx.MultiDiGraph) -> tuple[set[str], set[tuple[str, str, str]]]:
    """The whole network of the current editions (every document, when the graph has no
    `current` flags): nodes of no document or of a current one, edges between them from no
    document or a current one."""
    current = {d["sha256"] for n, d in graph.nodes(data=True) if d["label"] == "Document" and is_current(graph, n)}
    nodes = set()
    for node, data in graph.nodes(data=True):
        shas = {data["sha256"]} if data["label"] == "Document" else set(data.get("docs") or []) or (
            {data["docSha256"]} if data.get("docSha256") else set())
        if not shas or shas & current:
            nodes.add(node)
    edges = {(u, v, str(k)) for u, v, k, d in graph.edges(keys=True, data=True)
             if u in nodes and v in nodes and (not d.get("docSha256") or d["docSha256"] in current)}
    return nodes, edges


def expected_document(graph: nx.MultiDiGraph, doc: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    sha = graph.nodes[doc]["sha256"]
    edges = {(u, v, str(k)) for u, v, k, d in graph.edges(keys=True, data=True) if d.get("docSha256") == sha}
    return {doc} | {u for u, _, _ in edges} | {v for _, v, _ in edges}, edges


def unit_tasks(graph: nx.MultiDiGraph, unit: str) -> set[str]:
    tasks = {v for _, v, d in graph.out_edges(unit, data=True) if d["type"] in RESPONSIBILITY}
    return tasks | {u for u, _, d in graph.in_edges(unit, data=True)
                    if d["type"] == "MENTIONS" and graph.nodes[u]["label"] == "Task"}


def expected_ego(graph: nx.MultiDiGraph, unit: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    edges: set[tuple[str, str, str]] = set()
    for task in unit_tasks(graph, unit):
        edges |= graph_edge_set(graph, graph.in_edges(task, keys=True))
        edges |= {(u, v, str(k)) for u, v, k, d in graph.out_edges(task, keys=True, data=True) if d["type"] != "PART_OF"}
    return {unit} | {u for u, _, _ in edges} | {v for _, v, _ in edges}, edges


def expected_cooperation(graph: nx.MultiDiGraph) -> tuple[set[str], dict[tuple[str, str], int]]:
    units_of_task: dict[str, set[str]] = defaultdict(set)
    for u, v, d in graph.edges(data=True):
        if d["type"] in RESPONSIBILITY:
            units_of_task[v].add(u)
    pairs: Counter[tuple[str, str]] = Counter()
    for units in units_of_task.values():
        ordered = sorted(units)
        pairs.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return set().union(*units_of_task.values()) if units_of_task else set(), dict(pairs)


def units_of(graph: nx.MultiDiGraph) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if "Unit" in d["labels"]]


def busiest_unit(graph: nx.MultiDiGraph) -> str:
    return max(units_of(graph), key=lambda u: (len(unit_tasks(graph, u)), u))


def page_graph(page: Any) -> tuple[dict[str, Any], set[str], set[tuple[str, str, str]]]:
    model = page.evaluate("({kind: policykgView.data.kind, centre: policykgView.data.centre || null, "
                          "aggregated: !!policykgView.data.aggregated, grouped: !!policykgView.data.grouped})")
    nodes = set(page.evaluate("policykgView.nodeIds()"))
    edges = page.evaluate("policykgView.data.edges.map(e => [e.from, e.to, e.key])")
    triples = {tuple(e) for e in edges}
    assert len(triples) == len(edges)  # no edge drawn twice
    return model, nodes, triples


def assert_clean(report: Any) -> None:
    assert report.console_errors == [], (report.path, report.console_errors)
    assert report.page_errors == [], (report.path, report.page_errors)
    assert report.external_requests == [], (report.path, report.external_requests)
    assert report.blocked == [], (report.path, report.blocked)


def navigate(page: Any, fragment: str) -> None:
    """Change the URL hash of the open page and wait until it has drawn the new view."""
    renders = page.evaluate("policykgView.renders")
    page.evaluate("h => { location.hash = h; }", fragment)
    page.wait_for_function(f"() => policykgView.renders > {renders} && policykgView.ready", timeout=30_000, polling=20)


def wait_ready(page: Any) -> None:
    page.wait_for_function(f"() => Boolean({READY})", timeout=30_000, polling=20)


def canvas_ink(page: Any) -> float:
    """Share of non-white pixels on the network canvas: a drawn network, not a blank page."""
    return page.evaluate("""() => {
        const c = document.querySelector('#network canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && (d[i] < 235 || d[i+1] < 235 || d[i+2] < 235)) ink++;
        return ink / (d.length / 4);
    }""")


LABEL_BOXES_JS = """() => {
    // Boxes of the labels vis-network draws (its own measured label sizes, canvas units) for
    // the visible nodes inside the canvas; pairs of boxes that intersect by more than a pixel.
    const net = policykgView.network;
    net.redraw();
    const rect = document.getElementById('network').getBoundingClientRect();
    const tl = net.DOMtoCanvas({x: 0, y: 0}), br = net.DOMtoCanvas({x: rect.width, y: rect.height});
    const boxes = [];
    for (const id of policykgView.visibleNodeIds()) {
        const node = net.body.nodes[id];
        if (!node || !node.options.label) continue;
        const s = node.labelModule.size;
        if (!s || !s.width || node.options.font.size * net.getScale() < 2) continue;
        // Nodes drawn in this frame (their label sizes are measured as drawn).
        if (node.x < tl.x || node.x > br.x || node.y < tl.y || node.y > br.y) continue;
        boxes.push([s.left, s.top, s.width, s.height, id]);
    }
    let overlapping = 0;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
        const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
        if (w > 1 && h > 1) overlapping++;
    }
    return {labels: boxes.length, overlapping: overlapping};
}"""


def node_screen_point(page: Any, node: str) -> tuple[float, float]:
    """Where a node is drawn, in page coordinates (for a real mouse click)."""
    point = page.evaluate("""(id) => {
        const net = policykgView.network;
        const p = net.getPositions([id])[id];
        const dom = net.canvasToDOM(p);
        const rect = document.getElementById('network').getBoundingClientRect();
        return [rect.left + dom.x, rect.top + dom.y];
    }""", node)
    return point[0], point[1]


# --- browser tests ------------------------------------------------------------------------------------


@pytest.mark.browser
@needs_chromium
def test_every_view_opens_offline_and_shows_exactly_its_graph(
    sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]]
) -> None:
    tab, _ = page
    views = sample_out / "views"
    graph = sample_graph
    # A handful of pages over one shared data file, whatever the number of units and plans.
    assert sorted(p.name for p in views.iterdir() if p.is_file()) == [
        "cooperation.html", "data.js", "document.html", "index.html", "network.html", "unit.html"]
    assert not (views / "units").exists() and not (views / "documents").exists()
    for name in ("network.html", "cooperation.html", "document.html", "unit.html"):
        text = (views / name).read_text(encoding="utf-8")
        assert 'src="data.js"' in text and len(text) < 10_000  # the data is not repeated in the pages

    assert_clean(open_view(tab, views / "network.html"))
    model, nodes, triples = page_graph(tab)
    assert model["kind"] == "network" and not model["aggregated"]
    assert (nodes, triples) == expected_network(graph)
    drawn = tab.evaluate("policykgView.datasets.edges.get().map(e => [e.type, e.dashes])")
    assert {t for t, dashes in drawn if dashes} >= {"PARTICIPATES_IN"}
    assert not any(dashes for t, dashes in drawn if t == "LEADS")
    # Task tooltips: title, path, the clause as quoted, the document (and text and deadline).
    tooltips = {n["id"]: n["title"] for n in tab.evaluate("policykgView.data.nodes.map(n => ({id: n.id, title: n.title}))")}
    for task, data in graph.nodes(data=True):
        if data["label"] == "Task" and task in nodes:
            doc = graph.nodes[data["docId"]]["name"]
            parts = [data["title"][:60], data["path"], data["quote"][:60], doc, str(data.get("text") or "")[:60],
                     str(data.get("deadlineText") or data.get("deadline") or "")]
            for part in parts:
                part = " ".join(part.split())  # line breaks inside a clause are shown as spaces
                assert part in tooltips[task], (task, part)

    assert_clean(open_view(tab, views / "cooperation.html"))
    model, nodes, triples = page_graph(tab)
    want_nodes, want_pairs = expected_cooperation(graph)
    assert nodes == want_nodes
    weights = tab.evaluate("policykgView.data.edges.map(e => [e.from, e.to, e.weight])")
    assert {(a, b): w for a, b, w in weights} == want_pairs and max(want_pairs.values()) > 1

    # Every plan, rendered in document.html from its hash, one page load for all of them.
    docs = [n for n, d in graph.nodes(data=True) if d["label"] == "Document"]
    assert len(docs) == len(list(DATA.glob("*.txt")))
    assert_clean(open_view(tab, views / "document.html", fragment="doc=" + quote(docs[0], safe="")))
    for doc in docs:
        if doc != docs[0]:
            navigate(tab, "doc=" + quote(doc, safe=""))
        model, nodes, triples = page_graph(tab)
        assert model["kind"] == "document" and (nodes, triples) == expected_document(graph, doc), doc
        assert tab.inner_text("#title") == graph.nodes[doc]["name"]

    # Every unit's ego view, in unit.html: Category nodes hidden by default; expanded and with
    # every kind shown it holds exactly the unit's tasks and everything on them.
    units = units_of(graph)
    assert_clean(open_view(tab, views / "unit.html", fragment="unit=" + quote(units[0], safe="")))
    grouped_seen = False
    for unit in units:
        if unit != units[0]:
            navigate(tab, "unit=" + quote(unit, safe=""))
        visible_kinds = set(tab.evaluate("policykgView.visibleNodeIds().map(id => policykgView.data.nodes.find(n => n.id === id).kind)"))
        assert "Category" not in visible_kinds
        model, nodes, triples = page_graph(tab)
        assert model["centre"] == unit
        if model["grouped"]:
            grouped_seen = True
            counts = tab.evaluate("policykgView.data.nodes.filter(n => n.bundle).map(n => n.bundle.tasks.length)")
            assert sum(counts) == len(unit_tasks(graph, unit)) and len(counts) < len(unit_tasks(graph, unit))
            renders = tab.evaluate("policykgView.renders")
            tab.click("#expand-all")
            tab.wait_for_function(f"() => policykgView.renders > {renders} && policykgView.ready")
            model, nodes, triples = page_graph(tab)
            assert not model["grouped"]
        assert (nodes, triples) == expected_ego(graph, unit), unit
        if any(graph.nodes[n]["label"] == "Category" for n in nodes):
            tab.check("#show-categories")
            assert tab.evaluate("policykgView.visibleCounts().nodes") == len(nodes)
    assert grouped_seen, "the busiest sample unit has more than 40 tasks: its view starts grouped by document"


@pytest.mark.browser
@needs_chromium
def test_search_box_finds_a_unit_by_an_alias(sample_out: Path, sample_graph: nx.MultiDiGraph,
                                             page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    graph = sample_graph
    # An alias that differs from the unit's canonical name and names no other node.
    owners: dict[str, set[str]] = defaultdict(set)
    for node, data in graph.nodes(data=True):
        for name in [data.get("name"), data.get("title"), *(data.get("aliases") or [])]:
            if name:
                owners[str(name)].add(node)
    shown, _ = expected_network(graph)  # the pages open on the current editions
    candidates = sorted(
        (alias, unit) for unit, data in graph.nodes(data=True) if "Unit" in data["labels"] and unit in shown
        for alias in data.get("aliases") or [] if alias != data["name"] and owners[alias] == {unit}
        and graph.out_degree(unit)
    )
    assert candidates, "the sample graph has units written under other names"
    alias, unit = candidates[len(candidates) // 2]
    for view in (sample_out / "views" / "network.html", sample_out / "views" / "cooperation.html"):
        assert_clean(open_view(tab, view))
        tab.fill("#search", alias)
        tab.wait_for_selector("#search-results li[data-id]")
        first = tab.locator("#search-results li[data-id]").first
        assert first.get_attribute("data-id") == unit
        tab.press("#search", "Enter")
        assert tab.evaluate("policykgView.selectedNodes()") == [unit]
        assert graph.nodes[unit]["name"] in tab.inner_text("#details")


@pytest.mark.browser
@needs_chromium
def test_filters_rerun_the_layout_and_fit(sample_out: Path, sample_graph: nx.MultiDiGraph,
                                          page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    graph = sample_graph
    nodes, edges = expected_network(graph)
    assert_clean(open_view(tab, sample_out / "views" / "network.html"))
    # Role filter: unticking "leads" hides exactly the LEADS edges.
    tab.uncheck("#filter-roles input[data-role=LEADS]")
    wait_ready(tab)
    leads = sum(1 for u, v, k, t in graph.edges(keys=True, data="type") if t == "LEADS" and (u, v, str(k)) in edges)
    assert tab.evaluate("policykgView.visibleCounts()")["edges"] == len(edges) - leads
    tab.check("#filter-roles input[data-role=LEADS]")
    wait_ready(tab)
    # Kind filter: unticking tasks hides the tasks.
    tab.uncheck("#filter-kinds input[data-kind=Task]")
    wait_ready(tab)
    tasks = sum(1 for n in nodes if graph.nodes[n]["label"] == "Task")
    assert tab.evaluate("policykgView.visibleCounts()")["nodes"] == len(nodes) - tasks
    tab.check("#filter-kinds input[data-kind=Task]")
    wait_ready(tab)
    # Document filter: one plan's nodes; the layout is run again on them and the view fitted.
    docs = tab.evaluate("Array.from(document.querySelectorAll('#filter-doc option')).map(o => o.value).filter(Boolean)")
    doc_index = docs[-1]
    doc_id = tab.evaluate(f"policykgView.shared.docs[{doc_index}].id")
    sha = graph.nodes[doc_id]["sha256"]
    before = tab.evaluate("[policykgView.layouts || 0, policykgView.network.getPositions()]")
    tab.select_option("#filter-doc", doc_index)
    wait_ready(tab)
    want = {n for n in nodes if sha in (graph.nodes[n].get("docs") or [graph.nodes[n].get("docSha256")])}
    assert tab.evaluate("policykgView.visibleCounts()")["nodes"] == len(want)
    assert str(tab.inner_text("#counts")).startswith(f"{len(want)} / {len(nodes)} nodes")
    after = tab.evaluate("[policykgView.layouts || 0, policykgView.network.getPositions()]")
    assert after[0] == before[0] + 1
    moved = [n for n in want if before[1][n] != after[1][n]]
    assert len(moved) > len(want) / 2  # laid out again, not left where they were
    # Fitted: every visible node is drawn inside the canvas.
    inside = tab.evaluate("""() => {
        const net = policykgView.network, rect = document.getElementById('network').getBoundingClientRect();
        const pos = net.getPositions(policykgView.visibleNodeIds());
        return Object.values(pos).every(p => { const d = net.canvasToDOM(p); return d.x >= -1 && d.y >= -1 && d.x <= rect.width + 1 && d.y <= rect.height + 1; });
    }""")
    assert inside


@pytest.mark.browser
@needs_chromium
def test_click_highlights_neighbours_and_the_hash_shares_the_selection(
    sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]]
) -> None:
    tab, _ = page
    graph = sample_graph
    views = sample_out / "views"
    assert_clean(open_view(tab, views / "cooperation.html"))
    _, shown, _ = page_graph(tab)
    unit = max(shown, key=lambda u: (graph.degree(u), u))
    x, y = node_screen_point(tab, unit)
    tab.mouse.click(x, y)
    assert tab.evaluate("policykgView.selectedNodes()") == [unit]
    _, pairs = expected_cooperation(graph)
    neighbours = {b for a, b in pairs if a == unit} | {a for a, b in pairs if b == unit}
    assert set(tab.evaluate("policykgView.highlighted")) == neighbours | {unit}
    assert set(tab.evaluate("policykgView.dimmed")) == shown - neighbours - {unit}
    dimmed = next(iter(shown - neighbours - {unit}), None)
    if dimmed is not None:
        colours = tab.evaluate("([a, b]) => [policykgView.datasets.nodes.get(a).color, policykgView.datasets.nodes.get(b).color]",
                               [unit, dimmed])
        assert colours[0] != colours[1] and "rgba(200,200,200" in colours[1]
    # The details panel is in sight without scrolling: inside the viewport, over the network.
    box = tab.locator("#panel").bounding_box()
    assert box["y"] >= 0 and box["y"] + 40 < 900 and box["x"] + box["width"] <= 1400
    assert graph.nodes[unit]["name"] in tab.inner_text("#details")
    # The selection is in the URL; opening that URL selects the same node again.
    url = tab.evaluate("location.href")
    assert "node=" + quote(unit, safe="") in url or "node=" + quote(unit) in url
    tab.goto("about:blank")
    tab.goto(url)
    wait_ready(tab)
    assert tab.evaluate("policykgView.selectedNodes()") == [unit]
    assert graph.nodes[unit]["name"] in tab.inner_text("#details")
    # Clicking the background clears the highlight.
    tab.evaluate("policykgView.clearSelection()")
    assert tab.evaluate("policykgView.dimmed") == []


@pytest.mark.browser
@needs_chromium
def test_labels_are_short_titles_and_do_not_overlap_at_the_default_zoom(
    sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]], large_views: Any
) -> None:
    tab, _ = page
    graph = sample_graph
    views = sample_out / "views"
    unit = busiest_unit(graph)
    doc = max((n for n, d in graph.nodes(data=True) if d["label"] == "Document"), key=graph.degree)
    pages = [(views / "network.html", ""), (views / "cooperation.html", ""),
             (views / "unit.html", "unit=" + quote(unit, safe="")), (views / "document.html", "doc=" + quote(doc, safe="")),
             (large_views[1] / "network.html", "")]
    for path, fragment in pages:
        assert_clean(open_view(tab, path, fragment=fragment))
        measured = tab.evaluate(LABEL_BOXES_JS)
        assert measured["labels"] >= 10, (path, fragment, measured)
        assert measured["overlapping"] <= 0.02 * measured["labels"], (path, fragment, measured)
    # Zooming in shows more labels (still without overlaps).
    assert_clean(open_view(tab, views / "network.html"))
    fitted = tab.evaluate(LABEL_BOXES_JS)["labels"]
    tab.evaluate("""() => { const net = policykgView.network; net.moveTo({scale: net.getScale() * 2.5}); policykgView.cullLabels(); }""")
    zoomed = tab.evaluate(LABEL_BOXES_JS)
    assert zoomed["overlapping"] <= 0.02 * zoomed["labels"]
    assert zoomed["labels"] > 0
    # Tasks are labelled by a short title, not by their path (which is in the tooltip).
    labels = tab.evaluate("policykgView.data.nodes.filter(n => n.kind === 'Task').map(n => [n.id, n.full, n.title])")
    for task, label, tooltip in labels:
        data = graph.nodes[task]
        assert label != data["path"] and label.rstrip("…")[:4] == " ".join(data["title"].split())[:4]
        assert len(label) <= 12 and data["path"] in tooltip
    assert fitted >= 10


@pytest.mark.browser
@needs_chromium
def test_ego_view_centre_tasks_by_document_and_role_partners_outside(
    sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]]
) -> None:
    import math

    tab, _ = page
    graph = sample_graph
    unit = busiest_unit(graph)
    assert_clean(open_view(tab, sample_out / "views" / "unit.html", fragment="unit=" + quote(unit, safe="")))
    tab.evaluate("policykgView.expandAll()")
    wait_ready(tab)
    items = tab.evaluate("policykgView.data.nodes.map(n => [n.id, n.x, n.y])")
    pos = {n: (x, y) for n, x, y in items}
    assert pos[unit] == (0, 0)
    tasks = unit_tasks(graph, unit)
    radius = {n: math.hypot(*pos[n]) for n in pos}
    partners = {u for t in tasks for u, _, d in graph.in_edges(t, data=True) if d["type"] in RESPONSIBILITY} - {unit}
    assert partners and min(radius[p] for p in partners) > max(radius[t] for t in tasks)
    # Tasks of one document fill one sector: sorted by angle, they change document at most once
    # per document (around the circle).
    angle = {t: math.atan2(pos[t][1], pos[t][0]) % (2 * math.pi) for t in tasks}
    by_angle = sorted(tasks, key=lambda t: angle[t])
    docs = [graph.nodes[t]["docId"] for t in by_angle]
    changes = sum(1 for a, b in zip(docs, docs[1:] + docs[:1], strict=True) if a != b)
    assert changes <= len(set(docs))
    # Lead tasks inside, participations outside.
    role = {t: "L" if graph.has_edge(unit, t) and any(d["type"] == "LEADS" for d in graph.get_edge_data(unit, t).values())
            else "P" for t in tasks}
    led = [radius[t] for t in tasks if role[t] == "L"]
    joined = [radius[t] for t in tasks if role[t] == "P"]
    if led and joined:
        assert max(led) < min(joined)
    # The document sectors are named on the canvas, with their counts.
    names = tab.evaluate("policykgView.data.groups.map(g => g.name)")
    assert len(names) == len(set(docs)) and all(re.search(r"L \d+ · P \d+", n) for n in names)


@pytest.mark.browser
@needs_chromium
def test_aggregated_view_groups_jurisdictions_expands_and_search_says_what_is_hidden(
    large_views: tuple[nx.MultiDiGraph, Path], page: tuple[Any, list[Any]]
) -> None:
    tab, _ = page
    graph, views = large_views
    assert_clean(open_view(tab, views / "network.html"))
    model, nodes, _ = page_graph(tab)
    assert model["aggregated"] and "Aggregated" in tab.inner_text("#note")
    doc_of = {t: d for t, d, rel in graph.edges(data="type") if rel == "PART_OF"}
    counts: Counter[tuple[str, str, str]] = Counter()
    for u, t, rel in graph.edges(data="type"):
        if rel in RESPONSIBILITY:
            counts[(u, doc_of[t], rel)] += 1
    docs = {n for n, d in graph.nodes(data=True) if d["label"] == "Document"}
    assert nodes == docs | {u for u, _, _ in counts}
    weights = tab.evaluate("policykgView.data.edges.map(e => [e.from, e.to, e.type, e.weight])")
    assert {(a, b, t): w for a, b, t, w in weights if t != "CO_OPERATES"} == dict(counts)
    # Jurisdictions as groups, named on the canvas; units of different jurisdictions that share
    # tasks are linked.
    groups = tab.evaluate("policykgView.data.groups.map(g => g.name.split(' · ')[0])")
    assert set(groups) == {graph.nodes[d]["jurisdiction"] for d in docs}
    _, pairs = expected_cooperation(graph)
    cross = {(a, b): w for (a, b), w in pairs.items()
             if graph.nodes[a]["jurisdiction"] != graph.nodes[b]["jurisdiction"]}
    assert {(a, b): w for a, b, t, w in weights if t == "CO_OPERATES"} == cross
    # Search: an indicator is not in the aggregated view, and the results say so.
    indicator = next(d["name"] for _, d in graph.nodes(data=True) if d["label"] == "Indicator")
    assert "indicators are not in this aggregated view" in tab.get_attribute("#search", "placeholder")
    tab.fill("#search", indicator)
    tab.wait_for_selector("#search-results li.elsewhere")
    text = tab.inner_text("#search-results")
    assert "no match in this view" in text and "not in the aggregated view" in text and "Indicator" in text
    # Double-click a document: its tasks are added from the shared data, linked as in the graph.
    doc = sorted(docs)[0]
    x, y = node_screen_point(tab, doc)
    tab.evaluate(f"policykgView.network.moveTo({{position: policykgView.network.getPositions(['{doc}'])['{doc}'], scale: 1}})")
    x, y = node_screen_point(tab, doc)
    tab.mouse.dblclick(x, y)
    tab.wait_for_function("() => (policykgView.expansions || 0) > 0")
    _, nodes_after, triples_after = page_graph(tab)
    neighbours = set(graph.predecessors(doc)) | set(graph.successors(doc))
    assert nodes_after == nodes | neighbours
    added = {(u, v, str(k)) for u, v, k in graph.edges(keys=True) if (u in neighbours - nodes or v in neighbours - nodes)
             and u in nodes_after and v in nodes_after}
    assert added and added <= triples_after
    assert set(tab.evaluate("policykgView.highlighted")) >= neighbours


@pytest.mark.browser
@needs_chromium
def test_ego_view_expands_a_neighbour_from_the_shared_data(sample_out: Path, sample_graph: nx.MultiDiGraph,
                                                          page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    graph = sample_graph
    unit = busiest_unit(graph)
    assert_clean(open_view(tab, sample_out / "views" / "unit.html", fragment="unit=" + quote(unit, safe="")))
    tab.evaluate("policykgView.expandAll()")
    wait_ready(tab)
    _, before, _ = page_graph(tab)
    # A partner with tasks outside this ego view: expanding it adds them (button in the panel).
    partner = max((n for n in before if n != unit and "Unit" in graph.nodes[n]["labels"]),
                  key=lambda n: (len(set(graph.successors(n)) - before), n))
    outside = (set(graph.successors(partner)) | set(graph.predecessors(partner))) - before
    assert outside
    tab.evaluate("id => policykgView.selectNode(id)", partner)
    tab.click("#expand")
    _, after, _ = page_graph(tab)
    assert after == before | outside


@pytest.mark.browser
@needs_chromium
def test_index_summary_chart_and_responsibility_matrix(sample_out: Path, sample_graph: nx.MultiDiGraph,
                                                       page: tuple[Any, list[Any]], screenshots: Path) -> None:
    tab, _ = page
    graph = sample_graph
    assert_clean(open_view(tab, sample_out / "views" / "index.html", ready=INDEX_READY))
    tasks = [n for n, d in graph.nodes(data=True) if d["label"] == "Task"]
    assert tab.inner_text("#summary .card[data-key=tasks] b") == str(len(tasks))
    docs = [n for n, d in graph.nodes(data=True) if d["label"] == "Document"]
    assert tab.inner_text("#summary .card[data-key=documents] b") == str(len(docs))
    # Every link points to a page that exists (unit and document views by their hash).
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    views = sample_out / "views"
    assert all((views / h.split("#")[0]).is_file() for h in hrefs)
    assert {f"document.html#doc={quote(d, safe='')}" for d in docs} <= set(hrefs)
    # Communities, named by their central unit.
    assert tab.locator("#communities li").count() >= 2
    # Bar chart: the busiest unit first, with its real counts ("name: L x, P y").
    led = Counter(u for u, _, t in graph.edges(data="type") if t == "LEADS")
    joined = Counter(u for u, _, t in graph.edges(data="type") if t == "PARTICIPATES_IN")
    title = tab.locator("#bars .row").first.get_attribute("title")
    name, counts = title.rsplit(": ", 1)
    unit = next(n for n, d in graph.nodes(data=True) if d.get("name") == name and "Unit" in d["labels"])
    assert counts == f"L {led[unit]}, P {joined[unit]}"
    assert led[unit] + joined[unit] == max(led[u] + joined[u] for u in set(led) | set(joined))
    # Matrix over all tasks: one L/P cell per (unit, task), as in the graph.
    tab.select_option("#matrix-doc", "all")
    cells = Counter(tab.eval_on_selector_all("#matrix tbody td.L, #matrix tbody td.P", "els => els.map(e => e.textContent)"))
    roles: dict[tuple[str, str], str] = {}
    for u, v, t in graph.edges(data="type"):
        if t in RESPONSIBILITY and roles.get((u, v)) != "L":
            roles[(u, v)] = "L" if t == "LEADS" else "P"
    assert cells == Counter(roles.values())
    # Columns: short task titles grouped under their document (one header per document, its span
    # the number of its tasks); the path is in the header's tooltip.
    spans = tab.eval_on_selector_all("#matrix th.doc", "els => els.map(e => [e.title, Number(e.getAttribute('colspan'))])")
    per_doc = Counter(graph.nodes[graph.nodes[t]["docId"]]["name"] for t in tasks)
    assert dict(spans) == dict(per_doc)
    headers = tab.eval_on_selector_all("#matrix th.task", "els => els.map(e => [e.textContent, e.title])")
    assert len(headers) == len(tasks)
    paths = {graph.nodes[t]["path"] for t in tasks}
    assert not any(text in paths for text, _ in headers) and all(title.split(" ")[0] in paths for _, title in headers)
    # Rows sorted by workload (L + P) by default; sortable by L.
    total = [int(x) for x in tab.eval_on_selector_all("#matrix tbody tr td:nth-child(2)", "els => els.map(e => e.textContent)")]
    assert total == sorted(total, reverse=True) and total[0] == max(led[u] + joined[u] for u in set(led) | set(joined))
    tab.click("#matrix th[data-sort=L]")
    led_col = [int(x) for x in tab.eval_on_selector_all("#matrix tbody tr td:nth-child(3)", "els => els.map(e => e.textContent)")]
    assert led_col == sorted(led_col, reverse=True) and led_col[0] > 0
    # Filterable: a unit's alias keeps that unit's row.
    per_unit = led + joined
    unit = max(per_unit, key=lambda u: (per_unit[u], u))
    alias = next(a for a in graph.nodes[unit].get("aliases") or [graph.nodes[unit]["name"]])
    tab.fill("#matrix-unit-filter", alias)
    rows = tab.eval_on_selector_all("#matrix tbody tr", "els => els.map(e => e.dataset.id)")
    assert unit in rows and all(alias in (graph.nodes[r].get("aliases") or []) or alias in graph.nodes[r]["name"]
                                for r in rows)
    tab.fill("#matrix-unit-filter", "")
    tab.screenshot(path=str(screenshots / "index.png"), full_page=True)
    assert (screenshots / "index.png").stat().st_size > 50_000


@pytest.mark.browser
@needs_chromium
def test_screenshots_show_drawn_networks(sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]],
                                         screenshots: Path, large_views: Any) -> None:
    tab, _ = page
    views = sample_out / "views"
    unit = busiest_unit(sample_graph)
    doc = max((n for n, d in sample_graph.nodes(data=True) if d["label"] == "Document"), key=sample_graph.degree)
    for name, path, fragment in (("network", views / "network.html", ""), ("cooperation", views / "cooperation.html", ""),
                                 ("document", views / "document.html", "doc=" + quote(doc, safe="")),
                                 ("unit", views / "unit.html", "unit=" + quote(unit, safe="")),
                                 ("large_network", large_views[1] / "network.html", "")):
        assert_clean(open_view(tab, path, fragment=fragment))
        tab.hover("#network", position={"x": 5, "y": 200})
        ink = canvas_ink(tab)
        assert ink > 0.01, (path, ink)
        shot = screenshots / f"{name}.png"
        tab.screenshot(path=str(shot))
        assert shot.stat().st_size > 30_000
    print(f"\nscreenshots in {screenshots}")


@pytest.mark.browser
@needs_chromium
def test_empty_graph_gives_a_page_that_says_so(tmp_path: Path, page: tuple[Any, list[Any]], screenshots: Path) -> None:
    tab, _ = page
    written = write_views(nx.MultiDiGraph(), tmp_path / "views")
    assert {p.name for p in written} >= {"index.html", "network.html", "cooperation.html"}
    for name in ("network.html", "cooperation.html", "unit.html", "document.html"):
        assert_clean(open_view(tab, tmp_path / "views" / name))
        assert tab.is_visible("#empty")
        assert "This view is empty" in tab.inner_text("#empty")
    tab.screenshot(path=str(screenshots / "empty_network.png"))
    assert_clean(open_view(tab, tmp_path / "views" / "index.html", ready=INDEX_READY))
    assert "The graph is empty" in tab.inner_text("#empty-note")
    assert "No tasks in this graph" in tab.inner_text("#matrix")


@pytest.mark.browser
@needs_chromium
def test_unknown_unit_in_the_hash_says_so(sample_out: Path, page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    assert_clean(open_view(tab, sample_out / "views" / "unit.html", fragment="unit=nobody"))
    assert tab.is_visible("#empty") and "No unit nobody" in tab.inner_text("#empty")


@pytest.mark.browser
@needs_chromium
def test_inlined_view_stands_alone(sample_graph: nx.MultiDiGraph, tmp_path: Path, page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    write_views(sample_graph, tmp_path / "views", inline_assets=True, unit_views=False)
    assert not (tmp_path / "views" / "assets").exists() and not (tmp_path / "views" / "data.js").exists()
    alone = tmp_path / "elsewhere" / "network.html"
    alone.parent.mkdir()
    shutil.copyfile(tmp_path / "views" / "network.html", alone)
    report = open_view(tab, alone)
    assert_clean(report)
    assert report.requests == [alone.resolve().as_uri()]  # nothing but the page itself
    assert set(tab.evaluate("policykgView.nodeIds()")) == expected_network(sample_graph)[0]


@pytest.mark.browser
@needs_chromium
def test_large_graph_below_the_threshold_is_drawn_whole(large_views: tuple[nx.MultiDiGraph, Path], tmp_path: Path,
                                                        page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    graph, _ = large_views
    # Below the threshold the same graph is drawn whole (a "big" view: no physics, no arrowheads,
    # edges hidden while panning), with exactly its nodes and edges, communities apart.
    write_views(graph, tmp_path / "whole", max_nodes=graph.number_of_nodes())
    assert_clean(open_view(tab, tmp_path / "whole" / "network.html"))
    model, nodes, triples = page_graph(tab)
    assert not model["aggregated"]
    assert nodes == set(graph.nodes)
    assert triples == graph_edge_set(graph, graph.edges(keys=True))
    assert tab.evaluate("policykgView.data.nodes.length") > tab.evaluate("policykgView.shared.bigView")
    assert canvas_ink(tab) > 0.005
    assert len(tab.evaluate("policykgView.data.groups")) >= 2
    # Big views start with solid lines (dashes cost ten times as much to draw); a box adds them.
    dashed = "policykgView.datasets.edges.get().filter(e => e.type === 'PARTICIPATES_IN' && e.dashes).length"
    assert tab.evaluate(dashed) == 0
    tab.check("#dashes")
    assert tab.evaluate(dashed) == sum(1 for _, _, t in graph.edges(data="type") if t == "PARTICIPATES_IN")
    assert tab.evaluate("policykgView.network.physics.options.enabled") is False
    assert tab.evaluate("policykgView.data.nodes.every(n => Number.isFinite(n.x) && Number.isFinite(n.y))")


# --- bad input and the command line (no browser) -------------------------------------------------------


def test_unknown_unit_lists_the_closest_names(sample_graph: nx.MultiDiGraph, sample_out: Path, tmp_path: Path) -> None:
    unit = max(units_of(sample_graph), key=lambda n: sample_graph.degree(n))
    name = sample_graph.nodes[unit]["name"]
    misspelt = name[:-1] + ("厅" if not name.endswith("厅") else "局")
    views = tmp_path / "views"
    with pytest.raises(UnknownUnitError) as caught:
        write_views(sample_graph, views, units=[misspelt])
    message = str(caught.value)
    assert misspelt in message and name in message.split("closest names:")[1]
    assert not views.exists() and list(tmp_path.iterdir()) == []  # nothing half-written
    # The command line: one line naming the file, exit code 1, the existing views left intact.
    before = sorted(p.relative_to(sample_out) for p in (sample_out / "views").rglob("*"))
    result = CliRunner().invoke(main, ["views", str(sample_out), "--unit", misspelt])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert str(sample_out / "graph.json") in result.output and name in result.output
    assert sorted(p.relative_to(sample_out) for p in (sample_out / "views").rglob("*")) == before


def test_views_command_writes_the_named_units_and_reports_a_missing_graph(sample_graph: nx.MultiDiGraph,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["views", str(out)])
    assert result.exit_code == 1 and "graph.json" in result.output and not (out / "views").exists()
    write_graph_json(sample_graph, out / "graph.json")
    unit, alias = next((n, a) for n, d in sample_graph.nodes(data=True) if "Unit" in d["labels"]
                       for a in d.get("aliases") or [] if a != d["name"])
    result = CliRunner().invoke(main, ["views", str(out), "--unit", alias])
    assert result.exit_code == 0, result.output
    ego_pages = list((out / "views" / "units").glob("*.html"))
    centres = {json.loads(p.read_text(encoding="utf-8").split('id="unit-id">')[1].split("</script>")[0])
               for p in ego_pages}
    assert unit in centres
    assert all("unit.html#unit=" in p.read_text(encoding="utf-8") for p in ego_pages)
    assert (out / "views" / "index.html").is_file() and (out / "views" / "network.html").is_file()


def test_views_reference_no_external_url(sample_out: Path) -> None:
    """Static check beside the browser one: no http(s) URL in any src/href of any page or asset
    a page loads (licence comments inside the vendored script are not requests)."""
    views = sample_out / "views"
    for path in views.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for attr in ("src=", "href="):
            for chunk in text.split(attr)[1:]:
                target = chunk[1:].split(chunk[0], 1)[0] if chunk[:1] in "\"'" else chunk.split(">", 1)[0]
                assert not target.startswith(("http:", "https:", "//")), (path, target)
    css = (views / "assets" / "vis-network.min.css").read_text(encoding="utf-8")
    assert "url(http" not in css.replace(" ", "") and "@import" not in css


def test_views_from_the_stream_of_graph_json_are_those_of_the_graph(
        sample_out: Path, sample_graph: nx.MultiDiGraph, large_views: tuple[nx.MultiDiGraph, Path],
        tmp_path: Path) -> None:
    """write_views_from_out reads OUT/graph.json one element at a time (the build holds no
    graph); what it writes is byte for byte what write_views writes from the networkx graph: the
    sample corpus drawn whole, and a synthetic one drawn aggregated."""
    large_graph, _ = large_views
    large_out = tmp_path / "large-out"
    large_out.mkdir()
    write_graph_json(large_graph, large_out / "graph.json")
    # the pages follow the order of the edges: a build's graph.json lists them document by document,
    # networkx source by source, so the sample's stream is the graph written in networkx's order
    sample_out = tmp_path / "sample-out"
    sample_out.mkdir()
    write_graph_json(sample_graph, sample_out / "graph.json")
    for name, graph, out, options in (("sample", sample_graph, sample_out, {}),
                                      ("large", large_graph, large_out, {"max_nodes": 2000})):
        from_graph = write_views(graph, tmp_path / name / "graph", units=units_of(graph)[:2], **options)
        from_stream = write_views_from_out(out, tmp_path / name / "stream", units=units_of(graph)[:2], **options)
        assert [p.relative_to(tmp_path / name / "graph") for p in from_graph] == \
            [p.relative_to(tmp_path / name / "stream") for p in from_stream]
        assert any(p.name == "data.js" for p in from_stream) and any(p.parent.name == "units" for p in from_stream)
        for a, b in zip(from_graph, from_stream, strict=True):
            assert a.read_bytes() == b.read_bytes(), (name, b.name)
    data = json.loads((tmp_path / "large" / "stream" / "data.js").read_text(encoding="utf-8").split("=", 1)[1]
                      .rstrip().rstrip(";"))
    assert data["network"]["aggregated"] and len(data["nodes"]) == large_graph.number_of_nodes()
    # Every edge once, its ends, key, written form and quote as in the graph (written and quote
    # are numbers into one table of strings, a key TYPE:n is written as n).
    ids, strings = [n["id"] for n in data["nodes"]], data["strings"]
    shown = Counter()
    for row in data["edges"]:
        fields = [*row[5:], 0, 0]
        key = f"{data['types'][row[2]]}:{row[4]}" if isinstance(row[4], int) else row[4]
        shown[(ids[row[0]], ids[row[1]], key, strings[fields[0]], strings[fields[1]])] += 1
    assert shown == Counter((u, v, str(k), str(d.get("written") or ""), str(d.get("quote") or "")[:200])
                            for u, v, k, d in large_graph.edges(keys=True, data=True))
    assert strings.count("") == 1 and len(set(strings)) == len(strings)


def test_views_of_ids_and_types_written_with_escapes_and_without_fork_are_those_of_the_graph(
        sample_graph: nx.MultiDiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """graph.json's edges are read by a second process that finds the nodes' ids from the head of
    their lines only: ids and a type that graph.json writes with escapes (a quote, a backslash, a
    tab) are read as written, and where the system cannot fork the views are read in one
    process; either way the bytes are those write_views writes from the graph."""
    graph = nx.relabel_nodes(sample_graph, {n: f'{n}"\\\t' for i, n in enumerate(sample_graph) if i % 7 == 0})
    for i, (_, _, data) in enumerate(graph.edges(data=True)):
        if i % 11 == 0 and data.get("type") == "MENTIONS":
            data["type"] = 'MENTIONS"\\'
    out = tmp_path / "out"
    out.mkdir()
    write_graph_json(graph, out / "graph.json")
    assert b'\\"' in (out / "graph.json").read_bytes()
    expected = [p.read_bytes() for p in write_views(graph, tmp_path / "graph")]
    assert [p.read_bytes() for p in write_views_from_out(out, tmp_path / "forked")] == expected
    monkeypatch.delattr(os, "fork")
    assert [p.read_bytes() for p in write_views_from_out(out, tmp_path / "one-process")] == expected


def test_views_of_lines_orjson_refuses_and_of_brackets_in_texts_are_those_of_the_graph(
        sample_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    """graph.json's lists are parsed many lines at a time, and their end found as the first line
    that starts with "]": a block with a value orjson refuses (NaN, which json writes and
    reads) is parsed line by line, and a "]" inside a text (a name, a quote) does not end a
    list; the bytes are those write_views writes from the graph."""
    graph = sample_graph.copy()
    nan = float("nan")
    for i, (node, data) in enumerate(graph.nodes(data=True)):
        if i % 5 == 0:
            data["name"] = f"]{data.get('name') or node}]"
        if i == 3:
            data["population"] = nan
    for i, (_, _, data) in enumerate(graph.edges(data=True)):
        if i % 3 == 0:
            data["quote"] = "]\n]" + str(data.get("quote") or "")
        if i == 5:
            data["weight"] = nan
    out = tmp_path / "out"
    out.mkdir()
    write_graph_json(graph, out / "graph.json")
    written = (out / "graph.json").read_bytes()
    assert written.count(b":NaN") == 2 and b'"]' in written
    expected = [p.read_bytes() for p in write_views(graph, tmp_path / "graph")]
    assert [p.read_bytes() for p in write_views_from_out(out, tmp_path / "stream")] == expected


def test_views_are_the_same_bytes_every_time_and_from_windows_line_ends(sample_out: Path, tmp_path: Path) -> None:
    """Communities and layouts are seeded: the same graph.json gives the same bytes, also in
    another process with other string hashes; a graph.json with Windows line ends (written in
    text mode there) is read as the same graph."""
    first = write_views_from_out(sample_out, tmp_path / "first")
    script = "import sys; from policykg.visualize import write_views_from_out; write_views_from_out(*sys.argv[1:])"
    subprocess.run([sys.executable, "-c", script, str(sample_out), str(tmp_path / "again")], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    crlf = tmp_path / "crlf-out"
    crlf.mkdir()
    (crlf / "graph.json").write_bytes((sample_out / "graph.json").read_bytes().replace(b"\n", b"\r\n"))
    write_views_from_out(crlf, tmp_path / "crlf")
    assert any(p.name == "data.js" for p in first)
    for other in ("again", "crlf"):
        for path in first:
            twin = tmp_path / other / path.relative_to(tmp_path / "first")
            assert path.read_bytes() == twin.read_bytes(), (other, path.name)


def test_views_grow_linearly_with_the_number_of_plans(tmp_path: Path) -> None:
    """The shared data file grows in proportion to the graph, and the number of files does not
    grow at all (the timing is in bench/bench_views.py)."""
    from policykg.visualize.synthetic import synthetic_policy_graph

    sizes = {}
    for n in (50, 200):
        written = write_views(synthetic_policy_graph(n, tasks_per_document=3, seed=1), tmp_path / f"v{n}")
        sizes[n] = (len(written), sum(p.stat().st_size for p in written))
    assert sizes[50][0] == sizes[200][0]
    assert sizes[200][1] < 5 * sizes[50][1]


@pytest.mark.browser
@needs_chromium
def test_names_with_markup_are_shown_as_text(sample_graph: nx.MultiDiGraph, tmp_path: Path,
                                             page: tuple[Any, list[Any]]) -> None:
    """Names come from the documents: one that looks like markup must neither break the page
    nor run; it is found by the search box and shown as written."""
    tab, _ = page
    graph = sample_graph.copy()
    unit = next(n for n, d in graph.nodes(data=True) if "Unit" in d["labels"] and graph.out_degree(n))
    hostile = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">局'
    graph.nodes[unit]["aliases"] = [*graph.nodes[unit].get("aliases", []), hostile]
    graph.nodes[unit]["name"] = hostile
    written = write_views(graph, tmp_path / "views", units=[hostile])
    stub = next(p for p in written if p.parent.name == "units")
    assert "<script>window.pwned" not in stub.read_text(encoding="utf-8")
    for path, fragment in ((tmp_path / "views" / "network.html", ""),
                           (tmp_path / "views" / "unit.html", "unit=" + quote(unit, safe=""))):
        assert_clean(open_view(tab, path, fragment=fragment))
        assert tab.evaluate("window.pwned") is None
        assert unit in tab.evaluate("policykgView.nodeIds()")
        tab.fill("#search", hostile)
        tab.press("#search", "Enter")
        assert tab.evaluate("policykgView.selectedNodes()") == [unit]
        assert hostile in tab.inner_text("#details")
    assert_clean(open_view(tab, tmp_path / "views" / "index.html", ready=INDEX_READY))
    assert tab.evaluate("window.pwned") is None
    tab.fill("#unit-filter", hostile)
    assert tab.inner_text("#units tbody").count(hostile) == 1
