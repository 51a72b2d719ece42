"""URL table of the backend service: the bookshop API."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import add_api_routes

from . import views

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    add_api_routes(app, views)
