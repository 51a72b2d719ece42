"""The orders queue, producer side: jobs go to a Kafka topic with their trace in the headers.

A job is only acknowledged once the broker has it (`acks="all"`). A broker that is down or
slow never holds a request longer than `publish_timeout`: the publish fails with
`JobNotQueued` and the caller answers an error instead of accepting the order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

import aiozipkin as az
from aiozipkin import kafka

__all__ = ["JobNotQueued", "JobPublisher", "ProducerFactory"]

_log = logging.getLogger("bookshop.backend")

ProducerFactory = Callable[[], AIOKafkaProducer]

_RETRY_MIN = 0.5
_RETRY_MAX = 5.0


class JobNotQueued(Exception):
    """The job could not be written to the broker in time."""


class JobPublisher:
    """Keeps one producer connected (reconnecting in the background) and publishes jobs."""

    def __init__(
        self,
        *,
        bootstrap_servers: Sequence[str],
        topic: str,
        tracer: az.Tracer,
        publish_timeout: float,
        producer_factory: ProducerFactory | None = None,
    ) -> None:
        self._topic = topic
        self._tracer = tracer
        self._publish_timeout = publish_timeout
        self._factory = producer_factory or _default_factory(bootstrap_servers, publish_timeout)
        self._producer: AIOKafkaProducer | None = None
        self._connected = asyncio.Event()
        self._closing = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """True once a producer has reached the broker."""
        return self._producer is not None

    def start(self) -> None:
        """Connect in the background: a broker that is not up yet does not stop start-up."""
        if self._connecting is not None:
            raise RuntimeError("publisher already started")
        self._connecting = asyncio.create_task(self._connect(), name="orders-producer")

    async def _connect(self) -> None:
        delay = _RETRY_MIN
        while not self._closing.is_set():
            producer = self._factory()
            try:
                await producer.start()
            except Exception as exc:
                await producer.stop()
                _log.warning("cannot reach the Kafka broker (%s); retrying in %.1fs", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            self._producer = producer
            self._connected.set()
            _log.info("connected to the Kafka broker; jobs go to topic %s", self._topic)
            return

    async def publish(
        self,
        job: dict[str, Any],
        parent: az.TraceContext,
        *,
        headers: Iterable[tuple[str, bytes]] = (),
    ) -> None:
        """Write `job` in a PRODUCER span under `parent`; `JobNotQueued` if it was not written.

        `headers` go with the record, beside the trace context.
        """
        value = json.dumps(job, separators=(",", ":")).encode()
        try:
            # One deadline for both: waiting for the connection and the broker's ack.
            async with asyncio.timeout(self._publish_timeout):
                await self._connected.wait()
                assert self._producer is not None
                await kafka.send_traced(
                    self._producer,
                    self._tracer,
                    self._topic,
                    value,
                    key=str(job["order_id"]).encode(),
                    headers=headers,
                    parent=parent,
                )
        except TimeoutError:
            state = "take the job" if self.connected else "answer"
            raise JobNotQueued(
                f"the broker did not {state} in {self._publish_timeout:g}s"
            ) from None
        except Exception as exc:  # aiokafka's errors: translated at the boundary
            raise JobNotQueued(f"the broker refused the job: {exc}") from exc

    async def close(self, timeout: float = 10.0) -> None:
        """Stop connecting and close the producer (it flushes what it holds)."""
        self._closing.set()
        task = self._connecting
        if task is not None and not task.done():
            # Not cancelled at once: aiokafka leaks connections when cancelled inside start().
            done, _ = await asyncio.wait([task], timeout=timeout)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()


def _default_factory(bootstrap_servers: Sequence[str], publish_timeout: float) -> ProducerFactory:
    timeout_ms = int(publish_timeout * 1000)

    def make() -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=list(bootstrap_servers),
            client_id="bookshop-backend",
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=max(timeout_ms, 1000),
            retry_backoff_ms=200,
        )

    return make
