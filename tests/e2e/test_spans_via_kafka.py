"""The order trace with every span routed through the Kafka topic zipkin to both servers.

A second stack whose services have `ZIPKIN_ENDPOINTS=kafka://.../zipkin`: nothing reaches
Zipkin or Jaeger over HTTP, so the whole trace in each of them came through the topic (Zipkin's
Kafka collector and Jaeger's kafka receiver, each in its own consumer group).
"""

from __future__ import annotations

import aiohttp

from tests.e2e.helpers import (
    Bookshop,
    jaeger_span_count,
    poll,
    service,
    wait_full_order_trace,
)


async def test_order_trace_reaches_zipkin_and_jaeger_through_kafka(
    bookshop_spans_via_kafka: Bookshop, http: aiohttp.ClientSession
) -> None:
    bookshop = bookshop_spans_via_kafka
    assert bookshop.env["ZIPKIN_ENDPOINTS"] == f"kafka://{bookshop.kafka}/zipkin"
    trace_id, spans = await wait_full_order_trace(bookshop, http, book_id=4)

    assert {service(s) for s in spans} == {"frontend", "backend", "db_proxy", "cache", "worker"}
    kinds = sorted(s.get("kind", "") for s in spans if s.get("kind") in ("PRODUCER", "CONSUMER"))
    assert kinds == ["CONSUMER", "PRODUCER"]
    count = await poll(
        lambda: jaeger_span_count(bookshop, http, trace_id),
        lambda n: n >= len(spans),
        what=f"Jaeger to read the {len(spans)} spans of {trace_id} from the topic",
    )
    assert count == len(spans)
