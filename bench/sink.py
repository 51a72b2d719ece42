"""A stand-in Zipkin collector: accepts POST /api/v2/spans with 202 and counts what arrived.

    python -m bench.sink --port PORT

GET /stats answers {"posts": n, "spans": n, "bytes": n}. Bodies are counted, not parsed,
so the sink costs little next to the server under test.
"""

from __future__ import annotations

import argparse
from typing import Final

from aiohttp import web

__all__ = ["create_app", "main"]

_STATS: Final = web.AppKey("stats", dict[str, int])


async def _spans(request: web.Request) -> web.Response:
    body = await request.read()
    stats = request.app[_STATS]
    stats["posts"] += 1
    stats["bytes"] += len(body)
    stats["spans"] += body.count(b'"traceId"')
    return web.Response(status=202)


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[_STATS])


def create_app() -> web.Application:
    """The sink application."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[_STATS] = {"posts": 0, "spans": 0, "bytes": 0}
    app.router.add_post("/api/v2/spans", _spans)
    app.router.add_get("/stats", _stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
