"""What a load run measured: one sample per request, summarised per endpoint and per fault."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Group", "Sample", "Summary", "percentile", "summarize"]


class Sample(NamedTuple):
    """One request: which, how long it took (seconds), how it ended, and its trace.

    `spans` is how many spans its whole trace should hold (`shapes.expected_spans`), or None
    when that is not known: the request failed, or was sent with a fault.
    """

    route: str
    fault: str
    latency: float
    ok: bool
    outcome: str  # the HTTP status, or "timeout" / "connection error"
    trace_id: str
    spans: int | None = None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0 < q <= 100) of values sorted ascending."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be above 0 and at most 100, got {q}")
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


@dataclass(frozen=True, slots=True)
class Group:
    """The requests of one endpoint (or one fault): counts and latency percentiles (seconds)."""

    name: str
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float
    outcomes: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, name: str, samples: Sequence[Sample]) -> Group:
        latencies = sorted(s.latency for s in samples)
        counts: dict[str, int] = {}
        for sample in samples:
            counts[sample.outcome] = counts.get(sample.outcome, 0) + 1
        return cls(
            name=name,
            requests=len(samples),
            errors=sum(not s.ok for s in samples),
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            max=latencies[-1],
            outcomes=tuple(sorted(counts.items())),
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """The whole run: per endpoint, per fault, the slowest traced requests, the pace achieved."""

    endpoints: tuple[Group, ...]
    faults: tuple[Group, ...]
    slowest: tuple[Sample, ...]
    elapsed: float
    requests: int
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0


def _grouped(samples: Iterable[Sample], key: str) -> dict[str, list[Sample]]:
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(getattr(sample, key), []).append(sample)
    return groups


def summarize(
    samples: Sequence[Sample], *, elapsed: float, slowest: int = 5, order: Sequence[str] = ()
) -> Summary:
    """Group the samples; endpoints come in `order` first, then by name."""
    rank = {name: i for i, name in enumerate(order)}
    by_route = _grouped(samples, "route")
    routes = sorted(by_route, key=lambda name: (rank.get(name, len(rank)), name))
    by_fault = _grouped(samples, "fault")
    traced = (s for s in samples if s.trace_id)
    return Summary(
        endpoints=tuple(Group.of(name, by_route[name]) for name in routes),
        faults=tuple(Group.of(name or "none", by_fault[name]) for name in sorted(by_fault)),
        slowest=tuple(heapq.nlargest(slowest, traced, key=lambda s: s.latency)),
        elapsed=elapsed,
        requests=len(samples),
        errors=sum(not s.ok for s in samples),
    )
