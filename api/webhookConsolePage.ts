import { eventTypes } from "../actors/index.js";

/** JSON inside a <script>: no `</script>` or HTML comment can close it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const styles = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--wait:#9a6700;--blue:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:12px;padding:10px 20px;background:#fff;border-bottom:1px solid var(--line)}
header h1{font-size:16px;margin:0;flex:1}
main{padding:16px 20px;max-width:1400px;margin:0 auto}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px}
#signin{max-width:380px;margin:60px auto}
#signin label{display:block;font-weight:600;margin-bottom:6px}
input,select,button{font:inherit}
input,select{padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:#fff;min-width:0}
#signin input{width:100%;margin-bottom:10px}
button{padding:5px 12px;border:1px solid var(--line);border-radius:6px;background:#f6f8fa;cursor:pointer;white-space:nowrap}
button:hover{background:#eef1f4}button:disabled{opacity:.6;cursor:default}
button.primary{background:var(--blue);border-color:var(--blue);color:#fff}
.layout{display:grid;grid-template-columns:minmax(260px,330px) minmax(0,1fr);gap:16px;align-items:start}
h2{font-size:14px;margin:0 0 10px}h2 button{font-weight:400;font-size:12px;margin-left:6px;padding:2px 8px}
.endpoint{border:1px solid var(--line);border-radius:8px;padding:10px;margin-bottom:10px;background:#fff;cursor:pointer}
.endpoint[aria-current=true]{border-color:var(--blue);box-shadow:0 0 0 1px var(--blue)}
.endpoint .url{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all;margin:4px 0}
.facts{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:6px 0 0;font-size:12px}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid currentColor}
.s-enabled,.s-succeeded,.s-2xx{color:var(--ok)}.s-disabled,.s-failed,.s-err{color:var(--bad)}.s-pending{color:var(--wait)}
.muted{color:var(--muted)}.small{font-size:12px}
details.replay{margin-top:8px;font-size:12px}details.replay summary{cursor:pointer;color:var(--blue)}
details.replay form{display:grid;grid-template-columns:auto 1fr;gap:6px 8px;align-items:center;margin-top:6px}
details.replay form button{grid-column:2;justify-self:start}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:10px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
.filters input[type=search]{width:230px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
tbody tr.delivery{cursor:pointer}tbody tr.delivery:hover{background:#f6f8fa}
tbody tr[aria-selected=true]{background:#ddf4ff}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;max-height:360px;font-size:12px;margin:0}
.excerpt{max-width:420px;white-space:pre-wrap;word-break:break-all}
#detail{margin-top:16px}.table-wrap{overflow-x:auto}.layout>*,.grid2>*{min-width:0}
.detail-head{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin-bottom:10px}
.detail-head h2{margin:0}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
#message{min-height:20px;margin:0 0 10px}
#message.error,.error{color:var(--bad)}#message.ok{color:var(--ok)}
.empty{padding:18px;text-align:center;color:var(--muted)}
@media (max-width:900px){.layout,.grid2{grid-template-columns:1fr}}
`;

/** The browser side: signs in with a key kept in sessionStorage and speaks only the JSON API. */
const script = `
(function () {
  "use strict";
  var eventTypes = EVENT_TYPES;
  var storageKey = "buffmoney.webhooks.apiKey";
  var state = { endpoints: [], endpoint: null, filter: {}, cursor: null, selected: null };

  function $(id) { return document.getElementById(id); }
  function h(tag, props, children) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (name) {
      var value = props[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") el.textContent = String(value);
      else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function time(iso) { return iso ? iso.replace("T", " ").replace(/\\.\\d+Z$/, "Z") : "—"; }
  function say(text, kind) { var m = $("message"); m.textContent = text; m.className = kind || ""; }
  function apiKey() { return sessionStorage.getItem(storageKey) || ""; }
  function idempotencyKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "console_" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function api(method, path, body) {
    var headers = { Authorization: "Bearer " + apiKey(), Accept: "application/json" };
    var init = { method: method, headers: headers, cache: "no-store" };
    if (method === "POST") {
      headers["Content-Type"] = "application/json";
      headers["Idempotency-Key"] = idempotencyKey();
      init.body = JSON.stringify(body || {});
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var json = text ? JSON.parse(text) : null;
        if (response.ok) return json;
        var error = new Error((json && (json.detail || json.title)) || "HTTP " + response.status);
        error.status = response.status;
        throw error;
      });
    });
  }
  function failed(error) {
    if (error.status === 401) return signOut("That API key was not accepted.");
    say(error.message, "error");
  }
  function badge(status) { return h("span", { class: "badge s-" + status, text: status }); }
  function attemptBadge(a) {
    if (!a) return h("span", { class: "muted", text: "—" });
    var ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
    return h("span", { class: "badge " + (ok ? "s-2xx" : "s-err"), text: a.statusCode !== null ? String(a.statusCode) : a.error || "error" });
  }
  function enc(id) { return encodeURIComponent(id); }

  function signIn(key) {
    sessionStorage.setItem(storageKey, key);
    return api("GET", "/v1/webhook-endpoints").then(function (list) {
      $("signin").hidden = true;
      $("console").hidden = false;
      $("signout").hidden = false;
      showEndpoints(list.data);
    }, failed);
  }
  function signOut(text) {
    sessionStorage.removeItem(storageKey);
    $("console").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = text || "";
  }

  function showEndpoints(endpoints) {
    state.endpoints = endpoints;
    var list = $("endpoints");
    clear(list);
    if (endpoints.length === 0) list.appendChild(h("p", { class: "empty", text: "No webhook endpoints yet." }));
    endpoints.forEach(function (e) { list.appendChild(endpointCard(e)); });
    var keep = state.endpoint && endpoints.filter(function (e) { return e.id === state.endpoint.id; })[0];
    if (keep || endpoints[0]) selectEndpoint(keep || endpoints[0]);
  }
  function endpointCard(e) {
    var facts = h("dl", { class: "facts" }, [
      h("dt", { text: "Failure streak" }), h("dd", { "data-field": "streak", text: "…" }),
      h("dt", { text: "Failing since" }), h("dd", { "data-field": "since", text: "…" }),
      h("dt", { text: "Last success" }), h("dd", { "data-field": "success", text: "…" }),
      h("dt", { text: "Events" }), h("dd", { text: e.eventTypes.join(", ") })
    ]);
    var card = h("article", { class: "endpoint", "data-endpoint": e.id, "aria-current": "false", onclick: function (ev) {
      if (!ev.target.closest("details")) selectEndpoint(e);
    } }, [
      h("div", {}, [badge(e.status), e.disabledReason ? h("span", { class: "muted small", text: " " + e.disabledReason }) : null]),
      h("div", { class: "url", text: e.url }),
      e.description ? h("div", { class: "small", text: e.description }) : null,
      h("div", { class: "mono muted", text: e.id }),
      facts,
      replayForm(e)
    ]);
    loadHealth(card, e.id);
    return card;
  }
  function loadHealth(card, id) {
    return api("GET", "/v1/webhook-endpoints/" + enc(id) + "/health").then(function (health) {
      card.querySelector("[data-field=streak]").textContent = String(health.consecutiveFailures);
      card.querySelector("[data-field=since]").textContent = time(health.failingSince);
      card.querySelector("[data-field=success]").textContent = time(health.lastSucceededAt);
    }, failed);
  }
  function refreshHealth(id) {
    document.querySelectorAll(".endpoint").forEach(function (card) {
      if (card.getAttribute("data-endpoint") === id) loadHealth(card, id);
    });
  }
  function replayForm(e) {
    var from = h("input", { type: "datetime-local", name: "from", step: "1" });
    var to = h("input", { type: "datetime-local", name: "to", step: "1" });
    var type = typeSelect("Any event type");
    var form = h("form", { onsubmit: function (ev) {
      ev.preventDefault();
      var body = {};
      if (from.value) body.from = new Date(from.value).toISOString();
      if (to.value) body.to = new Date(to.value).toISOString();
      if (type.value) body.eventTypes = [type.value];
      api("POST", "/v1/webhook-endpoints/" + enc(e.id) + "/replay", body).then(function (r) {
        say("Replay queued " + r.deliveries + " deliveries (ledger " + r.fromSequence + "–" + r.throughSequence + ")" +
          (r.hasMore ? "; more remain, replay again from " + (r.throughSequence + 1) : "") + ".", "ok");
        if (state.endpoint && state.endpoint.id === e.id) loadDeliveries(false);
      }, failed);
    } }, [
      h("label", { text: "From" }), from, h("label", { text: "To" }), to,
      h("label", { text: "Type" }), type,
      h("button", { type: "submit", class: "primary", text: "Replay range" })
    ]);
    return h("details", { class: "replay" }, [h("summary", { text: "Replay a range of events" }), form]);
  }
  function typeSelect(anyText) {
    var select = h("select", {}, [h("option", { value: "", text: anyText })]);
    eventTypes.forEach(function (t) { select.appendChild(h("option", { value: t, text: t })); });
    return select;
  }

  function selectEndpoint(e) {
    state.endpoint = e;
    state.selected = null;
    document.querySelectorAll(".endpoint").forEach(function (card) {
      card.setAttribute("aria-current", String(card.getAttribute("data-endpoint") === e.id));
    });
    $("deliveries-title").textContent = "Deliveries to " + e.url;
    clear($("detail"));
    loadDeliveries(false);
  }
  function query() {
    var q = "limit=25";
    if (state.filter.status) q += "&status=" + enc(state.filter.status);
    if (state.filter.eventType) q += "&eventType=" + enc(state.filter.eventType);
    if (state.filter.eventId) q += "&eventId=" + enc(state.filter.eventId);
    return q;
  }
  function loadDeliveries(more) {
    if (!state.endpoint) return Promise.resolve();
    var search = $("search").value.trim();
    if (search && search.indexOf("evt_") !== 0) return findDelivery(search);
    state.filter = { status: $("status").value, eventType: $("event-type").value, eventId: search };
    var path = "/v1/webhook-endpoints/" + enc(state.endpoint.id) + "/deliveries?" + query();
    if (more && state.cursor) path += "&startingAfter=" + enc(state.cursor);
    return api("GET", path).then(function (page) {
      if (!more) clear($("rows"));
      page.data.forEach(function (d) { $("rows").appendChild(deliveryRow(d)); });
      if (!$("rows").firstChild) $("rows").appendChild(emptyRow("No deliveries match."));
      state.cursor = page.nextCursor;
      $("more").hidden = !page.hasMore;
    }, failed);
  }
  function findDelivery(id) {
    return api("GET", "/v1/webhook-deliveries/" + enc(id)).then(function (d) {
      clear($("rows"));
      $("rows").appendChild(deliveryRow(d));
      $("more").hidden = true;
      openDelivery(d.id);
    }, function (error) {
      clear($("rows"));
      $("rows").appendChild(emptyRow(error.status === 404 ? "No delivery " + id + "." : error.message));
    });
  }
  function emptyRow(text) { return h("tr", {}, [h("td", { colspan: "7", class: "empty", text: text })]); }
  function deliveryRow(d) {
    var replay = h("button", { type: "button", "data-action": "replay", text: "Replay", onclick: function (ev) {
      ev.stopPropagation();
      replayDelivery(d.id, replay);
    } });
    return h("tr", { class: "delivery", "data-delivery": d.id, "aria-selected": String(state.selected === d.id), onclick: function () { openDelivery(d.id); } }, [
      h("td", { class: "small", text: time(d.createdAt) }),
      h("td", {}, [h("span", { text: d.eventType }), d.replay ? h("span", { class: "muted small", text: " (replay)" }) : null]),
      h("td", { class: "mono", text: d.eventId }),
      h("td", {}, [badge(d.status)]),
      h("td", { "data-field": "attempts", text: String(d.attemptCount) }),
      h("td", {}, [attemptBadge(d.lastAttempt), h("div", { class: "small muted", text: d.lastAttempt ? time(d.lastAttempt.at) : "" })]),
      h("td", {}, [replay])
    ]);
  }
  function replayDelivery(id, button) {
    button.disabled = true;
    var before;
    return api("GET", "/v1/webhook-deliveries/" + enc(id)).then(function (d) {
      before = d.attemptCount;
      return api("POST", "/v1/webhook-deliveries/" + enc(id) + "/retry", {});
    }).then(function () {
      say("Replaying " + id + "…", "ok");
      return waitForAttempt(id, before, 40);
    }).then(function (d) {
      var last = d.attempts[d.attempts.length - 1];
      say(d.attemptCount > before && last
        ? "Replayed " + id + ": the endpoint answered " + (last.statusCode !== null ? last.statusCode : last.error) + "."
        : "Replay of " + id + " is queued.", "ok");
      refreshHealth(d.endpointId);
      return loadDeliveries(false).then(function () { return openDelivery(id); });
    }).catch(failed).then(function () { button.disabled = false; });
  }
  function waitForAttempt(id, before, triesLeft) {
    return api("GET", "/v1/webhook-deliveries/" + enc(id)).then(function (d) {
      if (d.attemptCount > before || triesLeft <= 0) return d;
      return new Promise(function (resolve) { setTimeout(resolve, 250); }).then(function () {
        return waitForAttempt(id, before, triesLeft - 1);
      });
    });
  }

  function openDelivery(id) {
    state.selected = id;
    document.querySelectorAll("tr.delivery").forEach(function (row) {
      row.setAttribute("aria-selected", String(row.getAttribute("data-delivery") === id));
    });
    return Promise.all([
      api("GET", "/v1/webhook-deliveries/" + enc(id)),
      api("GET", "/v1/webhook-deliveries/" + enc(id) + "/event").catch(function () { return null; })
    ]).then(function (both) { showDelivery(both[0], both[1]); }, failed);
  }
  function showDelivery(d, event) {
    var detail = $("detail");
    clear(detail);
    var rows = d.attempts.map(function (a, i) {
      return h("tr", { class: "attempt" }, [
        h("td", { text: String(d.attemptCount - d.attempts.length + i + 1) }),
        h("td", { class: "small", text: time(a.at) }),
        h("td", {}, [attemptBadge(a)]),
        h("td", { text: a.latencyMs + " ms" }),
        h("td", {}, [h("div", { class: "mono excerpt", text: a.responseExcerpt })])
      ]);
    });
    if (rows.length === 0) rows.push(h("tr", {}, [h("td", { colspan: "5", class: "empty", text: "No attempts yet." })]));
    var replay = h("button", { type: "button", class: "primary", "data-action": "replay-detail", text: "Replay", onclick: function () { replayDelivery(d.id, replay); } });
    detail.appendChild(h("section", { class: "card", "aria-label": "Delivery " + d.id }, [
      h("div", { class: "detail-head" }, [
        h("h2", { class: "mono", text: d.id }), badge(d.status),
        h("span", { class: "muted small", text: d.eventType + " · " + d.eventId + " · ledger " + d.sequence }),
        d.nextAttemptAt ? h("span", { class: "small", text: "next attempt " + time(d.nextAttemptAt) }) : null,
        replay
      ]),
      h("div", { class: "grid2" }, [
        h("div", { class: "table-wrap" }, [h("h2", { text: "Attempts (" + d.attemptCount + ")" }), h("table", {}, [
          h("thead", {}, [h("tr", {}, ["#", "Time", "Status", "Latency", "Response excerpt"].map(function (t) { return h("th", { text: t }); }))]),
          h("tbody", { id: "attempts" }, rows)
        ])]),
        h("div", {}, [h("h2", { text: "Payload" }), h("pre", { id: "payload", text: event ? JSON.stringify(event, null, 2) : "The event is not available." })])
      ])
    ]));
  }

  $("signin").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var key = $("api-key").value.trim();
    $("api-key").value = "";
    if (key) signIn(key);
  });
  $("signout").addEventListener("click", function () { signOut(""); });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); clear($("detail")); loadDeliveries(false); });
  $("more").addEventListener("click", function () { loadDeliveries(true); });
  $("refresh").addEventListener("click", function () {
    api("GET", "/v1/webhook-endpoints").then(function (list) { showEndpoints(list.data); }, failed);
  });
  var eventTypeFilter = typeSelect("All");
  eventTypeFilter.id = "event-type";
  $("event-type-slot").appendChild(eventTypeFilter);
  if (apiKey()) signIn(apiKey());
})();
`;

/** The webhook console: one self-contained page (no CDN); all data comes from the JSON API. */
export function renderWebhookConsolePage(nonce: string): string {
  const code = script.replace("EVENT_TYPES", scriptJson(eventTypes));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Webhooks · BuffMoney</title>
<style nonce="${nonce}">${styles}</style>
</head>
<body>
<header><h1>BuffMoney · Webhooks</h1><button type="button" id="signout" hidden>Sign out</button></header>
<main>
<form id="signin" class="card" autocomplete="off">
<label for="api-key">Merchant API key</label>
<input id="api-key" name="apiKey" type="password" placeholder="bm_test_…" required>
<button type="submit" class="primary">Sign in</button>
<p id="signin-error" class="small error" role="alert"></p>
<p class="muted small">The key stays in this tab (sessionStorage) and is sent only to this server.</p>
</form>
<div id="console" hidden>
<p id="message" role="status" aria-live="polite"></p>
<div class="layout">
<section aria-label="Endpoints"><h2>Endpoints <button type="button" id="refresh" class="small">Refresh</button></h2>
<div id="endpoints"></div></section>
<section aria-label="Deliveries" class="card">
<h2 id="deliveries-title">Deliveries</h2>
<form id="filters" class="filters">
<label>Status<select id="status"><option value="">All</option><option>pending</option><option>succeeded</option><option>failed</option></select></label>
<label id="event-type-slot">Event type</label>
<label>Search<input id="search" type="search" placeholder="evt_… or whd_…"></label>
<button type="submit">Apply</button>
</form>
<div class="table-wrap"><table><thead><tr><th>Created</th><th>Event</th><th>Event id</th><th>Status</th><th>Attempts</th><th>Last attempt</th><th></th></tr></thead>
<tbody id="rows"></tbody></table></div>
<p><button type="button" id="more" hidden>Load more</button></p>
</section>
</div>
<div id="detail"></div>
</div>
</main>
<script nonce="${nonce}">${code}</script>
</body>
</html>`;
}
