"""Fixtures of the distribution's tests (lib/tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from _support import start_collector
from aiohttp.test_utils import TestServer


@pytest.fixture
async def collector() -> AsyncIterator[TestServer]:
    """An in-process Zipkin collector; see `_support.start_collector`."""
    server = await start_collector()
    yield server
    await server.close()
