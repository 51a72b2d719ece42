"""Bookshop cache: key/value with TTL, over HTTP."""

from .main import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
