"""Fixtures for the services' unit tests: the whole stack in process, traced in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient, AiohttpServer

from tests.servers import KafkaBroker
from tests.services.stack import Stack, start_stack


@pytest.fixture
async def stack(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    kafka: KafkaBroker,
) -> Stack:
    """frontend, backend, db_proxy, cache and worker wired together on test servers.

    Orders go through the session's real Kafka broker, on a topic of their own.
    """
    return await start_stack(
        aiohttp_server, aiohttp_client, tmp_path, kafka_bootstrap=kafka.bootstrap_servers
    )
