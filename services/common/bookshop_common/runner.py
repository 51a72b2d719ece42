"""The `python -m <service>` entry point shared by the services."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from .logs import setup_logging
from .settings import ServiceSettings, SettingsError

__all__ = ["run_service"]

_S = TypeVar("_S", bound=ServiceSettings)


def run_service(settings_cls: type[_S], create_app: Callable[[_S], web.Application]) -> None:
    """Read settings (exit naming the bad variable), set up logging, serve until SIGTERM."""
    service_name = settings_cls.service_name
    try:
        settings = settings_cls.from_env(os.environ)
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
