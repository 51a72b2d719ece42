"""The aiohttp client side: a `TraceConfig` making one CLIENT span per request."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from ._address import ip_fields
from .constants import CLIENT
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
    """The server a URL points at: its IP address, or its host name as the service name."""
    host = url.host or None
    fields = None if host is None else ip_fields(host)
    if fields is None:
        return Endpoint(host, None, None, url.port)
    return Endpoint(None, fields[0], fields[1], url.port)


def _http_url(url: URL, keep_query: bool) -> str:
    """The URL for the `http.url` tag: never its credentials, its query only when asked."""
    if url.raw_user is not None or url.raw_password is not None:
        url = url.with_user(None).with_password(None)
    if not keep_query and (url.raw_query_string or url.raw_fragment):
        url = url.with_query(None).with_fragment(None)
    return str(url)


def make_trace_config(tracer: Tracer, *, keep_query: bool = False) -> aiohttp.TraceConfig:
    """A client `TraceConfig`: one CLIENT span per request, and context headers injected.

    The parent is `trace_request_ctx={"span_context": ctx}` when given, else the span
    active in the calling task (e.g. the server request being handled);
    `"propagate_headers": False` in it records the span without sending headers. Requests
    that carry `b3: 0` themselves (collector uploads) are left alone.

    The span is named by the method and `"route"` from `trace_request_ctx` (the path's
    template, `{"route": "/books/{id}"}`), else by the method alone. `http.url` is the full
    URL without its query string, which can carry tokens; `keep_query=True` keeps it.
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
        route = _request_option(ctx.trace_request_ctx, "route")
        # The path itself never names the span: with an id in it, every request would make
        # a new name, which Zipkin keeps a list of per service.
        span.begin_http(
            CLIENT,
            params.method,
            route=route if isinstance(route, str) else None,
            url=_http_url(url, keep_query),
            remote=_remote_from_url(url),
        )

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
