"""KafkaTransport against a fake producer: one record per batch, error classes, never blocking."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    ProducerFenced,
    TopicAuthorizationFailedError,
)

import aiozipkin as az
from aiozipkin import _transport
from aiozipkin._kafka_transport import KafkaAddress, parse_kafka_address
from aiozipkin._transport.batching import BatchSettings
from aiozipkin.encoding import _proto3_list_entry
from aiozipkin.kafka import KafkaTransport

_ENDPOINT = az.create_endpoint("kafka-unit", ipv4="127.0.0.1", port=8080)


class FakeProducer:
    """Records what is produced; each attempt takes the next outcome (None: success)."""

    def __init__(self, world: FakeKafka) -> None:
        self.world = world
        self.started = False
        self.stopped = False

    async def start(self) -> None:
        self.world.starts += 1
        if self.world.start_errors:
            raise self.world.start_errors.pop(0)
        self.started = True

    async def send_and_wait(self, topic: str, value: bytes) -> None:
        assert self.started
        assert not self.stopped
        self.world.attempts += 1
        if self.world.hang:
            await asyncio.Event().wait()
        if self.world.outcomes:
            error = self.world.outcomes.pop(0)
            if error is not None:
                raise error
        self.world.records.append((topic, value))

    async def stop(self) -> None:
        self.stopped = True
        self.world.stops += 1


class FakeKafka:
    """The producers a transport made, and what reached the 'broker'."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes]] = []
        self.outcomes: list[BaseException | None] = []
        self.start_errors: list[BaseException] = []
        self.hang = False
        self.starts = self.stops = self.attempts = 0
        self.loops: list[asyncio.AbstractEventLoop] = []

    def producer(self) -> FakeProducer:
        self.loops.append(asyncio.get_running_loop())
        return FakeProducer(self)


@pytest.fixture
def kafka() -> FakeKafka:
    return FakeKafka()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_transport.retry, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(_transport.retry, "BACKOFF_MAX", 0.05)


def _transport_for(kafka: FakeKafka, **kwargs: Any) -> KafkaTransport:
    kwargs.setdefault("send_interval", 0.05)
    return KafkaTransport("kafka://127.0.0.1:9092/spans", producer_factory=kafka.producer, **kwargs)


async def _spans(count: int, tracer: az.Tracer) -> list[str]:
    ids = []
    for n in range(count):
        with tracer.new_trace(sampled=True) as span:
            span.name(f"op {n}")
        ids.append(span.context.span_id)
    return ids


def test_the_kafka_transport_takes_every_batch_setting_by_its_name() -> None:
    parameters = inspect.signature(KafkaTransport).parameters
    assert {f.name for f in dataclasses.fields(BatchSettings)} <= parameters.keys()
    with pytest.raises(ValueError, match="max_queue_spans must be >= 1"):
        KafkaTransport("kafka://127.0.0.1:9092/zipkin", max_queue_spans=0)


async def test_a_batch_is_one_record_holding_a_json_list(kafka: FakeKafka) -> None:
    transport = _transport_for(kafka)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    ids = await _spans(3, tracer)

    assert await tracer.close() == 0

    [(topic, value)] = kafka.records
    assert topic == "spans"
    assert [span["id"] for span in json.loads(value)] == ids
    stats = transport.stats()
    assert (stats["spans_sent"], stats["batches_sent"], stats["spans_dropped"]) == (3, 1, 0)
    assert stats["bytes_sent"] == stats["bytes_encoded"] == len(value)
    # The producer is made in the sender's loop, and stopped at close.
    assert kafka.loops == [asyncio.get_running_loop()]
    assert kafka.stops == 1


async def test_proto3_batches_are_a_list_of_spans_message(kafka: FakeKafka) -> None:
    stub = az.StubTransport()
    transport = _transport_for(kafka, encoding="proto3")
    tracer = await az.create_custom(_ENDPOINT, transport=az.MultiTransport([transport, stub]))
    await _spans(2, tracer)

    await tracer.close()

    [(_, value)] = kafka.records
    assert value == b"".join(_proto3_list_entry(record) for record in stub.records)
    assert value[0] == 0x0A  # field 1 (spans), length-delimited: what Zipkin sniffs for


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(KafkaConnectionError(), id="connection"),
        pytest.param(NotLeaderForPartitionError(), id="no-leader"),
        pytest.param(OSError("network unreachable"), id="os-error"),
    ],
)
async def test_retriable_errors_are_retried_with_the_same_producer(
    kafka: FakeKafka, error: Exception
) -> None:
    kafka.outcomes = [error, error, None]
    transport = _transport_for(kafka)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    await _spans(2, tracer)

    assert await tracer.close(timeout=5) == 0

    assert len(kafka.records) == 1
    stats = transport.stats()
    assert (stats["retries"], stats["spans_sent"], stats["batches_failed"]) == (2, 2, 0)
    assert kafka.starts == 1


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(KafkaTimeoutError(), id="timeout"),
        pytest.param(ProducerFenced(), id="fenced"),
        pytest.param(RuntimeError("bug in the client"), id="unexpected"),
    ],
)
async def test_a_producer_in_a_bad_state_is_replaced(kafka: FakeKafka, error: Exception) -> None:
    kafka.outcomes = [error, None]
    transport = _transport_for(kafka)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    await _spans(1, tracer)

    assert await tracer.close(timeout=5) == 0

    assert len(kafka.records) == 1
    assert kafka.starts == 2
    assert transport.stats()["retries"] == 1


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(MessageSizeTooLargeError(), id="too-large"),
        pytest.param(TopicAuthorizationFailedError(), id="not-authorized"),
    ],
)
async def test_permanent_errors_reject_the_batch_without_retrying(
    kafka: FakeKafka, error: Exception
) -> None:
    kafka.outcomes = [error]
    transport = _transport_for(kafka)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    await _spans(4, tracer)

    assert await tracer.close(timeout=5) == 0

    assert kafka.records == []
    assert kafka.attempts == 1
    stats = transport.stats()
    assert stats["batches_rejected"] == stats["batches_failed"] == 1
    assert stats["dropped_failed"] == stats["spans_dropped"] == 4
    assert stats["retries"] == 0


async def test_a_producer_that_cannot_start_is_stopped_and_tried_again(
    kafka: FakeKafka,
) -> None:
    kafka.start_errors = [KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")]
    transport = _transport_for(kafka)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    await _spans(1, tracer)

    assert await tracer.close(timeout=5) == 0

    assert kafka.starts == 2
    # Both the producer that failed to start and the one that worked were stopped.
    assert kafka.stops == 2
    assert len(kafka.records) == 1


async def test_a_span_larger_than_a_message_is_dropped_before_kafka(kafka: FakeKafka) -> None:
    transport = _transport_for(kafka, message_max_bytes=2000)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    with tracer.new_trace(sampled=True) as span:
        span.tag("payload", "x" * 3000)
    await _spans(1, tracer)

    await tracer.close()

    stats = transport.stats()
    assert stats["dropped_too_large"] == 1
    assert stats["spans_sent"] == 1
    assert all(len(value) <= 2000 for _, value in kafka.records)


async def test_a_hung_producer_never_blocks_send_and_close_counts_what_is_left(
    kafka: FakeKafka,
) -> None:
    kafka.hang = True
    transport = _transport_for(kafka, send_timeout=30.0)
    tracer = await az.create_custom(_ENDPOINT, transport=transport)
    await _spans(5, tracer)
    await asyncio.sleep(0.2)  # the sender task is now stuck in send_and_wait

    started = time.perf_counter()
    await _spans(100, tracer)
    send_cost = time.perf_counter() - started
    undelivered = await tracer.close(timeout=0.5)
    close_time = time.perf_counter() - started

    assert undelivered == 105
    assert transport.stats()["dropped_shutdown"] == 105
    # Generous bounds: these check "does not wait for Kafka", not speed.
    assert send_cost < 1.0
    assert close_time < 5.0
    assert kafka.stops == 1


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        pytest.param("kafka://127.0.0.1:9092/zipkin", ("127.0.0.1:9092", "zipkin"), id="full"),
        pytest.param("kafka://broker", ("broker:9092", "zipkin"), id="defaults"),
        pytest.param("kafka://a:1,b:2/", ("a:1,b:2", "zipkin"), id="several"),
        pytest.param("KAFKA://[::1]:9093/spans.v2", ("[::1]:9093", "spans.v2"), id="ipv6"),
    ],
)
def test_kafka_addresses_parse(address: str, expected: tuple[str, str]) -> None:
    assert parse_kafka_address(address) == KafkaAddress(*expected)


_OK_ADDRESS = "kafka://127.0.0.1:9092"


@pytest.mark.parametrize(
    ("address", "kwargs", "message"),
    [
        pytest.param("http://127.0.0.1:9411", {}, "kafka://host:port/topic", id="scheme"),
        pytest.param("kafka://:9092/zipkin", {}, "not host:port", id="no-host"),
        pytest.param("kafka://h:port/zipkin", {}, "not host:port", id="bad-port"),
        pytest.param("kafka://h:70000/zipkin", {}, "not host:port", id="port-range"),
        pytest.param("kafka://h:1/zip kin", {}, "not a valid topic name", id="bad-topic"),
        pytest.param(_OK_ADDRESS, {"send_timeout": 0}, "send_timeout", id="timeout"),
        pytest.param(
            _OK_ADDRESS, {"compression_type": "brotli"}, "compression_type", id="compression"
        ),
        pytest.param(_OK_ADDRESS, {"message_max_bytes": 0}, "message_max_bytes", id="message-max"),
        pytest.param(_OK_ADDRESS, {"encoding": "thrift"}, "encoding", id="encoding"),
        pytest.param(_OK_ADDRESS, {"max_queue_spans": 0}, "max_queue_spans", id="queue"),
    ],
)
def test_bad_addresses_and_settings_are_refused_with_the_reason(
    address: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        KafkaTransport(address, **kwargs)


async def test_create_picks_the_kafka_transport_for_a_kafka_address() -> None:
    tracer = await az.create("kafka://127.0.0.1:9092/zipkin", _ENDPOINT, sample_rate=1.0)
    try:
        transport = tracer.transport
        assert isinstance(transport, KafkaTransport)
        assert (transport.bootstrap_servers, transport.topic) == ("127.0.0.1:9092", "zipkin")
    finally:
        await tracer.close(timeout=0)


async def test_create_fans_out_to_http_and_kafka_addresses() -> None:
    addresses = ["http://127.0.0.1:9411/api/v2/spans", "kafka://127.0.0.1:9092/zipkin"]
    tracer = await az.create(addresses, _ENDPOINT, sample_rate=1.0, encoding="proto3")
    try:
        transport = tracer.transport
        assert isinstance(transport, az.MultiTransport)
        http, kafka = transport.transports
        assert isinstance(http, az.Transport)
        assert isinstance(kafka, KafkaTransport)
        assert http.encoding == kafka.encoding == az.Encoding.PROTO3
    finally:
        await tracer.close(timeout=0)


def test_importing_aiozipkin_does_not_import_aiokafka() -> None:
    code = (
        "import sys, aiozipkin, aiozipkin.transport\n"
        "aiozipkin.create('http://127.0.0.1:9411/api/v2/spans',"
        " aiozipkin.create_endpoint('x')).close()\n"
        "print(sorted(m for m in sys.modules if m.startswith('aiokafka')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"
