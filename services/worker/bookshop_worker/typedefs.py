"""Typed keys of the worker application state."""

from __future__ import annotations

from aiohttp import web

from .consumer import Consumer
from .settings import Settings

__all__ = ["CONSUMER_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
CONSUMER_KEY = web.AppKey("consumer", Consumer)
