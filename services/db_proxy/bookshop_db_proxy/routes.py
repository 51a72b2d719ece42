"""URL table of the db_proxy service."""

from __future__ import annotations

from aiohttp import web

from .views import list_queries, run_query

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/queries", list_queries)
    app.router.add_post("/queries/{name}", run_query)
