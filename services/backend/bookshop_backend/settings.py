"""Settings of the backend service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bookshop_common import BaseSettings, Env

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "backend"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the cache, db_proxy and the Kafka broker are, plus the common service settings."""

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
    publish_timeout: float
    book_ttl: float
    upstream_timeout: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8081),
            cache_url=env.url("CACHE_URL"),
            db_proxy_url=env.url("DB_PROXY_URL"),
            kafka_bootstrap_servers=env.host_ports("KAFKA_BOOTSTRAP_SERVERS"),
            job_queue=env.text("JOB_QUEUE", "orders"),
            publish_timeout=env.number("JOB_PUBLISH_TIMEOUT", 5.0, minimum=0.1, maximum=60.0),
            book_ttl=env.number("BOOK_CACHE_TTL", 60.0, minimum=0.001, maximum=86400.0),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", 15.0, minimum=0.1, maximum=300.0),
        )
