"""The hand-written encoders: JSON is `asdict()` less empty fields; proto3 per zipkin.proto."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiozipkin as az
from aiozipkin import encoding
from aiozipkin.encoding import (
    Encoding,
    encode_json,
    encode_proto3,
    encode_span_json,
    encode_span_proto3,
)
from tests.support.spans import decode_list_of_spans, decode_span

LOCAL = az.create_endpoint("frontend", ipv4="127.0.0.1", port=8080)
TRICKY = ['"', "\\", "\n", "\r\t", "\x00", "\x1f", "\x7f", "\u2028", "é", "😀", "</x>", "'"]


def make_record(
    trace_id: str = "463ac35c9f6413ad48485a3953bb6124",
    span_id: str = "a2fb4a1d1a96d312",
    parent_id: str | None = None,
    *,
    local: az.Endpoint | None = LOCAL,
    debug: bool = False,
    shared: bool = False,
    **fields: Any,
) -> az.Record:
    context = az.TraceContext(trace_id, parent_id, span_id, True, debug, shared)
    record = az.Record(context, local)
    for key, value in fields.items():
        setattr(record, key, value)
    return record


# --- strategies ------------------------------------------------------------------------------

_ESCAPED = st.sampled_from([c for c in TRICKY if len(c) == 1])
# A high surrogate followed by a low one reads back from JSON as one character, in the
# stdlib's json as anywhere else; only such pairs are kept out of the lone surrogates.
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
texts = st.text(alphabet=st.one_of(st.characters(), _ESCAPED), max_size=24).filter(
    lambda text: _SURROGATE_PAIR.search(text) is None
)
# Proto3 strings are UTF-8, which has no surrogates (their replacement is tested apart).
utf8_texts = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=["Cs"]), _ESCAPED), max_size=24
)
hex64 = st.integers(1, 2**64 - 1).map(lambda v: f"{v:016x}")
hex128 = st.integers(1, 2**128 - 1).map(lambda v: f"{v:032x}")
kinds = st.one_of(st.none(), st.sampled_from(["CLIENT", "SERVER", "PRODUCER", "CONSUMER"]))
micros = st.integers(0, 2**63 - 1)


def endpoints(text: st.SearchStrategy[str]) -> st.SearchStrategy[az.Endpoint]:
    return st.builds(
        az.Endpoint,
        serviceName=st.one_of(st.none(), text),
        ipv4=st.one_of(st.none(), st.ip_addresses(v=4).map(str)),
        ipv6=st.one_of(st.none(), st.ip_addresses(v=6).map(str)),
        port=st.one_of(st.none(), st.integers(0, 65535)),
    )


@st.composite
def records(
    draw: st.DrawFn,
    kind_strategy: st.SearchStrategy[str | None] = kinds,
    text: st.SearchStrategy[str] = texts,
) -> az.Record:
    context = az.TraceContext(
        draw(st.one_of(hex64, hex128)),
        draw(st.one_of(st.none(), hex64)),
        draw(hex64),
        True,
        draw(st.booleans()),
        draw(st.booleans()),
    )
    record = az.Record(context, draw(st.one_of(st.none(), endpoints(text))))
    record.remote_endpoint = draw(st.one_of(st.none(), endpoints(text)))
    record.kind = draw(kind_strategy)
    record.name = draw(st.one_of(st.none(), text))
    record.timestamp = draw(st.one_of(st.none(), micros))
    record.duration = draw(st.one_of(st.none(), micros))
    record.annotations = draw(st.one_of(st.none(), st.lists(st.tuples(micros, text), max_size=4)))
    record.tags = draw(st.one_of(st.none(), st.dictionaries(text, text, max_size=5)))
    return record


def varied_records() -> Iterator[az.Record]:
    """Deterministic records covering each optional field alone and all of them together."""
    yield make_record()
    yield make_record(local=None)
    yield make_record(trace_id="a2fb4a1d1a96d312", parent_id="0000000000000001")
    yield make_record(debug=True, shared=True)
    yield make_record(kind="CLIENT", name="", timestamp=0, duration=0)
    yield make_record(annotations=[], tags={})
    for text in TRICKY:
        yield make_record(
            name=text,
            kind="SERVER",
            annotations=[(1, text), (2, text * 3)],
            tags={text: text, "k" + text: ""},
            local=az.Endpoint(text, None, None, None),
            remote_endpoint=az.Endpoint(text, "10.0.0.1", "::1", 0),
        )
    yield make_record(local=az.Endpoint(None), remote_endpoint=az.Endpoint(""))
    yield make_record(
        parent_id="1" * 16,
        kind="PRODUCER",
        name="send",
        timestamp=1472470996199000,
        duration=207000,
        debug=True,
        remote_endpoint=az.create_endpoint("broker", ipv6="2001:db8::c001", port=9092),
        annotations=[(1472470996199001, "ws"), (1472470996199002, "wr")],
        tags={"messaging.system": "kafka", "empty": ""},
    )


# --- JSON ------------------------------------------------------------------------------------


_WIRE_ORDER = (
    "traceId",
    "parentId",
    "id",
    "kind",
    "name",
    "timestamp",
    "duration",
    "debug",
    "shared",
    "localEndpoint",
    "remoteEndpoint",
    "annotations",
    "tags",
)


def wire_view(record: az.Record) -> dict[str, Any]:
    """`asdict()` (1.1.1's shape, every key) as the encoders send it: empty fields left out."""
    span = record.asdict()
    if record.name is None:
        assert span.pop("name") == "unknown"
    for key in ("parentId", "timestamp", "duration", "localEndpoint", "remoteEndpoint"):
        if span[key] is None:
            del span[key]
    for key in ("debug", "shared", "annotations", "tags"):
        if not span[key]:
            del span[key]
    return {key: span[key] for key in _WIRE_ORDER if key in span}


def assert_json_matches(record: az.Record) -> None:
    data = encode_span_json(record)
    text = data.decode("utf-8")  # strict: the bytes are valid UTF-8
    assert json.loads(text) == wire_view(record)


@pytest.mark.parametrize("record", list(varied_records()))
def test_json_equals_asdict(record: az.Record) -> None:
    assert_json_matches(record)


@settings(max_examples=400, deadline=None)
@given(records(kind_strategy=st.one_of(kinds, texts)))
def test_json_equals_asdict_for_any_record(record: az.Record) -> None:
    assert_json_matches(record)


@settings(max_examples=50, deadline=None)
@given(st.lists(records(), max_size=8))
def test_json_list_is_an_array_of_spans(batch: list[az.Record]) -> None:
    data = encode_json(batch)
    assert json.loads(data) == [wire_view(r) for r in batch]


def test_json_is_compact() -> None:
    record = make_record(name="a", tags={"k": "v"})
    data = encode_span_json(record)
    assert data == json.dumps(wire_view(record), separators=(",", ":")).encode()


# Text with lone surrogates, which UTF-8 cannot encode, by where they stand.
_LONE_SURROGATES = {
    "high": "\ud800",
    "low": "a\udfffb",
    "after-backslash": "\\\ud800",
    "two-highs": "\ud800\ud800",
}


@pytest.mark.parametrize("text", _LONE_SURROGATES.values(), ids=_LONE_SURROGATES.keys())
def test_json_escapes_lone_surrogates(text: str) -> None:
    record = make_record(
        name=text,
        tags={text: text},
        annotations=[(1, text)],
        local=az.Endpoint(text),
        remote_endpoint=az.Endpoint(text + "r"),
    )
    data = encode_span_json(record)
    data.decode("ascii")  # the surrogates became \\u escapes
    assert json.loads(data) == wire_view(record)


def test_json_endpoint_cache_follows_the_endpoint_value() -> None:
    # Many distinct endpoints (more than the cache holds), equal ones as new objects.
    for port in range(2000):
        local = az.create_endpoint(f"svc{port % 7}", ipv4="10.0.0.1", port=port)
        remote = az.create_endpoint("peer", port=port)
        assert_json_matches(make_record(local=local, remote_endpoint=remote))
        same = az.Endpoint(*local)
        assert_json_matches(make_record(local=same, remote_endpoint=az.Endpoint(*remote)))


def test_json_text_caches_stay_bounded() -> None:
    # White-box: the caches are the encoder's private module state.
    size, max_len = encoding._TEXT_CACHE_SIZE, encoding._TEXT_CACHE_MAX_LEN  # noqa: SLF001
    texts, tags = encoding._texts, encoding._tags  # noqa: SLF001
    for n in range(3 * size):
        short = f"v{n}"
        long = "x" * max_len + short
        record = make_record(name=short, tags={"k": short, "l": long}, annotations=[(1, long)])
        assert_json_matches(record)
        assert len(texts) <= size
        assert len(tags) <= size
    assert all(len(value) <= max_len for value in texts.values())
    assert all(len(value) <= max_len for value in tags.values())


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"timestamp": 1.5}, id="float-timestamp"),
        pytest.param({"duration": "10"}, id="str-duration"),
        pytest.param({"tags": {"k": 1}}, id="int-tag"),
        pytest.param({"name": b"bytes"}, id="bytes-name"),
        pytest.param({"annotations": [(1.0, "x")]}, id="float-annotation"),
    ],
)
def test_json_refuses_what_zipkin_would_reject(fields: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        encode_span_json(make_record(**fields))


# --- proto3 ----------------------------------------------------------------------------------


def proto3_view(record: az.Record) -> dict[str, Any]:
    """`asdict()` as proto3 can carry it: default values (0, "", empty) are absent."""
    span = wire_view(record)
    for key in ("name", "timestamp", "duration", "kind"):
        if not span.get(key):
            span.pop(key, None)
    for key in ("localEndpoint", "remoteEndpoint"):
        endpoint = span.get(key)
        if endpoint is None:
            continue
        if not endpoint.get("port"):
            endpoint.pop("port", None)
        if "ipv6" in endpoint:
            packed = socket.inet_pton(socket.AF_INET6, endpoint["ipv6"])
            endpoint["ipv6"] = socket.inet_ntop(socket.AF_INET6, packed)
        if not endpoint:
            del span[key]
    return span


@pytest.mark.parametrize("record", list(varied_records()))
def test_proto3_carries_the_span(record: az.Record) -> None:
    assert decode_span(encode_span_proto3(record)) == proto3_view(record)


@settings(max_examples=300, deadline=None)
@given(st.lists(records(text=utf8_texts), max_size=6))
def test_proto3_list_of_spans(batch: list[az.Record]) -> None:
    assert decode_list_of_spans(encode_proto3(batch)) == [proto3_view(r) for r in batch]


def test_proto3_golden_bytes() -> None:
    record = make_record(
        kind="CLIENT",
        name="get",
        timestamp=1472470996199000,
        duration=207000,
        local=az.create_endpoint("frontend", ipv4="127.0.0.1"),
        tags={"http.path": "/api"},
        shared=True,
    )
    expected = bytes.fromhex(
        "0a10463ac35c9f6413ad48485a3953bb6124"  # 1: trace_id, 16 bytes
        "1a08a2fb4a1d1a96d312"  # 3: id
        "2001"  # 4: kind CLIENT
        "2a03676574"  # 5: name "get"
        "3158a6ab5e343b0500"  # 6: timestamp, fixed64 little-endian
        "3898d10c"  # 7: duration 207000 as a varint
        "42100a0866726f6e74656e6412047f000001"  # 8: localEndpoint "frontend", 127.0.0.1
        "5a110a09687474702e7061746812042f617069"  # 11: tags entry http.path=/api
        "6801"  # 13: shared
    )
    assert encode_span_proto3(record) == expected
    assert encode_proto3([record, record]) == (b"\x0a" + bytes([len(expected)]) + expected) * 2


def test_proto3_writes_long_lengths_and_negative_ports_as_varints() -> None:
    name = "n" * 300
    record = make_record(name=name, local=az.Endpoint("s", port=-1))
    span = decode_span(encode_span_proto3(record))
    assert span["name"] == name
    assert span["localEndpoint"]["port"] == 2**64 - 1  # int32 -1, sign-extended as proto3 does


def test_proto3_leaves_out_an_unknown_kind() -> None:
    assert "kind" not in decode_span(encode_span_proto3(make_record(kind="client")))


def test_proto3_replaces_lone_surrogates() -> None:
    span = decode_span(encode_span_proto3(make_record(name="a\ud800")))
    assert span["name"] == "a?"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"trace_id": "not-hex"}, id="trace-id"),
        pytest.param({"parent_id": "xyz"}, id="parent-id"),
        pytest.param({"local": az.Endpoint("s", ipv4="1.2.3")}, id="ipv4"),
        pytest.param({"local": az.Endpoint("s", ipv6="::g")}, id="ipv6"),
    ],
)
def test_proto3_refuses_bad_values(fields: dict[str, Any]) -> None:
    with pytest.raises((ValueError, OSError)):
        encode_span_proto3(make_record(**fields))


def test_encoding_names_and_content_types() -> None:
    assert Encoding("json") is Encoding.JSON
    assert Encoding("proto3") is Encoding.PROTO3
    assert Encoding.JSON.content_type == "application/json"
    assert Encoding.PROTO3.content_type == "application/x-protobuf"
