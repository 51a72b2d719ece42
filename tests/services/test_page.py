"""The frontend's page: its static files, the UI links it is given, and what stays untraced."""

from __future__ import annotations

import re

import pytest
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
import bookshop_frontend
from bookshop_common import SettingsError
from bookshop_frontend.page import STATIC_DIR
from tests.services.stack import BASE_ENV, Stack, stub_tracer_factory

_FRONTEND_ENV = {**BASE_ENV, "BACKEND_URL": "http://127.0.0.1:9"}


def _attribute(page: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', page)
    assert found is not None, f"{name} not in the page"
    return found.group(1)


async def test_page_carries_the_configured_ui_urls(aiohttp_client: AiohttpClient) -> None:
    settings = bookshop_frontend.Settings.from_env(
        {
            **_FRONTEND_ENV,
            "ZIPKIN_UI_URL": "http://zipkin.example:9411/",
            "JAEGER_UI_URL": "https://jaeger.example/?org=a&b=1",
        }
    )
    app = bookshop_frontend.create_app(
        settings, tracer_factory=stub_tracer_factory(az.StubTransport())
    )
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    page = await resp.text()
    assert "{{" not in page
    assert _attribute(page, "data-zipkin-ui") == "http://zipkin.example:9411"
    assert _attribute(page, "data-jaeger-ui") == "https://jaeger.example/?org=a&amp;b=1"


def test_ui_urls_have_defaults_and_are_validated() -> None:
    settings = bookshop_frontend.Settings.from_env(_FRONTEND_ENV)
    assert settings.zipkin_ui_url == "http://127.0.0.1:9411"
    assert settings.jaeger_ui_url == "http://127.0.0.1:16686"
    for name in ("ZIPKIN_UI_URL", "JAEGER_UI_URL"):
        with pytest.raises(SettingsError, match=f"{name} must be an http"):
            bookshop_frontend.Settings.from_env({**_FRONTEND_ENV, name: "127.0.0.1:9411"})


async def test_static_files_are_served_and_not_traced(stack: Stack) -> None:
    page = await (await stack.client.get("/")).text()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert sorted(assets) == ["/static/app.js", "/static/style.css"]
    before = len(stack.spans())
    for path, content_type in [
        ("/static/app.js", "javascript"),
        ("/static/style.css", "text/css"),
    ]:
        resp = await stack.client.get(path)
        assert resp.status == 200, path
        assert content_type in resp.content_type
        assert "X-Trace-Id" not in resp.headers
    assert (await stack.client.get("/static/missing.js")).status == 404
    assert len(stack.spans()) == before


def test_page_needs_nothing_from_other_hosts() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", text), path
        assert "@import" not in text, path
        assert not re.search(r"fetch\(\s*[\"'`]https?:", text), path


def test_page_links_traces_in_zipkin_and_jaeger() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "${config.zipkin}/zipkin/traces/${traceId}" in script
    assert "${config.jaeger}/trace/${traceId}" in script
    assert "${config.jaeger}/api/traces/${traceId}" in script
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for element in ("zipkin-link", "jaeger-link", "jaeger-api-link", "fault", "fault-preset"):
        assert f'id="{element}"' in page


async def test_page_says_whether_jaeger_has_a_ui(aiohttp_client: AiohttpClient) -> None:
    for value, expected in (("false", "false"), ("true", "true"), ("", "true")):
        settings = bookshop_frontend.Settings.from_env({**_FRONTEND_ENV, "JAEGER_HAS_UI": value})
        app = bookshop_frontend.create_app(
            settings, tracer_factory=stub_tracer_factory(az.StubTransport())
        )
        client = await aiohttp_client(app)
        page = await (await client.get("/")).text()
        assert _attribute(page, "data-jaeger-has-ui") == expected, value
        await client.close()
    with pytest.raises(SettingsError, match="JAEGER_HAS_UI must be true or false"):
        bookshop_frontend.Settings.from_env({**_FRONTEND_ENV, "JAEGER_HAS_UI": "maybe"})


def test_without_a_jaeger_ui_the_page_links_its_api_and_says_why() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert 'key === "jaeger" && !config.jaegerHasUi' in script
    assert "`${config.jaeger}/api/services`" in script
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    note = re.search(r'<p id="jaeger-note" hidden>(.*?)</p>', page, re.S)
    assert note is not None
    assert "no UI" in note.group(1)
    assert "/api/traces/" in note.group(1)
    assert "Docker" in note.group(1)
