"""Talking to the running stack and to the collectors' query APIs, with deadlines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp

from tests.stack import Bookshop

__all__ = [
    "TRACE_TIMEOUT",
    "Bookshop",
    "Span",
    "book_stock",
    "get_json",
    "is_complete_order_trace",
    "is_settled",
    "jaeger_span_count",
    "order_status",
    "place_order",
    "poll",
    "service",
    "wait_full_order_trace",
    "wait_trace",
    "zipkin_trace",
]

T = TypeVar("T")
Span = dict[str, Any]

TRACE_TIMEOUT = 30.0


async def poll(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    what: str,
    timeout: float = TRACE_TIMEOUT,
) -> T:
    """Call `fetch` until `done(result)`; fail at the deadline saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}; last: {value!r:.3000}"
            )
        await asyncio.sleep(0.2)


async def get_json(
    http: aiohttp.ClientSession, url: str, headers: Mapping[str, str] | None = None
) -> tuple[int, Any]:
    """GET `url`; a server that cannot be reached fails the test, naming it."""
    try:
        async with http.get(url, headers=headers) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()
    except aiohttp.ClientConnectionError as exc:
        raise AssertionError(f"{url} cannot be reached: {exc}") from exc


async def book_stock(bookshop: Bookshop, http: aiohttp.ClientSession, book_id: int) -> int:
    """The stock of one book, as the frontend's book list shows it."""
    status, body = await get_json(http, f"{bookshop.frontend}/api/books")
    assert status == 200, body
    return int(next(b["stock"] for b in body["books"] if b["id"] == book_id))


async def order_status(bookshop: Bookshop, http: aiohttp.ClientSession, order_id: int) -> str:
    """An order's status ("pending", "shipped", ...), as the frontend reports it."""
    status, body = await get_json(http, f"{bookshop.frontend}/api/orders/{order_id}")
    assert status == 200, body
    return str(body["order"]["status"])


def service(span: Span) -> str:
    return str(span.get("localEndpoint", {}).get("serviceName", ""))


async def zipkin_trace(
    bookshop: Bookshop, http: aiohttp.ClientSession, trace_id: str
) -> list[Span]:
    """The trace as Zipkin has it now ([] when it has none of its spans)."""
    status, body = await get_json(http, f"{bookshop.zipkin}/api/v2/trace/{trace_id}")
    if status == 404:
        return []
    assert status == 200, f"Zipkin answered {status}: {body!r:.500}"
    assert isinstance(body, list)
    return body


async def jaeger_span_count(bookshop: Bookshop, http: aiohttp.ClientSession, trace_id: str) -> int:
    """How many spans of the trace Jaeger's query API returns (0 when it has none)."""
    status, body = await get_json(http, f"{bookshop.jaeger}/api/traces/{trace_id}")
    if status == 404:
        return 0
    assert status == 200, f"Jaeger answered {status}: {body!r:.500}"
    return sum(len(trace["spans"]) for trace in body["data"])


async def wait_trace(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    trace_id: str,
    done: Callable[[list[Span]], bool],
    what: str,
) -> list[Span]:
    return await poll(lambda: zipkin_trace(bookshop, http, trace_id), done, what=what)


def is_settled(spans: list[Span]) -> bool:
    """A root is in, every parent is in, and every CLIENT span has its SERVER side."""
    ids = {s["id"] for s in spans}
    server_parents = {s.get("parentId") for s in spans if s.get("kind") == "SERVER"}
    return (
        any("parentId" not in s for s in spans)
        and all(s["parentId"] in ids for s in spans if "parentId" in s)
        and all(s["id"] in server_parents for s in spans if s.get("kind") == "CLIENT")
    )


def is_complete_order_trace(spans: list[Span]) -> bool:
    """The worker's part is in, every call has its server side, every query its statements."""
    kinds = [s.get("kind") for s in spans]
    if "CONSUMER" not in kinds or "PRODUCER" not in kinds:
        return False
    worker_clients = [s for s in spans if service(s) == "worker" and s.get("kind") == "CLIENT"]
    server_parents = {s.get("parentId") for s in spans if s.get("kind") == "SERVER"}
    local_parents = {s.get("parentId") for s in spans if "kind" not in s}
    clients_answered = all(s["id"] in server_parents for s in spans if s.get("kind") == "CLIENT")
    db_servers = [s for s in spans if service(s) == "db_proxy" and s.get("kind") == "SERVER"]
    return (
        is_settled(spans)
        and len(worker_clients) == 2
        and clients_answered
        and len(db_servers) == 2
        and all(s["id"] in local_parents for s in db_servers)
    )


async def place_order(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    book_id: int,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any, str]:
    """POST /api/orders; returns the status, the JSON body and the X-Trace-Id header."""
    url = f"{bookshop.frontend}/api/orders"
    try:
        async with http.post(
            url, json={"book_id": book_id, "quantity": 1}, headers=headers
        ) as resp:
            return resp.status, await resp.json(), resp.headers.get("X-Trace-Id", "")
    except aiohttp.ClientConnectionError as exc:
        raise AssertionError(f"{url} cannot be reached: {exc}") from exc


async def wait_full_order_trace(
    bookshop: Bookshop, http: aiohttp.ClientSession, book_id: int
) -> tuple[str, list[Span]]:
    """Place an order and wait until Zipkin has its whole trace, the worker's part included.

    Services flush their spans in order, so once this trace is complete everything they sent
    before it has reached the collectors too.
    """
    status, body, _ = await place_order(bookshop, http, book_id)
    assert status == 202, body
    trace_id = str(body["trace_id"])
    spans = await wait_trace(
        bookshop, http, trace_id, is_complete_order_trace, f"the order trace {trace_id}"
    )
    return trace_id, spans
