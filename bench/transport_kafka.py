"""KafkaTransport beside the HTTP transport: send() cost, sender CPU per span, loop lag.

    python -m bench.transport_kafka [--spans N] [--seconds S]

Starts its own Kafka broker (scripts/run-kafka.sh, free ports), or uses
$KAFKA_BOOTSTRAP_SERVERS. Sending: each transport's queue is filled with 10 000 typical
spans through `send()` (the cost on the request path), then `close()` times the sender alone
delivering them: to the broker for Kafka (aiokafka runs in the same process, so its CPU is
counted), to a collector in another process answering 202 for HTTP. Lag: as
bench/transport_loop_lag measures it, while spans go to a healthy broker and to one that
was stopped. Figures, no assertions; the lag target is p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import aiozipkin as az
from aiozipkin._transport.batching import BatchingTransport
from aiozipkin.kafka import KafkaTransport
from tests.servers import ServerProcess, start_kafka

from ._common import print_table
from .transport_loop_lag import _collector, _measure
from .transport_throughput import _drain, _record

__all__ = ["main"]

_ENDPOINT: Final = az.create_endpoint("bench", ipv4="127.0.0.1", port=8080)
_QUEUE: Final = 10_000


@contextlib.contextmanager
def _broker() -> Iterator[tuple[str, ServerProcess | None]]:
    """$KAFKA_BOOTSTRAP_SERVERS, or a broker of our own for the run."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external, None
        return
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as tmp:
        started = time.monotonic()
        process, broker = start_kafka(Path(tmp))
        print(f"kafka broker {broker.bootstrap_servers} up in {time.monotonic() - started:.1f} s")
        try:
            yield broker.bootstrap_servers, process
        finally:
            process.stop()


def _lag(address: str, seconds: float, rate: int) -> dict[str, Any]:
    async def make_tracer() -> az.Tracer:
        return await az.create(address, _ENDPOINT, sample_rate=1.0, send_interval=0.5)

    return asyncio.run(_measure(make_tracer, seconds, rate, ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per loop-lag case")
    parser.add_argument("--rate", type=int, default=5000, help="spans per second (lag)")
    args = parser.parse_args(argv)
    # Retry warnings while the broker is stopped are expected.
    logging.getLogger("aiozipkin").setLevel(logging.ERROR)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    queue = [_record(i) for i in range(_QUEUE)]
    rounds = max(1, args.spans // _QUEUE)
    rows = []
    lag_rows = []
    with _broker() as (servers, process), _collector("healthy") as url:
        topic = f"bench-{os.getpid()}"
        kafka = f"kafka://{servers}/{topic}"
        cases: list[tuple[str, Callable[[], BatchingTransport]]] = [
            ("http, json, gzip (default)", lambda: az.Transport(url, 3600)),
            ("http, json, no gzip", lambda: az.Transport(url, 3600, gzip=False)),
            ("kafka, json", lambda: KafkaTransport(kafka, 3600)),
            ("kafka, proto3", lambda: KafkaTransport(kafka, 3600, encoding="proto3")),
            (
                "http, json, gzip, send_max_size=1000",
                lambda: az.Transport(url, 3600, send_max_size=1000),
            ),
            (
                "kafka, json, send_max_size=1000",
                lambda: KafkaTransport(kafka, 3600, send_max_size=1000),
            ),
            (
                "kafka, json, aiokafka gzip (level 9)",
                lambda: KafkaTransport(kafka, 3600, compression_type="gzip"),
            ),
        ]
        # One warm-up delivery: the topic is created and the first metadata fetched.
        asyncio.run(_drain(lambda: KafkaTransport(kafka, 3600), queue[:10], 1))
        for name, make in cases:
            r = asyncio.run(_drain(make, queue, rounds))
            rows.append(
                [
                    name,
                    f"{r['send_us']:.2f}",
                    f"{r['drain_us']:.2f}",
                    f"{r['rate']:,.0f}",
                    f"{r['batches']:.0f}",
                    f"{r['dropped']:.0f}",
                ]
            )
        lag_cases = [("http, healthy collector", url), ("kafka, healthy broker", kafka)]
        for name, address in lag_cases:
            lag_rows.append((name, _lag(address, args.seconds, args.rate)))
        if process is not None:
            process.stop()
            lag_rows.append(("kafka, broker stopped", _lag(kafka, args.seconds, args.rate)))

    print_table(
        f"A full queue ({_QUEUE:,} spans) delivered, x{rounds}: HTTP to a local collector, "
        "Kafka to a local broker (app process CPU)",
        ["case", "send() us/span", "sender CPU us/span", "sender spans/s", "batches", "dropped"],
        rows,
    )
    print_table(
        f"Event-loop lag (ms) over {args.seconds:.0f} s at ~{args.rate} spans/s (target p99 < 5)",
        ["case", "p50", "p99", "max", "probes", "sent", "dropped full", "retries"],
        [
            [
                name,
                f"{r['p50'] * 1000:.2f}",
                f"{r['p99'] * 1000:.2f}",
                f"{r['max'] * 1000:.2f}",
                str(r["samples"]),
                str(r["stats"].get("spans_sent", "-")),
                str(r["stats"].get("dropped_queue_full", "-")),
                str(r["stats"].get("retries", "-")),
            ]
            for name, r in lag_rows
        ],
    )


if __name__ == "__main__":
    main()
