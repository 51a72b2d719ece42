"""Each service's settings: what is required, and errors that name the variable."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

import bookshop_backend
import bookshop_cache
import bookshop_db_proxy
import bookshop_frontend
import bookshop_worker
from bookshop_common import SettingsError
from tests.services.stack import SETTINGS, VALUES

SERVICES = [pytest.param(name, id=name) for name in SETTINGS]


def _required(service: str) -> dict[str, str]:
    return {name: VALUES[name] for name in SETTINGS[service].required_env}


@pytest.mark.parametrize("service", SERVICES)
def test_required_variables_are_enough(service: str) -> None:
    settings = SETTINGS[service].from_env(_required(service))
    assert settings.base.service_name == service
    assert settings.base.zipkin_endpoints == tuple(VALUES["ZIPKIN_ENDPOINTS"].split(","))
    assert settings.base.sample_rate == 1.0


@pytest.mark.parametrize("service", SERVICES)
def test_each_missing_variable_is_named(service: str) -> None:
    for name in SETTINGS[service].required_env:
        env = _required(service)
        del env[name]
        with pytest.raises(SettingsError, match=name):
            SETTINGS[service].from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("PORT", "http", id="port-not-int"),
        pytest.param("PORT", "70000", id="port-too-big"),
        pytest.param("ZIPKIN_ENDPOINTS", "ftp://zipkin/api", id="endpoint-scheme"),
        pytest.param("ZIPKIN_ENDPOINTS", " , ", id="endpoint-empty"),
        pytest.param("ZIPKIN_ENDPOINTS", "kafka://127.0.0.1:9092", id="kafka-no-topic"),
        pytest.param("ZIPKIN_ENDPOINTS", "kafka://broker/zipkin", id="kafka-no-port"),
        pytest.param("ZIPKIN_ENDPOINTS", "kafka:///zipkin", id="kafka-no-broker"),
        pytest.param("TRACE_SAMPLE_RATE", "1.5", id="rate-too-big"),
        pytest.param("TRACE_SAMPLE_RATE", "nan", id="rate-nan"),
        pytest.param("DEMO_FAULT", "backend=boom", id="fault-spec"),
        pytest.param("LOG_LEVEL", "LOUD", id="log-level"),
        pytest.param("UPSTREAM_TIMEOUT", "0", id="timeout-zero"),
        pytest.param("KAFKA_BOOTSTRAP_SERVERS", "kafka", id="bootstrap-no-port"),
        pytest.param("KAFKA_BOOTSTRAP_SERVERS", "kafka:99999", id="bootstrap-bad-port"),
        pytest.param("KAFKA_BOOTSTRAP_SERVERS", " , ", id="bootstrap-empty"),
        pytest.param("JOB_PUBLISH_TIMEOUT", "0", id="publish-timeout-zero"),
    ],
)
def test_bad_value_is_named(name: str, value: str) -> None:
    env = {**_required("backend"), name: value}
    with pytest.raises(SettingsError, match=name):
        bookshop_backend.Settings.from_env(env)


@pytest.mark.parametrize("value", ["0", "86401", "soon"])
def test_cache_lifetimes_are_a_millisecond_to_a_day(value: str) -> None:
    with pytest.raises(SettingsError, match="BOOK_CACHE_TTL"):
        bookshop_backend.Settings.from_env({**_required("backend"), "BOOK_CACHE_TTL": value})
    with pytest.raises(SettingsError, match="CACHE_DEFAULT_TTL"):
        bookshop_cache.Settings.from_env({**_required("cache"), "CACHE_DEFAULT_TTL": value})


def test_cache_lifetimes_are_read() -> None:
    backend = {**_required("backend"), "BOOK_CACHE_TTL": "0.5"}
    assert bookshop_backend.Settings.from_env(backend).book_ttl == 0.5
    cache = {**_required("cache"), "CACHE_DEFAULT_TTL": "86400"}
    assert bookshop_cache.Settings.from_env(cache).default_ttl == 86400.0
    assert bookshop_cache.Settings.from_env(_required("cache")).default_ttl == 300.0


def test_url_variables_are_validated() -> None:
    env: Mapping[str, str] = {**_required("frontend"), "BACKEND_URL": "backend:8081"}
    with pytest.raises(SettingsError, match="BACKEND_URL"):
        bookshop_frontend.Settings.from_env(env)


def test_defaults_and_overrides() -> None:
    settings = bookshop_worker.Settings.from_env(
        {
            **_required("worker"),
            "PORT": "9000",
            "JOB_ATTEMPTS": "3",
            "DEMO_FAULT": "worker=delay:1s",
        }
    )
    assert settings.base.port == 9000
    assert settings.job_attempts == 3
    assert settings.job_queue == "orders"
    assert settings.consumer_group == "bookshop-worker"
    assert settings.kafka_bootstrap_servers == ("127.0.0.1:9092",)
    assert [f.delay for f in settings.base.default_faults.for_service("worker")] == [1.0]
    assert bookshop_db_proxy.Settings.from_env(_required("db_proxy")).base.port == 8082


def test_settings_are_frozen() -> None:
    settings = bookshop_cache.Settings.from_env(_required("cache"))
    with pytest.raises(AttributeError):
        settings.max_keys = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "routes"),
    [
        pytest.param(
            "kafka://127.0.0.1:9092/zipkin", ("kafka://127.0.0.1:9092/zipkin",), id="kafka"
        ),
        pytest.param(
            "kafka://a:9092,b:9093/zipkin,http://127.0.0.1:9411/api/v2/spans",
            ("kafka://a:9092,b:9093/zipkin", "http://127.0.0.1:9411/api/v2/spans"),
            id="brokers-then-http",
        ),
        pytest.param(
            "http://127.0.0.1:9411/api/v2/spans, kafka://a:9092/zipkin",
            ("http://127.0.0.1:9411/api/v2/spans", "kafka://a:9092/zipkin"),
            id="http-then-kafka",
        ),
    ],
)
def test_spans_may_be_routed_through_kafka(value: str, routes: tuple[str, ...]) -> None:
    env = {**_required("cache"), "ZIPKIN_ENDPOINTS": value}
    assert bookshop_cache.Settings.from_env(env).base.zipkin_endpoints == routes
