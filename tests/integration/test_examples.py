"""The reference examples in lib/examples run against the real Zipkin; their traces are found."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Awaitable, Callable
from types import ModuleType

import aiohttp
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from tests.integration.helpers import POLL_INTERVAL, JsonSpan, get_json
from tests.servers import ROOT, ZipkinServer
from tests.support.polling import eventually

_EXAMPLES = ROOT / "lib" / "examples"


def _load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_example_{name}", _EXAMPLES / f"{name}.py")
    assert spec is not None, name
    assert spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _traces_since(
    http: aiohttp.ClientSession, zipkin: ZipkinServer, service: str, since_us: int, spans: int
) -> list[list[JsonSpan]]:
    """The traces of `service` started after `since_us`, once one of them has `spans` spans."""

    async def probe() -> list[list[JsonSpan]] | None:
        now_ms = time.time_ns() // 1_000_000
        traces: list[list[JsonSpan]] = await get_json(
            http,
            f"{zipkin.url}/api/v2/traces",
            serviceName=service,
            endTs=str(now_ms),
            lookback=str(now_ms - since_us // 1000 + 1000),
        )
        recent = [t for t in traces if min(span["timestamp"] for span in t) >= since_us]
        return recent if any(len(t) == spans for t in recent) else None

    return await eventually(
        probe, what=f"a {spans}-span trace of {service}", interval=POLL_INTERVAL
    )


async def test_basic_example_trace_is_found(
    zipkin: ZipkinServer, http: aiohttp.ClientSession
) -> None:
    started_us = time.time_ns() // 1000
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(_EXAMPLES / "basic_usage.py"),
        env={**os.environ, "ZIPKIN_ADDRESS": zipkin.spans_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()

    traces = await _traces_since(http, zipkin, "simple_service", started_us, spans=3)
    assert len(traces) == 1, traces
    [trace] = traces
    spans = {span["name"]: span for span in trace}
    assert sorted(spans) == ["nested_span_1", "nested_span_2", "root_span"]
    root = spans["root_span"]
    assert "parentId" not in root
    assert root["kind"] == "CLIENT"
    assert root["tags"] == {"span_type": "root"}
    assert [a["value"] for a in root["annotations"]] == ["SELECT * FROM", "start end sql"]
    for n in (1, 2):
        nested = spans[f"nested_span_{n}"]
        assert nested["parentId"] == root["id"]
        assert nested["remoteEndpoint"] == {"serviceName": f"remote_service_{n}"}
        assert nested["tags"] == {"span_type": f"inner{n}"}


async def test_aiohttp_example_traces_index_but_not_status(
    zipkin: ZipkinServer, http: aiohttp.ClientSession, aiohttp_client: AiohttpClient
) -> None:
    make_app: Callable[..., Awaitable[web.Application]] = _load_example("aiohttp_example").make_app
    started_us = time.time_ns() // 1000
    app = await make_app("127.0.0.1", 9001, zipkin_address=zipkin.spans_url)
    client = await aiohttp_client(app)

    index = await client.get("/")
    assert index.status == 200
    assert "This page was traced by aiozipkin" in await index.text()
    status = await client.get("/status")
    assert status.status == 200
    assert "NOT traced" in await status.text()
    await client.close()  # app cleanup closes the tracer, which flushes

    traces = await _traces_since(http, zipkin, "aiohttp_server", started_us, spans=2)
    assert len(traces) == 1, f"only / is traced, /status is not: {traces}"
    [trace] = traces
    server, child = sorted(trace, key=lambda span: "parentId" in span)
    assert server["kind"] == "SERVER"
    assert server["localEndpoint"] == {
        "serviceName": "aiohttp_server",
        "ipv4": "127.0.0.1",
        "port": 9001,
    }
    assert server["tags"]["http.path"] == "/"
    assert child["name"] == "mysql:select"
    assert child["parentId"] == server["id"]
