"""Bookshop db_proxy: the SQLite database behind an HTTP API of named queries."""

from .main import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
