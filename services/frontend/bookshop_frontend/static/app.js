// The shop page: calls the JSON API and links every answer's trace in Zipkin and Jaeger.
"use strict";

const config = {
  zipkin: document.body.dataset.zipkinUi.replace(/\/+$/, ""),
  jaeger: document.body.dataset.jaegerUi.replace(/\/+$/, ""),
  // A locally built Jaeger serves only its query API: no link to UI pages it lacks.
  jaegerHasUi: document.body.dataset.jaegerHasUi === "true",
};

const $ = (id) => document.getElementById(id);

function traceLinks(traceId) {
  return {
    zipkin: `${config.zipkin}/zipkin/traces/${traceId}`,
    jaeger: `${config.jaeger}/trace/${traceId}`,
    jaegerApi: `${config.jaeger}/api/traces/${traceId}`,
  };
}

function faultHeader() {
  return $("fault").value.trim();
}

function link(text, href, className) {
  const a = document.createElement("a");
  a.textContent = text;
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener";
  if (className) { a.className = className; }
  return a;
}

function showTrace(action, status, ok, traceId) {
  $("trace-empty").hidden = true;
  $("trace-card").hidden = false;
  $("trace-action").textContent = action;
  const statusEl = $("trace-status");
  statusEl.textContent = String(status);
  statusEl.className = ok ? "ok" : "fail";
  $("trace-id").textContent = traceId || "(none: the request was not traced)";
  const links = traceId ? traceLinks(traceId) : null;
  for (const [id, key] of [["zipkin-link", "zipkin"], ["jaeger-link", "jaeger"],
                           ["jaeger-api-link", "jaegerApi"]]) {
    const a = $(id);
    a.hidden = !links || (key === "jaeger" && !config.jaegerHasUi);
    if (links) { a.href = links[key]; }
  }
  $("trace-card").dataset.traceId = traceId || "";
}

function log(action, status, ok, detail, traceId) {
  const item = document.createElement("li");
  item.className = ok ? "ok" : "fail";
  item.textContent = `${action} → ${status} ${detail}`;
  if (traceId) {
    const links = traceLinks(traceId);
    item.append(link("Zipkin", links.zipkin));
    if (config.jaegerHasUi) { item.append(link("Jaeger", links.jaeger)); }
    item.append(link("Jaeger API", links.jaegerApi));
  }
  $("log").prepend(item);
}

// One API call: returns [ok, status, body]; shows its trace and logs it either way.
async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  const fault = faultHeader();
  if (fault) { headers["X-Demo-Fault"] = fault; }
  const action = `${method} ${path}` + (fault ? ` [${fault}]` : "");
  let resp;
  try {
    resp = await fetch(path, {method, headers,
                              body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (err) {
    showTrace(action, "network error", false, "");
    log(action, "network error", false, String(err), "");
    return [false, 0, null];
  }
  let data = null;
  try { data = await resp.json(); } catch (err) { data = null; }
  const traceId = resp.headers.get("X-Trace-Id") || (data && data.trace_id) || "";
  const detail = data && data.error ? data.error : (resp.ok ? "" : resp.statusText);
  showTrace(action, resp.status, resp.ok, traceId);
  log(action, resp.status, resp.ok, detail, traceId);
  return [resp.ok, resp.status, data];
}

function cell(row, value, className) {
  const td = document.createElement("td");
  td.textContent = value;
  if (className) { td.className = className; }
  row.appendChild(td);
  return td;
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

async function loadBooks() {
  const [ok, , data] = await call("GET", "/api/books");
  if (!ok) { return; }
  const tbody = $("books");
  tbody.replaceChildren();
  for (const book of data.books) {
    const tr = document.createElement("tr");
    tr.dataset.bookId = book.id;
    cell(tr, book.id);
    cell(tr, book.title);
    cell(tr, book.author);
    cell(tr, (book.price_cents / 100).toFixed(2), "num");
    cell(tr, book.stock, "num");
    const quantity = document.createElement("input");
    quantity.type = "number";
    quantity.min = "1";
    quantity.max = "10";
    quantity.value = "1";
    quantity.className = "quantity";
    quantity.setAttribute("aria-label", `quantity of book ${book.id}`);
    cell(tr, "").appendChild(quantity);
    const actions = cell(tr, "", "actions");
    actions.append(
      button("details", "details", () => call("GET", `/api/books/${book.id}`)),
      " ",
      button("order", "order", () => placeOrder(book, Number(quantity.value))),
    );
    tbody.appendChild(tr);
  }
}

async function placeOrder(book, quantity) {
  const [ok, , data] = await call("POST", "/api/orders", {book_id: book.id, quantity});
  if (!ok) { return; }
  $("orders-empty").hidden = true;
  $("orders-table").hidden = false;
  const tr = document.createElement("tr");
  tr.dataset.orderId = data.order_id;
  cell(tr, data.order_id);
  cell(tr, `${quantity} × ${book.title}`);
  const status = cell(tr, data.status, "status");
  cell(tr, "").appendChild(link(data.trace_id.slice(0, 16), traceLinks(data.trace_id).zipkin));
  cell(tr, "").appendChild(button("refresh", "refresh", async () => {
    const [refreshed, , order] = await call("GET", `/api/orders/${data.order_id}`);
    if (refreshed) { status.textContent = order.order.status; }
  }));
  $("orders").prepend(tr);
}

$("fault-preset").addEventListener("change", (event) => {
  $("fault").value = event.target.value;
});
$("reload").addEventListener("click", loadBooks);
$("zipkin-home").href = `${config.zipkin}/zipkin/`;
$("jaeger-home").href = config.jaegerHasUi ? `${config.jaeger}/` : `${config.jaeger}/api/services`;
$("jaeger-note").hidden = config.jaegerHasUi;
loadBooks();
