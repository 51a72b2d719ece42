"""Classifying network addresses for endpoints: the one place that decides what an IP is.

Zipkin and Jaeger refuse a whole upload when one span carries an address that is not an IP,
so anything else is left out of the span (and logged once per distinct value) instead of
raising into the code that set it.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from typing import Final

__all__ = ["checked_fields", "ip_fields"]

logger = logging.getLogger("aiozipkin")

_LOCALHOST4: Final = ("127.0.0.1", None)
_LOCALHOST6: Final = (None, "::1")
# Distinct rejected values remembered, so that each is logged once; emptied when full.
_WARNED_MAX: Final = 1024
_warned: set[tuple[str, str]] = set()

IpFields = tuple[str | None, str | None]


@functools.lru_cache(maxsize=1024)
def ip_fields(host: str) -> IpFields | None:
    """`(ipv4, ipv6)` of an IP address (one of them set), or None for anything else.

    `localhost` is 127.0.0.1; an IPv6 zone (`fe80::1%eth0`) is dropped, as Zipkin has no
    field for it.
    """
    if host.lower() == "localhost":
        return _LOCALHOST4
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0] if "%" in host else host)
    except ValueError:
        return None
    if address.version == 4:
        return (str(address), None)
    return (None, str(address))


def _rejected(field: str, value: object) -> None:
    key = (field, repr(value))
    if key in _warned:
        return
    if len(_warned) >= _WARNED_MAX:
        _warned.clear()
    _warned.add(key)
    logger.warning("aiozipkin: %s %r is not usable in an endpoint; it is left out", field, value)


def _address(field: str, value: object) -> IpFields | None:
    fields = ip_fields(value) if isinstance(value, str) else None
    if fields is _LOCALHOST4 and field == "ipv6":
        return _LOCALHOST6
    if fields is None:
        _rejected(field, value)
    return fields


def _port(value: object) -> int | None:
    port: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        port = value
    elif isinstance(value, str) and value.strip().isdigit():
        port = int(value)
    if port is None or not 0 <= port <= 65535:
        _rejected("port", value)
        return None
    return port


def checked_fields(
    ipv4: object, ipv6: object, port: object
) -> tuple[str | None, str | None, int | None]:
    """Endpoint address fields as Zipkin accepts them; never raises.

    A numeric string port becomes an int; an address of the other family moves to its own
    field when that one is empty; a hostname, a bad value or a port out of range is dropped.
    """
    out4: str | None = None
    out6: str | None = None
    if ipv4 is not None:
        fields = _address("ipv4", ipv4)
        if fields is not None:
            out4, out6 = fields
    if ipv6 is not None:
        fields = _address("ipv6", ipv6)
        if fields is not None:
            if fields[1] is not None:
                out6 = fields[1]
            elif out4 is None:
                out4 = fields[0]
    return out4, out6, None if port is None else _port(port)
