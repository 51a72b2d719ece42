"""URL table of the worker service."""

from __future__ import annotations

from aiohttp import web

from .views import stats

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/stats", stats)
