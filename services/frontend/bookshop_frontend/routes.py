"""URL table of the frontend service."""

from __future__ import annotations

from aiohttp import web

from .page import STATIC_DIR, STATIC_PREFIX
from .views import create_order, get_book, get_order, index, list_books

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/api/books", list_books)
    app.router.add_get("/api/books/{book_id}", get_book)
    app.router.add_post("/api/orders", create_order)
    app.router.add_get("/api/orders/{order_id}", get_order)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR)
