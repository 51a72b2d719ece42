"""HTTP handlers of the frontend service."""

from __future__ import annotations

import logging

from aiohttp import web

import aiozipkin as az
from bookshop_common import (
    ApiError,
    Reply,
    Upstream,
    api,
    int_field,
    parse_id,
    read_json_object,
    reject_unknown_fields,
)

from .page import render_page
from .typedefs import BACKEND_KEY, SETTINGS_KEY

__all__ = ["MAX_QUANTITY", "create_order", "get_book", "get_order", "index", "list_books"]

MAX_QUANTITY = 10

_log = logging.getLogger("bookshop.frontend")


def _passthrough_404(reply: Reply) -> None:
    if reply.status == 404:
        raise ApiError(404, str(reply.body.get("error", "not found")))


async def _backend_get(request: web.Request, route: str, **params: int) -> Reply:
    backend: Upstream = request.app[BACKEND_KEY]
    parent = az.request_span(request).context
    path = route.format(**params)
    reply = await backend.call("GET", path, route=route, parent=parent, expect=(200, 404))
    _passthrough_404(reply)
    return reply


async def index(request: web.Request) -> web.Response:
    """`GET /`: the shop page."""
    text = render_page(request.app[SETTINGS_KEY])
    return web.Response(text=text, content_type="text/html")


async def list_books(request: web.Request) -> web.Response:
    """`GET /api/books`."""
    reply = await _backend_get(request, api.BOOKS)
    return web.json_response(reply.body)


async def get_book(request: web.Request) -> web.Response:
    """`GET /api/books/{book_id}`."""
    book_id = parse_id(request.match_info["book_id"], "book id")
    reply = await _backend_get(request, api.BOOK, book_id=book_id)
    return web.json_response(reply.body)


async def get_order(request: web.Request) -> web.Response:
    """`GET /api/orders/{order_id}`."""
    order_id = parse_id(request.match_info["order_id"], "order id")
    reply = await _backend_get(request, api.ORDER, order_id=order_id)
    return web.json_response(reply.body)


async def create_order(request: web.Request) -> web.Response:
    """`POST /api/orders` `{"book_id": int, "quantity": int}` → 202 `{"order_id", "trace_id"}`."""
    body = await read_json_object(request)
    reject_unknown_fields(body, ("book_id", "quantity"))
    book_id = int_field(body, "book_id", minimum=1, maximum=2**31 - 1)
    quantity = int_field(body, "quantity", minimum=1, maximum=MAX_QUANTITY)
    context = az.request_span(request).context
    reply = await request.app[BACKEND_KEY].call(
        "POST",
        api.ORDERS,
        route=api.ORDERS,
        parent=context,
        json={"book_id": book_id, "quantity": quantity},
        expect=(202, 404, 503),
    )
    _passthrough_404(reply)
    if reply.status == 503:  # not queued, so not accepted: the client may try again
        raise ApiError(503, str(reply.body.get("error", "order not accepted")))
    order_id = reply.body["order_id"]
    _log.info("order %d accepted", order_id)
    return web.json_response(
        {"order_id": order_id, "status": reply.body["status"], "trace_id": context.trace_id},
        status=202,
    )
