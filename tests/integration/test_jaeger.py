"""The library against a real Jaeger v2, through Jaeger's Zipkin receiver."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

import aiozipkin as az
from tests.integration.helpers import (
    JsonSpan,
    RecordingTracerFactory,
    assert_all_delivered,
    jaeger_trace,
    unique_service,
    zipkin_trace,
)
from tests.integration.scenarios import SCENARIOS, Scenario, run_scenario
from tests.servers import JaegerServer, ZipkinServer


def _jaeger_view(trace: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """(service, operation, start, duration) of each span Jaeger holds, sorted."""
    processes = trace["processes"]
    return sorted(
        (
            processes[span["processID"]]["serviceName"],
            span["operationName"],
            span["startTime"],
            span["duration"],
        )
        for span in trace["spans"]
    )


def _sent_view(spans: list[JsonSpan]) -> list[tuple[str, str, int, int]]:
    return sorted(
        (span["localEndpoint"]["serviceName"], span["name"], span["timestamp"], span["duration"])
        for span in spans
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_jaeger_stores_the_same_spans(
    scenario: Scenario,
    jaeger: JaegerServer,
    http: aiohttp.ClientSession,
    recording_tracer: RecordingTracerFactory,
) -> None:
    run = await run_scenario(scenario, recording_tracer, jaeger.spans_url)

    trace = await jaeger_trace(http, jaeger.query_url, run.trace_id, len(run.sent))
    assert trace["traceID"] == run.trace_id
    assert _jaeger_view(trace) == _sent_view(run.sent)
    run.assert_all_delivered()


async def test_one_tracer_reports_to_zipkin_and_jaeger(
    zipkin: ZipkinServer, jaeger: JaegerServer, http: aiohttp.ClientSession
) -> None:
    service = unique_service("both")
    endpoint = az.create_endpoint(service, ipv4="127.0.0.1", port=8080)
    tracer = await az.create(
        [zipkin.spans_url, jaeger.spans_url], endpoint, sample_rate=1.0, send_interval=0.1
    )

    with tracer.new_trace(sampled=True) as root:
        root.name("fan out")
        with tracer.new_child(root.context) as child:
            child.name("leaf")
    await tracer.close()

    trace_id = root.context.trace_id
    in_zipkin = await zipkin_trace(http, zipkin.url, trace_id, 2)
    in_jaeger = await jaeger_trace(http, jaeger.query_url, trace_id, 2)
    assert sorted(span["name"] for span in in_zipkin) == ["fan out", "leaf"]
    assert [name for _, name, _, _ in _jaeger_view(in_jaeger)] == ["fan out", "leaf"]
    assert_all_delivered(tracer, 4)  # two spans, each to both collectors
