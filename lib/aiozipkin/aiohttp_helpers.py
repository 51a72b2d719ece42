"""aiohttp integration: a server middleware and a client `TraceConfig`."""

from __future__ import annotations

from ._aiohttp_client import make_trace_config
from ._aiohttp_server import (
    APP_AIOZIPKIN_KEY,
    REQUEST_AIOZIPKIN_KEY,
    SkipPredicate,
    get_tracer,
    middleware_maker,
    request_span,
    setup,
    skip_requests,
)

__all__ = [
    "APP_AIOZIPKIN_KEY",
    "REQUEST_AIOZIPKIN_KEY",
    "SkipPredicate",
    "get_tracer",
    "make_trace_config",
    "middleware_maker",
    "request_span",
    "setup",
    "skip_requests",
]
