"""Every Python example of README.md runs, in order, as a reader would paste it.

The README is also the source of the docs site's guides, so these are the docs' examples too.
Blocks share one namespace, like a doctest session. Collector addresses in the examples are
pointed at an in-process collector, and the aiohttp example's stock service at a local one.
A block that fragments a program (top-level `await`) runs inside the test's event loop; one
that runs its own loop (`asyncio.run`) runs in a worker thread.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import io
import logging
import re
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from _support import SPANS
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import aiozipkin as az
from aiozipkin.testing import InMemoryTransport, assert_child_of

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_COLLECTORS = ("http://127.0.0.1:9411/api/v2/spans", "http://zipkin:9411/api/v2/spans")
_STOCK = "http://stock:8081"


def readme_blocks() -> list[str]:
    """The README's Python code blocks, in order."""
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture
async def stock() -> AsyncIterator[TestServer]:
    """The stock service the aiohttp example calls."""
    app = web.Application()

    async def item(request: web.Request) -> web.Response:
        return web.json_response({"item": request.match_info["id"], "count": 3})

    app.router.add_get("/items/{id}", item)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def _myservice() -> types.ModuleType:
    """The `myservice` the testing example imports: one route that queries a database."""
    module = types.ModuleType("myservice")

    async def order(request: web.Request) -> web.Response:
        with az.request_span(request).new_child("SELECT orders", az.CLIENT):
            await asyncio.sleep(0)
        return web.json_response({"id": request.match_info["id"]})

    def create_app() -> web.Application:
        app = web.Application()
        app.router.add_get("/orders/{id}", order)
        return app

    module.create_app = create_app  # type: ignore[attr-defined]
    return module


async def _run(source: str, namespace: dict[str, Any]) -> None:
    code = compile(source, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if "asyncio.run(" in source:
        await asyncio.to_thread(exec, code, namespace)
        return
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        await result


async def test_readme_examples_run(
    collector: TestServer, stock: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = readme_blocks()
    assert blocks, f"no Python examples found in {README}"
    spans_url = str(collector.make_url("/api/v2/spans"))
    monkeypatch.setitem(sys.modules, "myservice", _myservice())
    recorder = InMemoryTransport()
    tracer = await az.create_custom(az.create_endpoint("readme"), transport=recorder)
    namespace: dict[str, Any] = {
        "__name__": "readme",
        "az": az,
        "asyncio": asyncio,
        "logging": logging,
        "tracer": tracer,
        "endpoint": az.create_endpoint("readme"),
        "queue": asyncio.Queue(),
        "body": b'{"order": 1}',
        "aiozipkin_spans": InMemoryTransport(),
        # The Kafka example's producer and consumer: one topic kept in memory.
        **_topic_in_memory(),
    }
    checked: list[str] = []
    for source in blocks:
        for url in _COLLECTORS:
            source = source.replace(url, spans_url)
        source = source.replace(_STOCK, str(stock.make_url("")).rstrip("/"))
        if "kafka://" in source and importlib.util.find_spec("aiokafka") is None:
            # Without the kafka extra the Kafka transport example must say what is missing.
            with pytest.raises(ImportError, match=re.escape("aiozipkin[kafka]")):
                await _run(source, dict(namespace))
            continue
        await _run(source, namespace)
        for marker, check in _CHECKS.items():
            if marker in source:
                await check(namespace, collector, recorder)
                checked.append(marker)
    await tracer.close()
    assert sorted(checked) == sorted(_CHECKS), "an example this test checks is gone"


async def _quick_start(ns: dict[str, Any], collector: TestServer, _: InMemoryTransport) -> None:
    spans = collector.app[SPANS]
    assert {s["name"] for s in spans} >= {"charge card", "fraud check"}, spans


async def _aiohttp_app(ns: dict[str, Any], collector: TestServer, _: InMemoryTransport) -> None:
    client = TestClient(TestServer(await ns["make_app"](), host="127.0.0.1"))
    await client.start_server()
    try:
        async with client.get("/health") as resp:
            assert await resp.text() == "ok"
        # sample_rate=0.1 in the example: the caller's decision makes this trace sampled.
        async with client.get("/orders/7", headers={"b3": "1"}) as resp:
            assert resp.status == 200, await resp.text()
            # The example asks the stock service for the ordered item.
            assert (await resp.json())["stock"]["item"] == "7"
        await client.app[ns["SESSION"]].close()
    finally:
        await client.close()  # the app's cleanup closes its tracer, which flushes
    names = {s["name"]: s for s in collector.app[SPANS]}
    assert "GET /health" not in names
    # The client span is named by the route template the example passes, not the path.
    server, call = names["GET /orders/{id}"], names["GET /items/{id}"]
    assert (server["kind"], call["kind"]) == ("SERVER", "CLIENT")
    assert call["tags"]["http.url"].endswith("/items/7")
    assert call["parentId"] == server["id"]


async def _messaging(ns: dict[str, Any], _: TestServer, recorder: InMemoryTransport) -> None:
    producer = recorder.get("publish order", kind=az.PRODUCER)
    consumer = recorder.get("process order", kind=az.CONSUMER)
    assert_child_of(consumer, producer)


class _Record:
    """A record as aiokafka's consumer yields it, and the metadata its producer answers."""

    def __init__(self, topic: str, offset: int, value: bytes, headers: Any) -> None:
        self.topic, self.partition, self.offset = topic, 0, offset
        self.value, self.headers = value, list(headers or ())


def _topic_in_memory() -> dict[str, Any]:
    records: list[_Record] = []
    committed: list[int] = []

    class Producer:
        async def send_and_wait(self, topic: str, value: Any = None, **kw: Any) -> _Record:
            records.append(_Record(topic, len(records), value, kw.get("headers")))
            return records[-1]

    class Consumer:
        def __aiter__(self) -> AsyncIterator[_Record]:
            async def each() -> AsyncIterator[_Record]:
                for record in list(records):
                    yield record

            return each()

        async def commit(self) -> None:
            committed.append(len(records))

    async def handle(value: bytes) -> None:
        assert value == b'{"order_id": 7}'

    return {"producer": Producer(), "consumer": Consumer(), "handle": handle}


async def _kafka(ns: dict[str, Any], _: TestServer, recorder: InMemoryTransport) -> None:
    producer = recorder.get("publish orders", kind=az.PRODUCER)
    consumer = recorder.get("process orders", kind=az.CONSUMER)
    assert_child_of(consumer, producer)
    assert consumer.tags == {**(consumer.tags or {}), "messaging.kafka.offset": "0"}
    assert (producer.tags or {})["messaging.kafka.offset"] == "0"


async def _log_correlation(ns: dict[str, Any], _: TestServer, __: InMemoryTransport) -> None:
    handler: logging.StreamHandler[Any] = ns["handler"]
    out = io.StringIO()
    handler.setStream(out)
    logger = logging.getLogger("readme")
    logger.setLevel(logging.INFO)
    try:
        with ns["tracer"].new_trace(sampled=True) as span:
            logger.info("inside")
    finally:
        logging.getLogger().removeHandler(handler)
    assert span.context.trace_id in out.getvalue()


async def _own_transport(ns: dict[str, Any], _: TestServer, __: InMemoryTransport) -> None:
    tracer: az.Tracer = ns["tracer"]
    assert ns["transport"].address.path == "/api/v2/spans"
    assert await tracer.close() == 0


async def _testing(ns: dict[str, Any], _: TestServer, __: InMemoryTransport) -> None:
    clients: list[TestClient[Any, Any]] = []

    async def aiohttp_client(app: web.Application) -> TestClient[Any, Any]:
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    spans: InMemoryTransport = ns["aiozipkin_spans"]
    test_tracer = await az.create_custom(az.create_endpoint("test"), transport=spans)
    test: Callable[..., Awaitable[None]] = ns["test_order_is_traced"]
    try:
        await test(aiohttp_client, test_tracer, spans)
    finally:
        for client in clients:
            await client.close()
    # The next example compares the whole tree; the tracer of this one runs inside it.
    ns["tracer"] = test_tracer


_CHECKS: dict[str, Callable[[dict[str, Any], TestServer, InMemoryTransport], Awaitable[None]]] = {
    "async def main()": _quick_start,
    "async def make_app()": _aiohttp_app,
    "az.inject_message(": _messaging,
    "kafka.send_traced(": _kafka,
    "az.TraceLogFilter()": _log_correlation,
    "az.Transport(": _own_transport,
    "async def test_order_is_traced(": _testing,
}
