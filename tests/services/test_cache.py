"""The cache service: the TTL store and its HTTP API (the job queue lives in Kafka)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from bookshop_cache import Settings, create_app
from bookshop_cache.store import KeyValueStore
from tests.services.stack import BASE_ENV, stub_tracer_factory


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    store = KeyValueStore(10, clock=clock)
    store.set("a", {"x": 1}, ttl=5)
    assert store.get("a") == (True, {"x": 1})
    clock.now += 5
    assert store.get("a") == (False, None)
    assert len(store) == 0


def test_oldest_entries_are_evicted_past_max_keys() -> None:
    store = KeyValueStore(2, clock=FakeClock())
    store.set("a", 1, ttl=60)
    store.set("b", 2, ttl=60)
    store.set("a", 3, ttl=60)  # rewriting makes it the newest
    store.set("c", 4, ttl=60)
    assert store.get("b") == (False, None)
    assert store.get("a") == (True, 3)
    assert store.delete("c") is True
    assert store.delete("c") is False


async def _client(
    aiohttp_client: AiohttpClient,
) -> tuple[TestClient[web.Request, web.Application], az.StubTransport]:
    transport = az.StubTransport()
    app = create_app(Settings.from_env(BASE_ENV), tracer_factory=stub_tracer_factory(transport))
    return await aiohttp_client(app), transport


async def test_key_value_api(aiohttp_client: AiohttpClient) -> None:
    client, transport = await _client(aiohttp_client)
    assert (await client.get("/kv/book:1")).status == 404
    resp = await client.put("/kv/book:1", json={"value": {"title": "x"}, "ttl": 30})
    assert resp.status == 200
    assert await resp.json() == {"key": "book:1", "ttl": 30.0}
    resp = await client.get("/kv/book:1")
    assert await resp.json() == {"key": "book:1", "value": {"title": "x"}}
    assert (await (await client.delete("/kv/book:1")).json())["deleted"] is True
    names = [r.asdict()["name"] for r in transport.records]
    assert names == ["GET /kv/{key}", "PUT /kv/{key}", "GET /kv/{key}", "DELETE /kv/{key}"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("GET", "/kv/has%20space", None, 400, id="bad-key"),
        pytest.param("PUT", "/kv/k", {"ttl": 5}, 400, id="no-value"),
        pytest.param("PUT", "/kv/k", {"value": 1, "ttl": -1}, 400, id="negative-ttl"),
        pytest.param("PUT", "/kv/k", {"value": 1, "ttl": 0}, 400, id="zero-ttl"),
        pytest.param("PUT", "/kv/k", {"value": 1, "ttl": "soon"}, 400, id="ttl-not-number"),
        pytest.param("PUT", "/kv/k", {"value": "x" * 70_000}, 413, id="oversize"),
    ],
)
async def test_bad_requests_get_4xx_json(
    aiohttp_client: AiohttpClient, method: str, path: str, body: object, status: int
) -> None:
    client, _ = await _client(aiohttp_client)
    resp = await client.request(method, path, json=body)
    assert resp.status == status
    assert (await resp.json())["status"] == status


async def test_the_queue_endpoints_are_gone(aiohttp_client: AiohttpClient) -> None:
    client, _ = await _client(aiohttp_client)
    assert (await client.post("/queues/orders", json={"job": {}})).status == 404
    assert (await client.post("/queues/orders/pop")).status == 404
    resp = await client.get("/stats")
    assert await resp.json() == {"keys": 0}
