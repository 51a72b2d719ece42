"""Kafka clients for tests that read or write a broker's topics directly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

__all__ = ["kafka_producer", "manual_consumer"]


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
