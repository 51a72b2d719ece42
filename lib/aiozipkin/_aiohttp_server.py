"""The aiohttp server side: a middleware making one SERVER span per request, and its setup."""

from __future__ import annotations

import re
import warnings
from collections.abc import Awaitable, Callable, Container, Iterable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import AbstractRoute

from ._address import ip_fields
from .constants import SERVER
from .context import Endpoint
from .current import _current_span
from .span import SpanAbc
from .tracer import Tracer

__all__ = [
    "APP_AIOZIPKIN_KEY",
    "REQUEST_AIOZIPKIN_KEY",
    "SkipPredicate",
    "get_tracer",
    "middleware_maker",
    "request_span",
    "setup",
    "skip_requests",
]

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
_peer_cache: dict[int, tuple[object, str, Endpoint | None]] = {}


def _peer_endpoint(request: web.Request) -> Endpoint | None:
    """The client that sent `request`, as a remote endpoint: `request.remote`'s address.

    `request.remote` is the socket's peer unless a forwarded-header middleware rewrote it
    (`request.clone(remote=...)`); the port is the socket's when it is the same peer.
    """
    remote = request.remote
    transport = request.transport
    peer = None if transport is None else transport.get_extra_info("peername")
    # The usual case: the socket's peer, cached per connection (and the same string object
    # as `remote`, which aiohttp takes from it).
    cached = _peer_cache.get(id(peer))
    if cached is not None and cached[0] is peer and cached[1] is remote:
        return cached[2]
    if remote is None:
        return None
    if type(peer) is not tuple or len(peer) < 2 or peer[0] != remote:
        return _endpoint_of(remote, None)
    port = peer[1]
    endpoint = _endpoint_of(remote, port if type(port) is int else None)
    if len(_peer_cache) >= _PEER_CACHE_SIZE:
        _peer_cache.clear()
    _peer_cache[id(peer)] = (peer, remote, endpoint)
    return endpoint


def _endpoint_of(host: str, port: int | None) -> Endpoint | None:
    fields = ip_fields(host)
    if fields is None:
        return None  # not an address (a Unix socket, or a forwarded name): nothing to report
    return Endpoint(None, fields[0], fields[1], port)


def _store_under_string_key(request: web.Request, key: str, span: SpanAbc) -> None:
    # The user chose a plain string key; aiohttp's advice about it is theirs to act on,
    # not a warning to repeat on every request.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[key] = span


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
    # Decided once: the usual typed key is stored inline, without a call per request.
    string_key = request_key if isinstance(request_key, str) else None

    @web.middleware
    async def aiozipkin_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
        match_info = request.match_info
        route = match_info.route
        if route in skipped or (skip is not None and skip(request)):
            return await handler(request)
        # match_info.current_app is what request.app returns, one property call fewer.
        tracer: Tracer = match_info.current_app[tracer_key]
        span = tracer.span_from_headers(request.headers, join=join_spans)
        if string_key is None:
            request[request_key] = span
        else:
            _store_under_string_key(request, string_key, span)
        token = _current_span.set(span)
        try:
            if span.is_noop:
                return await handler(request)
            resource = route.resource
            span.begin_http(
                SERVER,
                request.method,
                route=resource.canonical if resource is not None else None,
                path=request.path,
                remote=_peer_endpoint(request),
            )
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                span.finish_http(exc.status, exc.reason)
                raise
            except Exception as exc:
                span.finish_http(500, None, exc)
                raise
            except BaseException as exc:
                # Cancelled (the client went away) or an interpreter exit: record why.
                span.finish_http(None, None, exc)
                raise
            span.finish_http(response.status)
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
