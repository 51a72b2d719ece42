"""Application factory of the worker service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

import aiozipkin as az
from bookshop_common import (
    SESSION_KEY,
    TracerFactory,
    Upstream,
    client_session_ctx,
    setup_service,
)

from .consumer import Consumer
from .routes import setup_routes
from .settings import Settings
from .typedefs import CONSUMER_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings, *, tracer_factory: TracerFactory | None = None
) -> web.Application:
    """The worker app: `/health`, `/stats`, and the consumer loop started at start-up."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    setup_service(
        app,
        settings.base,
        tracer_factory,
        dependencies={"cache": settings.cache_url, "db_proxy": settings.db_proxy_url},
    )
    setup_routes(app)
    app.cleanup_ctx.append(client_session_ctx(settings.upstream_timeout))
    app.cleanup_ctx.append(_consumer_ctx)
    return app


async def _consumer_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, session = app[SETTINGS_KEY], app[SESSION_KEY]
    # polling uses its own untraced session: only the jobs carry trace context
    async with aiohttp.ClientSession() as poll_session:
        consumer = Consumer(
            service_name=settings.base.service_name,
            tracer=az.get_tracer(app),
            poll_session=poll_session,
            cache_url=settings.cache_url,
            queue=settings.job_queue,
            poll_timeout=settings.poll_timeout,
            cache=Upstream("cache", settings.cache_url, session),
            db_proxy=Upstream("db_proxy", settings.db_proxy_url, session),
            default_faults=settings.base.default_faults,
        )
        app[CONSUMER_KEY] = consumer
        consumer.start()
        yield
        await consumer.stop()
