"""Settings of the worker service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bookshop_common import Env, OrderFlowSettings

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "worker"


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the queue and db_proxy are, how to poll, plus the common service settings."""

    poll_timeout: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        shared = cls.read_shared(environ, service_name=SERVICE_NAME, default_port=8084)
        poll_timeout = Env(environ).number("POLL_TIMEOUT", 5.0, minimum=0.1, maximum=30.0)
        return cls(*shared, poll_timeout=poll_timeout)
