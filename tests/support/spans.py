"""Spans for tests: records to send, and a decoder of the proto3 wire format (zipkin.proto)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import aiozipkin as az

__all__ = [
    "ENDPOINT",
    "KIND_NAMES",
    "accounted",
    "decode_endpoint",
    "decode_list_of_spans",
    "decode_span",
    "make_record",
    "make_records",
    "read_fields",
]

ENDPOINT = az.create_endpoint("svc", ipv4="127.0.0.1", port=8080)


def make_record(n: int = 0, **fields: Any) -> az.Record:
    """The `n`th of a run of distinct finished SERVER spans; `fields` set record attributes."""
    context = az.TraceContext(f"{n + 1:032x}", None, f"{n + 1:016x}", True, False, False)
    record = az.Record(context, ENDPOINT)
    record.name = f"op-{n}"
    record.kind = "SERVER"
    record.timestamp = 1_700_000_000_000_000 + n
    record.duration = 10
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def make_records(count: int, start: int = 0) -> list[az.Record]:
    """`count` records, `make_record(start)` onwards."""
    return [make_record(n) for n in range(start, start + count)]


def accounted(stats: dict[str, int]) -> int:
    """Every span handed over ends up queued, sent or dropped for one cause."""
    return stats["spans_sent"] + stats["spans_dropped"] + stats["queue_spans"]


# --- proto3 -----------------------------------------------------------------------------------


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def read_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a message: ints for varint/fixed64, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = read_varint(buf, pos)
            yield number, value
        elif wire_type == 1:
            yield number, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire_type == 2:
            length, pos = read_varint(buf, pos)
            assert pos + length <= len(buf), "length past the end of the message"
            yield number, buf[pos : pos + length]
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire_type}")
    assert pos == len(buf)


def as_bytes(value: int | bytes) -> bytes:
    assert isinstance(value, bytes)
    return value


def as_int(value: int | bytes) -> int:
    assert isinstance(value, int)
    return value


def decode_endpoint(buf: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in read_fields(buf):
        if number == 1:
            out["serviceName"] = as_bytes(value).decode()
        elif number == 2:
            out["ipv4"] = socket.inet_ntop(socket.AF_INET, as_bytes(value))
        elif number == 3:
            out["ipv6"] = socket.inet_ntop(socket.AF_INET6, as_bytes(value))
        elif number == 4:
            out["port"] = as_int(value)
        else:
            raise AssertionError(f"unknown Endpoint field {number}")
    return out


KIND_NAMES = {1: "CLIENT", 2: "SERVER", 3: "PRODUCER", 4: "CONSUMER"}


_ID_FIELDS = {1: "traceId", 2: "parentId", 3: "id"}
_ENDPOINT_FIELDS = {8: "localEndpoint", 9: "remoteEndpoint"}


def decode_span(buf: bytes) -> dict[str, Any]:
    """A proto3 Span in Zipkin v2 JSON shape, written from zipkin.proto."""
    out: dict[str, Any] = {}
    for number, value in read_fields(buf):
        if number in _ID_FIELDS:
            out[_ID_FIELDS[number]] = as_bytes(value).hex()
        elif number == 4:
            out["kind"] = KIND_NAMES[as_int(value)]
        elif number == 5:
            out["name"] = as_bytes(value).decode()
        elif number in (6, 7):
            out["timestamp" if number == 6 else "duration"] = as_int(value)
        elif number in _ENDPOINT_FIELDS:
            out[_ENDPOINT_FIELDS[number]] = decode_endpoint(as_bytes(value))
        elif number in (10, 11):
            _add_annotation_or_tag(out, number, dict(read_fields(as_bytes(value))))
        elif number in (12, 13):
            assert value == 1
            out["debug" if number == 12 else "shared"] = True
        else:
            raise AssertionError(f"unknown Span field {number}")
    return out


def _add_annotation_or_tag(
    out: dict[str, Any], number: int, fields: dict[int, int | bytes]
) -> None:
    if number == 10:
        annotation = {"timestamp": fields[1], "value": as_bytes(fields[2]).decode()}
        out.setdefault("annotations", []).append(annotation)
    else:
        key = as_bytes(fields[1]).decode()
        out.setdefault("tags", {})[key] = as_bytes(fields.get(2, b"")).decode()


def decode_list_of_spans(buf: bytes) -> list[dict[str, Any]]:
    """A proto3 ListOfSpans as a list of spans in Zipkin v2 JSON shape."""
    spans = []
    for number, value in read_fields(buf):
        assert number == 1
        spans.append(decode_span(as_bytes(value)))
    return spans
