"""Endpoints: lenient construction, one address classifier, nothing Zipkin would refuse."""

from __future__ import annotations

import json
import logging

import pytest
from yarl import URL

import aiozipkin as az
from aiozipkin import _address
from aiozipkin._address import ip_fields
from aiozipkin._aiohttp_client import _remote_from_url
from aiozipkin.encoding import encode_span_json, encode_span_proto3


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees every rejected value as new (they are logged once per process)."""
    monkeypatch.setattr(_address, "_warned", set())


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("10.1.2.3", ("10.1.2.3", None), id="ipv4"),
        pytest.param("localhost", ("127.0.0.1", None), id="localhost"),
        pytest.param("LocalHost", ("127.0.0.1", None), id="localhost-any-case"),
        pytest.param("::1", (None, "::1"), id="ipv6"),
        pytest.param("2001:DB8::0:1", (None, "2001:db8::1"), id="ipv6-normalized"),
        pytest.param("fe80::1%eth0", (None, "fe80::1"), id="ipv6-zone-dropped"),
        pytest.param("999.1.1.1", None, id="ipv4-octet-out-of-range"),
        pytest.param("1.2.3", None, id="three-octets"),
        pytest.param("db.internal", None, id="hostname"),
        pytest.param("", None, id="empty"),
    ],
)
def test_ip_fields(host: str, expected: tuple[str | None, str | None] | None) -> None:
    assert ip_fields(host) == expected


def test_create_endpoint_keeps_addresses_and_ports() -> None:
    assert az.create_endpoint("a", ipv4="10.0.0.1", port=1) == az.Endpoint("a", "10.0.0.1", None, 1)
    assert az.create_endpoint("a", ipv6="::1", port=0) == az.Endpoint("a", None, "::1", 0)
    assert az.create_endpoint("a", ipv4="10.0.0.1", ipv6="::1", port=65535) == az.Endpoint(
        "a", "10.0.0.1", "::1", 65535
    )


def test_create_endpoint_accepts_what_1_1_1_accepted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "aiozipkin")
    assert az.create_endpoint("svc", ipv4="localhost", port="8080") == az.Endpoint(
        "svc", "127.0.0.1", None, 8080
    )
    assert az.create_endpoint("svc", ipv6="localhost") == az.Endpoint("svc", None, "::1", None)
    # An address given in the other family's argument goes to its own field.
    assert az.create_endpoint("svc", ipv4="::1") == az.Endpoint("svc", None, "::1", None)
    assert az.create_endpoint("svc", ipv6="10.0.0.1") == az.Endpoint("svc", "10.0.0.1", None, None)
    assert caplog.records == []


@pytest.mark.parametrize(
    ("kwargs", "logged"),
    [
        pytest.param({"ipv4": "db.example.test"}, "ipv4 'db.example.test'", id="hostname"),
        pytest.param({"ipv4": "999.1.1.1"}, "ipv4 '999.1.1.1'", id="bad-ipv4"),
        pytest.param({"ipv6": "nope"}, "ipv6 'nope'", id="bad-ipv6"),
        pytest.param({"port": 70000}, "port 70000", id="port-too-high"),
        pytest.param({"port": -1}, "port -1", id="negative-port"),
        pytest.param({"port": "http"}, "port 'http'", id="port-name"),
        pytest.param({"port": True}, "port True", id="bool-port"),
    ],
)
def test_unusable_values_are_left_out_and_logged_once(
    kwargs: dict[str, object], logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "aiozipkin")
    for _ in range(3):
        endpoint = az.create_endpoint("svc", **kwargs)  # type: ignore[arg-type]
        assert endpoint == az.Endpoint("svc", None, None, None)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1, messages
    assert logged in messages[0]


def test_a_non_string_service_name_becomes_a_string() -> None:
    assert az.create_endpoint(42).serviceName == "42"  # type: ignore[arg-type]


async def test_span_remote_endpoint_never_raises_and_never_reaches_the_wire(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "aiozipkin")
    async with az.create_custom(az.create_endpoint("svc")) as tracer:
        with tracer.new_trace(sampled=True) as span:
            span.remote_endpoint("db", ipv4="db.internal", port="5432")
        transport = tracer.transport
        assert isinstance(transport, az.StubTransport)
        (record,) = transport.records
    assert record.remote_endpoint == az.Endpoint("db", None, None, 5432)
    assert json.loads(encode_span_json(record))["remoteEndpoint"] == {
        "serviceName": "db",
        "port": 5432,
    }
    assert encode_span_proto3(record)  # the proto3 encoder takes it too
    assert any("db.internal" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://10.0.0.7:81/x", az.Endpoint(None, "10.0.0.7", None, 81), id="ipv4"),
        pytest.param("http://[::1]:82/x", az.Endpoint(None, None, "::1", 82), id="ipv6"),
        pytest.param("http://cache:83/x", az.Endpoint("cache", None, None, 83), id="hostname"),
        pytest.param(
            "http://999.1.1.1/", az.Endpoint("999.1.1.1", None, None, 80), id="not-an-ipv4"
        ),
        pytest.param("http://localhost:84/", az.Endpoint(None, "127.0.0.1", None, 84), id="lo"),
    ],
)
def test_remote_endpoint_from_a_url(url: str, expected: az.Endpoint) -> None:
    endpoint = _remote_from_url(URL(url))
    assert endpoint == expected
    record = az.Record(az.TraceContext("1" * 32, None, "2" * 16, True, False, False), None)
    record.remote_endpoint = endpoint
    assert encode_span_proto3(record)
