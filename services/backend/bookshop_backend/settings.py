"""Settings of the backend service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bookshop_common import Env, OrderFlowSettings

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "backend"


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the cache, db_proxy and the broker are, how long a book stays cached, and more."""

    publish_timeout: float
    book_ttl: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        shared = cls.read_shared(environ, service_name=SERVICE_NAME, default_port=8081)
        env = Env(environ)
        return cls(
            *shared,
            publish_timeout=env.number("JOB_PUBLISH_TIMEOUT", 5.0, minimum=0.1, maximum=60.0),
            book_ttl=env.number("BOOK_CACHE_TTL", 60.0, minimum=0.001, maximum=86400.0),
        )
