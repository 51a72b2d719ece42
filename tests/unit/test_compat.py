"""Code written against aiozipkin 1.1.1 runs unchanged: its module paths, arguments and shapes.

The tests are written the way a 1.1.1 user wrote them. Warnings are errors (pyproject), so a
name that warns where it must not fails here; the promised DeprecationWarnings are checked.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
import warnings
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from tests.support.names import HTTP_TAG_CONSTANTS, KIND_CONSTANTS

HERE = __file__
TRACE = "6f9a20b5092fa5e144fd15cc31141cd4"
SPAN = "41baf1be2fb9bfc5"

# What 1.1.1 users import, and from where. None of it may warn.
OLD_PATHS = {
    "aiozipkin.helpers": [
        *KIND_CONSTANTS,
        "DEBUG_MARKER",
        "DELIMITER",
        "FLAGS_HEADER",
        "PARENT_ID_HEADER",
        "SAMPLED_ID_HEADER",
        "SINGLE_HEADER",
        "SPAN_ID_HEADER",
        "TRACE_ID_HEADER",
        "Endpoint",
        "TraceContext",
        "create_endpoint",
        "make_context",
    ],
    "aiozipkin.utils": [
        "generate_random_64bit_string",
        "generate_random_128bit_string",
        "signed_int_to_unsigned_hex",
        "unsigned_hex_to_signed_int",
    ],
    "aiozipkin.mypy_types": ["Headers", "OptBool", "OptInt", "OptLoop", "OptStr", "OptTs"],
    "aiozipkin.constants": [
        "CLIENT_ADDR",
        "ERROR",
        *HTTP_TAG_CONSTANTS,
        "LOCAL_COMPONENT",
        "MESSAGE_ADDR",
        "SERVER_ADDR",
    ],
    "aiozipkin.transport": ["StubTransport", "Transport", "TransportABC"],
    "aiozipkin.tracer": ["Tracer", "create", "create_custom"],
    "aiozipkin.span": ["NoopSpan", "Span", "SpanAbc"],
    "aiozipkin.sampler": ["Sampler", "SamplerABC"],
    "aiozipkin.record": ["Record"],
    "aiozipkin.aiohttp_helpers": [
        "APP_AIOZIPKIN_KEY",
        "REQUEST_AIOZIPKIN_KEY",
        "get_tracer",
        "make_trace_config",
        "middleware_maker",
        "request_span",
        "setup",
    ],
}

# Internal in 1.1.1: still there, with a warning that names the replacement.
DEPRECATED = {
    "make_headers": "TraceContext.make_headers()",
    "make_single_header": "TraceContext.make_single_header()",
    "parse_sampled_header": "aiozipkin.extract(headers)",
    "parse_debug_header": "aiozipkin.extract(headers)",
    "make_timestamp": "time.time_ns() // 1000",
    "filter_none": "a dict comprehension",
}


@pytest.mark.parametrize("module", sorted(OLD_PATHS))
def test_old_module_paths_export_their_names_without_warning(module: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mod = importlib.import_module(module)
        for name in OLD_PATHS[module]:
            assert getattr(mod, name) is not None, f"{module}.{name}"
        assert set(OLD_PATHS[module]) <= set(mod.__all__)


def test_old_paths_are_the_same_objects_as_the_package() -> None:
    from aiozipkin.helpers import (
        CLIENT,
        CONSUMER,
        PRODUCER,
        SERVER,
        Endpoint,
        TraceContext,
        create_endpoint,
        make_context,
    )
    from aiozipkin.sampler import Sampler
    from aiozipkin.tracer import Tracer

    assert (TraceContext, Endpoint, create_endpoint, make_context) == (
        az.TraceContext,
        az.Endpoint,
        az.create_endpoint,
        az.make_context,
    )
    assert (CLIENT, SERVER, PRODUCER, CONSUMER) == (az.CLIENT, az.SERVER, az.PRODUCER, az.CONSUMER)
    assert (Sampler, Tracer) == (az.Sampler, az.Tracer)


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_internal_helpers_warn_naming_their_replacement(name: str) -> None:
    helpers = importlib.import_module("aiozipkin.helpers")
    with pytest.warns(DeprecationWarning, match=f"aiozipkin.helpers.{name}.*use") as caught:
        getattr(helpers, name)
    assert DEPRECATED[name] in str(caught[0].message)
    assert caught[0].filename == HERE


def test_unknown_helper_is_an_attribute_error() -> None:
    helpers = importlib.import_module("aiozipkin.helpers")
    with pytest.raises(AttributeError, match="no_such_name"):
        helpers.no_such_name  # noqa: B018


def test_header_constants() -> None:
    from aiozipkin.helpers import (
        DEBUG_MARKER,
        DELIMITER,
        FLAGS_HEADER,
        PARENT_ID_HEADER,
        SAMPLED_ID_HEADER,
        SINGLE_HEADER,
        SPAN_ID_HEADER,
        TRACE_ID_HEADER,
    )

    assert (TRACE_ID_HEADER, SPAN_ID_HEADER, PARENT_ID_HEADER) == (
        "X-B3-TraceId",
        "X-B3-SpanId",
        "X-B3-ParentSpanId",
    )
    assert (FLAGS_HEADER, SAMPLED_ID_HEADER, SINGLE_HEADER) == ("X-B3-Flags", "X-B3-Sampled", "b3")
    assert (DELIMITER, DEBUG_MARKER) == ("-", "d")
    from aiozipkin.constants import CLIENT_ADDR, LOCAL_COMPONENT, MESSAGE_ADDR, SERVER_ADDR

    assert (LOCAL_COMPONENT, CLIENT_ADDR, SERVER_ADDR, MESSAGE_ADDR) == ("lc", "ca", "sa", "ma")


def test_deprecated_helpers_still_work() -> None:
    context = az.TraceContext(
        trace_id=TRACE, parent_id=None, span_id=SPAN, sampled=True, debug=False, shared=False
    )
    with pytest.deprecated_call():
        from aiozipkin.helpers import (
            filter_none,
            make_headers,
            make_single_header,
            make_timestamp,
            parse_debug_header,
            parse_sampled_header,
        )
    assert make_headers(context) == {
        "X-B3-TraceId": TRACE,
        "X-B3-SpanId": SPAN,
        "X-B3-Sampled": "1",
    }
    assert make_single_header(context) == {"b3": f"{TRACE}-{SPAN}-1"}
    assert parse_sampled_header({"x-b3-sampled": "0"}) is False
    assert parse_sampled_header({"X-B3-TraceId": TRACE, "X-B3-SpanId": SPAN}) is None
    assert parse_sampled_header({"b3": f"{TRACE}-{SPAN}-1"}) is True
    assert parse_debug_header({"X-B3-Flags": "1"}) is True
    assert parse_debug_header({}) is False
    assert make_timestamp(1.5) == 1_500_000
    before = time.time_ns() // 1000
    assert before <= make_timestamp() <= time.time_ns() // 1000
    data = {"a": None, "b": 1, "kind": None}
    assert filter_none(data) == {"b": 1}
    assert filter_none(data, ["kind"]) == {"a": None, "b": 1}


def test_utils() -> None:
    from aiozipkin.utils import (
        generate_random_64bit_string,
        generate_random_128bit_string,
        signed_int_to_unsigned_hex,
        unsigned_hex_to_signed_int,
    )

    assert len(generate_random_64bit_string()) == 16
    assert len(generate_random_128bit_string()) == 32
    assert unsigned_hex_to_signed_int("17133d482ba4f605") == 1662740067609015813
    assert unsigned_hex_to_signed_int("b6dbb1c2b362bf51") == -5270423489115668655
    assert signed_int_to_unsigned_hex(1662740067609015813) == "17133d482ba4f605"
    assert signed_int_to_unsigned_hex(-5270423489115668655) == "b6dbb1c2b362bf51"
    assert signed_int_to_unsigned_hex(unsigned_hex_to_signed_int("ffffffffffffffff")) == (
        "ffffffffffffffff"
    )


def test_mypy_types_are_the_old_aliases() -> None:
    from aiozipkin import mypy_types

    assert mypy_types.OptLoop == asyncio.AbstractEventLoop | None
    assert mypy_types.OptStr == str | None


# --- loop= -------------------------------------------------------------------------------------


async def test_create_accepts_loop_with_a_deprecation_warning() -> None:
    loop = asyncio.get_running_loop()
    endpoint = az.create_endpoint("simple_service", ipv4="127.0.0.1", port=8080)
    with pytest.warns(DeprecationWarning, match="loop argument is deprecated and ignored") as w:
        tracer = await az.create(
            "http://127.0.0.1:9/api/v2/spans", endpoint, sample_rate=1.0, loop=loop
        )
    assert w[0].filename == HERE
    assert isinstance(tracer, az.Tracer)
    await tracer.close()


async def test_create_custom_accepts_loop_with_a_deprecation_warning() -> None:
    loop = asyncio.get_running_loop()
    with pytest.warns(DeprecationWarning, match="create_custom.*loop") as w:
        tracer = await az.create_custom(az.create_endpoint("svc"), loop=loop)
    assert w[0].filename == HERE
    await tracer.close()


async def test_transport_accepts_loop_positionally_and_by_name() -> None:
    from aiozipkin.transport import Transport

    loop = asyncio.get_running_loop()
    with pytest.warns(DeprecationWarning, match="Transport.*loop") as w:
        positional = Transport("http://127.0.0.1:9/api/v2/spans", 5, loop)
    assert w[0].filename == HERE
    with pytest.warns(DeprecationWarning, match="loop"):
        named = Transport("http://127.0.0.1:9/api/v2/spans", send_interval=5, loop=loop)
    await positional.close()
    await named.close()


async def test_no_loop_no_warning() -> None:
    # pyproject makes warnings errors: this fails if loop=None warned.
    tracer = await az.create("http://127.0.0.1:9/api/v2/spans", az.create_endpoint("svc"))
    await tracer.close()


# --- Record.asdict() ---------------------------------------------------------------------------


class FakeTransport(az.TransportABC):
    """The collecting transport a 1.1.1 test suite writes."""

    def __init__(self) -> None:
        self.records: list[az.Record] = []

    def send(self, record: az.Record) -> None:
        self.records.append(record)

    async def close(self) -> None:
        pass


def _tracer(transport: az.TransportABC) -> az.Tracer:
    from aiozipkin.helpers import create_endpoint
    from aiozipkin.sampler import Sampler
    from aiozipkin.tracer import Tracer

    endpoint = create_endpoint("test_service", ipv4="127.0.0.1", port=8080)
    return Tracer(transport, Sampler(sample_rate=1.0), endpoint)


def test_asdict_has_every_1_1_1_key() -> None:
    from aiozipkin.helpers import TraceContext

    transport = FakeTransport()
    tracer = _tracer(transport)
    context = TraceContext(
        trace_id=TRACE, parent_id=None, span_id=SPAN, sampled=True, debug=False, shared=False
    )
    span = tracer.to_span(context)
    span.start(ts=10.0)
    span.finish(ts=11.0)
    (record,) = transport.records
    # Every key with its value, in 1.1.1's order.
    assert list(record.asdict().items()) == [
        ("traceId", TRACE),
        ("name", "unknown"),
        ("parentId", None),
        ("id", SPAN),
        ("timestamp", 10_000_000),
        ("duration", 1_000_000),
        ("debug", False),
        ("shared", False),
        ("localEndpoint", {"serviceName": "test_service", "ipv4": "127.0.0.1", "port": 8080}),
        ("remoteEndpoint", None),
        ("annotations", []),
        ("tags", {}),
    ]


def test_asdict_of_a_full_span() -> None:
    from aiozipkin.helpers import CLIENT, TraceContext

    transport = FakeTransport()
    tracer = _tracer(transport)
    context = TraceContext(TRACE, "a" * 16, SPAN, True, True, True)
    with tracer.to_span(context) as span:
        span.name("get /x").kind(CLIENT).tag("k", 1).annotate("sent", ts=1.0)
        span.remote_endpoint("db", ipv4="10.0.0.2", port="5432")
    out = transport.records[0].asdict()
    assert out["parentId"] == "a" * 16
    assert out["kind"] == "CLIENT"
    assert list(out).index("kind") == list(out).index("id") + 1
    assert (out["debug"], out["shared"]) == (True, True)
    assert out["remoteEndpoint"] == {"serviceName": "db", "ipv4": "10.0.0.2", "port": 5432}
    assert out["annotations"] == [{"value": "sent", "timestamp": 1_000_000}]
    assert out["tags"] == {"k": "1"}
    # A copy: changing it leaves the record alone.
    out["tags"]["k"] = "2"
    out["annotations"].clear()
    assert transport.records[0].asdict()["tags"] == {"k": "1"}
    assert transport.records[0].asdict()["annotations"] != []
    json.dumps(out)


# --- an aiohttp application as 1.1.1 users write it --------------------------------------------


async def handler(request: web.Request) -> web.Response:
    span = az.request_span(request)
    with span.tracer.new_child(span.context) as child:
        child.name("db query").kind(az.CLIENT)
        child.remote_endpoint("db", ipv4="db.legacy.internal", port="5432")
    return web.Response(text="ok")


async def test_1_1_1_application(aiohttp_client: AiohttpClient) -> None:
    from aiozipkin.aiohttp_helpers import setup
    from aiozipkin.helpers import create_endpoint
    from aiozipkin.tracer import create_custom
    from aiozipkin.transport import StubTransport

    transport = StubTransport()
    endpoint = create_endpoint("aiohttp_server", ipv4="localhost", port="9001")
    tracer = await create_custom(endpoint, transport=transport)
    app = web.Application()
    app.router.add_get("/", handler)
    setup(app, tracer)
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert resp.status == 200
    child, server = (r.asdict() for r in transport.records)
    assert server["localEndpoint"] == {
        "serviceName": "aiohttp_server",
        "ipv4": "127.0.0.1",
        "port": 9001,
    }
    assert server["kind"] == "SERVER"
    assert child["parentId"] == server["id"]
    assert child["remoteEndpoint"] == {"serviceName": "db", "port": 5432}


@web.middleware
async def real_ip(request: web.Request, handler: Any) -> web.StreamResponse:
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        request = request.clone(remote=forwarded.split(",")[0].strip())
    response: web.StreamResponse = await handler(request)
    return response


async def test_request_clone_remote_behind_a_proxy(aiohttp_client: AiohttpClient) -> None:
    endpoint = az.create_endpoint("aiohttp_server", ipv4="127.0.0.1", port=9001)
    tracer = await az.create_custom(endpoint)
    app = web.Application(middlewares=[real_ip])
    app.router.add_get("/", handler)
    az.setup(app, tracer)
    client = await aiohttp_client(app)
    resp = await client.get("/", headers={"X-Forwarded-For": "198.51.100.4, 10.0.0.1"})
    assert resp.status == 200
    transport = tracer.transport
    assert isinstance(transport, az.StubTransport)
    server = transport.records[-1].asdict()
    assert server["kind"] == "SERVER"
    assert server["remoteEndpoint"] == {"ipv4": "198.51.100.4"}
