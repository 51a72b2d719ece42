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


def _malformed(
    base: dict[str, str], header: str, values: dict[str, str]
) -> list[pytest.ParameterSet]:
    """A row per `id: value` in `values`: the headers of `base`, with `header` set to `value`."""
    return [pytest.param({**base, header: value}, id=id_) for id_, value in values.items()]


@pytest.mark.parametrize(
    "headers",
    [
        *_malformed(
            GOOD,
            "X-B3-TraceId",
            {
                "trace-id-too-short": "abc",
                "trace-id-33-chars": TRACE + "0",
                "trace-id-20-chars": "a" * 20,
                "trace-id-not-hex": "z" * 32,
                "trace-id-all-zero-128": "0" * 32,
                "trace-id-all-zero-64": "0" * 16,
                "trace-id-empty": "",
            },
        ),
        *_malformed(
            GOOD,
            "X-B3-SpanId",
            {
                "span-id-all-zero": "0" * 16,
                "span-id-15-chars": SPAN[:-1],
                "span-id-not-hex": "g" * 16,
                "span-id-empty": "",
            },
        ),
        *_malformed(GOOD, "X-B3-ParentSpanId", {"parent-not-hex": "xyz", "parent-empty": ""}),
        *_malformed(GOOD, "X-B3-Sampled", {"bad-sampled-value": "2", "empty-sampled-value": ""}),
        pytest.param({"X-B3-TraceId": TRACE}, id="trace-without-span"),
        pytest.param({"X-B3-SpanId": SPAN}, id="span-without-trace"),
        pytest.param({"X-B3-TraceId": " " + TRACE, "X-B3-SpanId": SPAN}, id="leading-space"),
        *_malformed(
            {},
            "b3",
            {
                "single-empty": "",
                "single-extra-field": f"{TRACE}-{SPAN}-1-{PARENT}-extra",
                "single-bad-sampling-char": f"{TRACE}-{SPAN}-x",
                "single-empty-parent": f"{TRACE}-{SPAN}-1-",
                "single-empty-span": f"{TRACE}--1",
                "single-trace-only": f"{TRACE}",
                "single-zero-trace": f"{'0' * 32}-{SPAN}-1",
                "single-true-is-not-valid": f"{TRACE}-{SPAN}-true",
                "single-garbage": "x",
            },
        ),
        *_malformed(
            {},
            "traceparent",
            {
                "w3c-version-ff": f"ff-{TRACE}-{SPAN}-01",
                "w3c-zero-trace": f"00-{'0' * 32}-{SPAN}-01",
                "w3c-zero-span": f"00-{TRACE}-{'0' * 16}-01",
                "w3c-v00-extra": f"00-{TRACE}-{SPAN}-01-extra",
                "w3c-upper-case": f"00-{TRACE.upper()}-{SPAN}-01",
                "w3c-missing-flags": f"00-{TRACE}-{SPAN}",
                "w3c-empty": "",
            },
        ),
    ],
)
def test_malformed_contexts_are_rejected(headers: dict[str, str]) -> None:
    assert az.make_context(headers) is None


def test_an_unknown_flags_value_is_ignored() -> None:
    # An unknown flags value is ignored: the context itself is valid.
    headers = {"b3": f"{TRACE}-{SPAN}-1-{PARENT}", "X-B3-Flags": "x"}
    assert az.make_context(headers) == ctx()


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
