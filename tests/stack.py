"""The local demo stack as a pytest plugin: the session fixture `bookshop`.

It starts scripts/stack.sh as `make up` does, on free ports with its own run folder, so a
developer's running demo is left alone, and stops it with `scripts/stack.sh down` at the end of
the session. The end-to-end, load and browser tests share the one stack. A stack that cannot
start fails the tests with its log; nothing is skipped. Loaded by tests/conftest.py.

`Bookshop.pid` asks the stack's supervisord for a process's pid, so that a test kills only a
process of its own stack, by pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import ROOT
from tests.support.ports import free_ports

__all__ = ["DEMO_PORTS", "PORT_NAMES", "Bookshop", "bookshop", "run_stack", "stack_up"]


def _read_ports(path: Path) -> dict[str, int]:
    ports: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            ports[name.strip()] = int(value)
    return ports


# The demo's ports as ports.env writes them (the one place they are written).
DEMO_PORTS = _read_ports(ROOT / "ports.env")
PORT_NAMES = tuple(DEMO_PORTS)

_stack_log = pytest.StashKey[Path]()


def run_stack(
    *args: str, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run `scripts/stack.sh ARGS...` with `env` (its whole environment)."""
    return subprocess.run(
        ["bash", str(ROOT / "scripts/stack.sh"), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stack_up(env: Mapping[str, str], timeout: float) -> str:
    """`stack.sh up` with `env`; what it printed.

    A stack that does not start within `timeout` seconds is stopped again, and fails the test
    with what it printed and its log.
    """
    try:
        started = run_stack("up", env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        run_stack("down", env=env, timeout=120)
        pytest.fail(f"stack.sh up did not return in {timeout:.0f} s:\n{_logs(env)}")
    if started.returncode != 0:
        run_stack("down", env=env, timeout=120)
        pytest.fail(
            f"the stack did not start (stack.sh up exited {started.returncode}):\n"
            f"{started.stderr}\n{_logs(env)}",
            pytrace=False,
        )
    return started.stdout + started.stderr


@dataclass(frozen=True)
class Bookshop:
    """Where the stack under test listens, and its supervisor's view of its processes."""

    frontend: str
    zipkin: str
    jaeger: str
    services: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    up_output: str = ""
    kafka: str = ""

    def pid(self, name: str) -> int:
        """The pid of the stack's process `name` now (fails the test when it has none)."""
        result = run_stack("pid", name, env=self.env, timeout=30)
        assert result.returncode == 0, f"no pid for {name}: {result.stderr.strip()}"
        return int(result.stdout.strip())

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send `sig` to the stack's process `name`; returns the pid that got it."""
        pid = self.pid(name)
        os.kill(pid, sig)
        return pid

    def logs(self) -> str:
        """What `make logs` prints for this stack."""
        return run_stack("logs", env=self.env, timeout=30).stdout

    def status(self) -> str:
        """What `make status` prints for this stack."""
        result = run_stack("status", env=self.env, timeout=60)
        return result.stdout + result.stderr


@contextlib.contextmanager
def _running_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    folder: str,
    extra_env: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None,
) -> Iterator[Bookshop]:
    """Start a stack on free ports; `extra_env(ports)` adds to its environment."""
    run_dir = tmp_path_factory.mktemp(folder, numbered=False)
    ports = dict(zip(PORT_NAMES, (str(p) for p in free_ports(len(PORT_NAMES))), strict=True))
    env = {
        **os.environ,
        **ports,
        **(extra_env(ports) if extra_env else {}),
        "RUN_DIR": str(run_dir),
        "STACK_MODE": "local",
    }
    request.config.stash[_stack_log] = run_dir / "supervisord.log"
    printed = stack_up(env, timeout=300)
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
            log_path=run_dir / "supervisord.log",
            env=env,
            up_output=printed,
            kafka=f"127.0.0.1:{ports['KAFKA_PORT']}",
        )
    finally:
        stopped = run_stack("down", env=env, timeout=90)
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="session")
def bookshop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bookshop]:
    """The five services, Kafka, Zipkin and Jaeger, running locally under supervisord."""
    with _running_stack(request, tmp_path_factory, "stack") as stack:
        yield stack


@pytest.fixture(scope="module")
def bookshop_spans_via_kafka(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bookshop]:
    """A second stack whose services send their spans only to the topic zipkin.

    Zipkin and Jaeger read that topic as well as their HTTP endpoints in every stack; here
    nothing reaches them over HTTP. It lives for one test module.
    """

    def routes(ports: Mapping[str, str]) -> Mapping[str, str]:
        return {"ZIPKIN_ENDPOINTS": f"kafka://127.0.0.1:{ports['KAFKA_PORT']}/zipkin"}

    with _running_stack(request, tmp_path_factory, "stack-spans-via-kafka", routes) as stack:
        yield stack


def _logs(env: Mapping[str, str], lines: int = 200) -> str:
    text = run_stack("logs", env=env, timeout=30).stdout
    return "\n".join(text.splitlines()[-lines:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test that used the stack fails, attach the tail of the stack's log."""
    report = yield
    path = item.config.stash.get(_stack_log, None)
    fixtures = getattr(item, "fixturenames", ())
    if report.failed and path is not None and any(f.startswith("bookshop") for f in fixtures):
        logs = _logs({**os.environ, "RUN_DIR": str(path.parent)}, lines=120)
        report.sections.append((f"stack logs ({path.parent})", logs))
    return report
