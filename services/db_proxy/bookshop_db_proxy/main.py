"""Application factory of the db_proxy service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bookshop_common import TracerFactory, service_app

from .db import Database
from .routes import setup_routes
from .settings import Settings
from .typedefs import DATABASE_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The db_proxy app; the database is opened (schema, seed) at start-up."""
    return service_app(
        SETTINGS_KEY,
        settings,
        setup_routes,
        tracer_factory,
        client_max_size=16 * 1024,
        contexts=[_database_ctx],
    )


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    database = Database(app[SETTINGS_KEY].db_path)
    await database.open()
    app[DATABASE_KEY] = database
    yield
    await database.close()
