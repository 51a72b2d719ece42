"""URL table of the frontend service: the page, its static files, the bookshop API under `/api`."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import add_api_routes

from . import views
from .page import STATIC_DIR, STATIC_PREFIX

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views.index)
    add_api_routes(app, views, prefix="/api")
    app.router.add_static(STATIC_PREFIX, STATIC_DIR)
