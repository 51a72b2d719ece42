"""Settings of the frontend service, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshop_common import Env, ServiceSettings, env_var

__all__ = ["DEFAULT_JAEGER_UI_URL", "DEFAULT_ZIPKIN_UI_URL", "Settings"]

DEFAULT_ZIPKIN_UI_URL = "http://127.0.0.1:9411"
DEFAULT_JAEGER_UI_URL = "http://127.0.0.1:16686"


@dataclass(frozen=True, slots=True)
class Settings(ServiceSettings):
    """Where the backend is, the UIs to link to, plus the common service settings.

    `zipkin_ui_url` is Zipkin's base URL (its UI is under `/zipkin/`); `jaeger_ui_url` is
    Jaeger's query service, which serves the `/api/traces` API, and the UI when
    `jaeger_has_ui` (`JAEGER_HAS_UI`: Jaeger's image has it, a locally built Jaeger does not).
    """

    service_name = "frontend"
    default_port = 8080
    required_env = ("ZIPKIN_ENDPOINTS", "BACKEND_URL")

    backend_url: str = field(metadata=env_var("BACKEND_URL", Env.url))
    upstream_timeout: float = field(
        metadata=env_var("UPSTREAM_TIMEOUT", Env.number, 20.0, minimum=0.1, maximum=300.0)
    )
    zipkin_ui_url: str = field(metadata=env_var("ZIPKIN_UI_URL", Env.url, DEFAULT_ZIPKIN_UI_URL))
    jaeger_ui_url: str = field(metadata=env_var("JAEGER_UI_URL", Env.url, DEFAULT_JAEGER_UI_URL))
    jaeger_has_ui: bool = field(metadata=env_var("JAEGER_HAS_UI", Env.flag, True))
