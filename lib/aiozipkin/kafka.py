"""Kafka for aiozipkin: a span transport through a Kafka topic, and traced messaging helpers
for aiokafka producers and consumers.

`import aiozipkin` never imports this module. `KafkaTransport` needs the `kafka` extra
(`pip install 'aiozipkin[kafka]'`); without it, using it raises an ImportError that says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ._kafka_transport import KafkaTransport


def __getattr__(name: str) -> object:
    # The transport needs aiokafka; the messaging helpers take aiokafka's objects as they
    # come, so they work (and import) without it.
    if name == "KafkaTransport":
        from ._kafka_transport import KafkaTransport

        return KafkaTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
