"""The Kafka broker the project runs: it serves clients, and its topics are as the demo needs."""

from __future__ import annotations

import uuid

from aiokafka import TopicPartition

from tests.servers import KafkaBroker, kafka_answers
from tests.support.kafka import kafka_producer, manual_consumer
from tests.support.ports import free_ports


async def _round_trip(broker: KafkaBroker, topic: str) -> tuple[int, bytes]:
    """Produce one record to `topic` and read it back; return the topic's partition count."""
    value = uuid.uuid4().hex.encode()
    async with kafka_producer(broker.bootstrap_servers) as producer:
        metadata = await producer.send_and_wait(topic, value)
        partitions = await producer.partitions_for(topic)
    async with manual_consumer(broker.bootstrap_servers) as consumer:
        where = TopicPartition(topic, metadata.partition)
        consumer.assign([where])
        consumer.seek(where, metadata.offset)
        record = await consumer.getone()
    return len(partitions), record.value or b""


async def test_the_zipkin_topic_takes_records_on_several_partitions(kafka: KafkaBroker) -> None:
    partitions, _ = await _round_trip(kafka, "zipkin")

    # Several partitions, so that several collectors of one group share the topic.
    assert partitions >= 2


async def test_the_orders_topic_returns_what_was_produced(kafka: KafkaBroker) -> None:
    partitions, value = await _round_trip(kafka, "orders")

    assert partitions >= 2
    assert len(value) == 32


def test_kafka_answers_is_false_where_no_broker_listens() -> None:
    [port] = free_ports(1)

    reason = kafka_answers("127.0.0.1", port, timeout=1.0)

    assert reason is not None
    assert "ConnectionRefused" in reason


def test_kafka_answers_a_running_broker(kafka: KafkaBroker) -> None:
    host, port = kafka.bootstrap_servers.rsplit(":", 1)

    assert kafka_answers(host, int(port)) is None
