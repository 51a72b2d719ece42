"""Kafka for aiozipkin: a span transport through a Kafka topic, and traced messaging helpers
for aiokafka producers and consumers.

`import aiozipkin` never imports this module; install the `kafka` extra to use it
(`pip install 'aiozipkin[kafka]'`).
"""

from __future__ import annotations

from ._kafka_messaging import (
    KAFKA_SERVICE,
    MESSAGING_DESTINATION,
    MESSAGING_KAFKA_OFFSET,
    MESSAGING_KAFKA_PARTITION,
    MESSAGING_SYSTEM,
    ConsumedRecord,
    Headers,
    RecordProducer,
    SentRecord,
    consumer_span,
    extract_headers,
    inject_headers,
    producer_span,
    send_traced,
    tag_sent,
)
from ._kafka_transport import KafkaTransport

__all__ = [
    "KAFKA_SERVICE",
    "MESSAGING_DESTINATION",
    "MESSAGING_KAFKA_OFFSET",
    "MESSAGING_KAFKA_PARTITION",
    "MESSAGING_SYSTEM",
    "ConsumedRecord",
    "Headers",
    "KafkaTransport",
    "RecordProducer",
    "SentRecord",
    "consumer_span",
    "extract_headers",
    "inject_headers",
    "producer_span",
    "send_traced",
    "tag_sent",
]
