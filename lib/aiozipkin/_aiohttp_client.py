"""The aiohttp client side: a `TraceConfig` making one CLIENT span per request."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from .constants import CLIENT, HTTP_METHOD, HTTP_URL
from .context import Endpoint, TraceContext
from .current import current_context
from .propagation import inject
from .span import SpanAbc
from .tracer import Tracer

__all__ = ["make_trace_config"]


def _request_option(trace_request_ctx: Any, name: str) -> Any:
    if isinstance(trace_request_ctx, Mapping):
        return trace_request_ctx.get(name)
    return getattr(trace_request_ctx, name, None)


def _explicit_parent(trace_request_ctx: Any) -> TraceContext | None:
    value = _request_option(trace_request_ctx, "span_context")
    return value if isinstance(value, TraceContext) else None


def _remote_from_url(url: URL) -> Endpoint:
    host = url.host or ""
    port = url.port
    if ":" in host:
        return Endpoint(None, None, host, port)
    if host.replace(".", "").isdigit() and host.count(".") == 3:
        return Endpoint(None, host, None, port)
    return Endpoint(host, None, None, port)


def _name_and_tags(method: str, url: URL) -> tuple[str, dict[str, str]]:
    """A client span's name ("METHOD /path") and its tags (the URL without credentials)."""
    return f"{method} {url.path}", {
        HTTP_METHOD: method,
        HTTP_URL: str(url.with_user(None).with_password(None)),
    }


def make_trace_config(tracer: Tracer) -> aiohttp.TraceConfig:
    """A client `TraceConfig`: one CLIENT span per request, and context headers injected.

    The parent is `trace_request_ctx={"span_context": ctx}` when given, else the span
    active in the calling task (e.g. the server request being handled);
    `"propagate_headers": False` in it records the span without sending headers. Requests
    that carry `b3: 0` themselves (collector uploads) are left alone.
    """
    trace_config = aiohttp.TraceConfig()
    formats = tracer.inject_formats

    async def on_request_start(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        headers = params.headers
        if headers.get("b3") == "0":
            return
        parent = _explicit_parent(ctx.trace_request_ctx) or current_context()
        if parent is None:
            return
        span = tracer.new_child(parent)
        ctx.aiozipkin_span = span
        if _request_option(ctx.trace_request_ctx, "propagate_headers") is not False:
            inject(span.context, headers, formats)
        if span.is_noop:
            return
        url = params.url
        name, tags = _name_and_tags(params.method, url)
        span.begin(CLIENT, name, tags, _remote_from_url(url))

    async def on_request_end(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        span: SpanAbc | None = getattr(ctx, "aiozipkin_span", None)
        if span is None or span.is_noop:
            return
        span.finish_http(params.response.status)

    async def on_request_exception(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        span: SpanAbc | None = getattr(ctx, "aiozipkin_span", None)
        if span is None or span.is_noop:
            return
        span.finish(exception=params.exception)

    trace_config.on_request_start.append(on_request_start)
    trace_config.on_request_end.append(on_request_end)
    trace_config.on_request_exception.append(on_request_exception)
    trace_config.freeze()
    return trace_config
