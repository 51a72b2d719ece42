"""In the local stack Zipkin and Jaeger read the topic zipkin besides their HTTP endpoints.

Whatever route the services use, a span list that any process writes to the broker `make up`
runs shows up in both servers.
"""

from __future__ import annotations

import json
import secrets
import time

import aiohttp
from aiokafka import AIOKafkaProducer

from tests.e2e.helpers import Bookshop, jaeger_span_count, poll, zipkin_trace


async def test_a_span_list_written_to_the_topic_reaches_zipkin_and_jaeger(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    trace_id = secrets.token_hex(16)
    now = int(time.time() * 1_000_000)
    spans = [
        {
            "traceId": trace_id,
            "id": secrets.token_hex(8),
            "name": f"from the topic {n}",
            "timestamp": now,
            "duration": 1_000,
            "localEndpoint": {"serviceName": "kafka-e2e"},
        }
        for n in range(2)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bookshop.kafka)
    await producer.start()
    try:
        await producer.send_and_wait("zipkin", json.dumps(spans).encode())
    finally:
        await producer.stop()

    found = await poll(
        lambda: zipkin_trace(bookshop, http, trace_id),
        lambda got: len(got) == 2,
        what=f"Zipkin to read trace {trace_id} from the topic",
    )
    assert {s["name"] for s in found} == {"from the topic 0", "from the topic 1"}
    count = await poll(
        lambda: jaeger_span_count(bookshop, http, trace_id),
        lambda n: n == 2,
        what=f"Jaeger to read trace {trace_id} from the topic",
    )
    assert count == 2
