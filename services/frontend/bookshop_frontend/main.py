"""Application factory of the frontend service."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import TracerFactory, service_app

from .page import STATIC_PREFIX
from .routes import setup_routes
from .settings import Settings
from .typedefs import BACKEND_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The frontend app; its client session and tracer are made at start-up."""
    app = service_app(
        SETTINGS_KEY,
        settings,
        setup_routes,
        tracer_factory,
        client_max_size=16 * 1024,
        untraced=_is_static,
        dependencies={"backend": settings.backend_url},
        upstreams={BACKEND_KEY: "backend"},
        upstream_timeout=settings.upstream_timeout,
    )
    return app


def _is_static(request: web.Request) -> bool:
    # The page's CSS and JavaScript: a trace per file would bury the interesting ones.
    return request.path.startswith(STATIC_PREFIX)
