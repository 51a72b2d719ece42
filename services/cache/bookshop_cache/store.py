"""In-memory state of the cache service: a TTL key/value store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["KeyValueStore"]

_MISS = object()


class KeyValueStore:
    """Values with a time to live; past `max_keys` the oldest entries are evicted."""

    def __init__(self, max_keys: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_keys = max_keys
        self._clock = clock
        self._items: dict[str, tuple[Any, float]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> tuple[bool, Any]:
        """`(True, value)` for a live entry, `(False, None)` for a miss or an expired one."""
        item = self._items.get(key)
        if item is None:
            return False, None
        value, expires = item
        if expires <= self._clock():
            del self._items[key]
            return False, None
        return True, value

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._items.pop(key, None)
        self._items[key] = (value, self._clock() + ttl)
        if len(self._items) > self._max_keys:
            self._purge_expired()
        while len(self._items) > self._max_keys:
            del self._items[next(iter(self._items))]

    def delete(self, key: str) -> bool:
        return self._items.pop(key, None) is not None

    def _purge_expired(self) -> None:
        now = self._clock()
        for key in [k for k, (_, expires) in self._items.items() if expires <= now]:
            del self._items[key]
