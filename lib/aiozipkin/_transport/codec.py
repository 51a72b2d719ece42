"""How one span is encoded, and how encoded spans are framed into one message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

from ..encoding import Encoding, _proto3_list_entry, encode_span_json
from ..record import Record

__all__ = ["CODECS", "Codec", "parse_encoding"]


class Codec(NamedTuple):
    """One span's encoder, and the bytes around and between the spans of a message."""

    content_type: str
    encode: Callable[[Record], bytes]
    start: bytes
    separator: bytes
    end: bytes


CODECS: Final = {
    # A JSON list of spans.
    Encoding.JSON: Codec(Encoding.JSON.content_type, encode_span_json, b"[", b",", b"]"),
    # Each proto3 span is already framed as a `ListOfSpans.spans` entry: a list is a concat.
    Encoding.PROTO3: Codec(Encoding.PROTO3.content_type, _proto3_list_entry, b"", b"", b""),
}


def parse_encoding(value: Encoding | str) -> Encoding:
    """The `Encoding` named by `value`; a ValueError naming the setting otherwise."""
    try:
        return Encoding(value)
    except ValueError:
        choices = ", ".join(repr(e.value) for e in Encoding)
        raise ValueError(f"encoding must be one of {choices}, got {value!r}") from None
