"""The transport core's layers on their own: the span queue, and a sender other than HTTP."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest

import aiozipkin as az
from aiozipkin._transport.batching import BatchingTransport, BatchSettings
from aiozipkin._transport.codec import CODECS
from aiozipkin._transport.queue import QUEUE_FULL, TOO_LARGE, SpanQueue
from aiozipkin._transport.sender import REJECTED, SENT, Delivery, Outcome
from aiozipkin.testing import zipkin_json
from tests.support.polling import eventually
from tests.support.spans import make_record, make_records

JSON = CODECS[az.Encoding.JSON]


def make_queue(**bounds: int) -> SpanQueue:
    settings = {"max_spans": 10, "max_bytes": 1000, "batch_spans": 3, "batch_bytes": 100}
    settings.update(bounds)
    return SpanQueue(JSON, target="test", **settings)


def test_the_queue_frames_batches_from_its_head() -> None:
    queue = make_queue()
    for n in range(5):
        assert queue.offer(b'"%d"' % n)
    assert queue.batch_ready()
    batch = queue.next_batch()
    assert batch is not None
    assert (batch.spans, batch.size, batch.message) == (3, 9, b'["0","1","2"]')
    assert len(queue) == 5  # still queued until released
    queue.release(batch)
    assert (len(queue), queue.nbytes) == (2, 6)
    assert not queue.batch_ready()
    rest = queue.next_batch()
    assert rest is not None
    assert json.loads(rest.message) == ["3", "4"]


def test_a_batch_is_capped_by_bytes_once_framed() -> None:
    queue = make_queue(batch_spans=100, batch_bytes=13)
    for data in (b'"aaa"', b'"bbb"', b'"c"'):
        queue.offer(data)
    assert queue.batch_ready()  # 13 bytes of spans fill a 13-byte message
    batch = queue.next_batch()
    assert batch is not None
    assert batch.message == b'["aaa","bbb"]'  # exactly 13 bytes: one more span is too many
    assert batch.size == 10


@pytest.mark.parametrize(
    ("bounds", "data", "cause"),
    [
        pytest.param({"max_spans": 2}, [b"1", b"2", b"3"], QUEUE_FULL, id="count"),
        pytest.param({"max_bytes": 4}, [b"12", b"34", b"5"], QUEUE_FULL, id="bytes"),
        pytest.param({"batch_bytes": 5}, [b"123456"], TOO_LARGE, id="too-large"),
    ],
)
def test_the_queue_drops_what_does_not_fit_and_counts_why(
    bounds: dict[str, int], data: list[bytes], cause: str
) -> None:
    queue = make_queue(**bounds)
    results = [queue.offer(d) for d in data]
    assert results[-1] is False
    counts = queue.counts
    assert counts[cause] == 1
    assert counts["spans_dropped"] == 1
    assert counts["spans_queued"] == len(data) - 1


class ScriptedSender:
    """A sender keeping the bodies it accepts; answers from `script` first, then SENT."""

    def __init__(self, script: list[Delivery] | None = None) -> None:
        self.script = list(script or [])
        self.attempts: list[bytes] = []
        self.delivered: list[bytes] = []
        self.closed = 0

    @property
    def target(self) -> str:
        return "scripted"

    async def prepare(self, message: bytes) -> bytes:
        return message  # framed, not compressed: what a Kafka sender does

    async def send(self, body: bytes) -> Delivery:
        self.attempts.append(body)
        delivery = self.script.pop(0) if self.script else SENT
        if delivery.outcome is Outcome.SENT:
            self.delivered.append(body)
        return delivery

    def detach(self) -> None:
        pass

    async def close(self) -> None:
        self.closed += 1


def test_batch_settings_are_picked_by_name_and_checked() -> None:
    values = {f.name: 1 for f in dataclasses.fields(BatchSettings)}
    settings = BatchSettings.pick({**values, "self": object(), "address": "x"})
    assert dataclasses.asdict(settings) == values
    with pytest.raises(ValueError, match="send_interval must be > 0"):
        BatchSettings.pick({**values, "send_interval": 0})
    with pytest.raises(KeyError, match="retry_budget"):
        BatchSettings.pick({k: v for k, v in values.items() if k != "retry_budget"})


def test_the_http_transport_takes_every_batch_setting_by_its_name() -> None:
    parameters = inspect.signature(az.Transport).parameters
    assert {f.name for f in dataclasses.fields(BatchSettings)} <= parameters.keys()
    with pytest.raises(ValueError, match="send_interval must be > 0"):
        az.Transport("http://127.0.0.1:9/api/v2/spans", 0)
    with pytest.raises(ValueError, match="retry_budget must be >= 0"):
        az.Transport("http://127.0.0.1:9/api/v2/spans", retry_budget=-1)


def batching(sender: ScriptedSender, retry_budget: float = 60.0) -> BatchingTransport:
    settings = BatchSettings(
        send_interval=0.01,
        send_max_size=100,
        send_attempt_count=None,
        max_queue_spans=100,
        max_queue_bytes=100_000,
        message_max_bytes=100_000,
        retry_budget=retry_budget,
    )
    return BatchingTransport(sender, az.Encoding.JSON, settings)


async def test_another_sender_gets_the_same_queue_retries_and_stats(
    fast_backoff: None,
) -> None:
    retry = Delivery(Outcome.RETRY, "broker unavailable")
    sender = ScriptedSender([retry, retry])
    transport = batching(sender)
    records = make_records(3)
    for record in records:
        transport.send(record)
    await eventually(lambda: sender.delivered, what="the batch after two retries")
    assert json.loads(sender.delivered[0]) == [zipkin_json(r) for r in records]
    assert await transport.close() == 0
    assert sender.closed >= 1
    stats = transport.stats()
    assert set(stats) == set(az.Transport("http://127.0.0.1:9/api/v2/spans").stats())
    assert (stats["retries"], stats["spans_sent"], stats["batches_sent"]) == (2, 3, 1)
    assert stats["bytes_sent"] == stats["bytes_encoded"] == len(sender.delivered[0])


async def test_a_rejected_batch_is_dropped_and_counted() -> None:
    sender = ScriptedSender([REJECTED])
    transport = batching(sender)
    transport.send(make_record())
    await eventually(lambda: transport.stats()["batches_rejected"], what="the rejection")
    assert await transport.close() == 0
    stats = transport.stats()
    assert (stats["dropped_failed"], stats["spans_sent"], len(sender.attempts)) == (1, 0, 1)


async def test_a_sender_that_keeps_failing_loses_only_what_close_cannot_deliver(
    fast_backoff: None,
) -> None:
    sender = ScriptedSender([Delivery(Outcome.RETRY, "down")] * 1000)
    transport = batching(sender)
    for record in make_records(4):
        transport.send(record)
    await eventually(lambda: len(sender.attempts) >= 2, what="a retry")
    assert await transport.close(timeout=0.1) == 4
    stats = transport.stats()
    assert (stats["dropped_shutdown"], stats["dropped_failed"], stats["queue_spans"]) == (4, 0, 0)


async def test_fan_out_hands_encoded_spans_to_any_batching_transport(fast_backoff: None) -> None:
    first, second = ScriptedSender(), ScriptedSender()
    multi = az.MultiTransport([batching(first), batching(second)])
    multi.send(make_record(7))
    assert await multi.close() == 0
    assert first.delivered == second.delivered
    assert json.loads(first.delivered[0]) == [zipkin_json(make_record(7))]
