"""One trace across OpenTelemetry peers and us, over HTTP, in B3 multi, B3 single and W3C.

The chain is: OpenTelemetry-instrumented aiohttp client -> our traced aiohttp service ->
(our client TraceConfig) -> OpenTelemetry-instrumented aiohttp server, all on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from pytest_aiohttp import AiohttpServer
from yarl import URL

import aiozipkin as az
from aiozipkin.testing import zipkin_json
from tests.interop.peers import (
    FORMATS,
    Format,
    OtelPeer,
    global_textmap,
    hex_span_id,
    hex_trace_id,
    start_otel_server,
)

ENDPOINT = az.create_endpoint("ours", ipv4="127.0.0.1")
DOWNSTREAM: web.AppKey[URL] = web.AppKey("downstream", URL)
SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session", aiohttp.ClientSession)
TRACESTATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"


@pytest.fixture(params=[pytest.param(f, id=f.ours) for f in FORMATS])
def wire(request: pytest.FixtureRequest) -> Iterator[Format]:
    """The format under test, installed as OpenTelemetry's global propagator for the test."""
    fmt: Format = request.param
    with global_textmap(fmt.otel()):
        yield fmt


@pytest.fixture
def otel_peers() -> Iterator[list[OtelPeer]]:
    """Every OpenTelemetry peer the test made, shut down afterwards."""
    peers: list[OtelPeer] = []
    yield peers
    for peer in peers:
        peer.provider.shutdown()


def new_peer(peers: list[OtelPeer], *, root_sampled: bool) -> OtelPeer:
    """A peer that honours a propagated decision, and starts traces only if `root_sampled`."""
    peer = OtelPeer.create(ParentBased(ALWAYS_ON if root_sampled else ALWAYS_OFF))
    peers.append(peer)
    return peer


def our_tracer(fmt: Format, *, sample_rate: float, trace_id_128bit: bool = True) -> az.Tracer:
    return az.Tracer(
        az.StubTransport(),
        az.Sampler(sample_rate=sample_rate),
        ENDPOINT,
        inject_formats=[fmt.ours],
        trace_id_128bit=trace_id_128bit,
    )


def our_records(tracer: az.Tracer) -> dict[str, dict[str, Any]]:
    """Our finished spans by kind (at most one of each kind per test)."""
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    by_kind: dict[str, dict[str, Any]] = {}
    for record in transport.records:
        span = zipkin_json(record)
        assert span["kind"] not in by_kind, transport.records
        by_kind[span["kind"]] = span
    return by_kind


async def start_our_service(
    aiohttp_server: AiohttpServer, tracer: az.Tracer, downstream: URL
) -> TestServer:
    """Our service: `GET /call` calls `downstream` and answers what both sides saw."""
    app = web.Application()
    app[DOWNSTREAM] = downstream
    az.setup(app, tracer)

    async def client_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(trace_configs=[az.make_trace_config(tracer)]) as session:
            app[SESSION] = session
            yield

    app.cleanup_ctx.append(client_session)

    async def call(request: web.Request) -> web.Response:
        async with request.app[SESSION].get(request.app[DOWNSTREAM]) as resp:
            resp.raise_for_status()
            downstream: dict[str, Any] = await resp.json()
        context = az.current_context()
        assert context is not None
        ours = {"trace_id": context.trace_id, "sampled": context.sampled}
        return web.json_response({"ours": ours, "downstream": downstream})

    app.router.add_get("/call", call)
    return await aiohttp_server(app)


async def start_chain(
    aiohttp_server: AiohttpServer, tracer: az.Tracer, otel_server: OtelPeer
) -> URL:
    """Start `otel_server`'s service and ours (with `tracer`) in front of it; our `/call` URL."""
    downstream = await start_otel_server(aiohttp_server, otel_server)
    ours = await start_our_service(aiohttp_server, tracer, downstream.make_url("/otel"))
    return ours.make_url("/call")


async def call(url: URL, client: OtelPeer | None = None) -> dict[str, Any]:
    """GET `url` through an OpenTelemetry-instrumented `client`, or a plain one; the answer."""
    trace_configs = [] if client is None else [create_trace_config(tracer_provider=client.provider)]
    async with (
        aiohttp.ClientSession(trace_configs=trace_configs) as session,
        session.get(url) as resp,
    ):
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return body


async def call_against_the_client(
    wire: Format,
    otel_peers: list[OtelPeer],
    aiohttp_server: AiohttpServer,
    *,
    client_samples: bool,
) -> tuple[OtelPeer, az.Tracer, OtelPeer, dict[str, Any]]:
    """OpenTelemetry client -> us -> OpenTelemetry server, where we and that server would
    decide a new trace the other way than the client: what each side records shows whether
    the client's decision was carried. Returns the client, our tracer, the server, the answer.
    """
    otel_client = new_peer(otel_peers, root_sampled=client_samples)
    otel_server = new_peer(otel_peers, root_sampled=not client_samples)
    tracer = our_tracer(wire, sample_rate=0.0 if client_samples else 1.0)
    url = await start_chain(aiohttp_server, tracer, otel_server)
    body = await call(url, otel_client)
    return otel_client, tracer, otel_server, body


async def call_us_against_the_server(
    wire: Format,
    otel_peers: list[OtelPeer],
    aiohttp_server: AiohttpServer,
    *,
    we_sample: bool,
    trace_id_128bit: bool = True,
) -> tuple[az.Tracer, OtelPeer, dict[str, Any]]:
    """A plain client -> us (starting the trace) -> an OpenTelemetry server that would decide a
    new trace the other way than we do. Returns our tracer, the server, and the answer."""
    otel_server = new_peer(otel_peers, root_sampled=not we_sample)
    tracer = our_tracer(
        wire, sample_rate=1.0 if we_sample else 0.0, trace_id_128bit=trace_id_128bit
    )
    url = await start_chain(aiohttp_server, tracer, otel_server)
    body = await call(url)
    return tracer, otel_server, body


def only(spans: tuple[ReadableSpan, ...]) -> ReadableSpan:
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def ids(span: ReadableSpan) -> tuple[str, str]:
    context = span.context
    assert context is not None
    return hex_trace_id(context.trace_id), hex_span_id(context.span_id)


def parent_ids(span: ReadableSpan) -> tuple[str, str]:
    parent = span.parent
    assert parent is not None, f"{span.name} has no parent"
    assert parent.is_remote
    return hex_trace_id(parent.trace_id), hex_span_id(parent.span_id)


async def test_one_trace_from_otel_client_through_us_to_otel_server(
    wire: Format, otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    # Our sampler and the downstream server deny every new trace, so each span below exists
    # only because the client's accept was carried through every hop.
    otel_client, tracer, otel_server, body = await call_against_the_client(
        wire, otel_peers, aiohttp_server, client_samples=True
    )

    client_span = only(otel_client.spans())
    assert client_span.kind is trace.SpanKind.CLIENT
    trace_id, client_span_id = ids(client_span)
    spans = our_records(tracer)
    assert set(spans) == {"SERVER", "CLIENT"}
    our_server, our_client = spans["SERVER"], spans["CLIENT"]
    server_span = only(otel_server.spans())
    assert server_span.kind is trace.SpanKind.SERVER

    assert our_server["traceId"] == trace_id
    assert our_server["parentId"] == client_span_id
    assert our_client["traceId"] == trace_id
    assert our_client["parentId"] == our_server["id"]
    assert parent_ids(server_span) == (trace_id, our_client["id"])
    assert ids(server_span)[0] == trace_id
    assert body["ours"] == {"trace_id": trace_id, "sampled": True}
    assert body["downstream"]["sampled"] is True
    # We wrote only the configured format, so the server read that one.
    assert set(body["downstream"]["headers"]) == _headers_of(wire)


def _headers_of(fmt: Format) -> set[str]:
    if fmt.ours == az.B3_MULTI:
        return {"x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled"}
    if fmt.ours == az.B3_SINGLE:
        return {"b3"}
    return {"traceparent"}


async def test_otel_deny_records_nothing_on_our_side(
    wire: Format, otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    # We and the downstream server would accept any new trace, so a span on either side
    # would mean the client's deny was lost or ignored.
    otel_client, tracer, otel_server, body = await call_against_the_client(
        wire, otel_peers, aiohttp_server, client_samples=False
    )

    assert otel_client.spans() == ()
    assert our_records(tracer) == {}
    assert otel_server.spans() == ()
    # The deny arrived with its ids and went on downstream: one (unrecorded) trace throughout.
    assert body["ours"]["sampled"] is False
    assert body["downstream"]["trace_id"] == body["ours"]["trace_id"]
    assert body["downstream"]["sampled"] is False


async def test_our_deny_records_nothing_on_otel_server(
    wire: Format, otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    tracer, otel_server, body = await call_us_against_the_server(
        wire, otel_peers, aiohttp_server, we_sample=False
    )

    assert our_records(tracer) == {}
    assert otel_server.spans() == ()
    assert body["ours"]["sampled"] is False
    assert body["downstream"]["trace_id"] == body["ours"]["trace_id"]
    assert body["downstream"]["sampled"] is False
    assert set(body["downstream"]["headers"]) >= _headers_of(wire) - {"x-b3-parentspanid"}


async def test_our_accept_is_honoured_by_otel_server(
    wire: Format, otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    tracer, otel_server, body = await call_us_against_the_server(
        wire, otel_peers, aiohttp_server, we_sample=True
    )

    spans = our_records(tracer)
    assert set(spans) == {"SERVER", "CLIENT"}
    assert "parentId" not in spans["SERVER"]
    server_span = only(otel_server.spans())
    trace_id = spans["SERVER"]["traceId"]
    assert parent_ids(server_span) == (trace_id, spans["CLIENT"]["id"])
    assert body["downstream"]["trace_id"] == trace_id


async def test_our_64bit_trace_id_is_the_same_trace_for_otel(
    wire: Format, otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    tracer, otel_server, _ = await call_us_against_the_server(
        wire, otel_peers, aiohttp_server, we_sample=True, trace_id_128bit=False
    )

    spans = our_records(tracer)
    trace_id = spans["SERVER"]["traceId"]
    assert len(trace_id) == 16
    # OpenTelemetry ids are 128-bit; a 64-bit B3 id is the same id, left-padded with zeros.
    assert parent_ids(only(otel_server.spans())) == ("0" * 16 + trace_id, spans["CLIENT"]["id"])


async def test_tracestate_passes_through_us_unchanged(
    otel_peers: list[OtelPeer], aiohttp_server: AiohttpServer
) -> None:
    (w3c,) = (f for f in FORMATS if f.ours == az.W3C)
    otel_client = new_peer(otel_peers, root_sampled=True)
    otel_server = new_peer(otel_peers, root_sampled=False)
    tracer = our_tracer(w3c, sample_rate=0.0)
    url = await start_chain(aiohttp_server, tracer, otel_server)
    upstream = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
        trace_state=trace.TraceState.from_header([TRACESTATE]),
    )

    with global_textmap(w3c.otel()), trace.use_span(trace.NonRecordingSpan(upstream)):
        body = await call(url, otel_client)

    client_span = only(otel_client.spans())
    assert client_span.context is not None
    assert client_span.context.trace_state.to_header() == TRACESTATE
    server_span = only(otel_server.spans())
    assert server_span.context is not None
    assert server_span.context.trace_state.to_header() == TRACESTATE
    assert body["downstream"]["headers"]["tracestate"] == TRACESTATE
    assert body["downstream"]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert our_records(tracer)["SERVER"]["traceId"] == "0af7651916cd43dd8448eb211c80319c"
