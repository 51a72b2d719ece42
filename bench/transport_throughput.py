"""What the transport costs per span: encoding speed, send() and the sender's CPU.

    python -m bench.transport_throughput [--spans N]

Encoding: a typical server span (name, kind, 3 tags, 1 annotation, remote endpoint) encoded
N times on one core, by this library's encoders and by json.dumps of `Record.asdict()`
(CPU time, best of 5). Sending: the default Transport's queue is filled with 10 000 such
spans through `send()` (the cost on the request path), then `close()` times the sender
alone posting them to a collector in another process that answers 202 (the background
cost, and the most spans per second one transport delivers). Figures, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Final

import aiozipkin as az
from aiozipkin._transport import compress
from aiozipkin.encoding import encode_json, encode_proto3, encode_span_json, encode_span_proto3

from ._common import print_table
from .transport_loop_lag import _collector

__all__ = ["main"]

_ENDPOINT: Final = az.create_endpoint("bench", ipv4="127.0.0.1", port=8080)


def _record(i: int) -> az.Record:
    context = az.TraceContext(f"{i + 1:032x}", f"{i + 7:016x}", f"{i + 1:016x}", True, False, False)
    record = az.Record(context, _ENDPOINT)
    record.kind = "SERVER"
    record.name = "GET /orders/{id}"
    record.timestamp = 1_700_000_000_000_000 + i
    record.duration = 1234
    record.tags = {"http.method": "GET", "http.path": f"/orders/{i}", "http.status_code": "200"}
    record.annotations = [(1_700_000_000_000_100 + i, "handler.start")]
    record.remote_endpoint = az.Endpoint("client", "10.0.0.1", None, 40000 + i % 1000)
    return record


def _encode_rate(encode: Callable[[list[az.Record]], object], records: list[az.Record]) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for offset in range(0, len(records), 100):
            encode(records[offset : offset + 100])
        best = min(best, time.process_time() - start)
    return len(records) / best


def _stdlib(records: list[az.Record]) -> bytes:
    return json.dumps(
        [r.asdict() for r in records], separators=(",", ":"), ensure_ascii=False
    ).encode()


async def _drain(
    url: str, records: list[az.Record], rounds: int, **options: Any
) -> dict[str, float]:
    """Fill the queue with `send()`, then time the sender alone emptying it."""
    send_cpu = drain_cpu = drain_wall = 0.0
    batches = sent = dropped = raw = wire = 0
    for _ in range(rounds):
        transport = az.Transport(url, send_interval=3600, **options)
        start = time.process_time()
        for record in records:
            transport.send(record)
        send_cpu += time.process_time() - start
        wall, cpu = time.perf_counter(), time.process_time()
        await transport.close(timeout=None)
        drain_wall += time.perf_counter() - wall
        drain_cpu += time.process_time() - cpu
        stats = transport.stats()
        batches += stats["batches_sent"]
        sent += stats["spans_sent"]
        dropped += stats["spans_dropped"]
        raw += stats["bytes_encoded"]
        wire += stats["bytes_sent"]
    spans = len(records) * rounds
    return {
        "send_us": send_cpu / spans * 1e6,
        "drain_us": drain_cpu / spans * 1e6,
        "rate": sent / drain_wall,
        "batches": batches / rounds,
        "ratio": raw / wire if wire else 0.0,
        "dropped": dropped,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    args = parser.parse_args(argv)

    records = [_record(i) for i in range(args.spans)]
    encoders: list[tuple[str, Callable[[list[az.Record]], object]]] = [
        ("encode_json (list of 100)", encode_json),
        ("encode_span_json each", lambda rs: [encode_span_json(r) for r in rs]),
        ("encode_proto3 (list of 100)", encode_proto3),
        ("encode_span_proto3 each", lambda rs: [encode_span_proto3(r) for r in rs]),
        ("json.dumps(asdict()) (list of 100)", _stdlib),
    ]
    stdlib = _encode_rate(_stdlib, records)
    rows = []
    for name, encode in encoders:
        rate = _encode_rate(encode, records)
        rows.append([name, f"{rate:,.0f}", f"{1e6 / rate:.2f}", f"{rate / stdlib:.2f}x"])
    size = len(encode_span_json(records[0]))
    print_table(
        f"Encoding a typical span ({size} B of JSON) on one core",
        ["encoder", "spans/s", "us/span", "vs stdlib"],
        rows,
    )

    # The gzip library in use (isal with the speedups extra), and zlib's side by side.
    default = compress.DEFLATE
    stdlib_zlib = compress.ZLIB
    cases: list[tuple[str, dict[str, Any], compress.Deflate]] = [
        (f"json, gzip by {default.name} (default)", {}, default),
        ("json, gzip by zlib", {}, stdlib_zlib),
        ("json, no gzip", {"gzip": False}, default),
        (f"proto3, gzip by {default.name}", {"encoding": "proto3"}, default),
        (f"json, gzip by {default.name}, send_max_size=1000", {"send_max_size": 1000}, default),
        ("json, gzip by zlib, send_max_size=1000", {"send_max_size": 1000}, stdlib_zlib),
    ]
    queue = records[:10_000]
    rounds = max(1, args.spans // len(queue))
    rows = []
    with _collector("healthy") as url:
        for name, options, deflate in cases:
            compress.DEFLATE = deflate
            try:
                r = asyncio.run(_drain(url, queue, rounds, **options))
            finally:
                compress.DEFLATE = default
            rows.append(
                [
                    name,
                    f"{r['send_us']:.2f}",
                    f"{r['drain_us']:.2f}",
                    f"{r['rate']:,.0f}",
                    f"{r['batches']:.0f}",
                    f"{r['ratio']:.1f}",
                    f"{r['dropped']:.0f}",
                ]
            )
    print_table(
        f"A full queue ({len(queue):,} spans) sent to a local collector, x{rounds} (app process)",
        [
            "case",
            "send() us/span",
            "sender CPU us/span",
            "sender spans/s",
            "batches",
            "gzip ratio",
            "dropped",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
