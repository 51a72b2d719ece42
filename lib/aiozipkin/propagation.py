"""Reading and writing trace contexts: B3 (multiple and single header) and W3C trace context.

Malformed input is treated as absent: it never raises, and the caller starts a new trace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Final, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy

from .context import TraceContext

__all__ = [
    "B3_MULTI",
    "B3_SINGLE",
    "DEFAULT_INJECT_FORMATS",
    "FORMATS",
    "W3C",
    "Extracted",
    "extract",
    "extract_message",
    "inject",
    "inject_message",
    "make_context",
    "validate_formats",
]

B3_MULTI: Final = "b3multi"
B3_SINGLE: Final = "b3"
W3C: Final = "tracecontext"
FORMATS: Final = (B3_MULTI, B3_SINGLE, W3C)
DEFAULT_INJECT_FORMATS: Final = (B3_MULTI,)

_ID64 = re.compile(r"[0-9a-f]{16}")
_TRACE_ID = re.compile(r"[0-9a-f]{16}(?:[0-9a-f]{16})?")
_W3C = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.DOTALL)
_TRACESTATE_CHARS = re.compile(r"[\x20-\x7e]*")
_ZERO16 = "0" * 16
_ZERO32 = "0" * 32
# Longest valid `b3` value: 32 + 1 + 16 + 2 + 17 characters.
_B3_MAX = 68
_TRACESTATE_MAX = 512
_TRACESTATE_MAX_MEMBERS = 32
_SAMPLED_VALUES: Final[Mapping[str, bool]] = {"1": True, "0": False, "true": True, "false": False}
_SINGLE_SAMPLING: Final[Mapping[str, tuple[bool, bool]]] = {
    "1": (True, False),
    "0": (False, False),
    "d": (True, True),
}


class Extracted(NamedTuple):
    """What incoming headers said: a full context, or only a sampling decision, or nothing."""

    context: TraceContext | None = None
    sampled: bool | None = None
    debug: bool = False


_NOTHING: Final = Extracted()

_Lookup = Callable[[str], "str | None"]


_MULTIDICTS: Final = (CIMultiDictProxy, CIMultiDict)


def _lookup(headers: Mapping[str, str]) -> _Lookup:
    if isinstance(headers, _MULTIDICTS):
        return headers.get  # case-insensitive; the first value wins
    lowered: dict[str, str] = {}
    for key, value in headers.items():
        lowered.setdefault(key.lower(), value)
    return lowered.get


def _trace_id(value: str) -> str | None:
    value = value.lower()
    if _TRACE_ID.fullmatch(value) is None or value in (_ZERO16, _ZERO32):
        return None
    return value


def _span_id(value: str) -> str | None:
    value = value.lower()
    if _ID64.fullmatch(value) is None or value == _ZERO16:
        return None
    return value


def _parse_b3_single(value: str) -> Extracted | None:
    if not value or len(value) > _B3_MAX:
        return None
    parts = value.split("-")
    if len(parts) == 1:
        decision = _SINGLE_SAMPLING.get(parts[0])
        if decision is None:
            return None
        return Extracted(None, decision[0], decision[1])
    if len(parts) > 4:
        return None
    trace_id = _trace_id(parts[0])
    span_id = _span_id(parts[1])
    if trace_id is None or span_id is None:
        return None
    sampled: bool | None = None
    debug = False
    if len(parts) >= 3:
        decision = _SINGLE_SAMPLING.get(parts[2])
        if decision is None:
            return None
        sampled, debug = decision
    parent_id = None
    if len(parts) == 4:
        parent_id = _span_id(parts[3])
        if parent_id is None:
            return None
    return Extracted(TraceContext(trace_id, parent_id, span_id, sampled, debug, False))


def _parse_b3_multi(get: _Lookup) -> Extracted | None:
    raw_trace = get("x-b3-traceid")
    raw_span = get("x-b3-spanid")
    raw_sampled = get("x-b3-sampled")
    debug = get("x-b3-flags") == "1"
    sampled: bool | None = None
    if raw_sampled is not None:
        sampled = _SAMPLED_VALUES.get(raw_sampled.lower())
        if sampled is None:
            return None
    if debug:
        sampled = True
    if raw_trace is None and raw_span is None:
        if sampled is None:
            return None
        return Extracted(None, sampled, debug)
    if raw_trace is None or raw_span is None:
        return None
    trace_id = _trace_id(raw_trace)
    span_id = _span_id(raw_span)
    if trace_id is None or span_id is None:
        return None
    parent_id = None
    raw_parent = get("x-b3-parentspanid")
    if raw_parent is not None:
        parent_id = _span_id(raw_parent)
        if parent_id is None:
            return None
    return Extracted(TraceContext(trace_id, parent_id, span_id, sampled, debug, False))


def _parse_tracestate(value: str | None) -> str | None:
    if not value or len(value) > _TRACESTATE_MAX or _TRACESTATE_CHARS.fullmatch(value) is None:
        return None
    if value.count(",") >= _TRACESTATE_MAX_MEMBERS:
        return None
    return value


def _parse_w3c(get: _Lookup) -> Extracted | None:
    value = get("traceparent")
    if value is None or len(value) > 512:
        return None
    match = _W3C.fullmatch(value)
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == _ZERO32 or span_id == _ZERO16:
        return None
    sampled = bool(int(flags, 16) & 1)
    tracestate = _parse_tracestate(get("tracestate"))
    return Extracted(TraceContext(trace_id, None, span_id, sampled, False, False, tracestate))


def extract(headers: Mapping[str, str], *, prefer: str = B3_MULTI) -> Extracted:
    """Read a trace context from any supported format; never raises.

    The single B3 header wins over multiple B3 headers. B3 wins over W3C when both are
    present, unless `prefer` is `W3C`.
    """
    try:
        get = _lookup(headers)
        traceparent = get("traceparent")
        if traceparent is not None and prefer == W3C:
            return _parse_w3c(get) or _NOTHING
        single = get("b3")
        if single is not None:
            return _parse_b3_single(single) or _NOTHING
        if (
            get("x-b3-traceid") is not None
            or get("x-b3-sampled") is not None
            or get("x-b3-flags") is not None
        ):
            found = _parse_b3_multi(get)
            if found is not None or traceparent is None:
                return found or _NOTHING
        if traceparent is None:
            return _NOTHING  # the common case of a request from outside: nothing to read
        return _parse_w3c(get) or _NOTHING
    except (TypeError, ValueError, AttributeError):
        # A carrier with non-string keys or values: treat it as carrying nothing.
        return _NOTHING


def make_context(headers: Mapping[str, str]) -> TraceContext | None:
    """Build a TraceContext from headers, or None when they carry no valid context."""
    return extract(headers).context


def inject(
    context: TraceContext,
    headers: MutableMapping[str, str],
    formats: Iterable[str] = DEFAULT_INJECT_FORMATS,
) -> None:
    """Write `context` into `headers` in each of `formats`."""
    for fmt in formats:
        if fmt == B3_MULTI:
            headers.update(context.make_headers())
        elif fmt == B3_SINGLE:
            headers["b3"] = context.single_header_value()
        elif fmt == W3C:
            headers["traceparent"] = context.make_traceparent()
            if context.tracestate:
                headers["tracestate"] = context.tracestate
        else:
            raise ValueError(f"unknown propagation format {fmt!r}; expected one of {FORMATS}")


def inject_message(context: TraceContext, carrier: MutableMapping[str, str]) -> None:
    """Write `context` into message headers: the B3 single header without parent id."""
    carrier["b3"] = context.single_header_value(include_parent=False)
    if context.tracestate:
        carrier["tracestate"] = context.tracestate


def extract_message(carrier: Mapping[str, str]) -> TraceContext | None:
    """Read a trace context from message headers written by `inject_message` or a peer."""
    context = extract(carrier).context
    if context is None or context.tracestate is not None:
        return context
    # `inject_message` writes tracestate beside the `b3` header; read it back with it.
    try:
        tracestate = _parse_tracestate(_lookup(carrier)("tracestate"))
    except (TypeError, ValueError, AttributeError):
        return context
    return context if tracestate is None else context._replace(tracestate=tracestate)


def validate_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """Check a list of propagation format names; raises ValueError naming a bad one."""
    result = tuple(formats)
    for fmt in result:
        if fmt not in FORMATS:
            raise ValueError(f"unknown propagation format {fmt!r}; expected one of {FORMATS}")
    if not result:
        raise ValueError("at least one propagation format is needed")
    return result
