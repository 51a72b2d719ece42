"""Fault knobs, sampling decisions, /health and bad input, against the running stack."""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp
import pytest

from tests.e2e.helpers import (
    Bookshop,
    Span,
    get_json,
    jaeger_span_count,
    place_order,
    poll,
    service,
    wait_full_order_trace,
    wait_trace,
    zipkin_trace,
)


def _server(spans: list[Span], name: str) -> Span | None:
    return next((s for s in spans if service(s) == name and s.get("kind") == "SERVER"), None)


async def test_error_fault_is_tagged_on_the_failing_service_and_the_frontend(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    status, body = await get_json(
        http, f"{bookshop.frontend}/api/books/8", headers={"X-Demo-Fault": "cache=error"}
    )
    assert status == 502
    assert body["status"] == 502
    assert "cache" in body["error"]

    async with http.get(
        f"{bookshop.frontend}/api/books/8", headers={"X-Demo-Fault": "cache=error"}
    ) as resp:
        trace_id = resp.headers["X-Trace-Id"]

    def both_servers(spans: list[Span]) -> bool:
        return _server(spans, "cache") is not None and _server(spans, "frontend") is not None

    spans = await wait_trace(bookshop, http, trace_id, both_servers, "the failed request")
    cache, frontend = _server(spans, "cache"), _server(spans, "frontend")
    assert cache is not None
    assert frontend is not None
    assert cache["tags"]["error"]
    assert cache["tags"]["http.status_code"] == "500"
    assert "error" in frontend["tags"]
    assert frontend["tags"]["http.status_code"] == "502"


async def test_delay_fault_makes_that_span_slow(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        f"{bookshop.frontend}/api/books/9", headers={"X-Demo-Fault": "db_proxy=delay:300ms"}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["source"] == "database"
        trace_id = resp.headers["X-Trace-Id"]
    spans = await wait_trace(
        bookshop,
        http,
        trace_id,
        lambda s: _server(s, "db_proxy") is not None and _server(s, "frontend") is not None,
        "the delayed request",
    )
    db_server = _server(spans, "db_proxy")
    assert db_server is not None
    assert db_server["duration"] >= 300_000
    assert "error" not in db_server.get("tags", {})
    frontend = _server(spans, "frontend")
    assert frontend is not None
    assert frontend["duration"] >= 300_000


async def test_unsampled_request_creates_no_spans_anywhere(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    status, body, header = await place_order(bookshop, http, 10, headers={"X-B3-Sampled": "0"})
    assert status == 202
    trace_id = body["trace_id"]
    assert header == trace_id

    async def order_status() -> Any:
        _, order = await get_json(http, f"{bookshop.frontend}/api/orders/{body['order_id']}")
        return order["order"]["status"]

    await poll(order_status, lambda s: s == "shipped", what="the unsampled order to ship")
    await wait_full_order_trace(bookshop, http, book_id=11)
    assert await zipkin_trace(bookshop, http, trace_id) == []
    assert await jaeger_span_count(bookshop, http, trace_id) == 0


async def test_health_is_never_traced_nor_idle_polling(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    trace_id = secrets.token_hex(16)
    b3 = {"X-B3-TraceId": trace_id, "X-B3-SpanId": secrets.token_hex(8), "X-B3-Sampled": "1"}
    for name, url in bookshop.services.items():
        status, body = await get_json(http, f"{url}/health", headers=b3)
        assert (status, body["status"], body["service"]) == (200, "ok", name), body
        assert set(body["dependencies"].values()) <= {"ok"}, body
        assert body["tracing"]["dropping"] is False, body
    await wait_full_order_trace(bookshop, http, book_id=12)
    assert await zipkin_trace(bookshop, http, trace_id) == []
    for name in bookshop.services:
        status, names = await get_json(http, f"{bookshop.zipkin}/api/v2/spans?serviceName={name}")
        assert status == 200
        assert "get /health" not in names, name
        assert not [n for n in names if "pop" in n], f"{name} traced queue polling: {names}"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("GET", "/api/books/404", None, 404, id="unknown-book"),
        pytest.param("GET", "/api/books/x1", None, 400, id="bad-book-id"),
        pytest.param("POST", "/api/orders", {"book_id": 1, "quantity": -1}, 400, id="bad-qty"),
        pytest.param("POST", "/api/orders", {"book_id": 404, "quantity": 1}, 404, id="no-book"),
        pytest.param("POST", "/api/orders", {"note": "x" * 50_000}, 413, id="oversize"),
        pytest.param("POST", "/api/orders", "{not json", 400, id="not-json"),
    ],
)
async def test_bad_input_gets_4xx_json(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: object,
    status: int,
) -> None:
    kwargs: dict[str, Any] = (
        {"data": body, "headers": {"Content-Type": "application/json"}}
        if isinstance(body, str)
        else {"json": body}
    )
    async with http.request(method, bookshop.frontend + path, **kwargs) as resp:
        assert resp.status == status
        assert resp.content_type == "application/json"
        payload = await resp.json()
    assert payload["status"] == status
    assert payload["error"]
