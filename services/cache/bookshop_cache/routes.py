"""URL table of the cache service."""

from __future__ import annotations

from aiohttp import web

from .views import delete_key, get_key, put_key, stats

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/kv/{key}", get_key)
    app.router.add_put("/kv/{key}", put_key)
    app.router.add_delete("/kv/{key}", delete_key)
    app.router.add_get("/stats", stats)
