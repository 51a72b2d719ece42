"""Typed keys of the frontend application state."""

from __future__ import annotations

from aiohttp import web

from bookshop_common import Upstream

from .settings import Settings

__all__ = ["BACKEND_KEY", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)
BACKEND_KEY = web.AppKey("backend", Upstream)
