"""`bookshop_common.service_app` refuses upstreams it cannot build, naming what is missing."""

from __future__ import annotations

import pytest
from aiohttp import web

import bookshop_cache
from bookshop_cache.typedefs import SETTINGS_KEY
from bookshop_common import Upstream, service_app
from tests.services.stack import BASE_ENV

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
