"""Typed keys of the backend application state."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import Upstream

from .jobs import JobPublisher
from .settings import Settings

__all__ = ["CACHE_KEY", "DB_PROXY_KEY", "PUBLISHER_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
CACHE_KEY = web.AppKey("cache", Upstream)
DB_PROXY_KEY = web.AppKey("db_proxy", Upstream)
PUBLISHER_KEY = web.AppKey("publisher", JobPublisher)
