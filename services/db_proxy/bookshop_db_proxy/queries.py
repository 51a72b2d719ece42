"""The named queries: the only SQL this service runs, always with bound parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bookshop_common import MAX_ID, ApiError

from .db import Statement, Transaction

__all__ = ["ORDER_STATUSES", "QUERIES", "NamedQuery", "QueryResult"]

ORDER_STATUSES = ("pending", "shipped", "cancelled")

_BOOK_COLUMNS = "id, title, author, price_cents, stock"
_ORDER_COLUMNS = "id, book_id, quantity, status, created_at, updated_at"

LIST_BOOKS = Statement("select books", f"SELECT {_BOOK_COLUMNS} FROM books ORDER BY id")
GET_BOOK = Statement("select book", f"SELECT {_BOOK_COLUMNS} FROM books WHERE id = ?")
BOOK_EXISTS = Statement("select book id", "SELECT id FROM books WHERE id = ?")
INSERT_ORDER = Statement(
    "insert order",
    "INSERT INTO orders (book_id, quantity, status, created_at, updated_at) "
    "VALUES (?, ?, 'pending', ?, ?)",
)
GET_ORDER = Statement("select order", f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?")
ORDER_STATUS = Statement("select order status", "SELECT status FROM orders WHERE id = ?")
# Only a pending order changes status, in one statement: a job delivered twice ships once.
UPDATE_ORDER_STATUS = Statement(
    "update order status",
    "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
)
DECREMENT_STOCK = Statement(
    "update book stock",
    "UPDATE books SET stock = MAX(stock - (SELECT quantity FROM orders WHERE id = ?), 0) "
    "WHERE id = (SELECT book_id FROM orders WHERE id = ?)",
)


@dataclass(frozen=True, slots=True)
class QueryResult:
    """What a named query answers: rows and the rows the last statement touched."""

    rows: tuple[dict[str, Any], ...]
    row_count: int


Validator = Callable[[object], object]
Runner = Callable[[Transaction, Mapping[str, Any]], Awaitable[QueryResult]]


def _id(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"must be an integer between 1 and {MAX_ID}")
    return value


def _quantity(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError("must be an integer between 1 and 1000")
    return value


def _status(value: object) -> object:
    if value not in ORDER_STATUSES:
        raise ValueError(f"must be one of {', '.join(ORDER_STATUSES)}")
    return value


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query the network may ask for by name, with its parameters' validators."""

    name: str
    params: Mapping[str, Validator]
    run: Runner

    def validate(self, raw: object) -> dict[str, Any]:
        """The parameters, checked; a 400 `ApiError` names the first bad one."""
        if not isinstance(raw, dict):
            raise ApiError(400, "params must be a JSON object")
        for key in raw:
            if key not in self.params:
                raise ApiError(400, f"{self.name}: unknown parameter {key!r}")
        checked: dict[str, Any] = {}
        for key, validator in self.params.items():
            if key not in raw:
                raise ApiError(400, f"{self.name}: parameter {key!r} is required")
            try:
                checked[key] = validator(raw[key])
            except ValueError as exc:
                raise ApiError(400, f"{self.name}: parameter {key!r} {exc}") from None
        return checked


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


async def _list_books(tx: Transaction, params: Mapping[str, Any]) -> QueryResult:
    result = await tx.execute(LIST_BOOKS, ())
    return QueryResult(result.rows, result.row_count)


async def _get_book(tx: Transaction, params: Mapping[str, Any]) -> QueryResult:
    result = await tx.execute(GET_BOOK, (params["book_id"],))
    return QueryResult(result.rows, result.row_count)


async def _insert_order(tx: Transaction, params: Mapping[str, Any]) -> QueryResult:
    book_id = params["book_id"]
    if (await tx.execute(BOOK_EXISTS, (book_id,))).row_count == 0:
        raise ApiError(404, f"unknown book {book_id}")
    now = _now()
    result = await tx.execute(INSERT_ORDER, (book_id, params["quantity"], now, now))
    return QueryResult(({"order_id": result.last_row_id},), result.row_count)


async def _get_order(tx: Transaction, params: Mapping[str, Any]) -> QueryResult:
    result = await tx.execute(GET_ORDER, (params["order_id"],))
    return QueryResult(result.rows, result.row_count)


async def _update_order_status(tx: Transaction, params: Mapping[str, Any]) -> QueryResult:
    """Move a pending order to `status`; any other order is left as it is (`changed` false)."""
    order_id, status = params["order_id"], params["status"]
    updated = await tx.execute(UPDATE_ORDER_STATUS, (status, _now(), order_id))
    if updated.row_count == 0:
        current = await tx.execute(ORDER_STATUS, (order_id,))
        if current.row_count == 0:
            raise ApiError(404, f"unknown order {order_id}")
        row = {"order_id": order_id, "status": current.rows[0]["status"], "changed": False}
        return QueryResult((row,), 0)
    if status == "shipped":
        await tx.execute(DECREMENT_STOCK, (order_id, order_id))
    row = {"order_id": order_id, "status": status, "changed": True}
    return QueryResult((row,), updated.row_count)


QUERIES: Mapping[str, NamedQuery] = {
    query.name: query
    for query in (
        NamedQuery("list_books", {}, _list_books),
        NamedQuery("get_book", {"book_id": _id}, _get_book),
        NamedQuery("insert_order", {"book_id": _id, "quantity": _quantity}, _insert_order),
        NamedQuery("get_order", {"order_id": _id}, _get_order),
        NamedQuery(
            "update_order_status", {"order_id": _id, "status": _status}, _update_order_status
        ),
    )
}
