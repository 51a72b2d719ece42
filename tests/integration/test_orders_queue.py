"""The orders queue against a real broker that stops and comes back under the running services.

While the broker is down an order is answered 503 within the publish timeout (and cancelled),
never accepted; once it is back, orders are accepted and shipped again without a restart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pytest_aiohttp import AiohttpClient, AiohttpServer

from tests.servers import start_kafka
from tests.services.stack import Stack, start_stack

PUBLISH_TIMEOUT = 2.0
# Joining a group and reconnecting after a broker restart take seconds on a busy machine.
KAFKA_TIMEOUT = 60.0


async def _order(stack: Stack, book_id: int) -> tuple[int, Any]:
    resp = await stack.client.post("/api/orders", json={"book_id": book_id, "quantity": 1})
    return resp.status, await resp.json()


async def _status(stack: Stack, order_id: int) -> str:
    resp = await stack.client.get(f"/api/orders/{order_id}")
    return str((await resp.json())["order"]["status"])


async def _shipped(stack: Stack, order_id: int) -> None:
    deadline = time.monotonic() + KAFKA_TIMEOUT
    while await _status(stack, order_id) != "shipped":
        assert time.monotonic() < deadline, f"order {order_id} was not shipped"
        await asyncio.sleep(0.2)


async def test_a_stopped_broker_refuses_orders_fast_and_a_restarted_one_takes_them(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    process, broker = start_kafka(tmp_path)
    try:
        stack = await start_stack(
            aiohttp_server,
            aiohttp_client,
            tmp_path,
            kafka_bootstrap=broker.bootstrap_servers,
            extra_env={"backend": {"JOB_PUBLISH_TIMEOUT": f"{PUBLISH_TIMEOUT:g}"}},
        )
        status, body = await _order(stack, 1)
        assert status == 202, body
        await _shipped(stack, body["order_id"])

        process.stop()
        started = time.monotonic()
        status, body = await _order(stack, 2)
        took = time.monotonic() - started
        assert status == 503, body
        assert "orders queue is unavailable" in body["error"]
        assert took < PUBLISH_TIMEOUT + 3, f"the request took {took:.1f} s"
        # The refused order is on record as cancelled, so it can never be shipped later.
        assert await _status(stack, 2) == "cancelled"

        assert broker.data_dir is not None
        assert broker.controller_port is not None
        port = int(broker.bootstrap_servers.rsplit(":", 1)[1])
        process, broker = start_kafka(
            tmp_path, port=port, controller_port=broker.controller_port, data_dir=broker.data_dir
        )
        deadline = time.monotonic() + KAFKA_TIMEOUT
        status = 0
        while status != 202:
            assert time.monotonic() < deadline, f"orders still refused after the restart: {body}"
            status, body = await _order(stack, 3)
        await _shipped(stack, body["order_id"])
    finally:
        process.stop()
