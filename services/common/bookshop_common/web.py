"""Middlewares and app plumbing shared by the services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

import aiozipkin as az

from .errors import ApiError, UpstreamError
from .faults import (
    FAULT_HEADER,
    FaultPlan,
    FaultSpecError,
    InjectedFault,
    apply_faults,
    fault_forwarding_trace_config,
    parse_fault_spec,
    reset_fault_spec,
    set_fault_spec,
)
from .health import HEALTH_PATH, add_health_route
from .settings import BaseSettings, OrderFlowSettings, ServiceSettings
from .upstream import Upstream

__all__ = [
    "CACHE_KEY",
    "DB_PROXY_KEY",
    "TRACE_ID_HEADER",
    "CleanupCtx",
    "TracerFactory",
    "error_middleware",
    "fault_middleware",
    "json_error",
    "local_endpoint",
    "order_flow_app",
    "read_json_object",
    "service_app",
    "service_middlewares",
    "trace_id_middleware",
    "tracer_ctx",
    "zipkin_tracer_factory",
]

_S = TypeVar("_S", bound=ServiceSettings)
_O = TypeVar("_O", bound=OrderFlowSettings)

# The order flow's upstreams (see `order_flow_app`), under the same keys in the backend and
# the worker.
CACHE_KEY = web.AppKey("cache", Upstream)
DB_PROXY_KEY = web.AppKey("db_proxy", Upstream)

TRACE_ID_HEADER = "X-Trace-Id"

CleanupCtx = Callable[[web.Application], AsyncIterator[None]]
TracerFactory = Callable[[az.Endpoint], Awaitable[az.Tracer]]

_log = logging.getLogger("bookshop")


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    """A JSON error response `{"error": message, ...}`."""
    return web.json_response({"error": message, "status": status, **extra}, status=status)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/413 `ApiError`."""
    if request.content_type != "application/json":
        raise ApiError(415, "expected a JSON body (Content-Type: application/json)")
    try:
        body = await request.json()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, f"body larger than {request.client_max_size} bytes") from None
    except ValueError:
        raise ApiError(400, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _tag_request_error(request: web.Request, message: str) -> None:
    try:
        span = az.request_span(request)
    except KeyError:
        return
    span.tag("error", message)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON body; a 5xx also gets the `error` tag on the server span."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        response = json_error(exc.status, exc.reason)
        response.headers.update(headers)
    except ApiError as exc:
        response = json_error(exc.status, exc.message)
    except InjectedFault as exc:
        response = json_error(exc.status, str(exc))
    except UpstreamError as exc:
        _log.warning("upstream %s failed: %s", exc.service, exc.message)
        response = json_error(exc.status, exc.message, upstream=exc.service, failed=exc.failed)
    except Exception as exc:
        _log.exception("unhandled error in %s %s", request.method, request.path)
        response = json_error(500, "internal error")
        _tag_request_error(request, f"{type(exc).__name__}: {exc}")
        return response
    if response.status >= 500:
        _tag_request_error(request, _error_text(response))
    return response


def _error_text(response: web.Response) -> str:
    assert isinstance(response.text, str)
    return response.text


@web.middleware
async def trace_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer with the request's trace id in `X-Trace-Id`."""
    context = az.current_context()
    response = await handler(request)
    if context is not None:
        response.headers[TRACE_ID_HEADER] = context.trace_id
    return response


def fault_middleware(service_name: str, defaults: FaultPlan) -> Middleware:
    """Honour `X-Demo-Fault` (or the service's default faults) and forward the header."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == HEALTH_PATH:
            return await handler(request)
        spec = request.headers.get(FAULT_HEADER, "")
        try:
            plan = parse_fault_spec(spec)
        except FaultSpecError as exc:
            raise ApiError(400, f"bad {FAULT_HEADER} header: {exc}") from None
        token = set_fault_spec(spec)
        try:
            await apply_faults(plan.for_service(service_name) or defaults.for_service(service_name))
            return await handler(request)
        finally:
            reset_fault_spec(token)

    return middleware


# Bind addresses meaning "every interface": no address of the service to report.
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def local_endpoint(settings: BaseSettings) -> az.Endpoint:
    """The endpoint the service reports its spans as.

    `create_endpoint` classifies the host: an IPv4 or IPv6 address goes to its field,
    `localhost` is 127.0.0.1, and a hostname is left out.
    """
    host = None if settings.host in _WILDCARDS else settings.host
    return az.create_endpoint(settings.service_name, ipv4=host, port=settings.port)


def zipkin_tracer_factory(settings: BaseSettings) -> TracerFactory:
    """A tracer reporting to every collector in `settings.zipkin_endpoints`."""

    async def make(endpoint: az.Endpoint) -> az.Tracer:
        return await az.create(
            list(settings.zipkin_endpoints),
            endpoint,
            sample_rate=settings.sample_rate,
            send_interval=settings.send_interval,
        )

    return make


def tracer_ctx(settings: BaseSettings, factory: TracerFactory) -> CleanupCtx:
    """Create the tracer at start-up for the tracing middleware; close (flush) it at cleanup.

    Registered before the service's other contexts, it is closed after them, so the spans
    of a consumer finishing its last job still go out.
    """

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        tracer = await factory(local_endpoint(settings))
        app[az.APP_AIOZIPKIN_KEY] = tracer
        try:
            yield
        finally:
            await tracer.close()

    return ctx


def service_middlewares(
    settings: BaseSettings,
    *,
    skip_routes: Sequence[web.AbstractRoute],
    untraced: Callable[[web.Request], bool] | None = None,
) -> list[Middleware]:
    """The middlewares every service runs, outermost first.

    Tracing comes first so that the others run inside the server span: an injected delay or
    error, and the JSON error body, belong to the span. `untraced` picks further requests
    that get no span (a page's static files, say).
    """
    return [
        az.middleware_maker(skip_routes=list(skip_routes), skip=untraced),
        trace_id_middleware,
        error_middleware,
        fault_middleware(settings.service_name, settings.default_faults),
    ]


def service_app(
    settings_key: web.AppKey[_S],
    settings: _S,
    setup_routes: Callable[[web.Application], None],
    tracer_factory: TracerFactory | None = None,
    *,
    client_max_size: int = 1024**2,
    untraced: Callable[[web.Request], bool] | None = None,
    dependencies: Mapping[str, str] | None = None,
    upstreams: Mapping[web.AppKey[Upstream], str] | None = None,
    upstream_timeout: float | None = None,
    contexts: Sequence[CleanupCtx] = (),
) -> web.Application:
    """An application with what every service runs, its `settings` under `settings_key`.

    That is `GET /health` (untraced), the shared middlewares, the tracer's lifetime and the
    service's own routes (`setup_routes`). `dependencies` names the services this one needs,
    by base URL: `/health` reports `degraded` while one of them does not answer. `upstreams`
    names, by app key, the ones it calls: at start-up, after the tracer, each gets an
    `Upstream` under its key, all through one traced client session with a total timeout of
    `upstream_timeout`. The service's own `contexts` (its resources) come after those, so
    they are closed before the tracer flushes.
    """
    if upstreams and upstream_timeout is None:
        raise TypeError("upstreams need an upstream_timeout")
    base = settings.base
    dependencies = dependencies or {}
    app = web.Application(client_max_size=client_max_size)
    app[settings_key] = settings
    health = add_health_route(app, base.service_name, dependencies)
    app.middlewares.extend(service_middlewares(base, skip_routes=[health], untraced=untraced))
    app.cleanup_ctx.append(tracer_ctx(base, tracer_factory or zipkin_tracer_factory(base)))
    if upstreams and upstream_timeout is not None:
        targets = {key: (name, dependencies[name]) for key, name in upstreams.items()}
        app.cleanup_ctx.append(_upstreams_ctx(upstream_timeout, targets))
    app.cleanup_ctx.extend(contexts)
    setup_routes(app)
    return app


def order_flow_app(
    settings_key: web.AppKey[_O],
    settings: _O,
    setup_routes: Callable[[web.Application], None],
    tracer_factory: TracerFactory | None = None,
    *,
    client_max_size: int = 1024**2,
    contexts: Sequence[CleanupCtx] = (),
) -> web.Application:
    """`service_app` for a service of the order flow (the backend, the worker).

    It depends on the cache and db_proxy, and calls them through the `Upstream`s under
    `CACHE_KEY` and `DB_PROXY_KEY`.
    """
    return service_app(
        settings_key,
        settings,
        setup_routes,
        tracer_factory,
        client_max_size=client_max_size,
        dependencies=settings.dependencies,
        upstreams={CACHE_KEY: "cache", DB_PROXY_KEY: "db_proxy"},
        upstream_timeout=settings.upstream_timeout,
        contexts=contexts,
    )


def _upstreams_ctx(
    timeout: float, targets: Mapping[web.AppKey[Upstream], tuple[str, str]]
) -> CleanupCtx:
    """A traced client session (B3 injection, fault forwarding) shared by the `Upstream`s."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        tracer = az.get_tracer(app)
        async with aiohttp.ClientSession(
            trace_configs=[az.make_trace_config(tracer), fault_forwarding_trace_config()],
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as session:
            for key, (name, base_url) in targets.items():
                app[key] = Upstream(name, base_url, session)
            yield

    return ctx
