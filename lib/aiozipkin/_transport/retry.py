"""The retry policy: exponential backoff with jitter, `Retry-After`, a time budget, attempts.

Failures are counted across batches: a collector that is down is down for the next batch
too, which waits its backoff before its first attempt.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["BACKOFF_BASE", "BACKOFF_MAX", "RetryPolicy"]

# Backoff between failed attempts: base * 2**n, capped, each delay drawn from [d/2, d]. Read
# at each delay, so that a test may shorten them.
BACKOFF_BASE: float = 0.2
BACKOFF_MAX: float = 5.0
_MAX_EXPONENT: Final = 32


class RetryPolicy:
    """Decides how long to wait before an attempt, and when to give a batch up."""

    def __init__(self, *, budget: float, attempts: int | None) -> None:
        self._budget = budget
        self._attempts = attempts
        self._failures = 0  # consecutive failed attempts, across batches
        self._failing_since: float | None = None
        self._retry_after: float | None = None

    @property
    def budget(self) -> float:
        """Seconds of failing after which batches are given up."""
        return self._budget

    @property
    def failures(self) -> int:
        """Consecutive failed attempts until now."""
        return self._failures

    def delay(self) -> float:
        """Seconds to wait before the next attempt: 0 after a success.

        The backoff of the failures so far, jittered; at least the last `Retry-After`
        (which it uses up).
        """
        if not self._failures:
            return 0.0
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(self._failures - 1, _MAX_EXPONENT))
        delay = random.uniform(ceiling / 2, ceiling)
        retry_after, self._retry_after = self._retry_after, None
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def succeeded(self) -> bool:
        """Record an attempt that got an answer; True when it ends a run of failures."""
        recovered = self._failing_since is not None
        self._failures = 0
        self._failing_since = None
        return recovered

    def failed(self, now: float, retry_after: float | None = None) -> bool:
        """Record a failed attempt at `now` (loop time); True when it starts a run of failures."""
        self._failures += 1
        self._retry_after = retry_after
        if self._failing_since is None:
            self._failing_since = now
            return True
        return False

    def budget_spent(self, now: float) -> bool:
        """True when the failures began `budget` seconds or more before `now`."""
        since = self._failing_since
        return since is not None and now - since >= self._budget

    def give_up(self, attempts: int, now: float) -> bool:
        """True when a batch tried `attempts` times must not be tried again."""
        return self.budget_spent(now) or (self._attempts is not None and attempts >= self._attempts)
