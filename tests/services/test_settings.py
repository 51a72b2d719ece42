"""Each service's settings: what is required, and errors that name the variable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pytest

import bookshop_backend
import bookshop_cache
import bookshop_db_proxy
import bookshop_frontend
import bookshop_worker
from bookshop_common import BaseSettings, SettingsError


class _Settings(Protocol):
    required_env: tuple[str, ...]

    @property
    def base(self) -> BaseSettings: ...


SETTINGS: dict[str, Any] = {
    "frontend": bookshop_frontend.Settings,
    "backend": bookshop_backend.Settings,
    "db_proxy": bookshop_db_proxy.Settings,
    "cache": bookshop_cache.Settings,
    "worker": bookshop_worker.Settings,
}

VALUES = {
    "ZIPKIN_ENDPOINTS": "http://127.0.0.1:9411/api/v2/spans,http://127.0.0.1:9412/api/v2/spans",
    "BACKEND_URL": "http://127.0.0.1:8081",
    "CACHE_URL": "http://127.0.0.1:8083",
    "DB_PROXY_URL": "http://127.0.0.1:8082/",
    "DB_PATH": "/tmp/bookshop.db",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
}

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
