"""What the integration tests share: a recording transport, polling, and the servers' query APIs."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import aiohttp

import aiozipkin as az
from aiozipkin.testing import zipkin_json
from tests.support.polling import eventually

__all__ = [
    "POLL_INTERVAL",
    "JsonSpan",
    "RecordingTracerFactory",
    "RecordingTransport",
    "SpanKey",
    "as_zipkin_stores",
    "assert_all_delivered",
    "by_id",
    "get_json",
    "jaeger_trace",
    "opensearch_span_count",
    "read_until_whole",
    "recorded",
    "span_key",
    "unique_service",
    "zipkin_spans",
    "zipkin_trace",
]

T = TypeVar("T")
JsonSpan = dict[str, Any]


class RecordingTracerFactory(Protocol):
    """The `recording_tracer` fixture: a tracer for `service` reporting to `spans_urls`."""

    async def __call__(
        self, service: str, *spans_urls: str, port: int = 8080
    ) -> tuple[az.Tracer, RecordingTransport]: ...


class RecordingTransport(az.TransportABC):
    """Keeps the Zipkin JSON of every span and forwards the span to real transports."""

    def __init__(self, *forward_to: az.TransportABC) -> None:
        self.forward_to = forward_to
        self.sent: list[JsonSpan] = []

    def send(self, record: az.Record) -> None:
        self.sent.append(zipkin_json(record))
        for transport in self.forward_to:
            transport.send(record)

    async def close(self) -> None:
        for transport in self.forward_to:
            await transport.close()

    def stats(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for transport in self.forward_to:
            for key, value in transport.stats().items():
                total[key] = total.get(key, 0) + value
        return total


def assert_all_delivered(tracer: az.Tracer, count: int) -> None:
    """The tracer sent `count` spans and dropped none."""
    stats = tracer.stats()
    assert stats["spans_sent"] == count, stats
    assert stats["spans_dropped"] == 0, stats


def recorded(tracer: az.Tracer) -> list[JsonSpan]:
    """The spans a tracer made by `recording_tracer` has sent so far, as Zipkin JSON."""
    transport = tracer.transport
    assert isinstance(transport, RecordingTransport), transport
    return transport.sent


# Polls of a server's query API are spaced further apart than in-process ones.
POLL_INTERVAL = 0.1


def unique_service(prefix: str) -> str:
    """A service name no other test uses (lower case: Zipkin lower-cases names)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def get_json(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    """GET `url` and return its JSON body; any status but 200 fails the test."""
    async with session.get(url, params=params) as resp:
        body = await resp.text()
        assert resp.status == 200, f"GET {resp.url} -> {resp.status}: {body[:500]}"
        return await resp.json(content_type=None)


async def zipkin_spans(
    session: aiohttp.ClientSession, zipkin_url: str, trace_id: str
) -> list[JsonSpan]:
    """The spans Zipkin's /api/v2/trace/{trace_id} returns now ([] when it has none)."""
    async with session.get(f"{zipkin_url}/api/v2/trace/{trace_id}") as resp:
        if resp.status == 404:
            return []
        assert resp.status == 200, f"{resp.url} -> {resp.status}: {await resp.text()}"
        spans: list[JsonSpan] = await resp.json()
    return spans


# A span's id, shared flag and kind: a shared server span has the id of its client span.
SpanKey = tuple[str, bool, str]


def span_key(span: JsonSpan) -> SpanKey:
    """What tells the spans of one trace apart."""
    return span["id"], bool(span.get("shared")), span.get("kind", "")


async def read_until_whole(
    session: aiohttp.ClientSession,
    zipkin_url: str,
    trace_ids: Iterable[str],
    whole: Callable[[str, list[SpanKey]], bool],
    *,
    timeout: float,
    interval: float,
) -> dict[str, list[SpanKey]]:
    """The keys of each trace's spans as Zipkin returns them (a span stored twice is there
    twice), read again for the traces not yet `whole` until all are or `timeout` has passed."""
    stored: dict[str, list[SpanKey]] = {trace_id: [] for trace_id in trace_ids}
    slots = asyncio.Semaphore(16)

    async def read(trace_id: str) -> None:
        async with slots:
            spans = await zipkin_spans(session, zipkin_url, trace_id)
        stored[trace_id] = [span_key(span) for span in spans]

    def waiting() -> list[str]:
        return [trace_id for trace_id, keys in stored.items() if not whole(trace_id, keys)]

    deadline = time.monotonic() + timeout
    while (todo := waiting()) and time.monotonic() < deadline:
        await asyncio.gather(*(read(trace_id) for trace_id in todo))
        if waiting():
            await asyncio.sleep(interval)
    return stored


async def zipkin_trace(
    session: aiohttp.ClientSession, zipkin_url: str, trace_id: str, count: int
) -> list[JsonSpan]:
    """Wait until Zipkin's /api/v2/trace/{trace_id} holds `count` spans, and return them."""

    async def probe() -> list[JsonSpan] | None:
        spans = await zipkin_spans(session, zipkin_url, trace_id)
        assert len(spans) <= count, f"more spans than sent in trace {trace_id}: {spans}"
        return spans if len(spans) == count else None

    return await eventually(
        probe, what=f"{count} spans of trace {trace_id} in Zipkin", interval=POLL_INTERVAL
    )


async def jaeger_trace(
    session: aiohttp.ClientSession, query_url: str, trace_id: str, count: int
) -> dict[str, Any]:
    """Wait until Jaeger's /api/traces/{trace_id} holds `count` spans; return that trace."""

    async def probe() -> dict[str, Any] | None:
        async with session.get(f"{query_url}/api/traces/{trace_id}") as resp:
            if resp.status == 404:
                return None
            assert resp.status == 200, f"{resp.url} -> {resp.status}: {await resp.text()}"
            body = await resp.json()
        traces: list[dict[str, Any]] = body["data"]
        assert len(traces) == 1, f"one trace expected for {trace_id}: {body}"
        trace = traces[0]
        assert len(trace["spans"]) <= count, f"more spans than sent: {trace}"
        return trace if len(trace["spans"]) == count else None

    return await eventually(
        probe, what=f"{count} spans of trace {trace_id} in Jaeger", interval=POLL_INTERVAL
    )


async def opensearch_span_count(
    session: aiohttp.ClientSession, opensearch_url: str, trace_id: str
) -> int | None:
    """How many span documents of the trace Zipkin has written to OpenSearch.

    None while the index is not searchable yet: Zipkin answers 202 before it writes, and its
    first write creates the day's index; a search in between fails ("all shards failed")
    rather than finding nothing.
    """
    url = f"{opensearch_url}/zipkin*span-*/_count"
    params = {"q": f"traceId:{trace_id}", "ignore_unavailable": "true"}
    async with session.get(url, params=params) as resp:
        if resp.status == 503:
            return None
        assert resp.status == 200, f"{resp.url} -> {resp.status}: {await resp.text()}"
        return int((await resp.json())["count"])


def as_zipkin_stores(spans: Sequence[JsonSpan]) -> list[JsonSpan]:
    """The spans as Zipkin returns them: names lower-cased, annotations sorted.

    Zipkin's span model lower-cases span and service names and sorts annotations; nothing
    else may differ between what was sent and what Zipkin returns.
    """
    out = []
    for span in spans:
        span = dict(span)
        if "name" in span:
            span["name"] = span["name"].lower()
        for key in ("localEndpoint", "remoteEndpoint"):
            if key in span and "serviceName" in span[key]:
                span[key] = {**span[key], "serviceName": span[key]["serviceName"].lower()}
        if "annotations" in span:
            # Zipkin orders annotations by timestamp, then value (two can share a microsecond).
            span["annotations"] = sorted(
                span["annotations"], key=lambda a: (a["timestamp"], a["value"])
            )
        out.append(span)
    return out


def by_id(spans: Sequence[JsonSpan]) -> list[JsonSpan]:
    """The spans in a stable order, to compare two traces span for span."""
    # A shared span has the id of its client span; the shared flag tells the two apart.
    return sorted(spans, key=lambda span: (span["id"], bool(span.get("shared"))))
