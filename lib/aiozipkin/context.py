"""Values that travel with a trace: the trace context and the endpoint of a service."""

from __future__ import annotations

import random
from typing import Any, NamedTuple

from ._address import checked_fields

__all__ = [
    "Endpoint",
    "TraceContext",
    "create_endpoint",
    "generate_random_64bit_string",
    "generate_random_128bit_string",
]

# The module generator reseeds itself in a forked child, and is several times cheaper than
# os.urandom; trace ids need uniqueness, not secrecy.
_getrandbits = random.getrandbits


_ZERO16 = "0" * 16
_ZERO32 = "0" * 32


# Ids are on every span's path: int.to_bytes(...).hex() is about twice as fast as
# %-formatting (and keeps the leading zeros of the fixed width).
def generate_random_64bit_string() -> str:
    """Return a new, never all-zero, 64-bit id as 16 lower-case hex characters."""
    value = _getrandbits(64)
    while not value:
        value = _getrandbits(64)
    return value.to_bytes(8, "big").hex()


def generate_random_128bit_string() -> str:
    """Return a new, never all-zero, 128-bit id as 32 lower-case hex characters."""
    value = _getrandbits(128)
    while not value:
        value = _getrandbits(128)
    return value.to_bytes(16, "big").hex()


def _new_ids_128() -> tuple[str, str]:
    """A 128-bit trace id and a 64-bit span id, both never all-zero, from one random draw."""
    ids = _getrandbits(192).to_bytes(24, "big").hex()
    trace_id = ids[:32]
    span_id = ids[32:]
    if trace_id == _ZERO32 or span_id == _ZERO16:
        return generate_random_128bit_string(), generate_random_64bit_string()
    return trace_id, span_id


def _new_ids_64() -> tuple[str, str]:
    """A 64-bit trace id and a 64-bit span id, both never all-zero, from one random draw."""
    ids = _getrandbits(128).to_bytes(16, "big").hex()
    trace_id = ids[:16]
    span_id = ids[16:]
    if trace_id == _ZERO16 or span_id == _ZERO16:
        return generate_random_64bit_string(), generate_random_64bit_string()
    return trace_id, span_id


class Endpoint(NamedTuple):
    """A service as Zipkin sees it: its name and network address."""

    serviceName: str | None
    ipv4: str | None = None
    ipv6: str | None = None
    port: int | None = None

    def asdict(self) -> dict[str, Any]:
        """The endpoint in Zipkin v2 JSON shape, without empty fields."""
        out: dict[str, Any] = {}
        if self.serviceName:
            out["serviceName"] = self.serviceName
        if self.ipv4 is not None:
            out["ipv4"] = self.ipv4
        if self.ipv6 is not None:
            out["ipv6"] = self.ipv6
        if self.port is not None:
            out["port"] = self.port
        return out


def create_endpoint(
    service_name: str | None,
    *,
    ipv4: str | None = None,
    ipv6: str | None = None,
    port: int | str | None = None,
) -> Endpoint:
    """Build an `Endpoint`; never raises.

    `localhost` is 127.0.0.1 and a numeric string port an int. A value Zipkin would refuse
    (a hostname, a port out of range) is left out and logged once.
    """
    if service_name is not None and type(service_name) is not str:
        service_name = str(service_name)
    return Endpoint(service_name, *checked_fields(ipv4, ipv6, port))


class TraceContext(NamedTuple):
    """Immutable trace state that crosses process boundaries.

    `sampled` is True (accept), False (deny) or None (deferred: the receiver decides).
    `tracestate` is the W3C `tracestate` value, carried through unchanged.
    """

    trace_id: str
    parent_id: str | None
    span_id: str
    sampled: bool | None
    debug: bool
    shared: bool
    tracestate: str | None = None

    def make_headers(self) -> dict[str, str]:
        """B3 multiple headers for this context."""
        headers = {"X-B3-TraceId": self.trace_id, "X-B3-SpanId": self.span_id}
        if self.parent_id is not None:
            headers["X-B3-ParentSpanId"] = self.parent_id
        if self.debug:
            headers["X-B3-Flags"] = "1"
        elif self.sampled is not None:
            headers["X-B3-Sampled"] = "1" if self.sampled else "0"
        return headers

    def make_single_header(self, *, include_parent: bool = True) -> dict[str, str]:
        """The B3 single header (`b3`) for this context."""
        return {"b3": self.single_header_value(include_parent=include_parent)}

    def single_header_value(self, *, include_parent: bool = True) -> str:
        """The value of the `b3` header; without the parent id for messaging."""
        value = f"{self.trace_id}-{self.span_id}"
        if self.debug:
            value += "-d"
        elif self.sampled is not None:
            value += "-1" if self.sampled else "-0"
        else:
            # A parent id can only follow a sampling field; a deferred decision has none.
            return value
        if include_parent and self.parent_id is not None:
            value += f"-{self.parent_id}"
        return value

    def make_traceparent(self) -> str:
        """The W3C `traceparent` value; a 64-bit trace id is left-padded to 128 bits."""
        flags = "01" if (self.sampled or self.debug) else "00"
        return f"00-{self.trace_id.rjust(32, '0')}-{self.span_id}-{flags}"
