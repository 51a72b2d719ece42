"""Typed keys of the db_proxy application state."""

from __future__ import annotations

from aiohttp import web

from .db import Database
from .settings import Settings

__all__ = ["DATABASE_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
DATABASE_KEY = web.AppKey("database", Database)
