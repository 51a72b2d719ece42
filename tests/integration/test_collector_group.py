"""Zipkin's production topology: two collectors in one Kafka consumer group, OpenSearch storage
and a query-only Zipkin. A collector killed with SIGKILL while spans flow loses none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer

import aiozipkin as az
from tests.integration.helpers import (
    JsonSpan,
    RecordingTracerFactory,
    SpanKey,
    opensearch_span_count,
    read_until_whole,
    span_key,
    unique_service,
)
from tests.servers import (
    KafkaBroker,
    running,
    start_opensearch,
    start_zipkin,
)
from tests.support.kafka import group_assignment
from tests.support.polling import eventually

_TRACES = 200
_RATE = 20.0  # traces a second: the run lasts 10 s, the kill comes at 5 s
_SPANS_PER_TRACE = 3


def collector_settings(kafka: KafkaBroker, topic: str, group: str) -> dict[str, str]:
    """A Zipkin that only reads `topic` as a member of `group`: no HTTP collector, no API."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC": topic,
        "KAFKA_GROUP_ID": group,
        "COLLECTOR_HTTP_ENABLED": "false",
        "QUERY_ENABLED": "false",
        # The broker's smallest session timeout: a killed member's partitions move to the
        # survivor after 6 s, not the default 45 s. Spring maps these onto
        # zipkin.collector.kafka.overrides.*, passed as they are to the Kafka consumer.
        "ZIPKIN_COLLECTOR_KAFKA_OVERRIDES_SESSION_TIMEOUT_MS": "6000",
        "ZIPKIN_COLLECTOR_KAFKA_OVERRIDES_HEARTBEAT_INTERVAL_MS": "1000",
        # A partition first read after spans arrived starts at its beginning.
        "ZIPKIN_COLLECTOR_KAFKA_OVERRIDES_AUTO_OFFSET_RESET": "earliest",
    }


_QUERY_ONLY = {"COLLECTOR_HTTP_ENABLED": "false"}


async def make_traces(tracer: az.Tracer, count: int) -> list[str]:
    trace_ids = []
    for i in range(count):
        with tracer.new_trace(sampled=True) as root:
            root.name(f"order {i}")
            root.kind(az.SERVER)
            root.tag("order.index", str(i))
            with tracer.new_child(root.context) as child:
                child.name("reserve stock")
                child.kind(az.CLIENT)
            with tracer.new_child(root.context) as child:
                child.name("render")
                child.annotate("rendered")
        trace_ids.append(root.context.trace_id)
    return trace_ids


def by_trace(spans: list[JsonSpan]) -> dict[str, list[JsonSpan]]:
    traces: dict[str, list[JsonSpan]] = {}
    for span in spans:
        traces.setdefault(span["traceId"], []).append(span)
    return traces


async def produce(
    kafka: KafkaBroker, topic: str, traces: dict[str, list[JsonSpan]], halfway: asyncio.Event
) -> None:
    """Send each trace as one message, keyed by its id so the traces spread over partitions."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        start = time.monotonic()
        for n, (trace_id, spans) in enumerate(traces.items()):
            await asyncio.sleep(max(0.0, start + n / _RATE - time.monotonic()))
            await producer.send_and_wait(topic, json.dumps(spans).encode(), key=trace_id.encode())
            if n == len(traces) // 2:
                halfway.set()
    finally:
        await producer.stop()


async def test_a_collector_killed_mid_stream_loses_no_span(
    servers_log_dir: Path,
    opensearch_data: Path,
    kafka: KafkaBroker,
    http: aiohttp.ClientSession,
    recording_tracer: RecordingTracerFactory,
) -> None:
    topic = f"zipkin-{uuid.uuid4().hex[:8]}"
    group = f"collectors-{uuid.uuid4().hex[:8]}"
    tracer, recorder = await recording_tracer(unique_service("shop"))
    trace_ids = await make_traces(tracer, _TRACES)
    await tracer.close()
    traces = by_trace(recorder.sent)
    assert list(traces) == trace_ids
    assert {len(spans) for spans in traces.values()} == {_SPANS_PER_TRACE}

    with contextlib.ExitStack() as servers:
        storage = servers.enter_context(running(start_opensearch(servers_log_dir, opensearch_data)))
        settings = collector_settings(kafka, topic, group)
        doomed = start_zipkin(servers_log_dir, storage=storage, settings=settings)
        servers.enter_context(running(doomed))
        servers.enter_context(
            running(start_zipkin(servers_log_dir, storage=storage, settings=settings))
        )
        api = servers.enter_context(
            running(start_zipkin(servers_log_dir, storage=storage, settings=_QUERY_ONLY))
        )

        async def both_in_group() -> list[int] | None:
            # Two partitions, one each: the one about to be killed holds half the traffic.
            assignment = await group_assignment(kafka.bootstrap_servers, group)
            return assignment if assignment == [1, 1] else None

        await eventually(both_in_group, what=f"one partition per collector in {group}", timeout=60)
        halfway = asyncio.Event()
        producing = asyncio.create_task(produce(kafka, topic, traces, halfway))
        await halfway.wait()
        doomed[0].kill()
        await producing

        async def first_trace_indexed() -> int | None:
            # From then on the day's index exists and the API's searches cannot race its creation.
            found = await opensearch_span_count(http, storage.url, trace_ids[0])
            return found or None

        # Creating the index can take a while on a busy machine.
        await eventually(
            first_trace_indexed, what=f"trace {trace_ids[0]} in OpenSearch", timeout=120
        )

        def whole(trace_id: str, keys: list[SpanKey]) -> bool:
            return {span_key(span) for span in traces[trace_id]} <= set(keys)

        # The killed member's partition waits out its session (6 s) before the survivor reads it.
        stored = await read_until_whole(http, api.url, traces, whole, timeout=120, interval=1.0)
    incomplete = [trace_id for trace_id, keys in stored.items() if not whole(trace_id, keys)]
    duplicates = sum(len(keys) - len(set(keys)) for keys in stored.values())
    print(
        f"collector failover: {len(traces)} traces, {len(traces) * _SPANS_PER_TRACE} spans sent, "
        f"lost {len(incomplete)} traces, {duplicates} spans stored twice"
    )
    assert incomplete == [], f"lost {len(incomplete)} of {len(traces)} traces: {incomplete[:10]}"
