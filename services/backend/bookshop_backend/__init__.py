"""Bookshop backend: books through the cache, orders through the database and the job queue."""

from .main import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
