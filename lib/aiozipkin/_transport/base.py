"""What every transport is, and what accepts spans that are encoded already."""

from __future__ import annotations

import abc
from typing import Protocol, runtime_checkable

from ..encoding import Encoding
from ..record import Record

__all__ = ["EncodedSpanSink", "TransportABC"]


class TransportABC(abc.ABC):
    """Receives finished spans. Implementations must not block or raise from `send`."""

    @abc.abstractmethod
    def send(self, record: Record) -> None:
        """Accept one finished span.

        Args:
            record: the span; `record.asdict()` is its Zipkin v2 JSON form.
        """

    @abc.abstractmethod
    async def close(self) -> int | None:
        """Deliver what can be delivered and release resources.

        Returns:
            How many spans could not be delivered, or None when the transport does not know.
        """

    def stats(self) -> dict[str, int]:
        """Counters of what the transport did; empty when it keeps none."""
        return {}


@runtime_checkable
class EncodedSpanSink(Protocol):
    """A transport that takes spans already encoded, so a fan-out encodes each span once."""

    @property
    def encoding(self) -> Encoding:
        """The encoding the spans handed to `send_encoded` must have."""
        ...

    def send_encoded(self, data: bytes) -> None:
        """Accept one span encoded with `encoding`, from any thread; never blocks or raises."""
        ...

    def drop_unencodable(self) -> None:
        """Count (and log once) a span that could not be encoded for this transport."""
        ...
