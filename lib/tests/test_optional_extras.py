"""The library with and without its optional extras.

AIOZIPKIN_EXTRAS names the extras the environment must have (comma-separated, "" for none);
the matrix cells of noxfile.py set it. Unset, the tests check that the library follows
whatever is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re

import pytest
from _support import ENCODINGS, SPANS
from aiohttp.test_utils import TestServer

import aiozipkin as az

_EXTRA_PACKAGES = {"speedups": "isal", "kafka": "aiokafka"}


def _expected(extra: str) -> bool:
    declared = os.environ.get("AIOZIPKIN_EXTRAS")
    if declared is None:
        return importlib.util.find_spec(_EXTRA_PACKAGES[extra]) is not None
    return extra in {name.strip() for name in declared.split(",")}


def test_installed_extras_are_the_declared_ones() -> None:
    for extra, package in _EXTRA_PACKAGES.items():
        installed = importlib.util.find_spec(package) is not None
        assert installed == _expected(extra), f"{package} installed={installed}, extra {extra!r}"


# Modules that need an extra, and the extra.
_NEEDS_EXTRA = {"aiozipkin._kafka_transport": "kafka"}


def test_every_module_imports_or_names_its_missing_extra() -> None:
    names = [m.name for m in pkgutil.walk_packages(az.__path__, "aiozipkin.")]
    assert "aiozipkin.transport" in names
    assert set(_NEEDS_EXTRA) <= set(names)
    for name in names:
        extra = _NEEDS_EXTRA.get(name)
        if extra is None or _expected(extra):
            importlib.import_module(name)
            continue
        with pytest.raises(ImportError, match=re.escape(f"aiozipkin[{extra}]")):
            importlib.import_module(name)


def test_kafka_transport_names_its_extra_and_the_messaging_helpers_need_none() -> None:
    from aiozipkin import kafka

    assert callable(kafka.inject_headers)
    if _expected("kafka"):
        assert kafka.KafkaTransport.__name__ == "KafkaTransport"
    else:
        with pytest.raises(ImportError, match=re.escape("aiozipkin[kafka]")):
            kafka.KafkaTransport  # noqa: B018  (the attribute access is the test)


def test_gzip_backend_follows_the_speedups_extra() -> None:
    transport = az.Transport("http://127.0.0.1:9411/api/v2/spans")
    assert transport.gzip_backend == ("isal" if _expected("speedups") else "zlib")


async def test_spans_arrive_gzipped(collector: TestServer) -> None:
    transport = az.Transport(str(collector.make_url("/api/v2/spans")), send_interval=0.05)
    tracer = await az.create_custom(az.create_endpoint("extras"), transport=transport)
    with tracer.new_trace() as span:
        span.name("gzipped")
    assert await tracer.close() == 0
    assert [s["name"] for s in collector.app[SPANS]] == ["gzipped"]
    assert collector.app[ENCODINGS] == ["gzip"]
