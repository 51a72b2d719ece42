"""The shop page: static HTML, CSS and JavaScript shipped in the package, calling the JSON API."""

from __future__ import annotations

import functools
import html
from pathlib import Path

from .settings import Settings

__all__ = ["STATIC_DIR", "STATIC_PREFIX", "render_page"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static/"

_PLACEHOLDERS = ("{{zipkin_ui}}", "{{jaeger_ui}}", "{{jaeger_has_ui}}")


@functools.cache
def _template() -> str:
    # Read once, on the first request: the app factory does no I/O.
    text = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    missing = [p for p in _PLACEHOLDERS if p not in text]
    if missing:
        raise RuntimeError(f"{STATIC_DIR / 'index.html'} lacks the placeholders {missing}")
    return text


def render_page(settings: Settings) -> str:
    """index.html with the collectors' UI URLs filled in (as HTML attribute values)."""
    return (
        _template()
        .replace("{{zipkin_ui}}", html.escape(settings.zipkin_ui_url, quote=True))
        .replace("{{jaeger_ui}}", html.escape(settings.jaeger_ui_url, quote=True))
        .replace("{{jaeger_has_ui}}", "true" if settings.jaeger_has_ui else "false")
    )
