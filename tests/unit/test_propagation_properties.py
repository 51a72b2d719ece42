"""Properties of every parser: valid contexts survive a round trip, hostile headers never do.

Hostile means oversized, non-ASCII, CR/LF injection attempts, a header repeated 1 000 times,
and every truncation of a valid value. Such input never raises, never yields a context (the
request starts a new trace), and nothing about it is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from pytest_aiohttp import AiohttpServer

import aiozipkin as az
from aiozipkin.propagation import FORMATS, Extracted, extract, inject
from aiozipkin.testing import zipkin_json

# No example database: the suite leaves no files behind, and no deadline: a slow CI machine
# must not turn a timing hiccup into a failure.
PROPERTY = settings(database=None, deadline=None)

HEX = "0123456789abcdef"
TRACE = "463ac35c9f6413ad48485a3953bb6124"
SPAN = "a2fb4a1d1a96d312"
PARENT = "0020000000000001"
_STRICT_TRACE_ID = re.compile(r"[0-9a-f]{16}|[0-9a-f]{32}")
_STRICT_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_TRACESTATE_SAFE = re.compile(r"[\x20-\x7e]{1,512}")
# Headers whose malformed value must discard the whole context. X-B3-Flags is not one of
# them: the rules say any value but "1" is ignored. Nor is tracestate: it is dropped alone.
CONTEXT_HEADERS = ("b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled")


def _hex_id(length: int) -> st.SearchStrategy[str]:
    return st.text(HEX, min_size=length, max_size=length).filter(lambda s: s.strip("0") != "")


trace_ids = st.one_of(_hex_id(16), _hex_id(32))
span_ids = _hex_id(16)
_tracestate_members = st.tuples(
    st.from_regex(r"[a-z][a-z0-9_*/-]{0,15}", fullmatch=True),
    st.from_regex(r"[\x21-\x2b\x2d-\x3c\x3e-\x7e]{1,16}", fullmatch=True),
)
tracestates = st.lists(_tracestate_members, min_size=1, max_size=8).map(
    lambda members: ",".join(f"{k}={v}" for k, v in members)
)
contexts = st.builds(
    az.TraceContext,
    trace_id=trace_ids,
    parent_id=st.none() | span_ids,
    span_id=span_ids,
    sampled=st.sampled_from([True, False, None]),
    debug=st.booleans(),
    shared=st.booleans(),
    tracestate=st.none() | tracestates,
)
formats = st.sampled_from(FORMATS)

Carrier = Callable[[dict[str, str]], Mapping[str, str]]


def _as_dict(headers: dict[str, str]) -> Mapping[str, str]:
    return dict(headers)


def _as_upper_dict(headers: dict[str, str]) -> Mapping[str, str]:
    return {k.upper(): v for k, v in headers.items()}


def _as_multidict(headers: dict[str, str]) -> Mapping[str, str]:
    return CIMultiDict((k.title(), v) for k, v in headers.items())


def _as_request_headers(headers: dict[str, str]) -> Mapping[str, str]:
    # What aiohttp hands the middleware: a read-only case-insensitive proxy.
    return CIMultiDictProxy(CIMultiDict(headers))


carriers = st.sampled_from([_as_dict, _as_upper_dict, _as_multidict, _as_request_headers])


def expected_after(ctx: az.TraceContext, fmt: str) -> az.TraceContext:
    """What `fmt` can carry of `ctx`: what a receiver must read back."""
    sampled = True if ctx.debug else ctx.sampled
    if fmt == az.W3C:
        # No parent id, no debug, no deferred decision; 128-bit ids only.
        trace_id = ctx.trace_id.rjust(32, "0")
        return az.TraceContext(
            trace_id, None, ctx.span_id, bool(sampled), False, False, ctx.tracestate
        )
    # A B3 single value can only hold a parent id after a sampling field.
    parent = ctx.parent_id if fmt == az.B3_MULTI or sampled is not None else None
    return ctx._replace(parent_id=parent, sampled=sampled, shared=False, tracestate=None)


def assert_well_formed(ctx: az.TraceContext | None) -> None:
    """A context read from the wire holds nothing that could smuggle bytes into logs or headers."""
    if ctx is None:
        return
    assert _STRICT_TRACE_ID.fullmatch(ctx.trace_id), ctx
    assert _STRICT_SPAN_ID.fullmatch(ctx.span_id), ctx
    assert ctx.parent_id is None or _STRICT_SPAN_ID.fullmatch(ctx.parent_id), ctx
    assert ctx.tracestate is None or _TRACESTATE_SAFE.fullmatch(ctx.tracestate), ctx
    assert ctx.shared is False


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def no_logs() -> Iterator[None]:
    """Fail if anything at all is logged inside the block (caplog does not mix with hypothesis)."""
    root = logging.getLogger()
    handler = _Records()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []


def read(headers: Mapping[str, str], prefer: str = az.B3_MULTI) -> Extracted:
    """`extract`, checked for the properties every call must have."""
    with no_logs():
        found = extract(headers, prefer=prefer)
    assert_well_formed(found.context)
    return found


# Round trips.


@PROPERTY
@given(ctx=contexts, fmt=formats, carrier=carriers)
def test_round_trip_each_format(ctx: az.TraceContext, fmt: str, carrier: Carrier) -> None:
    headers: dict[str, str] = {}
    inject(ctx, headers, [fmt])
    assert read(carrier(headers), prefer=fmt).context == expected_after(ctx, fmt)


@PROPERTY
@given(ctx=contexts, carrier=carriers)
def test_round_trip_all_formats_at_once(ctx: az.TraceContext, carrier: Carrier) -> None:
    headers: dict[str, str] = {}
    inject(ctx, headers, FORMATS)
    # The single B3 header wins by default; W3C when preferred.
    assert read(carrier(headers)).context == expected_after(ctx, az.B3_SINGLE)
    assert read(carrier(headers), prefer=az.W3C).context == expected_after(ctx, az.W3C)


@PROPERTY
@given(ctx=contexts)
@example(ctx=az.TraceContext(TRACE, PARENT, SPAN, True, False, False, "congo=t61rcWkgMzE"))
def test_round_trip_message_headers(ctx: az.TraceContext) -> None:
    carrier: dict[str, str] = {}
    az.inject_message(ctx, carrier)
    sampled = True if ctx.debug else ctx.sampled
    assert az.extract_message(carrier) == ctx._replace(
        parent_id=None, sampled=sampled, shared=False
    )


@PROPERTY
@given(value=st.sampled_from(["0", "1", "d"]), carrier=carriers)
def test_sampling_state_alone(value: str, carrier: Carrier) -> None:
    found = read(carrier({"b3": value}))
    assert found == Extracted(None, value != "0", value == "d")


# Arbitrary and hostile input.

header_names = st.sampled_from([*CONTEXT_HEADERS, "x-b3-flags", "traceparent", "tracestate"])
any_text = st.text(max_size=300) | st.text(st.characters(codec="ascii"), max_size=100)
hostile_insertions = st.sampled_from(
    [
        "\r\n",
        "\r\nX-Evil: 1",
        "\n",
        "\r",
        "\x00",
        "\t",
        " ",
        "\u2028",
        "\x85",
        "é",
        "\u0130",  # dotted capital I: lower() makes two characters of it
        "\u212a",  # Kelvin sign: lower() makes an ASCII "k" of it
        "\udcff",  # an undecodable byte as aiohttp hands it over (surrogateescape)
        "\uff41",  # a full-width "a"
        "%0d%0a",
    ]
)


@PROPERTY
@given(headers=st.dictionaries(header_names, any_text, max_size=8), carrier=carriers)
def test_arbitrary_text_never_raises(headers: dict[str, str], carrier: Carrier) -> None:
    read(carrier(headers))
    read(carrier(headers), prefer=az.W3C)


@PROPERTY
@given(
    headers=st.dictionaries(
        st.text(max_size=20) | st.binary(max_size=5) | st.integers(),
        st.text(max_size=20) | st.binary(max_size=5) | st.none() | st.integers(),
        max_size=5,
    )
)
def test_carrier_of_wrong_types_carries_nothing(headers: dict[Any, Any]) -> None:
    # Message headers come from brokers and user code: keys and values are not always str.
    found = read(headers)
    assert found.context is None or all(isinstance(v, str) for v in headers.values())


def valid_headers(ctx: az.TraceContext) -> list[dict[str, str]]:
    """The context as each format writes it, header names lower-cased."""
    out = []
    for fmt in FORMATS:
        headers: dict[str, str] = {}
        inject(ctx, headers, [fmt])
        out.append({k.lower(): v for k, v in headers.items()})
    return out


@PROPERTY
@given(ctx=contexts, data=st.data(), insertion=hostile_insertions, carrier=carriers)
def test_hostile_character_anywhere_discards_the_context(
    ctx: az.TraceContext, data: st.DataObject, insertion: str, carrier: Carrier
) -> None:
    for headers in valid_headers(ctx):
        names = [n for n in headers if n in (*CONTEXT_HEADERS, "traceparent")]
        name = data.draw(st.sampled_from(names), label="header")
        at = data.draw(st.integers(0, len(headers[name])), label="position")
        hostile = dict(headers)
        hostile[name] = headers[name][:at] + insertion + headers[name][at:]
        assert read(carrier(hostile), prefer=az.W3C).context is None, hostile
        assert read(carrier(hostile)).context is None, hostile


@PROPERTY
@given(ctx=contexts.filter(lambda c: c.tracestate is not None), insertion=hostile_insertions)
def test_hostile_tracestate_is_dropped_alone(ctx: az.TraceContext, insertion: str) -> None:
    assert ctx.tracestate is not None
    headers = {"traceparent": ctx.make_traceparent(), "tracestate": ctx.tracestate + insertion}
    found = read(headers)
    if insertion in (" ", "%0d%0a"):
        # Printable ASCII: opaque to us, and safe to pass on.
        return
    assert found.context is not None
    assert found.context.tracestate is None


@PROPERTY
@given(ctx=contexts, extra=st.integers(17, 10_000), filler=st.sampled_from(["a", "0", "-", "é"]))
def test_oversized_values_discard_the_context(
    ctx: az.TraceContext, extra: int, filler: str
) -> None:
    # At least 17 more characters: longer than the longest valid value of every header.
    for headers in valid_headers(ctx):
        for name in headers:
            if name not in (*CONTEXT_HEADERS, "traceparent"):
                continue
            hostile = dict(headers)
            hostile[name] = headers[name] + filler * extra
            assert read(hostile).context is None, (name, hostile[name][:100])
            assert read(hostile, prefer=az.W3C).context is None, (name, hostile[name][:100])


@PROPERTY
@given(extra=st.integers(1, 10_000))
def test_oversized_future_traceparent_is_refused(extra: int) -> None:
    # A later version may append fields; an unbounded tail is still refused.
    value = f"cc-{TRACE}-{SPAN}-01-" + "x" * (512 + extra)
    assert read({"traceparent": value}).context is None


@PROPERTY
@given(ctx=contexts, carrier=carriers)
def test_every_truncation_of_b3_single(ctx: az.TraceContext, carrier: Carrier) -> None:
    value = ctx.single_header_value()
    for end in range(len(value)):
        found = read(carrier({"b3": value[:end]}))
        if found.context is not None:
            # Only a cut at a field boundary leaves a valid value: trace id, span id and
            # possibly the sampling field of the original.
            assert value[end] == "-", value[:end]
            assert found.context.trace_id == ctx.trace_id
            assert found.context.span_id == ctx.span_id
            assert found.context.parent_id is None


@PROPERTY
@given(ctx=contexts, carrier=carriers)
def test_every_truncation_of_b3_multi(ctx: az.TraceContext, carrier: Carrier) -> None:
    headers = {k.lower(): v for k, v in ctx.make_headers().items()}
    for name, value in headers.items():
        if name == "x-b3-flags":
            continue
        for end in range(len(value)):
            cut = {**headers, name: value[:end]}
            found = read(carrier(cut))
            if name == "x-b3-traceid" and end == 16 and value[:16].strip("0"):
                # A 128-bit id cut in half is a well-formed 64-bit id: nothing tells them apart.
                assert found.context is not None
                assert found.context.trace_id == value[:16]
            else:
                assert found.context is None, cut


@PROPERTY
@given(ctx=contexts, carrier=carriers)
def test_every_truncation_of_traceparent(ctx: az.TraceContext, carrier: Carrier) -> None:
    value = ctx.make_traceparent()
    for end in range(len(value)):
        assert read(carrier({"traceparent": value[:end]})).context is None, value[:end]
        assert read(carrier({"traceparent": value[:end]}), prefer=az.W3C).context is None


REPEATS = 1000


@PROPERTY
@given(ctx=contexts, junk=st.builds(str.__add__, hostile_insertions, any_text))
def test_header_repeated_1000_times(ctx: az.TraceContext, junk: str) -> None:
    for headers in valid_headers(ctx):
        for name in headers:
            if name not in (*CONTEXT_HEADERS, "traceparent"):
                continue
            good = read(CIMultiDict(headers)).context
            # The first value wins: a valid one followed by 999 copies of junk still counts...
            first_good = CIMultiDict(headers)
            first_good.extend([(name, junk)] * (REPEATS - 1))
            assert read(first_good).context == good
            # ...and junk followed by 999 valid copies does not: a new trace starts.
            first_junk = CIMultiDict((k, v) for k, v in headers.items() if k != name)
            first_junk.extend([(name, junk)] + [(name, headers[name])] * (REPEATS - 1))
            assert read(first_junk, prefer=az.W3C).context is None, (name, junk)


def test_make_context_of_hostile_headers_is_none() -> None:
    assert az.make_context({"b3": f"{TRACE}-{SPAN}-1\r\nX-Evil: 1"}) is None
    assert az.make_context({"traceparent": f"00-{TRACE}-{SPAN}-01\r\n"}) is None
    assert az.make_context(CIMultiDict([("X-B3-TraceId", "é" * 10_000)] * REPEATS)) is None


# Hostile headers through a traced aiohttp app, on the wire.

SEEN: web.AppKey[list[az.TraceContext | None]] = web.AppKey("seen", list)
ENDPOINT = az.create_endpoint("hostile", ipv4="127.0.0.1")
VALID_B3 = f"{TRACE}-{SPAN}-1-{PARENT}".encode()
VALID_TRACEPARENT = f"00-{TRACE}-{SPAN}-01".encode()

ACCEPTED_BY_AIOHTTP = [
    pytest.param([b"b3: " + VALID_B3 + "é".encode()], id="b3-utf8"),
    pytest.param([b"b3: " + VALID_B3 + b"\xff\xfe"], id="b3-undecodable-bytes"),
    pytest.param([b"b3: " + VALID_B3 + b"%0d%0aX-Evil: 1"], id="b3-encoded-crlf"),
    pytest.param([b"b3: " + VALID_B3 + "\u2028X-Evil: 1".encode()], id="b3-unicode-line-sep"),
    pytest.param([b"b3: " + VALID_B3 + b"\tX-Evil: 1"], id="b3-tab"),
    pytest.param([b"b3: " + VALID_B3 + b"a" * 8000], id="b3-oversized"),
    pytest.param([b"X-B3-TraceId: " + TRACE.encode() + b"0" * 8000], id="trace-id-oversized"),
    pytest.param(
        [b"X-B3-TraceId: " + "é".encode() + TRACE.encode(), b"X-B3-SpanId: " + SPAN.encode()],
        id="trace-id-utf8",
    ),
    pytest.param(
        [b"X-B3-TraceId: " + TRACE.encode(), b"X-B3-SpanId: \xff" + SPAN.encode()],
        id="span-id-undecodable",
    ),
    pytest.param([b"traceparent: " + VALID_TRACEPARENT + b"-x" * 3000], id="traceparent-long"),
    pytest.param([b"traceparent: " + VALID_TRACEPARENT + "é".encode()], id="traceparent-utf8"),
    pytest.param([b"b3: garbage"] + [b"b3: " + VALID_B3] * 99, id="b3-repeated-first-garbage"),
    pytest.param(
        [b"traceparent: 00-garbage"] + [b"traceparent: " + VALID_TRACEPARENT] * 99,
        id="traceparent-repeated-first-garbage",
    ),
]
# aiohttp's HTTP parser answers 400 itself; the middleware never sees these.
REFUSED_BY_AIOHTTP = [
    pytest.param([b"b3: " + VALID_B3 + b"\rX-Evil: 1"], id="bare-cr"),
    pytest.param([b"b3: " + VALID_B3 + b"\n X-Evil: 1"], id="bare-lf-folded"),
    pytest.param([b"b3: " + VALID_B3 + b"\x00"], id="nul"),
    pytest.param([b"b3: " + VALID_B3] * REPEATS, id="b3-repeated-1000"),
]


async def send_hostile(
    aiohttp_server: AiohttpServer,
    caplog: pytest.LogCaptureFixture,
    header_lines: list[bytes],
    *,
    status: int,
) -> tuple[list[az.TraceContext | None], list[az.Record]]:
    """Send `header_lines` to a traced app, logging at DEBUG, and expect `status` back.

    Returns the context the handler saw per request, and the spans recorded.
    """
    app = web.Application()
    app[SEEN] = []

    async def handler(request: web.Request) -> web.Response:
        request.app[SEEN].append(az.current_context())
        return web.Response(text="ok")

    app.router.add_get("/", handler)
    tracer = await az.create_custom(ENDPOINT)
    az.setup(app, tracer)
    server = await aiohttp_server(app)
    with caplog.at_level(logging.DEBUG):
        assert await send_raw(server, header_lines) == status
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    return app[SEEN], transport.records


async def send_raw(server: TestServer, header_lines: list[bytes]) -> int:
    """Send exactly these header bytes (aiohttp's client refuses the worst of them)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        head = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        writer.write(head + b"".join(line + b"\r\n" for line in header_lines) + b"\r\n")
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


def our_log_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.split(".")[0] == "aiozipkin"]


def assert_escaped_in_logs(caplog: pytest.LogCaptureFixture, header_lines: list[bytes]) -> None:
    """No log line, from any logger, holds a hostile value as raw text."""
    formatter = logging.Formatter()
    texts = [formatter.format(r) for r in caplog.records]
    for line in header_lines:
        raw = line.split(b": ", 1)[1].decode("utf-8", "surrogateescape")
        for text in texts:
            assert raw not in text


@pytest.mark.parametrize("header_lines", ACCEPTED_BY_AIOHTTP)
async def test_hostile_headers_start_a_new_trace_and_log_nothing(
    aiohttp_server: AiohttpServer, caplog: pytest.LogCaptureFixture, header_lines: list[bytes]
) -> None:
    (seen,), records = await send_hostile(aiohttp_server, caplog, header_lines, status=200)
    assert seen is not None
    assert seen.trace_id != TRACE
    assert seen.parent_id is None
    (span,) = (zipkin_json(r) for r in records)
    assert span["traceId"] == seen.trace_id
    assert "parentId" not in span
    assert our_log_records(caplog) == []
    # aiohttp's access log is the only other voice, and it does not quote these headers.
    assert {r.name for r in caplog.records} <= {"aiohttp.access"}
    assert_escaped_in_logs(caplog, header_lines)


@pytest.mark.parametrize("header_lines", REFUSED_BY_AIOHTTP)
async def test_headers_aiohttp_refuses_never_reach_the_tracer(
    aiohttp_server: AiohttpServer, caplog: pytest.LogCaptureFixture, header_lines: list[bytes]
) -> None:
    seen, records = await send_hostile(aiohttp_server, caplog, header_lines, status=400)
    assert seen == []
    assert records == []
    assert our_log_records(caplog) == []
    # aiohttp logs the refusal, with the offending bytes escaped.
    assert_escaped_in_logs(caplog, header_lines)
