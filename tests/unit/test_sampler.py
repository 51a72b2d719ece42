"""Sampling decided from the trace id alone, so every process agrees."""

from __future__ import annotations

import math
import random

import pytest

import aiozipkin as az


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.25, 0.5, 1.0])
def test_same_trace_id_same_decision_in_any_sampler(rate: float) -> None:
    ids = [f"{random.getrandbits(128):032x}" for _ in range(2000)]
    first = [az.Sampler(sample_rate=rate).is_sampled(i) for i in ids]
    second = [az.Sampler(sample_rate=rate, seed=42).is_sampled(i) for i in ids]
    assert first == second


@pytest.mark.parametrize("rate", [0.01, 0.1, 0.5])
def test_ratio_is_close_to_rate(rate: float) -> None:
    rng = random.Random(7)
    sampler = az.Sampler(sample_rate=rate)
    n = 20_000
    hits = sum(sampler.is_sampled(f"{rng.getrandbits(128):032x}") for _ in range(n))
    sigma = math.sqrt(n * rate * (1 - rate))
    assert abs(hits - n * rate) < 5 * sigma


def test_extremes() -> None:
    assert az.Sampler(sample_rate=1.0).is_sampled("f" * 32)
    assert not az.Sampler(sample_rate=0.0).is_sampled("0" * 31 + "1")


def test_decision_uses_low_64_bits() -> None:
    sampler = az.Sampler(sample_rate=0.5)
    assert sampler.is_sampled("f" * 16 + "0" * 15 + "1")
    assert not sampler.is_sampled("0" * 16 + "f" * 16)
    assert sampler.is_sampled("0" * 15 + "1") == sampler.is_sampled("a" * 16 + "0" * 15 + "1")


@pytest.mark.parametrize(
    "rate",
    [
        pytest.param(-0.1, id="negative"),
        pytest.param(1.5, id="above-one"),
        pytest.param(float("nan"), id="nan"),
        pytest.param("0.5", id="string"),
        pytest.param(True, id="bool"),
    ],
)
def test_bad_rate_is_a_clear_error(rate: object) -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        az.Sampler(sample_rate=rate)  # type: ignore[arg-type]


def test_create_validates_rate() -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        az.create("http://127.0.0.1:9411/api/v2/spans", az.create_endpoint("x"), sample_rate=2)


def test_rate_limiting_sampler_caps_new_traces() -> None:
    sampler = az.RateLimitingSampler(5)
    decisions = [sampler.is_sampled("1" * 32) for _ in range(50)]
    assert 5 <= sum(decisions) <= 6
    assert not az.RateLimitingSampler(0).is_sampled("1" * 32)
    with pytest.raises(ValueError, match="traces_per_second"):
        az.RateLimitingSampler(-1)
