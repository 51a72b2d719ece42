"""Typed keys of the worker application state."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import Upstream

from .consumer import Consumer
from .settings import Settings

__all__ = ["CACHE_KEY", "CONSUMER_KEY", "DB_PROXY_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
CACHE_KEY = web.AppKey("cache", Upstream)
DB_PROXY_KEY = web.AppKey("db_proxy", Upstream)
CONSUMER_KEY = web.AppKey("consumer", Consumer)
