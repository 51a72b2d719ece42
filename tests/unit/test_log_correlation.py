"""TraceLogFilter puts the active span's ids on log records."""

from __future__ import annotations

import io
import logging

import aiozipkin as az


async def test_log_records_carry_trace_ids() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(az.TraceLogFilter())
    handler.setFormatter(logging.Formatter(az.LOG_FORMAT))
    log = logging.getLogger("test.correlation")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        tracer = await az.create_custom(az.create_endpoint("svc"))
        log.info("outside")
        with tracer.new_trace(sampled=True) as span:
            log.info("inside")
        with tracer.new_trace(sampled=False) as unsampled:
            log.info("unsampled")
        await tracer.close()
    finally:
        log.removeHandler(handler)
    outside, inside, denied = stream.getvalue().splitlines()
    assert "[trace_id=- span_id=- sampled=-] outside" in outside
    ctx = span.context
    assert f"[trace_id={ctx.trace_id} span_id={ctx.span_id} sampled=1] inside" in inside
    assert f"trace_id={unsampled.context.trace_id}" in denied
    assert "sampled=0" in denied
