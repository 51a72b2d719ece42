"""`Record.asdict()` worker: the cost of one call on a finished span, ours and aiozipkin 1.1.1's.

    python -m bench.asdict IMPL [--spans N] [--repeats N]

IMPL is `ours` (this repository's virtualenv) or `aiozipkin-1.1.1` (the reference
virtualenv). The records are the lifecycle workload's (name, kind, 3 tags, 1 annotation,
local endpoint), as a custom transport or a test receives them. Prints
{"ns_per_call": [...]} as JSON: one figure per repeat over every record.
"""

from __future__ import annotations

import argparse
import importlib
import time
from typing import Any, Final

from ._common import SERVICE, emit, run_trace

__all__ = ["main"]


class _Collect:
    """Keeps the records it is sent (aiozipkin 1.1.1 checks no base class)."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def send(self, record: Any) -> None:
        self.records.append(record)

    async def close(self) -> None:
        pass


def _records(az: Any, transport: Any, spans: int) -> list[Any]:
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = az.Tracer(transport, az.Sampler(sample_rate=1.0), endpoint)
    for _ in range(spans // 2):
        run_trace(tracer)
    records: list[Any] = transport.records
    return records


def _ours(spans: int) -> list[Any]:
    import aiozipkin as az

    return _records(az, az.StubTransport(), spans)


def _aiozipkin_111(spans: int) -> list[Any]:
    # Typed as Any: the reference installs under our import name, in another virtualenv.
    az: Any = importlib.import_module("aiozipkin")
    return _records(az, _Collect(), spans)


_IMPLS: Final = {"ours": _ours, "aiozipkin-1.1.1": _aiozipkin_111}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("impl", choices=sorted(_IMPLS))
    parser.add_argument("--spans", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    records = _IMPLS[args.impl](args.spans)
    keys = sorted(records[0].asdict())
    for record in records:  # warm up
        record.asdict()
    timings: list[float] = []
    for _ in range(args.repeats):
        start = time.perf_counter_ns()
        for record in records:
            record.asdict()
        timings.append((time.perf_counter_ns() - start) / len(records))
    emit({"ns_per_call": timings, "keys": keys})


if __name__ == "__main__":
    main()
