"""Our ratio sampler and OpenTelemetry's `TraceIdRatioBased` make the same call on every id."""

from __future__ import annotations

import random

import pytest
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased

import aiozipkin as az

IDS_PER_RATE = 10_000
RATES = [0.01, 0.1, 0.5]


def otel_samples(sampler: TraceIdRatioBased, trace_id: int) -> bool:
    return sampler.should_sample(None, trace_id, "span").decision is Decision.RECORD_AND_SAMPLE


def random_ids(bits: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(bits) or 1 for _ in range(IDS_PER_RATE)]


@pytest.mark.parametrize("rate", [pytest.param(r, id=f"rate-{r}") for r in RATES])
def test_same_decision_on_random_128bit_ids(rate: float) -> None:
    ours = az.Sampler(sample_rate=rate)
    theirs = TraceIdRatioBased(rate)
    trace_ids = random_ids(128, seed=round(rate * 1000))

    disagree = [
        f"{tid:032x}"
        for tid in trace_ids
        if ours.is_sampled(f"{tid:032x}") != otel_samples(theirs, tid)
    ]

    assert disagree == []
    # A sampler that always said no (or yes) would agree on almost every id at rate 0.01;
    # this checks both actually sampled about `rate` of the ids.
    sampled = sum(ours.is_sampled(f"{tid:032x}") for tid in trace_ids)
    assert abs(sampled / IDS_PER_RATE - rate) < 5 * (rate * (1 - rate) / IDS_PER_RATE) ** 0.5


@pytest.mark.parametrize("rate", [pytest.param(r, id=f"rate-{r}") for r in RATES])
def test_same_decision_on_random_64bit_ids(rate: float) -> None:
    ours = az.Sampler(sample_rate=rate)
    theirs = TraceIdRatioBased(rate)
    trace_ids = random_ids(64, seed=round(rate * 1000) + 1)

    disagree = [
        f"{tid:016x}"
        for tid in trace_ids
        if ours.is_sampled(f"{tid:016x}") != otel_samples(theirs, tid)
    ]

    assert disagree == []


@pytest.mark.parametrize("rate", [pytest.param(r, id=f"rate-{r}") for r in [*RATES, 0.0, 1.0]])
def test_same_decision_at_the_bound(rate: float) -> None:
    # Random ids almost never land next to the bound; an off-by-one would hide there.
    ours = az.Sampler(sample_rate=rate)
    theirs = TraceIdRatioBased(rate)
    high = 0x463AC35C9F6413AD << 64
    edges = {0, 1, theirs.bound - 1, theirs.bound, theirs.bound + 1, (1 << 64) - 1}
    for low in sorted(e for e in edges if 0 <= e < 1 << 64):
        trace_id = high | low
        assert ours.is_sampled(f"{trace_id:032x}") == otel_samples(theirs, trace_id), hex(low)
