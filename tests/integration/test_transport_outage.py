"""A real Zipkin stopped during steady traffic and restarted later: no queued span is lost.

Zipkin here keeps spans in memory, so the restarted server starts empty. The transport sends
in order, one batch at a time, so the spans the first server acknowledged are the first
`spans_sent` spans made; every later one must reach the second server exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import aiohttp
import pytest

import aiozipkin as az
from tests.integration.helpers import POLL_INTERVAL, JsonSpan, unique_service
from tests.servers import ROOT, ServerProcess, log_tail, start_zipkin
from tests.support.polling import eventually
from tests.support.ports import free_ports

# Steady traffic: a burst of spans every tick, at most SPANS_PER_TICK / TICK spans a second.
SPANS_PER_TICK = 4
TICK = 0.02
# Zipkin stays down until this many spans are waiting: at least 10 s of traffic.
OUTAGE_SPANS = int(10 / TICK) * SPANS_PER_TICK


class Traffic:
    """Makes spans at a steady pace, one trace each, remembering their ids in order."""

    def __init__(self, tracer: az.Tracer) -> None:
        self.tracer = tracer
        self.made: list[str] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            for _ in range(SPANS_PER_TICK):
                with self.tracer.new_trace(sampled=True) as span:
                    span.name("tick")
                    span.kind(az.SERVER)
                    span.tag("seq", len(self.made))
                self.made.append(span.context.span_id)
            await asyncio.sleep(TICK)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


async def zipkin_spans(http: aiohttp.ClientSession, base_url: str, service: str) -> list[JsonSpan]:
    params = {"serviceName": service, "limit": "1000000", "lookback": "3600000"}
    async with http.get(f"{base_url}/api/v2/traces", params=params) as resp:
        assert resp.status == 200, await resp.text()
        traces: list[list[JsonSpan]] = await resp.json()
    return [span for trace in traces for span in trace]


async def healthy(http: aiohttp.ClientSession, base_url: str) -> bool | None:
    with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
        async with http.get(f"{base_url}/health") as resp:
            if resp.status == 200:
                return True
    return None


@pytest.fixture
def restartable_log_dir(servers_log_dir: Path) -> Path:
    path = servers_log_dir / f"outage-{time.monotonic_ns()}"
    path.mkdir()
    return path


async def test_zipkin_restart_during_traffic_loses_no_queued_span(
    http: aiohttp.ClientSession, restartable_log_dir: Path
) -> None:
    (port,) = free_ports(1)
    # The first Zipkin starts before any traffic, so waiting for it may block the loop.
    first, server = start_zipkin(restartable_log_dir / "first", port=port)
    second = ServerProcess(
        "zipkin",
        ROOT / "scripts" / "run-zipkin.sh",
        {"ZIPKIN_PORT": str(port)},
        restartable_log_dir / "second" / f"zipkin-{port}.log",
    )
    service = unique_service("outage")
    tracer = await az.create(
        server.spans_url, az.create_endpoint(service), sample_rate=1.0, send_interval=0.1
    )
    transport = tracer.transport
    assert isinstance(transport, az.Transport)
    traffic = Traffic(tracer)

    async def sent_at_least(count: int) -> bool | None:
        return True if transport.stats()["spans_sent"] >= count else None

    try:
        traffic.start()
        await eventually(lambda: sent_at_least(400), what="400 spans at the first Zipkin")
        seen_by_first = await zipkin_spans(http, server.url, service)
        assert len(seen_by_first) >= 400

        await asyncio.to_thread(first.stop)
        stopped_at = time.monotonic()
        retries = transport.stats()["retries"]

        async def failed_after_stop() -> bool | None:
            return True if transport.stats()["retries"] > retries else None

        # Past a failed attempt no acknowledgement from the first Zipkin is pending.
        await eventually(failed_after_stop, what="a failed upload after the stop")
        acknowledged = transport.stats()["spans_sent"]

        async def outage_long_enough() -> bool | None:
            return True if transport.stats()["queue_spans"] >= OUTAGE_SPANS else None

        await eventually(outage_long_enough, what=f"{OUTAGE_SPANS} spans queued", timeout=60)
        second.start()
        await eventually(
            lambda: healthy(http, server.url),
            what="the restarted Zipkin",
            timeout=120,
            interval=POLL_INTERVAL,
        )
        outage = time.monotonic() - stopped_at
        assert 10 <= outage <= 90, f"outage of {outage:.0f} s"
        made_while_down = len(traffic.made)

        # Steady traffic goes on until the backlog and some more has been delivered.
        await eventually(
            lambda: sent_at_least(made_while_down + 200), what="the backlog delivered", timeout=60
        )
        await traffic.stop()
        assert await transport.close(timeout=30) == 0
        stats = tracer.stats()

        stored = await zipkin_spans(http, server.url, service)
        ids = [span["id"] for span in stored]
        expected = traffic.made[acknowledged:]
        assert len(ids) == len(set(ids)), "a span arrived twice"
        assert sorted(ids) == sorted(expected), (
            f"{len(set(expected) - set(ids))} spans missing, "
            f"{len(set(ids) - set(expected))} unexpected"
        )
        seqs = sorted(int(span["tags"]["seq"]) for span in stored)
        assert seqs == list(range(acknowledged, len(traffic.made)))

        assert stats["spans_queued"] == len(traffic.made)
        assert stats["spans_sent"] == len(traffic.made)
        assert stats["spans_dropped"] == 0
        assert stats["batches_failed"] == 0
        assert stats["retries"] >= 1
        assert stats["queue_spans"] == 0
    except AssertionError as exc:
        logs = "\n".join(f"--- {p.log_path}:\n{log_tail(p.log_path, 30)}" for p in (first, second))
        raise AssertionError(f"{exc}\n{logs}") from exc
    finally:
        await traffic.stop()
        await tracer.close()
        await asyncio.to_thread(first.stop)
        await asyncio.to_thread(second.stop)
