"""Kafka for aiozipkin: a span transport through a Kafka topic, and traced messaging helpers
for aiokafka producers and consumers.

`import aiozipkin` never imports this module. `KafkaTransport` needs the `kafka` extra
(`pip install 'aiozipkin[kafka]'`); without it, using it raises an ImportError that says so.

The messaging helpers are modelled on Brave's kafka instrumentation: the producer writes the
`b3` single header (without parent id) into the record, the consumer's span is a child of
the producer's, and both name the broker as the remote service `kafka`. Records, send
results and producers are read through their attributes only, so they need no aiokafka.

Headers are read defensively: a value that is not bytes, too long, not ASCII, or malformed
is treated as absent, and the consumer starts a new trace. Nothing here raises on input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, Final, Protocol

from .constants import CONSUMER, PRODUCER
from .context import TraceContext
from .current import current_context
from .propagation import B3_MULTI, W3C, Extracted, extract, extract_message
from .span import SpanAbc
from .tracer import Tracer

if TYPE_CHECKING:
    from ._kafka_transport import KafkaTransport


__all__ = [
    "KAFKA_SERVICE",
    "MESSAGING_DESTINATION",
    "MESSAGING_KAFKA_OFFSET",
    "MESSAGING_KAFKA_PARTITION",
    "MESSAGING_SYSTEM",
    "ConsumedRecord",
    "Headers",
    "KafkaTransport",
    "RecordProducer",
    "SentRecord",
    "consumer_span",
    "extract_headers",
    "inject_headers",
    "producer_span",
    "send_traced",
    "tag_sent",
]

MESSAGING_SYSTEM: Final = "messaging.system"
MESSAGING_DESTINATION: Final = "messaging.destination"
MESSAGING_KAFKA_PARTITION: Final = "messaging.kafka.partition"
MESSAGING_KAFKA_OFFSET: Final = "messaging.kafka.offset"
KAFKA_SERVICE: Final = "kafka"

Headers = list[tuple[str, bytes]]

# The headers this module writes (replaced on inject) and reads (all others are ignored).
_WRITTEN: Final = frozenset({"b3", "traceparent", "tracestate"})
_READ: Final = _WRITTEN | {
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
}
# Longer values are not decoded: the longest valid one (tracestate) has 512 characters.
_MAX_VALUE_BYTES: Final = 512
_NOTHING: Final = Extracted()


class SentRecord(Protocol):
    """Where a sent record landed (aiokafka's `RecordMetadata` has it)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


class ConsumedRecord(SentRecord, Protocol):
    """What a consumer span reads of a record (aiokafka's `ConsumerRecord` has it).

    Where the record landed, as for a sent one, and its headers.
    """

    @property
    def headers(self) -> Iterable[tuple[str, bytes]] | None: ...


class RecordProducer(Protocol):
    """The part of aiokafka's `AIOKafkaProducer` that `send_traced` uses."""

    def send_and_wait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Any = None,
    ) -> Awaitable[Any]: ...


def inject_headers(span: SpanAbc, headers: Iterable[tuple[str, bytes]] = ()) -> Headers:
    """`headers` plus `span`'s context: `b3`, and `traceparent` when its tracer writes W3C.

    Trace headers already in `headers` are replaced; the list passed in is not changed.
    """
    context = span.context
    out = [(key, value) for key, value in headers if key.lower() not in _WRITTEN]
    out.append(("b3", context.single_header_value(include_parent=False).encode("ascii")))
    if W3C in span.tracer.inject_formats:
        out.append(("traceparent", context.make_traceparent().encode("ascii")))
    if context.tracestate:
        out.append(("tracestate", context.tracestate.encode("ascii")))
    return out


def _carrier(headers: object) -> dict[str, str]:
    """The trace headers of a record as text; the last of duplicates wins, as in Kafka."""
    carrier: dict[str, str] = {}
    if not headers:
        return carrier
    try:
        for item in headers:  # type: ignore[attr-defined]
            if not isinstance(item, tuple) or len(item) != 2:
                continue
            key, value = item
            if not isinstance(key, str) or not isinstance(value, bytes | bytearray):
                continue
            name = key.lower()
            if name not in _READ or len(value) > _MAX_VALUE_BYTES:
                continue
            try:
                carrier[name] = value.decode("ascii")
            except UnicodeDecodeError:
                continue
    except Exception:
        # Not iterable, or an iterator that fails: the record carries nothing readable.
        return {}
    return carrier


def _extract(headers: object, prefer: str) -> Extracted:
    carrier = _carrier(headers)
    if not carrier:
        return _NOTHING
    found = extract(carrier, prefer=prefer)
    if found.context is None or prefer == W3C:
        return found
    # B3 won: read the tracestate written beside it, as `extract_message` does.
    return found._replace(context=extract_message(carrier))


def extract_headers(
    headers: Iterable[tuple[object, object]] | None, *, prefer: str = B3_MULTI
) -> TraceContext | None:
    """The trace context in a record's headers, or None (absent or malformed); never raises."""
    return _extract(headers, prefer).context


def producer_span(
    tracer: Tracer,
    topic: str,
    *,
    parent: TraceContext | None = None,
    name: str | None = None,
) -> SpanAbc:
    """A PRODUCER span (not started) for sending to `topic`.

    Its parent is `parent`, else the current span; without either it starts a trace.
    """
    if parent is None:
        parent = current_context()
    span = tracer.new_trace() if parent is None else tracer.new_child(parent)
    span.name(name or f"publish {topic}").kind(PRODUCER)
    span.remote_endpoint(KAFKA_SERVICE)
    span.tag(MESSAGING_SYSTEM, "kafka").tag(MESSAGING_DESTINATION, topic)
    return span


def tag_sent(span: SpanAbc, sent: SentRecord) -> None:
    """Tag a PRODUCER span with the partition and offset the broker gave the record."""
    span.tag(MESSAGING_KAFKA_PARTITION, sent.partition).tag(MESSAGING_KAFKA_OFFSET, sent.offset)


def consumer_span(tracer: Tracer, record: ConsumedRecord, *, name: str | None = None) -> SpanAbc:
    """A CONSUMER span (not started) for processing `record`, continuing the producer's trace.

    A record without a valid context starts a new trace; a sampling decision alone
    (`b3: 0`, say) is honoured.
    """
    found = _extract(getattr(record, "headers", None), tracer.extract_prefer)
    if found.context is not None:
        span = tracer.new_child(found.context)
    else:
        span = tracer.new_trace(sampled=found.sampled, debug=found.debug)
    topic = str(record.topic)
    span.name(name or f"process {topic}").kind(CONSUMER)
    span.remote_endpoint(KAFKA_SERVICE)
    span.tag(MESSAGING_SYSTEM, "kafka").tag(MESSAGING_DESTINATION, topic)
    span.tag(MESSAGING_KAFKA_PARTITION, record.partition)
    span.tag(MESSAGING_KAFKA_OFFSET, record.offset)
    return span


async def send_traced(
    producer: RecordProducer,
    tracer: Tracer,
    topic: str,
    value: Any = None,
    *,
    key: Any = None,
    partition: int | None = None,
    headers: Iterable[tuple[str, bytes]] = (),
    parent: TraceContext | None = None,
    name: str | None = None,
) -> Any:
    """`producer.send_and_wait(...)` in a PRODUCER span whose context travels in the headers.

    Returns what `send_and_wait` returns (the record's metadata). A failed send raises as
    it would untraced, and the span is reported with the `error` tag.
    """
    with producer_span(tracer, topic, parent=parent, name=name) as span:
        sent = await producer.send_and_wait(
            topic, value, key=key, partition=partition, headers=inject_headers(span, headers)
        )
        tag_sent(span, sent)
    return sent


def __getattr__(name: str) -> object:
    # The transport needs aiokafka; the messaging helpers take aiokafka's objects as they
    # come, so they work (and import) without it.
    if name == "KafkaTransport":
        from ._kafka_transport import KafkaTransport

        return KafkaTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
