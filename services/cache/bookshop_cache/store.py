"""In-memory state of the cache service: a TTL key/value store and FIFO job queues."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["JobQueue", "KeyValueStore", "QueueFull", "Queues"]


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


class QueueFull(Exception):
    """The queue holds `max_jobs` jobs already."""


class JobQueue:
    """FIFO of JSON jobs with a pop that waits, served first come first served."""

    def __init__(self, max_jobs: int) -> None:
        self._max_jobs = max_jobs
        self._jobs: deque[Any] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._jobs)

    def push(self, job: Any) -> int:
        """Append a job; returns the new length."""
        if len(self._jobs) >= self._max_jobs:
            raise QueueFull
        self._jobs.append(job)
        self._wake_one()
        return len(self._jobs)

    def push_front(self, job: Any) -> None:
        """Put back a job that was popped but could not be delivered."""
        self._jobs.appendleft(job)
        self._wake_one()

    async def pop(self, timeout: float) -> Any:
        """The oldest job, waiting up to `timeout` seconds; `None` when none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._jobs:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except TimeoutError:
                pass
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # a wake-up meant for us goes to the next waiter
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self._jobs.popleft()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class Queues:
    """Named job queues, created on first use."""

    def __init__(self, max_jobs: int) -> None:
        self._max_jobs = max_jobs
        self._queues: dict[str, JobQueue] = {}

    def get(self, name: str) -> JobQueue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = JobQueue(self._max_jobs)
        return queue

    def lengths(self) -> dict[str, int]:
        return {name: len(queue) for name, queue in self._queues.items()}
