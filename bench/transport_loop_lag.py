"""Event-loop lag of a process that makes spans while its collector is hung, dead or healthy.

    python -m bench.transport_loop_lag [--seconds S] [--rate SPANS_PER_S]

Each case runs for S seconds in a fresh event loop: a workload finishes spans at a steady
rate (a burst every millisecond) into the default Transport, while a probe sleeps 1 ms at a
time and records how late it wakes up. Collectors run in processes of their own: "hung"
accepts connections and reads requests but never answers, "refused" has nothing listening,
"healthy" answers 202, and "healthy, large spans" gets ~8 KiB spans, so full 512 KiB
batches (gzipped a chunk at a time). "no transport" drops spans in `send`: the floor.
Full (generation 2) garbage collections are counted and timed apart, since they pause the
loop whatever caused them. Figures, no assertions; the target is p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from aiohttp import web

import aiozipkin as az

from ._common import print_table

__all__ = ["main"]

_PROBE: Final = 0.001
_SPANS_PATH: Final = "/api/v2/spans"


class _Discard(az.TransportABC):
    def send(self, record: az.Record) -> None:
        pass

    async def close(self) -> None:
        pass


def _serve_hung() -> None:
    """Accept connections and read requests forever; never write a byte back."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1 << 16):
            pass
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(serve())


def _serve_healthy() -> None:
    """Answer every upload with 202."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def serve() -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(_SPANS_PATH, accept)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.create_server(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        print(sock.getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


@contextlib.contextmanager
def _collector(kind: str) -> Iterator[str]:
    """A collector in a process of its own, so it takes no time from the measured loop."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.transport_loop_lag", "--serve", kind],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}{_SPANS_PATH}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def _refused_collector() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}{_SPANS_PATH}"


async def _workload(tracer: az.Tracer, per_tick: int, pad: str, done: asyncio.Event) -> None:
    """`per_tick` server spans every millisecond until `done`."""
    n = 0
    while not done.is_set():
        for _ in range(per_tick):
            with tracer.new_trace(sampled=True) as span:
                span.name("GET /orders/{id}")
                span.kind(az.SERVER)
                span.tag("http.path", f"/orders/{n}")
                span.tag("http.status_code", 200)
                if pad:
                    span.tag("payload", pad)
            n += 1
        await asyncio.sleep(0.001)


async def _measure(
    make_tracer: Callable[[], Any], seconds: float, rate: int, pad: str
) -> dict[str, Any]:
    tracer: az.Tracer = await make_tracer()
    loop = asyncio.get_running_loop()
    per_tick = max(1, rate // 1000)
    done = asyncio.Event()
    lags: list[float] = []

    async def probe() -> None:
        while not done.is_set():
            start = loop.time()
            await asyncio.sleep(_PROBE)
            lags.append(loop.time() - start - _PROBE)

    # Full collections pause every thread, whatever their cause: timed apart from the lag.
    full_gcs: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif info["generation"] == 2:
            full_gcs.append(time.perf_counter() - gc_started[0])

    gc_started = [0.0]
    gc.callbacks.append(on_gc)
    tasks = [
        asyncio.create_task(_workload(tracer, per_tick, pad, done)),
        asyncio.create_task(probe()),
    ]
    try:
        await asyncio.sleep(seconds)
        done.set()
        await asyncio.gather(*tasks)
    finally:
        gc.callbacks.remove(on_gc)
    stats = tracer.stats()
    transport = tracer.transport
    if isinstance(transport, az.Transport):
        await transport.close(timeout=0)
    await tracer.close()
    lags.sort()
    return {
        "p50": statistics.median(lags),
        "p99": lags[int(len(lags) * 0.99)],
        "max": lags[-1],
        "samples": len(lags),
        "stats": stats,
        "full_gcs": len(full_gcs),
        "full_gc_max": max(full_gcs, default=0.0),
    }


def _case(url: str | None, seconds: float, rate: int, pad: str = "") -> dict[str, Any]:
    endpoint = az.create_endpoint("bench", ipv4="127.0.0.1")

    async def make_tracer() -> az.Tracer:
        if url is None:
            return await az.create_custom(endpoint, _Discard())
        return await az.create(url, endpoint, sample_rate=1.0, send_interval=0.5)

    return asyncio.run(_measure(make_tracer, seconds, rate, pad))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=5000, help="spans per second")
    parser.add_argument("--serve", choices=["hung", "healthy"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve == "hung":
        _serve_hung()
        return
    if args.serve == "healthy":
        _serve_healthy()
        return
    # The transport's own warnings (unreachable, drops) are expected here.
    logging.getLogger("aiozipkin").setLevel(logging.ERROR)

    results = []
    results.append(("no transport", _case(None, args.seconds, args.rate)))
    with _collector("hung") as url:
        results.append(("hung collector", _case(url, args.seconds, args.rate)))
    with _refused_collector() as url:
        results.append(("refused connections", _case(url, args.seconds, args.rate)))
    with _collector("healthy") as url:
        results.append(("healthy collector", _case(url, args.seconds, args.rate)))
        results.append(
            ("healthy, large spans", _case(url, args.seconds, args.rate // 5, "x" * 8000))
        )

    rows = []
    for name, r in results:
        stats = r["stats"]
        rows.append(
            [
                name,
                f"{r['p50'] * 1000:.2f}",
                f"{r['p99'] * 1000:.2f}",
                f"{r['max'] * 1000:.2f}",
                str(r["samples"]),
                f"{r['full_gcs']} / {r['full_gc_max'] * 1000:.1f}",
                str(stats.get("spans_sent", "-")),
                str(stats.get("dropped_queue_full", "-")),
                str(stats.get("batches_sent", "-")),
                str(stats.get("retries", "-")),
            ]
        )
    print_table(
        f"Event-loop lag (ms) over {args.seconds:.0f} s at ~{args.rate} spans/s (target p99 < 5)",
        [
            "case",
            "p50",
            "p99",
            "max",
            "probes",
            "full GCs / longest",
            "sent",
            "dropped full",
            "batches",
            "retries",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
