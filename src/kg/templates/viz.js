// The page `kg viz` writes: draws the network with vis-network and wires the side panel.
//
// Everything that comes from articles (sentences, titles, actor names) is put into the page as
// text: DOM nodes built with createElement and textContent, never innerHTML.
"use strict";
(function () {
  performance.mark("kg-start");
  const data = JSON.parse(document.getElementById("kg-data").textContent);
  performance.mark("kg-parsed");
  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== "") node.append(child); // strings become Text nodes
    }
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  const nodes = new vis.DataSet(data.nodes);
  const edges = new vis.DataSet(data.edges);
  performance.mark("kg-datasets");
  const network = new vis.Network($("kg-network"), { nodes: nodes, edges: edges }, data.options);
  performance.mark("kg-network");
  const nodeInfo = data.nodeInfo;
  const edgeInfo = data.edgeInfo;
  // For the tests and for anyone scripting the page from the developer console.
  const kg = { network: network, nodes: nodes, edges: edges, nodeInfo: nodeInfo, edgeInfo: edgeInfo,
               large: data.large, ready: false, drawnAt: null };
  window.kg = kg;

  // ---- settle, then stop -------------------------------------------------------------------
  function markReady() {
    if (kg.ready) return;
    kg.ready = true;
    kg.drawnAt = performance.now();
    performance.mark("kg-ready");
    document.body.setAttribute("data-kg-ready", "true");
    $("kg-status").textContent = data.large
      ? "large-graph mode: layout computed beforehand, physics off" : "";
  }
  if (data.options.physics.enabled && data.nodes.length) {
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      network.setOptions({ physics: { enabled: false } });
      network.once("afterDrawing", markReady);
      network.redraw();
    };
    network.on("stabilizationProgress", (p) => {
      $("kg-status").textContent = "laying out… " + Math.round((100 * p.iterations) / p.total) + " %";
    });
    network.once("stabilizationIterationsDone", stop);
    network.once("stabilized", stop);
  } else if (data.nodes.length) {
    network.once("afterDrawing", markReady);
  } else {
    markReady();
  }

  // ---- text helpers --------------------------------------------------------------------------
  const nodeLabel = (id) => nodes.get(id).label;
  function edgeHeading(edge) {
    const arrow = edgeInfo[edge.id].symmetric ? "—" : "→";
    return nodeLabel(edge.from) + " " + arrow + " " + edgeInfo[edge.id].label + " " + arrow + " " + nodeLabel(edge.to);
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function modalityText(info) {
    const parts = [];
    if (info.asserted) parts.push(info.asserted + " asserted");
    if (info.speculative) parts.push(info.speculative + " speculative");
    if (info.negated) parts.push(info.negated + " negated");
    return parts.join(", ") || info.modality;
  }
  function seenText(info) {
    if (!info.first_seen && !info.last_seen) return "undated";
    if (info.first_seen === info.last_seen) return info.first_seen;
    return (info.first_seen || "?") + " to " + (info.last_seen || "?");
  }
  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }
  function facts(pairs) {
    const dl = el("dl");
    for (const [term, value] of pairs) {
      if (value === "" || value === null || value === undefined) continue;
      dl.append(el("dt", null, term), el("dd", null, String(value)));
    }
    return dl;
  }
  function citation(ev) {
    const cite = el("p", { class: "kg-cite" });
    const url = safeUrl(ev.url);
    const title = ev.title || ev.url || ev.document || "untitled document";
    cite.append(url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, title) : title);
    if (ev.date) cite.append(" · " + ev.date);
    if (ev.modality && ev.modality !== "asserted") cite.append(" ", el("span", { class: "kg-tag" }, ev.modality));
    return cite;
  }

  // ---- details panel -------------------------------------------------------------------------
  const details = $("kg-details");
  function showEdge(id) {
    const edge = edges.get(id);
    if (!edge) return;
    const info = edgeInfo[edge.id];
    const list = el("ol", { class: "kg-evidence" });
    for (const ev of info.evidence) list.append(el("li", null, el("p", { class: "kg-quote" }, ev.text), citation(ev)));
    details.replaceChildren(
      el("h3", null, edgeHeading(edge)),
      facts([
        ["relation", info.relation + (info.symmetric ? " (symmetric)" : "")],
        ["sentences", info.weight], ["documents", info.documents], ["seen", seenText(info)],
        ["modality", modalityText(info)], ["polarity", info.polarity],
        ["PLOVER", info.plover], ["CAMEO", info.cameo],
      ]),
      info.evidence.length ? list : el("p", { class: "kg-hint" }, "No evidence sentences were kept for this relation."),
      info.evidence.length < info.weight
        ? el("p", { class: "kg-hint" }, "Showing " + info.evidence.length + " of " + plural(info.weight, "sentence") + ".")
        : null,
    );
  }
  function showNode(id) {
    const node = nodes.get(id);
    if (!node) return;
    const info = nodeInfo[node.id];
    const rows = network.getConnectedEdges(id).map((eid) => edges.get(eid)).filter((e) => !e.hidden);
    rows.sort((a, b) => edgeInfo[b.id].weight - edgeInfo[a.id].weight || edgeInfo[a.id].label.localeCompare(edgeInfo[b.id].label));
    const list = el("ul", { class: "kg-node-relations" });
    for (const edge of rows) {
      const button = el("button", { type: "button", class: "kg-link", onclick: () => { network.selectEdges([edge.id]); showEdge(edge.id); } },
        edgeHeading(edge) + " (" + edgeInfo[edge.id].weight + ")");
      list.append(el("li", null, button));
    }
    details.replaceChildren(
      el("h3", null, node.label),
      facts([["type", data.typeLabels[info.type] || info.type], ["ISO code", info.iso], ["Wikidata", info.qid],
             ["relations", info.degree], ["IRI", info.iri]]),
      rows.length ? list : el("p", { class: "kg-hint" }, "No relation shown under the current filter."),
    );
  }
  network.on("click", (params) => {
    hideTip();
    if (params.nodes.length) showNode(params.nodes[0]);
    else if (params.edges.length) showEdge(params.edges[0]);
  });
  kg.showEdge = showEdge;
  kg.showNode = showNode;

  // ---- hover tooltip -------------------------------------------------------------------------
  const tip = $("kg-tooltip");
  let pointer = { x: 0, y: 0 };
  $("kg-network").addEventListener("mousemove", (event) => {
    pointer = { x: event.clientX, y: event.clientY };
    if (!tip.hidden) placeTip();
  });
  $("kg-network").addEventListener("mouseleave", () => hideTip()); // vis-network sends no blur then
  function placeTip() {
    const x = Math.min(pointer.x + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(pointer.y + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  function showTip(children) {
    tip.replaceChildren(...children);
    tip.hidden = false;
    placeTip();
  }
  function hideTip() { tip.hidden = true; }
  network.on("hoverEdge", (params) => {
    const edge = edges.get(params.edge);
    const info = edgeInfo[edge.id];
    const shown = info.evidence.slice(0, 3).map((ev) =>
      el("p", null, "“" + clip(ev.text, 280) + "” ", el("span", { class: "kg-cite" }, [ev.title, ev.date].filter(Boolean).join(" · "))));
    const more = info.weight > shown.length ? el("p", { class: "kg-hint" }, plural(info.weight, "sentence") + "; click the line for all.") : null;
    showTip([el("p", { class: "kg-tip-head" }, edgeHeading(edge)), ...shown, more].filter(Boolean));
  });
  network.on("hoverNode", (params) => {
    const node = nodes.get(params.node);
    showTip([el("p", { class: "kg-tip-head" }, node.label),
             el("p", null, (data.typeLabels[nodeInfo[node.id].type] || nodeInfo[node.id].type) + " · " + plural(nodeInfo[node.id].degree, "relation"))]);
  });
  network.on("blurEdge", hideTip);
  network.on("blurNode", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);

  // ---- relation filter -----------------------------------------------------------------------
  const enabled = new Set(data.relations.map((r) => r.relation));
  const boxes = [];
  const hideIsolated = $("kg-hide-isolated");
  function applyFilter() {
    const edgeChanges = [];
    const visibleDegree = new Map();
    edges.forEach((edge) => {
      const hidden = !enabled.has(edgeInfo[edge.id].relation);
      if (Boolean(edge.hidden) !== hidden) edgeChanges.push({ id: edge.id, hidden: hidden });
      if (!hidden) {
        visibleDegree.set(edge.from, (visibleDegree.get(edge.from) || 0) + 1);
        visibleDegree.set(edge.to, (visibleDegree.get(edge.to) || 0) + 1);
      }
    });
    if (edgeChanges.length) edges.update(edgeChanges);
    const nodeChanges = [];
    nodes.forEach((node) => {
      const hidden = hideIsolated.checked && nodeInfo[node.id].degree > 0 && !visibleDegree.has(node.id);
      if (Boolean(node.hidden) !== hidden) nodeChanges.push({ id: node.id, hidden: hidden });
    });
    if (nodeChanges.length) nodes.update(nodeChanges);
    updateCounts();
  }
  function updateCounts() {
    const shownEdges = edges.get({ filter: (e) => !e.hidden }).length;
    const shownNodes = nodes.get({ filter: (n) => !n.hidden }).length;
    $("kg-counts").textContent = plural(shownNodes, "actor") + " · " + plural(shownEdges, "relation") +
      (shownEdges < data.edges.length || shownNodes < data.nodes.length
        ? " shown (of " + data.nodes.length + " and " + data.edges.length + ")" : "");
  }
  const relationList = $("kg-relations");
  for (const rel of data.relations) {
    const box = el("input", { type: "checkbox", id: "kg-rel-" + rel.relation, value: rel.relation });
    box.checked = true;
    box.addEventListener("change", () => {
      if (box.checked) enabled.add(rel.relation); else enabled.delete(rel.relation);
      applyFilter();
    });
    boxes.push(box);
    relationList.append(el("li", { title: rel.relation },
      box, el("span", { class: "kg-swatch", style: "background:" + rel.color }),
      el("label", { for: box.id }, rel.label), el("span", { class: "kg-count" }, String(rel.count))));
  }
  function setAll(on) {
    for (const box of boxes) {
      box.checked = on;
      if (on) enabled.add(box.value); else enabled.delete(box.value);
    }
    applyFilter();
  }
  $("kg-all").addEventListener("click", () => setAll(true));
  $("kg-none").addEventListener("click", () => setAll(false));
  hideIsolated.addEventListener("change", applyFilter);
  updateCounts();

  // ---- actor search --------------------------------------------------------------------------
  const datalist = $("kg-actors");
  const options = [];
  for (const node of data.nodes) options.push(el("option", { value: node.label }));
  datalist.replaceChildren(...options);
  function findActor(query) {
    const q = query.trim().toLowerCase();
    if (!q) return null;
    const all = nodes.get();
    const exact = (n) => n.label.toLowerCase() === q || nodeInfo[n.id].iso.toLowerCase() === q ||
      nodeInfo[n.id].qid.toLowerCase() === q || nodeInfo[n.id].iri.toLowerCase() === q;
    return all.find(exact) || all.find((n) => n.label.toLowerCase().startsWith(q)) ||
      all.find((n) => n.label.toLowerCase().includes(q)) || null;
  }
  function search() {
    const input = $("kg-search");
    const note = $("kg-search-note");
    const node = findActor(input.value);
    if (!input.value.trim()) { note.textContent = ""; return; }
    if (!node) { note.textContent = "No actor matches “" + input.value.trim() + "”."; return; }
    note.textContent = "";
    if (node.hidden) nodes.update({ id: node.id, hidden: false });
    network.selectNodes([node.id]);
    network.focus(node.id, { scale: Math.max(network.getScale(), 1), animation: { duration: 300 } });
    showNode(node.id);
  }
  $("kg-search").addEventListener("change", search);
  $("kg-search").addEventListener("keydown", (event) => { if (event.key === "Enter") search(); });
  kg.findActor = findActor;

  // ---- legend --------------------------------------------------------------------------------
  function shapeIcon(shape, color) {
    const s = svg("svg", { width: 16, height: 16, viewBox: "0 0 16 16" });
    const paint = { fill: color, stroke: "#333", "stroke-width": 0.8 };
    if (shape === "square") s.append(svg("rect", { x: 2, y: 2, width: 12, height: 12, ...paint }));
    else if (shape === "triangle") s.append(svg("polygon", { points: "8,1.5 14.5,14 1.5,14", ...paint }));
    else if (shape === "diamond") s.append(svg("polygon", { points: "8,1 15,8 8,15 1,8", ...paint }));
    else if (shape === "star") s.append(svg("polygon", { points: "8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6", ...paint }));
    else s.append(svg("circle", { cx: 8, cy: 8, r: 6.5, ...paint }));
    return s;
  }
  function lineIcon(color, dashes, arrow) {
    const s = svg("svg", { width: 34, height: 12, viewBox: "0 0 34 12" });
    const line = svg("line", { x1: 1, y1: 6, x2: arrow ? 26 : 33, y2: 6, stroke: color, "stroke-width": 2.5 });
    if (dashes) line.setAttribute("stroke-dasharray", dashes.join(" "));
    s.append(line);
    if (arrow) s.append(svg("polygon", { points: "25,1.5 33,6 25,10.5", fill: color }));
    return s;
  }
  const legend = $("kg-legend");
  const group = (title, items) => {
    if (!items.length) return;
    legend.append(el("p", { class: "kg-hint" }, title), el("ul", null, ...items));
  };
  group("Actors (size: number of relations)",
    data.legend.nodes.map((n) => el("li", null, shapeIcon(n.shape, n.color), n.label)));
  group(data.legend.colorTitle,
    data.legend.colors.map((c) => el("li", null, lineIcon(c.color, null, false), c.label)));
  group("Lines (width: number of sentences)", [
    ...data.legend.lines.map((l) => el("li", null, lineIcon("#555", l.dashes, false), l.label)),
    ...(data.legend.directed ? [el("li", null, lineIcon("#555", null, true), "directed: subject to object")] : []),
    ...(data.legend.symmetric ? [el("li", null, lineIcon("#555", null, false), "no arrow: symmetric relation")] : []),
  ]);
})();
