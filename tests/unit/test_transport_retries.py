"""The HTTP transport when the collector fails: retries, backoff, budgets, outages, hangs."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import aiozipkin as az
from aiozipkin._transport import http, retry
from aiozipkin._transport.retry import RetryPolicy
from aiozipkin.testing import zipkin_json
from tests.support.collectors import SPANS_PATH, Collector, HungCollector, still_served_while_hung
from tests.support.polling import eventually
from tests.support.ports import free_port
from tests.support.spans import accounted, make_record, make_records

Make = Callable[..., az.Transport]


@pytest.mark.parametrize(
    "status", [pytest.param(s, id=str(s)) for s in (408, 429, 500, 502, 503, 504)]
)
async def test_retryable_statuses_are_retried(
    collector: Collector, transports: Make, fast_backoff: None, status: int
) -> None:
    collector.replies = [(status, {}, "busy")] * 2
    transport = transports(collector.url, send_interval=0.01)
    records = make_records(4)
    for record in records:
        transport.send(record)
    await eventually(
        lambda: collector.spans and transport.sender_idle, what="the batch after two failures"
    )
    assert len(collector.attempts) == 3
    assert collector.spans == [zipkin_json(r) for r in records]
    stats = transport.stats()
    assert stats["retries"] == 2
    assert stats["spans_sent"] == 4
    assert stats["spans_dropped"] == 0


async def test_the_default_keeps_retrying_well_past_three_attempts(
    collector: Collector, transports: Make, fast_backoff: None
) -> None:
    collector.replies = [(503, {}, "restarting")] * 12
    transport = transports(collector.url, send_interval=0.01)
    transport.send(make_record())
    await eventually(
        lambda: collector.spans and transport.sender_idle, what="the span after 12 failures"
    )
    assert transport.stats()["retries"] == 12
    assert transport.stats()["dropped_failed"] == 0


async def test_retry_after_seconds_is_honoured(
    collector: Collector, transports: Make, fast_backoff: None
) -> None:
    collector.replies = [(503, {"Retry-After": "1"}, "later")]
    transport = transports(collector.url, send_interval=0.01)
    transport.send(make_record())
    await eventually(
        lambda: collector.spans and transport.sender_idle, what="the span after Retry-After"
    )
    first, second = collector.attempts
    # The backoff alone would have retried after at most 0.05 s.
    assert second.at - first.at >= 0.9


async def test_retry_after_date_is_honoured(
    collector: Collector, transports: Make, fast_backoff: None
) -> None:
    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    collector.replies = [(429, {"Retry-After": when}, "slow down")]
    transport = transports(collector.url, send_interval=0.01)
    transport.send(make_record())
    await eventually(
        lambda: collector.spans and transport.sender_idle,
        what="the span after Retry-After",
        timeout=15,
    )
    first, second = collector.attempts
    assert second.at - first.at >= 0.9  # the date has a one-second resolution


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("3", 3.0, id="seconds"),
        pytest.param(" 1.5 ", 1.5, id="fraction"),
        pytest.param("-4", 0.0, id="negative"),
        pytest.param("86400", 60.0, id="capped"),
        pytest.param("nan", None, id="nan"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="past-date"),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    assert http.parse_retry_after(value) == expected


def test_retry_after_future_date() -> None:
    value = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = http.parse_retry_after(value)
    assert seconds is not None
    assert 28 <= seconds <= 30


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(budget=120.0, attempts=None)
    assert policy.delay() == 0.0  # nothing failed yet
    ceilings = []
    for failures in range(1, 12):
        assert policy.failed(now=float(failures)) is (failures == 1)
        assert policy.failures == failures
        delays = [policy.delay() for _ in range(200)]
        ceiling = min(retry.BACKOFF_MAX, 0.2 * 2 ** (failures - 1))
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered
        ceilings.append(max(delays))
    assert ceilings[0] < ceilings[3] < ceilings[6]
    assert max(ceilings) <= retry.BACKOFF_MAX
    assert policy.succeeded() is True
    assert policy.delay() == 0.0


def test_retry_after_sets_the_next_delay_once() -> None:
    policy = RetryPolicy(budget=120.0, attempts=None)
    policy.failed(now=0.0, retry_after=30.0)
    assert policy.delay() == 30.0
    assert policy.delay() <= retry.BACKOFF_BASE  # used up: the backoff of one failure again


@pytest.mark.parametrize(
    ("attempts", "now", "give_up"),
    [
        pytest.param(None, 119.0, False, id="within-budget"),
        pytest.param(None, 120.0, True, id="budget-spent"),
        pytest.param(3, 1.0, True, id="attempts-reached"),
    ],
)
def test_a_batch_is_given_up_by_budget_or_attempts(
    attempts: int | None, now: float, give_up: bool
) -> None:
    policy = RetryPolicy(budget=120.0, attempts=attempts)
    policy.failed(now=0.0)
    assert policy.give_up(3, now) is give_up


async def test_explicit_attempt_count_bounds_each_batch(
    collector: Collector, transports: Make, fast_backoff: None
) -> None:
    collector.replies = [(500, {}, "down")] * 100
    transport = transports(collector.url, send_interval=0.01, send_attempt_count=2, send_max_size=3)
    for record in make_records(6):
        transport.send(record)
    await eventually(lambda: transport.stats()["batches_failed"] == 2, what="two failed batches")
    stats = transport.stats()
    assert len(collector.attempts) == 4
    assert stats["retries"] == 2
    assert stats["dropped_failed"] == 6
    assert stats["queue_spans"] == 0
    assert accounted(stats) == 6


async def test_the_retry_budget_bounds_an_outage(
    collector: Collector, transports: Make, fast_backoff: None
) -> None:
    collector.replies = [(503, {}, "down")] * 10_000
    transport = transports(collector.url, send_interval=0.01, retry_budget=0.3, send_max_size=2)
    for record in make_records(6):
        transport.send(record)
    await eventually(lambda: transport.stats()["queue_spans"] == 0, what="all batches given up")
    stats = transport.stats()
    assert stats["dropped_failed"] == 6
    assert stats["batches_failed"] == 3
    # The first batch used the budget; past it, each further batch gets a single attempt.
    assert len(collector.attempts) == stats["retries"] + 3


async def test_close_without_a_timeout_stops_once_the_budget_is_spent(
    collector: Collector, fast_backoff: None
) -> None:
    collector.replies = [(503, {}, "down")] * 10_000
    transport = az.Transport(collector.url, send_interval=3600, retry_budget=0.2, send_max_size=1)
    for record in make_records(50):
        transport.send(record)
    # One batch uses up the budget, then close() gives up on the other 49 at once.
    assert await asyncio.wait_for(transport.close(timeout=None), 10) == 49
    stats = transport.stats()
    assert stats["dropped_failed"] == 1
    assert stats["dropped_shutdown"] == 49


async def test_a_rejected_batch_is_not_retried_and_logged_once_with_its_body(
    collector: Collector, transports: Make, caplog: pytest.LogCaptureFixture
) -> None:
    collector.replies = [(400, {}, "Expected a JSON_V2 encoded list")] * 2
    transport = transports(collector.url, send_interval=0.01, send_max_size=1)
    for record in make_records(3):
        transport.send(record)
    await eventually(lambda: collector.spans and transport.sender_idle, what="the third span")
    stats = transport.stats()
    assert len(collector.attempts) == 3
    assert stats["batches_rejected"] == stats["batches_failed"] == 2
    assert stats["dropped_failed"] == 2
    assert stats["retries"] == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "400" in errors[0].getMessage()
    assert "Expected a JSON_V2 encoded list" in errors[0].getMessage()


async def test_a_redirect_is_not_followed(
    collector: Collector, transports: Make, caplog: pytest.LogCaptureFixture
) -> None:
    location = collector.make_url("/elsewhere")
    collector.replies = [(302, {"Location": location}, "moved")]
    transport = transports(collector.url, send_interval=0.01, send_max_size=1)
    transport.send(make_record(0))
    transport.send(make_record(1))
    await eventually(lambda: collector.spans and transport.sender_idle, what="the second span")
    assert len(collector.attempts) == 2
    assert transport.stats()["batches_rejected"] == 1
    assert "rejected a batch with 302" in caplog.text


async def test_spans_stay_queued_while_the_collector_is_down(
    fast_backoff: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiozipkin")
    port = free_port()
    transport = az.Transport(f"http://127.0.0.1:{port}{SPANS_PATH}", send_interval=0.01)
    for record in make_records(50):
        transport.send(record)
    await eventually(lambda: transport.stats()["retries"] >= 5, what="retries while down")
    for record in make_records(50, start=50):
        transport.send(record)
    assert transport.stats()["queue_spans"] == 100
    collector = Collector()
    await collector.start(port=port)
    try:
        await eventually(lambda: len(collector.spans) == 100, what="every span once")
        assert await transport.close() == 0
    finally:
        await collector.stop()
    assert sorted(s["name"] for s in collector.spans) == sorted(f"op-{n}" for n in range(100))
    stats = transport.stats()
    assert stats["spans_sent"] == 100
    assert stats["spans_dropped"] == 0
    assert "fail (ClientConnectorError" in caplog.text
    assert "succeed again" in caplog.text


@pytest.fixture
def hung() -> HungCollector:
    return HungCollector()


async def test_a_hung_collector_does_not_hold_up_the_app(hung: HungCollector) -> None:
    async with hung as url:
        tracer = await az.create(
            url, az.create_endpoint("app"), sample_rate=1.0, send_interval=0.01
        )
        transport = tracer.transport
        assert isinstance(transport, az.Transport)

        async def handler(request: web.Request) -> web.Response:
            with tracer.new_trace() as span:
                span.name("handler")
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/", handler)
        server = TestServer(app)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as session:
                # The upload is pending on a collector that never answers; the app goes on.
                await still_served_while_hung(session, server.make_url("/"), hung, more=50)
                assert hung.requests.is_set()
                stats = transport.stats()
                assert stats["spans_queued"] == 51
                assert stats["spans_sent"] == 0
                started = time.monotonic()
                assert await transport.close(timeout=0.2) == 51
                # Cut at the close timeout, not at the request timeout (5 s).
                assert time.monotonic() - started < 4
        finally:
            await server.close()
        await tracer.close()


async def test_a_timed_out_upload_is_retried(hung: HungCollector, fast_backoff: None) -> None:
    async with hung as url:
        transport = az.Transport(
            url, send_interval=0.01, send_timeout=aiohttp.ClientTimeout(total=0.1)
        )
        transport.send(make_record())
        await eventually(lambda: hung.connections >= 2, what="a second attempt")
        assert transport.stats()["retries"] >= 1
        assert await transport.close(timeout=0) == 1
