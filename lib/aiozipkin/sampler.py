"""Sampling: deciding, from the trace id alone, whether a new trace is recorded."""

from __future__ import annotations

import abc
import time
from typing import Final

__all__ = ["RateLimitingSampler", "Sampler", "SamplerABC", "validate_sample_rate"]

_LOW64: Final = (1 << 64) - 1


def validate_sample_rate(sample_rate: float) -> float:
    """Return `sample_rate` as a float, or raise ValueError when it is not in 0.0..1.0."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | float):
        raise ValueError(f"sample_rate must be a number in 0.0..1.0, got {sample_rate!r}")
    rate = float(sample_rate)
    if not 0.0 <= rate <= 1.0:  # also rejects NaN
        raise ValueError(f"sample_rate must be in 0.0..1.0, got {sample_rate!r}")
    return rate


class SamplerABC(abc.ABC):
    """Decides whether a new trace is sampled. Implementations must not raise or block."""

    @abc.abstractmethod
    def is_sampled(self, trace_id: str) -> bool:
        """Return True to record the trace.

        Args:
            trace_id: the new trace's id, 16 or 32 lower-case hex characters.
        """


class Sampler(SamplerABC):
    """Samples a fixed ratio of traces, decided from the trace id.

    The rule is OpenTelemetry's `TraceIdRatioBased`: a trace is sampled when the low 64 bits
    of its id are below `round(rate * 2**64)`. Every process, in any language that follows
    the rule, makes the same decision for the same trace id. `seed` is accepted for
    compatibility and has no effect: the decision uses no random numbers.
    """

    __slots__ = ("_bound", "_sample_rate")

    def __init__(self, *, sample_rate: float = 1.0, seed: int | None = None) -> None:
        self._sample_rate = validate_sample_rate(sample_rate)
        self._bound = round(self._sample_rate * (_LOW64 + 1))

    @property
    def sample_rate(self) -> float:
        """The configured ratio."""
        return self._sample_rate

    def is_sampled(self, trace_id: str) -> bool:
        """Sampled when the low 64 bits of the trace id fall below the rate's bound."""
        bound = self._bound
        if bound > _LOW64:
            return True  # rate 1.0: no need to read the id
        if not bound:
            return False
        try:
            return int(trace_id[-16:], 16) < bound
        except ValueError:
            return False


class RateLimitingSampler(SamplerABC):
    """Samples at most `traces_per_second` new traces each second (a token bucket)."""

    __slots__ = ("_capacity", "_last", "_rate", "_tokens")

    def __init__(self, traces_per_second: float) -> None:
        if isinstance(traces_per_second, bool) or not isinstance(traces_per_second, int | float):
            raise ValueError(f"traces_per_second must be a number, got {traces_per_second!r}")
        if not traces_per_second >= 0:
            raise ValueError(f"traces_per_second must be >= 0, got {traces_per_second!r}")
        self._rate = float(traces_per_second)
        self._capacity = max(self._rate, 1.0)
        self._tokens = self._capacity
        self._last = time.monotonic()

    def is_sampled(self, trace_id: str) -> bool:
        """Take a token when one is available."""
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0 and self._rate > 0:
            self._tokens -= 1.0
            return True
        return False
