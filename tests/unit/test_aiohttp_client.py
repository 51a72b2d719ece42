"""The client TraceConfig: CLIENT spans and context injection."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

import aiozipkin as az
from aiozipkin.testing import zipkin_json

ENDPOINT = az.create_endpoint("client", ipv4="127.0.0.1")
HEADERS: web.AppKey[list[dict[str, str]]] = web.AppKey("headers", list)


async def echo_server(aiohttp_server: AiohttpServer) -> TestServer:
    app = web.Application()
    app[HEADERS] = []

    async def handler(request: web.Request) -> web.Response:
        request.app[HEADERS].append(dict(request.headers))
        status = int(request.query.get("status", "200"))
        return web.Response(status=status, text="ok")

    app.router.add_route("*", "/{tail:.*}", handler)
    return await aiohttp_server(app)


def records(tracer: az.Tracer) -> list[dict[str, Any]]:
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    return [zipkin_json(r) for r in transport.records]


async def test_explicit_parent_client_span(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True) as root:
            ctx = {"span_context": root.context}
            async with session.get(server.make_url("/books/1?q=2"), trace_request_ctx=ctx) as r:
                assert r.status == 200
    client_span, _root = records(tracer)
    assert client_span["kind"] == "CLIENT"
    # Without a route template the name is the method: a path with an id is no name.
    assert client_span["name"] == "GET"
    assert client_span["parentId"] == root.context.span_id
    assert client_span["tags"]["http.method"] == "GET"
    assert client_span["tags"]["http.url"] == str(server.make_url("/books/1"))
    assert "http.route" not in client_span["tags"]
    assert client_span["tags"]["http.status_code"] == "200"
    assert client_span["remoteEndpoint"] == {"ipv4": "127.0.0.1", "port": server.port}
    (sent,) = server.app[HEADERS]
    assert sent["X-B3-TraceId"] == root.context.trace_id
    assert sent["X-B3-SpanId"] == client_span["id"]
    assert sent["X-B3-ParentSpanId"] == root.context.span_id
    assert sent["X-B3-Sampled"] == "1"
    await tracer.close()


async def test_implicit_parent_from_server_request(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient
) -> None:
    downstream = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def front(request: web.Request) -> web.Response:
        async with request.app[session_key].get(downstream.make_url("/x")) as resp:
            return web.Response(text=await resp.text())

    app = web.Application()
    app.router.add_get("/front", front)
    az.setup(app, tracer)

    async def session_ctx(app: web.Application) -> Any:
        async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as s:
            app[session_key] = s
            yield

    app.cleanup_ctx.append(session_ctx)
    client = await aiohttp_client(app)
    assert (await client.get("/front")).status == 200
    client_span, server_span = records(tracer)
    assert client_span["parentId"] == server_span["id"]
    assert client_span["traceId"] == server_span["traceId"]
    (sent,) = downstream.app[HEADERS]
    assert sent["X-B3-SpanId"] == client_span["id"]


async def test_no_parent_no_span_no_headers(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        await (await session.get(server.make_url("/"))).release()
    assert records(tracer) == []
    assert not any(k.lower().startswith("x-b3") for k in server.app[HEADERS][0])


async def test_unsampled_parent_propagates_deny(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=False) as root:
            await (await session.get(server.make_url("/"))).release()
    assert records(tracer) == []
    (sent,) = server.app[HEADERS]
    assert sent["X-B3-Sampled"] == "0"
    assert sent["X-B3-TraceId"] == root.context.trace_id


async def test_configured_inject_formats(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT, inject_formats=[az.B3_SINGLE, az.W3C])
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True) as root:
            await (await session.get(server.make_url("/"))).release()
    (sent,) = server.app[HEADERS]
    (client_span, _) = records(tracer)
    assert sent["b3"] == f"{root.context.trace_id}-{client_span['id']}-1-{root.context.span_id}"
    assert sent["traceparent"] == f"00-{root.context.trace_id}-{client_span['id']}-01"
    assert "X-B3-TraceId" not in sent


async def test_5xx_is_error_and_connection_error_is_error(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True):
            await (await session.get(server.make_url("/?status=503"))).release()
            try:
                await session.get(f"http://127.0.0.1:{dead_port}/")
            except aiohttp.ClientConnectionError:
                pass
            else:
                raise AssertionError("connecting to a closed port should fail")
    failed, refused, _ = records(tracer)
    assert failed["tags"]["error"] == "503"
    assert refused["tags"]["error"]
    assert "http.status_code" not in refused["tags"]


async def test_upload_requests_are_not_traced(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True):
            await (await session.post(server.make_url("/"), headers={"b3": "0"})).release()
    assert len(records(tracer)) == 1  # only the root
    (sent,) = server.app[HEADERS]
    assert sent["b3"] == "0"
    assert "X-B3-TraceId" not in sent


async def test_propagate_headers_false_records_without_headers(
    aiohttp_server: AiohttpServer,
) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True) as root:
            ctx = {"span_context": root.context, "propagate_headers": False}
            await (await session.get(server.make_url("/"), trace_request_ctx=ctx)).release()
    assert [r["kind"] for r in records(tracer) if "kind" in r] == ["CLIENT"]
    (sent,) = server.app[HEADERS]
    assert not any(k.lower().startswith("x-b3") for k in sent)


async def test_5xx_keeps_an_error_tag_set_by_the_caller(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True):
            await (await session.get(server.make_url("/?status=500"))).release()
    client_span = records(tracer)[0]
    assert client_span["tags"]["error"] == "500"


@pytest.mark.parametrize(
    "make_ctx",
    [
        pytest.param(lambda ctx: {"span_context": ctx, "route": "/kv/{key}"}, id="dict"),
        pytest.param(
            lambda ctx: SimpleNamespace(span_context=ctx, route="/kv/{key}"), id="namespace"
        ),
    ],
)
async def test_span_named_by_the_route_template(
    aiohttp_server: AiohttpServer, make_ctx: Any
) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
        with tracer.new_trace(sampled=True) as root:
            for key in ("book:7", "book:8"):
                url = server.make_url(f"/kv/{key}").with_query(token="secret")
                async with session.put(url, trace_request_ctx=make_ctx(root.context)) as r:
                    assert r.status == 200
    first, second, _root = records(tracer)
    assert first["name"] == second["name"] == "PUT /kv/{key}"
    assert first["tags"]["http.route"] == "/kv/{key}"
    assert first["tags"]["http.url"] == str(server.make_url("/kv/book:7"))
    assert "secret" not in json.dumps([first, second])
    await tracer.close()


async def test_keep_query_and_no_credentials(aiohttp_server: AiohttpServer) -> None:
    server = await echo_server(aiohttp_server)
    tracer = await az.create_custom(ENDPOINT)
    trace_config = az.make_trace_config(tracer, keep_query=True)
    url = server.make_url("/search").with_query(q="dune").with_user("me").with_password("pw")
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        with tracer.new_trace(sampled=True) as root:
            ctx = {"span_context": root.context}
            async with session.get(url, trace_request_ctx=ctx) as r:
                assert r.status == 200
    client_span, _root = records(tracer)
    assert client_span["tags"]["http.url"] == str(server.make_url("/search?q=dune"))
    await tracer.close()
