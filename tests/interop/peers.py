"""OpenTelemetry peers for the interop tests: providers, propagators and an instrumented server.

OpenTelemetry keeps its propagator in a process-wide global, and its aiohttp server
instrumentation swaps `aiohttp.web.Application` process-wide. These helpers hold each global
only as long as needed and put the previous value back, so tests cannot leak into each other.
No global tracer provider is ever set: every provider is passed explicitly.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from aiohttp import web
from aiohttp.test_utils import TestServer
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pytest_aiohttp import AiohttpServer

import aiozipkin as az

__all__ = [
    "FORMATS",
    "PROPAGATION_HEADERS",
    "Format",
    "OtelPeer",
    "global_textmap",
    "hex_span_id",
    "hex_trace_id",
    "start_otel_server",
]

PROPAGATION_HEADERS = frozenset(
    {
        "b3",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-b3-flags",
        "traceparent",
        "tracestate",
    }
)


class Format(NamedTuple):
    """One wire format as both sides name it."""

    ours: str
    otel: Callable[[], TextMapPropagator]


FORMATS: tuple[Format, ...] = (
    Format(az.B3_MULTI, B3MultiFormat),
    Format(az.B3_SINGLE, B3SingleFormat),
    Format(az.W3C, TraceContextTextMapPropagator),
)


class OtelPeer(NamedTuple):
    """An OpenTelemetry tracer provider and the spans it finished."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    @classmethod
    def create(cls, sampler: Sampler) -> OtelPeer:
        exporter = InMemorySpanExporter()
        # No atexit hook: the test shuts the provider down itself.
        provider = TracerProvider(sampler=sampler, shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return cls(provider, exporter)

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()


def hex_trace_id(value: int) -> str:
    return trace.format_trace_id(value)


def hex_span_id(value: int) -> str:
    return trace.format_span_id(value)


@contextlib.contextmanager
def global_textmap(propagator: TextMapPropagator) -> Iterator[None]:
    """Make `propagator` OpenTelemetry's global one for the duration of the block."""
    previous = propagate.get_global_textmap()
    propagate.set_global_textmap(propagator)
    try:
        yield
    finally:
        propagate.set_global_textmap(previous)


async def _otel_handler(request: web.Request) -> web.Response:
    """What the OpenTelemetry server saw: its active span context and the context headers."""
    context = trace.get_current_span().get_span_context()
    body: dict[str, Any] = {
        "trace_id": hex_trace_id(context.trace_id),
        "span_id": hex_span_id(context.span_id),
        "sampled": context.trace_flags.sampled,
        "tracestate": context.trace_state.to_header(),
        "headers": {
            k.lower(): v for k, v in request.headers.items() if k.lower() in PROPAGATION_HEADERS
        },
    }
    return web.json_response(body)


async def start_otel_server(aiohttp_server: AiohttpServer, peer: OtelPeer) -> TestServer:
    """An aiohttp app built by OpenTelemetry's server instrumentor, tracing into `peer`.

    The instrumentor replaces `web.Application` while it is active; it is active only while
    this app is built, so that every other app of the test stays a plain aiohttp app.
    """
    instrumentor = AioHttpServerInstrumentor()
    with warnings.catch_warnings():
        # The instrumentor subclasses web.Application, which aiohttp discourages; that is
        # OpenTelemetry's choice, not ours, so only this one warning is silenced, only here.
        warnings.filterwarnings(
            "ignore",
            message="Inheritance class _InstrumentedApplication from web.Application",
            category=DeprecationWarning,
        )
        instrumentor.instrument(tracer_provider=peer.provider)
    try:
        app = web.Application()
    finally:
        instrumentor.uninstrument()
    if type(app) is web.Application:
        raise AssertionError("the OpenTelemetry instrumentor did not instrument the app")
    app.router.add_get("/otel", _otel_handler)
    return await aiohttp_server(app)
