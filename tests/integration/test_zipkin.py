"""The library against a real Zipkin: what it sends is what Zipkin stores, finds and links."""

from __future__ import annotations

import time
import uuid

import aiohttp
import pytest

import aiozipkin as az
from tests.integration.helpers import (
    POLL_INTERVAL,
    RecordingTracerFactory,
    as_zipkin_stores,
    assert_all_delivered,
    by_id,
    get_json,
    unique_service,
    zipkin_trace,
)
from tests.integration.scenarios import SCENARIOS, Scenario, client_call, run_scenario
from tests.servers import ZipkinServer
from tests.support.polling import eventually


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_zipkin_stores_spans_exactly_as_sent(
    scenario: Scenario,
    zipkin: ZipkinServer,
    http: aiohttp.ClientSession,
    recording_tracer: RecordingTracerFactory,
) -> None:
    run = await run_scenario(scenario, recording_tracer, zipkin.spans_url)

    assert {span["traceId"] for span in run.sent} == {run.trace_id}
    stored = await zipkin_trace(http, zipkin.url, run.trace_id, len(run.sent))
    assert by_id(stored) == by_id(as_zipkin_stores(run.sent))
    run.assert_all_delivered()


async def test_zipkin_query_apis_find_the_spans(
    zipkin: ZipkinServer, http: aiohttp.ClientSession, recording_tracer: RecordingTracerFactory
) -> None:
    service = unique_service("lookup")
    peer = unique_service("lookup-peer")
    order_id = uuid.uuid4().hex
    tracer, transport = await recording_tracer(service, zipkin.spans_url)

    with tracer.new_trace(sampled=True) as root:
        root.name("place order")
        root.kind(az.SERVER)
        root.tag("order.id", order_id)
        with tracer.new_child(root.context) as child:
            child.name("reserve stock")
            child.kind(az.CLIENT)
            child.annotate(f"reserved {order_id}")
            child.remote_endpoint(peer, ipv4="10.0.0.7", port=7000)
    await tracer.close()
    trace_id = root.context.trace_id
    await zipkin_trace(http, zipkin.url, trace_id, 2)
    api = f"{zipkin.url}/api/v2"

    assert service in await get_json(http, f"{api}/services")
    assert sorted(await get_json(http, f"{api}/spans", serviceName=service)) == [
        "place order",
        "reserve stock",
    ]
    assert await get_json(http, f"{api}/remoteServices", serviceName=service) == [peer]
    for query in (f"order.id={order_id}", f"reserved {order_id}"):
        traces = await get_json(http, f"{api}/traces", serviceName=service, annotationQuery=query)
        assert [[span["traceId"] for span in trace] for trace in traces] == [[trace_id] * 2], query
    missing = await get_json(
        http, f"{api}/traces", serviceName=service, annotationQuery=f"order.id={uuid.uuid4().hex}"
    )
    assert missing == []
    assert_all_delivered(tracer, len(transport.sent))


async def test_zipkin_dependencies_link_client_and_server(
    zipkin: ZipkinServer, http: aiohttp.ClientSession, recording_tracer: RecordingTracerFactory
) -> None:
    frontend = unique_service("frontend")
    backend = unique_service("backend")
    client_tracer, _ = await recording_tracer(frontend, zipkin.spans_url)
    server_tracer, _ = await recording_tracer(backend, zipkin.spans_url, port=9090)

    for _ in range(2):
        client, _ = client_call(client_tracer, server_tracer, "get /api")
        last_trace = client.context.trace_id
    await client_tracer.close()
    await server_tracer.close()
    await zipkin_trace(http, zipkin.url, last_trace, 2)

    async def links() -> list[dict[str, object]] | None:
        now_ms = time.time_ns() // 1_000_000
        found = await get_json(
            http, f"{zipkin.url}/api/v2/dependencies", endTs=str(now_ms), lookback="3600000"
        )
        ours = [link for link in found if link["parent"] == frontend]
        return ours if ours and ours[0]["callCount"] >= 2 else None

    assert await eventually(links, what="the frontend -> backend link", interval=POLL_INTERVAL) == [
        {"parent": frontend, "child": backend, "callCount": 2}
    ]


async def test_zipkin_accepts_every_batch(
    zipkin: ZipkinServer, http: aiohttp.ClientSession
) -> None:
    # More spans than one upload batch holds, through the plain `create` path.
    count = 250
    endpoint = az.create_endpoint(unique_service("bulk"), ipv4="127.0.0.1", port=8080)
    tracer = await az.create(zipkin.spans_url, endpoint, sample_rate=1.0, send_interval=0.1)

    with tracer.new_trace(sampled=True) as root:
        root.name("bulk")
        for i in range(count - 1):
            with tracer.new_child(root.context) as child:
                child.name(f"step {i}")
    await tracer.close()

    assert_all_delivered(tracer, count)
    stored = await zipkin_trace(http, zipkin.url, root.context.trace_id, count)
    assert len({span["id"] for span in stored}) == count
