"""Settings of the cache service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bookshop_common import BaseSettings, Env

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "cache"


@dataclass(frozen=True, slots=True)
class Settings:
    """Store limits plus the common service settings."""

    required_env: ClassVar[tuple[str, ...]] = ("ZIPKIN_ENDPOINTS",)

    base: BaseSettings
    default_ttl: float
    max_keys: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8083),
            default_ttl=env.number("CACHE_DEFAULT_TTL", 300.0, minimum=0.001, maximum=86400.0),
            max_keys=env.integer("CACHE_MAX_KEYS", 10_000, minimum=1, maximum=10_000_000),
        )
