"""The HTTP sender: posts batches to a Zipkin v2 collector and classifies its answers.

2xx is sent; connection errors, timeouts, 408, 429 and 5xx are worth a retry (honouring
`Retry-After`); any other status rejects the batch.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Final

import aiohttp
from yarl import URL

from . import compress
from .sender import REJECTED, SENT, Delivery, Outcome

__all__ = ["RETRY_AFTER_MAX", "HttpSender", "parse_address", "parse_retry_after"]

logger = logging.getLogger("aiozipkin")

DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=5)
# A Retry-After longer than this is shortened: the queue would fill up meanwhile.
RETRY_AFTER_MAX: Final = 60.0
_LOG_BODY_MAX: Final = 1000
_RETRIED: Final = frozenset((408, 429))

SessionFactory = Callable[[], aiohttp.ClientSession]


def parse_address(address: str) -> URL:
    """The collector URL; a ValueError naming the setting unless it is an http(s) URL."""
    url = URL(address)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"collector address must be an http(s) URL, got {address!r}")
    return url


class HttpSender:
    """Posts bodies to `address`, through its own session (or the factory's)."""

    def __init__(
        self,
        address: URL,
        *,
        content_type: str,
        gzip: bool,
        timeout: aiohttp.ClientTimeout | None = None,
        headers: Mapping[str, str] | None = None,
        session_factory: SessionFactory | None = None,
    ) -> None:
        self._address = address
        self._gzip = gzip
        self._timeout = timeout or DEFAULT_TIMEOUT
        own = {"Content-Type": content_type, "b3": "0"}
        if gzip:
            own["Content-Encoding"] = "gzip"
        extra = dict(headers or {})
        clash = sorted({k.lower() for k in extra} & {k.lower() for k in own})
        if clash:
            raise ValueError(f"headers: the transport sets {', '.join(clash)} itself")
        self._headers = {**extra, **own}
        self._session_factory = session_factory
        self._session: aiohttp.ClientSession | None = None
        self._logged_statuses: set[int] = set()

    @property
    def target(self) -> str:
        return str(self._address)

    @property
    def gzip_backend(self) -> str | None:
        """What gzips the bodies: "isal", "zlib", or None (gzip off)."""
        return compress.DEFLATE.name if self._gzip else None

    async def prepare(self, message: bytes) -> bytes:
        return await compress.gzip(message) if self._gzip else message

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            if self._session_factory is not None:
                self._session = self._session_factory()
            else:
                # The transport's own session: never the app's, so never traced itself.
                self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def send(self, body: bytes) -> Delivery:
        try:
            session = self._session_now()
            # Not redirected: a POST turned into a GET would "succeed" and lose the batch.
            async with session.post(
                self._address,
                data=body,
                headers=self._headers,
                allow_redirects=False,
                timeout=self._timeout,
            ) as resp:
                if 200 <= resp.status < 300:
                    return SENT
                return await self._refused(resp)
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            error = repr(exc) if str(exc) else type(exc).__name__
            logger.debug("aiozipkin: upload to %s failed: %s", self._address, error)
            return Delivery(Outcome.RETRY, error)
        except Exception as exc:
            logger.exception("aiozipkin: unexpected upload failure to %s", self._address)
            return Delivery(Outcome.RETRY, repr(exc))

    async def _refused(self, resp: aiohttp.ClientResponse) -> Delivery:
        """Classify a status that is not 2xx, and log it."""
        status = resp.status
        text = await _read_some(resp)
        if status in _RETRIED or status >= 500:
            logger.debug("aiozipkin: collector %s answered %d: %s", self._address, status, text)
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            return Delivery(Outcome.RETRY, f"HTTP {status}", retry_after)
        level = logging.DEBUG if status in self._logged_statuses else logging.ERROR
        self._logged_statuses.add(status)
        logger.log(
            level,
            "aiozipkin: collector %s rejected a batch with %d, not retried: %s",
            self._address,
            status,
            text,
        )
        return REJECTED

    def detach(self) -> None:
        self._session = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def _read_some(resp: aiohttp.ClientResponse) -> str:
    """The start of a response body, for a log line."""
    try:
        data = await resp.content.read(_LOG_BODY_MAX)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return ""
    return data.decode("utf-8", "replace")


def parse_retry_after(value: str | None) -> float | None:
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
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)
