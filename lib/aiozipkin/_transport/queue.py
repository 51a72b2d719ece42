"""The span queue: encoded spans bounded by count and bytes, taken from the head in batches.

Spans that do not fit are dropped and counted by cause; a warning sums the drops up at most
every `WARN_INTERVAL` seconds. The queue is not thread-safe: one event loop changes it.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import time
from collections import deque
from typing import Final, NamedTuple

from .codec import Codec

__all__ = [
    "DROP_CAUSES",
    "ENCODE",
    "FAILED",
    "QUEUE_FULL",
    "SHUTDOWN",
    "TOO_LARGE",
    "WARN_INTERVAL",
    "Batch",
    "SpanQueue",
]

logger = logging.getLogger("aiozipkin")

QUEUE_FULL: Final = "dropped_queue_full"
FAILED: Final = "dropped_failed"
SHUTDOWN: Final = "dropped_shutdown"
ENCODE: Final = "dropped_encode"
TOO_LARGE: Final = "dropped_too_large"
DROP_CAUSES: Final = (QUEUE_FULL, FAILED, SHUTDOWN, ENCODE, TOO_LARGE)
# Drops are reported by a warning at most this often.
WARN_INTERVAL: Final = 10.0


class Batch(NamedTuple):
    """The spans at the head of the queue that form one message, framed."""

    spans: int
    size: int  # the spans' bytes, without framing
    message: bytes


class SpanQueue:
    """Encoded spans waiting to be sent, in arrival order; `counts` says what became of them."""

    def __init__(
        self,
        codec: Codec,
        *,
        max_spans: int,
        max_bytes: int,
        batch_spans: int,
        batch_bytes: int,
        target: str,
    ) -> None:
        self._codec = codec
        self._max_spans = max_spans
        self._max_bytes = max_bytes
        self._batch_spans = batch_spans
        self._batch_bytes = batch_bytes
        # The largest span that fits in a message on its own (and in the queue).
        self._span_max = min(batch_bytes - len(codec.start) - len(codec.end), max_bytes)
        self._target = target
        self._spans: deque[bytes] = deque()
        self._bytes = 0
        self._counts = dict.fromkeys(("spans_queued", "spans_dropped", *DROP_CAUSES), 0)
        self._warned = dict.fromkeys(DROP_CAUSES, 0)
        self._next_warning = 0.0

    def __len__(self) -> int:
        return len(self._spans)

    @property
    def nbytes(self) -> int:
        """The bytes of the queued spans."""
        return self._bytes

    @property
    def counts(self) -> dict[str, int]:
        """spans_queued, spans_dropped, and the drops by cause (`DROP_CAUSES`)."""
        return dict(self._counts)

    def is_full(self) -> bool:
        """True when no span fits, whatever its size (known before paying for an encoding)."""
        return len(self._spans) >= self._max_spans

    def batch_ready(self) -> bool:
        """True when the queue holds a full batch, by count or by bytes."""
        return len(self._spans) >= self._batch_spans or self._bytes >= self._batch_bytes

    def offer(self, data: bytes) -> bool:
        """Queue one encoded span; False when it was dropped (too large, or no room)."""
        size = len(data)
        if size > self._span_max:
            self.drop(TOO_LARGE)
            return False
        if len(self._spans) >= self._max_spans or self._bytes + size > self._max_bytes:
            self.drop(QUEUE_FULL)
            return False
        self._spans.append(data)
        self._bytes += size
        self._counts["spans_queued"] += 1
        return True

    def next_batch(self) -> Batch | None:
        """The next batch, framed, still queued (see `release`); None when the queue is empty.

        It is the longest run from the head within `batch_spans` spans and `batch_bytes`
        bytes once framed; a span larger than that goes alone.
        """
        spans = self._spans
        count = min(len(spans), self._batch_spans)
        if not count:
            return None
        codec = self._codec
        step = len(codec.separator)
        budget = self._batch_bytes - len(codec.start) - len(codec.end)
        if count == len(spans) and self._bytes + (count - 1) * step <= budget:
            size = self._bytes  # the whole queue fits: no need to measure spans
        else:
            # Running totals of span plus separator, in C; the batch is the longest prefix
            # whose total, less the one separator too many, fits the budget.
            totals = list(itertools.accumulate(map(len, itertools.islice(spans, count))))
            if step:
                totals = [total + i * step for i, total in enumerate(totals, 1)]
            count = max(bisect.bisect_right(totals, budget + step), 1)
            size = totals[count - 1] - count * step
        body = codec.separator.join(itertools.islice(spans, count))
        return Batch(count, size, codec.start + body + codec.end)

    def release(self, batch: Batch) -> None:
        """Remove `batch`, which `next_batch` returned, from the head of the queue."""
        popleft = self._spans.popleft
        for _ in range(batch.spans):
            popleft()
        self._bytes -= batch.size

    def clear(self) -> int:
        """Empty the queue; how many spans it held."""
        count = len(self._spans)
        self._spans.clear()
        self._bytes = 0
        return count

    def drop(self, cause: str, count: int = 1, *, warn: bool = True) -> None:
        """Count `count` spans dropped for `cause`; warn unless a warning went out lately."""
        counts = self._counts
        counts[cause] += count
        counts["spans_dropped"] += count
        if not warn:
            return
        now = time.monotonic()
        if now < self._next_warning:
            return
        self._next_warning = now + WARN_INTERVAL
        new = {c: counts[c] - self._warned[c] for c in DROP_CAUSES}
        self._warned = {c: counts[c] for c in DROP_CAUSES}
        detail = ", ".join(f"{c.removeprefix('dropped_')}={n}" for c, n in new.items() if n)
        logger.warning(
            "aiozipkin: dropped %d spans for %s (%s); %d queued, %d bytes",
            sum(new.values()),
            self._target,
            detail,
            len(self._spans),
            self._bytes,
        )
