"""Application factory of the cache service."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import TracerFactory, service_app

from .routes import setup_routes
from .settings import Settings
from .store import KeyValueStore
from .typedefs import SETTINGS_KEY, STORE_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The cache app: state lives in memory and is gone at exit."""
    app = service_app(
        SETTINGS_KEY, settings, setup_routes, tracer_factory, client_max_size=64 * 1024
    )
    app[STORE_KEY] = KeyValueStore(settings.max_keys)
    return app
