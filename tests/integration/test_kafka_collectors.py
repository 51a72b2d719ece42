"""Zipkin's Kafka collector and Jaeger's kafka receiver read span lists from the broker."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from tests.integration.helpers import JsonSpan, jaeger_trace, unique_service, zipkin_trace
from tests.servers import (
    KAFKA_JSON_TOPIC,
    JaegerServer,
    KafkaBroker,
    ServerError,
    ZipkinServer,
    start_jaeger,
)


def _span(service: str, trace_id: str, name: str) -> JsonSpan:
    now_us = time.time_ns() // 1000
    return {
        "traceId": trace_id,
        "id": uuid.uuid4().hex[:16],
        "kind": "PRODUCER",
        "name": name,
        "timestamp": now_us,
        "duration": 2500,
        "localEndpoint": {"serviceName": service, "ipv4": "127.0.0.1", "port": 8081},
        "remoteEndpoint": {"serviceName": "kafka"},
        "tags": {"messaging.system": "kafka"},
    }


async def _produce_raw(broker: KafkaBroker, service: str) -> list[JsonSpan]:
    """Two spans of one trace, produced as one record on the zipkin topic."""
    trace_id = uuid.uuid4().hex
    spans = [_span(service, trace_id, "publish orders"), _span(service, trace_id, "send")]
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await producer.start()
    try:
        # One record holds a list of spans, as Brave's KafkaSender writes it.
        await producer.send_and_wait(KAFKA_JSON_TOPIC, json.dumps(spans).encode())
    finally:
        await producer.stop()
    return spans


async def test_zipkin_reads_a_json_span_list_from_the_zipkin_topic(
    kafka: KafkaBroker, kafka_zipkin: ZipkinServer, http: aiohttp.ClientSession
) -> None:
    spans = await _produce_raw(kafka, unique_service("kafka-raw"))

    stored = await zipkin_trace(http, kafka_zipkin.url, spans[0]["traceId"], 2)

    assert sorted(stored, key=lambda s: s["id"]) == sorted(spans, key=lambda s: s["id"])


async def test_jaeger_reads_a_json_span_list_from_the_zipkin_topic(
    kafka: KafkaBroker, kafka_jaeger: JaegerServer, http: aiohttp.ClientSession
) -> None:
    service = unique_service("kafka-raw")
    spans = await _produce_raw(kafka, service)

    trace = await jaeger_trace(http, kafka_jaeger.query_url, spans[0]["traceId"], 2)

    by_id = {span["spanID"]: span for span in trace["spans"]}
    assert sorted(by_id) == sorted(span["id"] for span in spans)
    for span in spans:
        stored = by_id[span["id"]]
        assert stored["operationName"] == span["name"]
        assert stored["startTime"] == span["timestamp"]
        assert stored["duration"] == span["duration"]
        assert trace["processes"][stored["processID"]]["serviceName"] == service


def test_jaeger_refuses_an_unknown_kafka_encoding(tmp_path: Path) -> None:
    # The setting is checked before Jaeger starts: no broker is needed at that address.
    broker = KafkaBroker(bootstrap_servers="127.0.0.1:9")

    with pytest.raises(ServerError) as failure:
        start_jaeger(tmp_path, kafka=broker, kafka_encoding="otlp_json", timeout=30)

    assert "JAEGER_KAFKA_ENCODING must be zipkin_json or zipkin_proto" in str(failure.value)
