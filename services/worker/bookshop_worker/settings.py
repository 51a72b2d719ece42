"""Settings of the worker service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bookshop_common import Env, OrderFlowSettings

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "worker"


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the broker, cache and db_proxy are, how to consume, plus the common settings."""

    consumer_group: str
    job_attempts: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        shared = cls.read_shared(environ, service_name=SERVICE_NAME, default_port=8084)
        env = Env(environ)
        return cls(
            *shared,
            consumer_group=env.text("JOB_CONSUMER_GROUP", "bookshop-worker"),
            job_attempts=env.integer("JOB_ATTEMPTS", 5, minimum=1, maximum=100),
        )
