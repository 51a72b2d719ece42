"""Zipkin over OpenSearch: stored traces outlive the Zipkin process and the storage process."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.integration.helpers import (
    JsonSpan,
    RecordingTracerFactory,
    as_zipkin_stores,
    by_id,
    opensearch_span_count,
    zipkin_trace,
)
from tests.integration.scenarios import SCENARIOS, Scenario, run_scenario
from tests.servers import (
    OpenSearchServer,
    ZipkinServer,
    running,
    start_opensearch,
    start_zipkin,
)
from tests.support.polling import eventually


async def indexed(
    http: aiohttp.ClientSession, storage: OpenSearchServer, trace_id: str, count: int
) -> None:
    """Wait until OpenSearch holds `count` spans of the trace, and never more."""

    async def probe() -> int | None:
        found = await opensearch_span_count(http, storage.url, trace_id)
        assert found is None or found <= count, f"{found} spans of {trace_id} stored, {count} sent"
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
    with running(start_opensearch(servers_log_dir, opensearch_data)) as storage:
        with running(start_zipkin(servers_log_dir, storage=storage)) as zipkin:
            for scenario in scenarios:
                run = await run_scenario(scenario, recording_tracer, zipkin.spans_url)
                traces[run.trace_id] = by_id(as_zipkin_stores(run.sent))
            assert len(traces) == len(scenarios)
            await assert_stored(http, storage, zipkin, traces)
        # Another Zipkin process (on another port) reads what the first one wrote.
        with running(start_zipkin(servers_log_dir, storage=storage)) as zipkin:
            await assert_stored(http, storage, zipkin, traces)
    # The storage itself restarted over the same folder: the traces are on disk.
    with (
        running(start_opensearch(servers_log_dir, opensearch_data)) as storage,
        running(start_zipkin(servers_log_dir, storage=storage)) as zipkin,
    ):
        await assert_stored(http, storage, zipkin, traces)
