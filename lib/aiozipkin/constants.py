"""Span kinds and the standard tag names."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLIENT",
    "CLIENT_ADDR",
    "CONSUMER",
    "ERROR",
    "HTTP_HOST",
    "HTTP_METHOD",
    "HTTP_PATH",
    "HTTP_REQUEST_SIZE",
    "HTTP_RESPONSE_SIZE",
    "HTTP_ROUTE",
    "HTTP_STATUS_CODE",
    "HTTP_URL",
    "LOCAL_COMPONENT",
    "MESSAGE_ADDR",
    "PRODUCER",
    "SERVER",
    "SERVER_ADDR",
]

CLIENT: Final = "CLIENT"
SERVER: Final = "SERVER"
PRODUCER: Final = "PRODUCER"
CONSUMER: Final = "CONSUMER"

HTTP_HOST: Final = "http.host"
HTTP_METHOD: Final = "http.method"
HTTP_PATH: Final = "http.path"
HTTP_ROUTE: Final = "http.route"
HTTP_REQUEST_SIZE: Final = "http.request.size"
HTTP_RESPONSE_SIZE: Final = "http.response.size"
HTTP_STATUS_CODE: Final = "http.status_code"
HTTP_URL: Final = "http.url"

ERROR: Final = "error"
LOCAL_COMPONENT: Final = "lc"

# Zipkin v1 address annotations, kept for code written against aiozipkin 1.1.1.
CLIENT_ADDR: Final = "ca"
SERVER_ADDR: Final = "sa"
MESSAGE_ADDR: Final = "ma"
