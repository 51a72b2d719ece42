"""Application factory of the worker service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import aiozipkin as az
from bookshop_common import CleanupCtx, TracerFactory, order_flow_app

from .consumer import Consumer, ConsumerFactory, default_consumer_factory
from .routes import setup_routes
from .settings import Settings
from .typedefs import CACHE_KEY, CONSUMER_KEY, DB_PROXY_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    tracer_factory: TracerFactory | None = None,
    consumer_factory: ConsumerFactory | None = None,
) -> web.Application:
    """The worker app: `/health`, `/stats`, and the consumer loop started at start-up."""
    consumer = _consumer_ctx(consumer_factory)
    return order_flow_app(SETTINGS_KEY, settings, setup_routes, tracer_factory, contexts=[consumer])


def _consumer_ctx(consumer_factory: ConsumerFactory | None) -> CleanupCtx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS_KEY]
        consumer = Consumer(
            service_name=settings.base.service_name,
            tracer=az.get_tracer(app),
            consumer_factory=consumer_factory
            or default_consumer_factory(
                settings.kafka_bootstrap_servers, settings.job_queue, settings.consumer_group
            ),
            topic=settings.job_queue,
            attempts=settings.job_attempts,
            cache=app[CACHE_KEY],
            db_proxy=app[DB_PROXY_KEY],
            default_faults=settings.base.default_faults,
        )
        app[CONSUMER_KEY] = consumer
        consumer.start()
        yield
        await consumer.stop()

    return ctx
