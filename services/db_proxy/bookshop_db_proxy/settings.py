"""Settings of the db_proxy service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bookshop_common import BaseSettings, Env

__all__ = ["SERVICE_NAME", "Settings"]

SERVICE_NAME = "db_proxy"


@dataclass(frozen=True, slots=True)
class Settings:
    """`DB_PATH` (the SQLite file) plus the common service settings."""

    required_env: ClassVar[tuple[str, ...]] = ("ZIPKIN_ENDPOINTS", "DB_PATH")

    base: BaseSettings
    db_path: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8082),
            db_path=env.text("DB_PATH"),
        )
