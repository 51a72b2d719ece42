"""`BatchingTransport`: spans queued from the application, sent in batches by a background task.

It composes three layers, each replaceable on its own: a `SpanQueue` (bounded, batch
taking, drop counters), a `RetryPolicy` and a `Sender` (see `sender` for its protocol).
`send` is synchronous, O(1) and never raises; a sender task, started in the event loop of
the first span, sends full batches at once and the rest every `send_interval` seconds. A
batch stays queued until it is sent or given up. `close` drains the queue within a timeout.

A public transport is a thin subclass that checks its own settings, makes its sender and
hands both on, as `aiozipkin.transport.Transport` does:

    class SomeTransport(BatchingTransport):
        def __init__(self, target, *, encoding=Encoding.JSON, send_interval=5, ...):
            sender = SomeSender(target)  # implements sender.Sender
            settings = BatchSettings.pick(locals())
            super().__init__(sender, parse_encoding(encoding), settings)

It then has `send`, `close(timeout)`, `stats()` (the keys of `COUNTERS`, plus queue_spans
and queue_bytes), and joins `MultiTransport`'s encode-once fan-out (`EncodedSpanSink`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from ..encoding import Encoding
from ..record import Record
from .base import TransportABC
from .codec import CODECS
from .queue import DROP_CAUSES, ENCODE, FAILED, QUEUE_FULL, SHUTDOWN, Batch, SpanQueue
from .retry import RetryPolicy
from .sender import Delivery, Outcome, Sender

__all__ = ["COUNTERS", "BatchSettings", "BatchingTransport"]

logger = logging.getLogger("aiozipkin")

# After an unexpected error in the sender task, wait this long before going on.
_ERROR_PAUSE: Final = 5.0
COUNTERS: Final = (
    "spans_queued",
    "spans_sent",
    "spans_dropped",
    *DROP_CAUSES,
    "batches_sent",
    "batches_failed",
    "batches_rejected",
    "retries",
    "bytes_sent",
    "bytes_encoded",
)


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """How a batching transport queues, batches and retries; checked when made."""

    send_interval: float
    send_max_size: int
    send_attempt_count: int | None
    max_queue_spans: int
    max_queue_bytes: int
    message_max_bytes: int
    retry_budget: float

    @classmethod
    def pick(cls, arguments: Mapping[str, Any]) -> BatchSettings:
        """The settings among a transport constructor's `arguments` (its `locals()`), by name.

        Every public transport takes these parameters under these names; their types are
        checked at its signature, their values here.
        """
        return cls(**{field.name: arguments[field.name] for field in fields(cls)})

    def __post_init__(self) -> None:
        if not self.send_interval > 0:
            raise ValueError(f"send_interval must be > 0, got {self.send_interval!r}")
        for name in ("send_max_size", "max_queue_spans", "max_queue_bytes", "message_max_bytes"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        attempts = self.send_attempt_count
        if attempts is not None and attempts < 1:
            raise ValueError(f"send_attempt_count must be >= 1, got {attempts!r}")
        if not self.retry_budget >= 0:
            raise ValueError(f"retry_budget must be >= 0, got {self.retry_budget!r}")


class BatchingTransport(TransportABC):
    """Queues encoded spans and hands them in batches to a sender, retrying by a policy."""

    def __init__(self, sender: Sender, encoding: Encoding, settings: BatchSettings) -> None:
        self._sender = sender
        self._encoding = encoding
        self._encode = CODECS[encoding].encode
        self._interval = float(settings.send_interval)
        self._queue = SpanQueue(
            CODECS[encoding],
            max_spans=settings.max_queue_spans,
            max_bytes=settings.max_queue_bytes,
            batch_spans=settings.send_max_size,
            batch_bytes=settings.message_max_bytes,
            target=sender.target,
        )
        self._retry = RetryPolicy(
            budget=float(settings.retry_budget), attempts=settings.send_attempt_count
        )
        # Every counter, in the order stats() lists them; the queue keeps its own.
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._task: asyncio.Task[None] | None = None
        # Set while the sender sleeps until the next interval; resolved early by a full batch.
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._close_task: asyncio.Task[int] | None = None

    @property
    def encoding(self) -> Encoding:
        """The wire encoding of the batches."""
        return self._encoding

    @property
    def sender_idle(self) -> bool:
        """True while the sender task sleeps until the next interval or a full batch."""
        return self._waiter is not None

    # --- the application side: synchronous, O(1), never raises ------------------------------

    def send(self, record: Record) -> None:
        try:
            if self._closed:
                self._queue.drop(SHUTDOWN)
                return
            if self._queue.is_full():
                self._queue.drop(QUEUE_FULL)
                return
            try:
                data = self._encode(record)
            except Exception:
                self.drop_unencodable()
                return
            self.send_encoded(data)
        except Exception:  # a bug here must still not reach the application
            logger.exception("aiozipkin: transport.send failed")

    def send_encoded(self, data: bytes) -> None:
        """Queue a span encoded with `encoding`, from any thread (queued in the loop's)."""
        if self._loop_thread is None or threading.get_ident() == self._loop_thread:
            self._offer(data)
            return
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._offer, data)
        except RuntimeError:  # that loop is closed: the application is going away
            self._queue.drop(SHUTDOWN)

    def drop_unencodable(self) -> None:
        if not self._queue.counts[ENCODE]:
            logger.exception(
                "aiozipkin: could not encode a span for %s; dropped", self._sender.target
            )
        self._queue.drop(ENCODE)

    def _offer(self, data: bytes) -> None:
        if self._closed:
            self._queue.drop(SHUTDOWN)
            return
        if not self._queue.offer(data):
            return
        if self._waiter is not None:
            if self._queue.batch_ready():
                self._wake()
        elif self._task is None or self._task.done():
            self._start()

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the queue is sent once a span is sent inside one, or at close
        if self._task is not None and not self._task.done():
            if self._task.get_loop() is loop:
                return
            # The loop it ran on is gone (closed without cancelling it); so are its connections.
            self._sender.detach()
        self._loop = loop
        self._loop_thread = threading.get_ident()
        # A fresh context: the sender must not inherit the span active where the first span was
        # sent (its logs would carry that trace id, and a traced client would trace uploads).
        self._task = contextvars.Context().run(
            loop.create_task, self._run(), name=f"aiozipkin transport {self._sender.target}"
        )

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            _resolve(waiter)

    # --- the sender task ------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._send_loop()
        finally:
            # Also when cancelled, e.g. by asyncio.run() at exit: a later span or close()
            # starts a new task, with new connections.
            await self._sender.close()

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        flush_at = loop.time() + self._interval
        while True:
            try:
                if self._closed:
                    # Draining for close(): everything, back to back, unless the far side
                    # has been failing for longer than the budget (close counts the rest).
                    if not len(self._queue) or self._retry.budget_spent(loop.time()):
                        return
                    await self._send_batch()
                elif self._queue.batch_ready():
                    await self._send_batch()
                elif loop.time() >= flush_at:
                    await self._flush()
                    flush_at = loop.time() + self._interval
                else:
                    await self._sleep_until(loop, flush_at)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("aiozipkin: transport task error; going on")
                await asyncio.sleep(_ERROR_PAUSE)

    async def _flush(self) -> None:
        """Send what is queued now; spans arriving meanwhile wait for the next tick or a full
        batch, so that a trickle of spans is not sent one by one."""
        pending = len(self._queue)
        while pending > 0 and not self._closed:
            sent = await self._send_batch()
            if not sent:
                break
            pending -= sent

    async def _sleep_until(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        """Sleep until `when`, a full batch, or close(), whichever comes first."""
        waiter = loop.create_future()
        self._waiter = waiter
        handle = loop.call_at(when, _resolve, waiter)
        try:
            await waiter
        finally:
            handle.cancel()
            self._waiter = None

    async def _send_batch(self) -> int:
        """Deliver the batch at the head of the queue until sent or given up; return its size.

        The spans stay queued (and counted in the bounds) until then, so a close() that cuts
        the retries short still knows them as undelivered.
        """
        batch = self._queue.next_batch()
        if batch is None:
            return 0
        body = await self._sender.prepare(batch.message)
        outcome = await self._deliver(body)
        # Only the sender task removes from the head, so the batch is still there, whole.
        self._queue.release(batch)
        self._count(batch, body, outcome)
        return batch.spans

    def _count(self, batch: Batch, body: bytes, outcome: Outcome) -> None:
        counts = self._counts
        if outcome is Outcome.SENT:
            counts["spans_sent"] += batch.spans
            counts["batches_sent"] += 1
            counts["bytes_sent"] += len(body)
            counts["bytes_encoded"] += len(batch.message)
            return
        counts["batches_failed"] += 1
        if outcome is Outcome.REJECTED:
            counts["batches_rejected"] += 1
        self._queue.drop(FAILED, batch.spans)

    async def _deliver(self, body: bytes) -> Outcome:
        """Send one body, retrying while the policy allows it."""
        loop = asyncio.get_running_loop()
        retry = self._retry
        attempts = 0
        while True:
            delay = retry.delay()
            if delay:
                await asyncio.sleep(delay)
            attempts += 1
            delivery = await self._sender.send(body)
            if delivery.outcome is not Outcome.RETRY:
                if retry.succeeded():
                    logger.info("aiozipkin: uploads to %s succeed again", self._sender.target)
                return delivery.outcome
            now = loop.time()
            if retry.failed(now, delivery.retry_after):
                self._warn_failing(delivery)
            if retry.give_up(attempts, now):
                return Outcome.RETRY
            self._counts["retries"] += 1

    def _warn_failing(self, delivery: Delivery) -> None:
        logger.warning(
            "aiozipkin: uploads to %s fail (%s); %d spans stay queued and are "
            "retried for up to %.0f s",
            self._sender.target,
            delivery.error,
            len(self._queue),
            self._retry.budget,
        )

    # --- shutdown ---------------------------------------------------------------------------

    async def close(self, timeout: float | None = 5.0) -> int:
        """Send what is queued within `timeout` seconds (None: no limit), then stop.

        Returns how many spans could not be delivered (also counted as `dropped_shutdown`).
        Later calls return the same number; spans sent after close are dropped.
        """
        if self._close_task is None:
            self._closed = True
            self._close_task = asyncio.ensure_future(self._close(timeout))
        return await asyncio.shield(self._close_task)

    async def _close(self, timeout: float | None) -> int:
        if len(self._queue):
            self._start()  # unless running already in this loop
        task = self._task
        if task is not None and task.get_loop() is not asyncio.get_running_loop():
            task = None
        self._wake()
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except asyncio.TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        undelivered = self._queue.clear()
        if undelivered:
            self._queue.drop(SHUTDOWN, undelivered, warn=False)
            logger.warning(
                "aiozipkin: closed with %d spans not delivered to %s",
                undelivered,
                self._sender.target,
            )
        await self._sender.close()
        return undelivered

    def stats(self) -> dict[str, int]:
        """Counters since creation, and what the queue holds now.

        spans_queued, spans_sent, spans_dropped (the sum of dropped_queue_full,
        dropped_failed, dropped_shutdown, dropped_encode and dropped_too_large),
        batches_sent, batches_failed (batches_rejected: those refused and not retried),
        retries, bytes_sent (bodies as sent), bytes_encoded (framed, before compression),
        queue_spans and queue_bytes.
        """
        queued = self._queue.counts
        stats = {key: queued.get(key, count) for key, count in self._counts.items()}
        stats["queue_spans"] = len(self._queue)
        stats["queue_bytes"] = self._queue.nbytes
        return stats


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
