"""Fixtures for tests that send spans through the library to the real servers."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

import aiozipkin as az
from tests.integration.helpers import RecordingTracerFactory, RecordingTransport
from tests.servers import opensearch_data_dir


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the servers' query APIs."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
async def recording_tracer() -> AsyncIterator[RecordingTracerFactory]:
    """Make tracers that report to real collectors and keep a copy of every span sent.

    `await recording_tracer(service, spans_url, ..., port=8080)` returns the tracer and its
    RecordingTransport; tracers not closed by the test are closed at teardown.
    """
    tracers: list[az.Tracer] = []

    async def make(
        service: str, *spans_urls: str, port: int = 8080
    ) -> tuple[az.Tracer, RecordingTransport]:
        forward_to = [az.Transport(url, send_interval=0.1) for url in spans_urls]
        transport = RecordingTransport(*forward_to)
        endpoint = az.create_endpoint(service, ipv4="127.0.0.1", port=port)
        tracer = await az.create_custom(endpoint, transport=transport)
        tracers.append(tracer)
        return tracer, transport

    yield make
    for tracer in tracers:
        await tracer.close()


@pytest.fixture
def opensearch_data() -> Iterator[Path]:
    """A data folder of its own for a test's OpenSearch, removed afterwards."""
    path = opensearch_data_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)
