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
    KAFKA_JSON_TOPIC,
    KAFKA_PROTO3_TOPIC,
    JaegerServer,
    KafkaBroker,
    ServerError,
    ServerProcess,
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


def _serve(
    request: pytest.FixtureRequest,
    name: str,
    what: str,
    start: Callable[P, tuple[ServerProcess, T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Iterator[T]:
    """Start a server for fixture `name`, keep its log for failure reports, stop it after."""
    process, server = _or_fail(what, start, *args, **kwargs)
    _logs(request.config)[name] = process.log_path
    try:
        yield server
    finally:
        process.stop()


def _given_or_started(
    request: pytest.FixtureRequest,
    name: str,
    what: str,
    variable: str,
    external: Callable[[str], T],
    start: Callable[[Path], tuple[ServerProcess, T]],
    log_dir: Path,
) -> Iterator[T]:
    """The server at $`variable` when it is set, else one started for this session."""
    given = os.environ.get(variable)
    if given:
        yield _or_fail(what, external, given)
        return
    yield from _serve(request, name, what, start, log_dir)


@pytest.fixture(scope="session")
def zipkin(request: pytest.FixtureRequest, servers_log_dir: Path) -> Iterator[ZipkinServer]:
    """A Zipkin server with in-memory storage: $ZIPKIN_URL, or one started for this session."""
    yield from _given_or_started(
        request, "zipkin", "Zipkin", "ZIPKIN_URL", external_zipkin, start_zipkin, servers_log_dir
    )


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
    yield from _serve(request, "jaeger", "Jaeger", start_jaeger, servers_log_dir)


@pytest.fixture(scope="session")
def kafka(request: pytest.FixtureRequest, servers_log_dir: Path) -> Iterator[KafkaBroker]:
    """A Kafka broker (KRaft): $KAFKA_BOOTSTRAP_SERVERS, or one started for this session."""
    yield from _given_or_started(
        request,
        "kafka",
        "Kafka",
        "KAFKA_BOOTSTRAP_SERVERS",
        external_kafka,
        start_kafka,
        servers_log_dir,
    )


@pytest.fixture(scope="session")
def kafka_zipkin(
    request: pytest.FixtureRequest, servers_log_dir: Path, kafka: KafkaBroker
) -> Iterator[ZipkinServer]:
    """A Zipkin of this session whose Kafka collector reads both span topics of `kafka`."""
    yield from _serve(
        request,
        "kafka_zipkin",
        "Zipkin reading Kafka",
        start_zipkin,
        servers_log_dir,
        kafka=kafka,
        kafka_topics=(KAFKA_JSON_TOPIC, KAFKA_PROTO3_TOPIC),
    )


def _kafka_jaeger(name: str, topic: str, encoding: str, doc: str) -> Callable[..., object]:
    """Session fixture `name`: a Jaeger of this session reading `encoding` from `topic`."""

    def serve(
        request: pytest.FixtureRequest, servers_log_dir: Path, kafka: KafkaBroker
    ) -> Iterator[JaegerServer]:
        yield from _serve(
            request,
            name,
            f"Jaeger reading Kafka ({encoding})",
            start_jaeger,
            servers_log_dir,
            kafka=kafka,
            kafka_topic=topic,
            kafka_encoding=encoding,
        )

    serve.__doc__ = doc
    return pytest.fixture(serve, scope="session", name=name)


# Two Jaegers, each reading one of the span topics of `kafka`.
kafka_jaeger = _kafka_jaeger(
    "kafka_jaeger",
    KAFKA_JSON_TOPIC,
    "zipkin_json",
    "A Jaeger of this session reading JSON span lists from topic zipkin of `kafka`.",
)
kafka_jaeger_proto3 = _kafka_jaeger(
    "kafka_jaeger_proto3",
    KAFKA_PROTO3_TOPIC,
    "zipkin_proto",
    "A Jaeger of this session reading proto3 span lists from topic zipkin-proto3.",
)


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
