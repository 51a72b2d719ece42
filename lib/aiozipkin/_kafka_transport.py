"""`KafkaTransport`: the transport core's queue and retry policy, with a Kafka sender.

A batch is one Kafka record whose value is a list of spans (Zipkin v2 JSON, or proto3
`ListOfSpans`): what Zipkin's Kafka collector and Jaeger's kafka receiver read. The producer
is aiokafka's, made in the sender's event loop on first use; this module imports aiokafka,
so only `aiozipkin.kafka` and a `kafka://` address in `aiozipkin.create` load it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any, Final, NamedTuple, Protocol

try:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import (
        ClusterAuthorizationFailedError,
        CorruptRecordException,
        InvalidTopicError,
        KafkaError,
        MessageSizeTooLargeError,
        RecordTooLargeError,
        TopicAuthorizationFailedError,
    )
except ImportError as exc:  # without the extra: say which one, not just the missing name
    raise ImportError(
        f"aiozipkin.kafka needs aiokafka: pip install 'aiozipkin[kafka]' ({exc})"
    ) from exc

from ._transport.batching import BatchingTransport, BatchSettings
from ._transport.codec import parse_encoding
from ._transport.sender import REJECTED, SENT, Delivery, Outcome
from .encoding import Encoding

__all__ = ["KafkaAddress", "KafkaSender", "KafkaTransport", "Producer", "parse_kafka_address"]

logger = logging.getLogger("aiozipkin")

_KiB: Final = 1024
_MiB: Final = 1024 * _KiB
DEFAULT_TOPIC: Final = "zipkin"
_DEFAULT_PORT: Final = 9092
_DEFAULT_TIMEOUT: Final = 10.0
# Kafka's own rule for topic names.
_TOPIC: Final = re.compile(r"[a-zA-Z0-9._-]{1,249}")
# Room for the record batch and record headers around one message, in Kafka's framing.
_RECORD_OVERHEAD: Final = 1024
_COMPRESSIONS: Final = (None, "gzip", "snappy", "lz4", "zstd")
# What another attempt cannot fix: the batch is dropped (and counted as rejected).
_PERMANENT: Final = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    InvalidTopicError,
    CorruptRecordException,
)


class KafkaAddress(NamedTuple):
    """Where a `kafka://` address points: bootstrap brokers ("host:port,...") and a topic."""

    bootstrap_servers: str
    topic: str


def parse_kafka_address(address: str) -> KafkaAddress:
    """Parse `kafka://host[:port][,host[:port]...][/topic]`; a ValueError names what is wrong.

    The port defaults to 9092 and the topic to `zipkin`.
    """
    scheme, sep, rest = address.partition("://")
    if not sep or scheme.lower() != "kafka":
        raise ValueError(f"a Kafka address is kafka://host:port/topic, got {address!r}")
    servers, _, topic = rest.partition("/")
    topic = topic.rstrip("/") or DEFAULT_TOPIC
    if not _TOPIC.fullmatch(topic) or topic in (".", ".."):
        raise ValueError(f"Kafka topic {topic!r} in {address!r} is not a valid topic name")
    brokers = []
    for server in servers.split(","):
        host, colon, port = server.strip().rpartition(":")
        if not colon:
            host, port = port, str(_DEFAULT_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"Kafka broker {server!r} in {address!r} is not host:port")
        brokers.append(f"{host}:{int(port)}")
    return KafkaAddress(",".join(brokers), topic)


class Producer(Protocol):
    """What the sender needs of an `aiokafka.AIOKafkaProducer`."""

    async def start(self) -> None: ...

    async def send_and_wait(self, topic: str, value: bytes) -> Any: ...

    async def stop(self) -> None: ...


ProducerFactory = Callable[[], Producer]


class KafkaSender:
    """Produces each batch as one record on `topic`; classifies aiokafka's errors.

    Rejected: a record too large for the producer or the broker, and what another attempt
    cannot fix (authorization, an invalid topic, a corrupt record). Everything else is
    retried: connection errors and the errors Kafka calls retriable (no leader, a topic being
    created, ...) with the same producer; timeouts and errors of the producer's own state
    (fenced, out of sequence) with a new one. An attempt lasts about `send_timeout` seconds
    at most.
    """

    def __init__(
        self,
        address: KafkaAddress,
        *,
        message_max_bytes: int,
        send_timeout: float | None = None,
        compression_type: str | None = None,
        client_id: str = "aiozipkin",
        producer_factory: ProducerFactory | None = None,
    ) -> None:
        if send_timeout is None:
            send_timeout = _DEFAULT_TIMEOUT
        if not send_timeout > 0:
            raise ValueError(f"send_timeout must be > 0, got {send_timeout!r}")
        if compression_type not in _COMPRESSIONS:
            choices = ", ".join(repr(c) for c in _COMPRESSIONS)
            raise ValueError(f"compression_type must be one of {choices}, got {compression_type!r}")
        self._address = address
        self._target = f"kafka://{address.bootstrap_servers}/{address.topic}"
        self._timeout = float(send_timeout)
        self._message_max = message_max_bytes
        self._compression = compression_type
        self._client_id = client_id
        self._factory = producer_factory or self._new_producer
        self._producer: Producer | None = None
        self._logged_rejections: set[str] = set()

    @property
    def target(self) -> str:
        return self._target

    @property
    def topic(self) -> str:
        """The topic the batches go to."""
        return self._address.topic

    def _new_producer(self) -> Producer:
        size = self._message_max + _RECORD_OVERHEAD
        producer: Producer = AIOKafkaProducer(
            bootstrap_servers=self._address.bootstrap_servers,
            client_id=self._client_id,
            # Not idempotent: an idempotent aiokafka producer retries a record forever while
            # the broker is away, holding it past any timeout of ours and flushing it late.
            # This way a record that is not answered within request_timeout_ms fails, leaves
            # the producer, and the batch is retried by the transport's policy instead.
            enable_idempotence=False,
            acks="all",
            request_timeout_ms=int(self._timeout * 1000),
            max_request_size=size,
            max_batch_size=max(size, 16 * _KiB),
            compression_type=self._compression,
            linger_ms=0,
        )
        return producer

    async def prepare(self, message: bytes) -> bytes:
        # Kafka compresses the record itself (compression_type), so the value is the message.
        return message

    async def send(self, body: bytes) -> Delivery:
        try:
            producer = await self._started()
            # aiokafka gives up on the record after request_timeout_ms; the guard only catches
            # a hang past that, after which the producer is not trusted any more.
            await asyncio.wait_for(
                producer.send_and_wait(self._address.topic, body), self._timeout + 5.0
            )
            return SENT
        except asyncio.CancelledError:
            raise
        except _PERMANENT as exc:
            return self._rejected(exc)
        except asyncio.TimeoutError:
            await self._discard()
            return Delivery(Outcome.RETRY, f"no answer from Kafka within {self._timeout:.0f} s")
        except KafkaError as exc:
            if not exc.retriable:
                # A timeout, or a producer in a state it does not leave (fenced, closed, out
                # of sequence): the next attempt starts from a new producer.
                await self._discard()
            return Delivery(Outcome.RETRY, _describe(exc))
        except OSError as exc:
            return Delivery(Outcome.RETRY, _describe(exc))
        except Exception as exc:
            logger.exception("aiozipkin: unexpected failure producing to %s", self._target)
            await self._discard()
            return Delivery(Outcome.RETRY, repr(exc))

    async def _started(self) -> Producer:
        if self._producer is not None:
            return self._producer
        producer = self._factory()
        try:
            await asyncio.wait_for(producer.start(), self._timeout)
        except BaseException:
            # A producer that did not start still holds a client: close it before retrying.
            await _stop_quietly(producer, self._timeout)
            raise
        self._producer = producer
        return producer

    def _rejected(self, exc: Exception) -> Delivery:
        name = type(exc).__name__
        level = logging.DEBUG if name in self._logged_rejections else logging.ERROR
        self._logged_rejections.add(name)
        logger.log(
            level, "aiozipkin: Kafka refused a batch for %s, not retried: %s", self._target, exc
        )
        return REJECTED

    async def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer, self._timeout)

    def detach(self) -> None:
        self._producer = None

    async def close(self) -> None:
        await self._discard()


async def _stop_quietly(producer: Producer, timeout: float) -> None:
    """Stop a producer within about `timeout` s; its failures are logged, never raised."""
    try:
        # stop() flushes what aiokafka still holds, which lasts until its request timeout.
        await asyncio.wait_for(producer.stop(), timeout + 5.0)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        logger.debug("aiozipkin: stopping the Kafka producer failed: %s", _describe(exc))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class KafkaTransport(BatchingTransport):
    """Batches spans and produces each batch as one record to a Kafka topic.

    `address` is `kafka://host:port[,host:port...]/topic` (topic `zipkin` by default), which
    is where Zipkin's Kafka collector reads. Everything else is as for `Transport`: `send`
    is O(1) and never blocks or raises; the queue is bounded by `max_queue_spans` and
    `max_queue_bytes`; a batch holds at most `send_max_size` spans and `message_max_bytes`
    bytes (keep it under the broker's `message.max.bytes`, about 1 MB by default), a larger
    span is dropped as too large; retries back off with jitter until Kafka has been failing
    for `retry_budget` seconds; `close(timeout)` returns the undelivered count; `stats()`
    has the same keys.

    `send_timeout` bounds one produce, in seconds (None: 10).
    `compression_type` ("gzip", "lz4", "snappy", "zstd"; the last three need aiokafka's
    extras) compresses records in the event loop, at aiokafka's level: off by default.
    `producer_factory` makes the producer (it is called in the sender's event loop) instead
    of the transport's own `aiokafka.AIOKafkaProducer`.
    """

    def __init__(
        self,
        address: str,
        send_interval: float = 5,
        *,
        send_max_size: int = 100,
        send_attempt_count: int | None = None,
        send_timeout: float | None = None,
        max_queue_spans: int = 10_000,
        max_queue_bytes: int = 8 * _MiB,
        message_max_bytes: int = 512 * _KiB,
        encoding: Encoding | str = Encoding.JSON,
        compression_type: str | None = None,
        retry_budget: float = 120.0,
        client_id: str = "aiozipkin",
        producer_factory: ProducerFactory | None = None,
    ) -> None:
        self._kafka_address = parse_kafka_address(address)
        self._kafka = KafkaSender(
            self._kafka_address,
            message_max_bytes=message_max_bytes,
            send_timeout=send_timeout,
            compression_type=compression_type,
            client_id=client_id,
            producer_factory=producer_factory,
        )
        settings = BatchSettings.pick(locals())
        super().__init__(self._kafka, parse_encoding(encoding), settings)

    @property
    def bootstrap_servers(self) -> str:
        """The brokers the producer starts from, "host:port,..."."""
        return self._kafka_address.bootstrap_servers

    @property
    def topic(self) -> str:
        """The topic the batches go to."""
        return self._kafka_address.topic
