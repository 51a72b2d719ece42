"""The examples shipped with the sources (examples/) run against the installed package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from _support import SPANS
from aiohttp.test_utils import TestClient, TestServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py by its path, so that no source folder joins sys.path."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None, name
    assert spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_basic_usage(collector: TestServer) -> None:
    trace_id = await load_example("basic_usage").run(str(collector.make_url("/api/v2/spans")))
    spans = collector.app[SPANS]
    assert {s["name"] for s in spans} == {"root_span", "nested_span_1", "nested_span_2"}
    assert {s["traceId"] for s in spans} == {trace_id}


async def test_aiohttp_example(collector: TestServer) -> None:
    example = load_example("aiohttp_example")
    app = await example.make_app(
        "127.0.0.1", 9001, zipkin_address=str(collector.make_url("/api/v2/spans"))
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        assert "was traced" in await (await client.get("/")).text()
        assert "NOT traced" in await (await client.get("/status")).text()
    finally:
        await client.close()  # the app's cleanup closes the tracer, which flushes
    assert sorted(s["name"] for s in collector.app[SPANS]) == ["GET /", "mysql:select"]
