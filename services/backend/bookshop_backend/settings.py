"""Settings of the backend service, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshop_common import Env, OrderFlowSettings, env_var

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings(OrderFlowSettings):
    """Where the cache, db_proxy and the broker are, how long a book stays cached, and more."""

    service_name = "backend"
    default_port = 8081

    publish_timeout: float = field(
        metadata=env_var("JOB_PUBLISH_TIMEOUT", Env.number, 5.0, minimum=0.1, maximum=60.0)
    )
    book_ttl: float = field(metadata=env_var("BOOK_CACHE_TTL", Env.ttl, 60.0))
