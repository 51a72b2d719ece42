"""Distributed tracing for asyncio and aiohttp, reported to Zipkin (and Jaeger)."""

from __future__ import annotations

from . import constants
from .aiohttp_helpers import (
    APP_AIOZIPKIN_KEY,
    REQUEST_AIOZIPKIN_KEY,
    get_tracer,
    make_trace_config,
    middleware_maker,
    request_span,
    setup,
    skip_requests,
)

# The span kinds and the standard tag names: all of constants.__all__, which __all__ adds.
from .constants import *  # noqa: F403
from .context import Endpoint, TraceContext, create_endpoint
from .current import current_context, current_span
from .encoding import Encoding
from .limits import SpanLimits
from .log_correlation import LOG_FORMAT, TraceLogFilter
from .propagation import (
    B3_MULTI,
    B3_SINGLE,
    W3C,
    extract,
    extract_message,
    inject,
    inject_message,
    make_context,
)
from .record import Record
from .sampler import RateLimitingSampler, Sampler, SamplerABC
from .span import NoopSpan, Span, SpanAbc
from .tracer import Tracer, create, create_custom
from .transport import MultiTransport, StubTransport, Transport, TransportABC

__version__ = "2.0.0.dev0"

__all__ = [
    "APP_AIOZIPKIN_KEY",
    "B3_MULTI",
    "B3_SINGLE",
    "LOG_FORMAT",
    "REQUEST_AIOZIPKIN_KEY",
    "W3C",
    "Encoding",
    "Endpoint",
    "MultiTransport",
    "NoopSpan",
    "RateLimitingSampler",
    "Record",
    "Sampler",
    "SamplerABC",
    "Span",
    "SpanAbc",
    "SpanLimits",
    "StubTransport",
    "TraceContext",
    "TraceLogFilter",
    "Tracer",
    "Transport",
    "TransportABC",
    "create",
    "create_custom",
    "create_endpoint",
    "current_context",
    "current_span",
    "extract",
    "extract_message",
    "get_tracer",
    "inject",
    "inject_message",
    "make_context",
    "make_trace_config",
    "middleware_maker",
    "request_span",
    "setup",
    "skip_requests",
]
__all__ += constants.__all__
