"""Steady traffic while a process of the stack is killed, and what then reached a collector.

`Traffic` sends requests at a fixed rate, each in its own task so that a hung one never holds
back the stream, bounded in count and in time. `Figures` are what a chaos test reports: they
are printed at the end of the run (tests/e2e/conftest.py) and asserted by the test.

"No request slower than 1 s because of the kill": a request sent from the kill on may take
1 s more than the slowest one sent before it, on the same machine under the same load. On a
quiet machine that is about 1 s; on a busy one the baseline says how busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.e2e.helpers import Bookshop, Span, poll

__all__ = [
    "REQUEST_TIMEOUT",
    "SLOW",
    "Figures",
    "Outage",
    "Sample",
    "Traffic",
    "jaeger_spans",
    "kill_and_restart",
    "kill_under_traffic",
    "request",
    "span_counts",
    "wait_healthy",
    "wait_pid_changed",
]

# The target: no request slower than this while a process is killed and restarted.
SLOW = 1.0
# A request that takes longer counts as hung (status 0).
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it started (monotonic), how long it took, what it answered."""

    started: float
    seconds: float
    status: int
    body: Any
    trace_id: str


async def request(
    http: aiohttp.ClientSession, method: str, url: str, *, json: Any = None
) -> Sample:
    """Send one request; a connection failure or a timeout is a sample with status 0."""
    started = time.monotonic()
    try:
        async with http.request(
            method, url, json=json, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        ) as resp:
            body: Any = (
                await resp.json() if resp.content_type == "application/json" else await resp.text()
            )
            status, trace_id = resp.status, resp.headers.get("X-Trace-Id", "")
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        status, body, trace_id = 0, f"{type(exc).__name__}: {exc}", ""
    return Sample(started, time.monotonic() - started, status, body, trace_id)


class Traffic:
    """`send()` every 1/`rate` seconds from `start()` until `stop()` or either bound."""

    def __init__(
        self,
        send: Callable[[], Coroutine[Any, Any, Sample]],
        *,
        rate: float,
        max_requests: int,
        max_seconds: float,
    ) -> None:
        self._send = send
        self._interval = 1.0 / rate
        self._max_requests = max_requests
        self._max_seconds = max_seconds
        self._stopped = asyncio.Event()
        self._loop: asyncio.Task[list[Sample]] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run())

    async def stop(self) -> list[Sample]:
        """Stop sending and wait for the answers still due; the samples in start order."""
        assert self._loop is not None, "start() first"
        self._stopped.set()
        return await self._loop

    async def _run(self) -> list[Sample]:
        tasks: list[asyncio.Task[Sample]] = []
        deadline = time.monotonic() + self._max_seconds
        while not self._stopped.is_set() and len(tasks) < self._max_requests:
            if time.monotonic() > deadline:
                break
            tasks.append(asyncio.create_task(self._send()))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self._interval)
        return list(await asyncio.gather(*tasks))


async def wait_healthy(http: aiohttp.ClientSession, url: str, *, timeout: float) -> float:
    """Poll `url` until it answers 200; returns when (monotonic). Fails at the deadline."""

    async def answers() -> bool:
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    await poll(answers, bool, what=f"{url} to answer 200 again", timeout=timeout)
    return time.monotonic()


async def wait_pid_changed(bookshop: Bookshop, name: str, old_pid: int, *, timeout: float) -> int:
    """Wait until the supervisor runs `name` under a new pid; returns it.

    The supervisor is asked from a thread: the event loop keeps timing the requests.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid = await asyncio.to_thread(bookshop.pid, name)
        except AssertionError:
            pid = old_pid  # between the exit and the restart it has no pid
        if pid != old_pid:
            return pid
        if time.monotonic() > deadline:
            raise AssertionError(f"the supervisor did not restart {name} within {timeout:.0f} s")
        await asyncio.sleep(0.2)


@dataclass(frozen=True, slots=True)
class Outage:
    """When a process was killed and when it answered its health URL again (monotonic)."""

    killed_at: float
    healthy_at: float

    @property
    def seconds(self) -> float:
        return self.healthy_at - self.killed_at


async def kill_and_restart(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    name: str,
    pid: int,
    health_url: str,
    *,
    timeout: float,
) -> Outage:
    """SIGKILL `pid` (the stack's process `name`), wait for the supervisor's restart and health."""
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await wait_pid_changed(bookshop, name, pid, timeout=30)
    return Outage(killed_at, await wait_healthy(http, health_url, timeout=timeout))


async def kill_under_traffic(
    bookshop: Bookshop,
    http: aiohttp.ClientSession,
    traffic: Traffic,
    name: str,
    health_url: str,
    *,
    timeout: float,
) -> tuple[list[Sample], Outage]:
    """Start `traffic`, kill `name` 3 s in, let it run 2 s past the restart, stop it.

    The pid is asked for before the traffic starts, so that asking does not hold it up.
    """
    victim = bookshop.pid(name)
    traffic.start()
    try:
        await asyncio.sleep(3)
        outage = await kill_and_restart(bookshop, http, name, victim, health_url, timeout=timeout)
        await asyncio.sleep(2)
    finally:
        samples = await traffic.stop()
    return samples, outage


async def jaeger_spans(
    bookshop: Bookshop, http: aiohttp.ClientSession, trace_id: str
) -> list[Span]:
    """The trace's spans as Jaeger's query API has them now ([] when it has none)."""
    async with http.get(f"{bookshop.jaeger}/api/traces/{trace_id}") as resp:
        if resp.status == 404:
            return []
        assert resp.status == 200, f"Jaeger answered {resp.status}: {await resp.text():.500}"
        body = await resp.json()
    return [{"id": span["spanID"]} for trace in body["data"] for span in trace["spans"]]


def span_counts(spans: list[Span]) -> tuple[int, int]:
    """(distinct span ids, duplicates) of one trace as a collector returned it."""
    distinct = len({span["id"] for span in spans})
    return distinct, len(spans) - distinct


@dataclass
class Figures:
    """What one chaos scenario measured."""

    scenario: str
    requests: int = 0
    failed: int = 0
    slowest: float = 0.0
    baseline: float = 0.0
    traces: int = 0
    spans_expected: int = 0
    spans_arrived: int = 0
    spans_duplicated: int = 0
    down_seconds: float = 0.0
    note: str = ""

    @property
    def spans_lost(self) -> int:
        return self.spans_expected - self.spans_arrived

    def count(self, samples: list[Sample], ok: Callable[[Sample], bool], killed_at: float) -> None:
        """Requests, failures, and the slowest before the kill (the baseline) and from it on."""
        self.requests = len(samples)
        self.failed = sum(not ok(s) for s in samples)
        self.baseline = max((s.seconds for s in samples if s.started < killed_at), default=0.0)
        self.slowest = max((s.seconds for s in samples if s.started >= killed_at), default=0.0)

    @property
    def slow_limit(self) -> float:
        """`SLOW` beyond what this machine took before the kill (a busy machine is no kill)."""
        return SLOW + self.baseline

    def slow(self, samples: list[Sample], since: float) -> list[str]:
        """Requests over the limit: when they started (after `since`), took, answered."""
        return [
            f"+{s.started - since:.1f} s: {s.seconds:.2f} s, {s.status}"
            for s in samples
            if s.seconds >= self.slow_limit
        ]

    def line(self) -> str:
        spans = (
            f"; {self.traces} traces, spans expected {self.spans_expected}, arrived "
            f"{self.spans_arrived}, lost {self.spans_lost}, duplicated {self.spans_duplicated}"
            if self.traces
            else ""
        )
        return (
            f"{self.scenario}: requests sent {self.requests}, failed {self.failed}, slowest "
            f"{self.slowest * 1000:.0f} ms from the kill on ({self.baseline * 1000:.0f} ms "
            f"before it); down {self.down_seconds:.1f} s{spans}"
            + (f"; {self.note}" if self.note else "")
        )
