"""The cache service: TTL store, FIFO queue with a waiting pop, and its HTTP API."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from bookshop_cache import Settings, create_app
from bookshop_cache.store import JobQueue, KeyValueStore, QueueFull
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


async def test_queue_is_fifo_and_pop_times_out() -> None:
    queue = JobQueue(max_jobs=2)
    queue.push({"n": 1})
    queue.push({"n": 2})
    with pytest.raises(QueueFull):
        queue.push({"n": 3})
    assert await queue.pop(0.1) == {"n": 1}
    assert await queue.pop(0.1) == {"n": 2}
    assert await queue.pop(0.05) is None


async def test_waiting_pops_are_served_in_order() -> None:
    queue = JobQueue(max_jobs=10)
    first = asyncio.create_task(queue.pop(2))
    second = asyncio.create_task(queue.pop(2))
    await asyncio.sleep(0.01)
    queue.push("a")
    queue.push("b")
    assert (await first, await second) == ("a", "b")


async def test_a_cancelled_waiter_passes_its_job_on() -> None:
    queue = JobQueue(max_jobs=10)
    first = asyncio.create_task(queue.pop(2))
    second = asyncio.create_task(queue.pop(2))
    await asyncio.sleep(0.01)
    queue.push("job")
    first.cancel()
    assert await second == "job"
    assert first.cancelled()


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
        pytest.param("POST", "/queues/jobs", {"job": "text"}, 400, id="job-not-object"),
        pytest.param("POST", "/queues/Bad!", {"job": {}}, 400, id="bad-queue-name"),
        pytest.param("POST", "/queues/jobs/pop?timeout=99", None, 400, id="pop-timeout"),
    ],
)
async def test_bad_requests_get_4xx_json(
    aiohttp_client: AiohttpClient, method: str, path: str, body: object, status: int
) -> None:
    client, _ = await _client(aiohttp_client)
    resp = await client.request(method, path, json=body)
    assert resp.status == status
    assert (await resp.json())["status"] == status


async def test_push_then_pop_and_pop_timeout(aiohttp_client: AiohttpClient) -> None:
    client, _ = await _client(aiohttp_client)
    waiting = asyncio.ensure_future(client.post("/queues/jobs/pop?timeout=2"))
    await asyncio.sleep(0.05)
    resp = await client.post("/queues/jobs", json={"job": {"n": 1}})
    assert resp.status == 202
    popped = await waiting
    assert popped.status == 200
    assert await popped.json() == {"queue": "jobs", "job": {"n": 1}}
    empty = await client.post("/queues/jobs/pop?timeout=0.05")
    assert empty.status == 204
    assert (await (await client.get("/queues/jobs")).json())["length"] == 0
