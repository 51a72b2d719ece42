"""Application factory of the backend service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import aiozipkin as az
from bookshop_common import CleanupCtx, TracerFactory, order_flow_app

from .jobs import JobPublisher, ProducerFactory
from .routes import setup_routes
from .settings import Settings
from .typedefs import PUBLISHER_KEY, SETTINGS_KEY

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    tracer_factory: TracerFactory | None = None,
    producer_factory: ProducerFactory | None = None,
) -> web.Application:
    """The backend app; its client session, tracer and Kafka producer are made at start-up."""
    publisher = _publisher_ctx(producer_factory)
    return order_flow_app(
        SETTINGS_KEY,
        settings,
        setup_routes,
        tracer_factory,
        client_max_size=16 * 1024,
        contexts=[publisher],
    )


def _publisher_ctx(
    producer_factory: ProducerFactory | None,
) -> CleanupCtx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS_KEY]
        publisher = JobPublisher(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=settings.job_queue,
            tracer=az.get_tracer(app),
            publish_timeout=settings.publish_timeout,
            producer_factory=producer_factory,
        )
        app[PUBLISHER_KEY] = publisher
        publisher.start()
        try:
            yield
        finally:
            await publisher.close()

    return ctx
