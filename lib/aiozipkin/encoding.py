"""Span encodings for upload: Zipkin v2 JSON and proto3 `ListOfSpans`, written by hand.

Both encoders build each span's bytes directly instead of going through `Record.asdict()`:
the JSON of an endpoint is cached, strings are escaped by the stdlib's C escaper, and the
proto3 form follows zipkin.proto field by field, so neither needs a third-party library.
"""

from __future__ import annotations

import enum
import socket
import struct
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _json_str
from typing import Final, Generic, TypeVar

from .context import Endpoint
from .record import Record

__all__ = [
    "Encoding",
    "encode_json",
    "encode_proto3",
    "encode_span_json",
    "encode_span_proto3",
]


class Encoding(str, enum.Enum):
    """How spans are encoded on the wire."""

    JSON = "json"
    PROTO3 = "proto3"

    @property
    def content_type(self) -> str:
        """The `Content-Type` of a list of spans in this encoding."""
        return _CONTENT_TYPES[self]


_CONTENT_TYPES: Final = {
    Encoding.JSON: "application/json",
    Encoding.PROTO3: "application/x-protobuf",
}

# Endpoints repeat: the local one is the same object for every span of a tracer, and remote
# ones come from a handful of peers. Their encoded forms are cached, bounded by this count.
_ENDPOINT_CACHE_SIZE: Final = 512
_T = TypeVar("_T", str, bytes)


class _EndpointCache(Generic[_T]):
    """Encoded endpoints: the last one by identity (the local endpoint), others by value."""

    __slots__ = ("_encode", "_last", "_values")

    def __init__(self, encode: Callable[[Endpoint], _T], empty: _T) -> None:
        self._encode: Callable[[Endpoint], _T] = encode
        # One tuple, replaced whole, so that a reader never pairs an endpoint with another's value.
        self._last: tuple[Endpoint | None, _T] = (None, empty)
        self._values: dict[Endpoint, _T] = {}

    def local(self, endpoint: Endpoint) -> _T:
        last = self._last
        if last[0] is endpoint:
            return last[1]
        value = self.get(endpoint)
        self._last = (endpoint, value)
        return value

    def get(self, endpoint: Endpoint) -> _T:
        value = self._values.get(endpoint)
        if value is None:
            value = self._encode(endpoint)
            if len(self._values) >= _ENDPOINT_CACHE_SIZE:
                self._values.clear()
            self._values[endpoint] = value
        return value


# --- JSON -----------------------------------------------------------------------------------

_JSON_KINDS: Final = {
    kind: f',"kind":"{kind}"' for kind in ("CLIENT", "SERVER", "PRODUCER", "CONSUMER")
}
_int = int.__repr__  # str() of an int that refuses floats and strings (TypeError)


def _json_endpoint(endpoint: Endpoint) -> str:
    fields = []
    if endpoint.serviceName:
        fields.append('"serviceName":' + _json_str(endpoint.serviceName))
    if endpoint.ipv4 is not None:
        fields.append('"ipv4":' + _json_str(endpoint.ipv4))
    if endpoint.ipv6 is not None:
        fields.append('"ipv6":' + _json_str(endpoint.ipv6))
    if endpoint.port is not None:
        fields.append('"port":' + _int(endpoint.port))
    return "{" + ",".join(fields) + "}"


_json_endpoints: Final = _EndpointCache(_json_endpoint, "")


# Span names, annotation values and whole tags repeat (a route, "GET", "200"): their JSON is
# cached when short, in dicts emptied when full, so that memory stays bounded. Kept in this
# module: read from another one, the same lookups cost about 10% more per span (callgrind,
# bench/middleware.py's encoding of 100 spans: 24.4k instructions a span against 22.1k).
_TEXT_CACHE_SIZE: Final = 4096
_TEXT_CACHE_MAX_LEN: Final = 128
_texts: dict[str, str] = {}
_tags: dict[tuple[str, str], str] = {}


def _text_json(text: str) -> str:
    value = _json_str(text)
    if len(value) <= _TEXT_CACHE_MAX_LEN:
        if len(_texts) >= _TEXT_CACHE_SIZE:
            _texts.clear()
        _texts[text] = value
    return value


def _tag_json(tag: tuple[str, str]) -> str:
    value = f"{_json_str(tag[0])}:{_json_str(tag[1])}"
    if len(value) <= _TEXT_CACHE_MAX_LEN:
        if len(_tags) >= _TEXT_CACHE_SIZE:
            _tags.clear()
        _tags[tag] = value
    return value


_PARENT_ID: Final = ',"parentId":'
_KIND: Final = ',"kind":'
_NAME: Final = ',"name":'
_TIMESTAMP: Final = ',"timestamp":'
_DURATION: Final = ',"duration":'
_DEBUG: Final = ',"debug":true'
_SHARED: Final = ',"shared":true'
_LOCAL: Final = ',"localEndpoint":'
_REMOTE: Final = ',"remoteEndpoint":'


def _span_json(record: Record) -> str:
    """The span's JSON object as text; the same fields, under the same rules, as `asdict()`."""
    # One f-string joins every piece at once; each optional field is "" when absent.
    parent_id = record.parent_id
    kind = record.kind
    name = record.name
    timestamp = record.timestamp
    duration = record.duration
    local = record.local_endpoint
    remote = record.remote_endpoint
    annotations = record.annotations
    tags = record.tags
    return (
        f'{{"traceId":{_json_str(record.trace_id)}'
        f"{'' if parent_id is None else _PARENT_ID + _json_str(parent_id)}"
        f',"id":{_json_str(record.id)}'
        f"{'' if kind is None else (_JSON_KINDS.get(kind) or _KIND + _json_str(kind))}"
        f"{'' if name is None else _NAME + (_texts.get(name) or _text_json(name))}"
        f"{'' if timestamp is None else _TIMESTAMP + _int(timestamp)}"
        f"{'' if duration is None else _DURATION + _int(duration)}"
        f"{_DEBUG if record.debug else ''}"
        f"{_SHARED if record.shared else ''}"
        f"{'' if local is None else _LOCAL + _json_endpoints.local(local)}"
        f"{'' if remote is None else _REMOTE + _json_endpoints.get(remote)}"
        f"{_json_annotations(annotations) if annotations else ''}"
        f"{_json_tags(tags) if tags else ''}}}"
    )


def _json_annotations(annotations: list[tuple[int, str]]) -> str:
    items = [
        f'{{"timestamp":{_int(ts)},"value":{_texts.get(value) or _text_json(value)}}}'
        for ts, value in annotations
    ]
    return ',"annotations":[' + ",".join(items) + "]"


def _json_tags(tags: dict[str, str]) -> str:
    items = [_tags.get(tag) or _tag_json(tag) for tag in tags.items()]
    return ',"tags":{' + ",".join(items) + "}"


def encode_span_json(record: Record) -> bytes:
    """One span as a Zipkin v2 JSON object, UTF-8; `json.loads` of it equals `asdict()`.

    Raises TypeError when a field has the wrong type (a float timestamp, a non-string tag):
    Zipkin would reject the whole batch that carried such a span.
    """
    # A lone surrogate cannot be UTF-8; it only occurs inside a JSON string, where
    # "\\udXXX" (what backslashreplace writes) is its JSON escape.
    return _span_json(record).encode("utf-8", "backslashreplace")


def encode_json(records: Iterable[Record]) -> bytes:
    """A list of spans as a Zipkin v2 JSON array (the body of POST /api/v2/spans)."""
    text = "[" + ",".join([_span_json(record) for record in records]) + "]"
    return text.encode("utf-8", "backslashreplace")


# --- proto3 ---------------------------------------------------------------------------------

_PROTO_KINDS: Final = {
    "CLIENT": b" \x01",
    "SERVER": b" \x02",
    "PRODUCER": b" \x03",
    "CONSUMER": b" \x04",
}
_ONE_BYTE: Final = tuple(bytes((n,)) for n in range(128))
_fixed64 = struct.Struct("<Q").pack
_U64: Final = (1 << 64) - 1


def _varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    value &= _U64  # a negative int32/int64 is written as its 64-bit two's complement
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, data: bytes) -> bytes:
    """A length-delimited field (wire type 2): tag, length, data."""
    size = len(data)
    return tag + (_ONE_BYTE[size] if size < 0x80 else _varint(size)) + data


def _utf8(text: str) -> bytes:
    # Proto3 strings must be valid UTF-8; a lone surrogate becomes "?" rather than fail.
    return text.encode("utf-8", "replace")


def _id_field(tag: bytes, value: str) -> bytes:
    # Ids are lower-hex; the proto form is their big-endian bytes (ValueError otherwise).
    return _field(tag, bytes.fromhex(value))


def _proto_endpoint(endpoint: Endpoint) -> bytes:
    out = b""
    if endpoint.serviceName:
        out += _field(b"\x0a", _utf8(endpoint.serviceName))
    if endpoint.ipv4 is not None:
        out += _field(b"\x12", socket.inet_pton(socket.AF_INET, endpoint.ipv4))
    if endpoint.ipv6 is not None:
        out += _field(b"\x1a", socket.inet_pton(socket.AF_INET6, endpoint.ipv6))
    if endpoint.port:
        out += b"\x20" + _varint(int(endpoint.port))
    # An endpoint with no field is left out of the span altogether.
    return out and _field(b"\x42", out)


def _proto_remote_endpoint(endpoint: Endpoint) -> bytes:
    local = _proto_endpoint(endpoint)
    return local and b"\x4a" + local[1:]


# Cached as whole fields: tag 8 (local endpoint) and tag 9 (remote endpoint).
_proto_locals: Final = _EndpointCache(_proto_endpoint, b"")
_proto_remotes: Final = _EndpointCache(_proto_remote_endpoint, b"")


def encode_span_proto3(record: Record) -> bytes:
    """One span as a proto3 `zipkin.proto3.Span` message.

    Fields at their proto3 default (empty strings, zero timestamps or ports, false flags)
    are left out, as the format prescribes; a kind other than the four Zipkin kinds is
    dropped. Raises ValueError or TypeError for ids that are not hex or bad field types.
    """
    parts = [_id_field(b"\x0a", record.trace_id)]
    add = parts.append
    if record.parent_id is not None:
        add(_id_field(b"\x12", record.parent_id))
    add(_id_field(b"\x1a", record.id))
    kind = record.kind
    if kind is not None:
        add(_PROTO_KINDS.get(kind, b""))
    if record.name:
        add(_field(b"\x2a", _utf8(record.name)))
    if record.timestamp:
        add(b"\x31" + _fixed64(record.timestamp))
    if record.duration:
        add(b"\x38" + _varint(record.duration))
    if record.local_endpoint is not None:
        add(_proto_locals.local(record.local_endpoint))
    if record.remote_endpoint is not None:
        add(_proto_remotes.get(record.remote_endpoint))
    _add_proto_tail(record, add)
    return b"".join(parts)


def _add_proto_tail(record: Record, add: Callable[[bytes], None]) -> None:
    """The annotations (field 10), tags (11) and the debug (12) and shared (13) flags."""
    for ts, value in record.annotations or ():
        add(_field(b"\x52", b"\x09" + _fixed64(ts) + _field(b"\x12", _utf8(value))))
    for key, value in (record.tags or {}).items():
        add(_field(b"\x5a", _field(b"\x0a", _utf8(key)) + _field(b"\x12", _utf8(value))))
    if record.debug:
        add(b"\x60\x01")
    if record.shared:
        add(b"\x68\x01")


def _proto3_list_entry(record: Record) -> bytes:
    """The span as one element of `ListOfSpans.spans`: a list is these entries, concatenated."""
    return _field(b"\x0a", encode_span_proto3(record))


def encode_proto3(records: Iterable[Record]) -> bytes:
    """A list of spans as a proto3 `zipkin.proto3.ListOfSpans` message."""
    return b"".join([_proto3_list_entry(record) for record in records])
