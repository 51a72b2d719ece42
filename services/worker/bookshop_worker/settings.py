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
    """Where the queue and db_proxy are, how to poll, plus the common service settings."""

    required_env: ClassVar[tuple[str, ...]] = ("ZIPKIN_ENDPOINTS", "CACHE_URL", "DB_PROXY_URL")

    base: BaseSettings
    cache_url: str
    db_proxy_url: str
    job_queue: str
    poll_timeout: float
    upstream_timeout: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8084),
            cache_url=env.url("CACHE_URL"),
            db_proxy_url=env.url("DB_PROXY_URL"),
            job_queue=env.text("JOB_QUEUE", "orders"),
            poll_timeout=env.number("POLL_TIMEOUT", 5.0, minimum=0.1, maximum=30.0),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", 15.0, minimum=0.1, maximum=300.0),
        )
