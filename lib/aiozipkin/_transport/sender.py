"""What a sender is: the layer that delivers one framed batch of spans somewhere.

A `BatchingTransport` owns one sender and calls it from its sender task, one batch at a time:

- `target`: where the spans go, for log lines (a URL, a topic).
- `await prepare(message)`: the body to deliver for a framed message: gzipped for HTTP, the
  message itself for a sender whose protocol compresses (Kafka). Measured as `bytes_sent`.
- `await send(body)`: one attempt, which never raises for a failure of the far side; it
  answers a `Delivery`: `SENT`, `RETRY` (worth another attempt after the retry policy's
  backoff; `retry_after` is the wait the far side asked for) or `REJECTED` (dropped, not
  retried). `error` says what went wrong, for the transport's warning.
- `detach()`: the event loop the sender's connections belong to is gone; forget them without
  closing them (the next `send` opens new ones in the running loop).
- `await close()`: release the connections; a later `send` may open new ones.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple, Protocol

__all__ = ["REJECTED", "SENT", "Delivery", "Outcome", "Sender"]


class Outcome(enum.Enum):
    """What became of one delivery attempt."""

    SENT = enum.auto()
    RETRY = enum.auto()
    REJECTED = enum.auto()


class Delivery(NamedTuple):
    """The outcome of one attempt, why it failed, and how long the far side asks to wait."""

    outcome: Outcome
    error: str = ""
    retry_after: float | None = None


SENT: Final = Delivery(Outcome.SENT)
REJECTED: Final = Delivery(Outcome.REJECTED)


class Sender(Protocol):
    """Delivers framed batches of encoded spans; see the module docstring."""

    @property
    def target(self) -> str:
        """Where the spans go, for log lines."""
        ...

    async def prepare(self, message: bytes) -> bytes:
        """The body that carries `message`."""
        ...

    async def send(self, body: bytes) -> Delivery:
        """One attempt to deliver `body`."""
        ...

    def detach(self) -> None:
        """Forget connections whose event loop is gone, without closing them."""
        ...

    async def close(self) -> None:
        """Close the connections."""
        ...
