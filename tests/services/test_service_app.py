"""`bookshop_common.service_app`: what it refuses, the order of its contexts, the shared API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
import bookshop_backend
import bookshop_cache
import bookshop_frontend
from bookshop_cache.typedefs import SETTINGS_KEY
from bookshop_common import Upstream, add_api_routes, service_app
from tests.services.stack import BASE_ENV, VALUES, stub_tracer_factory

_CALLED = web.AppKey("called", Upstream)


def _settings() -> bookshop_cache.Settings:
    return bookshop_cache.Settings.from_env(BASE_ENV)


def _no_routes(app: web.Application) -> None:
    raise AssertionError("an app that is refused gets no routes")


def test_upstreams_without_a_timeout_are_refused() -> None:
    with pytest.raises(TypeError, match="upstreams need an upstream_timeout"):
        service_app(
            SETTINGS_KEY,
            _settings(),
            _no_routes,
            dependencies={"db_proxy": "http://127.0.0.1:8082"},
            upstreams={_CALLED: "db_proxy"},
        )


def test_an_upstream_that_is_no_dependency_is_refused() -> None:
    with pytest.raises(KeyError, match="cache"):
        service_app(
            SETTINGS_KEY,
            _settings(),
            _no_routes,
            dependencies={"db_proxy": "http://127.0.0.1:8082"},
            upstreams={_CALLED: "cache"},
            upstream_timeout=1.0,
        )


def _routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }


def _api_routes(prefix: str) -> set[tuple[str, str]]:
    app = web.Application()
    add_api_routes(app, bookshop_backend.views, prefix=prefix)
    return _routes(app)


def test_the_api_is_routed_under_its_prefix() -> None:
    assert _api_routes("/v1") == {
        ("GET", "/v1/books"),
        ("HEAD", "/v1/books"),
        ("GET", "/v1/books/{book_id}"),
        ("HEAD", "/v1/books/{book_id}"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/orders/{order_id}"),
        ("HEAD", "/v1/orders/{order_id}"),
    }


def test_the_backend_serves_the_api_and_the_frontend_serves_it_under_api() -> None:
    factory = stub_tracer_factory(az.StubTransport())
    backend = bookshop_backend.create_app(
        bookshop_backend.Settings.from_env(VALUES), tracer_factory=factory
    )
    frontend = bookshop_frontend.create_app(
        bookshop_frontend.Settings.from_env(VALUES), tracer_factory=factory
    )
    health = {("GET", "/health"), ("HEAD", "/health")}
    assert _routes(backend) == _api_routes("") | health
    assert _api_routes("/api") <= _routes(frontend)


async def test_service_contexts_start_after_the_tracer(aiohttp_client: AiohttpClient) -> None:
    seen: list[str] = []

    async def resource(app: web.Application) -> AsyncIterator[None]:
        seen.append(f"start, tracer {type(az.get_tracer(app)).__name__}")
        yield
        seen.append("stop")

    app = service_app(
        SETTINGS_KEY,
        _settings(),
        lambda app: None,
        stub_tracer_factory(az.StubTransport()),
        contexts=[resource],
    )
    client = await aiohttp_client(app)
    assert seen == ["start, tracer Tracer"]
    await client.close()
    assert seen == ["start, tracer Tracer", "stop"]
