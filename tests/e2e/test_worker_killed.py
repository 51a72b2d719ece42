"""Chaos: the worker SIGKILLed in the middle of a job; the order ships, exactly once.

The worker commits a job's Kafka offset only once the job is done, so a worker killed before
that gets the job again after its restart. The order's fault header holds the worker at the
point to kill it: `worker=delay:8s` before it ships the order, `worker=hold:10s` after it
shipped and before the commit. Exactly once: the order is shipped, the book's stock went down
by one, and the trace has one stock update.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.e2e.chaos import Figures, kill_and_restart
from tests.e2e.helpers import (
    Bookshop,
    Span,
    book_stock,
    get_json,
    order_status,
    place_order,
    poll,
    zipkin_trace,
)

# A new member of the consumer group gets the partition once the killed one's session ends.
_REDELIVERY_TIMEOUT = 120.0


async def _worker_stats(bookshop: Bookshop, http: aiohttp.ClientSession) -> dict[str, Any]:
    status, body = await get_json(http, f"{bookshop.services['worker']}/stats")
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def _stock_updates(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s["name"] == "update book stock"]


@pytest.mark.parametrize(
    ("fault", "book_id", "killed_when"),
    [
        pytest.param("worker=delay:8s", 6, "before shipping", id="before-shipping"),
        pytest.param(
            "worker=hold:10s", 10, "after shipping, before the commit", id="before-commit"
        ),
    ],
)
async def test_a_worker_killed_mid_job_ships_the_order_exactly_once(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    chaos_figures: Callable[[str], Figures],
    fault: str,
    book_id: int,
    killed_when: str,
) -> None:
    figures = chaos_figures(f"worker killed {killed_when}")
    stock_before = await book_stock(bookshop, http, book_id)
    victim = bookshop.pid("worker")
    started = time.monotonic()
    status, body, trace_id = await place_order(bookshop, http, book_id, {"X-Demo-Fault": fault})
    accepted_in = time.monotonic() - started
    figures.requests = 1
    assert status == 202, body
    order_id = int(body["order_id"])
    if killed_when == "before shipping":
        await asyncio.sleep(3)  # the worker has the job and waits before shipping
        assert await order_status(bookshop, http, order_id) == "pending"
    else:
        await poll(
            lambda: order_status(bookshop, http, order_id),
            lambda s: s == "shipped",
            what=f"order {order_id} to be shipped before the commit",
        )
    health = bookshop.services["worker"] + "/health"
    outage = await kill_and_restart(bookshop, http, "worker", victim, health, timeout=60)
    figures.down_seconds = outage.seconds

    # The restarted worker gets the job again and processes it (shipping nothing twice).
    await poll(
        lambda: _worker_stats(bookshop, http),
        lambda stats: stats["processed"] >= 1,
        what="the restarted worker to process the job again",
        timeout=_REDELIVERY_TIMEOUT,
    )
    redelivered_after = time.monotonic() - outage.killed_at
    assert await order_status(bookshop, http, order_id) == "shipped"
    spans = await poll(
        lambda: zipkin_trace(bookshop, http, trace_id),
        lambda spans: bool(_stock_updates(spans)),
        what=f"the stock update in the trace {trace_id}",
    )
    await asyncio.sleep(2)  # a second update, if there were one, would be in by now
    spans = await zipkin_trace(bookshop, http, trace_id)
    stock_after = await book_stock(bookshop, http, book_id)
    consumers = [s for s in spans if s.get("kind") == "CONSUMER"]
    figures.note = (
        f"order accepted in {accepted_in * 1000:.0f} ms; processed again "
        f"{redelivered_after:.1f} s after the kill; stock {stock_before} -> {stock_after}; "
        f"{len(consumers)} CONSUMER spans, {len(_stock_updates(spans))} stock update"
    )
    assert stock_after == stock_before - 1, figures.note
    assert len(_stock_updates(spans)) == 1, figures.note
    assert consumers, "the trace has no CONSUMER span"
