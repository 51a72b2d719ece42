"""Typed keys of the cache application state."""

from __future__ import annotations

from aiohttp import web

from .settings import Settings
from .store import KeyValueStore

__all__ = ["SETTINGS_KEY", "STORE_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", KeyValueStore)
