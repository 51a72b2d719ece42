"""The transport against the real Zipkin and Jaeger: encodings, retries, hangs and fan-out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import aiozipkin as az
from aiozipkin.context import generate_random_64bit_string, generate_random_128bit_string
from aiozipkin.testing import zipkin_json
from tests.integration.helpers import (
    JsonSpan,
    as_zipkin_stores,
    jaeger_trace,
    unique_service,
    zipkin_trace,
)
from tests.servers import JaegerServer, ZipkinServer
from tests.support.collectors import (
    SPANS_PATH,
    HungCollector,
    refusing_url,
    still_served_while_hung,
)
from tests.support.polling import eventually


def now_us() -> int:
    return int(time.time() * 1_000_000)


def varied_trace(trace_id: str, service: str, start: int) -> list[az.Record]:
    """A trace with every field Zipkin stores, and text that needs escaping or is not ASCII."""
    local = az.create_endpoint(service, ipv4="10.1.2.3", port=8080)
    root_id = "00000000000000a1"

    def record(span_id: str, parent_id: str | None, **fields: Any) -> az.Record:
        context = az.TraceContext(trace_id, parent_id, span_id, True, False, False)
        rec = az.Record(context, local)
        for key, value in fields.items():
            setattr(rec, key, value)
        return rec

    root = record(
        root_id,
        None,
        kind="SERVER",
        name='get /books/{id} "quoted" \\ é',
        timestamp=start,
        duration=120_000,
        annotations=[(start + 10, "wire recv"), (start + 20, "naïve ✓ 😀")],
        tags={"http.path": "/books/42", "quote": 'say "hi"\n\ttab', "emoji": "😀"},
        remote_endpoint=az.create_endpoint("browser", ipv6="2001:db8::1", port=55000),
    )

    def child(span_id: str, offset: int, **fields: Any) -> az.Record:
        """A child of the root that starts `offset` microseconds after it."""
        return record(span_id, root_id, timestamp=start + offset, **fields)

    client = child(
        "00000000000000a2",
        100,
        kind="CLIENT",
        name="select",
        duration=50_000,
        tags={"db.statement": "SELECT * FROM t WHERE name = 'x'"},
        remote_endpoint=az.create_endpoint("postgres", ipv4="10.9.9.9", port=5432),
    )
    producer = child(
        "00000000000000a3", 200, kind="PRODUCER", name="publish", duration=3, debug=True
    )
    local_span = child("00000000000000a4", 300, name="compute", duration=1)
    return [root, client, producer, local_span]


def without_trace_id(spans: list[JsonSpan]) -> list[JsonSpan]:
    return sorted(
        ({k: v for k, v in span.items() if k != "traceId"} for span in spans),
        key=lambda span: span["id"],
    )


@pytest.mark.parametrize(
    ("encoding", "gzip"),
    [
        pytest.param("json", False, id="json"),
        pytest.param("json", True, id="json-gzip"),
        pytest.param("proto3", False, id="proto3"),
        pytest.param("proto3", True, id="proto3-gzip"),
    ],
)
@pytest.mark.parametrize("width", [pytest.param(16, id="64bit"), pytest.param(32, id="128bit")])
async def test_zipkin_accepts_each_encoding_and_reads_back_the_same_spans(
    zipkin: ZipkinServer, http: aiohttp.ClientSession, encoding: str, gzip: bool, width: int
) -> None:
    service = unique_service(f"enc-{encoding}")
    new_id = generate_random_64bit_string if width == 16 else generate_random_128bit_string
    reference_id, trace_id = new_id(), new_id()

    # The reference: the same trace, sent as plain JSON.
    reference = az.Transport(zipkin.spans_url, send_interval=0.05, gzip=False)
    start = now_us()
    for rec in varied_trace(reference_id, service, start):
        reference.send(rec)
    transport = az.Transport(zipkin.spans_url, send_interval=0.05, encoding=encoding, gzip=gzip)
    records = varied_trace(trace_id, service, start)
    for rec in records:
        transport.send(rec)
    assert await reference.close() == 0
    assert await transport.close() == 0

    stored = await zipkin_trace(http, zipkin.url, trace_id, len(records))
    stored_reference = await zipkin_trace(http, zipkin.url, reference_id, len(records))
    assert without_trace_id(stored) == without_trace_id(stored_reference)
    assert without_trace_id(stored) == without_trace_id(
        as_zipkin_stores([zipkin_json(r) for r in records])
    )
    stats = transport.stats()
    assert stats["spans_sent"] == len(records)
    assert stats["batches_rejected"] == stats["spans_dropped"] == 0


@dataclass
class FlakyProxy:
    """Answers the first `failures` uploads with 503 + Retry-After, then relays to Zipkin."""

    upstream: str
    failures: int
    retry_after: str = "1"
    attempts: list[float] = field(default_factory=list)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts.append(time.monotonic())
        body = await request.read()
        if len(self.attempts) <= self.failures:
            return web.Response(
                status=503, headers={"Retry-After": self.retry_after}, text="restarting"
            )
        headers = {
            k: v for k, v in request.headers.items() if k in ("Content-Type", "Content-Encoding")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.upstream, data=body, headers=headers) as resp,
        ):
            return web.Response(status=resp.status, body=await resp.read())

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url(SPANS_PATH))


@pytest.fixture
async def flaky_proxy(zipkin: ZipkinServer) -> AsyncIterator[FlakyProxy]:
    proxy = FlakyProxy(zipkin.spans_url, failures=2)
    # Raw bodies: the proxy relays the gzip stream untouched.
    app = web.Application(handler_args={"auto_decompress": False})
    app.router.add_post(SPANS_PATH, proxy.handle)
    proxy.server = TestServer(app)
    await proxy.server.start_server()
    yield proxy
    await proxy.server.close()


async def test_503_with_retry_after_then_accepted(
    zipkin: ZipkinServer, http: aiohttp.ClientSession, flaky_proxy: FlakyProxy
) -> None:
    service = unique_service("flaky")
    tracer = await az.create(
        flaky_proxy.url,
        az.create_endpoint(service),
        sample_rate=1.0,
        send_interval=0.05,
    )
    with tracer.new_trace() as root:
        root.name("root")
        for n in range(5):
            with tracer.new_child(root.context) as child:
                child.name(f"child {n}")
    trace_id = root.context.trace_id
    stored = await zipkin_trace(http, zipkin.url, trace_id, 6)
    assert sorted(s["name"] for s in stored) == [
        "child 0",
        "child 1",
        "child 2",
        "child 3",
        "child 4",
        "root",
    ]
    first, second, third = flaky_proxy.attempts
    assert second - first >= 0.9
    assert third - second >= 0.9
    # The transport counts the batch once it has read the answer, after Zipkin stored it.
    await eventually(lambda: tracer.stats()["spans_sent"] == 6, what="the batch counted")
    stats = tracer.stats()
    assert stats["retries"] == 2
    assert stats["spans_sent"] == 6
    assert stats["batches_sent"] == 1
    assert stats["spans_dropped"] == 0
    await tracer.close()
    # Still exactly once after close.
    assert len(await zipkin_trace(http, zipkin.url, trace_id, 6)) == 6


@pytest.fixture
async def hung_url() -> AsyncIterator[tuple[HungCollector, str]]:
    hung = HungCollector()
    url = await hung.start()
    yield hung, url
    await hung.stop()


async def test_a_hung_collector_does_not_slow_a_traced_app(
    zipkin: ZipkinServer,
    http: aiohttp.ClientSession,
    hung_url: tuple[HungCollector, str],
) -> None:
    hung, url = hung_url
    service = unique_service("hung")
    tracer = await az.create(
        [url, zipkin.spans_url], az.create_endpoint(service), sample_rate=1.0, send_interval=0.05
    )

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/work", handler)
    az.setup(app, tracer)
    server = TestServer(app)
    await server.start_server()
    try:
        # An upload hangs; every request is still served, and Zipkin still gets the spans.
        await still_served_while_hung(http, server.make_url("/work"), hung, more=100)
        multi = tracer.transport
        assert isinstance(multi, az.MultiTransport)
        hung_transport, zipkin_transport = multi.transports
        await eventually(_sent_all(zipkin_transport, 101), what="101 spans at Zipkin", timeout=20)
        stats = hung_transport.stats()
        assert stats["spans_sent"] == 0
        assert stats["queue_spans"] == 101
        assert await multi.close(timeout=0.5) == 101
    finally:
        await server.close()
        await tracer.close()
    traces = await _service_traces(http, zipkin.url, service)
    assert sum(len(t) for t in traces) == 101


def _sent_all(transport: az.TransportABC, count: int) -> Callable[[], Any]:
    async def probe() -> bool | None:
        return True if transport.stats()["spans_sent"] == count else None

    return probe


async def _service_traces(
    http: aiohttp.ClientSession, zipkin_url: str, service: str
) -> list[list[JsonSpan]]:
    params = {"serviceName": service, "limit": "100000", "lookback": "3600000"}
    async with http.get(f"{zipkin_url}/api/v2/traces", params=params) as resp:
        assert resp.status == 200, await resp.text()
        traces: list[list[JsonSpan]] = await resp.json()
    return traces


@pytest.mark.parametrize("encoding", ["json", "proto3"])
@pytest.mark.parametrize("down", [None, "zipkin", "jaeger"])
async def test_fan_out_to_zipkin_and_jaeger_with_one_down(
    zipkin: ZipkinServer,
    jaeger: JaegerServer,
    http: aiohttp.ClientSession,
    down: str | None,
    encoding: str,
) -> None:
    service = unique_service("fanout")
    zipkin_url = refusing_url() if down == "zipkin" else zipkin.spans_url
    jaeger_url = refusing_url() if down == "jaeger" else jaeger.spans_url
    tracer = await az.create(
        [zipkin_url, jaeger_url],
        az.create_endpoint(service, ipv4="127.0.0.1", port=8080),
        sample_rate=1.0,
        send_interval=0.05,
        encoding=encoding,
    )
    multi = tracer.transport
    assert isinstance(multi, az.MultiTransport)
    to_zipkin, to_jaeger = multi.transports
    with tracer.new_trace() as root:
        root.name("fan out")
        root.kind(az.SERVER)
        for n in range(9):
            with tracer.new_child(root.context) as child:
                child.name(f"leaf {n}")
    trace_id = root.context.trace_id

    # The live collectors get everything while the dead one is still being retried.
    if down != "zipkin":
        stored = await zipkin_trace(http, zipkin.url, trace_id, 10)
        assert {s["name"] for s in stored} == {"fan out", *(f"leaf {n}" for n in range(9))}
    if down != "jaeger":
        trace = await jaeger_trace(http, jaeger.query_url, trace_id, 10)
        assert {s["operationName"] for s in trace["spans"]} == {
            "fan out",
            *(f"leaf {n}" for n in range(9)),
        }
    dead = {"zipkin": to_zipkin, "jaeger": to_jaeger}.get(down or "")
    if dead is not None:
        await eventually(_retried(dead), what="a retry to the dead collector")
        assert dead.stats()["queue_spans"] == 10
    undelivered = await multi.close(timeout=0.2)
    assert undelivered == (10 if dead is not None else 0)
    for transport in (to_zipkin, to_jaeger):
        stats = transport.stats()
        if transport is dead:
            assert stats["spans_sent"] == 0
            assert stats["dropped_shutdown"] == 10
        else:
            assert stats["spans_sent"] == 10
            assert stats["spans_dropped"] == 0
    await tracer.close()


def _retried(transport: az.TransportABC) -> Callable[[], Any]:
    async def probe() -> bool | None:
        return True if transport.stats()["retries"] >= 1 else None

    return probe
