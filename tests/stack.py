"""The local demo stack as a pytest plugin: the session fixture `bookshop`.

It starts scripts/stack.sh as `make up` does, on free ports with its own run folder, so a
developer's running demo is left alone, and stops it with `scripts/stack.sh down` at the end of
the session. The end-to-end, load and browser tests share the one stack. A stack that cannot
start fails the tests with its log; nothing is skipped. Loaded by tests/conftest.py.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import ROOT, free_ports, log_tail

__all__ = ["Bookshop", "bookshop"]

_PORT_NAMES = (
    "FRONTEND_PORT",
    "BACKEND_PORT",
    "DB_PROXY_PORT",
    "CACHE_PORT",
    "WORKER_PORT",
    "ZIPKIN_PORT",
    "JAEGER_ZIPKIN_PORT",
    "JAEGER_QUERY_PORT",
    "JAEGER_QUERY_GRPC_PORT",
    "JAEGER_HEALTH_PORT",
    "KAFKA_PORT",
    "KAFKA_CONTROLLER_PORT",
)

_stack_log = pytest.StashKey[Path]()


@dataclass(frozen=True)
class Bookshop:
    """Where the stack under test listens."""

    frontend: str
    zipkin: str
    jaeger: str
    services: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None


def _stack(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts/stack.sh"), command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def bookshop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bookshop]:
    """The five services, Zipkin and Jaeger, running locally under honcho."""
    run_dir = tmp_path_factory.mktemp("stack", numbered=False)
    ports = dict(zip(_PORT_NAMES, (str(p) for p in free_ports(len(_PORT_NAMES))), strict=True))
    env = {**os.environ, **ports, "RUN_DIR": str(run_dir), "STACK_MODE": "local"}
    request.config.stash[_stack_log] = run_dir / "stack.log"
    try:
        started = _stack("up", env, timeout=300)
    except subprocess.TimeoutExpired:
        _stack("down", env, timeout=60)
        pytest.fail(f"stack.sh up did not return in 300 s:\n{log_tail(run_dir / 'stack.log')}")
    if started.returncode != 0:
        _stack("down", env, timeout=60)
        pytest.fail(
            f"the local stack did not start (stack.sh up exited {started.returncode}):\n"
            f"{started.stderr}\n{log_tail(run_dir / 'stack.log')}",
            pytrace=False,
        )
    try:
        yield Bookshop(
            frontend=f"http://127.0.0.1:{ports['FRONTEND_PORT']}",
            zipkin=f"http://127.0.0.1:{ports['ZIPKIN_PORT']}",
            jaeger=f"http://127.0.0.1:{ports['JAEGER_QUERY_PORT']}",
            services={
                "frontend": f"http://127.0.0.1:{ports['FRONTEND_PORT']}",
                "backend": f"http://127.0.0.1:{ports['BACKEND_PORT']}",
                "db_proxy": f"http://127.0.0.1:{ports['DB_PROXY_PORT']}",
                "cache": f"http://127.0.0.1:{ports['CACHE_PORT']}",
                "worker": f"http://127.0.0.1:{ports['WORKER_PORT']}",
            },
            log_path=run_dir / "stack.log",
        )
    finally:
        stopped = _stack("down", env, timeout=90)
        assert stopped.returncode == 0, stopped.stderr


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test that used the stack fails, attach the tail of the stack's log."""
    report = yield
    path = item.config.stash.get(_stack_log, None)
    if report.failed and path is not None and "bookshop" in getattr(item, "fixturenames", ()):
        report.sections.append((f"stack log ({path})", log_tail(path, lines=80)))
    return report
