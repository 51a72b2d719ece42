"""The local stack's supervisor: giving up on a process that keeps crashing, and `down`.

A stack of its own (free ports, its own run folder) with a setting only the worker reads made
bad, so that the worker exits at every start while the rest starts normally.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import PORT_NAMES, run_stack
from tests.support.ports import free_ports


@pytest.fixture
def crashing_worker_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a stack whose worker cannot start; stopped after the test."""
    ports = dict(zip(PORT_NAMES, (str(p) for p in free_ports(len(PORT_NAMES))), strict=True))
    env = {
        **os.environ,
        **ports,
        "RUN_DIR": str(tmp_path / "run"),
        "STACK_MODE": "local",
        "STACK_START_RETRIES": "2",
        "JOB_ATTEMPTS": "soon",
    }
    try:
        yield env
    finally:
        run_stack("down", env=env, timeout=90)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _status_once_running(
    env: dict[str, str], names: tuple[str, ...], timeout: float = 120.0
) -> tuple[str, dict[str, list[str]]]:
    """`stack.sh status` once every process in `names` is RUNNING (with a pid): its output
    and rows. A process still STARTING has no pid yet; one that never runs fails here."""
    deadline = time.monotonic() + timeout
    while True:
        stdout = run_stack("status", env=env, timeout=60).stdout
        rows = {line.split()[0]: line.split() for line in stdout.splitlines()[1:]}
        if all(name in rows and rows[name][1] == "RUNNING" for name in names):
            return stdout, rows
        assert time.monotonic() < deadline, f"{names} not all RUNNING after {timeout} s:\n{stdout}"
        time.sleep(1.0)


def test_a_process_that_keeps_crashing_is_given_up_on_and_down_stops_only_the_stack(
    crashing_worker_env: dict[str, str],
) -> None:
    env = crashing_worker_env
    bystander = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        started = run_stack("up", env=env, timeout=300)
        assert started.returncode != 0, "stack.sh up succeeded although the worker cannot start"
        assert "gave up on worker" in started.stderr, started.stderr

        logs = run_stack("logs", env=env, timeout=30).stdout
        assert "stack: gave up on worker" in logs, logs[-3000:]
        assert "JOB_ATTEMPTS must be an integer" in logs, logs[-3000:]

        stdout, rows = _status_once_running(env, ("zipkin", "jaeger", "cache"))
        # FATAL when supervisord gave up itself, STOPP(ED|ING) when scripts/give_up.py did.
        assert rows["worker"][1] in ("FATAL", "STOPPING", "STOPPED"), stdout
        assert int(rows["worker"][4]) >= 2, stdout  # restarts before giving up
        stack_pids = [int(rows[name][2]) for name in ("zipkin", "jaeger", "cache")]
        assert all(_alive(pid) for pid in stack_pids), stdout

        stopped = run_stack("down", env=env, timeout=90)
        assert stopped.returncode == 0, stopped.stderr
        still_running = [pid for pid in stack_pids if _alive(pid)]
        assert not still_running, f"stack.sh down left {still_running} running"
        assert bystander.poll() is None, "stack.sh down ended a process it did not start"
    finally:
        bystander.kill()
        bystander.wait()
