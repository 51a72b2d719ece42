"""A Kafka consumer group as the broker sees it: is it stable, and who holds how many partitions."""

from __future__ import annotations

import struct
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["assigned_partitions", "group_assignment"]


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


async def group_assignment(bootstrap_servers: str, group: str) -> list[int] | None:
    """The partition count of each member of a stable `group`; None while it rebalances."""
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
    return sorted(assigned_partitions(member["member_assignment"]) for member in state["members"])
