"""The documented aiohttp example: a traced page, and a page left untraced."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web

import aiozipkin as az

ZIPKIN_ADDRESS = os.environ.get("ZIPKIN_ADDRESS", "http://127.0.0.1:9411/api/v2/spans")


async def handle(request: web.Request) -> web.StreamResponse:
    tracer = az.get_tracer(request.app)
    span = az.request_span(request)

    with tracer.new_child(span.context) as child_span:
        child_span.name("mysql:select")
        # stands in for a call to an external service or a database query
        await asyncio.sleep(0.01)

    return _page("This page was traced by aiozipkin", "/status", "Go to not traced page")


async def not_traced_handle(request: web.Request) -> web.StreamResponse:
    return _page("This page was NOT traced by aiozipkin", "/", "Go to traced page")


def _page(heading: str, path: str, link_text: str) -> web.Response:
    text = f"""
<html lang="en">
<head>
    <title>aiohttp simple example</title>
</head>
<body>
    <h3>{heading}</h3>
    <p><a href="http://127.0.0.1:9001{path}">{link_text}</a></p>
</body>
</html>
"""
    return web.Response(text=text, content_type="text/html")


async def make_app(host: str, port: int, zipkin_address: str = ZIPKIN_ADDRESS) -> web.Application:
    app = web.Application()
    app.router.add_get("/", handle)
    # Keep the route object so that aiozipkin can be told not to trace it.
    skip_route = app.router.add_get("/status", not_traced_handle)

    endpoint = az.create_endpoint("aiohttp_server", ipv4=host, port=port)
    tracer = await az.create(zipkin_address, endpoint, sample_rate=1.0)
    az.setup(app, tracer, skip_routes=[skip_route])
    return app


def run() -> None:
    host = "127.0.0.1"
    port = 9001
    web.run_app(make_app(host, port), host=host, port=port)


if __name__ == "__main__":
    run()
