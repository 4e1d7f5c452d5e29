/* policykg network views. Every page (network, cooperation, document, unit) draws from the one
   shared data file (data.js: window.policykgData) with vis-network, physics off:
   - the whole network and the co-operation network use the layouts computed in Python
     (communities apart); document and unit views are laid out here;
   - labels: short titles, drawn by importance with no two overlapping at the current zoom
     (recomputed when the zoom or the filters change); the path and text are in the tooltip;
   - click highlights a node and its neighbours and dims the rest; double-click (or the panel's
     button) expands its neighbourhood from the shared data;
   - filters re-run the layout and fit the view; the search box finds every node of the data and
     says why one is not in this view; the selected node is in the URL hash (#node=ID).
   window.policykgView exposes the page's model to tests and the benchmark. */
(function () {
  "use strict";
  const D = window.policykgData;
  const pageKind = document.body.dataset.kind;
  const api = { ready: false, renders: 0, shared: D, data: null, network: null, timings: {} };
  window.policykgView = api;
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  };
  if (!D || !D.nodes.length) {
    $("empty").hidden = false;
    $("counts").textContent = "0 nodes, 0 edges";
    api.data = { view: { kind: pageKind }, nodes: [], edges: [] };
    api.ready = true;
    document.body.dataset.ready = "1";
    return;
  }

  // Constants of the drawing ---------------------------------------------------------------------
  const DRAW_THRESHOLD = 3;      // px on screen below which vis-network draws no label (labels are sized per zoom here)
  const EGO_GROUP_ABOVE = 40;    // an ego view with more tasks starts grouped by document and role
  const DIM_NODE = "rgba(200,200,200,0.35)";
  const DIM_EDGE = "rgba(210,210,210,0.18)";
  const DIM_FONT = "rgba(160,160,160,0.5)";
  const ROLE_ORDER = { L: 0, P: 1, M: 2 };
  const ROLE_TYPE = { L: "LEADS", P: "PARTICIPATES_IN", M: "MENTIONS" };
  const ROLE_NAME = { L: "牵头 lead", P: "参与 participant", M: "提及 mentioned" };

  // The shared graph ------------------------------------------------------------------------------
  const indexOf = new Map(D.nodes.map((n, i) => [n.id, i]));
  let adjacency = null;
  function adj() {  // node index -> indices of its edges, built once when first needed
    if (adjacency) return adjacency;
    adjacency = D.nodes.map(() => []);
    D.edges.forEach((e, i) => { adjacency[e[0]].push(i); if (e[1] !== e[0]) adjacency[e[1]].push(i); });
    return adjacency;
  }
  const typeOf = (e) => D.types[e[2]];
  const docIndexById = new Map(D.docs.map((d, i) => [d.id, i]));
  const hasEditions = D.docs.some((d) => !d.current);
  function communityColour(c) { return c !== undefined && D.communities[c] ? D.communities[c].colour : D.otherColour; }

  function nodeItem(i, x, y) {
    const n = D.nodes[i];
    const style = D.nodeStyles[n.kind] || D.nodeStyles._other;
    let size = 8, font = 11, importance = 1;
    if (n.kind === "Document") { size = 16; font = 20; importance = 5000 + (n.tasks || 0); }
    else if (n.unit) { size = Math.min(40, 8 + 4 * Math.sqrt(n.led || 0)); font = Math.min(24, 13 + 2 * Math.sqrt(n.led || 0)); importance = 1000 + 10 * (n.led || 0) + (n.joined || 0); }
    else if (n.kind === "Task") { size = 7; font = 12; importance = 100; }
    const colour = colourBy === "kind" ? style.color : communityColour(n.c);
    return { id: n.id, idx: i, label: n.label, full: n.label, kind: n.kind, x: x, y: y, size: size, shape: style.shape,
      color: colour, base: colour, font: { size: font, color: "#263238" }, title: nodeTip(n), docs: n.docs || [], c: n.c,
      importance: importance };
  }
  // A node's tooltip: its own lines; for a task, then its document and its units.
  function nodeTip(n) {
    if (n.kind !== "Task") return n.tip;
    const lines = [n.tip];
    if (n.docs && n.docs.length && D.docs[n.docs[0]]) lines.push("文件 " + D.docs[n.docs[0]].name);
    if (n.roles) lines.push(n.roles);
    return lines.join("\n");
  }
  // An edge's key: a number n stands for "TYPE:n".
  const edgeKey = (e) => (typeof e[4] === "number" ? D.types[e[2]] + ":" + e[4] : e[4]);
  const strings = D.strings || [""];
  function edgeItem(ei) {
    const e = D.edges[ei];
    const type = typeOf(e);
    const style = D.edgeStyles[type] || D.edgeStyles._other;
    const key = edgeKey(e);
    return { id: D.nodes[e[0]].id + "|" + D.nodes[e[1]].id + "|" + key, from: D.nodes[e[0]].id, to: D.nodes[e[1]].id,
      key: key, type: type, doc: e[3] >= 0 ? e[3] : null, title: edgeTitle(style, e), color: style.color, base: style.color,
      width: style.width, dashes: false, ei: ei };
  }
  // An edge's tooltip from its raw fields: [.., written, quote, task path, target value]
  // (written and quote as numbers into D.strings).
  function edgeTitle(style, e) {
    const lines = [style.legend];
    if (e[5]) lines.push("written: " + strings[e[5]]);
    if (e[8]) lines.push(e[8]);
    if (e[6]) { const q = String(strings[e[6]]).split(/\s+/).join(" "); lines.push("“" + (q.length > 199 ? q.slice(0, 199) + "…" : q) + "”"); }
    if (e[7]) lines.push("task " + e[7]);
    return lines.join("\n");
  }
  // A derived edge (aggregation, co-operation): the count, and for co-operation up to five of
  // the shared tasks (node indices into the shared data).
  function derivedTitle(type, weight, title, examples) {
    if (title) return title;
    const lines = [(D.edgeStyles[type] || D.edgeStyles._other).legend + " × " + weight];
    (examples || []).forEach((t) => lines.push("· " + (D.nodes[t].path || "") + " " + String(D.nodes[t].title || D.nodes[t].label).slice(0, 40)));
    if (examples && weight > examples.length) lines.push("… and " + (weight - examples.length) + " more");
    return lines.join("\n");
  }
  function derivedEdge(from, to, type, weight, title, key) {
    const style = D.edgeStyles[type] || D.edgeStyles._other;
    return { id: from + "|" + to + "|" + (key || type), from: from, to: to, key: key || type, type: type, weight: weight,
      title: title, color: style.color, base: style.color, width: Math.min(10, style.width + 1.6 * Math.log2(Math.max(1, weight))),
      dashes: false, doc: null, arrows: type === "CO_OPERATES" ? "" : undefined };
  }

  // Layout (the scheme of layout.py: groups laid out apart, each by Fruchterman-Reingold) -------
  const NODE_SPACING = 60, GROUP_CAP = 500;
  function rng(seed) { let a = seed >>> 0; return () => { a = (a + 0x6D2B79F5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
  function forceLayout(n, edges, seed) {
    const x = new Float64Array(n), y = new Float64Array(n);
    if (n <= 1) return [x, y];
    const rand = rng(seed + 1);
    for (let i = 0; i < n; i++) { x[i] = rand() * 2 - 1; y[i] = rand() * 2 - 1; }
    const k = 2 / Math.sqrt(n), k2 = k * k;
    const iterations = n > 300 ? 35 : 50;
    let temperature = 0.2;
    const cooling = temperature / (iterations + 1);
    const dx = new Float64Array(n), dy = new Float64Array(n);
    for (let it = 0; it < iterations; it++) {
      dx.fill(0); dy.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const ex = x[i] - x[j], ey = y[i] - y[j];
          const f = k2 / Math.max(ex * ex + ey * ey, 1e-6);
          dx[i] += ex * f; dy[i] += ey * f; dx[j] -= ex * f; dy[j] -= ey * f;
        }
      }
      for (const [a, b, w] of edges) {
        const ex = x[a] - x[b], ey = y[a] - y[b];
        const d = Math.sqrt(Math.max(ex * ex + ey * ey, 1e-9));
        const f = d * w / k;
        dx[a] -= ex * f; dy[a] -= ey * f; dx[b] += ex * f; dy[b] += ey * f;
      }
      for (let i = 0; i < n; i++) {
        dx[i] -= x[i] * 0.05 * k; dy[i] -= y[i] * 0.05 * k;
        const len = Math.sqrt(Math.max(dx[i] * dx[i] + dy[i] * dy[i], 1e-12));
        const step = Math.min(len, temperature) / len;
        x[i] += dx[i] * step; y[i] += dy[i] * step;
      }
      temperature -= cooling;
    }
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
    mx /= n; my /= n;
    let r = 0;
    for (let i = 0; i < n; i++) { x[i] -= mx; y[i] -= my; r = Math.max(r, Math.hypot(x[i], y[i])); }
    if (r > 0) for (let i = 0; i < n; i++) { x[i] /= r; y[i] /= r; }
    return [x, y];
  }
  // ids: node ids; edges: [idA, idB, weight]; groupOf: id -> group key; names: key -> label.
  function groupedLayout(ids, edges, groupOf, names, colours, spacing) {
    spacing = spacing || 1;
    const members = new Map();
    ids.forEach((id) => { const g = groupOf(id); if (!members.has(g)) members.set(g, []); members.get(g).push(id); });
    const neighbours = new Map();
    edges.forEach(([a, b]) => {
      if (!neighbours.has(a)) neighbours.set(a, []);
      if (!neighbours.has(b)) neighbours.set(b, []);
      neighbours.get(a).push(b); neighbours.get(b).push(a);
    });
    const order = [...members.keys()].sort((a, b) => members.get(b).length - members.get(a).length || String(a).localeCompare(String(b)));
    const pieces = [];
    const pieceOf = new Map();
    order.forEach((g) => {
      let list = members.get(g);
      if (list.length > GROUP_CAP) {  // breadth-first from the hubs, so that neighbours stay together
        const inGroup = new Set(list), seen = new Set(), bfs = [];
        list.slice().sort((a, b) => (neighbours.get(b) || []).length - (neighbours.get(a) || []).length).forEach((s) => {
          if (seen.has(s)) return;
          seen.add(s);
          const queue = [s];
          while (queue.length) { const v = queue.shift(); bfs.push(v); (neighbours.get(v) || []).forEach((w) => { if (inGroup.has(w) && !seen.has(w)) { seen.add(w); queue.push(w); } }); }
        });
        list = bfs;
      }
      const count = Math.ceil(list.length / GROUP_CAP), size = Math.ceil(list.length / count);
      for (let p = 0; p < list.length; p += size) {
        const piece = list.slice(p, p + size);
        piece.forEach((id, li) => pieceOf.set(id, [pieces.length, li]));
        pieces.push({ group: g, ids: piece, edges: [] });
      }
    });
    const weights = new Map();
    edges.forEach(([a, b, w]) => {
      const pa = pieceOf.get(a), pb = pieceOf.get(b);
      if (!pa || !pb || pa[0] !== pb[0] || a === b) return;
      const key = a < b ? a + "\u0000" + b : b + "\u0000" + a;
      const prev = weights.get(key);
      if (prev) prev[2] += w; else { const item = [pa[1], pb[1], w]; weights.set(key, item); pieces[pa[0]].edges.push(item); }
    });
    const boxes = pieces.map((piece, pi) => {
      piece.edges.forEach((e) => { if (e[2] > 1) e[2] = Math.min(4, 1 + Math.log(e[2])); });
      const [ux, uy] = forceLayout(piece.ids.length, piece.edges, pi * 31);
      const scale = NODE_SPACING * spacing * (0.9 * Math.sqrt(piece.ids.length) + 0.5);
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      const px = [], py = [];
      piece.ids.forEach((_, i) => { px.push(ux[i] * scale); py.push(uy[i] * scale); minX = Math.min(minX, px[i]); maxX = Math.max(maxX, px[i]); minY = Math.min(minY, py[i]); maxY = Math.max(maxY, py[i]); });
      return { piece: piece, px: px, py: py, minX: minX, minY: minY, w: maxX - minX + NODE_SPACING * 1.5, h: maxY - minY + NODE_SPACING * 2 };
    });
    const area = boxes.reduce((s, b) => s + b.w * b.h, 0);
    const rowWidth = Math.max(Math.max(...boxes.map((b) => b.w)), Math.sqrt(1.6 * area) * 1.1);
    let cx = 0, cy = 0, rowH = 0;
    const positions = new Map();
    const extent = new Map();
    boxes.forEach((b) => {
      if (cx > 0 && cx + b.w > rowWidth) { cx = 0; cy += rowH; rowH = 0; }
      const ox = cx - b.minX, oy = cy + NODE_SPACING - b.minY;
      b.piece.ids.forEach((id, i) => positions.set(id, [b.px[i] + ox, b.py[i] + oy]));
      const g = b.piece.group;
      const box = extent.get(g) || { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity, size: 0 };
      box.x0 = Math.min(box.x0, cx); box.y0 = Math.min(box.y0, cy + NODE_SPACING);
      box.x1 = Math.max(box.x1, cx + b.w - NODE_SPACING * 1.5); box.y1 = Math.max(box.y1, cy + NODE_SPACING + b.h - NODE_SPACING * 2);
      box.size += b.piece.ids.length;
      extent.set(g, box);
      cx += b.w; rowH = Math.max(rowH, b.h);
    });
    const groups = [];
    extent.forEach((b, g) => { if (names(g)) groups.push({ name: names(g), colour: colours(g), x: b.x0, y: b.y0, w: b.x1 - b.x0, h: b.y1 - b.y0, size: b.size }); });
    return { positions: positions, groups: groups };
  }

  // Models: what one page shows ---------------------------------------------------------------------
  // Networks of many units: colour by community; one plan or one unit: by kind.
  let colourBy = pageKind === "unit" || pageKind === "document" ? "kind" : "community";
  $("colour-by").value = colourBy;
  const hash = () => new URLSearchParams(location.hash.slice(1));

  function communityName(c) { return c !== undefined && c >= 0 && D.communities[c] ? D.communities[c].name + " 社区" : ""; }
  function relayoutGroups(model) {
    // How a model's nodes are grouped when the page lays them out again.
    if (model.kind === "document") return (item) => item.chapter;
    if (model.aggregated) return (item) => (item.kind === "Document" ? D.docs[docIndexById.get(item.id)].jurisdiction : D.nodes[item.idx].jur) || "—";
    return (item) => (item.c !== undefined ? item.c : item.docs && item.docs.length ? "doc:" + item.docs[0] : -1);
  }
  function groupName(model) {
    if (model.kind === "document") return (g) => (g ? "第 " + g + " 部分" : "");
    if (model.aggregated) return (g) => g;
    return (g) => (String(g).startsWith("doc:") ? "文件 " + D.docs[Number(String(g).slice(4))].short : communityName(g));
  }
  function groupColour(model) {
    if (model.kind === "document" || model.aggregated) return () => "#455a64";
    return (g) => communityColour(g);
  }

  function fromPrecomputed(block, model) {
    model.nodes = block.nodes.map((i, k) => nodeItem(i, block.x[k], block.y[k]));
    const communities = !block.aggregated;
    model.groups = block.groups.map((g) => ({ ...g, colour: communities ? communityColour(g.key) : "#455a64",
      name: communities && typeof g.key === "number" ? g.name + " 社区" : g.name }));
    model.note = block.note || "";
  }

  function networkModel(allEditions) {
    const block = D.network;
    const model = { kind: "network", title: "全部网络 Whole network", aggregated: block.aggregated,
      subtitle: D.docs.length + " documents · " + D.communities.length + " communities" };
    if (allEditions && !block.aggregated) {
      model.nodes = D.nodes.map((_, i) => nodeItem(i, 0, 0));
      model.needsLayout = true;
      model.note = "";
    } else {
      fromPrecomputed(block, model);
    }
    const shown = new Set(model.nodes.map((n) => n.idx));
    if (block.aggregated) {
      model.edges = block.edges.map(([a, b, type, w, title]) => derivedEdge(D.nodes[a].id, D.nodes[b].id, type, w, title));
      model.hiddenKinds = block.hiddenKinds;
    } else {
      model.edges = [];
      D.edges.forEach((e, ei) => { if (shown.has(e[0]) && shown.has(e[1]) && (allEditions || e[3] < 0 || D.docs[e[3]].current)) model.edges.push(edgeItem(ei)); });
    }
    model.currentBox = hasEditions && !block.aggregated;
    return model;
  }

  function cooperationModel() {
    const block = D.cooperation;
    const model = { kind: "cooperation", title: "协作网络 Unit co-operation", subtitle: block.subtitle };
    fromPrecomputed(block, model);
    model.edges = block.edges.map(([a, b, type, w, title, examples]) => derivedEdge(D.nodes[a].id, D.nodes[b].id, type, w, derivedTitle(type, w, title, examples)));
    return model;
  }

  function documentModel(docId) {
    const d = docIndexById.get(docId);
    if (d === undefined) return missingModel("document", "No document " + docId + " in this graph.");
    const doc = D.docs[d];
    const model = { kind: "document", title: doc.name, subtitle: [doc.jurisdiction, doc.period, doc.file].filter(Boolean).join(" · "),
      doc: d, note: doc.current ? "" : "This is an older edition (a newer one of the same plan is in the graph)." };
    const di = indexOf.get(docId);
    const seen = new Map([[di, nodeItem(di, 0, 0)]]);
    model.edges = [];
    D.edges.forEach((e, ei) => {
      if (e[3] !== d) return;
      model.edges.push(edgeItem(ei));
      [e[0], e[1]].forEach((i) => { if (!seen.has(i)) seen.set(i, nodeItem(i, 0, 0)); });
    });
    model.nodes = [...seen.values()];
    // Chapters: a task's first path segment; other nodes go with the chapter of their first task.
    const chapterOf = new Map();
    model.nodes.forEach((n) => { if (n.kind === "Task") chapterOf.set(n.id, String(D.nodes[n.idx].path || "").split(".")[0]); });
    model.edges.forEach((e) => {
      if (chapterOf.has(e.from) && !chapterOf.has(e.to)) chapterOf.set(e.to, chapterOf.get(e.from));
      if (chapterOf.has(e.to) && !chapterOf.has(e.from)) chapterOf.set(e.from, chapterOf.get(e.to));
    });
    model.nodes.forEach((n) => { n.chapter = n.kind === "Document" ? "" : chapterOf.get(n.id) || ""; });
    model.needsLayout = true;
    return model;
  }

  function docLabel(d) {
    if (d < 0) return "—";
    const doc = D.docs[d];
    return doc.period ? doc.name.slice(0, 8) + "… " + doc.period : doc.short;
  }

  function missingModel(kind, message) {
    return { kind: kind, title: kind === "unit" ? "单位 Unit" : "文件 Document", subtitle: "", nodes: [], edges: [], missing: message };
  }

  // The ego view: the unit in the centre, its tasks grouped by document and role around it,
  // partners outside them, entities and indicators outermost; Category nodes hidden by default.
  function unitModel(unitId, expandAll) {
    const u = indexOf.get(unitId);
    if (u === undefined || !D.nodes[u].unit) return missingModel("unit", "No unit " + unitId + " in this graph.");
    const unit = D.nodes[u];
    const roles = new Map();
    adj()[u].forEach((ei) => {
      const e = D.edges[ei], type = typeOf(e);
      if (e[0] === u && (type === "LEADS" || type === "PARTICIPATES_IN")) {
        if (roles.get(e[1]) !== "L") roles.set(e[1], type === "LEADS" ? "L" : "P");
      } else if (e[1] === u && type === "MENTIONS" && D.nodes[e[0]].kind === "Task" && !roles.has(e[0])) roles.set(e[0], "M");
    });
    const taskDoc = (t) => { const docs = D.nodes[t].docs || []; return docs.length ? docs[0] : -1; };
    const tasks = [...roles.keys()].sort((a, b) => taskDoc(a) - taskDoc(b) || ROLE_ORDER[roles.get(a)] - ROLE_ORDER[roles.get(b)] || a - b);
    const led = tasks.filter((t) => roles.get(t) === "L").length, joined = tasks.filter((t) => roles.get(t) === "P").length;
    const model = { kind: "unit", title: unit.names[0], centre: unit.id,
      subtitle: unit.kind + " · 牵头 L " + led + " · 参与 P " + joined + " · " + tasks.length + " tasks in " + new Set(tasks.map(taskDoc)).size + " documents" };
    // Sectors: one per document, sized by its tasks; inside, lead tasks on the inner ring and
    // participations / mentions on the outer one.
    const sectors = [];
    tasks.forEach((t) => {
      const d = taskDoc(t);
      if (!sectors.length || sectors[sectors.length - 1].doc !== d) sectors.push({ doc: d, tasks: [] });
      sectors[sectors.length - 1].tasks.push(t);
    });
    const grouped = tasks.length > EGO_GROUP_ABOVE && !expandAll;
    const expanded = model.expanded = new Set(expandAll ? [] : (api.data && api.data.kind === "unit" && api.data.centre === unit.id ? [...api.data.expanded] : []));
    const weightOf = (s) => (grouped && !expanded.has(s.doc) ? 3 : Math.max(2, s.tasks.length));
    const total = sectors.reduce((s, x) => s + weightOf(x), 0);
    const gap = sectors.length > 1 ? 0.12 : 0;
    const slots = sectors.reduce((s, x) => s + (grouped && !expanded.has(x.doc) ? 3 : x.tasks.length), 0);
    const r1 = Math.max(grouped ? 300 : 220, slots * 46 / (2 * Math.PI));
    const r2 = r1 + 110;
    let angle = -Math.PI / 2;
    const nodes = new Map([[u, nodeItem(u, 0, 0)]]);
    nodes.get(u).importance = 1e9;
    const edges = [];
    const angleOf = new Map();
    model.groups = [];
    const span = 2 * Math.PI - gap * sectors.length;
    sectors.forEach((s) => {
      const width = span * weightOf(s) / total;
      const from = angle, to = angle + width;
      angle = to + gap;
      const mid = (from + to) / 2;
      // Editions of one plan share a name: the period tells their sectors apart.
      const docName = s.doc < 0 ? "—" : D.docs[s.doc].period ? D.docs[s.doc].name.slice(0, 12) + "… " + D.docs[s.doc].period : D.docs[s.doc].short;
      const byRole = { L: [], P: [], M: [] };
      s.tasks.forEach((t) => byRole[roles.get(t)].push(t));
      const counts = "L " + byRole.L.length + " · P " + byRole.P.length + (byRole.M.length ? " · M " + byRole.M.length : "");
      const labelR = r2 + 70;
      if (!(grouped && !expanded.has(s.doc))) model.groups.push({ name: docName + "  " + counts, x: labelR * Math.cos(mid), y: labelR * Math.sin(mid), anchor: true, colour: "#37474f", doc: s.doc });
      if (grouped && !expanded.has(s.doc)) {
        Object.entries(byRole).forEach(([role, list]) => {
          if (!list.length) return;
          const r = role === "L" ? r1 : r2;
          const a = mid + (role === "L" ? -width / 8 : role === "P" ? width / 8 : width / 4);
          const id = "group:" + s.doc + ":" + role;
          const item = { id: id, label: ROLE_NAME[role].split(" ")[0] + " " + list.length + " · " + docLabel(s.doc), full: null, kind: "Group",
            x: r * Math.cos(a), y: r * Math.sin(a), size: Math.min(30, 10 + 2.5 * Math.sqrt(list.length)), shape: "square",
            color: role === "L" ? "#ffcdd2" : "#ffe0b2", font: { size: 14, color: "#263238" }, importance: 3000 + list.length,
            title: (s.doc >= 0 ? D.docs[s.doc].name : "") + "\n" + ROLE_NAME[role] + ": " + list.length + " tasks\n(double-click or 展开 to show them)",
            docs: s.doc >= 0 ? [s.doc] : [], bundle: { doc: s.doc, role: role, tasks: list } };
          item.full = item.label; item.base = item.color;
          nodes.set(id, item);
          list.forEach((t) => angleOf.set(t, a));
          edges.push(derivedEdge(unit.id, id, ROLE_TYPE[role], list.length, ROLE_NAME[role] + " × " + list.length));
        });
      } else {
        Object.entries(byRole).forEach(([role, list]) => {
          const r = role === "L" ? r1 : r2 + (role === "M" ? 40 : 0);
          list.forEach((t, k) => {
            const a = from + width * (k + 0.5) / list.length;
            angleOf.set(t, a);
            nodes.set(t, nodeItem(t, r * Math.cos(a), r * Math.sin(a)));
          });
        });
      }
    });
    // Edges of the tasks shown (all but their PART_OF), and what they lead to.
    const partners = new Map(), outer = new Map();
    const groupEdges = new Map();
    tasks.forEach((t) => {
      const groupId = nodes.has(t) ? null : "group:" + taskDoc(t) + ":" + roles.get(t);
      adj()[t].forEach((ei) => {
        const e = D.edges[ei], type = typeOf(e);
        if (type === "PART_OF" && e[0] === t) return;
        const other = e[0] === t ? e[1] : e[0];
        if (other === t) return;
        const isPartner = other !== u && D.nodes[other].unit && (type === "LEADS" || type === "PARTICIPATES_IN");
        if (groupId) {
          if (!isPartner) return;  // grouped: partners only, linked to the group by how many tasks
          const key = other + "|" + groupId + "|" + type;
          groupEdges.set(key, (groupEdges.get(key) || 0) + 1);
          (partners.get(other) || partners.set(other, []).get(other)).push(angleOf.get(t));
          return;
        }
        if (other !== u) {
          const target = isPartner || (D.nodes[other].unit && e[1] === t) ? partners : outer;
          if (!nodes.has(other) || target.has(other)) (target.get(other) || target.set(other, []).get(other)).push(angleOf.get(t));
        }
        edges.push(edgeItem(ei));
      });
    });
    groupEdges.forEach((count, key) => {
      const [other, groupId, type] = key.split("|");
      edges.push(derivedEdge(D.nodes[Number(other)].id, groupId, type, count, (type === "LEADS" ? "牵头 leads" : "参与 participates") + " × " + count, type));
    });
    function ring(map, radius) {
      const wanted = [...map.entries()].filter(([i]) => !nodes.has(i)).map(([i, angles]) => {
        const sx = angles.reduce((s, a) => s + Math.sin(a), 0), cx = angles.reduce((s, a) => s + Math.cos(a), 0);
        return [Math.atan2(sx, cx), i];
      }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (!wanted.length) return radius;
      const r = Math.max(radius, wanted.length * 50 / (2 * Math.PI));
      // Evenly spaced in the order of the wanted angles, each near the tasks it touches.
      const offset = wanted[0][0];
      wanted.forEach(([, i], k) => { const a = offset + 2 * Math.PI * k / wanted.length; nodes.set(i, nodeItem(i, r * Math.cos(a), r * Math.sin(a))); });
      return r;
    }
    const r3 = ring(partners, r2 + (grouped ? 180 : 240));
    ring(outer, r3 + 200);
    model.groups.forEach((g) => { if (g.anchor) { const a = Math.atan2(g.y, g.x); g.x = (r2 + 60) * Math.cos(a); g.y = (r2 + 60) * Math.sin(a); } });
    model.nodes = [...nodes.values()];
    model.edges = edges;
    model.grouped = grouped;
    model.hiddenKindsDefault = ["Category"];
    return model;
  }

  // Page state --------------------------------------------------------------------------------------
  let model = null;
  // Fresh data sets per model, filled before the network sees them (vis-network takes seconds
  // to absorb thousands of items added one event at a time, milliseconds when given at once).
  let nodes = new vis.DataSet([]);
  let edges = new vis.DataSet([]);
  api.datasets = { nodes: nodes, edges: edges };
  let itemById = new Map();
  let visibleNodes = new Set(), visibleEdges = new Set();
  const kindsOn = new Set(), rolesOn = new Set();
  let docOn = null, hideIsolated = false, dashesOn = true;
  let selected = null;
  let nodesView = new vis.DataView(nodes, { filter: (n) => visibleNodes.has(n.id) });
  let edgesView = new vis.DataView(edges, { filter: (e) => visibleEdges.has(e.id) });

  const options = {
    autoResize: true, physics: { enabled: false }, layout: { improvedLayout: false },
    nodes: { font: { size: 12, face: "sans-serif", strokeWidth: 3, strokeColor: "#ffffff" }, borderWidth: 1,
      scaling: { label: { drawThreshold: DRAW_THRESHOLD, maxVisible: 200 } } },
    edges: { smooth: false, arrows: { to: { enabled: true, scaleFactor: 0.45 } }, selectionWidth: 2, hoverWidth: 1.5 },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: false, hideEdgesOnZoom: false, multiselect: false,
      navigationButtons: false, keyboard: false },
  };
  const network = new vis.Network($("network"), { nodes: nodesView, edges: edgesView }, options);
  api.network = network;

  function load(next) {
    api.ready = false;
    api.timings.loadStart = performance.now();
    model = next;
    api.data = model;
    selected = null;
    $("title").textContent = model.title;
    $("subtitle").textContent = model.subtitle || "";
    document.title = model.title + " · policykg";
    $("note").textContent = model.missing || model.note || "";
    $("note").hidden = !$("note").textContent;
    $("empty").hidden = !!model.nodes.length;
    if (model.missing) $("empty-message").textContent = model.missing;
    else if (!model.nodes.length) $("empty-message").textContent = pageKind === "cooperation" ? "No unit leads or takes part in any task, so no two units share one." : "Nothing in the graph belongs to this view.";
    const big = model.nodes.length > D.bigView;
    network.setOptions({ edges: { arrows: { to: { enabled: !big } } }, interaction: { hover: !big, hideEdgesOnDrag: big, hideEdgesOnZoom: big } });
    dashesOn = !big;
    model.nodes.forEach((n) => { n.base = n.base || n.color; });
    model.edges.forEach((e) => { e.dashes = dashesOn ? (D.edgeStyles[e.type] || D.edgeStyles._other).dashes : false; });
    itemById = new Map(model.nodes.map((n) => [n.id, n]));
    kindsOn.clear(); rolesOn.clear();
    model.nodes.forEach((n) => kindsOn.add(n.kind));
    (model.hiddenKindsDefault || []).forEach((k) => kindsOn.delete(k));
    model.edges.forEach((e) => rolesOn.add(e.type));
    docOn = null; hideIsolated = false;
    const mark = (k) => { api.timings[k] = performance.now(); };
    buildFilters(); mark("filters");
    if (model.needsLayout) layoutVisible(true);
    computeVisible(); mark("laidOut");
    cullLabels(predictScale()); mark("predicted");
    nodes = new vis.DataSet(model.nodes);
    edges = new vis.DataSet(model.edges);
    api.datasets = { nodes: nodes, edges: edges };
    nodesView = new vis.DataView(nodes, { filter: (n) => visibleNodes.has(n.id) });
    edgesView = new vis.DataView(edges, { filter: (e) => visibleEdges.has(e.id) });
    network.setData({ nodes: nodesView, edges: edgesView }); mark("dataSet");
    // Drawn once, already fitted: the zoom and centre the labels were chosen for.
    network.moveTo({ position: api.predictedCentre, scale: api.predictedScale, animation: false });
    showCounts();
    renderLegend(); mark("legend");
    api.renders += 1;
    $("expand-all").hidden = !(model.kind === "unit" && model.grouped);
    $("categories-box").hidden = model.kind !== "unit" || !model.nodes.some((n) => n.kind === "Category");
    $("show-categories").checked = kindsOn.has("Category");
    $("current-box").hidden = !model.currentBox;
    $("search").placeholder = model.aggregated
      ? "搜索 Search units and documents — tasks, entities and indicators are not in this aggregated view (found here, they open in their document's view)"
      : "搜索 Search units, tasks, entities (any name or alias)…";
    afterChange(true);
  }

  function afterChange(first) {
    network.once("afterDrawing", () => {
      api.timings.firstDraw = performance.now();
      if (!first) { network.fit({ animation: false }); cullLabels(); }
      api.timings.culled = performance.now();
      const want = hash().get("node");
      if (first && want && itemById.has(want)) selectNode(want, { noHash: true });
      api.ready = true;
      document.body.dataset.ready = "1";
    });
    if (!first) network.redraw();
  }

  // Layout of what is visible (document and unit views, and after filters) --------------------------
  function layoutVisible(all) {
    if (model.kind === "unit") return;  // the ego view keeps its rings
    const shown = model.nodes.filter((n) => all || visibleNodes.has(n.id));
    const ids = shown.map((n) => n.id);
    const inSet = new Set(ids);
    const es = model.edges.filter((e) => inSet.has(e.from) && inSet.has(e.to) && (all || visibleEdges.has(e.id)))
      .map((e) => [e.from, e.to, e.type === "PART_OF" ? 3 : 1]);
    const groupKey = relayoutGroups(model);
    const result = groupedLayout(ids, es, (id) => groupKey(itemById.get(id)), groupName(model), groupColour(model),
      model.kind === "cooperation" ? 1.6 : 1);
    shown.forEach((n) => { const p = result.positions.get(n.id); n.x = p[0]; n.y = p[1]; });
    model.groups = result.groups;
    if (!all) nodes.update(shown.map((n) => ({ id: n.id, x: n.x, y: n.y })));
  }

  // Filters -------------------------------------------------------------------------------------------
  function buildFilters() {
    const kinds = $("filter-kinds"), roles = $("filter-roles");
    kinds.textContent = ""; roles.textContent = "";
    const kindCount = new Map();
    model.nodes.forEach((n) => kindCount.set(n.kind, (kindCount.get(n.kind) || 0) + 1));
    [...kindCount.keys()].forEach((kind) => {
      const s = D.nodeStyles[kind] || { legend: kind === "Group" ? "任务组 task groups" : kind };
      const box = el("input", { type: "checkbox", "data-kind": kind });
      box.checked = kindsOn.has(kind);
      box.addEventListener("change", () => { box.checked ? kindsOn.add(kind) : kindsOn.delete(kind); filtersChanged(); });
      kinds.appendChild(el("label", {}, [box, (s.legend || kind) + " (" + kindCount.get(kind) + ")"]));
    });
    const typeCount = new Map();
    model.edges.forEach((e) => typeCount.set(e.type, (typeCount.get(e.type) || 0) + 1));
    [...typeCount.keys()].forEach((type) => {
      const s = D.edgeStyles[type] || D.edgeStyles._other;
      const box = el("input", { type: "checkbox", "data-role": type });
      box.checked = true;
      box.addEventListener("change", () => { box.checked ? rolesOn.add(type) : rolesOn.delete(type); filtersChanged(); });
      roles.appendChild(el("label", {}, [box, s.legend + " (" + typeCount.get(type) + ")"]));
    });
    const select = $("filter-doc");
    select.textContent = "";
    select.appendChild(el("option", { value: "", text: "全部 all documents" }));
    const docsShown = new Set();
    model.nodes.forEach((n) => (n.docs || []).forEach((d) => docsShown.add(d)));
    [...docsShown].sort((a, b) => a - b).forEach((d) => select.appendChild(el("option", { value: String(d), text: D.docs[d].name + (D.docs[d].current ? "" : " (older edition)") })));
    select.disabled = docsShown.size < 2;
    $("filter-isolated").checked = false;
    $("dashes").checked = dashesOn;
  }
  $("filter-doc").addEventListener("change", (ev) => { docOn = ev.target.value === "" ? null : Number(ev.target.value); filtersChanged(); });
  $("filter-isolated").addEventListener("change", (ev) => { hideIsolated = ev.target.checked; filtersChanged(); });
  $("filter-current").addEventListener("change", (ev) => { if (pageKind === "network") load(networkModel(!ev.target.checked)); });
  $("show-categories").addEventListener("change", (ev) => { ev.target.checked ? kindsOn.add("Category") : kindsOn.delete("Category"); syncBoxes(); filtersChanged(); });
  $("dashes").addEventListener("change", (ev) => {
    dashesOn = ev.target.checked;
    edges.update(model.edges.map((e) => ({ id: e.id, dashes: dashesOn ? (D.edgeStyles[e.type] || D.edgeStyles._other).dashes : false })));
    renderLegend();
  });
  $("colour-by").addEventListener("change", (ev) => {
    colourBy = ev.target.value;
    model.nodes.forEach((n) => { if (n.kind !== "Group") { n.base = colourBy === "kind" ? (D.nodeStyles[n.kind] || D.nodeStyles._other).color : communityColour(n.c); n.color = n.base; } });
    nodes.update(model.nodes.map((n) => ({ id: n.id, color: n.base })));
    renderLegend();
    if (selected) highlight(selected);
  });
  $("fit").addEventListener("click", () => { network.fit({ animation: false }); cullLabels(); });
  $("expand-all").addEventListener("click", () => expandAllGroups());
  function syncBoxes() {
    document.querySelectorAll("#filter-kinds input").forEach((b) => { b.checked = kindsOn.has(b.dataset.kind); });
    document.querySelectorAll("#filter-roles input").forEach((b) => { b.checked = rolesOn.has(b.dataset.role); });
    $("filter-doc").value = docOn === null ? "" : String(docOn);
    $("filter-isolated").checked = hideIsolated;
    $("show-categories").checked = kindsOn.has("Category");
  }

  function computeVisible() {
    const shown = new Set();
    model.nodes.forEach((n) => {
      if ((kindsOn.has(n.kind) || n.id === model.centre || n.forced) && (docOn === null || (n.docs || []).includes(docOn) || n.id === model.centre)) shown.add(n.id);
    });
    const es = new Set(), touched = new Set();
    model.edges.forEach((e) => {
      if (!rolesOn.has(e.type) || !shown.has(e.from) || !shown.has(e.to)) return;
      if (docOn !== null && e.doc !== null && e.doc !== undefined && e.doc !== docOn) return;
      es.add(e.id); touched.add(e.from); touched.add(e.to);
    });
    if (hideIsolated) shown.forEach((id) => { if (!touched.has(id) && id !== model.centre) shown.delete(id); });
    visibleNodes = shown; visibleEdges = es;
  }
  function filtersChanged() {
    computeVisible();
    layoutVisible(false);
    nodesView.refresh();
    edgesView.refresh();
    showCounts();
    if (selected && !visibleNodes.has(selected)) clearHighlight();
    api.layouts = (api.layouts || 0) + 1;
    api.ready = false;
    afterChange(false);
  }
  function showCounts() {
    $("counts").textContent = visibleNodes.size + " / " + model.nodes.length + " nodes, " + visibleEdges.size + " / " + model.edges.length + " edges shown";
  }
  api.setFilters = (f) => {
    if (f.kinds) { kindsOn.clear(); f.kinds.forEach((k) => kindsOn.add(k)); }
    if (f.roles) { rolesOn.clear(); f.roles.forEach((k) => rolesOn.add(k)); }
    if ("doc" in f) docOn = f.doc;
    if ("hideIsolated" in f) hideIsolated = f.hideIsolated;
    syncBoxes();
    filtersChanged();
  };
  api.visibleCounts = () => ({ nodes: visibleNodes.size, edges: visibleEdges.size });
  api.visibleNodeIds = () => [...visibleNodes];
  api.visibleEdgeIds = () => [...visibleEdges];
  api.nodeIds = () => model.nodes.map((n) => n.id);
  api.edgeIds = () => model.edges.map((e) => e.id);

  // Legend: colour = community (named by its central unit) or kind, shape = kind, size = tasks led. --
  function renderLegend() {
    const legend = $("legend");
    legend.textContent = "";
    const add = (swatch, text, count) => legend.appendChild(el("div", { class: "item" }, [swatch, text, el("span", { class: "count", text: count === undefined ? "" : String(count) })]));
    if (colourBy === "community" && model.kind !== "unit" && model.kind !== "document") {
      legend.appendChild(el("p", { class: "legend-head", text: "颜色 = 社区 colour = community of units that share tasks, named by its central unit" }));
      const counts = new Map();
      model.nodes.forEach((n) => counts.set(n.c, (counts.get(n.c) || 0) + 1));
      D.communities.forEach((c, i) => { if (counts.has(i) && c.colour !== D.otherColour) add(el("span", { class: "swatch", style: "background:" + c.colour }), c.name, counts.get(i)); });
      add(el("span", { class: "swatch", style: "background:" + D.otherColour }), "其他 other / none");
    }
    legend.appendChild(el("p", { class: "legend-head", text: colourBy === "kind" || model.kind === "unit" || model.kind === "document" ? "颜色与形状 = 类别 colour and shape = kind" : "形状 = 类别 shape = kind" }));
    const kindCount = new Map();
    model.nodes.forEach((n) => kindCount.set(n.kind, (kindCount.get(n.kind) || 0) + 1));
    kindCount.forEach((count, kind) => {
      const s = D.nodeStyles[kind] || { shape: "square", color: "#ffcdd2", legend: "任务组 task group (double-click to expand)" };
      const colour = colourBy === "kind" || model.kind === "unit" || model.kind === "document" ? s.color : "#78909c";
      add(el("span", { class: "swatch " + s.shape, style: "background:" + colour + ";color:" + colour }), s.legend, count);
    });
    legend.appendChild(el("p", { class: "legend-head", text: "大小 = 牵头任务数 size of a unit = tasks it leads" }));
    const typeCount = new Map();
    model.edges.forEach((e) => typeCount.set(e.type, (typeCount.get(e.type) || 0) + 1));
    typeCount.forEach((count, type) => {
      const s = D.edgeStyles[type] || D.edgeStyles._other;
      const dash = dashesOn && Array.isArray(s.dashes) ? (s.dashes[0] <= 2 ? " dotted" : " dashed") : "";
      legend.appendChild(el("div", { class: "item", "data-type": type }, [el("span", { class: "line" + dash, style: "border-top-color:" + s.color }), s.legend, el("span", { class: "count", text: String(count) })]));
    });
    if (model.kind !== "unit" && model.kind !== "document") legend.appendChild(el("p", { class: "legend-head", text: "线宽 = 共同任务数 edge width = number of tasks (aggregated links)" }));
  }

  // Labels: by importance, none overlapping another at the current zoom ------------------------------
  const measurer = document.createElement("canvas").getContext("2d");
  measurer.font = "100px sans-serif";
  const widthCache = new Map();
  function textWidth100(text) {
    let w = widthCache.get(text);
    if (w === undefined) { w = measurer.measureText(text).width; widthCache.set(text, w); }
    return w;
  }
  // Labels keep a constant size on screen (by importance); at each zoom the most important ones
  // that fit without overlapping another are drawn, so zooming in reveals more of them.
  function screenFont(item) {
    if (item.id === model.centre) return 16;
    if (item.kind === "Document") return 14;
    if (item.kind === "Group") return 13;
    if (item.unit) return Math.min(15, 11.5 + Math.sqrt((item.importance - 1000) / 10));
    return item.kind === "Task" ? 11.5 : 11;
  }
  // The zoom at which the fitted view will show the model's visible items (before drawing them).
  function predictScale() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    visibleNodes.forEach((id) => { const n = itemById.get(id); x0 = Math.min(x0, n.x - n.size); x1 = Math.max(x1, n.x + n.size); y0 = Math.min(y0, n.y - n.size); y1 = Math.max(y1, n.y + n.size); });
    const box = $("network").getBoundingClientRect();
    api.predictedCentre = Number.isFinite(x0) ? { x: (x0 + x1) / 2, y: (y0 + y1) / 2 } : { x: 0, y: 0 };
    if (!(x1 > x0) || !(y1 > y0)) return 1;
    return Math.min(1.5, Math.min(box.width / (x1 - x0), box.height / (y1 - y0)) * 0.92);
  }
  function cullLabels(predicted) {
    const scale = predicted || network.getScale();
    if (predicted) api.predictedScale = predicted;
    const box = $("network").getBoundingClientRect();
    const tl = predicted ? { x: -Infinity, y: -Infinity } : network.DOMtoCanvas({ x: 0, y: 0 });
    const br = predicted ? { x: Infinity, y: Infinity } : network.DOMtoCanvas({ x: box.width, y: box.height });
    const bodyNodes = predicted ? null : network.body.nodes;
    const candidates = [];
    visibleNodes.forEach((id) => {
      const item = itemById.get(id), drawn = predicted ? item : bodyNodes[id];
      if (!item || !item.full || !drawn) return;
      if (drawn.x < tl.x - 200 / scale || drawn.x > br.x + 200 / scale || drawn.y < tl.y - 100 / scale || drawn.y > br.y + 100 / scale) { candidates.push([item, null, 0]); return; }
      const font = screenFont(item) / scale;
      const w = textWidth100(item.full) * font / 100 + 6 / scale, h = font * 1.3;
      const top = item.shape === "box" ? drawn.y - h / 2 : drawn.y + item.size + 1 / scale;
      candidates.push([item, [drawn.x - w / 2, top, w, h], font]);
    });
    const rank = (item) => (item.id === selected ? 2e9 : highlightSet && highlightSet.has(item.id) ? 1e9 + item.importance : item.importance);
    candidates.sort((a, b) => rank(b[0]) - rank(a[0]) || (a[0].id < b[0].id ? -1 : 1));
    const cell = 160 / scale;
    const grid = new Map();
    const updates = [];
    let shown = 0;
    candidates.forEach(([item, b, font]) => {
      let ok = false;
      if (b) {
        ok = true;
        const x0 = Math.floor(b[0] / cell), x1 = Math.floor((b[0] + b[2]) / cell), y0 = Math.floor(b[1] / cell), y1 = Math.floor((b[1] + b[3]) / cell);
        for (let gx = x0; gx <= x1 && ok; gx++) for (let gy = y0; gy <= y1 && ok; gy++) {
          for (const o of grid.get(gx + "," + gy) || []) { if (b[0] < o[0] + o[2] && o[0] < b[0] + b[2] && b[1] < o[1] + o[3] && o[1] < b[1] + b[3]) { ok = false; break; } }
        }
        if (ok) {
          for (let gx = x0; gx <= x1; gx++) for (let gy = y0; gy <= y1; gy++) { const k = gx + "," + gy; if (!grid.has(k)) grid.set(k, []); grid.get(k).push(b); }
          shown += 1;
        }
      }
      const label = ok ? item.full : "";
      const size = ok ? Math.round(font * 100) / 100 : item.font.size;
      if (item.label !== label || item.font.size !== size) {
        item.label = label;
        item.font = { ...item.font, size: size };
        updates.push({ id: item.id, label: label, font: item.font });
      }
    });
    if (updates.length && !predicted) nodes.update(updates);
    api.labelsShown = shown;
  }
  let cullTimer = null;
  network.on("zoom", () => { clearTimeout(cullTimer); cullTimer = setTimeout(cullLabels, 120); });
  network.on("dragEnd", () => { clearTimeout(cullTimer); cullTimer = setTimeout(cullLabels, 120); });
  api.cullLabels = cullLabels;

  // Group names (communities, jurisdictions, chapters, documents of an ego view) drawn on the canvas.
  network.on("beforeDrawing", (ctx) => {
    if (!model || !model.groups) return;
    const scale = network.getScale();
    const size = 14 / scale;
    ctx.save();
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    model.groups.forEach((g) => {
      if (g.anchor) {
        ctx.font = "bold " + size + "px sans-serif";
        ctx.fillStyle = g.colour || "#37474f";
        ctx.fillText(g.name, g.x, g.y);
        return;
      }
      ctx.globalAlpha = 0.07;
      ctx.fillStyle = g.colour || "#455a64";
      const pad = 30;
      ctx.fillRect(g.x - pad, g.y - pad, g.w + 2 * pad, g.h + 2 * pad);
      ctx.globalAlpha = 1;
      ctx.font = "bold " + size + "px sans-serif";
      let name = g.name;
      const room = g.w + 2 * pad;
      while (name.length > 2 && ctx.measureText(name).width > room) name = name.slice(0, -2) + "…";
      if (name.length > 2) ctx.fillText(name, g.x + g.w / 2, g.y - pad - 4 / scale);
    });
    ctx.restore();
  });

  // Highlight: a node and its neighbours, the rest dimmed. -------------------------------------------
  let highlightSet = null;
  function neighboursOf(id) {
    const keep = new Set([id]);
    model.edges.forEach((e) => { if (visibleEdges.has(e.id) && (e.from === id || e.to === id)) { keep.add(e.from); keep.add(e.to); } });
    return keep;
  }
  function highlight(id) {
    highlightSet = neighboursOf(id);
    const nu = [], eu = [];
    model.nodes.forEach((n) => {
      const on = highlightSet.has(n.id);
      const color = on ? n.base : DIM_NODE, fontColor = on ? "#263238" : DIM_FONT;
      if (n.color !== color) { n.color = color; n.font = { ...n.font, color: fontColor }; nu.push({ id: n.id, color: color, font: n.font }); }
    });
    model.edges.forEach((e) => {
      const color = e.from === id || e.to === id ? e.base : DIM_EDGE;
      if (e.color !== color) { e.color = color; eu.push({ id: e.id, color: color }); }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
    api.highlighted = [...highlightSet];
    api.dimmed = model.nodes.filter((n) => visibleNodes.has(n.id) && !highlightSet.has(n.id)).map((n) => n.id);
  }
  function clearHighlight() {
    highlightSet = null;
    const nu = [], eu = [];
    model.nodes.forEach((n) => { if (n.color !== n.base) { n.color = n.base; n.font = { ...n.font, color: "#263238" }; nu.push({ id: n.id, color: n.base, font: n.font }); } });
    model.edges.forEach((e) => { if (e.color !== e.base) { e.color = e.base; eu.push({ id: e.id, color: e.base }); } });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
    api.highlighted = []; api.dimmed = [];
    selected = null;
    setHash(null);
  }
  api.clearSelection = () => { network.unselectAll(); clearHighlight(); showDetails(null); cullLabels(); };

  // Expand: add a node's neighbourhood from the shared data. ----------------------------------------
  function expand(id) {
    const item = itemById.get(id);
    if (!item) return [];
    if (item.bundle) return expandGroup(id);
    const i = indexOf.get(id);
    const added = [];
    const newEdges = [];
    const edgeIds = new Set(model.edges.map((e) => e.id));
    adj()[i].forEach((ei) => {
      const e = D.edges[ei];
      const other = e[0] === i ? e[1] : e[0];
      const otherId = D.nodes[other].id;
      if (!itemById.has(otherId)) {
        const n = nodeItem(other, 0, 0);
        n.forced = true; n.chapter = item.chapter;
        itemById.set(otherId, n); model.nodes.push(n); added.push(n);
      }
    });
    // Every shared edge between the added nodes and what is shown.
    const candidates = new Set([i, ...added.map((n) => n.idx)]);
    candidates.forEach((ci) => adj()[ci].forEach((ei) => {
      const e = D.edges[ei];
      const a = D.nodes[e[0]].id, b = D.nodes[e[1]].id;
      if (!itemById.has(a) || !itemById.has(b)) return;
      const ed = edgeItem(ei);
      if (edgeIds.has(ed.id)) return;
      ed.dashes = dashesOn ? (D.edgeStyles[ed.type] || D.edgeStyles._other).dashes : false;
      edgeIds.add(ed.id); model.edges.push(ed); newEdges.push(ed); rolesOn.add(ed.type);
    }));
    const centre = network.body.nodes[id] || item;
    const radius = Math.max(120, added.length * 40 / (2 * Math.PI));
    added.forEach((n, k) => { const a = 2 * Math.PI * k / Math.max(1, added.length); n.x = centre.x + radius * Math.cos(a); n.y = centre.y + radius * Math.sin(a); n.base = n.color; });
    finishExpand(added, newEdges, id);
    return added.map((n) => n.id);
  }
  function finishExpand(added, newEdges, focusId) {
    added.forEach((n) => kindsOn.add(n.kind));
    computeVisible();
    nodes.add(added);
    edges.add(newEdges);
    buildFilters(); syncBoxes();
    showCounts(); renderLegend();
    api.expansions = (api.expansions || 0) + 1;
    if (focusId && itemById.has(focusId)) selectNode(focusId, { keepZoom: true });
    cullLabels();
  }
  function expandGroup(id) {
    const item = itemById.get(id);
    model.expanded.add(item.bundle.doc);
    const next = unitModel(model.centre, false);
    next.expanded = model.expanded;
    const before = new Set(model.nodes.map((n) => n.id));
    load(next);
    return model.nodes.filter((n) => !before.has(n.id)).map((n) => n.id);
  }
  function expandAllGroups() { load(unitModel(model.centre, true)); }
  api.expand = expand;
  api.expandAll = () => { if (model.kind === "unit") expandAllGroups(); };

  // Details panel, selection and the URL hash. -------------------------------------------------------
  function viewLinks(item) {
    const links = [];
    const n = D.nodes[indexOf.get(item.id)];
    if (n && n.unit && !(model.kind === "unit" && model.centre === item.id)) links.push(["unit.html#unit=" + encodeURIComponent(item.id), "→ 单位视图 unit view"]);
    if (n && n.kind === "Document") links.push(["document.html#doc=" + encodeURIComponent(item.id), "→ 文件视图 document view"]);
    else if (n && n.docs && n.docs.length && model.kind !== "document") links.push(["document.html#doc=" + encodeURIComponent(D.docs[n.docs[0]].id) + "&node=" + encodeURIComponent(item.id), "→ 在文件中 in its document: " + D.docs[n.docs[0]].short]);
    return links;
  }
  function showDetails(kind, item) {
    const box = $("details");
    box.textContent = "";
    if (!item) { box.appendChild(el("p", { class: "hint", text: "Click a node or an edge. Double-click a node to expand its neighbourhood." })); return; }
    if (kind === "node") {
      const s = D.nodeStyles[item.kind];
      box.appendChild(el("h3", { text: (item.full || item.label) + "  ·  " + (s ? s.legend : item.kind) }));
      box.appendChild(el("div", { class: "tip", text: item.title || "" }));
      const actions = el("p", { class: "actions" });
      const button = el("button", { type: "button", id: "expand", text: item.bundle ? "展开 Expand this group" : "展开邻居 Expand neighbourhood" });
      button.addEventListener("click", () => expand(item.id));
      actions.appendChild(button);
      viewLinks(item).forEach(([href, text]) => { actions.appendChild(document.createTextNode(" ")); actions.appendChild(el("a", { href: href, text: text })); });
      box.appendChild(actions);
    } else {
      box.appendChild(el("h3", { text: (D.edgeStyles[item.type] || D.edgeStyles._other).legend }));
      box.appendChild(el("div", { class: "tip", text: item.title || "" }));
    }
  }
  function setHash(id) {
    const h = hash();
    if (id) h.set("node", id); else h.delete("node");
    const text = h.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
  }
  function selectNode(id, opts) {
    opts = opts || {};
    if (!itemById.has(id)) return false;
    if (!visibleNodes.has(id)) {
      kindsOn.add(itemById.get(id).kind); docOn = null; hideIsolated = false;
      model.edges.forEach((e) => rolesOn.add(e.type));
      syncBoxes(); computeVisible(); nodesView.refresh(); edgesView.refresh(); showCounts();
    }
    selected = id;
    network.selectNodes([id]);
    highlight(id);
    if (!opts.keepZoom) network.focus(id, { scale: Math.max(network.getScale(), 0.8), animation: false });
    showDetails("node", itemById.get(id));
    if (!opts.noHash) setHash(id);
    api.selected = id;
    cullLabels();
    return true;
  }
  api.selectNode = (id) => selectNode(id);
  api.selectedNodes = () => network.getSelectedNodes();
  network.on("click", (params) => {
    if (params.nodes.length) { selectNode(params.nodes[0], { keepZoom: true }); }
    else if (params.edges.length) { showDetails("edge", edges.get(params.edges[0])); }
    else { clearHighlight(); showDetails(null); cullLabels(); }
  });
  // The browser's own dblclick event (vis-network's double tap is missed when a click's redraw is slow).
  $("network").addEventListener("dblclick", (ev) => {
    const rect = $("network").getBoundingClientRect();
    const id = network.getNodeAt({ x: ev.clientX - rect.left, y: ev.clientY - rect.top });
    if (id !== undefined) expand(id);
  });

  // Search: every node of the shared data; what is not in this view says why. -----------------------
  const searchIndex = D.nodes.map((n) => ({ id: n.id, kind: n.kind, label: n.label, names: (n.names || [n.label]).concat([n.id]).map((s) => String(s).toLowerCase()) }));
  function search(query) {
    const q = String(query || "").trim().toLowerCase();
    if (!q) return [];
    const ranked = [];
    searchIndex.forEach((entry) => {
      let best = 9;
      entry.names.forEach((name) => { const rank = name === q ? 0 : name.startsWith(q) ? 1 : name.includes(q) ? 2 : 9; if (rank < best) best = rank; });
      if (best < 9) ranked.push([itemById.has(entry.id) ? 0 : 1, best, entry.names[0].length, entry]);
    });
    ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    return ranked.slice(0, 20).map((r) => r[3]);
  }
  function whyHidden(entry) {
    const legend = (D.nodeStyles[entry.kind] || D.nodeStyles._other).legend;
    if (model.aggregated) return "不在聚合视图 not in the aggregated view (it shows units and documents only): opens its document view";
    if (model.kind === "unit") return legend + " not linked to this unit's tasks: opens its own view";
    if (model.kind === "document") return legend + " not in this document: opens another view";
    if (model.kind === "cooperation") return legend + " not in the co-operation view (units only): opens another view";
    return legend + " of an older edition (untick “current editions only”)";
  }
  function hrefFor(entry) {
    const n = D.nodes[indexOf.get(entry.id)];
    if (n.unit) return "unit.html#unit=" + encodeURIComponent(n.id);
    if (n.kind === "Document") return "document.html#doc=" + encodeURIComponent(n.id);
    if (n.docs && n.docs.length) return "document.html#doc=" + encodeURIComponent(D.docs[n.docs[0]].id) + "&node=" + encodeURIComponent(n.id);
    return null;
  }
  api.search = (q) => search(q).filter((e) => itemById.has(e.id)).map((e) => e.id);
  api.searchAll = (q) => search(q).map((e) => ({ id: e.id, inView: itemById.has(e.id), why: itemById.has(e.id) ? "" : whyHidden(e) }));

  const input = $("search");
  const results = $("search-results");
  let current = [];
  let active = 0;
  function renderResults() {
    results.textContent = "";
    const inView = current.filter((e) => itemById.has(e.id)).length;
    current.forEach((entry, i) => {
      const here = itemById.has(entry.id);
      const s = D.nodeStyles[entry.kind] || D.nodeStyles._other;
      const li = el("li", { "data-id": entry.id, class: (i === active ? "active" : "") + (here ? "" : " elsewhere") },
        [entry.label, el("small", { text: s.legend })].concat(here ? [] : [el("small", { class: "why", text: " — " + whyHidden(entry) })]));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(i); });
      results.appendChild(li);
    });
    if (input.value.trim() && !inView) {
      const hiddenKinds = model.hiddenKinds ? Object.entries(model.hiddenKinds).map(([k, n]) => (D.nodeStyles[k] || D.nodeStyles._other).legend + " " + n).join(", ") : "";
      results.insertBefore(el("li", { class: "none", text: current.length
        ? "此视图中没有结果 no match in this view" + (model.aggregated ? "; the aggregated view hides " + hiddenKinds : "") + " — matches elsewhere:"
        : "没有结果 no match in the whole graph" + (model.aggregated ? " (searched every node, including the " + hiddenKinds + " the aggregated view hides)" : "") }), results.firstChild);
    }
    results.hidden = !input.value.trim();
  }
  function choose(i) {
    const entry = current[i];
    if (!entry) return;
    results.hidden = true;
    if (itemById.has(entry.id)) { selectNode(entry.id); return; }
    const href = hrefFor(entry);
    if (href) window.location.href = href;
  }
  input.addEventListener("input", () => { current = search(input.value); active = 0; renderResults(); });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); if (!current.length) current = search(input.value); choose(active); }
    else if (ev.key === "ArrowDown") { active = Math.min(active + 1, current.length - 1); renderResults(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = Math.max(active - 1, 0); renderResults(); ev.preventDefault(); }
    else if (ev.key === "Escape") { results.hidden = true; }
  });
  input.addEventListener("blur", () => { results.hidden = true; });

  // Which model this page shows (from the URL hash for unit and document pages). ---------------------
  function modelFromHash() {
    const h = hash();
    if (pageKind === "network") return networkModel(false);
    if (pageKind === "cooperation") return cooperationModel();
    if (pageKind === "document") return documentModel(h.get("doc") || D.docs[0].id);
    const unit = h.get("unit") || (D.nodes.find((n) => n.unit) || {}).id;
    return unitModel(unit, false);
  }
  let shownKey = null;
  const keyOf = () => { const h = hash(); return pageKind === "unit" ? h.get("unit") : pageKind === "document" ? h.get("doc") : pageKind; };
  window.addEventListener("hashchange", () => {
    if (keyOf() !== shownKey) { shownKey = keyOf(); load(modelFromHash()); }
    else { const want = hash().get("node"); if (want && want !== selected) selectNode(want, { noHash: true }); }
  });
  shownKey = keyOf();
  load(modelFromHash());
})();
