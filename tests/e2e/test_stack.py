"""What `make up` and `make status` tell a newcomer about the local stack."""

from __future__ import annotations

from tests.stack import Bookshop

_PROCESSES = ("kafka", "zipkin", "jaeger", "db_proxy", "cache", "backend", "worker", "frontend")


def test_up_points_to_what_works_without_a_jaeger_ui(bookshop: Bookshop) -> None:
    printed = bookshop.up_output
    assert f"Zipkin UI   {bookshop.zipkin}/zipkin/" in printed, printed
    assert f"Jaeger API  {bookshop.jaeger}/api/traces/{{trace id}}" in printed, printed
    assert "Jaeger UI" not in printed, printed
    why = [line for line in printed.splitlines() if line.startswith("No Jaeger UI:")]
    assert len(why) == 1, printed
    assert "Docker" in why[0], why


def test_status_lists_state_pid_uptime_restarts_and_health(bookshop: Bookshop) -> None:
    status = bookshop.status()
    lines = status.splitlines()
    header = next(line for line in lines if line.startswith("PROCESS"))
    assert header.split() == ["PROCESS", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "URL"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[lines.index(header) + 1 :]}
    assert sorted(rows) == sorted(_PROCESSES), status
    for name, (state, pid, uptime, restarts, health, url) in rows.items():
        assert state == "RUNNING", status
        assert int(pid) == bookshop.pid(name), status
        assert uptime.count(":") == 2, status
        assert int(restarts) >= 0, status
        assert health == "ok", status
        assert url.startswith(("http://127.0.0.1:", "tcp://127.0.0.1:")), status
