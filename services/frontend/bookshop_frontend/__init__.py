"""Bookshop frontend: an HTML page and the public JSON API."""

from .main import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
