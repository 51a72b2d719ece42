"""The five services in one event loop, on test servers, reporting to one in-memory transport."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

import aiozipkin as az
import bookshop_backend
import bookshop_cache
import bookshop_db_proxy
import bookshop_frontend
import bookshop_worker
from aiozipkin.testing import zipkin_json
from bookshop_backend.jobs import JobPublisher
from bookshop_backend.typedefs import PUBLISHER_KEY
from bookshop_common import TracerFactory

__all__ = ["BASE_ENV", "SETTINGS", "VALUES", "Span", "Stack", "start_stack", "stub_tracer_factory"]

# Nothing listens there: the tests never use the default collectors.
BASE_ENV: Mapping[str, str] = {"ZIPKIN_ENDPOINTS": "http://127.0.0.1:9/api/v2/spans"}

Span = dict[str, Any]

# Each service's settings class, by service name.
# One valid value of each variable that some service requires.
VALUES = {
    "ZIPKIN_ENDPOINTS": "http://127.0.0.1:9411/api/v2/spans,http://127.0.0.1:9412/api/v2/spans",
    "BACKEND_URL": "http://127.0.0.1:8081",
    "CACHE_URL": "http://127.0.0.1:8083",
    "DB_PROXY_URL": "http://127.0.0.1:8082/",
    "DB_PATH": "/tmp/bookshop.db",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
}

SETTINGS: dict[str, Any] = {
    "frontend": bookshop_frontend.Settings,
    "backend": bookshop_backend.Settings,
    "db_proxy": bookshop_db_proxy.Settings,
    "cache": bookshop_cache.Settings,
    "worker": bookshop_worker.Settings,
}


def stub_tracer_factory(transport: az.StubTransport) -> TracerFactory:
    """Tracers that record into `transport` and sample everything."""

    async def make(endpoint: az.Endpoint) -> az.Tracer:
        return await az.create_custom(
            endpoint, transport=transport, sampler=az.Sampler(sample_rate=1.0)
        )

    return make


@dataclass
class Stack:
    client: TestClient[web.Request, web.Application]
    transport: az.StubTransport
    servers: dict[str, TestServer]
    queue: str

    def spans(self) -> list[Span]:
        return [zipkin_json(record) for record in self.transport.records]

    def trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.spans() if s["traceId"] == trace_id]

    def url(self, service: str) -> str:
        return str(self.servers[service].make_url("")).rstrip("/")

    def _app(self, service: str) -> web.Application:
        app = self.servers[service].app
        assert app is not None
        return app

    def worker_stats(self) -> Any:
        return self._app("worker")[bookshop_worker.typedefs.CONSUMER_KEY].stats

    def tracer(self) -> az.Tracer:
        """The backend's tracer."""
        return az.get_tracer(self._app("backend"))

    def publisher(self) -> JobPublisher:
        """The backend's producer of jobs on this stack's topic."""
        return self._app("backend")[PUBLISHER_KEY]


async def start_stack(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    *,
    kafka_bootstrap: str,
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
) -> Stack:
    """The five services; jobs go through `kafka_bootstrap` on a topic of this stack's own."""
    transport = az.StubTransport()
    factory = stub_tracer_factory(transport)
    extra = extra_env or {}
    servers: dict[str, TestServer] = {}
    # A topic and a consumer group per stack: no test sees another's jobs.
    queue = f"orders-{secrets.token_hex(6)}"
    kafka_env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "JOB_QUEUE": queue,
        "JOB_CONSUMER_GROUP": f"worker-{queue}",
    }

    def env(service: str, **values: str) -> dict[str, str]:
        return {**BASE_ENV, **kafka_env, **values, **extra.get(service, {})}

    def url(service: str) -> str:
        return str(servers[service].make_url("")).rstrip("/")

    servers["db_proxy"] = await aiohttp_server(
        bookshop_db_proxy.create_app(
            bookshop_db_proxy.Settings.from_env(
                env("db_proxy", DB_PATH=str(tmp_path / "bookshop.db"))
            ),
            tracer_factory=factory,
        )
    )
    servers["cache"] = await aiohttp_server(
        bookshop_cache.create_app(
            bookshop_cache.Settings.from_env(env("cache")), tracer_factory=factory
        )
    )
    servers["backend"] = await aiohttp_server(
        bookshop_backend.create_app(
            bookshop_backend.Settings.from_env(
                env("backend", CACHE_URL=url("cache"), DB_PROXY_URL=url("db_proxy"))
            ),
            tracer_factory=factory,
        )
    )
    servers["worker"] = await aiohttp_server(
        bookshop_worker.create_app(
            bookshop_worker.Settings.from_env(
                env(
                    "worker",
                    CACHE_URL=url("cache"),
                    DB_PROXY_URL=url("db_proxy"),
                )
            ),
            tracer_factory=factory,
        )
    )
    client = await aiohttp_client(
        bookshop_frontend.create_app(
            bookshop_frontend.Settings.from_env(env("frontend", BACKEND_URL=url("backend"))),
            tracer_factory=factory,
        )
    )
    assert isinstance(client.server, TestServer)
    servers["frontend"] = client.server
    return Stack(client=client, transport=transport, servers=servers, queue=queue)
