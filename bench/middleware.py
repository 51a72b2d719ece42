"""Middleware worker: what tracing adds to one request inside aiohttp, without the network.

    python -m bench.middleware IMPL [--requests N] [--repeats N]

A hello-world application handles a mocked GET / through `Application._handle` (routing,
the middleware chain, the handler), as the server does after parsing. Far less noisy than
wrk on a shared machine, it tells the per-request cost in microseconds. IMPL: `untraced`,
`noop-middleware`, `floor` (bench/hello_server.py's minimal tracer), `ours-unsampled`,
`ours` (100% sampled), `ours-send` (100% sampled, the real HTTP transport's send() on the
request path) or `aiozipkin-1.1.1` (reference virtualenv). Otherwise finished spans go to
an in-memory transport, encoded every 100.
Prints {"us_per_request": [...]} as JSON, one figure per repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from ._common import SERVICE, Collect111, emit

__all__ = ["main"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_BATCH: Final = 100


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


class _PeerTransport:
    """What the request's socket reports: a client address, like a real connection.

    The same tuple every time, as an asyncio transport keeps it from the connection's start.
    """

    _PEERNAME = ("127.0.0.1", 54321)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._PEERNAME if name == "peername" else default

    def is_closing(self) -> bool:
        return False


def _app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", _hello)
    return app


def _untraced() -> tuple[web.Application, Callable[[], None]]:
    return _app(), lambda: None


def _noop_middleware() -> tuple[web.Application, Callable[[], None]]:
    @web.middleware
    async def passthrough(request: web.Request, handler: _Handler) -> web.StreamResponse:
        return await handler(request)

    app = _app()
    app.middlewares.append(passthrough)
    return app, lambda: None


def _floor() -> tuple[web.Application, Callable[[], None]]:
    from .hello_server import floor_app

    # Its uploads, like the real transport's sender in `ours-send`, never run here.
    return floor_app("http://127.0.0.1:9/api/v2/spans"), lambda: None


def _ours(sample_rate: float = 1.0) -> tuple[web.Application, Callable[[], None]]:
    import aiozipkin as az

    from . import _ours as ours

    transport = az.StubTransport()
    tracer = ours.make_tracer(transport, sample_rate=sample_rate)
    encode = ours.encoder()
    records = transport.records

    def drain() -> None:
        encode(records)
        records.clear()

    return az.setup(_app(), tracer), drain


def _ours_unsampled() -> tuple[web.Application, Callable[[], None]]:
    return _ours(sample_rate=0.0)


def _ours_send() -> tuple[web.Application, Callable[[], None]]:
    import aiozipkin as az

    from . import _ours as ours

    # The real HTTP transport: send() encodes and queues each span on the request path. Its
    # sender never runs (the loop is not yielded to), so the queue is unbounded here and
    # only the request-path cost is measured.
    transport = az.Transport(
        "http://127.0.0.1:9/api/v2/spans",
        send_interval=3600,
        max_queue_spans=10**7,
        max_queue_bytes=1 << 32,
    )
    return az.setup(_app(), ours.make_tracer(transport)), lambda: None


def _aiozipkin_111() -> tuple[web.Application, Callable[[], None]]:
    # Typed as Any: the reference installs under our import name, in another virtualenv.
    az: Any = importlib.import_module("aiozipkin")
    warnings.simplefilter("ignore")  # 1.1.1 uses plain string app keys
    transport = Collect111()
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = az.Tracer(transport, az.Sampler(sample_rate=1.0), endpoint)
    records = transport.records
    app = _app()
    az.setup(app, tracer)

    def drain() -> None:
        import json

        json.dumps([r.asdict() for r in records], separators=(",", ":")).encode()
        records.clear()

    return app, drain


_IMPLS: Final = {
    "untraced": _untraced,
    "noop-middleware": _noop_middleware,
    "floor": _floor,
    "ours-unsampled": _ours_unsampled,
    "ours": _ours,
    "ours-send": _ours_send,
    "aiozipkin-1.1.1": _aiozipkin_111,
}


async def _measure(impl: str, requests: int, repeats: int) -> list[float]:
    app, drain = _IMPLS[impl]()
    app.freeze()
    request = make_mocked_request(
        "GET",
        "/",
        headers={"Host": "127.0.0.1:8080", "User-Agent": "wrk", "Accept": "*/*"},
        app=app,
        transport=_PeerTransport(),
    )
    # aiohttp has no public way to run a request through routing and the middlewares
    # without a connection; its server calls this.
    handle = app._handle  # noqa: SLF001

    async def run(n: int) -> None:
        for i in range(n):
            await handle(request)
            if i % _BATCH == _BATCH - 1:
                drain()

    await run(2000)
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        await run(requests)
        out.append((time.perf_counter() - start) / requests * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=sorted(_IMPLS))
    parser.add_argument("--requests", type=int, default=200, help="requests per repeat")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    emit({"us_per_request": asyncio.run(_measure(args.impl, args.requests, args.repeats))})


if __name__ == "__main__":
    main()
