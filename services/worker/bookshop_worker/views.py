"""HTTP handlers of the worker service (health aside, only its counters)."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from .typedefs import CONSUMER_KEY

__all__ = ["stats"]


async def stats(request: web.Request) -> web.Response:
    """`GET /stats`: polls, jobs processed and failed."""
    return web.json_response(asdict(request.app[CONSUMER_KEY].stats))
