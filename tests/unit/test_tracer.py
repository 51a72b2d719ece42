"""Tracer, spans and records through the public API, with the in-memory transport."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiozipkin as az
from aiozipkin.testing import InMemoryTransport

ENDPOINT = az.create_endpoint("svc", ipv4="127.0.0.1", port=8080)


@pytest.fixture
async def tracer(aiozipkin_spans: InMemoryTransport) -> AsyncIterator[az.Tracer]:
    """A tracer reporting into the plugin's in-memory `aiozipkin_spans`."""
    async with az.create_custom(ENDPOINT, transport=aiozipkin_spans) as tracer:
        yield tracer


async def test_create_is_awaitable_and_a_context_manager() -> None:
    tracer = await az.create("http://127.0.0.1:9/api/v2/spans", ENDPOINT, sample_rate=1.0)
    assert isinstance(tracer, az.Tracer)
    await tracer.close()
    await tracer.close()  # idempotent
    async with az.create("http://127.0.0.1:9/api/v2/spans", ENDPOINT) as tracer2:
        assert isinstance(tracer2, az.Tracer)


async def test_create_custom_defaults_to_memory_and_sample_all() -> None:
    async with az.create_custom(ENDPOINT) as tracer:
        assert isinstance(tracer.transport, az.StubTransport)
        span = tracer.new_trace()
        assert not span.is_noop


def test_bad_collector_address_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="collector address"):
        az.create("not a url", ENDPOINT)


async def test_span_record_is_zipkin_v2(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with tracer.new_trace(sampled=True) as span:
        span.name("root").kind(az.CLIENT).tag("k", 1).annotate("evt", ts=1.5)
        span.remote_endpoint("peer", ipv4="10.0.0.1", port=99)
    (record,) = aiozipkin_spans.asdicts()
    assert record["traceId"] == span.context.trace_id
    assert len(record["traceId"]) == 32
    assert record["id"] == span.context.span_id
    assert "parentId" not in record
    assert record["name"] == "root"
    assert record["kind"] == "CLIENT"
    assert record["tags"] == {"k": "1"}
    assert record["annotations"] == [{"timestamp": 1_500_000, "value": "evt"}]
    assert record["localEndpoint"] == {"serviceName": "svc", "ipv4": "127.0.0.1", "port": 8080}
    assert record["remoteEndpoint"] == {"serviceName": "peer", "ipv4": "10.0.0.1", "port": 99}
    assert isinstance(record["timestamp"], int)
    assert record["duration"] >= 1
    assert "debug" not in record
    assert "shared" not in record
    assert None not in record.values()
    assert record["traceId"] == record["traceId"].lower()
    json.dumps(record)


async def test_minimum_duration_is_one_microsecond(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True)
    span.start(ts=10.0)
    span.finish(ts=10.0)
    (record,) = aiozipkin_spans.asdicts()
    assert record["timestamp"] == 10_000_000
    assert record["duration"] == 1


async def test_children_and_parents(tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    with tracer.new_trace(sampled=True) as root:
        with tracer.new_child(root.context) as child:
            child.name("child")
        with root.new_child("named", az.PRODUCER) as other:
            pass
    records = {r["id"]: r for r in aiozipkin_spans.asdicts()}
    assert records[child.context.span_id]["parentId"] == root.context.span_id
    assert records[other.context.span_id]["name"] == "named"
    assert records[other.context.span_id]["kind"] == "PRODUCER"
    assert records[other.context.span_id]["duration"] >= 1
    assert {r["traceId"] for r in records.values()} == {root.context.trace_id}
    assert (
        aiozipkin_spans.format_tree()
        == "- <no name> [svc]\n  - child [svc]\n  PRODUCER named [svc]"
    )


async def test_join_span_is_shared(tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    incoming = az.TraceContext("1" * 32, None, "2" * 16, None, False, False)
    with tracer.join_span(incoming) as span:
        pass
    (record,) = aiozipkin_spans.asdicts()
    assert record["shared"] is True
    assert record["id"] == "2" * 16
    assert span.context.sampled is True


async def test_debug_trace(tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    with tracer.new_trace(debug=True) as span, tracer.new_child(span.context):
        pass
    assert [r.get("debug") for r in aiozipkin_spans.asdicts()] == [True, True]


async def test_exception_becomes_error_tag(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with pytest.raises(ValueError, match="boom"), tracer.new_trace(sampled=True):
        raise ValueError("boom")
    with pytest.raises(KeyError), tracer.new_trace(sampled=True):
        raise KeyError()
    records = aiozipkin_spans.asdicts()
    assert records[0]["tags"] == {"error": "boom"}
    assert records[1]["tags"] == {"error": "KeyError"}


async def test_ignored_exceptions_are_not_errors(aiozipkin_spans: InMemoryTransport) -> None:
    async with az.create_custom(
        ENDPOINT, transport=aiozipkin_spans, ignored_exceptions=[LookupError]
    ) as tracer:
        with pytest.raises(KeyError), tracer.new_trace(sampled=True):
            raise KeyError("x")
        assert "tags" not in aiozipkin_spans.asdicts()[0]


async def test_span_reported_once(tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    span = tracer.new_trace(sampled=True)
    span.start()
    span.finish()
    span.finish()
    span.finish(exception=RuntimeError("late"))
    assert len(aiozipkin_spans.asdicts()) == 1


async def test_finished_span_ignores_late_changes(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True)
    span.name("before").start()
    span.finish()
    span.name("after").kind(az.CLIENT).tag("late", "x").annotate("late")
    (record,) = aiozipkin_spans.asdicts()
    assert record["name"] == "before"
    assert "kind" not in record
    assert "tags" not in record
    assert "annotations" not in record


async def test_close_reports_undelivered_spans() -> None:
    tracer = await az.create("http://127.0.0.1:9/api/v2/spans", ENDPOINT, sample_rate=1.0)
    with tracer.new_trace():
        pass
    assert await tracer.close(timeout=0.2) == 1
    assert await tracer.close() == 0


async def test_unsampled_spans_are_noop(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with tracer.new_trace(sampled=False) as span:
        assert span.is_noop
        assert isinstance(span, az.NoopSpan)
        span.name("x").tag("a", "b").annotate("c").kind(az.SERVER).remote_endpoint("p")
        child = tracer.new_child(span.context)
        assert child.is_noop
        assert child.context.sampled is False
        assert child.context.parent_id == span.context.span_id
    assert aiozipkin_spans.asdicts() == []


async def test_sampler_decides_deferred_contexts() -> None:
    async with az.create_custom(ENDPOINT, sampler=az.Sampler(sample_rate=0.0)) as tracer:
        assert tracer.new_trace().is_noop
        deferred = az.TraceContext("1" * 32, None, "2" * 16, None, False, False)
        assert tracer.new_child(deferred).is_noop
        assert not tracer.new_trace(sampled=True).is_noop
        accepted = deferred._replace(sampled=True)
        assert not tracer.new_child(accepted).is_noop


async def test_unfinished_span_is_not_retained(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True)
    span.start()
    ref = weakref.ref(span)
    del span
    gc.collect()
    assert ref() is None
    assert aiozipkin_spans.asdicts() == []


async def test_span_limits_truncate_visibly(aiozipkin_spans: InMemoryTransport) -> None:
    limits = az.SpanLimits(max_tag_value_length=5, max_annotations=2, max_tags=3)
    async with az.create_custom(ENDPOINT, transport=aiozipkin_spans, limits=limits) as tracer:
        with tracer.new_trace(sampled=True) as span:
            span.tag("big", "x" * 1000)
            span.tag("b", "1").tag("c", "2").tag("d", "3")
            for i in range(5):
                span.annotate(str(i))
        (record,) = aiozipkin_spans.asdicts()
    assert record["tags"]["big"] == "xxxxx"
    assert "d" not in record["tags"]
    assert len(record["annotations"]) == 2
    assert record["tags"]["aiozipkin.truncated"] == "5"


@pytest.mark.parametrize(
    ("tags", "expected", "truncated"),
    [
        pytest.param({"a": "1", "b": "2"}, {"a": "1", "b": "2"}, None, id="within-limits"),
        pytest.param({"a": "x" * 9}, {"a": "xxxxx"}, "1", id="long-value"),
        pytest.param({"a": 7, "b": "2"}, {"a": "7", "b": "2"}, None, id="not-a-string"),
        pytest.param({"a": 123456, "b": "2"}, {"a": "12345", "b": "2"}, "1", id="long-number"),
        pytest.param(
            {"a": "1", "b": "2", "c": "3", "d": "4"},
            {"a": "1", "b": "2", "c": "3"},
            "1",
            id="too-many",
        ),
    ],
)
async def test_begin_sets_everything_within_the_limits(
    aiozipkin_spans: InMemoryTransport,
    tags: dict[str, str],
    expected: dict[str, str],
    truncated: str | None,
) -> None:
    limits = az.SpanLimits(max_tag_value_length=5, max_tags=3)
    remote = az.create_endpoint("peer", ipv4="10.0.0.1", port=80)
    async with az.create_custom(ENDPOINT, transport=aiozipkin_spans, limits=limits) as tracer:
        span = tracer.new_trace(sampled=True)
        assert span.begin(az.CLIENT, "GET /", tags, remote) is span
        tags["late"] = "x"  # the span keeps its own copy
        span.finish()
        (record,) = aiozipkin_spans.asdicts()
    assert record["kind"] == "CLIENT"
    assert record["name"] == "GET /"
    assert record["remoteEndpoint"] == remote.asdict()
    assert record["timestamp"] > 0
    kept = dict(record["tags"])
    assert kept.pop("aiozipkin.truncated", None) == truncated
    assert kept == expected  # the tag added after begin() is not there either


async def test_begin_adds_to_tags_set_before_and_leaves_a_finished_span_alone(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True).tag("early", "1")
    span.begin(az.SERVER, "GET /", {"a": "2", "early": "3"})
    span.finish()
    span.begin(az.CLIENT, "late", {"late": "4"})
    (record,) = aiozipkin_spans.asdicts()
    assert (record["kind"], record["name"]) == ("SERVER", "GET /")
    assert record["tags"] == {"early": "3", "a": "2"}


@pytest.mark.parametrize(
    ("fields", "name", "tags"),
    [
        pytest.param(
            {"route": "/books/{id}", "path": "/books/7"},
            "GET /books/{id}",
            {"http.method": "GET", "http.route": "/books/{id}", "http.path": "/books/7"},
            id="server",
        ),
        pytest.param(
            {"url": "http://shop/books/7"},
            "GET",
            {"http.method": "GET", "http.url": "http://shop/books/7"},
            id="client-without-route",
        ),
        pytest.param(
            {"route": "", "path": "/"}, "GET", {"http.method": "GET", "http.path": "/"}, id="empty"
        ),
    ],
)
async def test_begin_http_names_and_tags_the_span(
    tracer: az.Tracer,
    aiozipkin_spans: InMemoryTransport,
    fields: dict[str, str],
    name: str,
    tags: dict[str, str],
) -> None:
    remote = az.create_endpoint(None, ipv4="10.0.0.1", port=80)
    span = tracer.new_trace(sampled=True)
    assert span.begin_http(az.SERVER, "GET", remote=remote, **fields) is span
    span.finish()
    (record,) = aiozipkin_spans.asdicts()
    assert (record["kind"], record["name"]) == ("SERVER", name)
    assert record["tags"] == tags
    assert record["remoteEndpoint"] == remote.asdict()
    assert record["timestamp"] > 0


@pytest.mark.parametrize(
    ("limits", "expected", "cuts"),
    [
        pytest.param(
            az.SpanLimits(max_tag_value_length=5),
            {"http.method": "GET", "http.route": "/a/{x", "http.path": "/a/12"},
            "2",
            id="long-values",
        ),
        pytest.param(
            az.SpanLimits(max_tags=2),
            {"http.method": "GET", "http.route": "/a/{x}"},
            "1",
            id="too-many",
        ),
    ],
)
async def test_begin_http_cuts_what_is_over_the_limits(
    aiozipkin_spans: InMemoryTransport,
    limits: az.SpanLimits,
    expected: dict[str, str],
    cuts: str,
) -> None:
    async with az.create_custom(ENDPOINT, transport=aiozipkin_spans, limits=limits) as tracer:
        span = tracer.new_trace(sampled=True)
        span.begin_http(az.SERVER, "GET", route="/a/{x}", path="/a/123456").finish()
        (record,) = aiozipkin_spans.asdicts()
    kept = dict(record["tags"])
    assert kept.pop("aiozipkin.truncated") == cuts
    assert kept == expected
    assert record["name"] == "GET /a/{x}"


async def test_begin_http_after_finish_changes_nothing(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True).begin_http(az.SERVER, "GET", path="/")
    span.finish()
    span.begin_http(az.CLIENT, "POST", path="/other")
    (record,) = aiozipkin_spans.asdicts()
    assert (record["kind"], record["name"], record["tags"]) == (
        "SERVER",
        "GET",
        {"http.method": "GET", "http.path": "/"},
    )


@pytest.mark.parametrize(
    ("status", "reason", "exception", "error"),
    [
        pytest.param(200, None, None, None, id="ok"),
        pytest.param(503, "Service Unavailable", None, "Service Unavailable", id="5xx-reason"),
        pytest.param(500, None, None, "500", id="5xx-status"),
        pytest.param(500, None, RuntimeError("boom"), "boom", id="exception"),
        pytest.param(None, None, KeyError("k"), "'k'", id="no-status"),
    ],
)
async def test_finish_http_tags_status_and_error(
    tracer: az.Tracer,
    aiozipkin_spans: InMemoryTransport,
    status: int | None,
    reason: str | None,
    exception: BaseException | None,
    error: str | None,
) -> None:
    tracer.new_trace(sampled=True).start().finish_http(status, reason, exception)
    (record,) = aiozipkin_spans.asdicts()
    tags = record.get("tags", {})
    assert tags.get("http.status_code") == (None if status is None else str(status))
    assert tags.get("error") == error


async def test_finish_http_keeps_an_error_set_by_the_handler(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=True).start()
    span.tag("error", "out of stock").finish_http(503, "Service Unavailable")
    (record,) = aiozipkin_spans.asdicts()
    assert record["tags"]["error"] == "out of stock"


async def test_noop_span_begin_and_finish_http_record_nothing(
    tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    span = tracer.new_trace(sampled=False)
    assert span.begin(az.SERVER, "GET /", {"a": "1"}).finish_http(500) is span
    assert span.begin_http(az.SERVER, "GET", route="/", path="/").finish_http(500) is span
    assert aiozipkin_spans.asdicts() == []


_HTTP_CASES = [
    pytest.param({}, {}, (200,), id="plain"),
    pytest.param({}, {"route": "", "path": ""}, (200,), id="empty"),
    pytest.param({}, {"url": "http://shop/books/7"}, (503, "Busy"), id="client-5xx"),
    pytest.param({"max_tag_value_length": 3}, {"path": "/books"}, (200,), id="long-path"),
    pytest.param({"max_tag_value_length": 8}, {"url": "http://shop/"}, (200,), id="long-url"),
    # Each value fits, the name "GET /a/{x}" does not: the span stores them all the same.
    pytest.param({"max_tag_value_length": 6}, {"route": "/a/{x}"}, (200,), id="long-name"),
    pytest.param({"max_tag_value_length": 2}, {"route": "/"}, (404,), id="long-status"),
    pytest.param({"max_tags": 3}, {"route": "/", "path": "/"}, (500,), id="tags-full"),
    pytest.param({}, {"route": "/", "path": "/"}, (500, None, KeyError("k")), id="exception"),
    pytest.param({}, {"tagged": True}, (500,), id="tagged-first"),
    pytest.param({}, {"finished": True}, (500,), id="finished-first"),
]


def _begin_http_through_begin(
    span: az.SpanAbc,
    kind: str,
    method: str,
    *,
    route: str | None = None,
    path: str | None = None,
    url: str | None = None,
    remote: az.Endpoint | None = None,
) -> None:
    """What `begin_http` means, said with `begin`."""
    given = {"http.route": route or None, "http.path": path, "http.url": url}
    tags = {"http.method": method} | {
        key: value for key, value in given.items() if value is not None
    }
    span.begin(kind, f"{method} {route}" if route else method, tags, remote)


@pytest.mark.parametrize(("limits", "begin", "finish"), _HTTP_CASES)
async def test_span_begin_http_records_what_begin_does(
    limits: dict[str, int], begin: dict[str, Any], finish: tuple[Any, ...]
) -> None:
    # Span stores begin_http's tags in one frame; through begin() and tag() they must make
    # the same span.
    remote = az.create_endpoint(None, ipv4="10.0.0.1", port=80)
    fields = dict(begin)  # the parameter's own dict stays as collected
    tagged = fields.pop("tagged", False)
    finished = fields.pop("finished", False)
    records = []
    for begin_http in (az.Span.begin_http, _begin_http_through_begin):
        transport = InMemoryTransport()
        limit = az.SpanLimits(**limits)
        async with az.create_custom(ENDPOINT, transport=transport, limits=limit) as tracer:
            span = tracer.new_trace(sampled=True)
            assert isinstance(span, az.Span)
            if tagged:
                span.tag("error", "out of stock")
            if finished:
                span.finish()
            begin_http(span, az.SERVER, "GET", remote=remote, **fields)
            span.finish_http(*finish)
        (record,) = transport.asdicts()
        records.append({key: record.get(key) for key in ("kind", "name", "tags")})
        assert record.get("remoteEndpoint") == (None if finished else remote.asdict())
    assert records[0] == records[1]
    assert records[0]["kind"] == (None if finished else "SERVER")


def test_bad_limits_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="max_tags"):
        az.SpanLimits(max_tags=0)


async def test_current_context_follows_with_blocks(tracer: az.Tracer) -> None:
    assert az.current_context() is None
    with tracer.new_trace(sampled=True) as root:
        assert az.current_context() == root.context
        with tracer.new_child(root.context) as child:
            assert az.current_span() is child
        assert az.current_context() == root.context
    assert az.current_context() is None


class BrokenTransport(az.TransportABC):
    def send(self, record: az.Record) -> None:
        raise RuntimeError("transport bug")

    async def close(self) -> None:
        pass


async def test_broken_transport_never_breaks_the_app(caplog: pytest.LogCaptureFixture) -> None:
    async with az.create_custom(ENDPOINT, transport=BrokenTransport()) as tracer:
        with tracer.new_trace(sampled=True):
            pass
        assert tracer.stats()["report_errors"] == 1
    assert "transport.send failed" in caplog.text


class ListTransport(az.TransportABC):
    """A custom transport written only against the documented interface."""

    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []
        self.closed = False

    def send(self, record: az.Record) -> None:
        self.data.append(record.asdict())

    async def close(self) -> None:
        self.closed = True


async def test_custom_transport_receives_asdict_records() -> None:
    transport = ListTransport()
    tracer = await az.create_custom(ENDPOINT, transport, az.Sampler(sample_rate=1.0))
    with tracer.new_trace() as span:
        span.name("custom")
    await tracer.close()
    assert transport.closed
    assert [d["name"] for d in transport.data] == ["custom"]


async def test_contexts_carry_their_fields_by_name(tracer: az.Tracer) -> None:
    # The tracer builds contexts positionally, past the NamedTuple constructor.
    root = tracer.new_trace(sampled=True, debug=True).context
    assert root._asdict() == {
        "trace_id": root.trace_id,
        "parent_id": None,
        "span_id": root.span_id,
        "sampled": True,
        "debug": True,
        "shared": False,
        "tracestate": None,
    }
    child = tracer.new_child(root._replace(tracestate="k=v")).context
    expected = {**root._asdict(), "parent_id": root.span_id, "span_id": child.span_id}
    assert child._asdict() == {**expected, "tracestate": "k=v"}
    assert len(root.trace_id) == 32
    assert len(child.span_id) == 16
    assert child.span_id != root.span_id


def test_trace_context_is_a_documented_tuple() -> None:
    context = az.TraceContext("1" * 32, None, "2" * 16, True, False, False)
    assert context.trace_id == "1" * 32
    assert context._replace(shared=True).shared


def test_create_is_a_coroutine_for_asyncio_run() -> None:
    tracer = asyncio.run(az.create("http://127.0.0.1:9/api/v2/spans", ENDPOINT))
    assert isinstance(tracer, az.Tracer)
    custom = asyncio.run(az.create_custom(ENDPOINT))
    assert isinstance(custom, az.Tracer)


async def test_create_as_a_task() -> None:
    tracer = await asyncio.create_task(az.create_custom(ENDPOINT))
    assert isinstance(tracer, az.Tracer)
    await tracer.close()


_CALLER = "e457b5a2e4d86bd1"
_CALLER_B3 = {"b3": f"80f198ee56343ba864fe8b2a57d3eff7-{_CALLER}-1"}


async def test_span_from_headers_makes_a_child_of_the_callers_span() -> None:
    tracer = az.Tracer(az.StubTransport(), az.Sampler(sample_rate=0.0), az.create_endpoint("t"))
    context = tracer.span_from_headers(_CALLER_B3).context
    assert context.trace_id == "80f198ee56343ba864fe8b2a57d3eff7"
    assert (context.parent_id, context.sampled, context.shared) == (_CALLER, True, False)
    assert context.span_id != _CALLER


async def test_span_from_headers_with_join_shares_the_callers_span() -> None:
    tracer = az.Tracer(az.StubTransport(), az.Sampler(sample_rate=0.0), az.create_endpoint("t"))
    context = tracer.span_from_headers(_CALLER_B3, join=True).context
    assert (context.span_id, context.sampled, context.shared) == (_CALLER, True, True)


@pytest.mark.parametrize(("headers", "sampled"), [({"b3": "0"}, False), ({"b3": "bad"}, None)])
async def test_span_from_headers_without_a_context_starts_a_trace(
    headers: dict[str, str], sampled: bool | None
) -> None:
    tracer = az.Tracer(az.StubTransport(), az.Sampler(sample_rate=1.0), az.create_endpoint("t"))
    context = tracer.span_from_headers(headers).context
    assert context.parent_id is None
    assert context.sampled is (sampled if sampled is not None else True)
