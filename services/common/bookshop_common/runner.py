"""The `python -m <service>` entry point shared by the services."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from aiohttp import web

from .logs import setup_logging
from .settings import BaseSettings, SettingsError

__all__ = ["ServiceSettings", "run_service"]


class ServiceSettings(Protocol):
    @property
    def base(self) -> BaseSettings: ...


_S = TypeVar("_S", bound=ServiceSettings)


def run_service(
    service_name: str,
    load: Callable[[Mapping[str, str]], _S],
    create_app: Callable[[_S], web.Application],
) -> None:
    """Read settings (exit naming the bad variable), set up logging, serve until SIGTERM."""
    try:
        settings = load(os.environ)
    except SettingsError as exc:
        sys.exit(f"{service_name}: configuration error: {exc}")
    setup_logging(service_name, settings.base.log_level)
    web.run_app(
        create_app(settings),
        host=settings.base.host,
        port=settings.base.port,
        print=None,
        shutdown_timeout=10.0,
        access_log_format='%a "%r" %s %b %Tfs trace_id=%{X-Trace-Id}o',
    )
