"""`GET /health`: the service answers, what it depends on answers, its tracer keeps up.

The answer is always 200 with a JSON body while the service itself runs. Its `status` is
`degraded` when a service it needs does not answer its own `/health` (or answers degraded),
or a broker it needs (`tcp://host:port`) does not accept a connection; `ok` otherwise.
`tracing.dropping` says whether the tracer dropped spans since the previous `/health` (since
start-up for the first one), from the tracer's public `stats()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

import aiozipkin as az

__all__ = ["HEALTH_PATH", "PROBE_TIMEOUT", "HealthCheck", "add_health_route", "health_ctx"]

HEALTH_PATH = "/health"
PROBE_TIMEOUT = 1.0

_DEGRADED = "degraded"
_DOWN = "down"
_OK = "ok"


class HealthCheck:
    """Probes a service's dependencies (untraced) and reads its tracer's drop counters."""

    def __init__(
        self,
        service_name: str,
        dependencies: Mapping[str, str],
        session: aiohttp.ClientSession,
        *,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.service_name = service_name
        self._dependencies = {name: url.rstrip("/") for name, url in dependencies.items()}
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=probe_timeout)
        self._dropped_seen = 0

    async def report(self, tracer: az.Tracer | None) -> dict[str, Any]:
        """The `/health` body."""
        names = list(self._dependencies)
        states = await asyncio.gather(*(self._probe(self._dependencies[n]) for n in names))
        dependencies = dict(zip(names, states, strict=True))
        degraded = any(state != _OK for state in dependencies.values())
        return {
            "status": _DEGRADED if degraded else _OK,
            "service": self.service_name,
            "dependencies": dependencies,
            "tracing": self._tracing(tracer),
        }

    async def _probe(self, base_url: str) -> str:
        if base_url.startswith("tcp://"):
            return await self._connect(base_url.removeprefix("tcp://"))
        try:
            async with self._session.get(base_url + HEALTH_PATH, timeout=self._timeout) as resp:
                if resp.status != 200:
                    return _DOWN
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return _DOWN
        status = body.get("status") if isinstance(body, dict) else None
        return _DEGRADED if status == _DEGRADED else _OK

    async def _connect(self, address: str) -> str:
        """A broker (no /health of its own): up when it accepts a connection."""
        host, _, port = address.rpartition(":")
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), self._timeout.total
            )
        except (OSError, asyncio.TimeoutError, ValueError):
            return _DOWN
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return _OK

    def _tracing(self, tracer: az.Tracer | None) -> dict[str, Any]:
        if tracer is None:
            return {"dropping": False, "spans_dropped": 0, "queue_spans": 0}
        stats = tracer.stats()
        dropped = stats.get("spans_dropped", 0)
        dropping, self._dropped_seen = dropped > self._dropped_seen, dropped
        return {
            "dropping": dropping,
            "spans_dropped": dropped,
            "queue_spans": stats.get("queue_spans", 0),
        }


_HEALTH_KEY = web.AppKey("bookshop_health_check", HealthCheck)


def health_ctx(
    service_name: str, dependencies: Mapping[str, str]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context holding the `HealthCheck` and its own untraced client session."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            app[_HEALTH_KEY] = HealthCheck(service_name, dependencies, session)
            yield

    return ctx


def add_health_route(
    app: web.Application, service_name: str, dependencies: Mapping[str, str] | None = None
) -> web.AbstractRoute:
    """`GET /health` and what it needs; returns the route so that it can be left untraced."""
    app.cleanup_ctx.append(health_ctx(service_name, dependencies or {}))

    async def health(request: web.Request) -> web.Response:
        tracer = request.app.get(az.APP_AIOZIPKIN_KEY)
        return web.json_response(await request.app[_HEALTH_KEY].report(tracer))

    return app.router.add_get(HEALTH_PATH, health, name="health")
