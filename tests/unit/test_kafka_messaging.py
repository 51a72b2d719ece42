"""Traced Kafka messaging: record headers round trip, spans link, hostile headers are ignored."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition
from hypothesis import example, given, settings
from hypothesis import strategies as st

import aiozipkin as az
from aiozipkin import kafka
from aiozipkin.testing import InMemoryTransport, assert_child_of

PROPERTY = settings(database=None, deadline=None)

TRACE = "463ac35c9f6413ad48485a3953bb6124"
SPAN = "a2fb4a1d1a96d312"
PARENT = "0020000000000001"


def _record(headers: Any, topic: str = "orders", offset: int = 7) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=topic,
        partition=2,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=b"{}",
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=2,
        headers=headers,
    )


@dataclass
class FakeProducer:
    """Records what `send_and_wait` was given and answers like aiokafka's producer."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: BaseException | None = None

    async def send_and_wait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Any = None,
    ) -> RecordMetadata:
        if self.fail is not None:
            raise self.fail
        self.sent.append({"topic": topic, "value": value, "key": key, "headers": headers})
        return RecordMetadata(
            topic=topic,
            partition=1,
            topic_partition=TopicPartition(topic, 1),
            offset=41 + len(self.sent),
            timestamp=None,
            timestamp_type=0,
            log_start_offset=None,
        )


@pytest.fixture
async def recorder() -> InMemoryTransport:
    return InMemoryTransport()


@pytest.fixture
async def tracer(recorder: InMemoryTransport) -> AsyncIterator[az.Tracer]:
    async with az.create_custom(az.create_endpoint("svc"), transport=recorder) as tracer:
        yield tracer


async def _w3c_tracer(recorder: InMemoryTransport) -> az.Tracer:
    return await az.create_custom(
        az.create_endpoint("svc"), transport=recorder, inject_formats=(az.B3_MULTI, az.W3C)
    )


def test_import_aiozipkin_does_not_import_aiokafka() -> None:
    code = "import sys, aiozipkin; print('aiokafka' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
    code = "import sys, aiozipkin.kafka; print(sorted(aiozipkin.kafka.__all__)[0])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "ConsumedRecord"


async def test_b3_header_round_trips_without_parent(tracer: az.Tracer) -> None:
    context = az.TraceContext(TRACE, PARENT, SPAN, True, False, False)
    headers = kafka.inject_headers(tracer.to_span(context))
    assert headers == [("b3", f"{TRACE}-{SPAN}-1".encode())]
    assert kafka.extract_headers(headers) == context._replace(parent_id=None)


async def test_w3c_tracer_also_writes_traceparent_and_tracestate(
    recorder: InMemoryTransport,
) -> None:
    tracer = await _w3c_tracer(recorder)
    context = az.TraceContext(TRACE, None, SPAN, True, False, False, "vendor=1")
    headers = dict(kafka.inject_headers(tracer.to_span(context)))
    assert headers == {
        "b3": f"{TRACE}-{SPAN}-1".encode(),
        "traceparent": f"00-{TRACE}-{SPAN}-01".encode(),
        "tracestate": b"vendor=1",
    }
    assert kafka.extract_headers(list(headers.items())) == context
    only_w3c = [(k, v) for k, v in headers.items() if k != "b3"]
    assert kafka.extract_headers(only_w3c) == context
    await tracer.close()


async def test_inject_replaces_trace_headers_and_keeps_the_others(tracer: az.Tracer) -> None:
    given_headers = [("B3", b"stale"), ("content-type", b"json"), ("tracestate", b"old=1")]
    span = tracer.new_trace()
    headers = kafka.inject_headers(span, given_headers)
    assert [k for k, _ in headers] == ["content-type", "b3"]
    assert given_headers[0] == ("B3", b"stale"), "the list passed in is left alone"
    assert kafka.extract_headers(headers) == span.context._replace(parent_id=None)


@pytest.mark.parametrize(
    ("context", "value"),
    [
        pytest.param(az.TraceContext(TRACE, None, SPAN, False, False, False), "0", id="deny"),
        pytest.param(az.TraceContext(TRACE, None, SPAN, True, True, False), "d", id="debug"),
    ],
)
async def test_sampling_flags_survive(
    tracer: az.Tracer, context: az.TraceContext, value: str
) -> None:
    headers = kafka.inject_headers(tracer.to_span(context))
    assert headers == [("b3", f"{TRACE}-{SPAN}-{value}".encode())]
    assert kafka.extract_headers(headers) == context


async def test_send_traced_then_consume_continues_the_trace(
    tracer: az.Tracer, recorder: InMemoryTransport
) -> None:
    producer = FakeProducer()
    with tracer.new_trace() as root:
        root.name("request")
        sent = await kafka.send_traced(producer, tracer, "orders", b"{}", key=b"42")
    assert (sent.partition, sent.offset) == (1, 42)
    [message] = producer.sent
    assert (message["topic"], message["value"], message["key"]) == ("orders", b"{}", b"42")

    with kafka.consumer_span(tracer, _record(message["headers"])):
        pass

    request = recorder.get(name="request")
    publish = recorder.get(name="publish orders")
    process = recorder.get(name="process orders")
    assert_child_of(publish, request)
    assert_child_of(process, publish)
    assert (publish.kind, process.kind) == (az.PRODUCER, az.CONSUMER)
    for record in (publish, process):
        assert record.remote_endpoint is not None
        assert record.remote_endpoint.serviceName == "kafka"
    assert publish.tags == {
        "messaging.system": "kafka",
        "messaging.destination": "orders",
        "messaging.kafka.partition": "1",
        "messaging.kafka.offset": "42",
    }
    assert process.tags == {
        "messaging.system": "kafka",
        "messaging.destination": "orders",
        "messaging.kafka.partition": "2",
        "messaging.kafka.offset": "7",
    }


async def test_failed_send_raises_and_reports_the_error(
    tracer: az.Tracer, recorder: InMemoryTransport
) -> None:
    producer = FakeProducer(fail=ConnectionError("broker down"))
    with pytest.raises(ConnectionError):
        await kafka.send_traced(producer, tracer, "orders", b"{}", parent=None, name="enqueue")
    record = recorder.get(name="enqueue")
    assert record.tags is not None
    assert record.tags["error"] == "broker down"
    assert "messaging.kafka.offset" not in record.tags
    assert record.parent_id is None, "no parent and no current span: a new trace"


async def test_producer_span_uses_the_given_parent(
    tracer: az.Tracer, recorder: InMemoryTransport
) -> None:
    parent = az.TraceContext(TRACE, None, SPAN, True, False, False)
    with kafka.producer_span(tracer, "jobs", parent=parent) as span:
        kafka.tag_sent(span, _sent("jobs", 3, 9))
    record = recorder.get(name="publish jobs")
    assert (record.trace_id, record.parent_id) == (TRACE, SPAN)
    assert record.tags is not None
    assert (record.tags["messaging.kafka.partition"], record.tags["messaging.kafka.offset"]) == (
        "3",
        "9",
    )


def _sent(topic: str, partition: int, offset: int) -> RecordMetadata:
    return RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, None, 0, None)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(None, id="none"),
        pytest.param([], id="empty"),
        pytest.param([("b3", b"garbage")], id="malformed-b3"),
        pytest.param([("b3", f"{TRACE}-0000000000000000-1".encode())], id="zero-span-id"),
        pytest.param([("traceparent", b"00-zz-zz-01")], id="malformed-traceparent"),
        pytest.param([("x-b3-traceid", TRACE.encode())], id="multi-without-span-id"),
    ],
)
async def test_record_without_valid_context_starts_a_new_trace(
    tracer: az.Tracer, recorder: InMemoryTransport, headers: Any
) -> None:
    with kafka.consumer_span(tracer, _record(headers)):
        pass
    record = recorder.get(name="process orders")
    assert record.parent_id is None
    assert record.trace_id != TRACE


async def test_sampling_decision_alone_is_honoured(
    tracer: az.Tracer, recorder: InMemoryTransport
) -> None:
    span = kafka.consumer_span(tracer, _record([("b3", b"0")]))
    assert span.is_noop
    assert span.context.parent_id is None


# Hostile headers: anything a broker can hand over, and things it cannot (non-bytes values).
_values = st.one_of(
    st.binary(max_size=80),
    st.binary(min_size=513, max_size=4096),
    st.text(max_size=40),
    st.none(),
    st.integers(),
    st.just(b"\xff\xfe" + TRACE.encode()),
    st.just(f"{TRACE}-{SPAN}-1".encode("utf-16")),
)
_names = st.sampled_from(["b3", "B3", "traceparent", "tracestate", "x-b3-traceid", "other"])
_items = st.one_of(st.tuples(_names, _values), st.tuples(st.integers(), _values), st.none())
_hostile = st.lists(_items, max_size=12)


@PROPERTY
@given(headers=_hostile)
@example(headers=[("b3", b"\xff" * 600)])
@example(headers=[("b3", "x" * 100_000)])
@example(headers=[("b3", b"1")] * 1000)
def test_hostile_headers_never_raise(headers: list[Any]) -> None:
    tracer = az.Tracer(InMemoryTransport(), az.Sampler(sample_rate=1.0), az.create_endpoint("s"))
    context = kafka.extract_headers(headers)
    span = kafka.consumer_span(tracer, _record(headers))
    with span:
        pass
    if context is None:
        assert span.context.parent_id is None
    else:
        assert span.context.trace_id == context.trace_id
        assert span.context.parent_id == context.span_id


@PROPERTY
@given(junk=st.lists(st.tuples(_names, _values), max_size=6), position=st.integers(0, 6))
def test_valid_b3_last_wins_among_duplicates_and_junk(junk: list[Any], position: int) -> None:
    valid = ("b3", f"{TRACE}-{SPAN}-1".encode())
    others = [(k, v) for k, v in junk if k.lower() != "b3"]
    headers = [*others[:position], ("b3", b"junk"), *others[position:], valid]
    context = kafka.extract_headers(headers)
    assert context is not None
    assert (context.trace_id, context.span_id) == (TRACE, SPAN)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(42, id="not-iterable"),
        pytest.param("b3", id="a-string"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-1"}, id="a-dict"),
        pytest.param([("b3", b"x", b"y")], id="three-tuple"),
        pytest.param([b"b3"], id="bytes-item"),
    ],
)
def test_carriers_of_the_wrong_shape_carry_nothing(headers: Any) -> None:
    assert kafka.extract_headers(headers) is None


def test_an_iterator_that_fails_carries_nothing() -> None:
    def broken() -> Iterable[tuple[str, bytes]]:
        yield ("b3", f"{TRACE}-{SPAN}-1".encode())
        raise RuntimeError("the iterator broke")

    assert kafka.extract_headers(broken()) is None
