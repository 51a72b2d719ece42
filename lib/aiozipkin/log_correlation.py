"""Log correlation: trace and span ids on every log record emitted inside a traced span."""

from __future__ import annotations

import logging
from typing import Final

from .current import _current_span

__all__ = ["LOG_FORMAT", "TraceLogFilter"]

LOG_FORMAT: Final = (
    "%(asctime)s %(levelname)s %(name)s [trace_id=%(trace_id)s span_id=%(span_id)s "
    "sampled=%(sampled)s] %(message)s"
)
"""A format string using the attributes `TraceLogFilter` adds."""


class TraceLogFilter(logging.Filter):
    """Adds `trace_id`, `span_id` and `sampled` to each record ("-" outside any span).

    Attach it to a handler (`handler.addFilter(TraceLogFilter())`) so records of every
    logger that reach the handler carry the ids of the span active when they were emitted.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        span = _current_span.get()
        if span is None:
            record.trace_id = record.span_id = record.sampled = "-"
        else:
            context = span.context
            record.trace_id = context.trace_id
            record.span_id = context.span_id
            record.sampled = "1" if (context.sampled or context.debug) else "0"
        return True
