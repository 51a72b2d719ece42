"""Application factory of the frontend service."""

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

from .page import STATIC_PREFIX
from .routes import setup_routes
from .settings import Settings
from .typedefs import BACKEND_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The frontend app; its client session and tracer are made at start-up."""
    app = web.Application(client_max_size=16 * 1024)
    app[SETTINGS_KEY] = settings
    setup_service(
        app,
        settings.base,
        tracer_factory,
        untraced=_is_static,
        dependencies={"backend": settings.backend_url},
    )
    setup_routes(app)
    app.cleanup_ctx.append(client_session_ctx(settings.upstream_timeout))
    app.cleanup_ctx.append(_upstreams_ctx)
    return app


async def _upstreams_ctx(app: web.Application) -> AsyncIterator[None]:
    app[BACKEND_KEY] = Upstream("backend", app[SETTINGS_KEY].backend_url, app[SESSION_KEY])
    yield


def _is_static(request: web.Request) -> bool:
    # The page's CSS and JavaScript: a trace per file would bury the interesting ones.
    return request.path.startswith(STATIC_PREFIX)
