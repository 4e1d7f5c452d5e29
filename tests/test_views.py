"""The HTML views (issue 5) in a real headless Chromium with the network blocked: every view of
the real sample graph opens with no console error and no request leaving file://, holds exactly
the nodes and edges of the graph it shows (recomputed here from the graph, not by the views
code), the search box finds a unit by an alias, filters and the index's matrix work, and
screenshots are written. Bad input: an unknown unit lists the closest names; an empty graph
gives a page that says so."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from policykg.graph import read_graph
from policykg.graph.export import write_graph_json
from policykg.visualize import UnknownUnitError, write_views
from policykg.visualize.browser import CHROMIUM, chromium_browser, offline_page, open_view

from policykg.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RESPONSIBILITY = ("LEADS", "PARTICIPATES_IN")
INDEX_READY = "window.policykgIndex && window.policykgIndex.ready"

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


def expected_document(graph: nx.MultiDiGraph, doc: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    sha = graph.nodes[doc]["sha256"]
    edges = {(u, v, str(k)) for u, v, k, d in graph.edges(keys=True, data=True) if d.get("docSha256") == sha}
    return {doc} | {u for u, _, _ in edges} | {v for _, v, _ in edges}, edges


def expected_ego(graph: nx.MultiDiGraph, unit: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    tasks = {v for _, v, d in graph.out_edges(unit, data=True) if d["type"] in RESPONSIBILITY}
    tasks |= {u for u, _, d in graph.in_edges(unit, data=True)
              if d["type"] == "MENTIONS" and graph.nodes[u]["label"] == "Task"}
    edges: set[tuple[str, str, str]] = set()
    for task in tasks:
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


def page_graph(page: Any) -> tuple[dict[str, Any], set[str], list[dict[str, Any]]]:
    data = page.evaluate("window.policykgView.data")
    return data["view"], {n["id"] for n in data["nodes"]}, data["edges"]


def assert_clean(report: Any) -> None:
    assert report.console_errors == [], (report.path, report.console_errors)
    assert report.page_errors == [], (report.path, report.page_errors)
    assert report.external_requests == [], (report.path, report.external_requests)
    assert report.blocked == [], (report.path, report.blocked)


def canvas_ink(page: Any) -> float:
    """Share of non-white pixels on the network canvas: a drawn network, not a blank page."""
    return page.evaluate("""() => {
        const c = document.querySelector('#network canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && (d[i] < 235 || d[i+1] < 235 || d[i+2] < 235)) ink++;
        return ink / (d.length / 4);
    }""")


# --- browser tests ------------------------------------------------------------------------------------


@pytest.mark.browser
@needs_chromium
def test_every_view_opens_offline_and_shows_exactly_its_graph(
    sample_out: Path, sample_graph: nx.MultiDiGraph, page: tuple[Any, list[Any]]
) -> None:
    tab, _ = page
    views = sample_out / "views"
    graph = sample_graph
    pages = sorted(views.rglob("*.html"))
    unit_pages = sorted((views / "units").glob("*.html"))
    doc_pages = sorted((views / "documents").glob("*.html"))
    units = [n for n, d in graph.nodes(data=True) if "Unit" in d["labels"]]
    docs = [n for n, d in graph.nodes(data=True) if d["label"] == "Document"]
    assert len(unit_pages) == len(units) > 0
    assert len(doc_pages) == len(docs) == len(list(DATA.glob("*.txt")))
    seen_docs, seen_units = set(), set()
    for path in pages:
        if path.name == "index.html":
            assert_clean(open_view(tab, path, ready=INDEX_READY))
            continue
        assert_clean(open_view(tab, path))
        view, nodes, edges = page_graph(tab)
        triples = {(e["from"], e["to"], e["key"]) for e in edges}
        assert len(triples) == len(edges), path  # no edge drawn twice
        if view["kind"] == "network":
            assert nodes == set(graph.nodes)
            assert triples == graph_edge_set(graph, graph.edges(keys=True))
            # Lead edges solid, participation dashed (as drawn: the vis DataSet's items).
            drawn = tab.evaluate("window.policykgView.datasets.edges.get().map(e => [e.type, e.dashes])")
            assert {t for t, dashes in drawn if dashes} >= {"PARTICIPATES_IN"}
            assert not any(dashes for t, dashes in drawn if t == "LEADS")
            # Task tooltips: title, path, the clause as quoted, the document.
            tooltips = {n["id"]: n["title"] for n in tab.evaluate("window.policykgView.data.nodes")}
            for task, data in graph.nodes(data=True):
                if data["label"] == "Task":
                    doc = graph.nodes[data["docId"]]["name"]
                    for part in (data["title"][:60], data["path"], data["quote"][:60], doc):
                        part = " ".join(part.split())  # line breaks inside a clause are shown as spaces
                        assert part in tooltips[task], (task, part)
        elif view["kind"] == "document":
            doc = next(d for d in docs if d in nodes and graph.nodes[d]["name"] == view["title"])
            seen_docs.add(doc)
            assert (nodes, triples) == expected_document(graph, doc), path
        elif view["kind"] == "ego":
            seen_units.add(view["centre"])
            assert (nodes, triples) == expected_ego(graph, view["centre"]), path
        elif view["kind"] == "cooperation":
            want_nodes, want_pairs = expected_cooperation(graph)
            assert nodes == want_nodes
            assert {(e["from"], e["to"]): e["weight"] for e in edges} == want_pairs
            assert max(want_pairs.values()) > 1  # the sample has units sharing several tasks
        else:
            pytest.fail(f"{path}: unexpected view kind {view['kind']}")
    assert seen_docs == set(docs)
    assert seen_units == set(units)


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
    candidates = sorted(
        (alias, unit) for unit, data in graph.nodes(data=True) if "Unit" in data["labels"]
        for alias in data.get("aliases") or [] if alias != data["name"] and owners[alias] == {unit}
    )
    assert candidates, "the sample graph has units written under other names"
    alias, unit = candidates[len(candidates) // 2]
    for view in (sample_out / "views" / "network.html", sample_out / "views" / "cooperation.html"):
        assert_clean(open_view(tab, view))
        tab.fill("#search", alias)
        tab.wait_for_selector("#search-results li")
        first = tab.locator("#search-results li").first
        assert first.get_attribute("data-id") == unit
        tab.press("#search", "Enter")
        assert tab.evaluate("window.policykgView.selectedNodes()") == [unit]
        assert graph.nodes[unit]["name"] in tab.inner_text("#details")


@pytest.mark.browser
@needs_chromium
def test_filters_by_document_kind_and_role(sample_out: Path, sample_graph: nx.MultiDiGraph,
                                           page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    graph = sample_graph
    assert_clean(open_view(tab, sample_out / "views" / "network.html"))
    data = tab.evaluate("window.policykgView.data")
    # Role filter: unticking "leads" hides exactly the LEADS edges.
    tab.uncheck("#filter-roles input[data-role=LEADS]")
    leads = sum(1 for _, _, t in graph.edges(data="type") if t == "LEADS")
    assert tab.evaluate("window.policykgView.visibleCounts()")["edges"] == graph.number_of_edges() - leads
    tab.check("#filter-roles input[data-role=LEADS]")
    # Kind filter: unticking tasks hides the tasks.
    tab.uncheck("#filter-kinds input[data-kind=Task]")
    tasks = sum(1 for _, d in graph.nodes(data=True) if d["label"] == "Task")
    assert tab.evaluate("window.policykgView.visibleCounts()")["nodes"] == graph.number_of_nodes() - tasks
    tab.check("#filter-kinds input[data-kind=Task]")
    # Document filter: one plan's nodes (tasks, its document, shared nodes it names).
    doc = max(data["docs"], key=lambda d: d["name"])
    sha = graph.nodes[doc["id"]]["sha256"]
    tab.select_option("#filter-doc", str(doc["index"]))
    want = {n for n, d in graph.nodes(data=True) if sha in (d.get("docs") or [d.get("docSha256")])}
    assert tab.evaluate("window.policykgView.visibleCounts()")["nodes"] == len(want)
    assert str(tab.inner_text("#counts")).startswith(f"{len(want)} / {graph.number_of_nodes()} nodes")


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
    # Every view is linked, and every link points to a file that exists.
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    views = sample_out / "views"
    assert {str(p.relative_to(views)) for p in views.rglob("*.html")} - {"index.html"} <= set(hrefs)
    assert all((views / h).is_file() for h in hrefs)
    # Bar chart: the busiest unit first, with its real counts ("name: L x, P y").
    led = Counter(u for u, _, t in graph.edges(data="type") if t == "LEADS")
    joined = Counter(u for u, _, t in graph.edges(data="type") if t == "PARTICIPATES_IN")
    title = tab.locator("#bars .row").first.get_attribute("title")
    name, counts = title.rsplit(": ", 1)
    unit = next(n for n, d in graph.nodes(data=True) if d.get("name") == name and "Unit" in d["labels"])
    assert counts == f"L {led[unit]}, P {joined[unit]}"
    assert led[unit] + joined[unit] == max(led[u] + joined[u] for u in set(led) | set(joined))
    per_unit = led + joined
    # Matrix over all tasks: one L/P cell per (unit, task), as in the graph.
    tab.select_option("#matrix-doc", "all")
    cells = Counter(tab.eval_on_selector_all("#matrix tbody td.L, #matrix tbody td.P", "els => els.map(e => e.textContent)"))
    roles: dict[tuple[str, str], str] = {}
    for u, v, t in graph.edges(data="type"):
        if t in RESPONSIBILITY and roles.get((u, v)) != "L":
            roles[(u, v)] = "L" if t == "LEADS" else "P"
    assert cells == Counter(roles.values())
    # Sortable: by L, descending.
    tab.click("#matrix th[data-sort=L]")
    tab.click("#matrix th[data-sort=L]") if tab.locator("#matrix th.sorted-asc").count() else None
    led = [int(x) for x in tab.eval_on_selector_all("#matrix tbody tr td:nth-child(2)", "els => els.map(e => e.textContent)")]
    assert led == sorted(led, reverse=True) and led[0] > 0
    # Filterable: a unit's alias keeps that unit's row.
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
def test_screenshots_show_drawn_networks(sample_out: Path, page: tuple[Any, list[Any]], screenshots: Path) -> None:
    tab, _ = page
    views = sample_out / "views"
    ego = max((views / "units").glob("*.html"), key=lambda p: p.stat().st_size)
    doc = max((views / "documents").glob("*.html"), key=lambda p: p.stat().st_size)
    for path in (views / "network.html", views / "cooperation.html", doc, ego):
        assert_clean(open_view(tab, path))
        tab.hover("#network", position={"x": 5, "y": 5})
        ink = canvas_ink(tab)
        assert ink > 0.01, (path, ink)
        shot = screenshots / f"{path.parent.name}_{path.stem}.png"
        tab.screenshot(path=str(shot))
        assert shot.stat().st_size > 30_000
    print(f"\nscreenshots in {screenshots}")


@pytest.mark.browser
@needs_chromium
def test_empty_graph_gives_a_page_that_says_so(tmp_path: Path, page: tuple[Any, list[Any]], screenshots: Path) -> None:
    tab, _ = page
    written = write_views(nx.MultiDiGraph(), tmp_path / "views")
    assert {p.name for p in written} >= {"index.html", "network.html", "cooperation.html"}
    for name in ("network.html", "cooperation.html"):
        assert_clean(open_view(tab, tmp_path / "views" / name))
        assert tab.is_visible("#empty")
        assert "This view is empty" in tab.inner_text("#empty")
    tab.screenshot(path=str(screenshots / "empty_network.png"))
    assert_clean(open_view(tab, tmp_path / "views" / "index.html", ready=INDEX_READY))
    assert "The graph is empty" in tab.inner_text("#empty-note")
    assert "No tasks in this graph" in tab.inner_text("#matrix")


@pytest.mark.browser
@needs_chromium
def test_inlined_view_stands_alone(sample_graph: nx.MultiDiGraph, tmp_path: Path, page: tuple[Any, list[Any]]) -> None:
    tab, _ = page
    write_views(sample_graph, tmp_path / "views", inline_assets=True, unit_views=False)
    assert not (tmp_path / "views" / "assets").exists()
    alone = tmp_path / "elsewhere" / "network.html"
    alone.parent.mkdir()
    shutil.copyfile(tmp_path / "views" / "network.html", alone)
    report = open_view(tab, alone)
    assert_clean(report)
    assert report.requests == [alone.resolve().as_uri()]  # nothing but the page itself
    assert set(tab.evaluate("window.policykgView.nodeIds()")) == set(sample_graph.nodes)


@pytest.mark.browser
@needs_chromium
def test_large_graph_is_aggregated_above_the_threshold(tmp_path: Path, page: tuple[Any, list[Any]]) -> None:
    from policykg.visualize.synthetic import synthetic_graph_of_size

    tab, _ = page
    graph = synthetic_graph_of_size(3000, seed=3)
    write_views(graph, tmp_path / "views", unit_views=False, max_nodes=2000)
    # The whole network is over the threshold: units and documents, linked by task counts.
    assert_clean(open_view(tab, tmp_path / "views" / "network.html"))
    view, nodes, edges = page_graph(tab)
    assert view["aggregated"] and "Aggregated" in tab.inner_text("#note")
    doc_of = {t: d for t, d, rel in graph.edges(data="type") if rel == "PART_OF"}
    counts: Counter[tuple[str, str, str]] = Counter()
    for u, t, rel in graph.edges(data="type"):
        if rel in RESPONSIBILITY:
            counts[(u, doc_of[t], rel)] += 1
    docs = {n for n, d in graph.nodes(data=True) if d["label"] == "Document"}
    assert nodes == docs | {u for u, _, _ in counts}
    assert {(e["from"], e["to"], e["key"]): e["weight"] for e in edges} == dict(counts)
    # Below the threshold the same graph is drawn whole (a "big" view: no physics, no arrowheads,
    # edges hidden while panning), with exactly its nodes and edges.
    write_views(graph, tmp_path / "whole", unit_views=False, max_nodes=graph.number_of_nodes())
    assert_clean(open_view(tab, tmp_path / "whole" / "network.html"))
    view, nodes, edges = page_graph(tab)
    assert view["big"] and not view["aggregated"]
    assert nodes == set(graph.nodes)
    assert {(e["from"], e["to"], e["key"]) for e in edges} == graph_edge_set(graph, graph.edges(keys=True))
    assert canvas_ink(tab) > 0.005
    # Big views start with solid lines (dashes cost ten times as much to draw); a box adds them.
    dashed = "window.policykgView.datasets.edges.get().filter(e => e.type === 'PARTICIPATES_IN' && e.dashes).length"
    assert tab.evaluate(dashed) == 0
    tab.check("#dashes")
    assert tab.evaluate(dashed) == sum(1 for _, _, t in graph.edges(data="type") if t == "PARTICIPATES_IN")
    # A document's view stays whole, drawn with positions from Python and physics off.
    doc_page = next((tmp_path / "views" / "documents").glob("*.html"))
    assert_clean(open_view(tab, doc_page))
    view, nodes, edges = page_graph(tab)
    assert not view["aggregated"] and len(nodes) > 40
    assert tab.evaluate("window.policykgView.data.options.physics.enabled") is False
    assert tab.evaluate("window.policykgView.data.nodes.every(n => Number.isFinite(n.x) && Number.isFinite(n.y))")


# --- bad input and the command line (no browser) -------------------------------------------------------


def test_unknown_unit_lists_the_closest_names(sample_graph: nx.MultiDiGraph, sample_out: Path, tmp_path: Path) -> None:
    unit = max((n for n, d in sample_graph.nodes(data=True) if "Unit" in d["labels"]),
               key=lambda n: sample_graph.degree(n))
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
    assert ego_pages and all('"centre":' in p.read_text(encoding="utf-8") for p in ego_pages)
    centres = {json.loads(p.read_text(encoding="utf-8").split('id="view-data">')[1].split("</script>")[0])["view"]["centre"]
               for p in ego_pages}
    assert unit in centres
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
    ego = next(p for p in written if p.parent.name == "units")
    for path in (tmp_path / "views" / "network.html", ego):
        assert_clean(open_view(tab, path))
        assert tab.evaluate("window.pwned") is None
        assert unit in tab.evaluate("window.policykgView.nodeIds()")
        tab.fill("#search", hostile)
        tab.press("#search", "Enter")
        assert tab.evaluate("window.policykgView.selectedNodes()") == [unit]
        assert hostile in tab.inner_text("#details")
    assert_clean(open_view(tab, tmp_path / "views" / "index.html", ready=INDEX_READY))
    assert tab.evaluate("window.pwned") is None
    tab.fill("#unit-filter", hostile)
    assert tab.inner_text("#units tbody").count(hostile) == 1
