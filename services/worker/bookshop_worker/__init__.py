"""Bookshop worker: ships the orders queued by the backend."""

from .main import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
