"""`make up STORAGE=opensearch`: the order trace is stored in OpenSearch, read through the query
instance, and is still there, span for span, after `make down` and `make up` again; and under
`make load`, a collector killed with SIGKILL halfway loses no span of any request.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.chaos import Figures
from tests.e2e.helpers import Bookshop, place_order, wait_full_order_trace, zipkin_trace
from tests.integration.helpers import by_id, opensearch_span_count, read_until_whole
from tests.servers import ROOT
from tests.stack import PORT_NAMES, run_stack, stack_up
from tests.support.kafka import group_members
from tests.support.polling import eventually
from tests.support.ports import free_ports

# Five JVMs start at once on a machine that may be busy.
_UP_TIMEOUT = 900.0


@pytest.fixture(scope="module")
def durable_env() -> Iterator[dict[str, str]]:
    """The environment of a STORAGE=opensearch stack on free ports; its data removed at the end.

    Its run folder is under the system's temporary folder: OpenSearch runs as an unprivileged
    uid when the tests run as root, and cannot enter pytest's private folder.
    """
    run_dir = Path(tempfile.mkdtemp(prefix="durable-stack-"))
    run_dir.chmod(0o755)
    ports = dict(zip(PORT_NAMES, (str(p) for p in free_ports(len(PORT_NAMES))), strict=True))
    env = {
        **os.environ,
        **ports,
        "RUN_DIR": str(run_dir),
        "STACK_MODE": "local",
        "STORAGE": "opensearch",
        "STACK_UP_TIMEOUT": str(int(_UP_TIMEOUT) - 60),
    }
    try:
        yield env
    finally:
        run_stack("down", env=env, timeout=120)
        shutil.rmtree(run_dir, ignore_errors=True)


def _bookshop(env: dict[str, str]) -> Bookshop:
    return Bookshop(
        frontend=f"http://127.0.0.1:{env['FRONTEND_PORT']}",
        zipkin=f"http://127.0.0.1:{env['ZIPKIN_PORT']}",
        jaeger=f"http://127.0.0.1:{env['JAEGER_QUERY_PORT']}",
        env=env,
    )


async def test_the_order_trace_is_stored_and_survives_down_and_up(
    durable_env: dict[str, str], http: aiohttp.ClientSession
) -> None:
    summary = stack_up(durable_env, _UP_TIMEOUT)
    shop = _bookshop(durable_env)
    servers = (
        "kafka",
        "opensearch",
        "zipkin",
        "zipkin_collector_1",
        "zipkin_collector_2",
        "jaeger",
    )
    for server in servers:
        assert re.search(rf"^  {server} +\d+ MB  \d+ s$", summary, re.MULTILINE), summary
    assert "zipkin-dependencies" in summary, summary
    rows = (line.split() for line in shop.status().splitlines())
    states = {row[0]: row[1] for row in rows if len(row) > 1}
    for process in ("opensearch", "zipkin_collector_1", "zipkin_collector_2", "zipkin"):
        assert states.get(process) == "RUNNING", states

    # A first order creates the day's span index; until it is searchable Zipkin answers 500.
    status_code, body, _ = await place_order(shop, http, book_id=2)
    assert status_code == 202, body
    opensearch = f"http://127.0.0.1:{durable_env['OPENSEARCH_PORT']}"

    async def indexed() -> int | None:
        return await opensearch_span_count(http, opensearch, str(body["trace_id"])) or None

    await eventually(indexed, what="the first order's spans in OpenSearch", timeout=180)

    trace_id, spans = await wait_full_order_trace(shop, http, book_id=1)
    stopped = run_stack("down", env=durable_env, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert (Path(durable_env["RUN_DIR"]) / "opensearch").is_dir()

    stack_up(durable_env, _UP_TIMEOUT)
    again = await zipkin_trace(shop, http, trace_id)
    assert by_id(again) == by_id(spans)


# `make load` at 50 requests a second for 20 s; the kill comes when half of them have ended.
_LOAD_ARGS = "--rate=50 --duration=20 --seed=15 --no-progress"
_REQUESTS = 1000
_COLLECTORS_GROUP = "zipkin"  # stack.sh's KAFKA_GROUP_ID for zipkin_collector_1 and _2
# After the load: the worker's backlog, and the survivor's catch-up on the killed one's partition.
_SETTLE_TIMEOUT = 240.0


async def _run_make_load(env: dict[str, str], trace_log: Path, halfway: Callable[[], None]) -> str:
    """`make load` with a trace log; `halfway()` once half the requests have ended."""
    load_env = {**env, "LOAD_ARGS": f"{_LOAD_ARGS} --trace-log={trace_log}"}
    process = await asyncio.create_subprocess_exec(
        "make",
        "-s",
        "load",
        cwd=ROOT,
        env=load_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    output = asyncio.ensure_future(process.communicate())
    try:

        def half_done() -> bool:
            if output.done():
                return True
            return trace_log.exists() and trace_log.read_text().count("\n") >= _REQUESTS // 2

        await eventually(half_done, what="half of the load's requests", timeout=120, interval=0.1)
        if not output.done():
            halfway()
        out, _ = await asyncio.wait_for(output, timeout=120)
    except BaseException:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)  # make and the load generator it started
        raise
    text = out.decode()
    assert process.returncode == 0, f"make load exited {process.returncode}:\n{text}"
    return text


async def _rebalance(kafka: str, since: float, before: set[str]) -> tuple[float, list[int]]:
    """Seconds from `since` until the collectors' group is stable without a member it had
    (`before`), and its assignment then: the broker drops a killed member after its 6 s
    session timeout. The restarted collector may have joined by then, as a new member."""
    while True:
        members = await group_members(kafka, _COLLECTORS_GROUP)
        if members is not None and not before <= members.keys():
            return time.monotonic() - since, sorted(members.values())
        await asyncio.sleep(0.25)


async def test_a_collector_killed_under_make_load_loses_no_span(
    durable_env: dict[str, str],
    http: aiohttp.ClientSession,
    tmp_path: Path,
    chaos_figures: Callable[[str], Figures],
) -> None:
    stack_up(durable_env, _UP_TIMEOUT)
    shop = _bookshop(durable_env)
    kafka = f"127.0.0.1:{durable_env['KAFKA_PORT']}"

    async def one_partition_each() -> dict[str, int] | None:
        # Topic zipkin has two partitions: the collector about to be killed reads one of them.
        # The members seen with that assignment are the ones the kill is checked against.
        members = await group_members(kafka, _COLLECTORS_GROUP)
        return members if members and sorted(members.values()) == [1, 1] else None

    before = await eventually(one_partition_each, what="one partition per collector", timeout=120)
    # The pipeline works end to end, and the day's span index exists, before the load starts.
    await wait_full_order_trace(shop, http, book_id=3)

    figures = chaos_figures("collector SIGKILL under make load (STORAGE=opensearch)")
    killed: list[int] = []
    watching: list[asyncio.Task[tuple[float, list[int]]]] = []
    trace_log = tmp_path / "load.jsonl"

    def kill() -> None:
        killed.append(shop.kill("zipkin_collector_1"))
        watching.append(asyncio.create_task(_rebalance(kafka, time.monotonic(), set(before))))

    summary = await _run_make_load(durable_env, trace_log, kill)
    assert watching, summary
    figures.down_seconds, assignment = await asyncio.wait_for(watching[0], timeout=90)
    figures.note = (
        f"zipkin_collector_1 (pid {killed[0]}) killed after {_REQUESTS // 2} requests; "
        f"partitions per member after the rebalance: {assignment}"
    )

    samples: list[dict[str, Any]] = [
        json.loads(line) for line in trace_log.read_text().splitlines()
    ]
    figures.requests = len(samples)
    figures.failed = sum(not s["ok"] for s in samples)
    # The log is in the order requests ended: the first half ended before the kill.
    latencies = [float(s["latency_ms"]) / 1000 for s in samples]
    figures.baseline = max(latencies[: _REQUESTS // 2], default=0.0)
    figures.slowest = max(latencies[_REQUESTS // 2 :], default=0.0)
    assert len(samples) == _REQUESTS, summary
    assert figures.failed == 0, [s for s in samples if not s["ok"]][:10]
    expected: dict[str, int] = {s["trace_id"]: s["spans"] for s in samples}
    assert len(expected) == _REQUESTS, "trace ids repeat"
    assert all(isinstance(n, int) for n in expected.values()), samples[:10]

    stored = await read_until_whole(
        http,
        shop.zipkin,
        expected,
        lambda trace_id, keys: len(set(keys)) >= expected[trace_id],
        timeout=_SETTLE_TIMEOUT,
        interval=2,
    )
    figures.traces = len(expected)
    figures.spans_expected = sum(expected.values())
    figures.spans_arrived = sum(min(len(set(stored[t])), n) for t, n in expected.items())
    figures.spans_duplicated = sum(len(keys) - len(set(keys)) for keys in stored.values())
    wrong = {t: (n, len(set(stored[t]))) for t, n in expected.items() if len(set(stored[t])) != n}
    assert figures.spans_lost == 0, f"{figures.line()}; trace: (expected, stored) {wrong}"
    assert not wrong, f"traces with more spans than the load expected: {wrong}"
