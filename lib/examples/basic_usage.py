"""The documented basic example: a root span with two children, reported to Zipkin."""

from __future__ import annotations

import asyncio
import os

import aiozipkin as az

ZIPKIN_ADDRESS = os.environ.get("ZIPKIN_ADDRESS", "http://127.0.0.1:9411/api/v2/spans")


async def run(zipkin_address: str = ZIPKIN_ADDRESS) -> str:
    """Trace a pretend SQL query and two remote calls; return the trace id."""
    endpoint = az.create_endpoint("simple_service", ipv4="127.0.0.1", port=8080)

    # Traces every call; sample_rate=0.5 would keep half of the traces.
    tracer = await az.create(zipkin_address, endpoint, sample_rate=1.0)

    with tracer.new_trace(sampled=True) as span:
        span.name("root_span")
        span.tag("span_type", "root")
        span.kind(az.CLIENT)
        span.annotate("SELECT * FROM")
        await asyncio.sleep(0.1)  # stands in for a long SQL query
        span.annotate("start end sql")

        with tracer.new_child(span.context) as nested_span:
            nested_span.name("nested_span_1")
            nested_span.kind(az.CLIENT)
            nested_span.tag("span_type", "inner1")
            nested_span.remote_endpoint("remote_service_1")
            await asyncio.sleep(0.01)

        with tracer.new_child(span.context) as nested_span:
            nested_span.name("nested_span_2")
            nested_span.kind(az.CLIENT)
            nested_span.remote_endpoint("remote_service_2")
            nested_span.tag("span_type", "inner2")
            await asyncio.sleep(0.01)

    await tracer.close()
    print("-" * 100)
    print("Check zipkin UI for produced traces: http://localhost:9411/zipkin")
    return span.context.trace_id


if __name__ == "__main__":
    asyncio.run(run())
