"""The test servers themselves: started, healthy, configured as we rely on, stopped for good."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from tests.integration.helpers import jaeger_trace, unique_service, zipkin_trace
from tests.servers import (
    JaegerServer,
    ServerError,
    ServerProcess,
    ZipkinServer,
    wait_healthy,
)
from tests.support.ports import free_ports


def _handwritten_span(service: str) -> dict[str, object]:
    now_us = time.time_ns() // 1000
    return {
        "traceId": uuid.uuid4().hex,
        "id": uuid.uuid4().hex[:16],
        "kind": "SERVER",
        "name": "get /smoke",
        "timestamp": now_us,
        "duration": 1500,
        "localEndpoint": {"serviceName": service, "ipv4": "127.0.0.1", "port": 8080},
        "annotations": [{"timestamp": now_us + 10, "value": "smoke"}],
        "tags": {"http.path": "/smoke"},
    }


async def _post(http: aiohttp.ClientSession, url: str, spans: list[dict[str, object]]) -> None:
    async with http.post(url, json=spans) as resp:
        assert resp.status == 202, f"POST {url} -> {resp.status}: {await resp.text()}"


async def test_zipkin_stores_a_posted_span(
    zipkin: ZipkinServer, http: aiohttp.ClientSession
) -> None:
    span = _handwritten_span(unique_service("smoke"))

    await _post(http, zipkin.spans_url, [span])

    assert await zipkin_trace(http, zipkin.url, str(span["traceId"]), 1) == [span]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


# 127.0.0.1 as /proc writes it, in IPv4 and as an IPv4-mapped IPv6 address.
_LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}


def test_zipkin_listens_on_the_loopback_only(zipkin: ZipkinServer) -> None:
    port = int(zipkin.url.rsplit(":", 1)[1])
    addresses = _listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= _LOOPBACK, addresses


async def test_jaeger_zipkin_receiver_stores_a_posted_span(
    jaeger: JaegerServer, http: aiohttp.ClientSession
) -> None:
    service = unique_service("smoke")
    span = _handwritten_span(service)

    await _post(http, jaeger.spans_url, [span])

    trace = await jaeger_trace(http, jaeger.query_url, str(span["traceId"]), 1)
    [stored] = trace["spans"]
    assert stored["spanID"] == span["id"]
    assert stored["operationName"] == "get /smoke"
    assert stored["startTime"] == span["timestamp"]
    assert stored["duration"] == 1500
    assert trace["processes"][stored["processID"]]["serviceName"] == service


def _script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "server.sh"
    script.write_text(body)
    return script


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    script = _script(tmp_path, "echo 'port 1234 already in use' >&2\nexit 3\n")
    [port] = free_ports(1)

    with (
        ServerProcess("broken", script, {}, tmp_path / "broken.log") as process,
        pytest.raises(ServerError) as failure,
    ):
        wait_healthy([f"http://127.0.0.1:{port}/health"], timeout=30, process=process)

    message = str(failure.value)
    assert "broken exited with status 3" in message
    assert "port 1234 already in use" in message


def test_a_server_that_never_answers_fails_at_the_deadline(tmp_path: Path) -> None:
    [port] = free_ports(1)
    start = time.monotonic()

    with pytest.raises(ServerError, match=r"did not answer 2xx within 1 s"):
        wait_healthy([f"http://127.0.0.1:{port}/health"], timeout=1)

    assert time.monotonic() - start < 10


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent's wait() is missing.
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # The script leaves a background child behind, then replaces itself like the run scripts.
    script = _script(tmp_path, f"sleep 300 &\necho $! > {pids}\nexec sleep 300\n")
    process = ServerProcess("sleeper", script, {}, tmp_path / "sleeper.log")
    process.start()
    try:
        deadline = time.monotonic() + 10
        while not pids.exists() or not pids.read_text().strip():
            assert time.monotonic() < deadline, "the script did not start its child"
            time.sleep(0.05)
        child = int(pids.read_text())
        assert _alive(child)
    finally:
        process.stop(timeout=5)

    assert process.returncode is not None
    deadline = time.monotonic() + 5
    while _alive(child):
        assert time.monotonic() < deadline, f"background child {child} outlived stop()"
        time.sleep(0.05)
