"""scripts/stack.sh with Docker: which compose files and profile each command passes.

A fake `docker` on PATH records its arguments; no engine is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.servers import ROOT
from tests.stack import run_stack

_FAKE_DOCKER = """#!/bin/sh
echo "$*" >>"$DOCKER_CALLS"
"""


def _stack(tmp_path: Path, *args: str, storage: str | None = None) -> list[str]:
    """Run stack.sh ARGS with the fake docker; the compose calls it made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(_FAKE_DOCKER)
    docker.chmod(0o755)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DOCKER_CALLS": str(calls),
        "RUN_DIR": str(tmp_path / "run"),
        "STACK_MODE": "docker",
    }
    env.pop("STORAGE", None)
    if storage is not None:
        env["STORAGE"] = storage
    result = run_stack(*args, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines() if calls.exists() else []
    return [line for line in lines if line != "compose version"]


def _started_with(tmp_path: Path, storage: str) -> None:
    """The run folder of a Docker stack that `make up STORAGE=storage` started."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "mode").write_text("docker\n")
    (run / "storage").write_text(f"{storage}\n")


BASE = f"compose -f {ROOT}/docker-compose.yml --env-file {ROOT}/ports.env"
DURABLE = (
    f"compose -f {ROOT}/docker-compose.yml -f {ROOT}/docker-compose.durable.yml "
    f"--profile durable --env-file {ROOT}/ports.env"
)


@pytest.mark.parametrize(
    ("storage", "files"),
    [pytest.param("mem", BASE, id="mem"), pytest.param("opensearch", DURABLE, id="opensearch")],
)
def test_down_and_status_use_the_files_the_stack_was_started_with(
    tmp_path: Path, storage: str, files: str
) -> None:
    _started_with(tmp_path, storage)
    assert _stack(tmp_path, "status") == [f"{files} ps"]
    # `make down` needs no STORAGE: it stops what is running, and keeps the volumes.
    assert _stack(tmp_path, "down") == [f"{files} down --remove-orphans"]


def test_clean_data_removes_the_durable_volumes(tmp_path: Path) -> None:
    assert _stack(tmp_path, "clean-data") == [f"{DURABLE} down --volumes --remove-orphans"]
