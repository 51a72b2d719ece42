"""The job loop: consume the orders topic as a group member, ship each order, then commit.

The offset of a job is committed only once the job is done (or has failed for good), so a
worker that dies in between gets the job delivered again, to itself after a restart or to
another member of the group. Shipping is idempotent in db_proxy, so a redelivered job ships
nothing twice. Each delivery is one CONSUMER span continuing the trace of the producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata

import aiozipkin as az
from aiozipkin import kafka
from bookshop_common import (
    FAULT_HEADER,
    Fault,
    FaultPlan,
    FaultSpecError,
    InjectedFault,
    Upstream,
    UpstreamError,
    apply_faults,
    apply_holds,
    parse_fault_spec,
    reset_fault_spec,
    set_fault_spec,
)

__all__ = [
    "Consumer",
    "ConsumerFactory",
    "ConsumerStats",
    "Job",
    "default_consumer_factory",
    "parse_job",
]

_log = logging.getLogger("bookshop.worker")

ConsumerFactory = Callable[[], AIOKafkaConsumer]

_MAX_BACKOFF = 5.0
_FAULT_KEY = FAULT_HEADER.lower()


@dataclass(frozen=True, slots=True)
class Job:
    """A `ship_order` job and the fault spec that travelled with it."""

    order_id: int
    book_id: int
    fault_spec: str | None = None


def parse_job(value: object, fault_spec: str | None = None) -> Job:
    """Validate a job as read from the topic (JSON bytes); `ValueError` says what is wrong."""
    if isinstance(value, bytes | bytearray):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("not JSON") from None
    if not isinstance(value, dict) or value.get("type") != "ship_order":
        raise ValueError("not a ship_order job")
    ids = [value.get("order_id"), value.get("book_id")]
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise ValueError("order_id and book_id must be positive integers")
    return Job(order_id=value["order_id"], book_id=value["book_id"], fault_spec=fault_spec)


def _fault_spec(record: ConsumerRecord[bytes, bytes]) -> str | None:
    for key, raw in reversed(tuple(record.headers or ())):
        if isinstance(key, str) and key.lower() == _FAULT_KEY and isinstance(raw, bytes):
            return raw.decode("ascii", "replace")
    return None


@dataclass(slots=True)
class ConsumerStats:
    polls: int = 0
    processed: int = 0
    failed: int = 0
    retried: int = 0
    invalid: int = 0
    poll_errors: int = 0
    commits: int = 0


class Consumer:
    """Consumes one topic in a consumer group and processes its jobs one at a time."""

    def __init__(
        self,
        *,
        service_name: str,
        tracer: az.Tracer,
        consumer_factory: ConsumerFactory,
        topic: str,
        attempts: int,
        cache: Upstream,
        db_proxy: Upstream,
        default_faults: FaultPlan,
        retry_delay: float = 0.5,
    ) -> None:
        self._service_name = service_name
        self._tracer = tracer
        self._factory = consumer_factory
        self._topic = topic
        self._attempts = attempts
        self._cache = cache
        self._db_proxy = db_proxy
        self._default_faults = default_faults
        self._retry_delay = retry_delay
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stats = ConsumerStats()

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("consumer already started")
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self._topic}")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop consuming; let a job being processed finish and commit (up to `timeout`)."""
        self._stopping.set()
        task = self._task
        if task is None or task.done():
            return
        # No cancel while things go well: aiokafka leaks connections when cancelled in the
        # middle of start(), and the loop sees `_stopping` within one poll (0.5 s).
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self) -> None:
        consumer = await self._connect()
        if consumer is None:
            return
        try:
            await self._consume(consumer)
        finally:
            # Leaves the group at once, so a restarted worker is given the partitions quickly.
            await asyncio.shield(consumer.stop())

    async def _connect(self) -> AIOKafkaConsumer | None:
        backoff = 0.5
        while not self._stopping.is_set():
            consumer = self._factory()
            try:
                await consumer.start()
            except asyncio.CancelledError:
                await asyncio.shield(consumer.stop())
                raise
            except Exception as exc:
                await consumer.stop()
                self.stats.poll_errors += 1
                _log.warning("cannot reach the Kafka broker (%s); retrying in %.1fs", exc, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            _log.info("consuming topic %s", self._topic)
            return consumer
        return None

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                batches = await consumer.getmany(timeout_ms=500, max_records=1)
            except Exception as exc:
                self.stats.poll_errors += 1
                _log.warning(
                    "consuming %s failed (%s); retrying in %.1fs", self._topic, exc, backoff
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.5
            self.stats.polls += 1
            for partition, records in batches.items():
                for record in records:
                    await self._handle(record)
                    await self._commit(consumer, partition, record.offset + 1)

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Process one delivery, retrying transient failures; then hold if a fault asks."""
        spec = _fault_spec(record)
        try:
            job = parse_job(record.value, spec)
        except ValueError as exc:
            self.stats.invalid += 1
            _log.warning("dropping invalid job at offset %d: %s", record.offset, exc)
            return
        for attempt in range(1, self._attempts + 1):
            outcome = await self.process(job, record)
            if outcome != "retry":
                break
            if attempt < self._attempts:
                self.stats.retried += 1
                await asyncio.sleep(min(self._retry_delay * 2 ** (attempt - 1), _MAX_BACKOFF))
        else:
            _log.error("order %d not shipped after %d attempts", job.order_id, self._attempts)
        await apply_holds(self._faults(spec))

    async def _commit(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int
    ) -> None:
        try:
            await consumer.commit({partition: OffsetAndMetadata(offset, "")})
        except Exception as exc:
            # The group moved on (a rebalance, a broker restart): the job comes again, and
            # shipping it twice changes nothing.
            _log.warning("commit of %s@%d failed: %s", partition, offset, exc)
            return
        self.stats.commits += 1

    async def process(self, job: Job, record: kafka.ConsumedRecord) -> str:
        """Ship one order in a CONSUMER span; "done", "failed" (for good) or "retry"."""
        span = kafka.consumer_span(self._tracer, record)
        token = set_fault_spec(job.fault_spec)
        try:
            with span:
                span.tag("order.id", str(job.order_id))
                await apply_faults(self._faults(job.fault_spec))
                await self._db_proxy.call(
                    "POST",
                    "/queries/update_order_status",
                    parent=span.context,
                    json={"params": {"order_id": job.order_id, "status": "shipped"}},
                )
                await self._cache.call("DELETE", f"/kv/book:{job.book_id}", parent=span.context)
                _log.info("order %d shipped", job.order_id)
        except UpstreamError as exc:
            self.stats.failed += 1
            _log.warning("order %d failed: %s", job.order_id, exc)
            return "retry"
        except InjectedFault as exc:
            self.stats.failed += 1
            _log.warning("order %d failed: %s", job.order_id, exc)
            return "failed"
        except Exception:
            self.stats.failed += 1
            _log.exception("order %d failed", job.order_id)
            return "failed"
        finally:
            reset_fault_spec(token)
        self.stats.processed += 1
        return "done"

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _faults(self, spec: str | None) -> tuple[Fault, ...]:
        plan = FaultPlan()
        if spec:
            try:
                plan = parse_fault_spec(spec)
            except FaultSpecError as exc:
                _log.warning("ignoring bad fault spec in job: %s", exc)
        return plan.for_service(self._service_name) or self._default_faults.for_service(
            self._service_name
        )


def default_consumer_factory(
    bootstrap_servers: Sequence[str], topic: str, group: str
) -> ConsumerFactory:
    """Consumers of `topic` in `group` that commit by hand and start at the oldest job."""

    def make() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=list(bootstrap_servers),
            group_id=group,
            client_id="bookshop-worker",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A worker that died is noticed after 6 s (the broker's minimum), not the default 45.
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )

    return make
