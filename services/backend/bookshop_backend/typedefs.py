"""Typed keys of the backend application state."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import CACHE_KEY, DB_PROXY_KEY

from .jobs import JobPublisher
from .settings import Settings

__all__ = ["CACHE_KEY", "DB_PROXY_KEY", "PUBLISHER_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
PUBLISHER_KEY = web.AppKey("publisher", JobPublisher)
