"""Transports: where finished spans go. The HTTP transport never blocks or raises into the app."""

from __future__ import annotations

import abc
import asyncio
import bisect
import contextlib
import contextvars
import email.utils
import enum
import itertools
import logging
import math
import random
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Final, NamedTuple

import aiohttp
from yarl import URL

from .encoding import Encoding, _proto3_list_entry, encode_span_json
from .record import Record

__all__ = ["MultiTransport", "StubTransport", "Transport", "TransportABC"]

logger = logging.getLogger("aiozipkin")

_MiB: Final = 1024 * 1024
_KiB: Final = 1024
_DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=5)
# Backoff between failed attempts: base * 2**n, capped, each delay drawn from [d/2, d].
_BACKOFF_BASE: Final = 0.2
_BACKOFF_MAX: Final = 5.0
# A Retry-After longer than this is shortened: the queue would fill up meanwhile.
_RETRY_AFTER_MAX: Final = 60.0
# Drops are reported by a warning at most this often.
_WARN_INTERVAL: Final = 10.0
# Gzip this much of a body at a time, letting other tasks run in between.
_GZIP_CHUNK: Final = 32 * _KiB


class _Deflate(NamedTuple):
    """A zlib-compatible module, and the level used with it."""

    name: str
    module: Any
    level: int


# The standard library's zlib at its fastest level: the default without the speedups extra.
_ZLIB: Final = _Deflate("zlib", zlib, 1)


def _pick_deflate() -> _Deflate:
    """ISA-L's zlib when installed (`aiozipkin[speedups]`), else the standard library's.

    Both write the same gzip format. Speed over ratio, since the app's own CPU pays for it:
    zlib's fastest level; ISA-L's level 1 is about four times faster still, and compresses
    span JSON as well as zlib's default level.
    """
    try:
        from isal import isal_zlib
    except ImportError:
        return _ZLIB
    return _Deflate("isal", isal_zlib, 1)


_DEFLATE: _Deflate = _pick_deflate()
_LOG_BODY_MAX: Final = 1000

_QUEUE_FULL: Final = "dropped_queue_full"
_FAILED: Final = "dropped_failed"
_SHUTDOWN: Final = "dropped_shutdown"
_ENCODE: Final = "dropped_encode"
_TOO_LARGE: Final = "dropped_too_large"
_DROP_CAUSES: Final = (_QUEUE_FULL, _FAILED, _SHUTDOWN, _ENCODE, _TOO_LARGE)
_COUNTERS: Final = (
    "spans_queued",
    "spans_sent",
    "spans_dropped",
    *_DROP_CAUSES,
    "batches_sent",
    "batches_failed",
    "batches_rejected",
    "retries",
    "bytes_sent",
    "bytes_encoded",
)


class TransportABC(abc.ABC):
    """Receives finished spans. Implementations must not block or raise from `send`."""

    @abc.abstractmethod
    def send(self, record: Record) -> None:
        """Accept one finished span.

        Args:
            record: the span; `record.asdict()` is its Zipkin v2 JSON form.
        """

    @abc.abstractmethod
    async def close(self) -> int | None:
        """Deliver what can be delivered and release resources.

        Returns:
            How many spans could not be delivered, or None when the transport does not know.
        """

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

    async def close(self) -> int:
        self.closed = True
        return 0

    def stats(self) -> dict[str, int]:
        return {"spans_queued": len(self.records), "spans_sent": len(self.records)}


class _Codec(NamedTuple):
    """How one span is encoded and how encoded spans are framed into one message."""

    content_type: str
    encode: Callable[[Record], bytes]
    start: bytes
    separator: bytes
    end: bytes


_CODECS: Final = {
    Encoding.JSON: _Codec(Encoding.JSON.content_type, encode_span_json, b"[", b",", b"]"),
    # Each proto3 span is already framed as a `ListOfSpans.spans` entry: a list is a concat.
    Encoding.PROTO3: _Codec(Encoding.PROTO3.content_type, _proto3_list_entry, b"", b"", b""),
}


class _Outcome(enum.Enum):
    SENT = enum.auto()
    RETRY = enum.auto()
    REJECTED = enum.auto()


class Transport(TransportABC):
    """Batches spans and posts them to a Zipkin v2 collector (`.../api/v2/spans`).

    `send` encodes the span and appends it to a queue bounded by `max_queue_spans` and
    `max_queue_bytes`; past either bound the span is dropped and counted. A background task
    posts batches of at most `send_max_size` spans and `message_max_bytes` bytes: a full
    batch at once, the rest every `send_interval` seconds. A batch stays queued until the
    collector accepts it. Connection errors, timeouts, 408, 429 and 5xx are retried with
    exponential backoff and jitter, honouring `Retry-After`, until the collector has been
    failing for `retry_budget` seconds (or, when set, for `send_attempt_count` attempts per
    batch); other responses drop the batch. `stats()` counts all of it.
    """

    def __init__(
        self,
        address: str,
        send_interval: float = 5,
        *,
        send_max_size: int = 100,
        send_attempt_count: int | None = None,
        send_timeout: aiohttp.ClientTimeout | None = None,
        max_queue_spans: int = 10_000,
        max_queue_bytes: int = 8 * _MiB,
        message_max_bytes: int = 512 * _KiB,
        encoding: Encoding | str = Encoding.JSON,
        gzip: bool = True,
        retry_budget: float = 120.0,
    ) -> None:
        self._address = URL(address)
        if self._address.scheme not in ("http", "https") or not self._address.host:
            raise ValueError(f"collector address must be an http(s) URL, got {address!r}")
        if not send_interval > 0:
            raise ValueError(f"send_interval must be > 0, got {send_interval!r}")
        for name, value in (
            ("send_max_size", send_max_size),
            ("max_queue_spans", max_queue_spans),
            ("max_queue_bytes", max_queue_bytes),
            ("message_max_bytes", message_max_bytes),
        ):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if send_attempt_count is not None and send_attempt_count < 1:
            raise ValueError(f"send_attempt_count must be >= 1, got {send_attempt_count!r}")
        if not retry_budget >= 0:
            raise ValueError(f"retry_budget must be >= 0, got {retry_budget!r}")
        try:
            self._encoding = Encoding(encoding)
        except ValueError:
            choices = ", ".join(repr(e.value) for e in Encoding)
            raise ValueError(f"encoding must be one of {choices}, got {encoding!r}") from None
        codec = _CODECS[self._encoding]
        self._codec = codec
        self._encode = codec.encode
        self._interval = float(send_interval)
        self._max_size = send_max_size
        self._attempts = send_attempt_count
        self._timeout = send_timeout or _DEFAULT_TIMEOUT
        self._max_spans = max_queue_spans
        self._max_bytes = max_queue_bytes
        self._message_max = message_max_bytes
        # The largest span that fits in a message on its own (and in the queue).
        self._span_max = min(message_max_bytes - len(codec.start) - len(codec.end), max_queue_bytes)
        self._gzip = gzip
        self._retry_budget = float(retry_budget)
        self._headers = {"Content-Type": codec.content_type, "b3": "0"}
        if gzip:
            self._headers["Content-Encoding"] = "gzip"

        self._queue: deque[bytes] = deque()
        self._queue_bytes = 0
        self._stats = dict.fromkeys(_COUNTERS, 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._task: asyncio.Task[None] | None = None
        # Set while the sender sleeps until the next interval; resolved early by a full batch.
        self._waiter: asyncio.Future[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._close_task: asyncio.Task[int] | None = None
        self._failures = 0  # consecutive failed attempts, across batches
        self._failing_since: float | None = None
        self._retry_after: float | None = None
        self._last_error = ""
        self._logged_statuses: set[int] = set()
        self._next_warning = 0.0
        self._warned_drops = dict.fromkeys(_DROP_CAUSES, 0)

    @property
    def address(self) -> URL:
        """Where batches are posted."""
        return self._address

    @property
    def encoding(self) -> Encoding:
        """The wire encoding of the batches."""
        return self._encoding

    @property
    def gzip_backend(self) -> str | None:
        """What gzips the bodies: "isal" (the `speedups` extra), "zlib", or None (gzip off)."""
        return _DEFLATE.name if self._gzip else None

    # --- the application side: synchronous, O(1), never raises ------------------------------

    def send(self, record: Record) -> None:
        try:
            if self._closed:
                self._drop(_SHUTDOWN)
                return
            if len(self._queue) >= self._max_spans:
                self._drop(_QUEUE_FULL)  # known before paying for the encoding
                return
            try:
                data = self._encode(record)
            except Exception:
                self._encode_failed()
                return
            self._accept(data)
        except Exception:  # a bug here must still not reach the application
            logger.exception("aiozipkin: transport.send failed")

    def _accept(self, data: bytes) -> None:
        """Queue an encoded span from any thread: the queue is only changed in the loop's."""
        if self._loop_thread is None or threading.get_ident() == self._loop_thread:
            self._offer(data)
            return
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._offer, data)
        except RuntimeError:  # that loop is closed: the application is going away
            self._drop(_SHUTDOWN)

    def _encode_failed(self) -> None:
        if self._stats[_ENCODE] == 0:
            logger.exception("aiozipkin: could not encode a span for %s; dropped", self._address)
        self._drop(_ENCODE)

    def _offer(self, data: bytes) -> None:
        """Queue one encoded span, or drop it when it does not fit."""
        if self._closed:
            self._drop(_SHUTDOWN)
            return
        size = len(data)
        if size > self._span_max:
            self._drop(_TOO_LARGE)
            return
        queue = self._queue
        if len(queue) >= self._max_spans or self._queue_bytes + size > self._max_bytes:
            self._drop(_QUEUE_FULL)
            return
        queue.append(data)
        self._queue_bytes += size
        self._stats["spans_queued"] += 1
        if self._waiter is not None:
            if len(queue) >= self._max_size or self._queue_bytes >= self._message_max:
                self._wake()
        elif self._task is None or self._task.done():
            self._start()

    def _drop(self, cause: str, count: int = 1, *, warn: bool = True) -> None:
        stats = self._stats
        stats[cause] += count
        stats["spans_dropped"] += count
        if not warn:
            return
        now = time.monotonic()
        if now < self._next_warning:
            return
        self._next_warning = now + _WARN_INTERVAL
        counts = {c: stats[c] - self._warned_drops[c] for c in _DROP_CAUSES}
        self._warned_drops = {c: stats[c] for c in _DROP_CAUSES}
        detail = ", ".join(f"{c.removeprefix('dropped_')}={n}" for c, n in counts.items() if n)
        logger.warning(
            "aiozipkin: dropped %d spans for %s (%s); %d queued, %d bytes",
            sum(counts.values()),
            self._address,
            detail,
            len(self._queue),
            self._queue_bytes,
        )

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the queue is sent once a span is sent inside one, or at close
        if self._task is not None and not self._task.done():
            if self._task.get_loop() is loop:
                return
            # The loop it ran on is gone (closed without cancelling it); so is its session.
            self._session = None
        self._loop = loop
        self._loop_thread = threading.get_ident()
        # A fresh context: the sender must not inherit the span active where the first span was
        # sent (its logs would carry that trace id, and a traced client would trace uploads).
        self._task = contextvars.Context().run(
            loop.create_task, self._run(), name=f"aiozipkin transport {self._address}"
        )

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            _resolve(waiter)

    # --- the sender task ------------------------------------------------------------------

    def _batch_ready(self) -> bool:
        return len(self._queue) >= self._max_size or self._queue_bytes >= self._message_max

    async def _run(self) -> None:
        try:
            await self._send_loop()
        finally:
            # Also when cancelled, e.g. by asyncio.run() at exit: a later span or close()
            # starts a new task, with a new session.
            session, self._session = self._session, None
            if session is not None:
                await session.close()

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        flush_at = loop.time() + self._interval
        while True:
            try:
                if self._closed:
                    # Draining for close(): everything, back to back, unless the collector
                    # has been failing for longer than the budget (close counts the rest).
                    if not self._queue or self._budget_spent(loop.time()):
                        return
                    await self._send_batch()
                elif self._batch_ready():
                    await self._send_batch()
                elif loop.time() >= flush_at:
                    # Send what is queued now; spans arriving meanwhile wait for the next tick
                    # (or a full batch), so a trickle of spans is not sent one by one.
                    pending = len(self._queue)
                    while pending > 0 and not self._closed:
                        sent = await self._send_batch()
                        if not sent:
                            break
                        pending -= sent
                    flush_at = loop.time() + self._interval
                else:
                    await self._sleep_until(loop, flush_at)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("aiozipkin: transport task error; going on")
                await asyncio.sleep(_BACKOFF_MAX)

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

    def _take_batch(self) -> tuple[int, int]:
        """How many spans from the head of the queue form the next batch, and their bytes.

        The bytes count the spans only; the separators between them add `count - 1` times
        the codec's separator. A span larger than the message cap goes alone.
        """
        queue = self._queue
        count = min(len(queue), self._max_size)
        if not count:
            return 0, 0
        codec = self._codec
        step = len(codec.separator)
        budget = self._message_max - len(codec.start) - len(codec.end)
        if count == len(queue) and self._queue_bytes + (count - 1) * step <= budget:
            return count, self._queue_bytes  # the whole queue fits: no need to measure spans
        # Running totals of span plus separator, in C; the batch is the longest prefix whose
        # total, less the one separator too many, fits the budget.
        totals = list(itertools.accumulate(map(len, itertools.islice(queue, count))))
        if step:
            totals = [total + i * step for i, total in enumerate(totals, 1)]
        taken = max(bisect.bisect_right(totals, budget + step), 1)
        return taken, totals[taken - 1] - taken * step

    async def _send_batch(self) -> int:
        """Post the batch at the head of the queue until accepted or given up; return its size.

        The spans stay queued (and counted in the bounds) until then, so a close() that cuts
        the retries short still knows them as undelivered.
        """
        count, size = self._take_batch()
        if not count:
            return 0
        codec = self._codec
        queue = self._queue
        raw = codec.start + codec.separator.join(itertools.islice(queue, count)) + codec.end
        body = await _gzip(raw) if self._gzip else raw
        outcome = await self._deliver(body)
        stats = self._stats
        # Only the sender removes from the head, so the batch is still there, whole.
        popleft = queue.popleft
        for _ in range(count):
            popleft()
        self._queue_bytes -= size
        if outcome is _Outcome.SENT:
            stats["spans_sent"] += count
            stats["batches_sent"] += 1
            stats["bytes_sent"] += len(body)
            stats["bytes_encoded"] += len(raw)
        else:
            stats["batches_failed"] += 1
            if outcome is _Outcome.REJECTED:
                stats["batches_rejected"] += 1
            self._drop(_FAILED, count)
        return count

    async def _deliver(self, body: bytes) -> _Outcome:
        """Post one body, retrying while the failures allow it."""
        loop = asyncio.get_running_loop()
        attempts = 0
        while True:
            if self._failures:
                await asyncio.sleep(self._backoff())
            attempts += 1
            outcome = await self._post(body)
            if outcome is not _Outcome.RETRY:
                if self._failing_since is not None:
                    logger.info("aiozipkin: uploads to %s succeed again", self._address)
                self._failures = 0
                self._failing_since = None
                return outcome
            self._failures += 1
            now = loop.time()
            if self._failing_since is None:
                self._failing_since = now
                logger.warning(
                    "aiozipkin: uploads to %s fail (%s); %d spans stay queued and are "
                    "retried for up to %.0f s",
                    self._address,
                    self._last_error,
                    len(self._queue),
                    self._retry_budget,
                )
            if self._budget_spent(now) or (
                self._attempts is not None and attempts >= self._attempts
            ):
                return _Outcome.RETRY
            self._stats["retries"] += 1

    def _budget_spent(self, now: float) -> bool:
        since = self._failing_since
        return since is not None and now - since >= self._retry_budget

    def _backoff(self) -> float:
        ceiling = min(_BACKOFF_MAX, _BACKOFF_BASE * 2 ** min(self._failures - 1, 32))
        delay = random.uniform(ceiling / 2, ceiling)
        retry_after, self._retry_after = self._retry_after, None
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    async def _post(self, body: bytes) -> _Outcome:
        if self._session is None:
            # The transport's own session: never the app's, so never traced itself.
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            # Not redirected: a POST turned into a GET would "succeed" and lose the batch.
            async with self._session.post(
                self._address, data=body, headers=self._headers, allow_redirects=False
            ) as resp:
                status = resp.status
                if 200 <= status < 300:
                    return _Outcome.SENT
                text = await _read_some(resp)
                if status in (408, 429) or status >= 500:
                    self._retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
                    self._last_error = f"HTTP {status}"
                    logger.debug(
                        "aiozipkin: collector %s answered %d: %s", self._address, status, text
                    )
                    return _Outcome.RETRY
                level = logging.DEBUG if status in self._logged_statuses else logging.ERROR
                self._logged_statuses.add(status)
                logger.log(
                    level,
                    "aiozipkin: collector %s rejected a batch with %d, not retried: %s",
                    self._address,
                    status,
                    text,
                )
                return _Outcome.REJECTED
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self._last_error = repr(exc) if str(exc) else type(exc).__name__
            logger.debug("aiozipkin: upload to %s failed: %s", self._address, self._last_error)
            return _Outcome.RETRY
        except Exception as exc:
            self._last_error = repr(exc)
            logger.exception("aiozipkin: unexpected upload failure to %s", self._address)
            return _Outcome.RETRY

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
        if self._queue:
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
        undelivered = len(self._queue)
        if undelivered:
            self._queue.clear()
            self._queue_bytes = 0
            self._drop(_SHUTDOWN, undelivered, warn=False)
            logger.warning(
                "aiozipkin: closed with %d spans not delivered to %s", undelivered, self._address
            )
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        return undelivered

    def stats(self) -> dict[str, int]:
        """Counters since creation, and what the queue holds now.

        spans_queued, spans_sent, spans_dropped (the sum of dropped_queue_full,
        dropped_failed, dropped_shutdown, dropped_encode and dropped_too_large),
        batches_sent, batches_failed (batches_rejected: those refused with a status that is
        not retried), retries, bytes_sent (request bodies), bytes_encoded (before gzip),
        queue_spans and queue_bytes.
        """
        stats = dict(self._stats)
        stats["queue_spans"] = len(self._queue)
        stats["queue_bytes"] = self._queue_bytes
        return stats


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _gzip(raw: bytes) -> bytes:
    """Gzip `raw` a chunk at a time, so that a large body does not hold up the event loop."""
    deflate = _DEFLATE
    compressor = deflate.module.compressobj(deflate.level, deflate.module.DEFLATED, 31)
    if len(raw) <= _GZIP_CHUNK:
        body: bytes = compressor.compress(raw) + compressor.flush()
        return body
    view = memoryview(raw)
    parts: list[bytes] = []
    for offset in range(0, len(raw), _GZIP_CHUNK):
        parts.append(compressor.compress(view[offset : offset + _GZIP_CHUNK]))
        await asyncio.sleep(0)
    parts.append(compressor.flush())
    return b"".join(parts)


async def _read_some(resp: aiohttp.ClientResponse) -> str:
    """The start of a response body, for a log line."""
    try:
        data = await resp.content.read(_LOG_BODY_MAX)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return ""
    return data.decode("utf-8", "replace")


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), _RETRY_AFTER_MAX)


class MultiTransport(TransportABC):
    """Sends every span to several transports, each with its own queue, batches and retries.

    A span bound for several `Transport` instances with the same encoding is encoded once.
    """

    def __init__(self, transports: Sequence[TransportABC]) -> None:
        if not transports:
            raise ValueError("MultiTransport needs at least one transport")
        self._transports = tuple(transports)
        groups: dict[Encoding, list[Transport]] = {}
        self._others: list[TransportABC] = []
        for transport in self._transports:
            if isinstance(transport, Transport):
                groups.setdefault(transport.encoding, []).append(transport)
            else:
                self._others.append(transport)
        self._groups = [(_CODECS[e].encode, tuple(ts)) for e, ts in groups.items()]

    @property
    def transports(self) -> tuple[TransportABC, ...]:
        """The transports every span goes to."""
        return self._transports

    def send(self, record: Record) -> None:
        for encode, transports in self._groups:
            try:
                data = encode(record)
            except Exception:
                for transport in transports:
                    transport._encode_failed()
                continue
            for transport in transports:
                try:
                    transport._accept(data)
                except Exception:
                    logger.exception("aiozipkin: transport.send failed")
        for other in self._others:
            try:
                other.send(record)
            except Exception:
                logger.exception("aiozipkin: %r.send failed", other)

    async def close(self, timeout: float | None = 5.0) -> int:
        """Close every transport (each within `timeout`); the sum of undelivered spans."""

        async def close_one(transport: TransportABC) -> int | None:
            if isinstance(transport, Transport):
                return await transport.close(timeout)
            return await asyncio.wait_for(transport.close(), timeout)

        results = await asyncio.gather(
            *(close_one(t) for t in self._transports), return_exceptions=True
        )
        undelivered = 0
        for transport, result in zip(self._transports, results, strict=True):
            if isinstance(result, BaseException):
                logger.error("aiozipkin: closing %r failed: %r", transport, result)
            elif result:
                undelivered += result
        return undelivered

    def stats(self) -> dict[str, int]:
        """The sums of its transports' counters: a span sent to two collectors counts twice."""
        total: dict[str, int] = {}
        for transport in self._transports:
            for key, value in transport.stats().items():
                total[key] = total.get(key, 0) + value
        return total
