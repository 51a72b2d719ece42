"""The load generator's expected span counts match the traces the five services really make."""

from __future__ import annotations

from collections import Counter

from bookshop_loadgen import Sample, parse_args, run_load
from tests.services.stack import Stack
from tests.support.polling import eventually

# Orders go through Kafka to the worker; on a busy machine that takes a few seconds.
_TIMEOUT = 60.0


async def _load(stack: Stack, *argv: str) -> list[Sample]:
    samples: list[Sample] = []
    config = parse_args([f"--url={stack.url('frontend')}", "--no-progress", "--seed=5", *argv])
    await run_load(config, on_sample=samples.append)
    return samples


async def test_every_request_expects_the_span_count_its_trace_has(stack: Stack) -> None:
    samples = await _load(
        stack, "--rate=40", "--duration=2", "--mix=list=1,book=4,order=2,status=1"
    )
    assert all(s.ok for s in samples), [s for s in samples if not s.ok]
    counts = Counter((s.route, s.spans) for s in samples)
    assert {route for route, _ in counts} == {
        "GET /api/books",
        "GET /api/books/{id}",
        "POST /api/orders",
        "GET /api/orders/{id}",
    }
    # Both sides of the cache-aside read are in the run: a hit and a miss differ by five spans.
    assert {spans for route, spans in counts if route == "GET /api/books/{id}"} == {5, 10}, counts

    def wrong() -> dict[str, tuple[int | None, int]]:
        recorded = Counter(span["traceId"] for span in stack.spans())
        return {
            s.trace_id: (s.spans, recorded[s.trace_id])
            for s in samples
            if recorded[s.trace_id] != s.spans
        }

    try:
        await eventually(
            lambda: not wrong(),
            what="every trace as whole as expected",
            timeout=_TIMEOUT,
            interval=0.2,
        )
    except AssertionError:
        raise AssertionError(f"trace id: (expected, recorded): {wrong()}") from None


async def test_a_request_sent_with_a_fault_expects_no_count(stack: Stack) -> None:
    samples = await _load(
        stack, "--rate=20", "--duration=0.5", "--mix=list=1", "--fault=cache=delay:1ms@100%"
    )
    assert samples
    assert {(s.ok, s.fault, s.spans) for s in samples} == {(True, "cache=delay:1ms", None)}
