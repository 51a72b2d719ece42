"""Memory of a process that keeps making spans through a 100 000-span collector outage.

    python -m bench.transport_outage_memory [--spans N]

Each case runs in a fresh process: a tracer reporting to a collector that refuses every
connection (the default Transport: 10 000 spans / 8 MiB queue, 120 s retry budget) finishes
N spans as fast as the loop allows, yielding every 100 so that the sender keeps retrying.
The resident set size (VmRSS) is sampled as spans go; its growth over the warmed-up
baseline is compared to the queue's byte bound. "typical" spans are ~0.4 KiB (the span
bound binds first); "large" ones ~2 KiB (the byte bound binds). Figures, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import aiozipkin as az

from ._common import print_table

__all__ = ["main"]

_MiB: Final = 1024 * 1024
_CASES: Final = {"typical": 0, "large": 1600}


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2/spans"


def _make_spans(tracer: az.Tracer, start: int, count: int, pad: str) -> None:
    for i in range(start, start + count):
        with tracer.new_trace(sampled=True) as span:
            span.name("GET /orders/{id}")
            span.kind(az.SERVER)
            span.tag("http.method", "GET")
            span.tag("http.path", f"/orders/{i}")
            span.tag("http.status_code", 200)
            if pad:
                span.tag("payload", pad + str(i))
            span.annotate("handler.start")
            span.remote_endpoint("client", ipv4="10.0.0.1", port=40000 + i % 1000)


class _Discard(az.TransportABC):
    def send(self, record: az.Record) -> None:
        pass

    async def close(self) -> None:
        pass


async def _worker(spans: int, pad_bytes: int) -> dict[str, Any]:
    pad = "x" * pad_bytes
    endpoint = az.create_endpoint("bench", ipv4="127.0.0.1")
    # Warm up the span code paths without keeping anything, then take the baseline.
    async with az.create_custom(endpoint, _Discard()) as warm:
        _make_spans(warm, 0, 2000, pad)
    gc.collect()
    baseline = _rss()
    tracer = await az.create(_refused_url(), endpoint, sample_rate=1.0)
    transport = tracer.transport
    assert isinstance(transport, az.Transport)
    samples: list[tuple[int, int]] = []
    peak = 0
    made = 0
    while made < spans:
        step = min(100, spans - made)
        _make_spans(tracer, made, step, pad)
        made += step
        await asyncio.sleep(0)
        if made % 1000 == 0:
            rss = _rss() - baseline
            peak = max(peak, rss)
            if made in (5_000, 10_000, 25_000, 50_000, 75_000, spans):
                samples.append((made, rss))
    stats = transport.stats()
    undelivered = await transport.close(timeout=0)
    return {
        "baseline_rss": baseline,
        "peak_growth": peak,
        "samples": samples,
        "stats": stats,
        "undelivered": undelivered,
        "span_bytes": stats["queue_bytes"] / max(stats["queue_spans"], 1),
    }


def _run_case(name: str, spans: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.transport_outage_memory",
            "--worker",
            name,
            "--spans",
            str(spans),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--worker", choices=sorted(_CASES))
    args = parser.parse_args(argv)
    if args.worker:
        result = asyncio.run(_worker(args.spans, _CASES[args.worker]))
        print(json.dumps(result))
        return

    rows = []
    curves = []
    for name in _CASES:
        r = _run_case(name, args.spans)
        stats = r["stats"]
        bound = 8 * _MiB
        rows.append(
            [
                name,
                f"{r['span_bytes']:.0f} B",
                f"{stats['queue_spans']}",
                f"{stats['queue_bytes'] / _MiB:.2f}",
                f"{stats['dropped_queue_full']}",
                f"{stats['retries']}",
                f"{r['peak_growth'] / _MiB:.2f}",
                f"{(r['peak_growth'] - stats['queue_bytes']) / _MiB:.2f}",
                f"{(r['peak_growth'] - bound) / _MiB:+.2f}",
            ]
        )
        curves.append([name, *(f"{n // 1000}k: {rss / _MiB:.1f}" for n, rss in r["samples"])])
    print_table(
        f"Transport memory through a {args.spans:,}-span outage (MiB; byte bound 8 MiB)",
        [
            "spans",
            "span size",
            "queued",
            "queue MiB",
            "dropped full",
            "retries",
            "RSS growth",
            "growth - queue",
            "growth - bound",
        ],
        rows,
    )
    width = max(len(c) for c in curves)
    print_table(
        "RSS growth as spans are made (MiB)",
        ["spans", *(f"sample {i}" for i in range(1, width))],
        [c + [""] * (width - len(c)) for c in curves],
    )


if __name__ == "__main__":
    main()
