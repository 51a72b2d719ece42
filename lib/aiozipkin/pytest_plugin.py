"""pytest fixtures for testing instrumented code: a tracer that records every span in memory.

Installed with aiozipkin and loaded by pytest through the `pytest11` entry point, so the
fixtures are available without configuration (`-p no:aiozipkin` turns the plugin off).

    async def test_handler_is_traced(aiozipkin_tracer, aiozipkin_spans):
        ...
        span = aiozipkin_spans.get(name="GET /books/{id}", kind=az.SERVER)

The fixtures are synchronous, so they work with pytest-asyncio in strict or auto mode and
with other async test runners. Override `aiozipkin_endpoint` to change the service name.
"""

from __future__ import annotations

import pytest

from .context import Endpoint, create_endpoint
from .sampler import Sampler
from .testing import InMemoryTransport
from .tracer import Tracer

__all__ = ["aiozipkin_endpoint", "aiozipkin_spans", "aiozipkin_tracer"]


@pytest.fixture
def aiozipkin_endpoint() -> Endpoint:
    """The local endpoint of `aiozipkin_tracer`: service "test"."""
    return create_endpoint("test")


@pytest.fixture
def aiozipkin_spans() -> InMemoryTransport:
    """An empty in-memory transport with span queries (`find`, `get`, `roots`, ...)."""
    return InMemoryTransport()


@pytest.fixture
def aiozipkin_tracer(aiozipkin_spans: InMemoryTransport, aiozipkin_endpoint: Endpoint) -> Tracer:
    """A tracer that samples every new trace and reports into `aiozipkin_spans`."""
    return Tracer(aiozipkin_spans, Sampler(sample_rate=1.0), aiozipkin_endpoint)
