"""The job loop: pop a job, continue its trace in a CONSUMER span, ship the order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

import aiozipkin as az
from bookshop_common import (
    FAULT_HEADER,
    Fault,
    FaultPlan,
    FaultSpecError,
    InjectedFault,
    Upstream,
    UpstreamError,
    apply_faults,
    parse_fault_spec,
    reset_fault_spec,
    set_fault_spec,
)

__all__ = ["Consumer", "ConsumerStats", "Job", "parse_job"]

_log = logging.getLogger("bookshop.worker")

_MAX_BACKOFF = 5.0


@dataclass(frozen=True, slots=True)
class Job:
    """A `ship_order` job and the message headers that carry its trace context."""

    order_id: int
    book_id: int
    headers: Mapping[str, str]


def parse_job(raw: object) -> Job:
    """Validate a job as popped from the queue; `ValueError` says what is wrong."""
    if not isinstance(raw, dict) or raw.get("type") != "ship_order":
        raise ValueError("not a ship_order job")
    ids = [raw.get("order_id"), raw.get("book_id")]
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise ValueError("order_id and book_id must be positive integers")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict):
        raise ValueError("headers must be an object")
    carrier = {str(k).lower(): v for k, v in headers.items() if isinstance(v, str)}
    return Job(order_id=raw["order_id"], book_id=raw["book_id"], headers=carrier)


@dataclass(slots=True)
class ConsumerStats:
    polls: int = 0
    processed: int = 0
    failed: int = 0
    invalid: int = 0
    poll_errors: int = 0


class Consumer:
    """Polls one queue of the cache service and processes jobs one at a time."""

    def __init__(
        self,
        *,
        service_name: str,
        tracer: az.Tracer,
        poll_session: aiohttp.ClientSession,
        cache_url: str,
        queue: str,
        poll_timeout: float,
        cache: Upstream,
        db_proxy: Upstream,
        default_faults: FaultPlan,
    ) -> None:
        self._service_name = service_name
        self._tracer = tracer
        self._poll_session = poll_session
        self._pop_url = f"{cache_url.rstrip('/')}/queues/{queue}/pop"
        self._queue = queue
        self._poll_timeout = poll_timeout
        self._cache = cache
        self._db_proxy = db_proxy
        self._default_faults = default_faults
        self._stopping = asyncio.Event()
        self._polling = False
        self._task: asyncio.Task[None] | None = None
        self.stats = ConsumerStats()

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("consumer already started")
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self._queue}")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop polling; let a job being processed finish (up to `timeout`)."""
        self._stopping.set()
        task = self._task
        if task is None or task.done():
            return
        if self._polling:
            task.cancel()
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                raw = await self._pop()
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                self.stats.poll_errors += 1
                _log.warning(
                    "polling %s failed (%s); retrying in %.1fs", self._pop_url, exc, backoff
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.5
            if raw is None:
                continue
            try:
                job = parse_job(raw)
            except ValueError as exc:
                self.stats.invalid += 1
                _log.warning("dropping invalid job %.200r: %s", raw, exc)
                continue
            await self.process(job)

    async def _pop(self) -> object:
        """One long poll. It carries `b3: 0`, so the cache does not trace idle polling."""
        self._polling = True
        try:
            async with self._poll_session.post(
                self._pop_url,
                params={"timeout": f"{self._poll_timeout:g}"},
                headers={"b3": "0"},
                timeout=aiohttp.ClientTimeout(total=self._poll_timeout + 10.0),
            ) as response:
                self.stats.polls += 1
                if response.status == 204:
                    return None
                if response.status != 200:
                    raise ValueError(f"queue answered {response.status}")
                body = await response.json()
        finally:
            self._polling = False
        return body.get("job") if isinstance(body, dict) else None

    async def process(self, job: Job) -> bool:
        """Ship one order in a CONSUMER span that continues the job's trace."""
        context = az.extract_message(job.headers)
        span = self._tracer.new_trace() if context is None else self._tracer.new_child(context)
        spec = job.headers.get(FAULT_HEADER.lower())
        token = set_fault_spec(spec)
        try:
            with span:
                span.name(f"process {self._queue}")
                span.kind(az.CONSUMER)
                span.remote_endpoint("cache")
                span.tag("messaging.destination", self._queue)
                span.tag("order.id", str(job.order_id))
                await apply_faults(self._faults(spec))
                await self._db_proxy.call(
                    "POST",
                    "/queries/update_order_status",
                    route="/queries/{name}",
                    parent=span.context,
                    json={"params": {"order_id": job.order_id, "status": "shipped"}},
                )
                await self._cache.call(
                    "DELETE", f"/kv/book:{job.book_id}", route="/kv/{key}", parent=span.context
                )
                _log.info("order %d shipped", job.order_id)
        except (UpstreamError, InjectedFault) as exc:
            self.stats.failed += 1
            _log.warning("order %d failed: %s", job.order_id, exc)
            return False
        except Exception:
            self.stats.failed += 1
            _log.exception("order %d failed", job.order_id)
            return False
        finally:
            reset_fault_spec(token)
        self.stats.processed += 1
        return True

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
