"""The tracer: makes spans, decides sampling and hands finished spans to the transport."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Generator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypedDict

import aiohttp

from ._deprecated import loop_ignored
from ._transport.batching import BatchingTransport
from .context import (
    Endpoint,
    TraceContext,
    _new_ids_64,
    _new_ids_128,
    generate_random_64bit_string,
)
from .encoding import Encoding
from .limits import SpanLimits
from .propagation import B3_MULTI, DEFAULT_INJECT_FORMATS, FORMATS, extract, validate_formats
from .record import Record
from .sampler import Sampler, SamplerABC
from .span import NoopSpan, Span, SpanAbc
from .transport import MultiTransport, StubTransport, Transport, TransportABC

__all__ = ["Tracer", "create", "create_custom"]

logger = logging.getLogger("aiozipkin")

_ExcTypes = tuple[type[BaseException], ...]
# Contexts are made on every span: tuple.__new__ skips the NamedTuple's Python-level
# __new__, which is most of the cost of building one (all seven fields are passed, in
# field order; test_contexts_carry_their_fields_by_name fails if that order changes).
# timeit, one context: 0.39-0.60 us this way, 1.38-1.67 us through TraceContext(...), on
# the shared 2-core bench machine (load average 27; the ratio is what counts).
_new_tuple = tuple.__new__


class Tracer:
    """Creates spans and reports the sampled ones through its transport."""

    def __init__(
        self,
        transport: TransportABC,
        sampler: SamplerABC,
        local_endpoint: Endpoint,
        ignored_exceptions: Iterable[type[BaseException]] | None = None,
        *,
        limits: SpanLimits | None = None,
        inject_formats: Iterable[str] = DEFAULT_INJECT_FORMATS,
        extract_prefer: str = B3_MULTI,
        trace_id_128bit: bool = True,
    ) -> None:
        self._transport = transport
        self._sampler = sampler
        self._local_endpoint = local_endpoint
        self._ignored_exceptions: _ExcTypes = tuple(ignored_exceptions or ())
        self._limits = limits or SpanLimits()
        self._report_record = self._report  # one bound method, handed to every span
        self._inject_formats = validate_formats(inject_formats)
        if extract_prefer not in FORMATS:
            raise ValueError(f"extract_prefer must be one of {FORMATS}, got {extract_prefer!r}")
        self._extract_prefer = extract_prefer
        self._new_ids = _new_ids_128 if trace_id_128bit else _new_ids_64
        self._report_errors = 0
        self._closed = False

    @property
    def local_endpoint(self) -> Endpoint:
        """The endpoint every span of this tracer is reported from."""
        return self._local_endpoint

    @property
    def inject_formats(self) -> tuple[str, ...]:
        """Propagation formats written into outgoing requests and messages."""
        return self._inject_formats

    @property
    def extract_prefer(self) -> str:
        """Format read first when a request carries several."""
        return self._extract_prefer

    @property
    def limits(self) -> SpanLimits:
        """Caps on what each span of this tracer may carry."""
        return self._limits

    @property
    def transport(self) -> TransportABC:
        """Where finished spans go."""
        return self._transport

    def new_trace(self, sampled: bool | None = None, debug: bool = False) -> SpanAbc:
        """Start a new trace; `sampled=None` lets the sampler decide."""
        trace_id, span_id = self._new_ids()
        if debug:
            sampled = True
        elif sampled is None:
            sampled = self._sampler.is_sampled(trace_id)
        context: TraceContext = _new_tuple(
            TraceContext, (trace_id, None, span_id, sampled, debug, False, None)
        )
        return self.to_span(context)

    def join_span(self, context: TraceContext) -> SpanAbc:
        """The server half of a span whose client half sent `context` (reported as shared)."""
        sampled = context.sampled
        if sampled is None:
            sampled = self._sampler.is_sampled(context.trace_id)
        return self.to_span(context._replace(sampled=sampled, shared=True))

    def new_child(self, context: TraceContext) -> SpanAbc:
        """A child span of `context`, inheriting its sampling decision."""
        sampled = context.sampled
        if context.debug:
            sampled = True
        elif sampled is None:
            sampled = self._sampler.is_sampled(context.trace_id)
        child: TraceContext = _new_tuple(
            TraceContext,
            (
                context.trace_id,
                context.span_id,
                generate_random_64bit_string(),
                sampled,
                context.debug,
                False,
                context.tracestate,
            ),
        )
        return self.to_span(child)

    def span_from_headers(self, headers: Mapping[str, str], *, join: bool = False) -> SpanAbc:
        """The span of an incoming request: it continues the context `headers` carry.

        A child of the caller's span (with `join`, the caller's span id, reported as
        shared), or a new trace when they carry no valid context; a sampling decision alone
        (`b3: 0`, say) is honoured. Read with `extract(headers, prefer=extract_prefer)`.
        """
        found = extract(headers, prefer=self._extract_prefer)
        parent = found.context
        if parent is None:
            return self.new_trace(sampled=found.sampled, debug=found.debug)
        if join:
            return self.join_span(parent)
        return self.new_child(parent)

    def to_span(self, context: TraceContext) -> SpanAbc:
        """A span with exactly this context: recording when sampled, a no-op otherwise."""
        if context.sampled or context.debug:
            return Span(
                self,
                context,
                self._local_endpoint,
                self._limits,
                self._report_record,
                self._ignored_exceptions,
            )
        return NoopSpan(self, context)

    def _report(self, record: Record) -> None:
        try:
            self._transport.send(record)
        except Exception:
            # Tracing never breaks the application: count, log once in a while, go on.
            self._report_errors += 1
            if self._report_errors == 1 or self._report_errors % 1000 == 0:
                logger.exception("aiozipkin: transport.send failed (%d times)", self._report_errors)

    def stats(self) -> dict[str, int]:
        """Counters of the transport (spans queued, sent, dropped by cause, ...)."""
        stats = dict(self._transport.stats())
        stats["report_errors"] = self._report_errors
        return stats

    async def close(self, timeout: float | None = None) -> int | None:
        """Flush and close the transport; idempotent.

        `timeout` bounds the drain of the library's own transports (their default otherwise).
        Returns how many spans could not be delivered, when the transport knows.
        """
        if self._closed:
            return 0
        self._closed = True
        transport = self._transport
        if timeout is not None and isinstance(transport, BatchingTransport | MultiTransport):
            return await transport.close(timeout=timeout)
        return await transport.close()

    async def __aenter__(self) -> Tracer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class _TracerCreation(Coroutine[Any, Any, Tracer]):
    """What `create` returns: a coroutine giving the tracer, or an `async with` manager.

    Being a real coroutine object, it also goes to `asyncio.run`, `create_task` and
    `run_until_complete` as the documented `coroutine aiozipkin.create()` did.
    """

    __slots__ = ("_coro", "_tracer")

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        # Made on first use, so that `async with` leaves no never-awaited coroutine behind.
        self._coro: Coroutine[Any, Any, Tracer] | None = None

    async def _get(self) -> Tracer:
        return self._tracer

    def _inner(self) -> Coroutine[Any, Any, Tracer]:
        if self._coro is None:
            self._coro = self._get()
        return self._coro

    def send(self, value: Any) -> Any:
        return self._inner().send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        return self._inner().throw(typ, val, tb)

    def close(self) -> None:
        if self._coro is not None:
            self._coro.close()

    def __await__(self) -> Generator[Any, None, Tracer]:
        return self._inner().__await__()

    async def __aenter__(self) -> Tracer:
        return self._tracer

    async def __aexit__(self, *exc_info: object) -> None:
        await self._tracer.close()


def create(
    zipkin_address: str | Sequence[str],
    local_endpoint: Endpoint,
    *,
    sample_rate: float = 0.01,
    send_interval: float = 5,
    loop: asyncio.AbstractEventLoop | None = None,
    ignored_exceptions: Iterable[type[BaseException]] | None = None,
    send_timeout: aiohttp.ClientTimeout | None = None,
    limits: SpanLimits | None = None,
    inject_formats: Iterable[str] = DEFAULT_INJECT_FORMATS,
    extract_prefer: str = B3_MULTI,
    encoding: Encoding | str = Encoding.JSON,
    gzip: bool = True,
    max_queue_spans: int = 10_000,
    max_queue_bytes: int = 8 * 1024 * 1024,
    send_max_size: int = 1000,
) -> _TracerCreation:
    """A tracer reporting to one Zipkin address, or to each address of a list.

    An `http(s)://` address gets a `Transport`, a `kafka://host:port/topic` address a
    `aiozipkin.kafka.KafkaTransport` (the `kafka` extra). Batches hold up to `send_max_size`
    spans (and 512 KiB): under load, fewer and larger uploads cost the application less CPU
    per span than the transport's default of 100.
    `loop` is accepted for aiozipkin 1.1.1 code and ignored, with a DeprecationWarning.
    """
    loop_ignored(loop, "aiozipkin.create()")
    addresses = [zipkin_address] if isinstance(zipkin_address, str) else list(zipkin_address)
    if not addresses:
        raise ValueError("zipkin_address: at least one collector address is needed")
    sampler = Sampler(sample_rate=sample_rate)
    options = _TransportOptions(
        send_interval=send_interval,
        encoding=encoding,
        max_queue_spans=max_queue_spans,
        max_queue_bytes=max_queue_bytes,
        send_max_size=send_max_size,
    )
    transports: list[TransportABC] = []
    for address in addresses:
        if address.lower().startswith("kafka://"):
            transports.append(_kafka_transport(address, send_timeout, options))
        else:
            transports.append(Transport(address, send_timeout=send_timeout, gzip=gzip, **options))
    transport = transports[0] if len(transports) == 1 else MultiTransport(transports)
    return create_custom(
        local_endpoint,
        transport,
        sampler,
        ignored_exceptions,
        limits=limits,
        inject_formats=inject_formats,
        extract_prefer=extract_prefer,
    )


class _TransportOptions(TypedDict):
    """The settings `create` gives each of its transports, HTTP or Kafka."""

    send_interval: float
    encoding: Encoding | str
    max_queue_spans: int
    max_queue_bytes: int
    send_max_size: int


def _kafka_transport(
    address: str, send_timeout: aiohttp.ClientTimeout | None, options: _TransportOptions
) -> TransportABC:
    """The Kafka transport of a `kafka://` address; aiokafka is imported only here."""
    try:
        from ._kafka_transport import KafkaTransport
    except ImportError as exc:
        raise ImportError(
            f"{address!r} needs aiokafka: pip install 'aiozipkin[kafka]' ({exc})"
        ) from exc
    timeout = send_timeout.total if send_timeout is not None else None
    return KafkaTransport(address, send_timeout=timeout, **options)


def create_custom(
    local_endpoint: Endpoint,
    transport: TransportABC | None = None,
    sampler: SamplerABC | None = None,
    ignored_exceptions: Iterable[type[BaseException]] | None = None,
    *,
    limits: SpanLimits | None = None,
    inject_formats: Iterable[str] = DEFAULT_INJECT_FORMATS,
    extract_prefer: str = B3_MULTI,
    loop: asyncio.AbstractEventLoop | None = None,
) -> _TracerCreation:
    """A tracer with your own transport and sampler (defaults: in memory, sample everything).

    `loop` is accepted and ignored, with a DeprecationWarning.
    """
    loop_ignored(loop, "aiozipkin.create_custom()")
    tracer = Tracer(
        transport if transport is not None else StubTransport(),
        sampler if sampler is not None else Sampler(sample_rate=1.0),
        local_endpoint,
        ignored_exceptions,
        limits=limits,
        inject_formats=inject_formats,
        extract_prefer=extract_prefer,
    )
    return _TracerCreation(tracer)
