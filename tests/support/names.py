"""Constant names aiozipkin 1.1.1 documented, written here by hand from its docs.

Two tests pin them, each on its own surface: tests/unit/test_public_api.py the package's top
level, tests/unit/test_compat.py 1.1.1's module paths (the kinds in aiozipkin.helpers, the HTTP
tags in aiozipkin.constants). The lists are never read from the package under test.
"""

from __future__ import annotations

__all__ = ["HTTP_TAG_CONSTANTS", "KIND_CONSTANTS"]

# The span kinds.
KIND_CONSTANTS = ("CLIENT", "CONSUMER", "PRODUCER", "SERVER")

# The names of the standard HTTP tags.
HTTP_TAG_CONSTANTS = (
    "HTTP_HOST",
    "HTTP_METHOD",
    "HTTP_PATH",
    "HTTP_REQUEST_SIZE",
    "HTTP_RESPONSE_SIZE",
    "HTTP_ROUTE",
    "HTTP_STATUS_CODE",
    "HTTP_URL",
)
