"""The HTTP transport against an in-process collector: batching, bounds, encodings, close."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest

import aiozipkin as az
from aiozipkin._transport import codec, compress
from aiozipkin.encoding import encode_span_json
from aiozipkin.testing import zipkin_json
from tests.support.collectors import Collector, refusing_url
from tests.support.polling import eventually
from tests.support.spans import ENDPOINT, accounted, make_record, make_records

# --- the wire format --------------------------------------------------------------------------


@pytest.fixture(params=["isal", "zlib"])
def gzip_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test using it runs with both gzip backends: ISA-L (the speedups extra) and zlib."""
    name: str = request.param
    if name == "zlib":
        monkeypatch.setattr(compress, "DEFLATE", compress.ZLIB)
    else:
        # requirements-dev.txt installs the extra; without it this fails rather than skips.
        assert compress.DEFLATE.name == "isal", "isal is not installed: pip install ./lib[speedups]"
    return name


def test_isal_is_used_when_installed_and_zlib_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert compress.pick_deflate().name == "isal"
    monkeypatch.setitem(sys.modules, "isal", None)  # as if not installed: the import fails
    assert compress.pick_deflate() == ("zlib", zlib, 1)


async def test_spans_arrive_as_gzipped_json_with_b3_deny(
    collector: Collector, transports: Callable[..., az.Transport], gzip_backend: str
) -> None:
    transport = transports(collector.url, send_interval=0.05)
    assert transport.gzip_backend == gzip_backend
    records = make_records(5)
    for record in records:
        transport.send(record)
    # The transport counts a batch once the answer is in, a moment after the collector has it.
    await eventually(lambda: transport.stats()["spans_sent"] == 5, what="5 spans sent")
    (batch,) = collector.accepted
    assert batch.headers["Content-Type"] == "application/json"
    assert batch.headers["Content-Encoding"] == "gzip"
    assert batch.headers["b3"] == "0"
    assert "X-B3-TraceId" not in batch.headers
    assert json.loads(gzip.decompress(batch.body)) == [zipkin_json(r) for r in records]
    stats = transport.stats()
    assert stats["spans_queued"] == stats["spans_sent"] == 5
    assert stats["batches_sent"] == 1
    assert stats["bytes_sent"] == len(batch.body)
    assert stats["bytes_encoded"] == len(gzip.decompress(batch.body))
    assert stats["queue_spans"] == stats["queue_bytes"] == stats["spans_dropped"] == 0


async def test_gzip_off_sends_plain_bodies(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=0.05, gzip=False)
    assert transport.gzip_backend is None
    record = make_record()
    transport.send(record)
    await eventually(lambda: collector.accepted, what="a batch")
    (batch,) = collector.accepted
    assert "Content-Encoding" not in batch.headers
    assert batch.body == b"[" + encode_span_json(record) + b"]"


@pytest.mark.parametrize(
    "gzip_on", [pytest.param(True, id="gzip"), pytest.param(False, id="plain")]
)
async def test_proto3_batches(
    collector: Collector, transports: Callable[..., az.Transport], gzip_on: bool, gzip_backend: str
) -> None:
    transport = transports(collector.url, send_interval=0.05, encoding="proto3", gzip=gzip_on)
    records = make_records(3)
    for record in records:
        transport.send(record)
    await eventually(lambda: len(collector.spans) == 3, what="3 spans")
    assert collector.accepted[0].headers["Content-Type"] == "application/x-protobuf"
    assert collector.spans == [zipkin_json(r) for r in records]
    assert transport.encoding is az.Encoding.PROTO3


async def test_large_bodies_are_gzipped_in_chunks(
    collector: Collector, transports: Callable[..., az.Transport], gzip_backend: str
) -> None:
    transport = transports(collector.url, send_interval=0.05, send_max_size=1000)
    records = [make_record(n, tags={"blob": f"{n}-" + "x" * 2000}) for n in range(300)]
    for record in records:
        transport.send(record)
    await eventually(lambda: len(collector.spans) == 300, what="300 spans")
    assert max(len(gzip.decompress(b.body)) for b in collector.accepted) > 4 * 32 * 1024
    assert collector.spans == [zipkin_json(r) for r in records]


# --- batching ---------------------------------------------------------------------------------


async def test_a_full_batch_is_sent_without_waiting_for_the_interval(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=3600, send_max_size=10)
    for record in make_records(25):
        transport.send(record)
    await eventually(lambda: transport.stats()["batches_sent"] == 2, what="two full batches")
    assert [len(b.spans) for b in collector.accepted] == [10, 10]
    assert transport.stats()["queue_spans"] == 5


async def test_a_batch_filling_up_wakes_the_idle_sender(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=3600, send_max_size=10)
    transport.send(make_record(0))
    await eventually(lambda: transport.sender_idle, what="the sender asleep")
    for record in make_records(9, start=1):
        transport.send(record)
    await eventually(lambda: collector.accepted, what="the full batch")
    assert [len(b.spans) for b in collector.accepted] == [10]


async def test_a_partial_batch_waits_for_the_interval(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=0.3, send_max_size=10)
    started = time.monotonic()
    for record in make_records(3):
        transport.send(record)
    batch = await eventually(lambda: collector.accepted, what="the interval flush")
    assert batch[0].at - started >= 0.25
    assert len(batch[0].spans) == 3


async def test_batches_are_capped_by_bytes(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    cap = 4096
    transport = transports(
        collector.url, send_interval=3600, send_max_size=1000, message_max_bytes=cap, gzip=False
    )
    records = [make_record(n, tags={"pad": "p" * (100 + n)}) for n in range(60)]
    for record in records:
        transport.send(record)
    # Bytes fill a batch long before 1000 spans: full batches go at once.
    await eventually(lambda: len(collector.accepted) >= 2, what="batches full by bytes")
    await transport.close()
    assert all(len(b.body) <= cap for b in collector.accepted)
    # Each batch is the longest run that fits: the span after it would have gone over.
    sizes = [len(encode_span_json(r)) for r in records]
    sent = 0
    for batch in collector.accepted[:-1]:
        sent += len(batch.spans)
        assert len(batch.body) + 1 + sizes[sent] > cap
    assert collector.spans == [zipkin_json(r) for r in records]
    assert transport.stats()["queue_bytes"] == 0


# --- bounds and drops -------------------------------------------------------------------------


async def test_queue_is_bounded_by_span_count(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=3600, max_queue_spans=5)
    for record in make_records(12):
        transport.send(record)  # synchronous: the sender has not run in between
    stats = transport.stats()
    assert stats["queue_spans"] == 5
    assert stats["dropped_queue_full"] == stats["spans_dropped"] == 7
    assert await transport.close() == 0
    assert len(collector.spans) == 5
    assert [s["name"] for s in collector.spans] == [f"op-{n}" for n in range(5)]


async def test_queue_is_bounded_by_bytes(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    size = len(encode_span_json(make_record(0)))
    transport = transports(collector.url, send_interval=3600, max_queue_bytes=3 * size + size // 2)
    for record in make_records(6):
        transport.send(record)
    stats = transport.stats()
    assert stats["queue_spans"] == 3
    assert stats["queue_bytes"] == 3 * size
    assert stats["dropped_queue_full"] == 3
    # Room again once the queue has drained.
    await transport.close()
    assert len(collector.spans) == 3


async def test_a_span_larger_than_a_message_is_dropped(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=0.05, message_max_bytes=1000)
    transport.send(make_record(0, tags={"big": "b" * 2000}))
    transport.send(make_record(1))
    await eventually(lambda: collector.spans and transport.sender_idle, what="the small span")
    stats = transport.stats()
    assert stats["dropped_too_large"] == 1
    assert [s["name"] for s in collector.spans] == ["op-1"]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"timestamp": 1.5}, id="float-timestamp"),
        pytest.param({"tags": {"k": object()}}, id="object-tag"),
        pytest.param({"trace_id": None}, id="no-trace-id"),
    ],
)
async def test_a_span_that_cannot_be_encoded_is_dropped_and_logged_once(
    collector: Collector,
    transports: Callable[..., az.Transport],
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, Any],
) -> None:
    transport = transports(collector.url, send_interval=0.05)
    for n in range(3):
        transport.send(make_record(n, **fields))
    transport.send(make_record(3))
    await eventually(lambda: collector.spans and transport.sender_idle, what="the good span")
    assert transport.stats()["dropped_encode"] == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "could not encode" in errors[0].getMessage()
    assert errors[0].exc_info is not None


async def test_drops_warn_at_most_once_per_interval(
    collector: Collector, transports: Callable[..., az.Transport], caplog: pytest.LogCaptureFixture
) -> None:
    transport = transports(collector.url, send_interval=3600, max_queue_spans=1)
    with caplog.at_level(logging.WARNING, logger="aiozipkin"):
        for record in make_records(1000):
            transport.send(record)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "dropped 1 spans" in warnings[0].getMessage()
    assert "queue_full=1" in warnings[0].getMessage()
    assert transport.stats()["dropped_queue_full"] == 999


async def test_send_never_raises(transports: Callable[..., az.Transport]) -> None:
    transport = transports(refusing_url())
    transport.send(None)  # type: ignore[arg-type]
    transport.send(make_record(0))
    assert transport.stats()["dropped_encode"] == 1
    assert transport.stats()["spans_queued"] == 1


async def test_spans_from_other_threads_are_queued_by_the_loop(
    collector: Collector, transports: Callable[..., az.Transport]
) -> None:
    transport = transports(collector.url, send_interval=0.01, send_max_size=50)
    transport.send(make_record(0))  # the sender now runs in this loop's thread

    def from_a_thread(start: int) -> None:
        for record in make_records(500, start=start):
            transport.send(record)

    loop = asyncio.get_running_loop()
    await asyncio.gather(
        *(loop.run_in_executor(None, from_a_thread, 1 + 500 * n) for n in range(4)),
        asyncio.to_thread(from_a_thread, 2001),
    )
    for record in make_records(99, start=2501):
        transport.send(record)
    await eventually(lambda: transport.stats()["spans_sent"] == 2600, what="2600 spans sent")
    assert sorted(s["name"] for s in collector.spans) == sorted(f"op-{n}" for n in range(2600))
    stats = transport.stats()
    assert stats["spans_queued"] == stats["spans_sent"] == 2600
    assert stats["queue_spans"] == stats["queue_bytes"] == 0


# --- close ------------------------------------------------------------------------------------


async def test_close_drains_the_queue_and_is_idempotent(
    collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    transport = az.Transport(collector.url, send_interval=3600, send_max_size=7)
    for record in make_records(30):
        transport.send(record)
    assert await transport.close() == 0
    assert len(collector.spans) == 30
    assert await transport.close() == 0
    transport.send(make_record(99))
    stats = transport.stats()
    assert stats["dropped_shutdown"] == 1
    assert stats["spans_sent"] == 30
    assert accounted(stats) == 31
    assert "not delivered" not in caplog.text


async def test_concurrent_closes_share_one_result(collector: Collector) -> None:
    transport = az.Transport(collector.url, send_interval=3600)
    for record in make_records(4):
        transport.send(record)
    results = await asyncio.gather(*(transport.close() for _ in range(3)))
    assert results == [0, 0, 0]
    assert len(collector.spans) == 4


async def test_close_with_a_dead_collector_returns_what_was_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = az.Transport(refusing_url(), send_interval=0.01)
    for record in make_records(8):
        transport.send(record)
    await eventually(lambda: transport.stats()["retries"] >= 1, what="a retry")
    assert await transport.close(timeout=0.1) == 8
    assert await transport.close(timeout=0.1) == 8
    stats = transport.stats()
    assert stats["dropped_shutdown"] == 8
    assert stats["queue_spans"] == stats["queue_bytes"] == 0
    assert accounted(stats) == 8
    assert "closed with 8 spans not delivered" in caplog.text


@pytest.fixture
def collector_url() -> Iterator[str]:
    """A collector in a thread of its own, for tests that run their own event loop."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    def serve() -> None:
        async def main() -> None:
            collector = Collector()
            await collector.start()
            state["url"] = collector.url
            state["stop"] = asyncio.Event()
            state["loop"] = asyncio.get_running_loop()
            ready.set()
            await state["stop"].wait()
            await collector.stop()

        asyncio.run(main())

    thread = threading.Thread(target=serve)
    thread.start()
    assert ready.wait(10)
    yield str(state["url"])
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


def test_spans_sent_before_the_loop_runs_are_delivered_at_close(collector_url: str) -> None:
    transport = az.Transport(collector_url, send_interval=3600)
    for record in make_records(3):
        transport.send(record)  # no running loop: queued only

    async def close_and_count() -> int:
        return await transport.close()

    assert asyncio.run(close_and_count()) == 0
    assert transport.stats()["spans_sent"] == 3


def test_a_transport_outlives_an_event_loop(collector_url: str) -> None:
    transport = az.Transport(collector_url, send_interval=3600)

    async def send_some(start: int) -> None:
        for record in make_records(3, start=start):
            transport.send(record)  # starts the sender in this loop

    # asyncio.run cancels the sender at exit; the spans stay queued for the next loop.
    asyncio.run(send_some(0))
    assert transport.stats()["queue_spans"] == 3

    async def send_more_and_close() -> int:
        await send_some(3)
        return await transport.close()

    assert asyncio.run(send_more_and_close()) == 0
    assert transport.stats()["spans_sent"] == 6


# --- the tracer and fan-out ---------------------------------------------------------------------


async def test_create_reports_through_the_transport_and_exposes_stats(
    collector: Collector,
) -> None:
    async with az.create(
        collector.url, ENDPOINT, sample_rate=1.0, send_interval=0.05, encoding="proto3"
    ) as tracer:
        assert isinstance(tracer.transport, az.Transport)
        with tracer.new_trace() as span:
            span.name("root")
        await eventually(lambda: tracer.stats()["spans_sent"], what="the span sent")
        stats = tracer.stats()
        assert stats["spans_sent"] == 1
        assert stats["report_errors"] == 0
    assert collector.accepted[0].headers["Content-Type"] == "application/x-protobuf"
    assert collector.spans[0]["name"] == "root"


async def test_uploads_are_not_traced_by_an_instrumented_session(collector: Collector) -> None:
    tracer = await az.create(collector.url, ENDPOINT, sample_rate=1.0, send_interval=0.05)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace() as span:
            span.name("outer")
            # The app's own traced request to somewhere else, while a span is current.
            async with session.get(collector.make_url("/elsewhere")) as resp:
                assert resp.status == 404
            await eventually(lambda: collector.spans, what="the client span")
    await tracer.close()
    names = {s["name"] for s in collector.spans}
    assert names == {"GET", "outer"}  # a client span without a route is named by its method
    for batch in collector.attempts:
        assert batch.headers["b3"] == "0"
        assert not any(h.lower().startswith("x-b3") for h in batch.headers)
        assert "traceparent" not in batch.headers


async def test_fan_out_keeps_one_queue_per_collector(
    collector: Collector, fast_backoff: None, caplog: pytest.LogCaptureFixture
) -> None:
    dead_url = refusing_url()
    async with az.create(
        [dead_url, collector.url], ENDPOINT, sample_rate=1.0, send_interval=0.05
    ) as tracer:
        multi = tracer.transport
        assert isinstance(multi, az.MultiTransport)
        dead, alive = multi.transports
        for n in range(20):
            with tracer.new_trace() as span:
                span.name(f"s{n}")
        await eventually(lambda: alive.stats()["spans_sent"] == 20, what="20 spans at the live one")
        await eventually(lambda: dead.stats()["retries"] >= 2, what="retries to the dead one")
        assert alive.stats()["spans_sent"] == 20
        assert dead.stats()["spans_sent"] == 0
        assert dead.stats()["queue_spans"] == 20
        assert tracer.stats()["spans_queued"] == 40
        assert await multi.close(timeout=0.05) == 20
    assert tracer.stats()["dropped_shutdown"] == 20
    assert "uploads to" in caplog.text


async def test_fan_out_encodes_once_per_encoding(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = codec.CODECS[az.Encoding.JSON]

    def counting(record: az.Record) -> bytes:
        calls.append(record)
        return real.encode(record)

    monkeypatch.setitem(codec.CODECS, az.Encoding.JSON, real._replace(encode=counting))
    targets = [az.Transport(collector.url, send_interval=0.05) for _ in range(3)]
    stub = az.StubTransport()
    multi = az.MultiTransport([*targets, stub])
    multi.send(make_record(0))
    assert len(calls) == 1
    assert len(stub.records) == 1
    assert await multi.close() == 0
    assert len(collector.spans) == 3


# --- the documented constructor ---------------------------------------------------------------


async def test_documented_arguments_keep_working(collector: Collector) -> None:
    transport = az.Transport(
        collector.url,
        0.05,
        send_max_size=2,
        send_attempt_count=3,
        send_timeout=aiohttp.ClientTimeout(total=1),
    )
    for record in make_records(5):
        transport.send(record)
    await eventually(lambda: len(collector.spans) == 5, what="5 spans")
    assert [len(b.spans) for b in collector.accepted] == [2, 2, 1]
    await transport.close()


async def test_extra_headers_go_with_every_upload(collector: Collector) -> None:
    transport = az.Transport(
        collector.url, 0.05, headers={"Authorization": "Bearer s3cret", "X-Tenant": "shop"}
    )
    transport.send(make_record())
    await eventually(lambda: collector.accepted, what="the upload")
    await transport.close()
    headers = collector.accepted[0].headers
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["X-Tenant"] == "shop"
    assert headers["b3"] == "0"
    assert headers["Content-Type"] == "application/json"


async def test_uploads_go_through_the_callers_session_factory(collector: Collector) -> None:
    made: list[aiohttp.ClientSession] = []

    def factory() -> aiohttp.ClientSession:
        made.append(aiohttp.ClientSession(headers={"X-Via": "factory"}))
        return made[-1]

    transport = az.Transport(collector.url, 0.05, session_factory=factory)
    transport.send(make_record())
    await eventually(lambda: collector.accepted, what="the upload")
    assert await transport.close() == 0
    assert len(made) == 1
    assert collector.accepted[0].headers["X-Via"] == "factory"
    assert made[0].closed  # the transport closes the sessions it had made


async def test_a_failing_session_factory_never_reaches_the_app(
    collector: Collector, fast_backoff: None
) -> None:
    def factory() -> aiohttp.ClientSession:
        raise RuntimeError("no session today")

    transport = az.Transport(collector.url, 0.01, session_factory=factory, retry_budget=0.2)
    transport.send(make_record())
    await eventually(lambda: transport.stats()["dropped_failed"], what="the batch given up")
    assert await transport.close() == 0
    assert transport.stats()["retries"] >= 1


@pytest.mark.parametrize(
    ("address", "kwargs", "message"),
    [
        pytest.param("localhost:9411", {}, r"http\(s\) URL", id="no-scheme"),
        pytest.param("ftp://x/api", {}, r"http\(s\) URL", id="ftp"),
        pytest.param("http://x", {"send_interval": 0}, "send_interval", id="interval"),
        pytest.param("http://x", {"send_max_size": 0}, "send_max_size", id="batch"),
        pytest.param("http://x", {"send_attempt_count": 0}, "send_attempt_count", id="attempts"),
        pytest.param("http://x", {"max_queue_spans": 0}, "max_queue_spans", id="spans"),
        pytest.param("http://x", {"max_queue_bytes": 0}, "max_queue_bytes", id="bytes"),
        pytest.param("http://x", {"message_max_bytes": 0}, "message_max_bytes", id="message"),
        pytest.param("http://x", {"retry_budget": -1}, "retry_budget", id="budget"),
        pytest.param("http://x", {"encoding": "thrift"}, "encoding", id="encoding"),
        pytest.param("http://x", {"headers": {"content-type": "x"}}, "headers", id="headers"),
    ],
)
def test_bad_arguments_are_refused(address: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        az.Transport(address, **kwargs)


async def test_stub_transport_counts_and_closes() -> None:
    stub = az.StubTransport()
    stub.send(make_record())
    assert stub.stats() == {"spans_queued": 1, "spans_sent": 1}
    assert await stub.close() == 0
    assert stub.closed
