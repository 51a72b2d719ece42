"""Settings of the frontend service, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from bookshop_common import BaseSettings, Env

__all__ = ["DEFAULT_JAEGER_UI_URL", "DEFAULT_ZIPKIN_UI_URL", "SERVICE_NAME", "Settings"]

SERVICE_NAME = "frontend"
DEFAULT_ZIPKIN_UI_URL = "http://127.0.0.1:9411"
DEFAULT_JAEGER_UI_URL = "http://127.0.0.1:16686"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the backend is, the UIs to link to, plus the common service settings.

    `zipkin_ui_url` is Zipkin's base URL (its UI is under `/zipkin/`); `jaeger_ui_url` is
    Jaeger's query service, which serves the `/api/traces` API, and the UI when
    `jaeger_has_ui` (`JAEGER_HAS_UI`: Jaeger's image has it, a locally built Jaeger does not).
    """

    required_env: ClassVar[tuple[str, ...]] = ("ZIPKIN_ENDPOINTS", "BACKEND_URL")

    base: BaseSettings
    backend_url: str
    upstream_timeout: float
    zipkin_ui_url: str
    jaeger_ui_url: str
    jaeger_has_ui: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = Env(environ)
        return cls(
            base=BaseSettings.from_env(environ, service_name=SERVICE_NAME, default_port=8080),
            backend_url=env.url("BACKEND_URL"),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", 20.0, minimum=0.1, maximum=300.0),
            zipkin_ui_url=env.url("ZIPKIN_UI_URL", DEFAULT_ZIPKIN_UI_URL),
            jaeger_ui_url=env.url("JAEGER_UI_URL", DEFAULT_JAEGER_UI_URL),
            jaeger_has_ui=env.flag("JAEGER_HAS_UI", True),
        )
