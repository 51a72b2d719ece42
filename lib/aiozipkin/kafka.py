"""Kafka for aiozipkin: traced messaging helpers for aiokafka producers and consumers.

`import aiozipkin` never imports this module; install the `kafka` extra to use it with
aiokafka (`pip install 'aiozipkin[kafka]'`).
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

__all__ = [
    "KAFKA_SERVICE",
    "MESSAGING_DESTINATION",
    "MESSAGING_KAFKA_OFFSET",
    "MESSAGING_KAFKA_PARTITION",
    "MESSAGING_SYSTEM",
    "ConsumedRecord",
    "Headers",
    "RecordProducer",
    "SentRecord",
    "consumer_span",
    "extract_headers",
    "inject_headers",
    "producer_span",
    "send_traced",
    "tag_sent",
]
