/**
 * The inspector page: one static document, all CSS and script inline, nothing fetched from
 * elsewhere (it works offline). It signs in with an API key kept in sessionStorage, reads
 * /v1/inspector/entities/{entity} and listens to /v1/feed to refetch when the entity changes.
 * The script builds every node with textContent, so no ledger data is ever parsed as HTML.
 */
const style = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--accent:#0969da;--accent-bg:#ddf4ff;--ok:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:12px 20px;background:#fff;border-bottom:1px solid var(--line)}
header h1{font-size:16px;margin:0 12px 0 0}
form{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0}
input{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;min-width:0}
button{font:inherit;padding:5px 12px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:minmax(0,2fr) minmax(0,1fr)}
section.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 8px}
h2 .muted{text-transform:none;letter-spacing:0;font-weight:400;margin-left:8px}
.muted{color:var(--muted)}.error{color:#cf222e}
#summary{display:flex;flex-wrap:wrap;gap:16px;align-items:baseline}
#summary .value{font-size:20px;font-weight:600}
#live[data-live=on]::before{content:"●";color:var(--ok);margin-right:4px}
#live[data-live=off]::before{content:"●";color:var(--muted);margin-right:4px}
svg{width:100%;height:auto;display:block}
svg .node rect{fill:#fff;stroke:var(--line);stroke-width:1.5}
svg .node text{font-size:14px;font-weight:600;fill:var(--fg)}
svg .node.current rect{fill:var(--accent-bg);stroke:var(--accent);stroke-width:3}
svg .node.flash rect{animation:flash 1.2s ease-out 2}
svg .edge path{fill:none;stroke:#8c959f;stroke-width:1.5}
svg .edge text{font-size:11px;fill:var(--muted)}
svg .edge.taken path{stroke:var(--accent);stroke-width:2.5}
svg .edge.taken text{fill:var(--accent);font-weight:600}
@keyframes flash{50%{fill:#fff8c5}}
#states{display:grid;gap:10px;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));margin-top:12px}
.state{border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.state.current{border-color:var(--accent);box-shadow:0 0 0 2px var(--accent-bg)}
.state h3{font-size:14px;margin:0 0 6px}
.state ul{list-style:none;margin:0;padding:0;font-size:12px}
.state li{padding:2px 0;border-top:1px dashed #eaeef2}
.state li.rejects{color:var(--muted)}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-height:420px;overflow:auto}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
tr.changed td{background:#fff8c5}
.arrow{white-space:nowrap}
details summary{cursor:pointer;color:var(--accent)}
@media (max-width:800px){main{grid-template-columns:1fr}}
`;

const script = `
(function () {
  var store = window.sessionStorage;
  var $ = function (id) { return document.getElementById(id); };
  var current = null, socket = null, feedSeq = 0, retryMs = 1000, refetching = false, again = false;
  var nodeWidth = 150, nodeHeight = 54, gap = 90;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function headers() {
    var h = { Authorization: "Bearer " + (store.getItem("bm.inspector.key") || "") };
    var admin = store.getItem("bm.inspector.admin");
    if (admin) h["X-Admin-Token"] = admin;
    return h;
  }
  function say(text, isError) {
    var m = $("message"); m.textContent = text || ""; m.className = isError ? "error" : "muted";
  }
  function getJson(path) {
    return fetch(path, { headers: headers(), cache: "no-store" }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && (body.detail || body.code)) || ("HTTP " + r.status));
        return body;
      });
    });
  }
  var keyOf = function (id) { return id.slice(id.lastIndexOf(".") + 1); };

  function drawChart(data, taken) {
    var chart = $("chart"); chart.textContent = "";
    var root = data.machine.states.filter(function (s) { return s.id === data.machine.root; })[0];
    var top = data.machine.states.filter(function (s) { return s.parent === root.id; });
    var index = {}; top.forEach(function (s, i) { index[s.id] = i; });
    var width = 40 + top.length * (nodeWidth + gap) - gap + 40, y = 120;
    var picture = svg("svg", { viewBox: "0 0 " + Math.max(width, 400) + " 250", role: "img", "aria-label": "statechart" });
    var defs = svg("defs");
    var marker = svg("marker", { id: "head", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M0,0L10,5L0,10z", fill: "#8c959f" }));
    defs.appendChild(marker); picture.appendChild(defs);
    var xOf = function (i) { return 40 + i * (nodeWidth + gap); };
    var pairs = {};
    top.forEach(function (state) {
      state.transitions.forEach(function (t) {
        var target = t.targets[0];
        if (target === undefined || index[target] === undefined || target === state.id) return;
        var key = state.id + ">" + target;
        (pairs[key] = pairs[key] || { from: index[state.id], to: index[target], events: [], source: state.id, target: target }).events.push(t.event);
      });
    });
    Object.keys(pairs).forEach(function (key) {
      var p = pairs[key], forward = p.from < p.to;
      var x1 = xOf(p.from) + nodeWidth / 2 + (forward ? 20 : -20), x2 = xOf(p.to) + nodeWidth / 2 + (forward ? -20 : 20);
      var y1 = forward ? y - nodeHeight / 2 : y + nodeHeight / 2, bend = forward ? -70 : 70;
      var isTaken = taken && taken.source === p.source && taken.targets.indexOf(p.target) >= 0;
      var g = svg("g", { class: "edge" + (isTaken ? " taken" : ""), "data-from": keyOf(p.source), "data-to": keyOf(p.target) });
      g.appendChild(svg("path", { d: "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + bend) + " " + x2 + "," + (y1 + bend) + " " + x2 + "," + y1, "marker-end": "url(#head)" }));
      g.appendChild(svg("text", { x: (x1 + x2) / 2, y: y1 + bend * 0.75 + (forward ? -4 : 12), "text-anchor": "middle" }, p.events.join(", ")));
      picture.appendChild(g);
    });
    var initial = root.initial[0];
    top.forEach(function (state, i) {
      var isCurrent = keyOf(state.id) === data.state.value;
      var g = svg("g", { class: "node" + (isCurrent ? " current" : ""), "data-state": state.key });
      g.appendChild(svg("rect", { x: xOf(i), y: y - nodeHeight / 2, width: nodeWidth, height: nodeHeight, rx: 12 }));
      g.appendChild(svg("text", { x: xOf(i) + nodeWidth / 2, y: y + 5, "text-anchor": "middle" }, state.key));
      if (state.id === initial) {
        g.appendChild(svg("circle", { cx: xOf(i) - 22, cy: y, r: 5, fill: "#1f2328" }));
        g.appendChild(svg("path", { d: "M" + (xOf(i) - 17) + "," + y + " L" + (xOf(i) - 3) + "," + y, stroke: "#1f2328", "marker-end": "url(#head)" }));
      }
      picture.appendChild(g);
    });
    chart.appendChild(picture);

    var cards = $("states"); cards.textContent = "";
    [root].concat(top).forEach(function (state) {
      var isRoot = state.id === root.id;
      var card = el("div", { class: "state" + (!isRoot && state.key === data.state.value ? " current" : ""), "data-state": isRoot ? "*" : state.key });
      card.appendChild(el("h3", {}, isRoot ? "in every state (" + state.key + ")" : state.key));
      var list = el("ul");
      state.transitions.forEach(function (t) {
        var rejects = t.actions.some(function (a) { return a.indexOf("reject") === 0; });
        var item = el("li", { class: rejects ? "rejects" : "" });
        item.appendChild(el("code", {}, t.event));
        var text = t.targets.length ? " → " + t.targets.map(keyOf).join(", ") : "";
        if (t.guard) text += " [" + t.guard + "]";
        if (t.actions.length) text += " / " + t.actions.join(", ");
        item.appendChild(document.createTextNode(text));
        list.appendChild(item);
      });
      card.appendChild(list);
      cards.appendChild(card);
    });
  }

  function drawLog(data, previousSeq) {
    var body = $("log"); body.textContent = "";
    data.transitions.slice().reverse().forEach(function (t) {
      var row = el("tr", { "data-seq": t.seq, class: previousSeq !== null && t.seq > previousSeq ? "changed" : "" });
      row.appendChild(el("td", {}, String(t.seq) + (t.part === null ? "" : " · part " + t.part)));
      row.appendChild(el("td", {}, t.at.replace("T", " ").replace("Z", "")));
      row.appendChild(el("td", {}, t.command.type));
      row.appendChild(el("td", {}, t.fact ? t.fact.type : ""));
      row.appendChild(el("td", { class: "arrow" }, t.from + " → " + t.to));
      var cell = el("td"), more = el("details");
      more.appendChild(el("summary", {}, t.postings.length + " postings"));
      more.appendChild(el("pre", {}, JSON.stringify({ command: t.command, fact: t.fact, postings: t.postings, taken: t.taken }, null, 2)));
      cell.appendChild(more); row.appendChild(cell);
      body.appendChild(row);
    });
    $("log-note").textContent = data.recordsReplayed + " records replayed" +
      (data.transitions.length < data.recordsReplayed ? "; newest " + data.transitions.length + " shown" : "");
  }

  function show(data) {
    var before = current;
    var changed = before && before.entity === data.entity && before.lastSeq !== data.lastSeq;
    current = data;
    $("view").hidden = false;
    $("entity-name").textContent = data.entity;
    $("kind").textContent = data.kind + " · " + data.environment + (data.customerExternalId ? " · " + data.customerExternalId : "");
    var value = $("state-value"); value.textContent = data.state.value; value.dataset.state = data.state.value;
    $("last-seq").textContent = String(data.lastSeq);
    var last = data.transitions[data.transitions.length - 1];
    drawChart(data, changed && last ? last.taken[0] : null);
    $("context").textContent = JSON.stringify(data.state.context, null, 2);
    drawLog(data, changed ? before.lastSeq : null);
    if (changed) {
      var node = document.querySelector('#chart .node[data-state="' + data.state.value + '"]');
      if (node) node.classList.add("flash");
    }
  }

  function load(entity) {
    return getJson("/v1/inspector/entities/" + encodeURIComponent(entity)).then(function (data) {
      show(data); say(""); return data;
    });
  }

  function refetch() {
    if (!current) return;
    if (refetching) { again = true; return; }
    refetching = true;
    load(current.entity).catch(function (e) { say(e.message, true); }).then(function () {
      refetching = false;
      if (again) { again = false; refetch(); }
    });
  }

  function concerns(event) {
    if (!current || typeof event.sequence !== "number" || event.sequence <= current.lastSeq) return false;
    var wallet = event.data && event.data.wallet;
    if (current.customerExternalId) return !!wallet && wallet.customerExternalId === current.customerExternalId;
    return true;
  }

  function listen() {
    if (socket) { socket.onclose = null; socket.close(); }
    var key = store.getItem("bm.inspector.key");
    if (!current || !key) return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/feed?after=" +
      feedSeq + "&token=" + encodeURIComponent(key);
    var ws = new WebSocket(url);
    socket = ws;
    ws.onopen = function () { retryMs = 1000; $("live").dataset.live = "on"; $("live").textContent = "live"; };
    ws.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (typeof event.sequence === "number") feedSeq = Math.max(feedSeq, event.sequence);
      if (event.object !== "feed_caught_up" && concerns(event)) refetch();
    };
    ws.onclose = function () {
      $("live").dataset.live = "off"; $("live").textContent = "reconnecting";
      setTimeout(listen, retryMs); retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  function open(entity) {
    entity = entity.trim();
    if (!entity) return;
    if (location.hash.slice(1) !== entity) history.replaceState(null, "", "#" + encodeURIComponent(entity));
    $("entity").value = entity;
    current = null;
    say("loading " + entity + "…");
    load(entity).then(function (data) { feedSeq = data.lastSeq; listen(); }, function (e) { say(e.message, true); });
  }

  $("signin").onsubmit = function (e) {
    e.preventDefault();
    store.setItem("bm.inspector.key", $("key").value.trim());
    if ($("admin").value.trim()) store.setItem("bm.inspector.admin", $("admin").value.trim());
    else store.removeItem("bm.inspector.admin");
    $("key").value = ""; $("admin").value = "";
    $("who").textContent = "signed in";
    if ($("entity").value) open($("entity").value);
  };
  $("pick").onsubmit = function (e) { e.preventDefault(); open($("entity").value); };
  $("lookup").onsubmit = function (e) {
    e.preventDefault();
    var externalId = $("external-id").value.trim();
    if (!externalId) return;
    getJson("/v1/customers/" + encodeURIComponent(externalId)).then(function (customer) {
      open("wallet:" + customer.id);
    }, function (err) { say(err.message, true); });
  };
  if (store.getItem("bm.inspector.key")) $("who").textContent = "signed in";
  var fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash) { $("entity").value = fromHash; if (store.getItem("bm.inspector.key")) open(fromHash); }
})();
`;

export function renderInspectorPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BuffMoney · State-machine inspector</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>State-machine inspector</h1>
<form id="signin" autocomplete="off">
<input id="key" type="password" placeholder="API key (bm_test_…)" aria-label="API key">
<input id="admin" type="password" placeholder="admin token (live keys)" aria-label="Admin token">
<button type="submit">Sign in</button>
<span id="who" class="muted">not signed in</span>
</form>
<form id="pick">
<input id="entity" placeholder="wallet:cus_… · subscription:sub_… · invoice:… · payment:…" aria-label="Entity" size="34">
<button class="primary" type="submit">Inspect</button>
</form>
<form id="lookup">
<input id="external-id" placeholder="customer externalId" aria-label="Customer externalId">
<button type="submit">Open wallet</button>
</form>
<span id="message" class="muted"></span>
</header>
<main id="view" hidden>
<section class="panel wide" id="summary">
<span><span class="muted">entity</span> <code id="entity-name"></code></span>
<span id="kind" class="muted"></span>
<span><span class="muted">state</span> <span class="value" id="state-value"></span></span>
<span><span class="muted">last record</span> <span id="last-seq"></span></span>
<span id="live" data-live="off">offline</span>
</section>
<section class="panel">
<h2>Statechart</h2>
<div id="chart"></div>
<div id="states"></div>
</section>
<section class="panel">
<h2>Context</h2>
<pre id="context"></pre>
</section>
<section class="panel wide">
<h2>Transitions from the log <span id="log-note" class="muted"></span></h2>
<table>
<thead><tr><th>seq</th><th>at (UTC)</th><th>command</th><th>fact</th><th>state</th><th>details</th></tr></thead>
<tbody id="log"></tbody>
</table>
</section>
</main>
<script>${script}</script>
</body>
</html>`;
}
