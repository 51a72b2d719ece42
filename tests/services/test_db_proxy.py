"""The db_proxy service: named queries only, one span per statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from bookshop_db_proxy import Settings, create_app
from bookshop_db_proxy.queries import GET_BOOK
from tests.services.stack import BASE_ENV, stub_tracer_factory

Client = TestClient[web.Request, web.Application]


StartProxy = Callable[[], Awaitable[tuple[Client, az.StubTransport]]]


@pytest.fixture
def start_proxy(aiohttp_client: AiohttpClient, tmp_path: Path) -> StartProxy:
    """Start a db_proxy over this test's database file (again: the same file) and a client."""

    async def start() -> tuple[Client, az.StubTransport]:
        transport = az.StubTransport()
        settings = Settings.from_env({**BASE_ENV, "DB_PATH": str(tmp_path / "db.sqlite")})
        app = create_app(settings, tracer_factory=stub_tracer_factory(transport))
        return await aiohttp_client(app), transport

    return start


async def _query(client: Client, name: str, params: Any) -> tuple[int, Any]:
    resp = await client.post(f"/queries/{name}", json={"params": params})
    return resp.status, await resp.json()


async def _set_status(client: Client, order_id: int, status: str) -> Any:
    """Run update_order_status; return its one row (`changed` says whether it did)."""
    _, body = await _query(client, "update_order_status", {"order_id": order_id, "status": status})
    return body["rows"][0]


async def test_get_book_runs_one_traced_statement(start_proxy: StartProxy) -> None:
    client, transport = await start_proxy()
    status, body = await _query(client, "get_book", {"book_id": 2})
    assert status == 200
    assert body["row_count"] == 1
    assert body["rows"][0]["title"] == "Designing Data-Intensive Applications"
    local, server = (r.asdict() for r in transport.records)
    assert server["kind"] == "SERVER"
    assert server["name"] == "POST /queries/{name}"
    assert local["parentId"] == server["id"]
    assert "kind" not in local
    assert local["name"] == "select book"
    assert local["tags"]["db.statement"] == GET_BOOK.sql
    assert local["tags"]["db.row_count"] == "1"
    assert local["tags"]["db.query_name"] == "get_book"


async def test_orders_are_inserted_and_shipped(start_proxy: StartProxy) -> None:
    client, transport = await start_proxy()
    status, body = await _query(client, "insert_order", {"book_id": 1, "quantity": 3})
    assert status == 200
    order_id = body["rows"][0]["order_id"]
    assert (await _set_status(client, order_id, "shipped"))["changed"] is True
    assert (await _set_status(client, order_id, "shipped"))["changed"] is False
    _, body = await _query(client, "get_order", {"order_id": order_id})
    assert body["rows"][0]["status"] == "shipped"
    _, body = await _query(client, "get_book", {"book_id": 1})
    assert body["rows"][0]["stock"] == 997
    statements = [r.asdict()["name"] for r in transport.records if r.asdict().get("kind") is None]
    assert statements == [
        "select book id",
        "insert order",
        "update order status",
        "update book stock",
        "update order status",
        "select order status",
        "select order",
        "select book",
    ]


async def test_a_cancelled_order_is_never_shipped(start_proxy: StartProxy) -> None:
    client, _ = await start_proxy()
    _, body = await _query(client, "insert_order", {"book_id": 2, "quantity": 1})
    order_id = body["rows"][0]["order_id"]
    assert (await _set_status(client, order_id, "cancelled"))["changed"] is True
    assert await _set_status(client, order_id, "shipped") == {
        "order_id": order_id,
        "status": "cancelled",
        "changed": False,
    }
    _, body = await _query(client, "get_book", {"book_id": 2})
    assert body["rows"][0]["stock"] == 1000


async def test_data_survives_a_restart(start_proxy: StartProxy) -> None:
    client, _ = await start_proxy()
    await _query(client, "insert_order", {"book_id": 1, "quantity": 1})
    await client.close()
    client, _ = await start_proxy()
    status, body = await _query(client, "get_order", {"order_id": 1})
    assert (status, body["row_count"]) == (200, 1)
    _, books = await _query(client, "list_books", {})
    assert books["row_count"] == 12


@pytest.mark.parametrize(
    ("name", "params", "status"),
    [
        pytest.param("drop_table", {}, 404, id="unknown-query"),
        pytest.param("get_book", {}, 400, id="missing-param"),
        pytest.param("get_book", {"book_id": 1, "x": 2}, 400, id="unknown-param"),
        pytest.param("get_book", {"book_id": "1 OR 1=1"}, 400, id="sql-in-param"),
        pytest.param("get_book", {"book_id": 0}, 400, id="zero-id"),
        pytest.param("get_book", [1], 400, id="params-not-object"),
        pytest.param("insert_order", {"book_id": 999, "quantity": 1}, 404, id="unknown-book"),
        pytest.param("insert_order", {"book_id": 1, "quantity": 0}, 400, id="zero-quantity"),
        pytest.param(
            "update_order_status", {"order_id": 5, "status": "shipped"}, 404, id="unknown-order"
        ),
        pytest.param(
            "update_order_status", {"order_id": 1, "status": "lost"}, 400, id="bad-status"
        ),
    ],
)
async def test_bad_queries_get_4xx_json(
    start_proxy: StartProxy, name: str, params: Any, status: int
) -> None:
    client, _ = await start_proxy()
    got, body = await _query(client, name, params)
    assert got == status
    assert body["status"] == status


async def test_unknown_book_rolls_the_transaction_back(start_proxy: StartProxy) -> None:
    client, _ = await start_proxy()
    status, _ = await _query(client, "insert_order", {"book_id": 999, "quantity": 1})
    assert status == 404
    status, body = await _query(client, "insert_order", {"book_id": 1, "quantity": 1})
    assert (status, body["rows"][0]["order_id"]) == (200, 1)
