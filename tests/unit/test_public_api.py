"""The package's public names are pinned: adding or removing one is a deliberate change."""

from __future__ import annotations

import aiozipkin as az

DOCUMENTED = {
    "APP_AIOZIPKIN_KEY",
    "CLIENT",
    "CONSUMER",
    "HTTP_HOST",
    "HTTP_METHOD",
    "HTTP_PATH",
    "HTTP_REQUEST_SIZE",
    "HTTP_RESPONSE_SIZE",
    "HTTP_ROUTE",
    "HTTP_STATUS_CODE",
    "HTTP_URL",
    "PRODUCER",
    "REQUEST_AIOZIPKIN_KEY",
    "SERVER",
    "Endpoint",
    "Sampler",
    "SamplerABC",
    "SpanAbc",
    "StubTransport",
    "TraceContext",
    "Tracer",
    "Transport",
    "TransportABC",
    "create",
    "create_custom",
    "create_endpoint",
    "get_tracer",
    "make_context",
    "make_trace_config",
    "middleware_maker",
    "request_span",
    "setup",
}

EXTENSIONS = {
    "B3_MULTI",
    "B3_SINGLE",
    "LOG_FORMAT",
    "W3C",
    "Encoding",
    "MultiTransport",
    "NoopSpan",
    "RateLimitingSampler",
    "Record",
    "Span",
    "SpanLimits",
    "TraceLogFilter",
    "current_context",
    "current_span",
    "extract",
    "extract_message",
    "inject",
    "inject_message",
    "skip_requests",
}


def test_all_is_pinned() -> None:
    assert set(az.__all__) == DOCUMENTED | EXTENSIONS
    assert len(az.__all__) == len(set(az.__all__))


def test_every_name_in_all_exists() -> None:
    missing = [name for name in az.__all__ if not hasattr(az, name)]
    assert missing == []


def test_documented_constants() -> None:
    assert (az.CLIENT, az.SERVER, az.PRODUCER, az.CONSUMER) == (
        "CLIENT",
        "SERVER",
        "PRODUCER",
        "CONSUMER",
    )
    assert az.HTTP_HOST == "http.host"
    assert az.HTTP_METHOD == "http.method"
    assert az.HTTP_PATH == "http.path"
    assert az.HTTP_ROUTE == "http.route"
    assert az.HTTP_REQUEST_SIZE == "http.request.size"
    assert az.HTTP_RESPONSE_SIZE == "http.response.size"
    assert az.HTTP_STATUS_CODE == "http.status_code"
    assert az.HTTP_URL == "http.url"
