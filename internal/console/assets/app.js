// Hearth console: draws the activity stream (Server-Sent Events from
// /console/api/events) as one lane per execution environment, and polls
// the functions view every few seconds.
"use strict";

const KEEP_MS = 60 * 60 * 1000; // what is kept for scrolling back
const lanes = new Map();        // env ID -> lane
const throttles = new Map();    // function -> [times]
const functions = new Set();
let dirty = true;
let selected = "";
let selectedStream = "";

function lane(ev) {
  let l = lanes.get(ev.env);
  if (!l) {
    const t = Date.parse(ev.time);
    l = { env: ev.env, fn: ev.function, version: ev.version || "", reason: "", initStart: t, initEnd: t,
      initError: "", blocks: [], running: new Map(), frozenSince: null, frozen: [], end: null, endReason: "" };
    lanes.set(ev.env, l);
  }
  return l;
}

function closeFrozen(l, t) {
  if (l.frozenSince !== null) {
    l.frozen.push([l.frozenSince, t]);
    l.frozenSince = null;
  }
}

// refreshSoon reloads the functions view a second after activity, so that
// it follows the timeline without more than one request a second.
let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer === null) refreshTimer = setTimeout(() => { refreshTimer = null; loadFunctions(); loadLog(); }, 1000);
}

function apply(ev) {
  const t = Date.parse(ev.time);
  if (ev.kind === "invoke" || ev.kind === "throttle" || ev.kind === "function-deleted") refreshSoon();
  if (ev.function && !functions.has(ev.function)) {
    functions.add(ev.function);
    const o = document.createElement("option");
    o.value = o.textContent = ev.function;
    document.getElementById("filter").append(o);
  }
  switch (ev.kind) {
  case "init": {
    const l = lane(ev);
    l.initStart = t - (ev.durationMs || 0);
    l.initEnd = t;
    l.reason = ev.reason || "";
    l.initError = ev.errorType || "";
    l.provisioned = !!ev.provisioned;
    break;
  }
  case "invoke-start":
    if (ev.env) { const l = lane(ev); closeFrozen(l, t); l.running.set(ev.requestId, t); }
    break;
  case "invoke":
    if (ev.env) {
      const l = lane(ev);
      l.running.delete(ev.requestId);
      l.blocks.push({ start: t - (ev.durationMs || 0), end: t, outcome: ev.outcome, id: ev.requestId,
        cold: ev.coldReason || "", errorType: ev.errorType || "" });
    }
    break;
  case "freeze":
    lane(ev).frozenSince = t;
    break;
  case "stop": {
    const l = lane(ev);
    closeFrozen(l, t);
    l.end = t;
    l.endReason = ev.reason || "";
    break;
  }
  case "throttle": {
    const list = throttles.get(ev.function) || [];
    list.push(t);
    throttles.set(ev.function, list);
    break;
  }
  case "function-deleted":
    break;
  }
  dirty = true;
}

function connect() {
  const status = document.getElementById("status");
  const es = new EventSource("/console/api/events");
  es.onopen = () => { status.textContent = "live"; status.className = "status live"; document.body.dataset.live = "1"; };
  es.onmessage = (m) => apply(JSON.parse(m.data));
  es.onerror = () => {
    status.textContent = es.readyState === EventSource.CLOSED ? "signed out: reload to sign in" : "reconnecting…";
    status.className = "status down";
    document.body.dataset.live = "";
  };
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function place(track, cls, start, end, from, span, title) {
  if (end < from) return;
  const b = el("div", cls);
  const left = Math.max(start, from);
  b.style.left = ((left - from) / span * 100) + "%";
  b.style.width = (Math.max(end - left, 0) / span * 100) + "%";
  if (title) b.title = title;
  track.append(b);
}

function fmtMs(ms) { return ms >= 1000 ? (ms / 1000).toFixed(2) + " s" : ms.toFixed(ms < 10 ? 2 : 0) + " ms"; }

function render() {
  const now = Date.now();
  for (const [id, l] of lanes) {
    if (l.end !== null && now - l.end > KEEP_MS) lanes.delete(id);
  }
  const span = Number(document.getElementById("span").value) * 1000;
  const from = now - span;
  const filter = document.getElementById("filter").value;
  const axis = document.getElementById("axis");
  axis.replaceChildren();
  for (let i = 0; i <= 5; i++) {
    const s = el("span", "", i === 5 ? "now" : "-" + Math.round((span / 1000) * (5 - i) / 5) + "s");
    s.style.left = (i * 20) + "%";
    axis.append(s);
  }
  const box = document.getElementById("lanes");
  const rows = [];
  const shown = [...lanes.values()].filter((l) => (!filter || l.fn === filter) && (l.end === null || l.end >= from))
    .sort((a, b) => a.initStart - b.initStart);
  for (const l of shown) {
    const row = el("div", "lane" + (l.end !== null ? " ended" : ""));
    row.dataset.env = l.env;
    const label = el("div", "lane-label");
    label.append(el("b", "", l.fn), document.createTextNode(":" + l.version + " " + l.env.slice(0, 6) + " "),
      el("span", "muted", l.end !== null ? "ended: " + l.endReason : l.reason));
    label.title = l.fn + ":" + l.version + " env " + l.env + "\nInit: " + l.reason + (l.end !== null ? "\nended: " + l.endReason : "");
    const track = el("div", "track");
    place(track, "block init" + (l.initError ? " error" : ""), l.initStart, Math.max(l.initEnd, l.initStart + 1), from, span,
      "Init (" + l.reason + ") " + fmtMs(l.initEnd - l.initStart) + (l.initError ? " failed: " + l.initError : ""));
    for (const [a, b] of l.frozen) place(track, "block frozen", a, b, from, span, "frozen");
    if (l.frozenSince !== null) place(track, "block frozen", l.frozenSince, l.end ?? now, from, span, "frozen");
    for (const b of l.blocks) {
      place(track, "block invoke " + b.outcome, b.start, b.end, from, span,
        b.outcome + " " + fmtMs(b.end - b.start) + (b.cold ? " (cold: " + b.cold + ")" : "") + (b.errorType ? " " + b.errorType : "") + "\n" + b.id);
    }
    for (const [id, s] of l.running) place(track, "block invoke running", s, now, from, span, "running " + id);
    if (l.end !== null) place(track, "block end", l.end, l.end, from, span, "ended: " + l.endReason);
    row.append(label, track);
    rows.push(row);
  }
  for (const [fn, list] of throttles) {
    if (filter && fn !== filter) continue;
    const recent = list.filter((t) => t >= from);
    if (recent.length === 0) continue;
    const row = el("div", "lane throttles");
    const label = el("div", "lane-label");
    label.append(el("b", "", fn), document.createTextNode(" throttled"));
    const track = el("div", "track");
    for (const t of recent) place(track, "block throttle", t, t, from, span, "throttled");
    row.append(label, track);
    rows.push(row);
  }
  if (rows.length === 0) rows.push(el("p", "empty", "No environments in this span: invoke a function."));
  box.replaceChildren(...rows);
  dirty = false;
}

async function loadFunctions() {
  const win = document.getElementById("window").value;
  const r = await fetch("/console/api/functions?window=" + win, { credentials: "same-origin" });
  if (!r.ok) return;
  const data = await r.json();
  if (!selected && data.functions.length > 0) { selected = data.functions[0].name; loadLog(); }
  const body = document.querySelector("#functions tbody");
  const rows = [];
  for (const f of data.functions) {
    const series = f.series && f.series.length ? f.series : [{ qualifier: "$LATEST", invocations: 0, errors: 0, throttles: 0,
      p50Ms: 0, p99Ms: 0, coldStarts: 0, coldStartRate: 0, initP50Ms: 0, initMaxMs: 0, concurrent: 0 }];
    for (const s of series) {
      const tr = el("tr");
      tr.dataset.function = f.name;
      if (f.name === selected) tr.className = "selected";
      const limits = [];
      if (f.reserved !== undefined && f.reserved !== null) limits.push("reserved " + f.reserved);
      const prov = f.provisioned && f.provisioned[s.qualifier];
      if (prov) limits.push("provisioned " + prov);
      const cells = [f.name, s.qualifier, s.invocations, s.errors, s.throttles,
        s.invocations ? fmtMs(s.p50Ms) : "–", s.invocations ? fmtMs(s.p99Ms) : "–",
        s.coldStarts + " (" + Math.round(s.coldStartRate * 100) + "%)",
        s.coldStarts ? fmtMs(s.initP50Ms) + " / " + fmtMs(s.initMaxMs) : "–",
        s.concurrent + (limits.length ? " of " + limits.join(", ") : "")];
      cells.forEach((c, i) => tr.append(el("td", (i === 3 || i === 4) && c > 0 ? "bad" : "", String(c))));
      tr.addEventListener("click", () => { selected = f.name; selectedStream = ""; loadLog(); loadFunctions(); });
      rows.push(tr);
    }
  }
  body.replaceChildren(...rows);
}

async function loadLog() {
  if (!selected) return;
  const r = await fetch("/console/api/logs?lines=40&function=" + encodeURIComponent(selected) +
    "&stream=" + encodeURIComponent(selectedStream), { credentials: "same-origin" });
  if (!r.ok) return;
  const data = await r.json();
  document.getElementById("logname").textContent = selected;
  const pick = document.getElementById("stream");
  const streams = data.streams || [];
  pick.replaceChildren(...streams.map((name) => { const o = el("option", "", name); o.value = name; return o; }));
  pick.value = data.stream || "";
  pick.hidden = streams.length === 0;
  const pre = document.getElementById("log");
  pre.textContent = data.lines.join("\n");
  pre.scrollTop = pre.scrollHeight;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["filter", "span"]) document.getElementById(id).addEventListener("change", () => { dirty = true; });
  document.getElementById("window").addEventListener("change", loadFunctions);
  document.getElementById("stream").addEventListener("change", (e) => { selectedStream = e.target.value; loadLog(); });
  connect();
  let last = 0;
  const frame = (ts) => {
    if (dirty || ts - last > 1000) { render(); last = ts; }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  loadFunctions();
  setInterval(() => { loadFunctions(); loadLog(); }, 5000);
});
