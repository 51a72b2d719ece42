"""Every interop test leaves OpenTelemetry's process-wide state as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp.web
import pytest
from opentelemetry import propagate, trace


@pytest.fixture(autouse=True)
def _opentelemetry_globals_restored() -> Iterator[None]:
    textmap = propagate.get_global_textmap()
    application = aiohttp.web.Application
    provider = trace.get_tracer_provider()
    yield
    assert propagate.get_global_textmap() is textmap, "the global propagator leaked"
    assert aiohttp.web.Application is application, "the server instrumentor is still active"
    assert trace.get_tracer_provider() is provider, "a global tracer provider was set"
