"""aiohttp integration: a server middleware and a client `TraceConfig`."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Container, Iterable, Mapping
from types import SimpleNamespace
from typing import Any, Final

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import AbstractRoute

from ._address import ip_fields
from .constants import (
    CLIENT,
    HTTP_METHOD,
    HTTP_PATH,
    HTTP_ROUTE,
    HTTP_URL,
    SERVER,
)
from .context import Endpoint, TraceContext
from .current import _current_span, current_context
from .propagation import extract, inject
from .span import SpanAbc
from .tracer import Tracer

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

logger = logging.getLogger("aiozipkin")

APP_AIOZIPKIN_KEY: web.AppKey[Tracer] = web.AppKey("aiozipkin_tracer", Tracer)
REQUEST_AIOZIPKIN_KEY: web.RequestKey[SpanAbc] = web.RequestKey("aiozipkin_span", SpanAbc)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SkipPredicate = Callable[[web.Request], bool]
"""Returns True for a request that must not be traced."""


def skip_requests(*, paths: Iterable[str] = (), methods: Iterable[str] = ()) -> SkipPredicate:
    """A predicate skipping requests by path regex (full match) or by method."""
    patterns = [re.compile(p) for p in paths]
    method_set = frozenset(m.upper() for m in methods)

    def predicate(request: web.Request) -> bool:
        if request.method in method_set:
            return True
        path = request.path
        return any(p.fullmatch(path) for p in patterns)

    return predicate


# A keep-alive connection sends many requests, and its transport hands out the same peername
# tuple for each: its endpoint is kept, keyed by the tuple's identity (the entry holds the
# tuple, so the id cannot be reused meanwhile). Bounded; cleared whole when full.
_PEER_CACHE_SIZE: Final = 256
_peer_cache: dict[int, tuple[object, Endpoint | None]] = {}


def _peer_endpoint(request: web.Request) -> Endpoint | None:
    transport = request.transport
    if transport is None:
        return None
    peer = transport.get_extra_info("peername")
    if type(peer) is not tuple:
        return _endpoint_of(peer)
    cached = _peer_cache.get(id(peer))
    if cached is not None and cached[0] is peer:
        return cached[1]
    endpoint = _endpoint_of(peer)
    if len(_peer_cache) >= _PEER_CACHE_SIZE:
        _peer_cache.clear()
    _peer_cache[id(peer)] = (peer, endpoint)
    return endpoint


def _endpoint_of(peer: Any) -> Endpoint | None:
    if not isinstance(peer, tuple | list) or len(peer) < 2:
        return None
    host, port = peer[0], peer[1]
    if not isinstance(host, str) or not isinstance(port, int):
        return None
    if ":" in host:
        return Endpoint(None, None, host.split("%", 1)[0], port)
    return Endpoint(None, host, None, port)


def middleware_maker(
    skip_routes: Container[AbstractRoute] | None = None,
    tracer_key: web.AppKey[Tracer] | str = APP_AIOZIPKIN_KEY,
    request_key: web.RequestKey[SpanAbc] | str = REQUEST_AIOZIPKIN_KEY,
    *,
    skip: SkipPredicate | None = None,
    join_spans: bool = False,
) -> Middleware:
    """The server middleware: one SERVER span per request, continuing incoming contexts.

    With `join_spans` the server reports the caller's span id as a shared span (B3 join);
    by default it reports a child of the caller's span.
    """
    skipped = skip_routes or ()
    string_key = isinstance(request_key, str)

    @web.middleware
    async def aiozipkin_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
        match_info = request.match_info
        route = match_info.route
        if route in skipped or (skip is not None and skip(request)):
            return await handler(request)
        # match_info.current_app is what request.app returns, one property call fewer.
        tracer: Tracer = match_info.current_app[tracer_key]
        found = extract(request.headers, prefer=tracer._extract_prefer)
        parent = found.context
        if parent is None:
            span = tracer.new_trace(sampled=found.sampled, debug=found.debug)
        elif join_spans:
            span = tracer.join_span(parent)
        else:
            span = tracer.new_child(parent)
        if string_key:
            # The user chose a plain string key; aiohttp's advice about it is theirs to act
            # on, not a warning to repeat on every request.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", web.NotAppKeyWarning)
                request[request_key] = span
        else:
            request[request_key] = span
        token = _current_span.set(span)
        if span.is_noop:
            try:
                return await handler(request)
            finally:
                _current_span.reset(token)

        method = request.method
        path = request.path
        resource = route.resource
        template = resource.canonical if resource is not None else None
        if template:
            name = f"{method} {template}"
            tags = {HTTP_ROUTE: template, HTTP_METHOD: method, HTTP_PATH: path}
        else:
            name = method
            tags = {HTTP_METHOD: method, HTTP_PATH: path}
        if len(path) > tracer._limits.max_tag_value_length:
            # Rare: let the span's own limits cut the value and count the cut.
            del tags[HTTP_PATH]
            span._begin(SERVER, name, tags, _peer_endpoint(request))
            span.tag(HTTP_PATH, path)
        else:
            span._begin(SERVER, name, tags, _peer_endpoint(request))
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            span._end(exc.status, exc.reason, None)
            raise
        except Exception as exc:
            span._end(500, None, exc)
            raise
        except BaseException as exc:
            # Cancelled (the client went away) or an interpreter exit: record why.
            span._end(None, None, exc)
            raise
        else:
            span._end(response.status, None, None)
            return response
        finally:
            _current_span.reset(token)

    return aiozipkin_middleware


def setup(
    app: web.Application,
    tracer: Tracer,
    *,
    skip_routes: Container[AbstractRoute] | None = None,
    tracer_key: web.AppKey[Tracer] | str = APP_AIOZIPKIN_KEY,
    request_key: web.RequestKey[SpanAbc] | str = REQUEST_AIOZIPKIN_KEY,
    skip: SkipPredicate | None = None,
    join_spans: bool = False,
) -> web.Application:
    """Trace every request of `app` with `tracer`, and close the tracer on cleanup."""
    app[tracer_key] = tracer
    app.middlewares.append(
        middleware_maker(
            skip_routes=skip_routes,
            tracer_key=tracer_key,
            request_key=request_key,
            skip=skip,
            join_spans=join_spans,
        )
    )

    async def close_tracer(_: web.Application) -> None:
        await tracer.close()

    app.on_cleanup.append(close_tracer)
    return app


def get_tracer(
    app: web.Application, tracer_key: web.AppKey[Tracer] | str = APP_AIOZIPKIN_KEY
) -> Tracer:
    """The tracer that `setup` attached to `app`."""
    tracer: Tracer = app[tracer_key]
    return tracer


def request_span(
    request: web.Request, request_key: web.RequestKey[SpanAbc] | str = REQUEST_AIOZIPKIN_KEY
) -> SpanAbc:
    """The SERVER span the middleware made for `request`."""
    span: SpanAbc = request[request_key]
    return span


def _request_option(trace_request_ctx: Any, name: str) -> Any:
    if isinstance(trace_request_ctx, Mapping):
        return trace_request_ctx.get(name)
    return getattr(trace_request_ctx, name, None)


def _explicit_parent(trace_request_ctx: Any) -> TraceContext | None:
    value = _request_option(trace_request_ctx, "span_context")
    return value if isinstance(value, TraceContext) else None


def _remote_from_url(url: Any) -> Endpoint:
    """The server a URL points at: its IP address, or its host name as the service name."""
    host = url.host or None
    fields = None if host is None else ip_fields(host)
    if fields is None:
        return Endpoint(host, None, None, url.port)
    return Endpoint(None, fields[0], fields[1], url.port)


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
        method = params.method
        span.kind(CLIENT)
        span.name(f"{method} {url.path}")
        span.tag(HTTP_METHOD, method)
        span.tag(HTTP_URL, str(url.with_user(None).with_password(None)))
        span._set_remote(_remote_from_url(url))
        span.start()

    async def on_request_end(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        span: SpanAbc | None = getattr(ctx, "aiozipkin_span", None)
        if span is None or span.is_noop:
            return
        span._end(params.response.status, None, None)

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
