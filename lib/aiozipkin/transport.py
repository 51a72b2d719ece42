"""Transports: where finished spans go. The HTTP transport never blocks or raises into the app.

The machinery lives in `aiozipkin._transport` (queue, retry policy, senders); this module
is its public face.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Final

import aiohttp
from yarl import URL

from ._deprecated import loop_ignored
from ._transport.base import EncodedSpanSink, TransportABC
from ._transport.batching import BatchingTransport, BatchSettings
from ._transport.codec import CODECS, parse_encoding
from ._transport.http import HttpSender, SessionFactory, parse_address
from .encoding import Encoding
from .record import Record

__all__ = ["MultiTransport", "StubTransport", "Transport", "TransportABC"]

logger = logging.getLogger("aiozipkin")

_MiB: Final = 1024 * 1024
_KiB: Final = 1024


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


class Transport(BatchingTransport):
    """Batches spans and posts them to a Zipkin v2 collector (`.../api/v2/spans`).

    `send` encodes the span and appends it to a queue bounded by `max_queue_spans` and
    `max_queue_bytes`; past either bound the span is dropped and counted. A background task
    posts batches of at most `send_max_size` spans and `message_max_bytes` bytes: a full
    batch at once, the rest every `send_interval` seconds. A batch stays queued until the
    collector accepts it. Connection errors, timeouts, 408, 429 and 5xx are retried with
    exponential backoff and jitter, honouring `Retry-After`, until the collector has been
    failing for `retry_budget` seconds (or, when set, for `send_attempt_count` attempts per
    batch); other responses drop the batch. `stats()` counts all of it.

    `headers` are added to every upload (e.g. auth for a collector behind a proxy).
    `session_factory` makes the `aiohttp.ClientSession` uploads go through, in the sender's
    event loop, instead of the transport's own; the transport closes the sessions it made.
    `loop` is ignored (a DeprecationWarning says so): the transport runs in the loop it is
    first used in.
    """

    def __init__(
        self,
        address: str,
        send_interval: float = 5,
        loop: asyncio.AbstractEventLoop | None = None,
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
        headers: Mapping[str, str] | None = None,
        session_factory: SessionFactory | None = None,
    ) -> None:
        loop_ignored(loop, "aiozipkin.Transport()")
        self._address = parse_address(address)
        wire = parse_encoding(encoding)
        self._http = HttpSender(
            self._address,
            content_type=wire.content_type,
            gzip=gzip,
            timeout=send_timeout,
            headers=headers,
            session_factory=session_factory,
        )
        settings = BatchSettings.pick(locals())
        super().__init__(self._http, wire, settings)

    @property
    def address(self) -> URL:
        """Where batches are posted."""
        return self._address

    @property
    def gzip_backend(self) -> str | None:
        """What gzips the bodies: "isal" (the `speedups` extra), "zlib", or None (gzip off)."""
        return self._http.gzip_backend


class MultiTransport(TransportABC):
    """Sends every span to several transports, each with its own queue, batches and retries.

    A span bound for several of the library's transports with the same encoding is encoded
    once.
    """

    def __init__(self, transports: Sequence[TransportABC]) -> None:
        if not transports:
            raise ValueError("MultiTransport needs at least one transport")
        self._transports = tuple(transports)
        groups: dict[Encoding, list[EncodedSpanSink]] = {}
        self._others: list[TransportABC] = []
        for transport in self._transports:
            if isinstance(transport, EncodedSpanSink):
                groups.setdefault(transport.encoding, []).append(transport)
            else:
                self._others.append(transport)
        self._groups = [(CODECS[e].encode, tuple(ts)) for e, ts in groups.items()]

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
                    transport.drop_unencodable()
                continue
            for transport in transports:
                try:
                    transport.send_encoded(data)
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
            if isinstance(transport, BatchingTransport):
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
