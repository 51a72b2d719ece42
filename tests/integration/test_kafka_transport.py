"""KafkaTransport against the real broker, Zipkin's Kafka collector and Jaeger's kafka receiver."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiokafka import TopicPartition

import aiozipkin as az
from aiozipkin.kafka import KafkaTransport
from tests.integration.helpers import (
    RecordingTransport,
    jaeger_trace,
    recorded,
    unique_service,
    zipkin_trace,
)
from tests.servers import (
    KAFKA_JSON_TOPIC,
    KAFKA_PROTO3_TOPIC,
    JaegerServer,
    KafkaBroker,
    ServerProcess,
    ZipkinServer,
    start_kafka,
)
from tests.support.kafka import kafka_producer, manual_consumer
from tests.support.polling import eventually


@pytest.fixture
async def tracers() -> AsyncIterator[list[az.Tracer]]:
    """Tracers made by a test; those it did not close are closed at teardown."""
    made: list[az.Tracer] = []
    yield made
    for tracer in made:
        await tracer.close(timeout=1)


async def _tracer(
    made: list[az.Tracer], service: str, *transports: az.TransportABC, **limits: int
) -> az.Tracer:
    endpoint = az.create_endpoint(service, ipv4="127.0.0.1", port=8081)
    tracer = await az.create_custom(
        endpoint,
        transport=RecordingTransport(*transports),
        limits=az.SpanLimits(**limits) if limits else None,
    )
    made.append(tracer)
    return tracer


def _order_trace(tracer: az.Tracer) -> str:
    """A server span with a producer child: the shape of the demo's order."""
    with tracer.new_trace(sampled=True) as server:
        server.kind(az.SERVER)
        server.name("post /orders")
        with tracer.new_child(server.context) as publish:
            publish.kind(az.PRODUCER)
            publish.name("publish orders")
            publish.remote_endpoint("kafka")
            publish.tag("messaging.destination", "orders")
    return server.context.trace_id


@pytest.mark.parametrize(
    ("encoding", "topic", "jaeger_fixture"),
    [
        pytest.param("json", KAFKA_JSON_TOPIC, "kafka_jaeger", id="json"),
        pytest.param("proto3", KAFKA_PROTO3_TOPIC, "kafka_jaeger_proto3", id="proto3"),
    ],
)
async def test_spans_sent_through_kafka_are_queryable_in_zipkin_and_jaeger(
    request: pytest.FixtureRequest,
    kafka: KafkaBroker,
    kafka_zipkin: ZipkinServer,
    http: aiohttp.ClientSession,
    tracers: list[az.Tracer],
    encoding: str,
    topic: str,
    jaeger_fixture: str,
) -> None:
    jaeger: JaegerServer = request.getfixturevalue(jaeger_fixture)
    transport = KafkaTransport(kafka.address(topic), send_interval=0.1, encoding=encoding)
    service = unique_service(f"kafka-{encoding}")
    tracer = await _tracer(tracers, service, transport)

    trace_id = _order_trace(tracer)
    assert await transport.close(timeout=20) == 0

    sent = {span["id"]: span for span in recorded(tracer)}
    stored = await zipkin_trace(http, kafka_zipkin.url, trace_id, 2)
    assert {span["id"]: span["name"] for span in stored} == {
        span_id: span["name"] for span_id, span in sent.items()
    }
    [publish] = [span for span in stored if span.get("kind") == "PRODUCER"]
    assert publish["remoteEndpoint"] == {"serviceName": "kafka"}
    assert publish["tags"] == {"messaging.destination": "orders"}
    trace = await jaeger_trace(http, jaeger.query_url, trace_id, 2)
    assert {span["spanID"] for span in trace["spans"]} == set(sent)
    assert {trace["processes"][s["processID"]]["serviceName"] for s in trace["spans"]} == {service}
    stats = transport.stats()
    assert (stats["spans_sent"], stats["batches_sent"], stats["spans_dropped"]) == (2, 1, 0)


async def test_a_2_mb_span_is_dropped_as_too_large_and_the_others_arrive(
    kafka: KafkaBroker,
    kafka_zipkin: ZipkinServer,
    http: aiohttp.ClientSession,
    tracers: list[az.Tracer],
) -> None:
    transport = KafkaTransport(kafka.address(KAFKA_JSON_TOPIC), send_interval=0.1)
    tracer = await _tracer(
        tracers, unique_service("kafka-large"), transport, max_tag_value_length=3_000_000
    )

    with tracer.new_trace(sampled=True) as huge:
        huge.name("huge")
        huge.tag("payload", "x" * (2 * 1024 * 1024))
    trace_id = _order_trace(tracer)
    assert await transport.close(timeout=20) == 0

    stats = transport.stats()
    assert stats["dropped_too_large"] == 1
    assert stats["spans_sent"] == 2
    assert len(await zipkin_trace(http, kafka_zipkin.url, trace_id, 2)) == 2
    async with http.get(f"{kafka_zipkin.url}/api/v2/trace/{huge.context.trace_id}") as resp:
        assert resp.status == 404


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[list[tuple[ServerProcess, KafkaBroker]]]:
    """Brokers a test starts and stops itself; whatever still runs is stopped at teardown."""
    started: list[tuple[ServerProcess, KafkaBroker]] = []
    yield started
    for process, _ in started:
        process.stop()


async def _start_broker(
    started: list[tuple[ServerProcess, KafkaBroker]], log_dir: Path, **kwargs: object
) -> KafkaBroker:
    # In a thread: the wait for the broker must not stall the loop the transport runs in.
    process, broker = await asyncio.to_thread(start_kafka, log_dir, **kwargs)  # type: ignore[arg-type]
    started.append((process, broker))
    return broker


async def _span_ids_on(broker: KafkaBroker, topic: str) -> list[str]:
    """The id of every span in every record of `topic`, read from its start."""
    async with kafka_producer(broker.bootstrap_servers) as producer:
        partitions = [TopicPartition(topic, p) for p in await producer.partitions_for(topic)]
    async with manual_consumer(broker.bootstrap_servers) as consumer:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        ids: list[str] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    ids.extend(span["id"] for span in json.loads(record.value))
        return ids


async def test_a_broker_down_for_15_s_loses_and_repeats_no_span(
    tmp_path: Path,
    own_broker: list[tuple[ServerProcess, KafkaBroker]],
    tracers: list[az.Tracer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aiozipkin")
    broker = await _start_broker(own_broker, tmp_path)
    topic = f"outage-{uuid.uuid4().hex[:8]}"
    transport = KafkaTransport(
        broker.address(topic), send_interval=0.1, send_timeout=3.0, retry_budget=600.0
    )
    tracer = await _tracer(tracers, unique_service("kafka-outage"), transport)

    async def send_for(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with tracer.new_trace(sampled=True) as span:
                span.name("tick")
            await asyncio.sleep(0.05)

    await send_for(2.0)
    await eventually(
        lambda: _true_when(transport.stats()["spans_sent"] == len(recorded(tracer))),
        what="the spans before the outage delivered",
    )
    process, _ = own_broker.pop()
    await asyncio.to_thread(process.stop)
    await send_for(15.0)
    assert transport.stats()["queue_spans"] > 0, "the spans of the outage should wait"
    await _start_broker(
        own_broker,
        tmp_path,
        port=int(broker.bootstrap_servers.rsplit(":", 1)[1]),
        controller_port=broker.controller_port,
        data_dir=broker.data_dir,
    )
    await send_for(2.0)
    assert await transport.close(timeout=60) == 0

    sent = [span["id"] for span in recorded(tracer)]
    on_topic = await _span_ids_on(broker, topic)
    repeated = [i for i, n in collections.Counter(on_topic).items() if n > 1]
    assert repeated == [], f"{len(repeated)} spans arrived more than once"
    assert sorted(on_topic) == sorted(sent)
    stats = transport.stats()
    assert stats["spans_dropped"] == 0
    assert stats["retries"] > 0
    aiozipkin_log = [r.getMessage() for r in caplog.records if r.name == "aiozipkin"]
    assert any(" fail (" in message for message in aiozipkin_log), aiozipkin_log
    assert any("succeed again" in message for message in aiozipkin_log), aiozipkin_log


async def _true_when(condition: bool) -> bool | None:
    return True if condition else None


async def test_a_broker_that_never_comes_back_does_not_hold_up_the_event_loop(
    tmp_path: Path,
    own_broker: list[tuple[ServerProcess, KafkaBroker]],
    tracers: list[az.Tracer],
) -> None:
    broker = await _start_broker(own_broker, tmp_path)
    transport = KafkaTransport(broker.address("gone"), send_interval=0.1, send_timeout=2.0)
    tracer = await _tracer(tracers, unique_service("kafka-gone"), transport)
    with tracer.new_trace(sampled=True) as span:
        span.name("before")
    await eventually(
        lambda: _true_when(transport.stats()["spans_sent"] == 1), what="the first span sent"
    )
    process, _ = own_broker.pop()
    await asyncio.to_thread(process.stop)

    # As bench/transport_loop_lag measures it: spans every millisecond, and a probe that
    # sleeps 1 ms at a time and records how late it wakes, while the sender retries.
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    deadline = loop.time() + 8.0
    while loop.time() < deadline:
        for _ in range(2):
            with tracer.new_trace(sampled=True) as span:
                span.name("get /orders/{id}")
                span.tag("http.status_code", 200)
        start = loop.time()
        await asyncio.sleep(0.001)
        lags.append(loop.time() - start - 0.001)
    started = time.monotonic()
    undelivered = await transport.close(timeout=1.0)
    close_took = time.monotonic() - started

    lags.sort()
    p99 = lags[int(len(lags) * 0.99)]
    stats = transport.stats()
    assert stats["retries"] > 0
    assert undelivered > 0
    assert undelivered == stats["dropped_shutdown"]
    # The target (p99 < 5 ms) is measured by bench/transport_kafka on a quiet machine. Here the
    # bound checks that nothing waits for the dead broker on the loop (a blocked connect or
    # send would cost 100 ms to seconds); it leaves room for the CPU the other processes of
    # a loaded test machine take. Median and p99 are in the message when it fails.
    assert p99 < 0.05, (
        f"loop lag p99 {p99 * 1000:.1f} ms, median {statistics.median(lags) * 1e3:.2f}"
    )
    # close() gives up at its timeout, plus the producer's own stop (bounded by send_timeout).
    assert close_took < 10.0
