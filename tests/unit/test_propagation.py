"""B3 (multi and single) and W3C trace context, in and out, including malformed input."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

import aiozipkin as az
from aiozipkin.propagation import extract, inject, validate_formats

TRACE = "463ac35c9f6413ad48485a3953bb6124"
TRACE64 = "463ac35c9f6413ad"
SPAN = "a2fb4a1d1a96d312"
PARENT = "0020000000000001"


def ctx(
    sampled: bool | None = True,
    debug: bool = False,
    parent: str | None = PARENT,
    trace: str = TRACE,
) -> az.TraceContext:
    return az.TraceContext(trace, parent, SPAN, sampled, debug, False)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        pytest.param(
            ctx(),
            {
                "X-B3-TraceId": TRACE,
                "X-B3-SpanId": SPAN,
                "X-B3-ParentSpanId": PARENT,
                "X-B3-Sampled": "1",
            },
            id="accept",
        ),
        pytest.param(
            ctx(sampled=False, parent=None),
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "0"},
            id="deny",
        ),
        pytest.param(
            ctx(sampled=None, parent=None),
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN},
            id="defer-writes-no-sampled",
        ),
        pytest.param(
            ctx(debug=True, parent=None),
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Flags": "1"},
            id="debug-without-sampled",
        ),
    ],
)
def test_make_headers(context: az.TraceContext, expected: dict[str, str]) -> None:
    assert context.make_headers() == expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        pytest.param(ctx(), f"{TRACE}-{SPAN}-1-{PARENT}", id="accept-with-parent"),
        pytest.param(ctx(sampled=False, parent=None), f"{TRACE}-{SPAN}-0", id="deny"),
        pytest.param(ctx(sampled=None), f"{TRACE}-{SPAN}", id="defer-has-no-flag-nor-parent"),
        pytest.param(ctx(debug=True), f"{TRACE}-{SPAN}-d-{PARENT}", id="debug"),
    ],
)
def test_make_single_header(context: az.TraceContext, expected: str) -> None:
    assert context.make_single_header() == {"b3": expected}


def test_single_header_without_parent_for_messaging() -> None:
    carrier: dict[str, str] = {}
    az.inject_message(ctx(), carrier)
    assert carrier == {"b3": f"{TRACE}-{SPAN}-1"}
    assert az.extract_message(carrier) == ctx(parent=None)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "1"},
            ctx(parent=None),
            id="multi",
        ),
        pytest.param(
            {
                "x-b3-traceid": TRACE64,
                "x-b3-spanid": SPAN,
                "x-b3-parentspanid": PARENT,
                "x-b3-sampled": "0",
            },
            ctx(sampled=False, trace=TRACE64),
            id="multi-lower-case-64bit",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN},
            ctx(sampled=None, parent=None),
            id="multi-defer",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "true"},
            ctx(parent=None),
            id="sampled-true-lenient",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "false"},
            ctx(sampled=False, parent=None),
            id="sampled-false-lenient",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "x-b3-flags": "1"},
            ctx(debug=True, parent=None),
            id="flags-debug-any-case",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Flags": "0"},
            ctx(sampled=None, parent=None),
            id="flags-other-value-ignored",
        ),
        pytest.param({"b3": f"{TRACE}-{SPAN}-1-{PARENT}"}, ctx(), id="single"),
        pytest.param({"B3": f"{TRACE}-{SPAN}"}, ctx(sampled=None, parent=None), id="single-defer"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-d"}, ctx(debug=True, parent=None), id="single-debug"),
        pytest.param(
            {
                "b3": f"{TRACE}-{SPAN}-0",
                "X-B3-TraceId": "1" * 32,
                "X-B3-SpanId": "2" * 16,
                "X-B3-Sampled": "1",
            },
            ctx(sampled=False, parent=None),
            id="single-wins-over-multi",
        ),
        pytest.param(
            {"X-B3-TraceId": TRACE.upper(), "X-B3-SpanId": SPAN.upper(), "X-B3-Sampled": "1"},
            ctx(parent=None),
            id="upper-case-hex-normalised",
        ),
        pytest.param(
            {"traceparent": f"00-{TRACE}-{SPAN}-01", "tracestate": "a=1,b=2"},
            az.TraceContext(TRACE, None, SPAN, True, False, False, "a=1,b=2"),
            id="w3c",
        ),
        pytest.param(
            {"traceparent": f"00-{TRACE}-{SPAN}-00"},
            ctx(sampled=False, parent=None),
            id="w3c-not-sampled",
        ),
        pytest.param(
            {
                "traceparent": f"00-{'1' * 32}-{'2' * 16}-01",
                "X-B3-TraceId": TRACE,
                "X-B3-SpanId": SPAN,
                "X-B3-Sampled": "1",
            },
            ctx(parent=None),
            id="b3-wins-over-w3c",
        ),
    ],
)
def test_make_context(headers: dict[str, str], expected: az.TraceContext) -> None:
    assert az.make_context(headers) == expected


def test_make_context_from_multidict_first_value_wins() -> None:
    headers = CIMultiDict([("X-B3-TraceId", TRACE), ("x-b3-traceid", "1" * 32)])
    headers.add("X-B3-SpanId", SPAN)
    context = az.make_context(headers)
    assert context is not None
    assert context.trace_id == TRACE


def test_plain_dict_first_value_wins_across_cases() -> None:
    headers = {"X-B3-TraceId": TRACE, "x-b3-traceid": "1" * 32, "X-B3-SpanId": SPAN}
    context = az.make_context(headers)
    assert context is not None
    assert context.trace_id == TRACE


def test_w3c_preferred_when_configured() -> None:
    headers = {
        "traceparent": f"00-{'1' * 32}-{'2' * 16}-01",
        "X-B3-TraceId": TRACE,
        "X-B3-SpanId": SPAN,
    }
    found = extract(headers, prefer=az.W3C)
    assert found.context is not None
    assert found.context.trace_id == "1" * 32


GOOD = {"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN, "X-B3-Sampled": "1"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({**GOOD, "X-B3-TraceId": "abc"}, id="trace-id-too-short"),
        pytest.param({**GOOD, "X-B3-TraceId": TRACE + "0"}, id="trace-id-33-chars"),
        pytest.param({**GOOD, "X-B3-TraceId": "a" * 20}, id="trace-id-20-chars"),
        pytest.param({**GOOD, "X-B3-TraceId": "z" * 32}, id="trace-id-not-hex"),
        pytest.param({**GOOD, "X-B3-TraceId": "0" * 32}, id="trace-id-all-zero-128"),
        pytest.param({**GOOD, "X-B3-TraceId": "0" * 16}, id="trace-id-all-zero-64"),
        pytest.param({**GOOD, "X-B3-TraceId": ""}, id="trace-id-empty"),
        pytest.param({**GOOD, "X-B3-SpanId": "0" * 16}, id="span-id-all-zero"),
        pytest.param({**GOOD, "X-B3-SpanId": SPAN[:-1]}, id="span-id-15-chars"),
        pytest.param({**GOOD, "X-B3-SpanId": "g" * 16}, id="span-id-not-hex"),
        pytest.param({**GOOD, "X-B3-SpanId": ""}, id="span-id-empty"),
        pytest.param({**GOOD, "X-B3-ParentSpanId": "xyz"}, id="parent-not-hex"),
        pytest.param({**GOOD, "X-B3-ParentSpanId": ""}, id="parent-empty"),
        pytest.param({**GOOD, "X-B3-Sampled": "2"}, id="bad-sampled-value"),
        pytest.param({**GOOD, "X-B3-Sampled": ""}, id="empty-sampled-value"),
        pytest.param({"X-B3-TraceId": TRACE}, id="trace-without-span"),
        pytest.param({"X-B3-SpanId": SPAN}, id="span-without-trace"),
        pytest.param({"X-B3-TraceId": " " + TRACE, "X-B3-SpanId": SPAN}, id="leading-space"),
        pytest.param({"b3": ""}, id="single-empty"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-1-{PARENT}-extra"}, id="single-extra-field"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-x"}, id="single-bad-sampling-char"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-1-"}, id="single-empty-parent"),
        pytest.param({"b3": f"{TRACE}--1"}, id="single-empty-span"),
        pytest.param({"b3": f"{TRACE}"}, id="single-trace-only"),
        pytest.param({"b3": f"{'0' * 32}-{SPAN}-1"}, id="single-zero-trace"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-true"}, id="single-true-is-not-valid"),
        pytest.param({"b3": "x"}, id="single-garbage"),
        pytest.param({"b3": f"{TRACE}-{SPAN}-1-{PARENT}", "X-B3-Flags": "x"}, id="ok-control"),
        pytest.param({"traceparent": f"ff-{TRACE}-{SPAN}-01"}, id="w3c-version-ff"),
        pytest.param({"traceparent": f"00-{'0' * 32}-{SPAN}-01"}, id="w3c-zero-trace"),
        pytest.param({"traceparent": f"00-{TRACE}-{'0' * 16}-01"}, id="w3c-zero-span"),
        pytest.param({"traceparent": f"00-{TRACE}-{SPAN}-01-extra"}, id="w3c-v00-extra"),
        pytest.param({"traceparent": f"00-{TRACE.upper()}-{SPAN}-01"}, id="w3c-upper-case"),
        pytest.param({"traceparent": f"00-{TRACE}-{SPAN}"}, id="w3c-missing-flags"),
        pytest.param({"traceparent": ""}, id="w3c-empty"),
    ],
)
def test_malformed_contexts_are_rejected(headers: dict[str, str]) -> None:
    if headers.get("X-B3-Flags") == "x":
        # Control row: an unknown flags value is ignored, the context itself is valid.
        assert az.make_context(headers) == ctx()
        return
    assert az.make_context(headers) is None


@pytest.mark.parametrize(
    ("headers", "sampled", "debug"),
    [
        pytest.param({"b3": "0"}, False, False, id="b3-deny"),
        pytest.param({"b3": "1"}, True, False, id="b3-accept"),
        pytest.param({"b3": "d"}, True, True, id="b3-debug"),
        pytest.param({"X-B3-Sampled": "0"}, False, False, id="multi-deny-alone"),
        pytest.param({"X-B3-Sampled": "1"}, True, False, id="multi-accept-alone"),
        pytest.param({"X-B3-Flags": "1"}, True, True, id="multi-debug-alone"),
    ],
)
def test_sampling_only_headers(headers: dict[str, str], sampled: bool, debug: bool) -> None:
    found = extract(headers)
    assert found.context is None
    assert (found.sampled, found.debug) == (sampled, debug)
    # The documented make_context returns only full contexts.
    assert az.make_context(headers) is None


def test_traceparent_pads_64bit_trace_id() -> None:
    headers: dict[str, str] = {}
    inject(ctx(trace=TRACE64), headers, [az.W3C])
    assert headers == {"traceparent": f"00-{'0' * 16}{TRACE64}-{SPAN}-01"}


def test_inject_all_formats_and_tracestate_carried() -> None:
    context = az.TraceContext(TRACE, PARENT, SPAN, False, False, False, "vendor=x")
    headers: dict[str, str] = {}
    inject(context, headers, [az.B3_MULTI, az.B3_SINGLE, az.W3C])
    assert headers == {
        "X-B3-TraceId": TRACE,
        "X-B3-SpanId": SPAN,
        "X-B3-ParentSpanId": PARENT,
        "X-B3-Sampled": "0",
        "b3": f"{TRACE}-{SPAN}-0-{PARENT}",
        "traceparent": f"00-{TRACE}-{SPAN}-00",
        "tracestate": "vendor=x",
    }


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown propagation format 'jaeger'"):
        validate_formats(["jaeger"])
    with pytest.raises(ValueError, match="unknown propagation format"):
        inject(ctx(), {}, ["jaeger"])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("\r\nX-Evil: 1", id="crlf"),
        pytest.param("é" * 50, id="non-ascii"),
        pytest.param("a" * 100_000, id="oversized"),
        pytest.param(f"{TRACE}-{SPAN}-1\r\n", id="trailing-crlf"),
    ],
)
def test_hostile_values_start_a_new_trace(value: str) -> None:
    for name in ("b3", "X-B3-TraceId", "traceparent"):
        headers = {name: value, "X-B3-SpanId": SPAN}
        assert az.make_context(headers) is None


def test_non_string_carrier_values_never_raise() -> None:
    carrier: dict[str, object] = {"b3": 123, "traceparent": None}
    assert az.extract_message(carrier) is None  # type: ignore[arg-type]
