"""Typed keys of the worker application state."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import CACHE_KEY, DB_PROXY_KEY

from .consumer import Consumer
from .settings import Settings

__all__ = ["CACHE_KEY", "CONSUMER_KEY", "DB_PROXY_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
CONSUMER_KEY = web.AppKey("consumer", Consumer)
