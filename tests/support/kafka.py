"""Kafka for tests that use a broker directly: clients that read or write its topics, and a
consumer group's state as the broker sees it."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

__all__ = [
    "assigned_partitions",
    "group_assignment",
    "group_members",
    "kafka_producer",
    "manual_consumer",
]


@contextlib.asynccontextmanager
async def kafka_producer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer, stopped when the block ends."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def manual_consumer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer in no group that commits nothing: assign and seek it yourself."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


def assigned_partitions(assignment: bytes) -> int:
    """How many partitions a consumer protocol assignment (version, [topic, [partition]]) holds."""
    offset = 2  # version
    (topics,) = struct.unpack_from(">i", assignment, offset)
    offset += 4
    total = 0
    for _ in range(topics):
        (name_length,) = struct.unpack_from(">h", assignment, offset)
        offset += 2 + name_length
        (partitions,) = struct.unpack_from(">i", assignment, offset)
        offset += 4 + 4 * partitions
        total += partitions
    return total


async def group_members(bootstrap_servers: str, group: str) -> dict[str, int] | None:
    """Each member id of a stable `group` and its partition count; None while it rebalances."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    described: dict[str, Any] = response.to_object()
    [state] = described["groups"]
    if state["state"] != "Stable":
        return None
    return {
        member["member_id"]: assigned_partitions(member["member_assignment"])
        for member in state["members"]
    }


async def group_assignment(bootstrap_servers: str, group: str) -> list[int] | None:
    """The partition count of each member of a stable `group`; None while it rebalances."""
    members = await group_members(bootstrap_servers, group)
    return None if members is None else sorted(members.values())
