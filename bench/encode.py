"""Encoding worker: finished spans encoded to Zipkin v2 JSON per second, on one core.

    python -m bench.encode IMPL [--spans N] [--repeats N]

IMPL: `ours` (the encoder the library exposes, else json.dumps of `Record.asdict()`),
`json-only` (json.dumps of ready-made dicts: the serializer alone) or `aiozipkin-1.1.1`
(its `Record.asdict()` and json.dumps, under the reference virtualenv). Spans are the
lifecycle workload's, encoded in bodies of 100. Prints {"spans_per_s": [...]} as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from ._common import SERVICE, Collect111, emit, run_trace

__all__ = ["main"]

_BODY: Final = 100


def _dumps(items: Sequence[Any]) -> bytes:
    return json.dumps(list(items), separators=(",", ":"), ensure_ascii=False).encode()


def _ours(n: int) -> tuple[Callable[[Sequence[Any]], bytes], list[Any], str]:
    import aiozipkin as az

    from . import _ours as ours

    transport = az.StubTransport()
    tracer = ours.make_tracer(transport)
    for _ in range(n // 2):
        ours.run_trace(tracer)
    return ours.encoder(), transport.records, ours.encoder_name()


def _json_only(n: int) -> tuple[Callable[[Sequence[Any]], bytes], list[Any], str]:
    _, records, _ = _ours(n)
    return _dumps, [r.asdict() for r in records], "json.dumps(list of dicts)"


def _aiozipkin_111(n: int) -> tuple[Callable[[Sequence[Any]], bytes], list[Any], str]:
    # Typed as Any: the reference installs under our import name, in another virtualenv.
    az: Any = importlib.import_module("aiozipkin")
    transport = Collect111()
    records = transport.records
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = az.Tracer(transport, az.Sampler(sample_rate=1.0), endpoint)
    for _ in range(n // 2):
        run_trace(tracer)

    def encode(batch: Sequence[Any]) -> bytes:
        return _dumps([r.asdict() for r in batch])

    return encode, records, "Record.asdict() + json.dumps"


_IMPLS: Final = {"ours": _ours, "json-only": _json_only, "aiozipkin-1.1.1": _aiozipkin_111}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=sorted(_IMPLS))
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=100, help="each encodes 1000 spans")
    args = parser.parse_args()
    encode, records, what = _IMPLS[args.impl](args.spans)
    bodies = [records[i : i + _BODY] for i in range(0, len(records), _BODY)]
    size = sum(len(encode(body)) for body in bodies)  # also warms up
    rates: list[float] = []
    step = 10  # bodies per repeat: short repeats, so that some run undisturbed
    for r in range(args.repeats):
        first = r * step % len(bodies)
        chunk = bodies[first : first + step]
        start = time.perf_counter()
        for body in chunk:
            encode(body)
        rates.append(sum(map(len, chunk)) / (time.perf_counter() - start))
    emit({"spans_per_s": rates, "encoder": what, "bytes_per_span": size / len(records)})


if __name__ == "__main__":
    main()
