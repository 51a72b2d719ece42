"""The server middleware through a real aiohttp app and client."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from aiozipkin.testing import zipkin_json

ENDPOINT = az.create_endpoint("server", ipv4="127.0.0.1", port=8080)
TRACE = "463ac35c9f6413ad48485a3953bb6124"
SPAN = "a2fb4a1d1a96d312"
SEEN: web.AppKey[list[az.TraceContext | None]] = web.AppKey("seen", list)


async def book(request: web.Request) -> web.Response:
    request.app[SEEN].append(az.current_context())
    return web.json_response({"id": request.match_info["id"]})


async def fail(request: web.Request) -> web.Response:
    raise RuntimeError("database down")


async def teapot(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(text="no such book")


async def bad_gateway(request: web.Request) -> web.Response:
    return web.Response(status=502)


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/books/1")


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def make_app(sample_rate: float = 1.0, **kwargs: Any) -> tuple[web.Application, az.Tracer]:
    app = web.Application()
    app[SEEN] = []
    app.router.add_get("/books/{id}", book)
    app.router.add_get("/fail", fail)
    app.router.add_get("/missing", teapot)
    app.router.add_get("/bad", bad_gateway)
    app.router.add_get("/redirect", redirect)
    health_route = app.router.add_get("/health", health)
    tracer = await az.create_custom(ENDPOINT, sampler=az.Sampler(sample_rate=sample_rate))
    az.setup(app, tracer, skip_routes=[health_route], **kwargs)
    return app, tracer


def records(tracer: az.Tracer) -> list[dict[str, Any]]:
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    return [zipkin_json(r) for r in transport.records]


async def test_server_span_named_by_route_template(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    resp = await client.get("/books/42?x=1")
    assert resp.status == 200
    (span,) = records(tracer)
    assert span["name"] == "GET /books/{id}"
    assert span["kind"] == "SERVER"
    assert span["tags"] == {
        "http.method": "GET",
        "http.path": "/books/42",
        "http.route": "/books/{id}",
        "http.status_code": "200",
    }
    assert span["remoteEndpoint"]["ipv4"] == "127.0.0.1"
    assert isinstance(span["remoteEndpoint"]["port"], int)
    assert "parentId" not in span


async def test_incoming_b3_context_is_continued(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    headers = {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "1"}
    await client.get("/books/1", headers=headers)
    (span,) = records(tracer)
    assert span["traceId"] == TRACE
    assert span["parentId"] == SPAN
    assert span["id"] != SPAN
    (seen,) = app[SEEN]
    assert seen is not None
    assert seen.span_id == span["id"]


async def test_join_spans_reports_shared(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app(join_spans=True)
    client = await aiohttp_client(app)
    await client.get("/books/1", headers={"b3": f"{TRACE}-{SPAN}-1"})
    (span,) = records(tracer)
    assert (span["id"], span["shared"]) == (SPAN, True)


async def test_propagated_deny_is_honoured(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app(sample_rate=1.0)
    client = await aiohttp_client(app)
    await client.get("/books/1", headers={"X-B3-Sampled": "0"})
    await client.get("/books/1", headers={"b3": "0"})
    await client.get("/books/1", headers={"b3": f"{TRACE}-{SPAN}-0"})
    assert records(tracer) == []
    assert [c.sampled if c else None for c in app[SEEN]] == [False, False, False]


async def test_sampling_only_accept_and_debug(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app(sample_rate=0.0)
    client = await aiohttp_client(app)
    await client.get("/books/1", headers={"b3": "1"})
    await client.get("/books/1", headers={"X-B3-Flags": "1"})
    spans = records(tracer)
    assert len(spans) == 2
    assert spans[1]["debug"] is True


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-B3-TraceId": "xyz", "X-B3-SpanId": SPAN}, id="bad-trace-id"),
        pytest.param({"b3": "garbage-in"}, id="bad-single"),
        pytest.param({"traceparent": "ff-00-00-00"}, id="bad-traceparent"),
        pytest.param({"X-B3-TraceId": TRACE, "X-B3-SpanId": "0" * 16}, id="zero-span"),
    ],
)
async def test_malformed_header_starts_new_trace(
    aiohttp_client: AiohttpClient, headers: dict[str, str]
) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    resp = await client.get("/books/1", headers=headers)
    assert resp.status == 200
    (span,) = records(tracer)
    assert "parentId" not in span
    assert span["traceId"] != TRACE


async def test_unhandled_exception_is_an_error(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    resp = await client.get("/fail")
    assert resp.status == 500
    (span,) = records(tracer)
    assert span["tags"]["error"] == "database down"
    assert span["tags"]["http.status_code"] == "500"


async def test_5xx_response_is_an_error(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    assert (await client.get("/bad")).status == 502
    (span,) = records(tracer)
    assert span["tags"]["error"] == "502"


async def test_4xx_and_redirects_are_not_errors(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    assert (await client.get("/missing")).status == 404
    assert (await client.get("/redirect", allow_redirects=False)).status == 302
    spans = records(tracer)
    assert [s["tags"]["http.status_code"] for s in spans] == ["404", "302"]
    assert all("error" not in s["tags"] for s in spans)


async def test_unknown_route_gives_well_formed_span(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    assert (await client.get("/nowhere/at/all")).status == 404
    (span,) = records(tracer)
    assert span["name"] == "GET"
    assert span["tags"]["http.status_code"] == "404"
    assert span["tags"]["http.path"] == "/nowhere/at/all"
    assert "http.route" not in span["tags"]
    assert "error" not in span["tags"]


async def test_skip_routes_and_predicates(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app(skip=az.skip_requests(paths=[r"/books/9\d*"], methods=["HEAD"]))
    client = await aiohttp_client(app)
    await client.get("/health")
    await client.get("/books/99")
    await client.head("/books/1")
    assert records(tracer) == []
    await client.get("/books/1")
    assert len(records(tracer)) == 1


async def test_ipv6_peer(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app, server_kwargs={"host": "::1"})
    await client.get("/books/1")
    (span,) = records(tracer)
    assert span["remoteEndpoint"]["ipv6"] == "::1"


async def test_string_keys_still_work(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    spans: list[az.SpanAbc] = []

    async def handler(request: web.Request) -> web.Response:
        spans.append(az.request_span(request, request_key="my_span"))
        assert az.get_tracer(request.app, tracer_key="my_tracer") is tracer
        return web.Response()

    app.router.add_get("/", handler)
    tracer = await az.create_custom(ENDPOINT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp's own advice to use AppKey
        az.setup(app, tracer, tracer_key="my_tracer", request_key="my_span")
    client = await aiohttp_client(app)
    assert (await client.get("/")).status == 200
    assert len(spans) == 1
    assert not spans[0].is_noop


async def test_default_keys_emit_no_warning(aiohttp_client: AiohttpClient) -> None:
    # filterwarnings=error turns a NotAppKeyWarning into a failure here.
    app, _ = await make_app()
    client = await aiohttp_client(app)
    assert (await client.get("/books/1")).status == 200
    assert az.get_tracer(app) is not None


async def test_tracer_closed_on_cleanup(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()
    client = await aiohttp_client(app)
    await client.close()
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    assert transport.closed


async def test_5xx_keeps_the_handlers_error_tag(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()

    async def unavailable(request: web.Request) -> web.Response:
        az.request_span(request).tag("error", "database unreachable")
        return web.json_response({}, status=503)

    app.router.add_get("/unavailable", unavailable)
    client = await aiohttp_client(app)
    assert (await client.get("/unavailable")).status == 503
    (span,) = records(tracer)
    assert span["tags"]["error"] == "database unreachable"
    assert span["tags"]["http.status_code"] == "503"


async def test_long_path_tag_is_cut_by_span_limits(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    app.router.add_get("/{tail:.*}", health)
    limits = az.SpanLimits(max_tag_value_length=20)
    tracer = await az.create_custom(ENDPOINT, limits=limits)
    az.setup(app, tracer)
    client = await aiohttp_client(app)
    assert (await client.get("/" + "a" * 100)).status == 200
    (span,) = records(tracer)
    assert span["tags"]["http.path"] == "/" + "a" * 19
    assert span["tags"]["aiozipkin.truncated"] == "1"
    assert span["name"] == "GET /{tail}"


async def test_raised_5xx_is_an_error_with_its_reason(aiohttp_client: AiohttpClient) -> None:
    app, tracer = await make_app()

    async def maintenance(request: web.Request) -> web.Response:
        raise web.HTTPServiceUnavailable(reason="Down for maintenance")

    app.router.add_get("/maintenance", maintenance)
    client = await aiohttp_client(app)
    assert (await client.get("/maintenance")).status == 503
    (span,) = records(tracer)
    assert span["tags"]["error"] == "Down for maintenance"
    assert span["tags"]["http.status_code"] == "503"


async def test_status_tag_obeys_the_tag_limit(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    app.router.add_get("/bad", bad_gateway)
    # Route, method and path fill the three tags allowed: the status is cut and counted,
    # and so is the error tag a 5xx would add.
    tracer = await az.create_custom(ENDPOINT, limits=az.SpanLimits(max_tags=3))
    az.setup(app, tracer)
    client = await aiohttp_client(app)
    assert (await client.get("/bad")).status == 502
    (span,) = records(tracer)
    assert set(span["tags"]) == {"http.route", "http.method", "http.path", "aiozipkin.truncated"}
    assert span["tags"]["aiozipkin.truncated"] == "2"


async def test_cancelled_handler_finishes_the_span_with_the_reason(
    aiohttp_client: AiohttpClient,
) -> None:
    async def cancelled(request: web.Request) -> web.StreamResponse:
        raise asyncio.CancelledError

    app, tracer = await make_app()
    app.router.add_get("/cancelled", cancelled)
    client = await aiohttp_client(app)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.get("/cancelled")
    (span,) = records(tracer)
    assert span["tags"]["error"] == "CancelledError"
    assert "http.status_code" not in span["tags"]
    assert span["name"] == "GET /cancelled"
    assert az.current_context() is None  # the middleware put the context back


def forwarded(remote: str) -> Middleware:
    """A forwarded-header middleware in the style of aiohttp-remotes: it rewrites the peer."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request.clone(remote=remote))

    return middleware


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        pytest.param("203.0.113.9", {"ipv4": "203.0.113.9"}, id="ipv4"),
        pytest.param("2001:db8::7", {"ipv6": "2001:db8::7"}, id="ipv6"),
        pytest.param("client.example", None, id="a-name-is-no-address"),
    ],
)
async def test_request_remote_is_the_remote_endpoint(
    aiohttp_client: AiohttpClient, remote: str, expected: dict[str, str] | None
) -> None:
    app = web.Application(middlewares=[forwarded(remote)])
    app.router.add_get("/", health)
    tracer = await az.create_custom(ENDPOINT)
    az.setup(app, tracer)
    client = await aiohttp_client(app)
    assert (await client.get("/")).status == 200
    (span,) = records(tracer)
    # Another peer than the socket's: its port is not known, so none is reported.
    assert span.get("remoteEndpoint") == expected
