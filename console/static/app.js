// app.js is the console: it acts for one user at a time through the Agent
// API, with that user's credentials, and never writes data into the page
// as markup (textContent only).
"use strict";

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// A credential: a JWT (three dot-separated parts) is sent as a Bearer
// token, anything else as a Metabase session.
function credential(token) {
  token = token.trim();
  return token.split(".").length === 3 ? { kind: "jwt", token } : { kind: "session", token };
}

// api calls the Agent API as cred; it resolves to {status, headers, body}.
async function api(cred, method, path, body) {
  const headers = { Accept: "application/json" };
  if (cred.kind === "jwt") headers.Authorization = "Bearer " + cred.token;
  else headers["X-Metabase-Session"] = cred.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" });
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  return { status: resp.status, headers: resp.headers, body: data };
}

// explainStatus says in words why the API refused a request.
function explainStatus(r) {
  const msg = r.body && r.body.message ? r.body.message : "";
  switch (r.status) {
    case 401:
      return `401 Unauthorized: the server refused this credential${msg ? ": " + msg : ""}. ` +
        "A JWT must be signed with the server's secret (HS256), carry the user's email and an iat, and be at most 180 s old; " +
        "a session ends after its time to live, or when the user is deactivated. Pick a user or paste a fresh credential.";
    case 403:
      return `403 Forbidden: this user may not see it${msg ? " (" + msg + ")" : ""}.`;
    default:
      return `${r.status}${r.body && r.body.error ? " " + r.body.error : ""}${msg ? ": " + msg : ""}`;
  }
}

const state = { cred: null, user: null, context: null, picker: [], sources: [], detail: null };

// The picker's key comes in the URL's fragment (#key=…), which no request
// carries: serve prints the console's URL with it.
const pickerKey = new URLSearchParams(location.hash.slice(1)).get("key") || "";

// ---------- who ----------

async function loadPicker() {
  const resp = await fetch("/console/api/users", { headers: { "X-Agentlayer-Console": pickerKey }, credentials: "omit" });
  const data = await resp.json().catch(() => ({}));
  if (resp.status !== 200) {
    $("picker").hidden = true;
    $("compare-picker").hidden = true;
    $("picker-note").textContent = data.message || "The user picker is not offered here.";
    $("picker-note").dataset.refused = "true";
    return;
  }
  state.picker = data.users || [];
  for (const sel of [$("picker-users"), $("compare-users")]) {
    sel.replaceChildren(h("option", { value: "" }, "—"), ...state.picker.map((u) =>
      h("option", { value: u.email }, `${u.email}${u.groups.length ? " (" + u.groups.join(", ") + ")" : ""}`)));
  }
  $("picker").hidden = false;
  $("compare-picker").hidden = false;
  $("picker-note").textContent = "A development convenience: this server listens on loopback only, so it opens a session for the user picked.";
}

async function pickedSession(email) {
  const resp = await fetch("/console/api/session", {
    method: "POST", credentials: "omit",
    headers: { "X-Agentlayer-Console": pickerKey, "Content-Type": "application/json" },
    body: JSON.stringify({ email }),
  });
  const data = await resp.json().catch(() => ({}));
  if (resp.status !== 200) throw new Error(data.message || `the picker answered ${resp.status}`);
  return { kind: "session", token: data.id };
}

function authError(text) {
  const e = $("auth-error");
  e.textContent = text || "";
  e.hidden = !text;
}

async function actAs(cred) {
  authError("");
  const r = await api(cred, "GET", "/api/user/current");
  if (r.status !== 200) {
    state.cred = null;
    $("acting").textContent = "Nobody: the credential was refused.";
    authError(explainStatus(r));
    clearViews();
    return;
  }
  state.cred = cred;
  state.user = r.body;
  const attrs = Object.entries(r.body.login_attributes || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
  $("acting").replaceChildren("Acting as ", h("strong", { id: "acting-email" }, r.body.email),
    r.body.groups.length ? ` — groups ${r.body.groups.join(", ")}` : " — no groups", attrs ? `; attributes ${attrs}` : "");
  await loadContext();
}

function clearViews() {
  $("catalog").replaceChildren(h("p", { class: "note" }, "Pick a user or paste a credential."));
  $("detail").replaceChildren();
  $("source").replaceChildren();
}

// ---------- browse ----------

async function loadContext() {
  const r = await api(state.cred, "GET", "/api/agent/v1/context");
  if (r.status !== 200) {
    authError(explainStatus(r));
    return;
  }
  state.context = r.body;
  const items = [
    ...r.body.tables.map((t) => ({ type: "table", id: t.id, name: t.name, label: t.display_name || t.name, description: t.description })),
    ...r.body.metrics.map((m) => ({ type: "metric", id: m.id, name: m.name, label: m.name, description: m.description })),
  ];
  state.sources = items;
  const list = h("ul", { id: "catalog-list" });
  for (const it of items) {
    list.append(h("li", { "data-type": it.type, "data-name": it.name },
      h("button", { type: "button", onclick: () => showDetail(it) }, it.label), " ", h("span", { class: "kind" }, it.type),
      it.description ? h("div", { class: "note" }, it.description) : null));
  }
  $("catalog").replaceChildren(h("h2", {}, `${r.body.tables.length} tables, ${r.body.metrics.length} metrics`),
    h("p", { class: "note" }, `Report time zone ${r.body.time_zone}; weeks start on ${r.body.week_start}.`), list);
  const sel = $("source");
  sel.replaceChildren(h("option", { value: "" }, "—"), ...items.map((it) => h("option", { value: `${it.type}:${it.id}` }, `${it.label} (${it.type})`)));
}

async function fetchDetail(cred, it) {
  const path = it.type === "table"
    ? `/api/agent/v1/table/${it.id}?with-fields=true&with-related-tables=true&with-metrics=true&with-measures=true&with-segments=true`
    : `/api/agent/v1/metric/${it.id}?with-segments=true`;
  return api(cred, "GET", path);
}

// fieldsOf lists a detail's fields: a table's own, then those of the
// tables it relates to (which a question can group or filter by); a
// metric's dimensions.
function fieldsOf(detail, withRelated) {
  const own = detail.fields || detail.queryable_dimensions || [];
  if (!withRelated) return own;
  const related = (detail.related_tables || []).flatMap((t) => (t.fields || []).map((f) =>
    ({ ...f, display_name: `${t.display_name || t.name} → ${f.display_name || f.name}` })));
  return [...own, ...related];
}

async function showDetail(it) {
  const r = await fetchDetail(state.cred, it);
  const d = $("detail");
  if (r.status !== 200) {
    d.replaceChildren(h("p", { class: "error" }, explainStatus(r)));
    return;
  }
  const det = r.body;
  const rows = fieldsOf(det).map((f) => h("tr", { "data-field": f.name },
    h("td", {}, f.field_id), h("td", {}, f.display_name || f.name), h("td", {}, f.base_type || f.type || ""),
    h("td", {}, f.semantic_type || ""),
    h("td", { class: f.masked ? "masked" : "visible" }, f.masked ? `masked (${f.masked})` : "visible"),
    h("td", {}, h("button", { type: "button", onclick: (e) => showValues(it, f, e.target.closest("tr")) }, "values"))));
  const parts = [h("h2", {}, `${det.display_name || det.name} (${it.type} ${it.id})`),
    det.description ? h("p", {}, det.description) : null,
    h("table", { class: "fields" }, h("thead", {}, h("tr", {}, ["id", "field", "type", "semantic type", "status", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)),
    h("p", { class: "note" }, "Fields this user may not see are not listed at all: compare with another user to see them marked hidden.")];
  const related = det.related_tables || [];
  if (related.length) {
    parts.push(h("h3", {}, "Relationships"), h("ul", {}, related.map((t) =>
      h("li", {}, `${t.relationship || t.related_by} → ${t.display_name || t.name}`))));
  }
  for (const [title, key] of [["Metrics", "metrics"], ["Measures", "measures"], ["Segments", "segments"]]) {
    const xs = det[key] || [];
    if (xs.length) parts.push(h("h3", {}, title), h("ul", {}, xs.map((x) => h("li", {}, x.name, x.description ? ` — ${x.description}` : ""))));
  }
  d.replaceChildren(...parts);
}

async function showValues(it, f, row) {
  const base = it.type === "table" ? `/api/agent/v1/table/${it.id}` : `/api/agent/v1/metric/${it.id}`;
  const r = await api(state.cred, "GET", `${base}/field/${encodeURIComponent(f.field_id)}/values?limit=20`);
  const text = r.status === 200
    ? `${(r.body.values || []).slice(0, 20).map((v) => JSON.stringify(v)).join(", ")}${r.body.truncated ? ", …" : ""}` +
      (r.body.statistics ? ` — ${Object.entries(r.body.statistics).filter(([, v]) => v !== null && typeof v !== "object").map(([k, v]) => `${k} ${v}`).join(", ")}` : "")
    : explainStatus(r);
  const next = row.nextElementSibling;
  if (next && next.classList.contains("values")) next.remove();
  row.after(h("tr", { class: "values" }, h("td", { colspan: 6 }, text)));
}

// ---------- ask ----------

const OPERATIONS = ["equals", "not-equals", "greater-than", "less-than", "string-contains", "string-starts-with", "is-null", "is-not-null", "last", "current"];
const UNITS = ["day", "week", "month", "quarter", "year"];
const FUNCTIONS = ["count", "count-distinct", "sum", "avg", "min", "max"];
const GRANULARITIES = ["", "day", "week", "month", "quarter", "year"];

let askFields = [];

function fieldSelect(optional) {
  return h("select", { class: "field" }, optional ? h("option", { value: "" }, "—") : null,
    askFields.map((f) => h("option", { value: f.field_id, title: f.field_id }, f.display_name || f.name)));
}

function removable(row) {
  row.append(h("button", { type: "button", class: "remove", onclick: () => row.remove(), "aria-label": "remove" }, "×"));
  return row;
}

function addFilter() {
  $("filters").append(removable(h("div", { class: "row filter" }, fieldSelect(false),
    h("select", { class: "op" }, OPERATIONS.map((o) => h("option", { value: o }, o))),
    h("input", { class: "value", placeholder: "value" }),
    h("select", { class: "unit" }, UNITS.map((u) => h("option", { value: u }, u))))));
}

function addAggregation() {
  $("aggregations").append(removable(h("div", { class: "row aggregation" },
    h("select", { class: "fn" }, FUNCTIONS.map((f) => h("option", { value: f }, f))), fieldSelect(true))));
}

function addGroupBy() {
  $("groupby").append(removable(h("div", { class: "row groupby" }, fieldSelect(false),
    h("select", { class: "granularity" }, GRANULARITIES.map((g) => h("option", { value: g }, g || "as is"))))));
}

function addOrderBy() {
  $("orderby").append(removable(h("div", { class: "row orderby" }, fieldSelect(false),
    h("select", { class: "direction" }, ["asc", "desc"].map((d) => h("option", { value: d }, d))))));
}

async function sourceChanged() {
  for (const id of ["filters", "aggregations", "groupby", "orderby"]) $(id).replaceChildren();
  askFields = [];
  const v = $("source").value;
  if (!v || !state.cred) return;
  const [type, id] = v.split(":");
  const r = await fetchDetail(state.cred, { type, id: Number(id) });
  if (r.status === 200) askFields = fieldsOf(r.body, true);
}

function value(text) {
  const t = text.trim();
  if (t !== "" && !isNaN(Number(t))) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  return t;
}

// request builds the construct request the form describes.
function request() {
  const v = $("source").value;
  if (!v) return null;
  const [type, id] = v.split(":");
  const req = type === "table" ? { table_id: Number(id) } : { metric_id: Number(id) };
  const filters = [...document.querySelectorAll("#filters .filter")].map((row) => {
    const op = row.querySelector(".op").value;
    const f = { field_id: row.querySelector(".field").value, operation: op };
    const val = row.querySelector(".value").value;
    if (op === "last") Object.assign(f, { value: value(val || "1"), unit: row.querySelector(".unit").value });
    else if (op === "current") f.unit = row.querySelector(".unit").value;
    else if (!op.startsWith("is-")) f.value = value(val);
    return f;
  });
  if (filters.length) req.filters = filters;
  const aggs = [...document.querySelectorAll("#aggregations .aggregation")].map((row) => {
    const a = { function: row.querySelector(".fn").value };
    const f = row.querySelector(".field").value;
    if (f) a.field_id = f;
    return a;
  });
  if (aggs.length) req.aggregations = aggs;
  const groups = [...document.querySelectorAll("#groupby .groupby")].map((row) => {
    const g = { field_id: row.querySelector(".field").value };
    const gran = row.querySelector(".granularity").value;
    if (gran) g.field_granularity = gran;
    return g;
  });
  if (groups.length) req.group_by = groups;
  const order = [...document.querySelectorAll("#orderby .orderby")].map((row) =>
    ({ field: { field_id: row.querySelector(".field").value }, direction: row.querySelector(".direction").value }));
  if (order.length) req.order_by = order;
  const limit = Number($("limit").value);
  if (limit > 0) req.limit = limit;
  return req;
}

// ask runs a request as cred: the answer's first page, and the plan in
// words with the policies and row rules that decided it.
async function ask(cred, req) {
  const [answer, explained] = await Promise.all([
    api(cred, "POST", "/api/agent/v1/query", req),
    api(cred, "POST", "/api/agent/v1/construct-query?explain=true", req),
  ]);
  return { answer, explained };
}

function renderTable(host, cols, rows) {
  host.replaceChildren(h("table", { class: "rows" },
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { title: c.field_id || "" }, c.display_name + (c.masked ? ` (masked: ${c.masked})` : ""))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((v, i) => h("td", { title: v === null ? "" : String(v) }, Chart.label(cols[i], v))))))));
}

function renderWhy(host, res) {
  const parts = [h("h2", {}, "Why")];
  const policies = res.answer.headers.get("X-Agentlayer-Policies");
  parts.push(h("h3", {}, "Policies"), h("p", { id: "why-policies" }, policies || "none"));
  const restrictions = (res.answer.body && res.answer.body.restrictions) || [];
  parts.push(h("h3", {}, "Row rules, as bound for this user"));
  parts.push(restrictions.length
    ? h("ul", { id: "why-rules" }, restrictions.map((r) => h("li", {}, h("strong", {}, r.table), ": ", r.text,
      h("div", { class: "note" }, `by ${r.policies.join(", ")}` +
        (r.aggregate ? `; aggregates only, in groups of ${r.aggregate.min_group_size}, dates by ${r.aggregate.time_granularity}` : "")))))
    : h("p", { id: "why-rules" }, "Every row of every table read."));
  const ex = res.explained.status === 200 ? res.explained.body.explanation : null;
  if (ex) {
    parts.push(h("h3", {}, "The plan, in words"), h("dl", { id: "why-plan" },
      h("dt", {}, "from"), h("dd", {}, ex.source),
      h("dt", {}, "columns"), h("dd", {}, (ex.columns || []).join("; ")),
      ex.joins ? [h("dt", {}, "joins"), h("dd", {}, ex.joins.join("; "))] : null,
      ex.filters ? [h("dt", {}, "filters"), h("dd", {}, ex.filters.join("; "))] : null,
      ex.group_by ? [h("dt", {}, "grouped by"), h("dd", {}, ex.group_by.join("; "))] : null,
      ex.order_by ? [h("dt", {}, "ordered by"), h("dd", {}, ex.order_by.join("; "))] : null,
      h("dt", {}, "limit"), h("dd", {}, String(ex.limit))));
  }
  const plan = res.answer.headers.get("X-Agentlayer-Plan");
  const cache = res.answer.headers.get("X-Agentlayer-Cache");
  parts.push(h("p", { class: "note" }, `Plan fingerprint ${plan || "—"}${cache ? "; result cache: " + cache : ""}. ` +
    "The SQL itself is not shown: it can name columns this user may not see. Run agentlayer explain as the author for it."));
  host.replaceChildren(...parts);
}

async function run(e) {
  if (e) e.preventDefault();
  const req = request();
  $("request").textContent = req ? JSON.stringify(req, null, 2) : "";
  if (!req || !state.cred) {
    $("status").textContent = state.cred ? "Choose what to ask about." : "Pick a user first.";
    return;
  }
  $("status").textContent = "Running…";
  const res = await ask(state.cred, req);
  const a = res.answer;
  if (a.status !== 202 && a.status !== 200) {
    $("status").textContent = explainStatus(a);
    $("status").className = "error";
    $("chart").replaceChildren();
    $("table").replaceChildren();
    $("why").replaceChildren();
    return;
  }
  $("status").className = "";
  if (a.body.status !== "completed") {
    $("status").textContent = `The query ${a.body.status}: ${a.body.error || ""}`;
    return;
  }
  const { cols, rows } = a.body.data;
  $("status").textContent = `${a.body.row_count} rows${a.body.has_more ? " (the first page)" : ""} for ${state.user.email}.`;
  $("status").dataset.rows = String(a.body.row_count);
  const kind = Chart.draw($("chart"), cols, rows);
  $("chart").dataset.kind = kind;
  renderTable($("table"), cols, rows);
  renderWhy($("why"), res);
}

// ---------- compare ----------

async function contextOf(cred) {
  const r = await api(cred, "GET", "/api/agent/v1/context");
  if (r.status !== 200) throw new Error(explainStatus(r));
  return r.body;
}

function mark(sees, extra) {
  return h("td", { class: sees ? "sees" : "hidden" }, sees ? (extra || "sees") : "hidden");
}

async function compare() {
  const err = $("compare-error");
  err.hidden = true;
  if (!state.cred) {
    err.textContent = "Pick the first user above.";
    err.hidden = false;
    return;
  }
  let other;
  try {
    const token = $("compare-token").value.trim();
    if (token) other = credential(token);
    else if ($("compare-users").value) other = await pickedSession($("compare-users").value);
    else throw new Error("Pick or paste the second user.");
    const who = await api(other, "GET", "/api/user/current");
    if (who.status !== 200) throw new Error(explainStatus(who));
    other.email = who.body.email;
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    return;
  }
  const a = state.user.email, b = other.email;
  let ca, cb;
  try {
    [ca, cb] = await Promise.all([contextOf(state.cred), contextOf(other)]);
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    return;
  }
  const out = [h("h2", {}, `${a} and ${b}`)];
  // Tables and metrics: who sees which.
  const names = (ctx, key) => new Map(ctx[key].map((x) => [x.name, x]));
  const rows = [];
  for (const [key, type] of [["tables", "table"], ["metrics", "metric"]]) {
    const ma = names(ca, key), mb = names(cb, key);
    for (const name of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
      const x = ma.get(name) || mb.get(name);
      const differs = ma.has(name) !== mb.has(name);
      rows.push(h("tr", { "data-name": name, class: differs ? "differs" : "" },
        h("td", {}, `${x.display_name || x.name} (${type})`), mark(ma.has(name)), mark(mb.has(name))));
    }
  }
  out.push(h("h3", {}, "Tables and metrics"), h("table", { id: "compare-tables", class: "compare" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, a), h("th", {}, b))), h("tbody", {}, rows)));
  // Columns of the tables both see.
  const both = ca.tables.filter((t) => cb.tables.some((u) => u.name === t.name));
  const fieldRows = [];
  for (const t of both) {
    const u = cb.tables.find((x) => x.name === t.name);
    const [da, db] = await Promise.all([fetchDetail(state.cred, { type: "table", id: t.id }), fetchDetail(other, { type: "table", id: u.id })]);
    if (da.status !== 200 || db.status !== 200) continue;
    const fa = new Map(fieldsOf(da.body).map((f) => [f.name, f])), fb = new Map(fieldsOf(db.body).map((f) => [f.name, f]));
    for (const name of [...new Set([...fa.keys(), ...fb.keys()])]) {
      const x = fa.get(name), y = fb.get(name);
      if (x && y && (x.masked || "") === (y.masked || "")) continue;
      fieldRows.push(h("tr", { "data-name": `${t.name}.${name}`, class: "differs" }, h("td", {}, `${t.display_name || t.name} → ${name}`),
        mark(!!x, x && x.masked ? `masked (${x.masked})` : undefined), mark(!!y, y && y.masked ? `masked (${y.masked})` : undefined)));
    }
  }
  out.push(h("h3", {}, "Columns that differ, of the tables both see"), fieldRows.length
    ? h("table", { id: "compare-fields", class: "compare" }, h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, a), h("th", {}, b))), h("tbody", {}, fieldRows))
    : h("p", {}, "None."));
  // The same question, as both.
  const req = request();
  if (req) {
    const [ra, rb] = await Promise.all([ask(state.cred, req), ask(other, req)]);
    out.push(h("h3", {}, "The question of the Ask view"), h("pre", {}, JSON.stringify(req)));
    const summary = (r) => r.answer.status === 202 && r.answer.body.status === "completed"
      ? `${r.answer.body.row_count} rows` : explainStatus(r.answer);
    out.push(h("p", { id: "compare-counts" }, `${a}: ${summary(ra)}; ${b}: ${summary(rb)}.`));
    if (ra.answer.status === 202 && rb.answer.status === 202 && ra.answer.body.data && rb.answer.body.data) {
      const key = (row) => JSON.stringify(row.slice(0, Math.max(1, row.length - 1)));
      const xa = new Map(ra.answer.body.data.rows.map((r) => [key(r), r])), xb = new Map(rb.answer.body.data.rows.map((r) => [key(r), r]));
      const diff = [];
      for (const k of [...new Set([...xa.keys(), ...xb.keys()])]) {
        const x = xa.get(k), y = xb.get(k);
        const same = x && y && JSON.stringify(x) === JSON.stringify(y);
        diff.push(h("tr", { class: same ? "" : "differs" }, h("td", {}, JSON.parse(k).join(" · ")),
          h("td", {}, x ? String(x[x.length - 1]) : "—"), h("td", {}, y ? String(y[y.length - 1]) : "—")));
      }
      out.push(h("table", { id: "compare-rows", class: "compare" }, h("thead", {}, h("tr", {}, h("th", {}, "row"), h("th", {}, a), h("th", {}, b))),
        h("tbody", {}, diff)));
    }
  }
  $("compare-result").replaceChildren(...out);
}

// ---------- wiring ----------

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${name}`;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("picker-open").addEventListener("click", async () => {
    const email = $("picker-users").value;
    if (!email) return;
    try {
      await actAs(await pickedSession(email));
    } catch (e) {
      authError(e.message);
    }
  });
  $("token-use").addEventListener("click", () => {
    const t = $("token").value;
    if (t.trim()) actAs(credential(t));
  });
  $("source").addEventListener("change", sourceChanged);
  $("add-filter").addEventListener("click", addFilter);
  $("add-aggregation").addEventListener("click", addAggregation);
  $("add-groupby").addEventListener("click", addGroupBy);
  $("add-orderby").addEventListener("click", addOrderBy);
  $("ask").addEventListener("submit", run);
  $("compare-run").addEventListener("click", compare);
  loadPicker();
});
