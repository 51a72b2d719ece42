"""`GET /health`: `degraded` (still 200) while a needed service is down; tracer drops shown."""

from __future__ import annotations

from typing import Any

import aiohttp

import aiozipkin as az
from bookshop_common import HealthCheck
from tests.services.stack import Stack


async def _health(stack: Stack, service: str) -> dict[str, Any]:
    resp = await stack.client.session.get(stack.url(service) + "/health")
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def test_every_service_is_ok_with_its_dependencies_up(stack: Stack) -> None:
    expected = {
        "frontend": {"backend": "ok"},
        "backend": {"cache": "ok", "db_proxy": "ok", "kafka": "ok"},
        "worker": {"cache": "ok", "db_proxy": "ok", "kafka": "ok"},
        "cache": {},
        "db_proxy": {},
    }
    for service, dependencies in expected.items():
        body = await _health(stack, service)
        assert body["status"] == "ok", body
        assert body["dependencies"] == dependencies, body
        assert body["tracing"] == {"dropping": False, "spans_dropped": 0, "queue_spans": 0}


async def test_a_dead_dependency_degrades_who_needs_it_only(stack: Stack) -> None:
    await stack.servers["db_proxy"].close()

    backend = await _health(stack, "backend")
    assert backend["status"] == "degraded", backend
    assert backend["dependencies"] == {"cache": "ok", "db_proxy": "down", "kafka": "ok"}
    worker = await _health(stack, "worker")
    assert (worker["status"], worker["dependencies"]["db_proxy"]) == ("degraded", "down"), worker
    frontend = await _health(stack, "frontend")
    assert frontend["status"] == "degraded", frontend
    assert frontend["dependencies"] == {"backend": "degraded"}, frontend
    assert (await _health(stack, "cache"))["status"] == "ok"


async def test_dropping_says_whether_spans_were_dropped_since_the_last_check() -> None:
    # Nothing listens on port 9, and the queue holds one span: the next ones are dropped.
    transport = az.Transport("http://127.0.0.1:9/api/v2/spans", max_queue_spans=1)
    tracer = await az.create_custom(
        az.create_endpoint("svc"), transport=transport, sampler=az.Sampler(sample_rate=1.0)
    )
    async with aiohttp.ClientSession() as session:
        check = HealthCheck("svc", {}, session)
        assert (await check.report(tracer))["tracing"]["dropping"] is False
        for _ in range(3):
            with tracer.new_trace(sampled=True):
                pass
        first = await check.report(tracer)
        assert first["tracing"]["dropping"] is True, first
        assert first["tracing"]["spans_dropped"] >= 2, first
        assert first["status"] == "ok"  # tracing trouble never degrades the service itself
        again = await check.report(tracer)
        assert again["tracing"]["dropping"] is False, again
        assert again["tracing"]["spans_dropped"] == first["tracing"]["spans_dropped"]
    await tracer.close(timeout=0.1)


async def test_a_broker_is_up_when_it_accepts_a_connection(stack: Stack) -> None:
    kafka = (await _health(stack, "backend"))["dependencies"]["kafka"]
    async with aiohttp.ClientSession() as session:
        # Nothing listens on port 9.
        check = HealthCheck("svc", {"kafka": "tcp://127.0.0.1:9"}, session)
        report = await check.report(None)
    assert kafka == "ok"
    assert (report["status"], report["dependencies"]) == ("degraded", {"kafka": "down"})
