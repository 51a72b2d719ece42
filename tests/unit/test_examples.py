"""The two documented examples, run against an in-process collector that keeps what it gets."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from examples import aiohttp_example, basic_usage

SPANS: web.AppKey[list[dict[str, Any]]] = web.AppKey("spans", list)


async def collector(aiohttp_server: AiohttpServer) -> TestServer:
    app = web.Application()
    app[SPANS] = []

    async def accept(request: web.Request) -> web.Response:
        assert request.headers["b3"] == "0"
        request.app[SPANS].extend(json.loads(await request.read()))
        return web.Response(status=202)

    app.router.add_post("/api/v2/spans", accept)
    return await aiohttp_server(app)


async def test_basic_usage(aiohttp_server: AiohttpServer) -> None:
    server = await collector(aiohttp_server)
    trace_id = await basic_usage.run(str(server.make_url("/api/v2/spans")))
    spans = server.app[SPANS]
    assert {s["name"] for s in spans} == {"root_span", "nested_span_1", "nested_span_2"}
    assert {s["traceId"] for s in spans} == {trace_id}
    root = next(s for s in spans if s["name"] == "root_span")
    assert [a["value"] for a in root["annotations"]] == ["SELECT * FROM", "start end sql"]
    children = [s for s in spans if s["name"] != "root_span"]
    assert all(s["parentId"] == root["id"] for s in children)
    assert {s["remoteEndpoint"]["serviceName"] for s in children} == {
        "remote_service_1",
        "remote_service_2",
    }


async def test_aiohttp_example(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient
) -> None:
    server = await collector(aiohttp_server)
    app = await aiohttp_example.make_app(
        "127.0.0.1", 9001, zipkin_address=str(server.make_url("/api/v2/spans"))
    )
    client = await aiohttp_client(app)
    assert "was traced" in await (await client.get("/")).text()
    assert "NOT traced" in await (await client.get("/status")).text()
    await client.close()  # app cleanup closes the tracer, which flushes
    spans = server.app[SPANS]
    names = sorted(s["name"] for s in spans)
    assert names == ["GET /", "mysql:select"]
    server_span = next(s for s in spans if s["name"] == "GET /")
    child = next(s for s in spans if s["name"] == "mysql:select")
    assert child["parentId"] == server_span["id"]
