"""What `make up` and `make status` tell a newcomer about the local stack."""

from __future__ import annotations

import re

from tests.stack import Bookshop

_PROCESSES = ("kafka", "zipkin", "jaeger", "db_proxy", "cache", "backend", "worker", "frontend")


def test_up_points_to_what_works_without_a_jaeger_ui(bookshop: Bookshop) -> None:
    printed = bookshop.up_output
    assert f"Zipkin UI   {bookshop.zipkin}/zipkin/" in printed, printed
    assert f"Jaeger API  {bookshop.jaeger}/api/traces/{{trace id}}" in printed, printed
    assert "  Jaeger UI " not in printed, printed  # no link to the placeholder page
    why = [line for line in printed.splitlines() if line.startswith("No Jaeger UI:")]
    assert len(why) == 1, printed
    assert "Docker" in why[0], why


def test_up_prints_each_servers_memory_and_start_time(bookshop: Bookshop) -> None:
    printed = bookshop.up_output
    rows = re.findall(r"^  (\S+) +(\d+) MB  (\d+) s$", printed, re.MULTILINE)
    assert sorted(name for name, _, _ in rows) == ["jaeger", "kafka", "zipkin"], printed
    assert all(int(mb) > 0 and int(seconds) >= 0 for _, mb, seconds in rows), printed


def test_status_lists_state_pid_uptime_restarts_and_health(bookshop: Bookshop) -> None:
    status = bookshop.status()
    lines = status.splitlines()
    header = next(line for line in lines if line.startswith("PROCESS"))
    assert header.split() == ["PROCESS", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "URL"]
    rows = {
        line.split()[0]: line.split()[1:]
        for line in lines[lines.index(header) + 1 :]
        if not line.startswith("stack:")
    }
    assert sorted(rows) == sorted(_PROCESSES), status
    for name, (state, pid, uptime, restarts, health, url) in rows.items():
        # STARTING: restarted (by a chaos test) less than STACK_START_SECS ago.
        assert state in ("RUNNING", "STARTING"), status
        assert int(pid) == bookshop.pid(name), status
        assert uptime.count(":") == 2, status
        assert int(restarts) >= 0, status
        assert health == "ok", status
        assert url.startswith(("http://127.0.0.1:", "tcp://127.0.0.1:")), status
