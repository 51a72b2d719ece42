"""Settings of the db_proxy service, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshop_common import Env, ServiceSettings, env_var

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings(ServiceSettings):
    """`DB_PATH` (the SQLite file) plus the common service settings."""

    service_name = "db_proxy"
    default_port = 8082
    required_env = ("ZIPKIN_ENDPOINTS", "DB_PATH")

    db_path: str = field(metadata=env_var("DB_PATH", Env.text))
