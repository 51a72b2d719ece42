"""Transports: where finished spans go. The HTTP transport never blocks or raises into the app."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiohttp
from yarl import URL

from .record import Record

__all__ = ["MultiTransport", "StubTransport", "Transport", "TransportABC"]

logger = logging.getLogger("aiozipkin")

# Uploads carry a deny so that an instrumented collector does not trace its own intake.
_UPLOAD_HEADERS = {"Content-Type": "application/json", "b3": "0"}


class TransportABC(abc.ABC):
    """Receives finished spans. Implementations must not block or raise from `send`."""

    @abc.abstractmethod
    def send(self, record: Record) -> None:
        """Accept one finished span.

        Args:
            record: the span; `record.asdict()` is its Zipkin v2 JSON form.
        """

    @abc.abstractmethod
    async def close(self) -> None:
        """Deliver what can be delivered and release resources."""

    def stats(self) -> dict[str, int]:
        """Counters of what the transport did; empty when it keeps none."""
        return {}


class StubTransport(TransportABC):
    """Keeps every record in memory, in `records`; for tests and for tracing without a collector."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.closed = False

    def send(self, record: Record) -> None:
        self.records.append(record)

    async def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, int]:
        return {"spans_queued": len(self.records), "spans_sent": len(self.records)}


class Transport(TransportABC):
    """Batches spans and posts them as Zipkin v2 JSON to `address` from a background task.

    `send` only appends to a bounded queue; a full queue drops and counts the span. Failed
    uploads are retried with exponential backoff and jitter, `send_attempt_count` tries in all.
    """

    def __init__(
        self,
        address: str,
        send_interval: float = 5,
        *,
        send_max_size: int = 100,
        send_attempt_count: int = 3,
        send_timeout: aiohttp.ClientTimeout | None = None,
        max_queue_spans: int = 10_000,
    ) -> None:
        self._address = URL(address)
        if self._address.scheme not in ("http", "https") or not self._address.host:
            raise ValueError(f"collector address must be an http(s) URL, got {address!r}")
        if send_interval <= 0:
            raise ValueError(f"send_interval must be > 0, got {send_interval!r}")
        if send_max_size < 1:
            raise ValueError(f"send_max_size must be >= 1, got {send_max_size!r}")
        if send_attempt_count < 1:
            raise ValueError(f"send_attempt_count must be >= 1, got {send_attempt_count!r}")
        self._interval = float(send_interval)
        self._max_size = send_max_size
        self._attempts = send_attempt_count
        self._timeout = send_timeout or aiohttp.ClientTimeout(total=5)
        self._max_queue = max_queue_spans
        self._queue: deque[dict[str, Any]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._closed = False
        self._stats = dict.fromkeys(
            (
                "spans_queued",
                "spans_sent",
                "spans_dropped",
                "dropped_queue_full",
                "dropped_failed",
                "dropped_shutdown",
                "dropped_encode",
                "batches_sent",
                "batches_failed",
                "retries",
                "bytes_sent",
            ),
            0,
        )

    def send(self, record: Record) -> None:
        stats = self._stats
        if self._closing or len(self._queue) >= self._max_queue:
            stats["spans_dropped"] += 1
            stats["dropped_shutdown" if self._closing else "dropped_queue_full"] += 1
            return
        try:
            data = record.asdict()
        except Exception:
            stats["spans_dropped"] += 1
            stats["dropped_encode"] += 1
            logger.exception("aiozipkin: could not encode a span")
            return
        self._queue.append(data)
        stats["spans_queued"] += 1
        if self._task is None:
            self._start()
        elif len(self._queue) >= self._max_size and self._wakeup is not None:
            self._wakeup.set()

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the queue is sent once a span is sent inside one
        self._wakeup = asyncio.Event()
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        assert self._wakeup is not None
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._interval)
            self._wakeup.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self._max_size, len(self._queue)))]
            await self._send_batch(batch)

    async def _send_batch(self, batch: list[dict[str, Any]]) -> None:
        stats = self._stats
        body = json.dumps(batch, separators=(",", ":"), ensure_ascii=False).encode()
        for attempt in range(self._attempts):
            if attempt:
                stats["retries"] += 1
                await asyncio.sleep(min(0.1 * 2**attempt, 5.0) * (0.5 + random.random()))
            try:
                if self._session is None:
                    self._session = aiohttp.ClientSession(timeout=self._timeout)
                async with self._session.post(
                    self._address, data=body, headers=_UPLOAD_HEADERS
                ) as resp:
                    if resp.status < 300:
                        stats["spans_sent"] += len(batch)
                        stats["batches_sent"] += 1
                        stats["bytes_sent"] += len(body)
                        return
                    text = await resp.text()
                    if 400 <= resp.status < 500 and resp.status != 429:
                        logger.error(
                            "aiozipkin: collector %s rejected a batch: %s %s",
                            self._address,
                            resp.status,
                            text[:500],
                        )
                        break
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                logger.debug("aiozipkin: upload to %s failed: %r", self._address, exc)
            except Exception:
                logger.exception("aiozipkin: unexpected upload failure")
                break
        stats["batches_failed"] += 1
        stats["spans_dropped"] += len(batch)
        stats["dropped_failed"] += len(batch)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing = True
        task = self._task
        if task is not None and self._wakeup is not None:
            self._wakeup.set()
            try:
                await task
            except Exception:
                logger.exception("aiozipkin: transport task failed")
        try:
            await self._flush()
        finally:
            if self._session is not None:
                await self._session.close()

    def stats(self) -> dict[str, int]:
        return dict(self._stats)


class MultiTransport(TransportABC):
    """Sends every span to several transports, each with its own queue and retries."""

    def __init__(self, transports: Sequence[TransportABC]) -> None:
        if not transports:
            raise ValueError("MultiTransport needs at least one transport")
        self._transports = tuple(transports)

    def send(self, record: Record) -> None:
        for transport in self._transports:
            transport.send(record)

    async def close(self) -> None:
        await asyncio.gather(*(t.close() for t in self._transports))

    def stats(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for transport in self._transports:
            for key, value in transport.stats().items():
                total[key] = total.get(key, 0) + value
        return total
