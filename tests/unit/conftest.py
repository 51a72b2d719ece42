"""Fixtures shared by the transport unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import aiozipkin as az
from aiozipkin._transport import retry
from tests.support.collectors import Collector


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    collector = Collector()
    await collector.start()
    yield collector
    await collector.stop()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(retry, "BACKOFF_MAX", 0.05)


@pytest.fixture
async def transports() -> AsyncIterator[Callable[..., az.Transport]]:
    """Make transports that are closed (without waiting) at the end of the test."""
    made: list[az.Transport] = []

    def make(address: str, *args: Any, **kwargs: Any) -> az.Transport:
        made.append(az.Transport(address, *args, **kwargs))
        return made[-1]

    yield make
    for transport in made:
        await transport.close(timeout=0)
