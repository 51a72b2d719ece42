"""aiozipkin 1.1.1's `aiozipkin.helpers`, kept for code that imports from it.

`TraceContext`, `Endpoint`, `create_endpoint`, `make_context` and the span kinds are the
same objects as in `aiozipkin`. The functions that were internal in 1.1.1 still work and
warn with a `DeprecationWarning` that names their replacement.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ._deprecated import moved_names
from .constants import CLIENT, CONSUMER, PRODUCER, SERVER
from .context import Endpoint, TraceContext, create_endpoint
from .propagation import extract, make_context

__all__ = [
    "CLIENT",
    "CONSUMER",
    "DEBUG_MARKER",
    "DELIMITER",
    "FLAGS_HEADER",
    "PARENT_ID_HEADER",
    "PRODUCER",
    "SAMPLED_ID_HEADER",
    "SERVER",
    "SINGLE_HEADER",
    "SPAN_ID_HEADER",
    "TRACE_ID_HEADER",
    "Endpoint",
    "TraceContext",
    "create_endpoint",
    "filter_none",
    "make_context",
    "make_headers",
    "make_single_header",
    "make_timestamp",
    "parse_debug_header",
    "parse_sampled_header",
]

# The B3 header names (https://github.com/openzipkin/b3-propagation).
TRACE_ID_HEADER: Final = "X-B3-TraceId"
SPAN_ID_HEADER: Final = "X-B3-SpanId"
PARENT_ID_HEADER: Final = "X-B3-ParentSpanId"
FLAGS_HEADER: Final = "X-B3-Flags"
SAMPLED_ID_HEADER: Final = "X-B3-Sampled"
SINGLE_HEADER: Final = "b3"
DELIMITER: Final = "-"
DEBUG_MARKER: Final = "d"


def _make_headers(context: TraceContext) -> dict[str, str]:
    return context.make_headers()


def _make_single_header(context: TraceContext) -> dict[str, str]:
    return context.make_single_header()


def _parse_sampled_header(headers: Mapping[str, str]) -> bool | None:
    found = extract(headers)
    return found.sampled if found.context is None else found.context.sampled


def _parse_debug_header(headers: Mapping[str, str]) -> bool:
    found = extract(headers)
    return found.debug if found.context is None else found.context.debug


def _make_timestamp(ts: float | None = None) -> int:
    return time.time_ns() // 1000 if ts is None else int(ts * 1_000_000)


def _filter_none(data: dict[str, Any], keys: list[str] | None = None) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None or (keys is not None and k not in keys)}


if TYPE_CHECKING:
    make_headers = _make_headers
    make_single_header = _make_single_header
    parse_sampled_header = _parse_sampled_header
    parse_debug_header = _parse_debug_header
    make_timestamp = _make_timestamp
    filter_none = _filter_none

__getattr__ = moved_names(
    __name__,
    {
        "make_headers": (_make_headers, "TraceContext.make_headers()"),
        "make_single_header": (_make_single_header, "TraceContext.make_single_header()"),
        "parse_sampled_header": (_parse_sampled_header, "aiozipkin.extract(headers)"),
        "parse_debug_header": (_parse_debug_header, "aiozipkin.extract(headers)"),
        "make_timestamp": (_make_timestamp, "time.time_ns() // 1000"),
        "filter_none": (_filter_none, "a dict comprehension"),
    },
)
