"""The bookshop's HTTP API: the backend serves it, and the frontend serves it again under `/api`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

__all__ = ["BOOK", "BOOKS", "ORDER", "ORDERS", "ApiViews", "add_api_routes"]

BOOKS = "/books"
BOOK = "/books/{book_id}"
ORDERS = "/orders"
ORDER = "/orders/{order_id}"

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiViews(Protocol):
    """The handlers of the API, by name: a service's `views` module."""

    @property
    def list_books(self) -> _Handler: ...
    @property
    def get_book(self) -> _Handler: ...
    @property
    def create_order(self) -> _Handler: ...
    @property
    def get_order(self) -> _Handler: ...


def add_api_routes(app: web.Application, views: ApiViews, *, prefix: str = "") -> None:
    """Route the API's paths, under `prefix`, to the handlers of `views`."""
    app.router.add_routes(
        [
            web.get(prefix + BOOKS, views.list_books),
            web.get(prefix + BOOK, views.get_book),
            web.post(prefix + ORDERS, views.create_order),
            web.get(prefix + ORDER, views.get_order),
        ]
    )
