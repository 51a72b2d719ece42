"""Settings of the cache service, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshop_common import Env, ServiceSettings, env_var

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings(ServiceSettings):
    """Store limits plus the common service settings."""

    service_name = "cache"
    default_port = 8083

    default_ttl: float = field(metadata=env_var("CACHE_DEFAULT_TTL", Env.ttl, 300.0))
    max_keys: int = field(
        metadata=env_var("CACHE_MAX_KEYS", Env.integer, 10_000, minimum=1, maximum=10_000_000)
    )
