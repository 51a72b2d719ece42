"""HTTP handlers of the backend service."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

import aiozipkin as az
from bookshop_common import (
    FAULT_HEADER,
    ApiError,
    Upstream,
    current_fault_spec,
    int_field,
    parse_id,
    read_json_object,
    reject_unknown_fields,
)

from .jobs import JobNotQueued
from .typedefs import CACHE_KEY, DB_PROXY_KEY, PUBLISHER_KEY, SETTINGS_KEY

__all__ = ["MAX_QUANTITY", "create_order", "get_book", "get_order", "list_books"]

MAX_QUANTITY = 10

_log = logging.getLogger("bookshop.backend")


async def _query(db: Upstream, name: str, parent: az.TraceContext, **params: Any) -> Any:
    reply = await db.call(
        "POST", f"/queries/{name}", parent=parent, json={"params": params}, expect=(200, 404)
    )
    if reply.status == 404:
        raise ApiError(404, str(reply.body.get("error", "not found")))
    return reply.body


async def list_books(request: web.Request) -> web.Response:
    """`GET /books`: every book, straight from the database."""
    parent = az.request_span(request).context
    body = await _query(request.app[DB_PROXY_KEY], "list_books", parent)
    return web.json_response({"books": body["rows"]})


async def get_book(request: web.Request) -> web.Response:
    """`GET /books/{book_id}`: cache-aside; a miss reads db_proxy and fills the cache."""
    book_id = parse_id(request.match_info["book_id"], "book id")
    parent = az.request_span(request).context
    cache = request.app[CACHE_KEY]
    key = f"book:{book_id}"
    cached = await cache.call("GET", f"/kv/{key}", parent=parent, expect=(200, 404))
    if cached.status == 200:
        _log.info("book %d served from cache", book_id)
        return web.json_response({"book": cached.body["value"], "source": "cache"})
    body = await _query(request.app[DB_PROXY_KEY], "get_book", parent, book_id=book_id)
    if not body["rows"]:
        raise ApiError(404, f"unknown book {book_id}")
    book = body["rows"][0]
    ttl = request.app[SETTINGS_KEY].book_ttl
    await cache.call("PUT", f"/kv/{key}", parent=parent, json={"value": book, "ttl": ttl})
    _log.info("book %d read from the database and cached", book_id)
    return web.json_response({"book": book, "source": "database"})


async def create_order(request: web.Request) -> web.Response:
    """`POST /orders` `{"book_id", "quantity"}`: store it, queue a job for the worker, 202.

    202 means the broker has the job. When it cannot be queued the order is cancelled and
    the answer is 503, so an accepted order is never one the worker will not see.
    """
    body = await read_json_object(request)
    reject_unknown_fields(body, ("book_id", "quantity"))
    book_id = int_field(body, "book_id", minimum=1, maximum=2**31 - 1)
    quantity = int_field(body, "quantity", minimum=1, maximum=MAX_QUANTITY)
    parent = az.request_span(request).context
    db = request.app[DB_PROXY_KEY]
    inserted = await _query(db, "insert_order", parent, book_id=book_id, quantity=quantity)
    order_id = inserted["rows"][0]["order_id"]
    job = {"type": "ship_order", "order_id": order_id, "book_id": book_id, "quantity": quantity}
    spec = current_fault_spec()
    headers = [(FAULT_HEADER.lower(), spec.encode())] if spec else []
    try:
        await request.app[PUBLISHER_KEY].publish(job, parent, headers=headers)
    except JobNotQueued as exc:
        _log.error("order %d not queued, cancelling it: %s", order_id, exc)
        await _query(db, "update_order_status", parent, order_id=order_id, status="cancelled")
        raise ApiError(
            503, f"order not accepted: the orders queue is unavailable ({exc})"
        ) from None
    _log.info("order %d for book %d queued", order_id, book_id)
    return web.json_response({"order_id": order_id, "status": "pending"}, status=202)


async def get_order(request: web.Request) -> web.Response:
    """`GET /orders/{order_id}`: the order and its status."""
    order_id = parse_id(request.match_info["order_id"], "order id")
    parent = az.request_span(request).context
    body = await _query(request.app[DB_PROXY_KEY], "get_order", parent, order_id=order_id)
    if not body["rows"]:
        raise ApiError(404, f"unknown order {order_id}")
    return web.json_response({"order": body["rows"][0]})
