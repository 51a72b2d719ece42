"""Session fixtures for the real servers (`zipkin`, `jaeger`, `kafka`) and the demo stack.

Each starts its server on free ports (so a running demo stack is left alone) and stops it at the
end of the session. Set ZIPKIN_URL, JAEGER_URL and JAEGER_ZIPKIN_URL, or KAFKA_BOOTSTRAP_SERVERS
to use servers that are already running instead. A server that cannot start fails the tests that
need it, with its log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

import pytest

from tests.servers import (
    JaegerServer,
    KafkaBroker,
    ServerError,
    ZipkinServer,
    external_jaeger,
    external_kafka,
    external_zipkin,
    log_tail,
    start_jaeger,
    start_kafka,
    start_zipkin,
)

# The demo stack (`bookshop`), shared by tests/e2e and tests/browser.
pytest_plugins = ["tests.stack"]

P = ParamSpec("P")
T = TypeVar("T")

_server_logs = pytest.StashKey[dict[str, Path]]()


def _logs(config: pytest.Config) -> dict[str, Path]:
    return config.stash.setdefault(_server_logs, {})


@pytest.fixture(scope="session")
def servers_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the servers started by this session write their logs."""
    return tmp_path_factory.mktemp("servers", numbered=False)


def _or_fail(what: str, start: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return start(*args, **kwargs)
    except ServerError as exc:
        pytest.fail(f"{what} is not available: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def zipkin(request: pytest.FixtureRequest, servers_log_dir: Path) -> Iterator[ZipkinServer]:
    """A Zipkin server with in-memory storage: $ZIPKIN_URL, or one started for this session."""
    url = os.environ.get("ZIPKIN_URL")
    if url:
        yield _or_fail("Zipkin", external_zipkin, url)
        return
    process, server = _or_fail("Zipkin", start_zipkin, servers_log_dir)
    _logs(request.config)["zipkin"] = process.log_path
    try:
        yield server
    finally:
        process.stop()


@pytest.fixture(scope="session")
def jaeger(request: pytest.FixtureRequest, servers_log_dir: Path) -> Iterator[JaegerServer]:
    """A Jaeger v2 with its Zipkin receiver: $JAEGER_URL + $JAEGER_ZIPKIN_URL, or started here."""
    query_url = os.environ.get("JAEGER_URL")
    zipkin_url = os.environ.get("JAEGER_ZIPKIN_URL")
    if query_url or zipkin_url:
        if not (query_url and zipkin_url):
            pytest.fail(
                "set both JAEGER_URL (query API, e.g. http://localhost:16686) and "
                "JAEGER_ZIPKIN_URL (zipkin receiver, e.g. http://localhost:9412), or neither",
                pytrace=False,
            )
        yield _or_fail("Jaeger", external_jaeger, query_url, zipkin_url)
        return
    process, server = _or_fail("Jaeger", start_jaeger, servers_log_dir)
    _logs(request.config)["jaeger"] = process.log_path
    try:
        yield server
    finally:
        process.stop()


@pytest.fixture(scope="session")
def kafka(request: pytest.FixtureRequest, servers_log_dir: Path) -> Iterator[KafkaBroker]:
    """A Kafka broker (KRaft): $KAFKA_BOOTSTRAP_SERVERS, or one started for this session."""
    bootstrap_servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap_servers:
        yield _or_fail("Kafka", external_kafka, bootstrap_servers)
        return
    process, broker = _or_fail("Kafka", start_kafka, servers_log_dir)
    _logs(request.config)["kafka"] = process.log_path
    try:
        yield broker
    finally:
        process.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the tail of each server log the test depended on."""
    report = yield
    if report.failed:
        used = set(getattr(item, "fixturenames", ()))
        for name, path in _logs(item.config).items():
            if name in used:
                report.sections.append((f"{name} log ({path})", log_tail(path, lines=80)))
    return report
