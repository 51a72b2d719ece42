"""URL table of the backend service."""

from __future__ import annotations

from aiohttp import web

from .views import create_order, get_book, get_order, list_books

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/books", list_books)
    app.router.add_get("/books/{book_id}", get_book)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/orders/{order_id}", get_order)
