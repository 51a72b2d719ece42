"""Percentiles and the per-endpoint, per-fault summary of a run."""

from __future__ import annotations

import pytest

from bookshop_loadgen import Sample, percentile, summarize


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([7.0], 50, 7.0, id="one-value"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 50, 2.0, id="median-even"),
        pytest.param([1.0, 2.0, 3.0, 4.0, 5.0], 50, 3.0, id="median-odd"),
        pytest.param([float(i) for i in range(1, 101)], 95, 95.0, id="p95-of-100"),
        pytest.param([float(i) for i in range(1, 101)], 99, 99.0, id="p99-of-100"),
        pytest.param([float(i) for i in range(1, 11)], 99, 10.0, id="p99-of-10-is-max"),
        pytest.param([1.0, 2.0], 100, 2.0, id="p100"),
        pytest.param([1.0, 2.0, 3.0], 0.1, 1.0, id="tiny-q-is-min"),
    ],
)
def test_percentile_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize("q", [pytest.param(0, id="zero"), pytest.param(100.5, id="above")])
def test_percentile_rejects_q_out_of_range(q: float) -> None:
    with pytest.raises(ValueError, match="percentile must be"):
        percentile([1.0], q)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def _sample(
    route: str, latency: float, *, ok: bool = True, fault: str = "", trace: str = "t"
) -> Sample:
    return Sample(route, fault, latency, ok, "200" if ok else "502", trace)


def test_summary_groups_by_endpoint_and_fault() -> None:
    samples = [
        *(_sample("GET /a", i / 1000) for i in range(1, 101)),
        _sample("POST /b", 0.5, ok=False, fault="cache=error"),
        _sample("POST /b", 0.1, fault="cache=error"),
    ]
    summary = summarize(samples, elapsed=2.0, order=["POST /b", "GET /a"])
    assert [g.name for g in summary.endpoints] == ["POST /b", "GET /a"]
    post, get = summary.endpoints
    assert (post.requests, post.errors, post.p50, post.max) == (2, 1, 0.1, 0.5)
    assert post.outcomes == (("200", 1), ("502", 1))
    assert (get.requests, get.errors) == (100, 0)
    assert (get.p50, get.p95, get.p99, get.max) == (0.05, 0.095, 0.099, 0.1)
    assert {g.name: g.requests for g in summary.faults} == {"none": 100, "cache=error": 2}
    assert (summary.requests, summary.errors, summary.rate) == (102, 1, 51.0)


def test_slowest_are_the_traced_ones_slowest_first() -> None:
    samples = [
        _sample("GET /a", 0.3, trace="c"),
        _sample("GET /a", 9.0, trace=""),  # no trace id (a connection error): nothing to link
        _sample("GET /a", 0.7, trace="a"),
        _sample("GET /a", 0.5, trace="b"),
    ]
    summary = summarize(samples, elapsed=1.0, slowest=2)
    assert [s.trace_id for s in summary.slowest] == ["a", "b"]
    assert summarize(samples, elapsed=1.0, slowest=0).slowest == ()


def test_summary_of_no_samples() -> None:
    summary = summarize([], elapsed=0.0)
    assert (summary.endpoints, summary.faults, summary.requests, summary.rate) == ((), (), 0, 0.0)
