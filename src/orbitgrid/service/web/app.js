// orbitgrid dashboard: plain JavaScript over the documented API (/v1/...), with the key typed into the page and kept
// in this tab's sessionStorage. Plotly is the plotly.min.js of the plotly Python package, served by the app.
"use strict";

const KEY_STORE = "orbitgrid.apiKey";
const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);
let land = null;
let timer = null;
let selectedJob = null;
let gpuModelsSet = false;

function apiKey() { return sessionStorage.getItem(KEY_STORE); }

function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.className = isError ? "error" : "muted";
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + apiKey() }, options.headers || {});
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, Object.assign({}, options, { headers }));
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  if (!r.ok) {
    let detail = body && body.detail !== undefined ? body.detail : body;
    if (Array.isArray(detail)) detail = detail.map((d) => (d.loc || []).join(".") + ": " + d.msg).join("; ");
    else if (typeof detail === "object" && detail !== null) detail = detail.message || JSON.stringify(detail);
    const err = new Error(r.status + " " + detail);
    err.status = r.status;
    throw err;
  }
  return body;
}

function fmt(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
function when(iso) { return iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "–"; }

function fillRows(tbody, rows, onClick) {
  tbody.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const c of r.cells) {
      const td = document.createElement("td");
      td.textContent = c.text === undefined ? c : c.text;
      if (c.cls) td.className = c.cls;
      tr.appendChild(td);
    }
    if (r.id) tr.dataset.id = r.id;
    if (onClick) tr.addEventListener("click", () => onClick(r.id));
    tbody.appendChild(tr);
  }
}

// ----------------------------------------------------------------------------------------------- fleet ---
async function loadFleet() {
  const [clock, fleet] = await Promise.all([api("/v1/clock"), api("/v1/fleet")]);
  $("clock").textContent = "simulated " + when(clock.now) + " · ×" + fmt(clock.speed, 1) + " · scenario " + fleet.scenario;
  const cards = [
    ["nodes", fleet.nodes], ["installed GPUs", fleet.installed_gpus], ["usable GPUs", fleet.usable_gpus],
    ["busy GPUs", fleet.busy_gpus], ["jobs running", fleet.jobs_running], ["jobs queued", fleet.jobs_queued],
  ];
  $("fleet-cards").replaceChildren(...cards.map(([k, v]) => {
    const d = document.createElement("div");
    d.className = "card";
    d.innerHTML = "<b></b><span class='muted'></span>";
    d.querySelector("b").textContent = fmt(v);
    d.querySelector("span").textContent = k;
    return d;
  }));
  if (!gpuModelsSet) {
    const models = [...new Set(fleet.groups.flatMap((g) => g.gpu_models))].sort();
    const sel = $("f-model");
    while (sel.options.length > 1) sel.remove(1);
    for (const m of models) { const o = document.createElement("option"); o.value = m; o.textContent = m; sel.appendChild(o); }
    gpuModelsSet = true;
  }
}

function nightPolygon(latS, lonS) {
  // the terminator: points 90 deg from the subsolar point; night is the side away from it
  const phi = (Math.abs(latS) < 0.01 ? (latS < 0 ? -0.01 : 0.01) : latS) * Math.PI / 180;
  const xs = [], ys = [];
  for (let lon = -180; lon <= 180; lon += 2) {
    const dl = (lon - lonS) * Math.PI / 180;
    xs.push(lon);
    ys.push(Math.atan(-Math.cos(dl) / Math.tan(phi)) * 180 / Math.PI);
  }
  const pole = phi > 0 ? -90 : 90;
  return { x: [...xs, 180, -180, xs[0]], y: [...ys, pole, pole, ys[0]] };
}

async function loadMap() {
  if (land === null) {
    const r = await fetch("land-110m.json");
    land = await r.json();
  }
  const m = await api("/v1/fleet/map");
  const coast = { x: [], y: [] };
  for (const ring of land.rings) {
    for (let i = 0; i < ring.length; i += 2) {
      // a ring crossing the antimeridian is cut there instead of drawn across the map
      if (i > 0 && Math.abs(ring[i] - ring[i - 2]) > 180) { coast.x.push(null); coast.y.push(null); }
      coast.x.push(ring[i]); coast.y.push(ring[i + 1]);
    }
    coast.x.push(null); coast.y.push(null);
  }
  const night = nightPolygon(m.subsolar_lat_deg, m.subsolar_lon_deg);
  const orb = m.data.filter((n) => n.kind === "orbital" && n.lat_deg !== null);
  const gnd = m.data.filter((n) => n.kind === "ground");
  const maxGpus = Math.max(1, ...m.data.map((n) => n.installed_gpus));
  const size = (n) => 6 + 14 * Math.sqrt(n.installed_gpus / maxGpus);
  const label = (n) => n.name + " (" + n.group + ")<br>usable " + n.usable_gpus + " / " + n.installed_gpus +
    " GPUs, busy " + n.busy_gpus + (n.kind === "orbital"
      ? "<br>sunlit " + fmt(100 * n.sunlit_fraction) + "% · " + fmt(n.alt_km) + " km"
      : "<br>" + (n.daylight ? "daylight" : "night"));
  const traces = [
    { x: night.x, y: night.y, fill: "toself", mode: "lines", line: { width: 0 }, fillcolor: "rgba(13,27,42,0.22)",
      hoverinfo: "skip", name: "night" },
    { x: coast.x, y: coast.y, mode: "lines", line: { color: "#8a96a3", width: 1 }, hoverinfo: "skip", name: "coast" },
    { x: orb.map((n) => n.lon_deg), y: orb.map((n) => n.lat_deg), mode: "markers", name: "orbital nodes",
      text: orb.map(label), hoverinfo: "text",
      marker: { size: orb.map(size), color: orb.map((n) => n.sunlit_fraction), cmin: 0, cmax: 1,
        colorscale: [[0, "#1d3b72"], [0.5, "#7a6fb0"], [1, "#f5b700"]],
        colorbar: { title: { text: "sunlit" }, len: 0.6, thickness: 10 },
        line: { color: orb.map((n) => (n.usable_gpus < n.installed_gpus ? "#b3261e" : "#ffffff")), width: 1 } } },
    { x: gnd.map((n) => n.lon_deg), y: gnd.map((n) => n.lat_deg), mode: "markers", name: "ground sites",
      text: gnd.map(label), hoverinfo: "text",
      marker: { symbol: "square", size: gnd.map(size), color: gnd.map((n) => (n.daylight ? "#f5b700" : "#1d3b72")),
        line: { color: "#000", width: 1 } } },
    { x: [m.subsolar_lon_deg], y: [m.subsolar_lat_deg], mode: "markers", name: "subsolar point",
      marker: { symbol: "star", size: 14, color: "#ff8c00" }, hoverinfo: "name" },
  ];
  const layout = {
    margin: { l: 40, r: 10, t: 10, b: 30 }, showlegend: true, legend: { orientation: "h", y: -0.08 },
    xaxis: { range: [-180, 180], dtick: 30, title: { text: "longitude, deg" }, zeroline: false, constrain: "domain" },
    yaxis: { range: [-90, 90], dtick: 30, title: { text: "latitude, deg" }, scaleanchor: "x", zeroline: false,
      constrain: "domain" },
    annotations: [{ xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left", showarrow: false,
      text: when(m.now) + (m.count < m.nodes ? " · " + m.count + " of " + m.nodes + " nodes" : " · " + m.nodes + " nodes") }],
  };
  await Plotly.react("map", traces, layout, { displaylogo: false, responsive: true });
  $("map").dataset.nodes = String(m.count);
}

async function loadHistory() {
  const h = await api("/v1/fleet/history");
  const traces = [
    { x: h.at, y: h.usable_gpus, name: "usable GPUs", mode: "lines", line: { color: "#2a6fdb", shape: "hv" } },
    { x: h.at, y: h.busy_gpus, name: "busy GPUs", mode: "lines", fill: "tozeroy", line: { color: "#1a7f37", shape: "hv" } },
  ];
  const now = new Date(Date.parse(h.at[0]) + (h.committed_t_s - h.start_s) * 1000).toISOString();
  const layout = {
    margin: { l: 50, r: 10, t: 24, b: 40 }, legend: { orientation: "h", y: -0.2 },
    yaxis: { title: { text: "GPUs" }, rangemode: "tozero" },
    shapes: [
      { type: "line", xref: "x", yref: "paper", x0: now, x1: now, y0: 0, y1: 1, line: { color: "#b3261e", dash: "dot" } },
      { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: h.installed_gpus, y1: h.installed_gpus,
        line: { color: "#66707a", dash: "dash" } },
    ],
    annotations: [{ x: now, yref: "paper", y: 1, text: "now", showarrow: false, yanchor: "bottom" }],
  };
  await Plotly.react("history", traces, layout, { displaylogo: false, responsive: true });
}

// ------------------------------------------------------------------------------------------------ jobs ---
async function loadQueue() {
  const [q, s] = await Promise.all([
    api("/v1/jobs?state=queued&limit=1000"), api("/v1/jobs?state=submitted&limit=1000"),
  ]);
  const rows = [...q.data, ...s.data].sort((a, b) =>
    (a.queue_position ?? 1e12) - (b.queue_position ?? 1e12) || a.submit_t_s - b.submit_t_s);
  fillRows($("queue").tBodies[0], rows.map((j) => ({
    id: j.id,
    cells: [j.queue_position ?? "–", j.id, j.name || "", j.gpus + (j.gpu_model ? " " + j.gpu_model : ""), j.contract,
      when(j.submitted_at), j.estimated_start_at ? when(j.estimated_start_at) : "beyond the look-ahead"],
  })), showEvents);
}

async function loadJobs() {
  const first = await api("/v1/jobs?limit=100");
  let page = first;
  if (first.count > 100) page = await api("/v1/jobs?limit=100&offset=" + (first.count - 100));
  const rows = [...page.data].reverse();
  fillRows($("jobs").tBodies[0], rows.map((j) => ({
    id: j.id,
    cells: [j.id, j.name || "", j.kind, j.gpus + (j.gpu_model ? " " + j.gpu_model : ""), j.contract,
      { text: j.state, cls: "state-" + j.state }, j.node || "", j.restarts, j.preemptions,
      fmt(j.metered_gpu_seconds), j.cost_usd],
  })), showEvents);
  $("jobs-count").textContent = first.count + " jobs in all";
  if (selectedJob) await showEvents(selectedJob);
}

async function showEvents(id) {
  selectedJob = id;
  $("events-of").textContent = "of " + id;
  const ev = await api("/v1/jobs/" + encodeURIComponent(id) + "/events?limit=200");
  fillRows($("events").tBodies[0], ev.data.map((e) => ({
    cells: [e.seq, when(e.at), e.kind, e.node || "",
      Object.entries(e.detail || {}).filter(([, v]) => v !== null).map(([k, v]) => k + ": " + v).join("; ")],
  })));
}

async function loadBill() {
  const box = $("bill");
  let usage;
  try {
    usage = await api("/v1/usage?limit=1");
  } catch (e) {
    box.textContent = e.status === 422 ? "The bill belongs to a tenant: use a tenant's key." : String(e.message);
    return;
  }
  const inv = await api("/v1/invoices");
  const parts = [
    "<p>Tenant <code></code>: metered <b></b> GPU-hours, <b></b> USD so far (per second, 60 s minimum per run).</p>",
    "<table><thead><tr><th>period</th><th>status</th><th class='num'>total $</th></tr></thead><tbody></tbody></table>",
  ];
  box.innerHTML = parts.join("");
  box.querySelector("code").textContent = usage.tenant_id;
  const b = box.querySelectorAll("b");
  b[0].textContent = fmt(usage.gpu_seconds / 3600, 2);
  b[1].textContent = usage.amount_usd;
  fillRows(box.querySelector("tbody"), inv.data.map((i) => ({ cells: [i.period, i.status, { text: i.total_usd, cls: "num" }] })));
}

// --------------------------------------------------------------------------------------------- submit ---
function syncKind() {
  const inference = $("f-kind").value === "inference";
  $("f-work-label").hidden = inference;
  $("f-duration-label").hidden = !inference;
}

function newIdempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

let pending = null; // {body, key}: a submission to retry with the same Idempotency-Key after a network failure

async function submitJob(ev) {
  ev.preventDefault();
  const kind = $("f-kind").value;
  const body = {
    kind, gpus: Number($("f-gpus").value), contract: $("f-contract").value, placement: $("f-placement").value,
    priority: Number($("f-priority").value),
  };
  if ($("f-model").value) body.gpu_model = $("f-model").value;
  if (kind === "inference") body.duration_s = Number($("f-duration").value);
  else body.work_gpu_hours = Number($("f-work").value);
  if ($("f-name").value.trim()) body.name = $("f-name").value.trim();
  const text = JSON.stringify(body);
  if (pending === null || pending.text !== text) pending = { text, key: newIdempotencyKey() };
  const out = $("submit-result");
  out.className = "muted";
  out.textContent = "submitting…";
  try {
    const job = await api("/v1/jobs", { method: "POST", body: text, headers: { "Idempotency-Key": pending.key } });
    pending = null;
    out.textContent = "Submitted " + job.id + " (" + job.state + ")";
    out.dataset.jobId = job.id;
    selectedJob = job.id;
    await refresh();
  } catch (e) {
    if (e.status !== undefined && e.status !== 409) pending = null; // refused: a new request gets a new key
    out.className = "error";
    out.textContent = "Not submitted: " + e.message;
  }
}

// ----------------------------------------------------------------------------------------------- loop ---
async function refresh() {
  if (!apiKey()) return;
  const results = await Promise.allSettled([loadFleet(), loadMap(), loadHistory(), loadQueue(), loadJobs(), loadBill()]);
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length) {
    const e = failed[0].reason;
    setStatus(e.status === 401 ? "This key is not valid: " + e.message : "Some views failed: " + e.message, true);
  } else {
    setStatus("Connected · refreshed " + new Date().toLocaleTimeString(), false);
  }
}

function schedule() {
  if (timer !== null) clearInterval(timer);
  timer = apiKey() ? setInterval(refresh, REFRESH_MS) : null;
}

$("key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const k = $("api-key").value.trim();
  if (!k) return;
  sessionStorage.setItem(KEY_STORE, k);
  $("api-key").value = "";
  gpuModelsSet = false;
  setStatus("Connecting…", false);
  refresh();
  schedule();
});
$("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORE);
  schedule();
  setStatus("Key forgotten.", false);
});
$("f-kind").addEventListener("change", syncKind);
$("submit-form").addEventListener("submit", submitJob);
syncKind();
if (apiKey()) { refresh(); schedule(); }
