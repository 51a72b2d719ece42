"""Zipkin over OpenSearch: stored traces outlive the Zipkin process and the storage process."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.integration.helpers import (
    JsonSpan,
    RecordingTracerFactory,
    as_zipkin_stores,
    by_id,
    eventually,
    unique_service,
    zipkin_trace,
)
from tests.integration.scenarios import SCENARIOS, Scenario
from tests.servers import (
    OpenSearchServer,
    ZipkinServer,
    opensearch_data_dir,
    start_opensearch,
    start_zipkin,
)


@pytest.fixture
def opensearch_data() -> Iterator[Path]:
    """A data folder of its own for each test's OpenSearch, removed afterwards."""
    path = opensearch_data_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def opensearch(log_dir: Path, data_dir: Path) -> Iterator[OpenSearchServer]:
    process, server = start_opensearch(log_dir, data_dir)
    try:
        yield server
    finally:
        process.stop(timeout=30.0)


@contextlib.contextmanager
def zipkin_over(log_dir: Path, storage: OpenSearchServer) -> Iterator[ZipkinServer]:
    process, server = start_zipkin(log_dir, storage=storage)
    try:
        yield server
    finally:
        process.stop()


async def indexed(
    http: aiohttp.ClientSession, storage: OpenSearchServer, trace_id: str, count: int
) -> None:
    """Wait until OpenSearch can count `count` spans of the trace.

    Zipkin answers 202 before it writes, and the day's index is created by that first write:
    a search in between fails ("all shards failed") instead of finding nothing.
    """

    async def probe() -> int | None:
        url = f"{storage.url}/zipkin*span-*/_count"
        params = {"q": f"traceId:{trace_id}", "ignore_unavailable": "true"}
        async with http.get(url, params=params) as resp:
            if resp.status == 503:
                return None
            assert resp.status == 200, f"{resp.url} -> {resp.status}: {await resp.text()}"
            found = int((await resp.json())["count"])
        assert found <= count, f"{found} spans of trace {trace_id} stored, {count} sent"
        return found if found == count else None

    await eventually(probe, what=f"{count} spans of trace {trace_id} in OpenSearch")


async def assert_stored(
    http: aiohttp.ClientSession,
    storage: OpenSearchServer,
    zipkin: ZipkinServer,
    traces: dict[str, list[JsonSpan]],
) -> None:
    for trace_id, sent in traces.items():
        await indexed(http, storage, trace_id, len(sent))
        stored = await zipkin_trace(http, zipkin.url, trace_id, len(sent))
        assert by_id(stored) == sent, trace_id


async def test_traces_survive_zipkin_and_storage_restarts(
    servers_log_dir: Path,
    opensearch_data: Path,
    http: aiohttp.ClientSession,
    recording_tracer: RecordingTracerFactory,
) -> None:
    scenarios: list[Scenario] = [param.values[0] for param in SCENARIOS]  # type: ignore[misc]
    traces: dict[str, list[JsonSpan]] = {}
    with opensearch(servers_log_dir, opensearch_data) as storage:
        with zipkin_over(servers_log_dir, storage) as zipkin:
            for scenario in scenarios:
                a, sent_by_a = await recording_tracer(unique_service("a"), zipkin.spans_url)
                b, sent_by_b = await recording_tracer(
                    unique_service("b"), zipkin.spans_url, port=9090
                )
                trace_id = await scenario(a, b)
                await a.close()
                await b.close()
                traces[trace_id] = by_id(as_zipkin_stores(sent_by_a.sent + sent_by_b.sent))
            assert len(traces) == len(scenarios)
            await assert_stored(http, storage, zipkin, traces)
        # Another Zipkin process (on another port) reads what the first one wrote.
        with zipkin_over(servers_log_dir, storage) as zipkin:
            await assert_stored(http, storage, zipkin, traces)
    # The storage itself restarted over the same folder: the traces are on disk.
    with (
        opensearch(servers_log_dir, opensearch_data) as storage,
        zipkin_over(servers_log_dir, storage) as zipkin,
    ):
        await assert_stored(http, storage, zipkin, traces)
