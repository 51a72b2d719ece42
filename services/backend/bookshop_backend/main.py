"""Application factory of the backend service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bookshop_common import (
    SESSION_KEY,
    TracerFactory,
    Upstream,
    client_session_ctx,
    setup_service,
)

from .routes import setup_routes
from .settings import Settings
from .typedefs import CACHE_KEY, DB_PROXY_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The backend app; its client session and tracer are made at start-up."""
    app = web.Application(client_max_size=16 * 1024)
    app[SETTINGS_KEY] = settings
    setup_service(
        app,
        settings.base,
        tracer_factory,
        dependencies={"cache": settings.cache_url, "db_proxy": settings.db_proxy_url},
    )
    setup_routes(app)
    app.cleanup_ctx.append(client_session_ctx(settings.upstream_timeout))
    app.cleanup_ctx.append(_upstreams_ctx)
    return app


async def _upstreams_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, session = app[SETTINGS_KEY], app[SESSION_KEY]
    app[CACHE_KEY] = Upstream("cache", settings.cache_url, session)
    app[DB_PROXY_KEY] = Upstream("db_proxy", settings.db_proxy_url, session)
    yield
