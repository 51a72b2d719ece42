"""How many spans the demo's trace of a request holds once it is whole.

The counts follow the services' code: every HTTP hop is a CLIENT span and a SERVER span, every
SQL statement a local span under db_proxy's SERVER span, and an order adds the backend's
PRODUCER span and the worker's part. They hold for a request sent without a fault and sampled
(the demo samples every request); a test compares them with what the collectors stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .mix import Endpoint

__all__ = ["expected_spans"]

# frontend SERVER + CLIENT, backend SERVER + query CLIENT, db_proxy SERVER + one statement
_ONE_QUERY = 6
# frontend 2, backend SERVER + cache GET CLIENT, cache SERVER
_BOOK_FROM_CACHE = 5
# the cache miss, then a query (CLIENT, SERVER, statement) and a cache PUT (CLIENT, SERVER)
_BOOK_FROM_DATABASE = _BOOK_FROM_CACHE + 5
# frontend 2, backend SERVER + insert CLIENT + PRODUCER, db_proxy SERVER + 2 statements,
# worker CONSUMER + query CLIENT + cache DELETE CLIENT, db_proxy SERVER + 2 statements, cache SERVER
_ORDER = 15


def expected_spans(endpoint: Endpoint, body: Mapping[str, Any]) -> int | None:
    """The span count of a successful request's whole trace; None when the body cannot tell."""
    if endpoint is Endpoint.BOOK:
        source = body.get("source")
        if source == "cache":
            return _BOOK_FROM_CACHE
        return _BOOK_FROM_DATABASE if source == "database" else None
    if endpoint is Endpoint.ORDER:
        return _ORDER
    return _ONE_QUERY
