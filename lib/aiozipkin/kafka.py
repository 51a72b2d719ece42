"""Kafka for aiozipkin: a span transport through a Kafka topic, on aiokafka.

`import aiozipkin` never imports this module; install the `kafka` extra to use it
(`pip install 'aiozipkin[kafka]'`).
"""

from __future__ import annotations

from ._kafka_transport import KafkaTransport

__all__ = [
    "KafkaTransport",
]
