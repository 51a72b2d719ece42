"""Sending the load: requests started at a steady rate, each timed and its trace id kept."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bookshop_common import FAULT_HEADER, TRACE_ID_HEADER

from .cli import LoadConfig
from .mix import Endpoint
from .shapes import expected_spans
from .stats import Sample, Summary, summarize

__all__ = ["FrontendUnreachable", "run_load"]

ROUTE_ORDER = tuple(endpoint.route for endpoint in Endpoint)

_EXPECTED = {
    Endpoint.LIST: 200,
    Endpoint.BOOK: 200,
    Endpoint.ORDER: 202,
    Endpoint.STATUS: 200,
}

OnSample = Callable[[Sample], None]


class FrontendUnreachable(RuntimeError):
    """The frontend could not list its books before the run."""


class _Shop:
    """What the requests choose from: the catalogue, and the orders placed so far."""

    def __init__(self, book_ids: list[int], rng: random.Random) -> None:
        self.book_ids = book_ids
        self.order_ids: list[int] = []
        self.rng = rng

    def book(self) -> int:
        return self.rng.choice(self.book_ids)


async def _book_ids(session: aiohttp.ClientSession, url: str) -> list[int]:
    try:
        async with session.get(f"{url}/api/books") as resp:
            if resp.status != 200:
                raise FrontendUnreachable(
                    f"GET {url}/api/books answered {resp.status}: {(await resp.text())[:300]}"
                )
            body: Any = await resp.json()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise FrontendUnreachable(
            f"cannot reach the frontend at {url} ({type(exc).__name__}: {exc}); "
            "is the stack up (make up)?"
        ) from exc
    ids = [int(book["id"]) for book in body.get("books", [])]
    if not ids:
        raise FrontendUnreachable(f"GET {url}/api/books lists no books")
    return ids


async def _one(
    session: aiohttp.ClientSession,
    config: LoadConfig,
    shop: _Shop,
    endpoint: Endpoint,
    fault: str,
) -> Sample:
    if endpoint is Endpoint.STATUS and not shop.order_ids:
        endpoint = Endpoint.ORDER  # nothing to look up yet: place one
    headers = {FAULT_HEADER: fault} if fault else {}
    body: dict[str, int] | None = None
    if endpoint is Endpoint.LIST:
        method, path = "GET", "/api/books"
    elif endpoint is Endpoint.BOOK:
        method, path = "GET", f"/api/books/{shop.book()}"
    elif endpoint is Endpoint.ORDER:
        method, path = "POST", "/api/orders"
        body = {"book_id": shop.book(), "quantity": shop.rng.randint(1, 3)}
    else:
        method, path = "GET", f"/api/orders/{shop.rng.choice(shop.order_ids)}"
    started = time.perf_counter()
    trace_id = ""
    spans: int | None = None
    try:
        async with session.request(method, config.url + path, json=body, headers=headers) as resp:
            payload = await resp.read()
            trace_id = resp.headers.get(TRACE_ID_HEADER, "")
            outcome = str(resp.status)
            ok = resp.status == _EXPECTED[endpoint]
            if ok:
                try:
                    answer = json.loads(payload)
                    if endpoint is Endpoint.ORDER:
                        shop.order_ids.append(int(answer["order_id"]))
                    spans = None if fault else expected_spans(endpoint, answer)
                except (ValueError, KeyError, TypeError, AttributeError):
                    outcome, ok = "bad body", False
    except asyncio.TimeoutError:
        outcome, ok = "timeout", False
    except aiohttp.ClientError as exc:
        outcome, ok = type(exc).__name__, False
    latency = time.perf_counter() - started
    return Sample(endpoint.route, fault, latency, ok, outcome, trace_id, spans)


async def run_load(
    config: LoadConfig,
    on_sample: OnSample | None = None,
    on_start: Callable[[], None] | None = None,
) -> Summary:
    """Send `config.rate` requests a second for `config.duration` seconds; summarise them.

    The catalogue is read first (`FrontendUnreachable` when it cannot be); `on_start` is
    called once the requests begin, `on_sample` after each.

    Requests start on a fixed schedule (an open loop) unless `config.concurrency` of them
    are in flight, in which case the next one waits for a free slot.
    """
    rng = random.Random(config.seed)
    timeout = aiohttp.ClientTimeout(total=config.timeout)
    connector = aiohttp.TCPConnector(limit=config.concurrency)
    samples: list[Sample] = []
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        shop = _Shop(await _book_ids(session, config.url), rng)
        slots = asyncio.Semaphore(config.concurrency)

        async def send(endpoint: Endpoint, fault: str) -> None:
            try:
                sample = await _one(session, config, shop, endpoint, fault)
            finally:
                slots.release()
            samples.append(sample)
            if on_sample is not None:
                on_sample(sample)

        if on_start is not None:
            on_start()
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        start = loop.time()
        interval = 1.0 / config.rate
        for i in range(config.planned):
            delay = start + i * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            task = asyncio.create_task(send(config.mix.pick(rng), config.faults.pick(rng)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    return summarize(samples, elapsed=elapsed, slowest=config.slowest, order=ROUTE_ORDER)
