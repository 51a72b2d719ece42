"""Application factory of the worker service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import aiozipkin as az
from bookshop_common import (
    SESSION_KEY,
    CleanupCtx,
    TracerFactory,
    Upstream,
    client_session_ctx,
    setup_service,
)

from .consumer import Consumer, ConsumerFactory, default_consumer_factory
from .routes import setup_routes
from .settings import Settings
from .typedefs import CONSUMER_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    tracer_factory: TracerFactory | None = None,
    consumer_factory: ConsumerFactory | None = None,
) -> web.Application:
    """The worker app: `/health`, `/stats`, and the consumer loop started at start-up."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    setup_service(
        app,
        settings.base,
        tracer_factory,
        dependencies={
            "cache": settings.cache_url,
            "db_proxy": settings.db_proxy_url,
            "kafka": f"tcp://{settings.kafka_bootstrap_servers[0]}",
        },
    )
    setup_routes(app)
    app.cleanup_ctx.append(client_session_ctx(settings.upstream_timeout))
    app.cleanup_ctx.append(_consumer_ctx(consumer_factory))
    return app


def _consumer_ctx(consumer_factory: ConsumerFactory | None) -> CleanupCtx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, session = app[SETTINGS_KEY], app[SESSION_KEY]
        consumer = Consumer(
            service_name=settings.base.service_name,
            tracer=az.get_tracer(app),
            consumer_factory=consumer_factory
            or default_consumer_factory(
                settings.kafka_bootstrap_servers, settings.job_queue, settings.consumer_group
            ),
            topic=settings.job_queue,
            attempts=settings.job_attempts,
            cache=Upstream("cache", settings.cache_url, session),
            db_proxy=Upstream("db_proxy", settings.db_proxy_url, session),
            default_faults=settings.base.default_faults,
        )
        app[CONSUMER_KEY] = consumer
        consumer.start()
        yield
        await consumer.stop()

    return ctx
