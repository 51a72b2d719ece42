"""Memory worker: bytes held per span queued in the real HTTP transport (tracemalloc).

    python -m bench.memory IMPL [--spans N]

IMPL: `ours` or `aiozipkin-1.1.1` (under the reference virtualenv). Inside a running loop,
N typical server spans (name, kind, 3 tags with a distinct path each, 1 annotation, remote
endpoint) are finished into a transport whose collector is never reached in time (a long
send interval), then the growth of traced memory is divided by N. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import tracemalloc
from typing import Any

from ._common import ROOT_SPAN, SERVICE, emit

__all__ = ["main"]

_NOWHERE = "http://127.0.0.1:9/api/v2/spans"


def _fill(tracer: Any, n: int) -> None:
    method, _, status = (value for _, value in ROOT_SPAN.tags)
    for i in range(n):
        span = tracer.new_trace(sampled=True)
        span.start()
        span.name(ROOT_SPAN.name).kind(ROOT_SPAN.kind)
        span.tag("http.method", method)
        span.tag("http.path", f"/orders/{i}")
        span.tag("http.status_code", status)
        span.remote_endpoint(None, ipv4="127.0.0.1", port=40000 + i % 20000)
        span.annotate(ROOT_SPAN.annotation)
        span.finish()


async def _measure(n: int) -> dict[str, Any]:
    # Typed as Any: aiozipkin 1.1.1 installs under our import name, in another virtualenv,
    # and both name their HTTP transport aiozipkin.transport.Transport.
    module: Any = importlib.import_module("aiozipkin")
    transport: Any = importlib.import_module("aiozipkin.transport").Transport(
        _NOWHERE, send_interval=3600
    )
    endpoint = module.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = module.Tracer(transport, module.Sampler(sample_rate=1.0), endpoint)
    _fill(tracer, 200)  # warm up caches and lazily built state, then measure from here
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _fill(tracer, n)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    stats = transport.stats() if hasattr(transport, "stats") else {}
    with contextlib.suppress(Exception):
        await asyncio.wait_for(transport.close(), 10)
    return {"bytes_per_span": (after - before) / n, "stats": stats}


def main() -> None:
    parser = argparse.ArgumentParser()
    # The implementation is whichever aiozipkin the interpreter has; the name is a label.
    parser.add_argument("impl", choices=["ours", "aiozipkin-1.1.1"])
    parser.add_argument("--spans", type=int, default=5000)
    args = parser.parse_args()
    emit(asyncio.run(_measure(args.spans)))


if __name__ == "__main__":
    main()
