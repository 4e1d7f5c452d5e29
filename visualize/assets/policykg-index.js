/* policykg index page: summary numbers, links to every view, tasks led / participated per unit
   and the responsibility matrix (units × tasks, L / P), sortable and filterable. Everything is
   built from the JSON embedded in the page; window.policykgIndex exposes it to tests. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("index-data").textContent);
  const api = { ready: false, data: data };
  window.policykgIndex = api;
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "style") node.setAttribute("style", v);
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  };
  const link = (href, text) => (href ? el("a", { href: href, text: text }) : document.createTextNode(text));

  // Summary numbers.
  const s = data.summary;
  [["documents", "文件 documents"], ["tasks", "任务 tasks"], ["units", "单位 units"], ["entities", "平台园区企业 entities"],
    ["indicators", "指标 indicators"], ["leads", "牵头 lead links"], ["participates", "参与 participation links"],
    ["targets", "目标 targets"], ["nodes", "nodes"], ["edges", "edges"]].forEach(([key, label]) => {
    $("summary").appendChild(el("div", { class: "card", "data-key": key }, [el("b", { text: String(s[key]) }), el("span", { text: label })]));
  });

  // Main views.
  data.views.forEach((v) => {
    const note = v.aggregated ? " (aggregated: units and documents)" : "";
    $("main-views").appendChild(el("li", {}, [link(v.href, v.title), " — " + v.subtitle + ", " + v.nodes + " nodes, " + v.edges + " edges" + note]));
  });
  const communityList = $("communities");
  (data.communities || []).forEach((c) => communityList.appendChild(el("li", {}, [
    el("span", { class: "swatch", style: "background:" + c.colour }), " " + c.name + " — " + c.units + " units"])));
  if (!(data.communities || []).length) communityList.appendChild(el("li", { text: "No two units share a task." }));
  const docBody = $("documents").querySelector("tbody");
  data.documents.forEach((d) => docBody.appendChild(el("tr", {}, [el("td", {}, [link(d.href, d.name), d.current === false ? " (older edition)" : ""]), el("td", { text: d.jurisdiction || "" }), el("td", { text: String(d.tasks) })])));

  // Sortable tables: click a header to sort by it; numbers sort descending first.
  function makeSortable(table, rows, render) {
    let key = null, dir = 1;
    table.querySelectorAll("th[data-key]").forEach((th) => th.addEventListener("click", () => {
      const k = th.dataset.key;
      dir = key === k ? -dir : (th.dataset.num ? -1 : 1);
      key = k;
      table.querySelectorAll("th").forEach((h) => h.classList.remove("sorted-asc", "sorted-desc"));
      th.classList.add(dir > 0 ? "sorted-asc" : "sorted-desc");
      rows.sort((a, b) => (a[k] < b[k] ? -dir : a[k] > b[k] ? dir : 0));
      render();
    }));
  }

  // Units table with a filter on names and aliases.
  const unitRows = data.units.slice();
  const unitBody = $("units").querySelector("tbody");
  function renderUnits() {
    const q = $("unit-filter").value.trim().toLowerCase();
    unitBody.textContent = "";
    unitRows.forEach((u) => {
      if (q && ![u.name, u.id, ...(u.aliases || [])].some((n) => String(n).toLowerCase().includes(q))) return;
      unitBody.appendChild(el("tr", { "data-id": u.id }, [el("td", {}, [link(u.href, u.name)]), el("td", { text: u.kind }),
        el("td", { text: String(u.led) }), el("td", { text: String(u.joined) })]));
    });
  }
  makeSortable($("units"), unitRows, renderUnits);
  $("unit-filter").addEventListener("input", renderUnits);
  renderUnits();

  // Bar chart: tasks led and participated per unit, busiest first.
  const barUnits = data.units.filter((u) => u.led + u.joined > 0).sort((a, b) => (b.led + b.joined) - (a.led + a.joined) || b.led - a.led);
  function renderBars() {
    const shown = $("bars-all").checked ? barUnits : barUnits.slice(0, 30);
    const max = Math.max(1, ...shown.map((u) => u.led + u.joined));
    $("bars").textContent = "";
    shown.forEach((u) => {
      $("bars").appendChild(el("div", { class: "row", title: u.name + ": L " + u.led + ", P " + u.joined }, [
        el("span", { class: "name" }, [link(u.href, u.name)]),
        el("span", { class: "track" }, [el("span", { class: "lead", style: "width:" + (100 * u.led / max) + "%" }),
          el("span", { class: "part", style: "width:" + (100 * u.joined / max) + "%" })]),
        el("span", { class: "num", text: u.led + " L · " + u.joined + " P" })]));
    });
    if (!shown.length) $("bars").appendChild(el("p", { text: "No unit leads or joins any task." }));
  }
  $("bars-all").addEventListener("change", renderBars);
  renderBars();

  // Responsibility matrix: rows units, columns the tasks of one document (or all, when few).
  const byTask = new Map();
  data.cells.forEach(([u, t, role]) => { if (!byTask.has(t)) byTask.set(t, new Map()); byTask.get(t).set(u, role); });
  const docSelect = $("matrix-doc");
  const tasksOfDoc = new Map();
  data.tasks.forEach((t, i) => { if (!tasksOfDoc.has(t.doc)) tasksOfDoc.set(t.doc, []); tasksOfDoc.get(t.doc).push(i); });
  if (data.tasks.length <= 400) docSelect.appendChild(el("option", { value: "all", text: "全部 all documents" }));
  data.documents.forEach((d, i) => { if (tasksOfDoc.has(i)) docSelect.appendChild(el("option", { value: String(i), text: d.name + " (" + tasksOfDoc.get(i).length + ")" })); });
  let sortKey = "total", sortDir = -1;
  function matrixColumns() {
    const v = docSelect.value;
    const cols = v === "all" ? data.tasks.map((_, i) => i) : (tasksOfDoc.get(Number(v)) || []);
    const q = $("matrix-task-filter").value.trim().toLowerCase();
    return q ? cols.filter((i) => (data.tasks[i].path + " " + data.tasks[i].title).toLowerCase().includes(q)) : cols;
  }
  // Rows: units, sortable by name, by workload (L + P, L, P) or by their role in one task.
  // Columns: tasks by a short title, grouped under their document (the path is in the tooltip).
  function renderMatrix() {
    const table = $("matrix");
    const head = table.querySelector("thead"), body = table.querySelector("tbody");
    head.textContent = ""; body.textContent = "";
    if (!data.tasks.length) { body.appendChild(el("tr", {}, [el("td", { text: "No tasks in this graph." })])); $("matrix-count").textContent = ""; api.matrix = { rows: 0, columns: 0 }; return; }
    const cols = matrixColumns();
    const uq = $("matrix-unit-filter").value.trim().toLowerCase();
    const rows = new Map();
    cols.forEach((t) => (byTask.get(t) || new Map()).forEach((role, u) => {
      if (!rows.has(u)) rows.set(u, { u: u, L: 0, P: 0, total: 0 });
      rows.get(u)[role] += 1;
      rows.get(u).total += 1;
    }));
    let list = [...rows.values()].filter((r) => {
      const unit = data.units[r.u];
      return !uq || [unit.name, unit.id, ...(unit.aliases || [])].some((n) => String(n).toLowerCase().includes(uq));
    });
    const roleRank = { L: 2, P: 1 };
    list.sort((a, b) => {
      let x, y;
      if (sortKey === "name") { x = data.units[a.u].name; y = data.units[b.u].name; }
      else if (sortKey === "L" || sortKey === "P" || sortKey === "total") { x = a[sortKey]; y = b[sortKey]; }
      else { x = roleRank[(byTask.get(sortKey) || new Map()).get(a.u)] || 0; y = roleRank[(byTask.get(sortKey) || new Map()).get(b.u)] || 0; }
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir || b.total - a.total || data.units[a.u].name.localeCompare(data.units[b.u].name);
    });
    const docRow = el("tr"), hr = el("tr");
    const header = (key, text, cls, title, rowspan) => {
      const th = el("th", { class: cls + (sortKey === key ? (sortDir > 0 ? " sorted-asc" : " sorted-desc") : ""), title: title || null, "data-sort": String(key), text: text, rowspan: rowspan || null });
      th.addEventListener("click", () => { sortDir = sortKey === key ? -sortDir : (key === "name" ? 1 : -1); sortKey = key; renderMatrix(); });
      return th;
    };
    docRow.appendChild(header("name", "单位 Unit", "unit", null, 2));
    docRow.appendChild(header("total", "合计 L+P", "num", "workload: tasks led or joined", 2));
    docRow.appendChild(header("L", "L", "num", "tasks led", 2));
    docRow.appendChild(header("P", "P", "num", "tasks joined", 2));
    // One header cell per run of columns from the same document.
    let run = null;
    cols.forEach((t) => {
      const d = data.tasks[t].doc;
      if (!run || run.doc !== d) {
        const doc = data.documents[d] || { name: "—", short: "—" };
        run = { doc: d, th: el("th", { class: "doc", colspan: "1", title: doc.name, "data-doc": String(d), text: doc.short || doc.name }) };
        docRow.appendChild(run.th);
      } else run.th.setAttribute("colspan", String(Number(run.th.getAttribute("colspan")) + 1));
      const task = data.tasks[t];
      hr.appendChild(header(t, task.short || task.path || String(t), "task", task.path + " " + task.title + "\n" + ((data.documents[d] || {}).name || "")));
    });
    head.appendChild(docRow); head.appendChild(hr);
    list.forEach((r) => {
      const unit = data.units[r.u];
      const tr = el("tr", { "data-id": unit.id }, [el("td", { class: "unit" }, [link(unit.href, unit.name)]), el("td", { text: String(r.total) }), el("td", { text: String(r.L) }), el("td", { text: String(r.P) })]);
      cols.forEach((t) => { const role = (byTask.get(t) || new Map()).get(r.u) || ""; tr.appendChild(el("td", { class: role, text: role })); });
      body.appendChild(tr);
    });
    $("matrix-count").textContent = list.length + " units × " + cols.length + " tasks";
    api.matrix = { rows: list.length, columns: cols.length };
  }
  docSelect.addEventListener("change", renderMatrix);
  $("matrix-unit-filter").addEventListener("input", renderMatrix);
  $("matrix-task-filter").addEventListener("input", renderMatrix);
  renderMatrix();
  api.ready = true;
  document.body.dataset.ready = "1";
})();
