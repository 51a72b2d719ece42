"""Span shapes made through the public API; test_zipkin and test_jaeger send each to a server.

A scenario gets two tracers (services "a" and "b", each with its own RecordingTransport),
makes spans with them, checks what the library produced where that is the point of the
scenario, and returns the trace id.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

import aiozipkin as az
from tests.integration.helpers import (
    JsonSpan,
    RecordingTracerFactory,
    RecordingTransport,
    assert_all_delivered,
    recorded,
    unique_service,
)

__all__ = ["SCENARIOS", "Scenario", "ScenarioRun", "client_call", "run_scenario"]

Scenario = Callable[[az.Tracer, az.Tracer], Awaitable[str]]


@dataclass(frozen=True)
class ScenarioRun:
    """What one scenario made: its trace id, and each tracer with the spans it sent."""

    trace_id: str
    recordings: tuple[tuple[az.Tracer, RecordingTransport], ...]

    @property
    def sent(self) -> list[JsonSpan]:
        return [span for _, transport in self.recordings for span in transport.sent]

    def assert_all_delivered(self) -> None:
        """Each tracer sent every span it recorded and dropped none."""
        for tracer, transport in self.recordings:
            assert_all_delivered(tracer, len(transport.sent))


async def run_scenario(
    scenario: Scenario, recording_tracer: RecordingTracerFactory, spans_url: str
) -> ScenarioRun:
    """Run `scenario` with new services "a" and "b" reporting to `spans_url`, then close both."""
    a = await recording_tracer(unique_service("a"), spans_url)
    b = await recording_tracer(unique_service("b"), spans_url, port=9090)
    trace_id = await scenario(a[0], b[0])
    for tracer, _ in (a, b):
        await tracer.close()
    run = ScenarioRun(trace_id, (a, b))
    assert run.sent, "the scenario sent no span"
    return run


def client_call(
    client_tracer: az.Tracer, server_tracer: az.Tracer, name: str
) -> tuple[az.SpanAbc, az.SpanAbc]:
    """A CLIENT span `name` whose headers `server_tracer` joins: the SERVER side shares its id."""
    with client_tracer.new_trace(sampled=True) as client:
        client.name(name)
        client.kind(az.CLIENT)
        context = az.make_context(client.context.make_headers())
        assert context is not None
        with server_tracer.join_span(context) as server:
            server.name(name)
            server.kind(az.SERVER)
    return client, server


async def client_tree(a: az.Tracer, b: az.Tracer) -> str:
    with a.new_trace(sampled=True) as root:
        root.name("checkout")
        root.kind(az.CLIENT)
        root.tag("span_type", "root")
        root.tag("http.method", "POST")
        root.annotate("validated")
        root.remote_endpoint("payments", ipv4="10.1.2.3", port=8443)
        with a.new_child(root.context) as first:
            first.name("db:select")
            first.kind(az.CLIENT)
            first.tag("db.statement", "SELECT 1")
            first.remote_endpoint("postgres", ipv4="10.0.0.5", port=5432)
        with a.new_child(root.context) as second:
            second.name("cache:get")
            second.annotate("miss")
            second.annotate("filled")
        root.annotate("done")
    return root.context.trace_id


async def error_span(a: az.Tracer, b: az.Tracer) -> str:
    spans: list[az.SpanAbc] = []

    def charge() -> None:
        with a.new_trace(sampled=True) as span:
            spans.append(span)
            span.name("charge")
            span.kind(az.SERVER)
            raise ValueError("card declined")

    with pytest.raises(ValueError, match="card declined"):
        charge()
    [sent] = recorded(a)
    assert "error" in sent["tags"], sent
    return spans[0].context.trace_id


async def trace_id_64bit(a: az.Tracer, b: az.Tracer) -> str:
    # A caller that only speaks 64-bit trace ids: the whole trace keeps its 16-hex id.
    trace_id = uuid.uuid4().hex[:16]
    headers = {"X-B3-TraceId": trace_id, "X-B3-SpanId": uuid.uuid4().hex[:16], "X-B3-Sampled": "1"}
    context = az.make_context(headers)
    assert context is not None
    with b.join_span(context) as server:
        server.name("get /legacy")
        server.kind(az.SERVER)
        with b.new_child(server.context) as child:
            child.name("render")
    assert server.context.trace_id == trace_id
    return trace_id


async def trace_id_128bit(a: az.Tracer, b: az.Tracer) -> str:
    with a.new_trace(sampled=True) as root:
        root.name("wide-ids")
        with a.new_child(root.context) as child:
            child.name("child")
    assert len(root.context.trace_id) == 32, root.context
    assert child.context.trace_id == root.context.trace_id
    return root.context.trace_id


async def debug_span(a: az.Tracer, b: az.Tracer) -> str:
    with a.new_trace(debug=True) as root:
        root.name("forced")
        with a.new_child(root.context) as child:
            child.name("forced-child")
    sent = recorded(a)
    assert [span.get("debug") for span in sent] == [True, True], sent
    return root.context.trace_id


async def producer_consumer(a: az.Tracer, b: az.Tracer) -> str:
    message_headers: dict[str, str] = {}
    with a.new_trace(sampled=True) as producer:
        producer.name("publish orders")
        producer.kind(az.PRODUCER)
        producer.remote_endpoint("rabbitmq", ipv4="10.0.0.9", port=5672)
        az.inject_message(producer.context, message_headers)
    context = az.extract_message(message_headers)
    assert context is not None
    with b.new_child(context) as consumer:
        consumer.name("consume orders")
        consumer.kind(az.CONSUMER)
        consumer.remote_endpoint("rabbitmq", ipv4="10.0.0.9", port=5672)
    assert consumer.context.parent_id == producer.context.span_id
    return producer.context.trace_id


async def shared_server_span(a: az.Tracer, b: az.Tracer) -> str:
    client, server = client_call(a, b, "get /items")
    assert server.context.span_id == client.context.span_id
    [sent] = recorded(b)
    assert sent.get("shared") is True, sent
    return client.context.trace_id


async def unicode_names_and_tags(a: az.Tracer, b: az.Tracer) -> str:
    with a.new_trace(sampled=True) as root:
        root.name("запрос 日本語 ✓")
        root.tag("ключ", "значение 🚀")
        root.tag("emoji", "😀 naïve café")
        root.annotate("événement «важно»")
        root.remote_endpoint("сервис-оплаты")
    return root.context.trace_id


async def unusable_endpoint_values(a: az.Tracer, b: az.Tracer) -> str:
    # 1.1.1 code passes host names and string ports; Zipkin and Jaeger refuse a batch with a
    # non-IP address in it, so such values must be left out, never sent.
    with a.new_trace(sampled=True) as root:
        root.name("legacy endpoints")
        root.kind(az.CLIENT)
        root.remote_endpoint("db", ipv4="db.internal", port="5432")
        with a.new_child(root.context) as child:
            child.name("bad values")
            child.remote_endpoint("peer", ipv4="999.1.1.1", ipv6="not-an-ip", port=70000)
        with a.new_child(root.context) as local:
            local.name("localhost")
            local.remote_endpoint("cache", ipv4="localhost", port="6379")
    remotes = sorted((s["name"], s["remoteEndpoint"]) for s in recorded(a))
    assert remotes == [
        ("bad values", {"serviceName": "peer"}),
        ("legacy endpoints", {"serviceName": "db", "port": 5432}),
        ("localhost", {"serviceName": "cache", "ipv4": "127.0.0.1", "port": 6379}),
    ]
    return root.context.trace_id


SCENARIOS = [
    pytest.param(client_tree, id="client-tree"),
    pytest.param(error_span, id="error"),
    pytest.param(trace_id_64bit, id="64bit-trace-id"),
    pytest.param(trace_id_128bit, id="128bit-trace-id"),
    pytest.param(debug_span, id="debug"),
    pytest.param(producer_consumer, id="producer-consumer"),
    pytest.param(shared_server_span, id="shared-server-span"),
    pytest.param(unicode_names_and_tags, id="unicode"),
    pytest.param(unusable_endpoint_values, id="unusable-endpoint-values"),
]
