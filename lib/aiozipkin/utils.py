"""aiozipkin 1.1.1's `aiozipkin.utils`: id generators and 64-bit id conversions."""

from __future__ import annotations

from .context import generate_random_64bit_string, generate_random_128bit_string

__all__ = [
    "generate_random_64bit_string",
    "generate_random_128bit_string",
    "signed_int_to_unsigned_hex",
    "unsigned_hex_to_signed_int",
]

_U64 = 1 << 64


def unsigned_hex_to_signed_int(hex_string: str) -> int:
    """A 64-bit hex id as the signed integer Thrift stores (`'b6dbb1c2b362bf51'` is negative)."""
    value = int(hex_string, 16)
    return value - _U64 if value >= _U64 >> 1 else value


def signed_int_to_unsigned_hex(signed_int: int) -> str:
    """A signed 64-bit integer as a hex id, without leading zeros (as 1.1.1 wrote it)."""
    return format(signed_int % _U64, "x")
