/* policykg network views: draws the embedded graph with vis-network (positions computed in
   Python, physics off), with a legend, filters by kind / document / role, a search box over
   every name and alias, and a details panel. window.policykgView exposes the page's data to
   tests and the benchmark (node and edge ids, search, selection, readiness). */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("view-data").textContent);
  const api = { ready: false, data: data, network: null, timings: {} };
  window.policykgView = api;
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "style") node.setAttribute("style", v);
      else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  };

  // Dashed lines cost ten times as much to draw as solid ones (a 10k-node view: seconds per
  // frame instead of a fifth of a second), so big views start with solid lines, told apart by
  // colour, and a box turns dashes on.
  let dashesOn = !data.view.big;
  // Fill in what the page leaves out: edge ids (from|to|key) and styles of the kind or type.
  data.nodes.forEach((n) => {
    const s = data.nodeStyles[n.kind];
    if (n.color === undefined) n.color = s.color;
    if (n.shape === undefined) n.shape = s.shape;
  });
  data.edges.forEach((e) => {
    const s = data.edgeStyles[e.type];
    if (e.id === undefined) e.id = e.from + "|" + e.to + "|" + e.key;
    if (e.color === undefined) e.color = s.color;
    if (e.dashes === undefined) e.dashes = dashesOn ? s.dashes : false;
    if (e.width === undefined) e.width = s.width;
    if (e.doc === undefined) e.doc = null;
  });
  api.nodeIds = () => data.nodes.map((n) => n.id);
  api.edgeIds = () => data.edges.map((e) => e.id);
  api.edgeTriples = () => data.edges.map((e) => [e.from, e.to, e.id]);

  if (data.view.note) { $("note").textContent = data.view.note; $("note").hidden = false; }

  // Legend: a swatch per node kind and a line per relationship type, with counts.
  const legend = $("legend");
  function renderLegend() {
    legend.textContent = "";
    Object.entries(data.nodeStyles).forEach(([kind, s]) => {
      const sw = el("span", { class: "swatch " + s.shape, style: "background:" + s.color + ";color:" + s.color });
      legend.appendChild(el("div", { class: "item" }, [sw, s.legend, el("span", { class: "count", text: String(s.count) })]));
    });
    Object.entries(data.edgeStyles).forEach(([type, s]) => {
      const dash = dashesOn && Array.isArray(s.dashes) ? (s.dashes[0] <= 2 ? " dotted" : " dashed") : "";
      const line = el("span", { class: "line" + dash, style: "border-top-color:" + s.color });
      legend.appendChild(el("div", { class: "item", "data-type": type }, [line, s.legend, el("span", { class: "count", text: String(s.count) })]));
    });
  }
  renderLegend();

  if (!data.nodes.length) {
    $("empty").hidden = false;
    $("counts").textContent = "0 nodes, 0 edges";
    api.ready = true;
    document.body.dataset.ready = "1";
    return;
  }

  // Filters --------------------------------------------------------------------------------
  const kindsOn = new Set(Object.keys(data.nodeStyles));
  const rolesOn = new Set(Object.keys(data.edgeStyles));
  let docOn = null;
  let hideIsolated = false;
  Object.entries(data.nodeStyles).forEach(([kind, s]) => {
    const box = el("input", { type: "checkbox", "data-kind": kind });
    box.checked = true;
    box.addEventListener("change", () => { box.checked ? kindsOn.add(kind) : kindsOn.delete(kind); applyFilters(); });
    $("filter-kinds").appendChild(el("label", {}, [box, s.legend]));
  });
  Object.entries(data.edgeStyles).forEach(([type, s]) => {
    const box = el("input", { type: "checkbox", "data-role": type });
    box.checked = true;
    box.addEventListener("change", () => { box.checked ? rolesOn.add(type) : rolesOn.delete(type); applyFilters(); });
    $("filter-roles").appendChild(el("label", {}, [box, s.legend]));
  });
  const docSelect = $("filter-doc");
  data.docs.forEach((d) => docSelect.appendChild(el("option", { value: String(d.index), text: d.name })));
  if (data.docs.length < 2) docSelect.disabled = true;
  docSelect.addEventListener("change", () => { docOn = docSelect.value === "" ? null : Number(docSelect.value); applyFilters(); });
  $("filter-isolated").addEventListener("change", (ev) => { hideIsolated = ev.target.checked; applyFilters(); });
  $("dashes").checked = dashesOn;
  $("dashes").addEventListener("change", (ev) => {
    dashesOn = ev.target.checked;
    edges.update(data.edges.map((e) => ({ id: e.id, dashes: dashesOn ? (data.edgeStyles[e.type] || {}).dashes || false : false })));
    renderLegend();
  });

  const nodeById = new Map(data.nodes.map((n) => [n.id, n]));
  let visibleNodes = new Set(nodeById.keys());
  let visibleEdges = new Set(data.edges.map((e) => e.id));
  function computeVisible() {
    const nodes = new Set();
    data.nodes.forEach((n) => {
      if (kindsOn.has(n.kind) && (docOn === null || (n.docs || []).includes(docOn))) nodes.add(n.id);
    });
    const edges = new Set();
    const touched = new Set();
    data.edges.forEach((e) => {
      if (!rolesOn.has(e.type) || !nodes.has(e.from) || !nodes.has(e.to)) return;
      if (docOn !== null && e.doc !== null && e.doc !== undefined && e.doc !== docOn) return;
      edges.add(e.id); touched.add(e.from); touched.add(e.to);
    });
    if (hideIsolated) nodes.forEach((id) => { if (!touched.has(id) && id !== data.view.centre) nodes.delete(id); });
    visibleNodes = nodes; visibleEdges = edges;
  }

  const nodes = new vis.DataSet(data.nodes);
  const edges = new vis.DataSet(data.edges);
  api.datasets = { nodes: nodes, edges: edges };
  const nodesView = new vis.DataView(nodes, { filter: (n) => visibleNodes.has(n.id) });
  const edgesView = new vis.DataView(edges, { filter: (e) => visibleEdges.has(e.id) });
  function applyFilters() {
    computeVisible();
    nodesView.refresh();
    edgesView.refresh();
    showCounts();
  }
  function showCounts() {
    $("counts").textContent = visibleNodes.size + " / " + data.nodes.length + " nodes, " +
      visibleEdges.size + " / " + data.edges.length + " edges shown";
  }
  api.setFilters = (f) => {
    if (f.kinds) { kindsOn.clear(); f.kinds.forEach((k) => kindsOn.add(k)); }
    if (f.roles) { rolesOn.clear(); f.roles.forEach((k) => rolesOn.add(k)); }
    if ("doc" in f) docOn = f.doc;
    if ("hideIsolated" in f) hideIsolated = f.hideIsolated;
    document.querySelectorAll("#filter-kinds input").forEach((b) => { b.checked = kindsOn.has(b.dataset.kind); });
    document.querySelectorAll("#filter-roles input").forEach((b) => { b.checked = rolesOn.has(b.dataset.role); });
    docSelect.value = docOn === null ? "" : String(docOn);
    $("filter-isolated").checked = hideIsolated;
    applyFilters();
  };
  api.visibleCounts = () => ({ nodes: visibleNodes.size, edges: visibleEdges.size });

  // Network ----------------------------------------------------------------------------------
  const t0 = performance.now();
  const network = new vis.Network($("network"), { nodes: nodesView, edges: edgesView }, data.options);
  api.network = network;
  api.timings.constructed = performance.now();
  api.timings.constructMs = performance.now() - t0;
  network.once("afterDrawing", () => {
    // Positions are fixed; fit once the labels have been measured by the first drawing (big
    // views draw no label at the fitted zoom, and a second full drawing would cost seconds).
    if (!data.view.big) network.fit({ animation: false });
    api.timings.firstDraw = performance.now();
    api.ready = true;
    document.body.dataset.ready = "1";
  });
  showCounts();

  // Details panel and navigation --------------------------------------------------------------
  function showDetails(kind, item) {
    const box = $("details");
    box.textContent = "";
    if (!item) { box.appendChild(el("p", { class: "hint", text: "Click a node or an edge." })); return; }
    box.appendChild(el("h3", { text: kind === "node" ? item.label + "  ·  " + item.kind : item.type }));
    box.appendChild(el("div", { text: item.title || "" }));
    if (item.href) box.appendChild(el("p", {}, [el("a", { href: item.href, text: kind === "node" && item.kind === "Document" ? "→ 文件视图 document view" : "→ 单位视图 unit view" })]));
  }
  network.on("click", (params) => {
    if (params.nodes.length) showDetails("node", nodeById.get(params.nodes[0]));
    else if (params.edges.length) showDetails("edge", edges.get(params.edges[0]));
    else showDetails(null, null);
  });
  network.on("doubleClick", (params) => {
    if (params.nodes.length) {
      const node = nodeById.get(params.nodes[0]);
      if (node && node.href) window.location.href = node.href;
    }
  });

  // Search: any name, alias, id, task path or title; exact, then prefix, then substring. ---------
  const searchIndex = data.nodes.map((n) => ({ id: n.id, label: n.label, kind: n.kind,
    names: (n.names || [n.label]).map((s) => String(s).toLowerCase()) }));
  function search(query) {
    const q = String(query || "").trim().toLowerCase();
    if (!q) return [];
    const ranked = [];
    searchIndex.forEach((entry) => {
      let best = 9;
      entry.names.forEach((name) => {
        const rank = name === q ? 0 : name.startsWith(q) ? 1 : name.includes(q) ? 2 : 9;
        if (rank < best) best = rank;
      });
      if (best < 9) ranked.push([best, entry.names[0].length, entry]);
    });
    ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return ranked.slice(0, 20).map((r) => r[2]);
  }
  function selectNode(id) {
    if (!visibleNodes.has(id)) api.setFilters({ kinds: Object.keys(data.nodeStyles), roles: Object.keys(data.edgeStyles), doc: null, hideIsolated: false });
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    showDetails("node", nodeById.get(id));
    api.selected = id;
  }
  api.search = (q) => search(q).map((e) => e.id);
  api.selectNode = selectNode;
  api.selectedNodes = () => network.getSelectedNodes();

  const input = $("search");
  const results = $("search-results");
  let current = [];
  let active = 0;
  function renderResults() {
    results.textContent = "";
    current.forEach((entry, i) => {
      const li = el("li", { "data-id": entry.id, class: i === active ? "active" : "" }, [entry.label, el("small", { text: entry.kind })]);
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(i); });
      results.appendChild(li);
    });
    if (!current.length && input.value.trim()) results.appendChild(el("li", { text: "没有结果 no match" }));
    results.hidden = !input.value.trim();
  }
  function choose(i) {
    if (!current[i]) return;
    selectNode(current[i].id);
    results.hidden = true;
  }
  input.addEventListener("input", () => { current = search(input.value); active = 0; renderResults(); });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); if (!current.length) current = search(input.value); choose(active); }
    else if (ev.key === "ArrowDown") { active = Math.min(active + 1, current.length - 1); renderResults(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = Math.max(active - 1, 0); renderResults(); ev.preventDefault(); }
    else if (ev.key === "Escape") { results.hidden = true; }
  });
  input.addEventListener("blur", () => { results.hidden = true; });
  if (data.view.centre) network.selectNodes([data.view.centre]);
})();
