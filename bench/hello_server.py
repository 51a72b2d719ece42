"""aiohttp hello world, untraced or traced by one of the contenders, for wrk to load.

    python -m bench.hello_server IMPL --port PORT --sink URL [--profile FILE]

IMPL: `untraced`; `noop-middleware` (what any aiohttp middleware costs); `floor` (the
least a tracing middleware can do, see `_floor`); `ours` (100% sampled) and
`ours-unsampled` (sampler at 0) with the library's real HTTP transport posting to URL;
`aiozipkin-1.1.1` (100% sampled, its own transport) and `otel` (OpenTelemetry's aiohttp
server instrumentation, batch processor and Zipkin JSON exporter) under the reference
virtualenv. No access log, like a tuned service.
With --profile the whole run is recorded by cProfile into FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import importlib
import time
import warnings
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from aiohttp import web

from ._common import SERVICE

__all__ = ["IMPLS", "floor_app", "main"]


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


def _plain_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", _hello)
    return app


async def _untraced(sink: str) -> web.Application:
    return _plain_app()


async def _noop_middleware(sink: str) -> web.Application:
    @web.middleware
    async def passthrough(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        return await handler(request)

    app = _plain_app()
    app.middlewares.append(passthrough)
    return app


_floor_span: contextvars.ContextVar[str | None] = contextvars.ContextVar("floor", default=None)


async def _floor(sink: str) -> web.Application:
    return floor_app(sink)


def floor_app(sink: str) -> web.Application:
    """The least a tracing middleware does, hand-written: the ceiling for any real tracer.

    Per request: one random draw for the ids, the context variable set and reset, two
    clock reads and one JSON object from a fixed f-string; every 1000 spans, one gzipped
    POST. No header propagation, escaping, limits, sampling, retries or bounds: not a
    tracer, a measure of how close to untraced a middleware that records spans can get.
    """
    from random import getrandbits

    pending: list[str] = []
    uploads: set[asyncio.Task[None]] = set()
    sessions: list[aiohttp.ClientSession] = []
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "b3": "0"}

    async def upload(spans: list[str]) -> None:
        if not sessions:
            sessions.append(aiohttp.ClientSession())
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        raw = ("[" + ",".join(spans) + "]").encode()
        body = packer.compress(raw) + packer.flush()
        async with sessions[0].post(sink, data=body, headers=headers) as response:
            await response.read()

    @web.middleware
    async def floor(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        ids = getrandbits(192).to_bytes(24, "big").hex()
        token = _floor_span.set(ids)
        start = time.time_ns()
        try:
            response = await handler(request)
        finally:
            _floor_span.reset(token)
        end = time.time_ns()
        pending.append(
            f'{{"traceId":"{ids[:32]}","id":"{ids[32:]}","kind":"SERVER",'
            f'"name":"{request.method} /","timestamp":{start // 1000},'
            f'"duration":{(end - start) // 1000},'
            f'"localEndpoint":{{"serviceName":"{SERVICE}","ipv4":"127.0.0.1"}},'
            f'"tags":{{"http.method":"{request.method}","http.path":"{request.path}",'
            f'"http.status_code":"{response.status}"}}}}'
        )
        if len(pending) >= 1000:
            task = asyncio.get_running_loop().create_task(upload(pending[:]))
            pending.clear()
            uploads.add(task)
            task.add_done_callback(uploads.discard)
        return response

    async def close(_: web.Application) -> None:
        for session in sessions:
            await session.close()

    app = _plain_app()
    app.middlewares.append(floor)
    app.on_cleanup.append(close)
    return app


async def _ours(sink: str, sample_rate: float = 1.0) -> web.Application:
    import aiozipkin as az

    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = await az.create(sink, endpoint, sample_rate=sample_rate)
    return az.setup(_plain_app(), tracer)


async def _ours_unsampled(sink: str) -> web.Application:
    return await _ours(sink, sample_rate=0.0)


async def _aiozipkin_111(sink: str) -> web.Application:
    # Typed as Any: the reference installs under our import name, in another virtualenv.
    az: Any = importlib.import_module("aiozipkin")
    # 1.1.1 uses plain string app keys; aiohttp's warning about them is not ours to show.
    warnings.simplefilter("ignore")
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = await az.create(sink, endpoint, sample_rate=1.0)
    app = _plain_app()
    az.setup(app, tracer)
    return app


async def _otel(sink: str) -> web.Application:
    sdk_trace: Any = importlib.import_module("opentelemetry.sdk.trace")
    export: Any = importlib.import_module("opentelemetry.sdk.trace.export")
    resources: Any = importlib.import_module("opentelemetry.sdk.resources")
    zipkin: Any = importlib.import_module("opentelemetry.exporter.zipkin.json")
    instrumentation: Any = importlib.import_module("opentelemetry.instrumentation.aiohttp_server")

    provider = sdk_trace.TracerProvider(
        resource=resources.Resource.create({"service.name": SERVICE})
    )
    processor = export.BatchSpanProcessor(zipkin.ZipkinExporter(endpoint=sink))
    provider.add_span_processor(processor)
    instrumentation.AioHttpServerInstrumentor().instrument(tracer_provider=provider)
    # The instrumentor swaps in its own Application class, so build the app after it.
    app = web.Application()
    app.router.add_get("/", _hello)

    async def flush(_: web.Application) -> None:
        provider.shutdown()

    app.on_cleanup.append(flush)
    return app


IMPLS: Final[dict[str, Callable[[str], Any]]] = {
    "untraced": _untraced,
    "noop-middleware": _noop_middleware,
    "floor": _floor,
    "ours": _ours,
    "ours-unsampled": _ours_unsampled,
    "aiozipkin-1.1.1": _aiozipkin_111,
    "otel": _otel,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=sorted(IMPLS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sink", required=True, help="the collector URL spans are posted to")
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    args = parser.parse_args()
    app = IMPLS[args.impl](args.sink)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
