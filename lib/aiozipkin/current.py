"""The span active in the running task, through contextvars (never thread-locals)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import TraceContext
    from .span import SpanAbc

__all__ = ["current_context", "current_span"]

_current_span: ContextVar[SpanAbc | None] = ContextVar("aiozipkin_current_span", default=None)


def current_span() -> SpanAbc | None:
    """The span entered last (`with span:` or the aiohttp middleware) in this task."""
    return _current_span.get()


def current_context() -> TraceContext | None:
    """The context of `current_span()`, for starting a child with `tracer.new_child(ctx)`."""
    span = _current_span.get()
    return None if span is None else span.context
