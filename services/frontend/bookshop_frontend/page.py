"""The shop page: plain HTML and a little JavaScript calling the JSON API."""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bookshop: a traced demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #222; }
  table { border-collapse: collapse; width: 100%; }
  td, th { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; }
  #log { background: #f6f6f6; padding: .8rem; white-space: pre-wrap; font-family: monospace; }
  button { cursor: pointer; }
</style>
</head>
<body>
<h1>Bookshop</h1>
<p>Every click below is one distributed trace through frontend, backend, cache, db_proxy
and worker. See them in <a href="{zipkin_ui}/">Zipkin</a> and <a href="{jaeger_ui}/">Jaeger</a>.</p>
<p><label>Fault knob (<code>X-Demo-Fault</code>):
  <input id="fault" size="40" placeholder="db_proxy=delay:300ms,cache=error"></label></p>
<table>
  <thead><tr><th>#</th><th>Title</th><th>Author</th><th>Price</th><th>Stock</th><th></th></tr></thead>
  <tbody id="books"></tbody>
</table>
<h2>Log</h2>
<div id="log"></div>
<script>
const zipkinUi = "{zipkin_ui}";
function headers() {
  const h = {"Content-Type": "application/json"};
  const fault = document.getElementById("fault").value.trim();
  if (fault) { h["X-Demo-Fault"] = fault; }
  return h;
}
function log(text, traceId) {
  const line = document.createElement("div");
  line.textContent = text + " ";
  if (traceId) {
    const a = document.createElement("a");
    a.href = zipkinUi + "/traces/" + traceId;
    a.textContent = "trace " + traceId;
    line.appendChild(a);
  }
  document.getElementById("log").prepend(line);
}
async function call(method, url, body) {
  const resp = await fetch(url, {method, headers: headers(), body: body && JSON.stringify(body)});
  const data = await resp.json();
  log(method + " " + url + " -> " + resp.status + " " + JSON.stringify(data),
      resp.headers.get("X-Trace-Id"));
  return [resp.status, data];
}
async function load() {
  const [status, data] = await call("GET", "/api/books");
  if (status !== 200) { return; }
  const tbody = document.getElementById("books");
  tbody.replaceChildren();
  for (const b of data.books) {
    const tr = document.createElement("tr");
    for (const v of [b.id, b.title, b.author, (b.price_cents / 100).toFixed(2), b.stock]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    const td = document.createElement("td");
    const view = document.createElement("button");
    view.textContent = "details"; view.onclick = () => call("GET", "/api/books/" + b.id);
    const buy = document.createElement("button");
    buy.textContent = "order 1";
    buy.onclick = () => call("POST", "/api/orders", {book_id: b.id, quantity: 1});
    td.append(view, " ", buy); tr.appendChild(td); tbody.appendChild(tr);
  }
}
load();
</script>
</body>
</html>
"""
