"""`make up STORAGE=opensearch`: the order trace is stored in OpenSearch, read through the query
instance, and is still there, span for span, after `make down` and `make up` again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.helpers import Bookshop, place_order, wait_full_order_trace, zipkin_trace
from tests.integration.helpers import by_id, opensearch_span_count
from tests.stack import PORT_NAMES, run_stack
from tests.support.polling import eventually
from tests.support.ports import free_ports

# Five JVMs start at once on a machine that may be busy.
_UP_TIMEOUT = 900.0


def _up(env: dict[str, str]) -> str:
    try:
        started = run_stack("up", env=env, timeout=_UP_TIMEOUT)
    except subprocess.TimeoutExpired:
        run_stack("down", env=env, timeout=120)
        pytest.fail(f"stack.sh up (STORAGE=opensearch) did not return in {_UP_TIMEOUT:.0f} s")
    if started.returncode != 0:
        run_stack("down", env=env, timeout=120)
        pytest.fail(
            f"the durable stack did not start (exit {started.returncode}):\n{started.stderr}",
            pytrace=False,
        )
    return started.stdout + started.stderr


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
    summary = _up(durable_env)
    shop = _bookshop(durable_env)
    for server in ("opensearch", "zipkin_collector_1", "zipkin_collector_2"):
        assert f"  {server} " in summary, summary
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

    _up(durable_env)
    again = await zipkin_trace(shop, http, trace_id)
    assert by_id(again) == by_id(spans)
