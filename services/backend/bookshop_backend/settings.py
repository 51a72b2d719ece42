"""Settings of the backend service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bookshop_common import Env, OrderFlowSettings

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "backend"


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the cache and db_proxy are, how long a book stays cached, plus the common ones."""

    book_ttl: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        shared = cls.read_shared(environ, service_name=SERVICE_NAME, default_port=8081)
        book_ttl = Env(environ).number("BOOK_CACHE_TTL", 60.0, minimum=0.001, maximum=86400.0)
        return cls(*shared, book_ttl=book_ttl)
