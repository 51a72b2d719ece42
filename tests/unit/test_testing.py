"""aiozipkin.testing and its pytest plugin: span queries, structure assertions, waiting."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

import aiozipkin as az
from aiozipkin.testing import (
    InMemoryTransport,
    SpanNode,
    assert_child_of,
    assert_same_trace,
    describe,
    zipkin_json,
)


async def backend_tracer(spans: InMemoryTransport) -> az.Tracer:
    return await az.create_custom(az.create_endpoint("backend"), transport=spans)


def test_module_exports() -> None:
    import aiozipkin.pytest_plugin
    import aiozipkin.testing

    assert aiozipkin.testing.__all__ == [
        "InMemoryTransport",
        "SpanCriteria",
        "SpanNode",
        "assert_child_of",
        "assert_same_trace",
        "describe",
        "zipkin_json",
    ]
    assert aiozipkin.pytest_plugin.__all__ == [
        "aiozipkin_endpoint",
        "aiozipkin_spans",
        "aiozipkin_tracer",
    ]
    assert "testing" not in az.__all__


def test_fixture_tracer_samples_everything_into_the_spans_fixture(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    assert aiozipkin_tracer.transport is aiozipkin_spans
    assert isinstance(aiozipkin_spans, az.StubTransport)
    assert aiozipkin_tracer.local_endpoint == az.create_endpoint("test")
    for _ in range(50):
        with aiozipkin_tracer.new_trace() as span:  # the sampler decides
            assert not span.is_noop
    assert len(aiozipkin_spans.records) == 50
    assert aiozipkin_spans.asdicts()[0]["localEndpoint"] == {"serviceName": "test"}


async def test_find_by_name_kind_service_trace_and_tags(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    backend = await backend_tracer(aiozipkin_spans)
    with aiozipkin_tracer.new_trace() as root:
        root.name("GET /books").kind(az.SERVER).tag(az.HTTP_STATUS_CODE, 200)
        with root.new_child("GET /books", az.CLIENT) as call, backend.new_child(call.context) as h:
            h.name("GET /books").kind(az.SERVER).tag(az.HTTP_STATUS_CODE, 404)
    with aiozipkin_tracer.new_trace() as other:
        other.name("tick")

    spans = aiozipkin_spans
    assert len(spans.find()) == 4
    assert [describe(r) for r in spans.find("GET /books")] == [
        describe(r) for r in spans.records[:3]
    ]
    assert [r.id for r in spans.find(kind=az.SERVER)] == [h.context.span_id, root.context.span_id]
    assert [r.id for r in spans.find(service="backend")] == [h.context.span_id]
    assert [r.id for r in spans.find("GET /books", kind=az.SERVER, service="test")] == [
        root.context.span_id
    ]
    assert [r.id for r in spans.find(tags={az.HTTP_STATUS_CODE: "404"})] == [h.context.span_id]
    assert spans.find(tags={az.HTTP_STATUS_CODE: "500"}) == []
    assert spans.find(tags={"missing": "x"}) == []
    assert [r.name for r in spans.find(trace_id=other.context.trace_id)] == ["tick"]
    assert spans.find("nope") == []
    assert spans.find(kind=az.PRODUCER) == []
    assert spans.find(service="frontend") == []


def test_get_returns_the_single_match(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as span:
        span.name("only").kind(az.CLIENT)
    record = aiozipkin_spans.get("only", kind=az.CLIENT, service="test")
    assert record.id == span.context.span_id
    assert record is aiozipkin_spans.records[0]


def test_get_explains_a_missing_span(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with pytest.raises(AssertionError) as excinfo:
        aiozipkin_spans.get("GET /")
    assert str(excinfo.value) == (
        "expected exactly one span matching name='GET /', found 0\nno spans were recorded"
    )
    with aiozipkin_tracer.new_trace() as span:
        span.name("GET /health").kind(az.SERVER)
    with pytest.raises(AssertionError) as excinfo:
        aiozipkin_spans.get("GET /", kind=az.SERVER, tags={"a": "b"})
    assert str(excinfo.value) == (
        "expected exactly one span matching name='GET /', kind='SERVER', tags={'a': 'b'}, "
        "found 0\nrecorded spans:\nSERVER GET /health [test]"
    )


def test_get_rejects_several_matches(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    for _ in range(2):
        with aiozipkin_tracer.new_trace() as span:
            span.name("dup")
    with pytest.raises(AssertionError, match=r"^expected exactly one span matching name='dup'"):
        aiozipkin_spans.get("dup")
    with pytest.raises(AssertionError, match="matching anything, found 2"):
        aiozipkin_spans.get()


def test_queries_reject_an_unknown_criterion(aiozipkin_spans: InMemoryTransport) -> None:
    with pytest.raises(TypeError, match="unknown span criteria: knd"):
        aiozipkin_spans.find(knd=az.SERVER)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown span criteria: servce"):
        aiozipkin_spans.get("x", servce="backend")  # type: ignore[call-arg]


def test_a_failed_query_names_its_criteria_in_a_fixed_order(
    aiozipkin_spans: InMemoryTransport,
) -> None:
    with pytest.raises(
        AssertionError,
        match=r"^expected exactly one span matching name='a', kind='SERVER', service='s', found 0",
    ):
        aiozipkin_spans.get("a", service="s", kind=az.SERVER)


def test_names_asdicts_and_clear(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as root:
        root.name("root")
        with root.new_child("child"):
            pass
        with root.new_child():
            pass
    assert aiozipkin_spans.names() == ["child", None, "root"]
    dicts = aiozipkin_spans.asdicts()
    assert [d.get("name") for d in dicts] == ["child", None, "root"]
    assert dicts[0]["parentId"] == root.context.span_id
    assert dicts == [zipkin_json(r) for r in aiozipkin_spans.records]
    aiozipkin_spans.clear()
    assert aiozipkin_spans.records == []
    assert aiozipkin_spans.names() == []
    assert aiozipkin_spans.format_tree() == ""


async def test_tree_of_two_services(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    backend = await backend_tracer(aiozipkin_spans)
    with aiozipkin_tracer.new_trace() as root:
        root.name("GET /order").kind(az.SERVER)
        with root.new_child("cache lookup"):
            pass
        with root.new_child("POST /orders", az.CLIENT) as call:
            with backend.new_child(call.context) as handler:
                handler.name("POST /orders").kind(az.SERVER)
                with handler.new_child("INSERT", az.CLIENT):
                    pass
            with backend.new_trace() as unrelated:
                unrelated.name("unrelated")

    assert aiozipkin_spans.format_tree(root.context.trace_id) == textwrap.dedent(
        """\
        SERVER GET /order [test]
          - cache lookup [test]
          CLIENT POST /orders [test]
            SERVER POST /orders [backend]
              CLIENT INSERT [backend]"""
    )
    (tree,) = aiozipkin_spans.roots(root.context.trace_id)
    assert isinstance(tree, SpanNode)
    assert tree.record.id == root.context.span_id
    assert [n.record.name for n in tree.walk()] == [
        "GET /order",
        "cache lookup",
        "POST /orders",
        "POST /orders",
        "INSERT",
    ]
    server = aiozipkin_spans.get("POST /orders", kind=az.SERVER)
    client = aiozipkin_spans.get("POST /orders", kind=az.CLIENT)
    assert [r.name for r in aiozipkin_spans.children(tree.record)] == [
        "cache lookup",
        "POST /orders",
    ]
    assert aiozipkin_spans.children(client) == [server]
    assert aiozipkin_spans.children(aiozipkin_spans.get("INSERT")) == []
    # Without a trace id: every trace, ordered by start time.
    assert [n.record.name for n in aiozipkin_spans.roots()] == ["GET /order", "unrelated"]
    assert aiozipkin_spans.format_tree().endswith("\n- unrelated [backend]")


def test_span_with_an_unrecorded_parent_is_a_root(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    incoming = az.TraceContext("1" * 32, None, "2" * 16, True, False, False)
    with aiozipkin_tracer.new_child(incoming) as span:
        span.name("from outside")
        with span.new_child("inner"):
            pass
    (root,) = aiozipkin_spans.roots()
    assert root.record.parent_id == "2" * 16
    assert [n.record.name for n in root.walk()] == ["from outside", "inner"]


async def test_joined_span_hangs_under_its_client_half(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    backend = await backend_tracer(aiozipkin_spans)
    with aiozipkin_tracer.new_trace() as root:
        root.name("root")
        with root.new_child("call", az.CLIENT) as call, backend.join_span(call.context) as server:
            server.name("handle").kind(az.SERVER)
            with server.new_child("query"):
                pass
    client_half = aiozipkin_spans.get("call")
    server_half = aiozipkin_spans.get("handle")
    assert server_half.id == client_half.id
    assert server_half.shared
    assert_child_of(server_half, client_half)
    assert_child_of(aiozipkin_spans.get("query"), server_half)
    assert aiozipkin_spans.format_tree() == textwrap.dedent(
        """\
        - root [test]
          CLIENT call [test]
            SERVER handle [backend]
              - query [backend]"""
    )
    assert "shared" in describe(server_half)
    # Collectors see spans in any order: the tree must not depend on it.
    reversed_order = InMemoryTransport()
    for record in reversed(aiozipkin_spans.records):
        reversed_order.send(record)
    assert reversed_order.format_tree() == aiozipkin_spans.format_tree()
    with pytest.raises(AssertionError, match="is not a child of"):
        assert_child_of(client_half, server_half)


def test_assert_child_of_accepts_a_direct_child(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with (
        aiozipkin_tracer.new_trace() as root,
        root.new_child("child") as child,
        child.new_child("grandchild"),
    ):
        pass
    parent = aiozipkin_spans.records[-1]
    assert parent.id == root.context.span_id
    assert_child_of(aiozipkin_spans.get("child"), parent)
    assert_child_of(aiozipkin_spans.get("grandchild"), aiozipkin_spans.get("child"))
    with pytest.raises(AssertionError) as excinfo:
        assert_child_of(aiozipkin_spans.get("grandchild"), parent)
    assert str(excinfo.value) == (
        f"{describe(aiozipkin_spans.get('grandchild'))} is not a child of {describe(parent)}: "
        f"its parent id is {child.context.span_id}, not {root.context.span_id}"
    )


def test_assert_child_of_explains_a_root(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as root, root.new_child("child"):
        pass
    child = aiozipkin_spans.get("child")
    parent = aiozipkin_spans.records[-1]
    with pytest.raises(AssertionError, match=r"is not a child of .*: it is a root span"):
        assert_child_of(parent, child)
    with pytest.raises(AssertionError, match="is not a child of"):
        assert_child_of(child, child)


def test_assert_child_of_explains_different_traces(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as first:
        first.name("first").kind(az.CLIENT)
    with aiozipkin_tracer.new_trace() as second:
        second.name("second").kind(az.SERVER)
    a, b = aiozipkin_spans.records
    with pytest.raises(AssertionError) as excinfo:
        assert_child_of(b, a)
    assert str(excinfo.value) == (
        f"SERVER 'second' service='test' id={second.context.span_id} is not a child of "
        f"CLIENT 'first' service='test' id={first.context.span_id}: different traces "
        f"({second.context.trace_id} and {first.context.trace_id})"
    )


def test_assert_same_trace(aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    with aiozipkin_tracer.new_trace() as root, root.new_child("child"):
        pass
    with aiozipkin_tracer.new_trace() as other:
        other.name("other")
    child, parent, stray = aiozipkin_spans.records
    assert_same_trace(child, parent)
    assert_same_trace(child)
    assert_same_trace()
    with pytest.raises(AssertionError) as excinfo:
        assert_same_trace(child, parent, stray)
    message = str(excinfo.value)
    assert message.startswith("spans belong to 2 different traces:\n")
    assert f"trace {other.context.trace_id}: - 'other' service='test'" in message
    assert message.count(f"trace {root.context.trace_id}:") == 2


def test_describe(aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport) -> None:
    with aiozipkin_tracer.new_trace() as root, root.new_child() as child:
        pass
    child_record, root_record = aiozipkin_spans.records
    assert describe(child_record) == (
        f"- <no name> service='test' id={child.context.span_id} parent={root.context.span_id}"
    )
    assert describe(root_record) == f"- <no name> service='test' id={root.context.span_id}"
    with aiozipkin_tracer.new_trace() as named:
        named.name("GET /").kind(az.SERVER)
    assert describe(aiozipkin_spans.records[-1]) == (
        f"SERVER 'GET /' service='test' id={named.context.span_id}"
    )


async def test_wait_for_spans_finished_by_another_task(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    async def consumer() -> None:
        for _ in range(5):
            await asyncio.sleep(0)  # let the waiter poll first
        for _ in range(2):
            with aiozipkin_tracer.new_trace() as span:
                span.name("consume").kind(az.CONSUMER)

    task = asyncio.create_task(consumer())
    assert aiozipkin_spans.records == []
    found = await aiozipkin_spans.wait_for_spans(count=2, kind=az.CONSUMER, timeout=5)
    assert [r.name for r in found] == ["consume", "consume"]
    await task


async def test_wait_for_spans_returns_at_once_when_already_there(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as span:
        span.name("a")
    with aiozipkin_tracer.new_trace() as span:
        span.name("b").tag("k", "v")
    assert len(await aiozipkin_spans.wait_for_spans(timeout=0)) == 2
    (found,) = await aiozipkin_spans.wait_for_spans(name="b", tags={"k": "v"}, service="test")
    assert found.name == "b"
    (by_trace,) = await aiozipkin_spans.wait_for_spans(trace_id=span.context.trace_id)
    assert by_trace is found


async def test_wait_for_spans_times_out_with_what_was_recorded(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as span:
        span.name("GET /").kind(az.SERVER)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AssertionError) as excinfo:
        await aiozipkin_spans.wait_for_spans(count=2, timeout=0.05)
    assert loop.time() - started >= 0.05
    assert str(excinfo.value) == (
        "timed out after 0.05 s waiting for 2 span(s) matching anything; 1 matched\n"
        "recorded spans:\nSERVER GET / [test]"
    )
    with pytest.raises(AssertionError, match="matching kind='CLIENT'; 0 matched"):
        await aiozipkin_spans.wait_for_spans(kind=az.CLIENT, timeout=0)


async def test_wait_for_spans_rejects_a_bad_count(aiozipkin_spans: InMemoryTransport) -> None:
    with pytest.raises(ValueError, match="count must be >= 1"):
        await aiozipkin_spans.wait_for_spans(count=0)


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def test_traced_aiohttp_app_with_the_fixtures(
    aiohttp_client: AiohttpClient,
    aiozipkin_tracer: az.Tracer,
    aiozipkin_spans: InMemoryTransport,
) -> None:
    app = web.Application()
    app.router.add_get("/hello/{name}", hello)
    az.setup(app, await backend_tracer(aiozipkin_spans))
    client = await aiohttp_client(app)
    trace_config = az.make_trace_config(aiozipkin_tracer)
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        with aiozipkin_tracer.new_trace() as root:
            root.name("test")
            async with session.get(client.make_url("/hello/x")) as resp:
                assert await resp.text() == "hello"
    (server,) = await aiozipkin_spans.wait_for_spans(kind=az.SERVER, service="backend")
    assert server.name == "GET /hello/{name}"
    assert_child_of(server, aiozipkin_spans.get(kind=az.CLIENT, service="test"))
    assert_child_of(aiozipkin_spans.get(kind=az.CLIENT), aiozipkin_spans.get("test"))


PLUGIN_CONFTEST = 'pytest_plugins = ["aiozipkin.pytest_plugin"]\n'

PLUGIN_TEST = """\
import pytest

import aiozipkin as az


@pytest.fixture
def aiozipkin_endpoint():
    return az.create_endpoint("orders")


def test_sync(aiozipkin_tracer, aiozipkin_spans):
    with aiozipkin_tracer.new_trace() as span:
        span.name("sync")
    assert aiozipkin_spans.get("sync", service="orders")


@pytest.mark.asyncio
async def test_async(aiozipkin_tracer, aiozipkin_spans):
    with aiozipkin_tracer.new_trace() as span:
        span.name("async")
    assert (await aiozipkin_spans.wait_for_spans(name="async"))[0].name == "async"
"""

PLUGIN_INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def test_plugin_loads_in_a_strict_project(tmp_path: Path) -> None:
    # Loaded by the entry point and named again in pytest_plugins: registered once, and no
    # assertion-rewrite warning (an error under filterwarnings = error).
    (tmp_path / "pytest.ini").write_text(PLUGIN_INI)
    (tmp_path / "conftest.py").write_text(PLUGIN_CONFTEST)
    (tmp_path / "test_uses_plugin.py").write_text(PLUGIN_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
