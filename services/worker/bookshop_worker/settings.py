"""Settings of the worker service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bookshop_common import BaseSettings, Env

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "worker"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the broker, cache and db_proxy are, how to consume, plus the common settings."""

    required_env: ClassVar[tuple[str, ...]] = (
        "ZIPKIN_ENDPOINTS",
        "CACHE_URL",
        "DB_PROXY_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
    )

    base: BaseSettings
    cache_url: str
    db_proxy_url: str
    kafka_bootstrap_servers: tuple[str, ...]
    job_queue: str
    consumer_group: str
    job_attempts: int
    upstream_timeout: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8084),
            cache_url=env.url("CACHE_URL"),
            db_proxy_url=env.url("DB_PROXY_URL"),
            kafka_bootstrap_servers=env.host_ports("KAFKA_BOOTSTRAP_SERVERS"),
            job_queue=env.text("JOB_QUEUE", "orders"),
            consumer_group=env.text("JOB_CONSUMER_GROUP", "bookshop-worker"),
            job_attempts=env.integer("JOB_ATTEMPTS", 5, minimum=1, maximum=100),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", 15.0, minimum=0.1, maximum=300.0),
        )
