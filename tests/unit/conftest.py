"""Fixtures shared by the transport unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiozipkin._transport import retry
from tests.unit.test_transport import Collector


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
