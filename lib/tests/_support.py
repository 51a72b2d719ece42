"""What the distribution's tests share: an in-process Zipkin collector that keeps what it gets."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

SPANS: web.AppKey[list[dict[str, Any]]] = web.AppKey("spans", list)
# The Content-Encoding of each upload ("" when none).
ENCODINGS: web.AppKey[list[str]] = web.AppKey("encodings", list)

__all__ = ["ENCODINGS", "SPANS", "start_collector"]


async def start_collector() -> TestServer:
    """A collector on a free port: what is posted to /api/v2/spans lands in `app[SPANS]`."""
    app = web.Application()
    app[SPANS] = []
    app[ENCODINGS] = []

    async def accept(request: web.Request) -> web.Response:
        request.app[ENCODINGS].append(request.headers.get("Content-Encoding", ""))
        request.app[SPANS].extend(json.loads(await request.read()))
        return web.Response(status=202)

    app.router.add_post("/api/v2/spans", accept)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server
