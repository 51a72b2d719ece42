"""Chaos against the real stack: a process is SIGKILLed by pid while requests keep coming.

Each test checks what a user sees (the status and latency of every request sent meanwhile) and
what reached the collectors afterwards (each trace's spans by id, none lost, none twice). The
supervisor restarts the killed process; every test waits for that, so the stack is whole again
for the tests after it. Figures are printed in the "chaos figures" section of the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
import pytest

from tests.e2e.chaos import (
    Figures,
    Sample,
    Traffic,
    jaeger_spans,
    kill_under_traffic,
    request,
    span_counts,
)
from tests.e2e.helpers import (
    Bookshop,
    Span,
    service,
    wait_full_order_trace,
    wait_trace,
    zipkin_trace,
)

# After the collector is back, how long its traces may take to arrive: the transport's
# backoff is at most 5 s between attempts.
_ARRIVAL_TIMEOUT = 60.0
_RESTART_TIMEOUT = 120.0


def _health_url(bookshop: Bookshop, collector: str) -> str:
    return (
        f"{bookshop.zipkin}/health" if collector == "zipkin" else f"{bookshop.jaeger}/api/services"
    )


async def _spans(
    bookshop: Bookshop, http: aiohttp.ClientSession, collector: str, trace_id: str
) -> list[Span]:
    if collector == "zipkin":
        return await zipkin_trace(bookshop, http, trace_id)
    return await jaeger_spans(bookshop, http, trace_id)


async def _arrived(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    collector: str,
    trace_ids: list[str],
    per_trace: int,
) -> tuple[int, int, list[str]]:
    """Wait for every trace to have `per_trace` spans in `collector`, up to the deadline.

    Returns (distinct spans arrived, duplicated spans, the incomplete trace ids).
    """
    deadline = time.monotonic() + _ARRIVAL_TIMEOUT
    arrived = duplicated = 0
    incomplete: list[str] = []
    for trace_id in trace_ids:
        while True:
            distinct, twice = span_counts(await _spans(bookshop, http, collector, trace_id))
            if distinct >= per_trace or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        arrived += distinct
        duplicated += twice
        if distinct < per_trace:
            incomplete.append(trace_id)
    return arrived, duplicated, incomplete


def _accepted(sample: Sample) -> bool:
    return sample.status == 202


@pytest.mark.parametrize("collector", ["zipkin", "jaeger"])
async def test_a_collector_killed_loses_no_span_and_slows_no_request(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    chaos_figures: Callable[[str], Figures],
    collector: str,
) -> None:
    figures = chaos_figures(f"{collector} killed during orders")
    other = "jaeger" if collector == "zipkin" else "zipkin"
    # One whole order trace first: the stack is settled, and an order's span count is known.
    _, reference = await wait_full_order_trace(bookshop, http, book_id=4)
    per_trace = len(reference)
    other_pid = bookshop.pid(other)
    orders = Traffic(
        lambda: request(
            http, "POST", f"{bookshop.frontend}/api/orders", json={"book_id": 5, "quantity": 1}
        ),
        rate=5,
        max_requests=600,
        max_seconds=_RESTART_TIMEOUT,
    )
    samples, outage = await kill_under_traffic(
        bookshop,
        http,
        orders,
        collector,
        _health_url(bookshop, collector),
        timeout=_RESTART_TIMEOUT,
    )
    killed_at, healthy_at = outage.killed_at, outage.healthy_at
    figures.count(samples, _accepted, killed_at)
    figures.down_seconds = outage.seconds
    while_down = [s.trace_id for s in samples if killed_at <= s.started <= healthy_at]
    figures.traces = len(while_down)
    figures.spans_expected = per_trace * len(while_down)
    arrived, duplicated, incomplete = await _arrived(
        bookshop, http, collector, while_down, per_trace
    )
    figures.spans_arrived, figures.spans_duplicated = arrived, duplicated
    other_arrived, _, other_incomplete = await _arrived(
        bookshop, http, other, while_down, per_trace
    )

    failed = [s for s in samples if not _accepted(s)]
    assert not failed, f"{len(failed)} orders failed while {collector} was down: {failed[:3]}"
    assert figures.slowest < figures.slow_limit, f"slow: {figures.slow(samples, killed_at)[:20]}"
    assert while_down, f"no order was sent while {collector} was down"
    assert not incomplete, f"{figures.spans_lost} spans lost; incomplete traces {incomplete[:5]}"
    assert duplicated == 0, f"{duplicated} spans arrived twice in {collector}"
    assert bookshop.pid(other) == other_pid, f"{other} was restarted too"
    assert not other_incomplete, f"{other} lacks spans of {other_incomplete[:5]}"
    assert other_arrived == figures.spans_expected


@pytest.mark.parametrize(
    ("downstream", "path"),
    [
        pytest.param("db_proxy", "/api/books", id="db_proxy"),
        pytest.param("cache", "/api/books/3", id="cache"),
    ],
)
async def test_a_downstream_killed_fails_fast_with_502_and_recovers(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    chaos_figures: Callable[[str], Figures],
    downstream: str,
    path: str,
) -> None:
    figures = chaos_figures(f"{downstream} killed during GET {path}")
    url = bookshop.frontend + path
    for _ in range(2):  # the second read of a book is served by the cache
        warm = await request(http, "GET", url)
        assert warm.status == 200, warm
    reads = Traffic(lambda: request(http, "GET", url), rate=10, max_requests=1000, max_seconds=90)
    health = bookshop.services[downstream] + "/health"
    samples, outage = await kill_under_traffic(
        bookshop, http, reads, downstream, health, timeout=30
    )
    figures.count(samples, lambda s: s.status == 200, outage.killed_at)
    figures.down_seconds = outage.seconds

    failures = [s for s in samples if s.status != 200]
    wrong = [
        s
        for s in failures
        if s.status != 502 or not isinstance(s.body, dict) or s.body.get("failed") != downstream
    ]
    assert not wrong, f"failures that are not a 502 naming {downstream}: {wrong[:3]}"
    assert failures, f"no request failed although {downstream} was killed"
    assert figures.slowest < figures.slow_limit, (
        f"slow: {figures.slow(samples, outage.killed_at)[:20]}"
    )
    recovered = [s for s in samples if s.started > outage.healthy_at + 0.5]
    assert recovered, "no request was sent after the restart"
    assert all(s.status == 200 for s in recovered), [s for s in recovered if s.status != 200][:3]

    def failed_client_spans(spans: list[Span]) -> list[Span]:
        return [
            s
            for s in spans
            if service(s) == "backend"
            and s.get("kind") == "CLIENT"
            and "error" in s.get("tags", {})
        ]

    spans = await wait_trace(
        bookshop,
        http,
        failures[0].trace_id,
        lambda spans: bool(failed_client_spans(spans)),
        f"the error tag on backend's call to {downstream}",
    )
    figures.note = f"backend's client span: error={failed_client_spans(spans)[0]['tags']['error']}"
