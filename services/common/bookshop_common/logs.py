"""Logging set-up: one line per record, with the active trace and span ids."""

from __future__ import annotations

import logging
import sys

import aiozipkin as az

__all__ = ["setup_logging"]


def setup_logging(service_name: str, level: str) -> None:
    """Log to stderr with `trace_id`/`span_id` on every line ("-" outside a trace)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(az.TraceLogFilter())
    handler.setFormatter(
        logging.Formatter(
            f"%(asctime)s %(levelname)s {service_name} "
            "[trace_id=%(trace_id)s span_id=%(span_id)s] %(name)s: %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
