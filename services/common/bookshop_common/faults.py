"""The `X-Demo-Fault` knob: parse it, honour it, forward it downstream.

A spec is a comma-separated list of `service=action`, where action is `error`,
`error:<status>` or `delay:<duration>` (`300ms`, `1.5s`; a bare number is milliseconds),
e.g. `db_proxy=delay:300ms,cache=error`. A service honours the entries that name it and
forwards the whole header on every request it makes while handling the request.

`hold:<duration>` is for the worker only: it waits that long after a job is done and before
it commits the job's offset, the window in which a crash makes the broker deliver the job
again (the tests kill the worker there).
"""

from __future__ import annotations

import asyncio
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Literal

import aiohttp

__all__ = [
    "FAULT_HEADER",
    "MAX_DELAY",
    "MAX_SPEC_LENGTH",
    "Fault",
    "FaultPlan",
    "FaultSpecError",
    "InjectedFault",
    "apply_faults",
    "apply_holds",
    "current_fault_spec",
    "fault_forwarding_trace_config",
    "parse_fault_spec",
    "reset_fault_spec",
    "set_fault_spec",
]

FAULT_HEADER = "X-Demo-Fault"
MAX_DELAY = 10.0
MAX_SPEC_LENGTH = 512

_ENTRY = re.compile(r"^([a-z][a-z0-9_-]{0,31})=(error|delay|hold)(?::([0-9.]+)(ms|s)?)?$")
_current_spec: ContextVar[str | None] = ContextVar("bookshop_fault_spec", default=None)


class FaultSpecError(ValueError):
    """The fault spec does not follow the grammar."""


class InjectedFault(Exception):
    """Raised where an `error` fault is honoured."""

    def __init__(self, service: str, status: int) -> None:
        super().__init__(f"injected fault: {service}=error:{status}")
        self.service = service
        self.status = status


@dataclass(frozen=True, slots=True)
class Fault:
    """One action for one service."""

    service: str
    kind: Literal["error", "delay", "hold"]
    status: int = 500
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The parsed spec, in the order it was written."""

    faults: tuple[Fault, ...] = ()

    def for_service(self, service: str) -> tuple[Fault, ...]:
        return tuple(fault for fault in self.faults if fault.service == service)

    def __bool__(self) -> bool:
        return bool(self.faults)


def parse_fault_spec(spec: str) -> FaultPlan:
    """Parse a spec; raise `FaultSpecError` saying which entry is wrong."""
    if len(spec) > MAX_SPEC_LENGTH:
        raise FaultSpecError(f"spec longer than {MAX_SPEC_LENGTH} characters")
    faults: list[Fault] = []
    for raw_entry in spec.split(","):
        entry = raw_entry.strip().lower()
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise FaultSpecError(
                f"bad entry {raw_entry.strip()!r}: expected service=error[:status] "
                "or service=delay|hold:<n>ms|<n>s"
            )
        service, kind, number, unit = match.groups()
        if kind == "error":
            if unit is not None:
                raise FaultSpecError(f"bad entry {entry!r}: an error status has no unit")
            status = 500 if number is None else _parse_status(entry, number)
            faults.append(Fault(service, "error", status=status))
        else:
            if number is None:
                raise FaultSpecError(f"bad entry {entry!r}: {kind} needs a duration")
            delay = _parse_delay(entry, number, unit)
            faults.append(Fault(service, "delay" if kind == "delay" else "hold", delay=delay))
    return FaultPlan(tuple(faults))


def _parse_status(entry: str, number: str) -> int:
    if not number.isdigit() or not 500 <= int(number) <= 599:
        raise FaultSpecError(f"bad entry {entry!r}: error status must be 500..599")
    return int(number)


def _parse_delay(entry: str, number: str, unit: str | None) -> float:
    try:
        value = float(number)
    except ValueError:
        raise FaultSpecError(f"bad entry {entry!r}: bad duration {number!r}") from None
    seconds = value if unit == "s" else value / 1000.0
    if not 0.0 <= seconds <= MAX_DELAY:
        raise FaultSpecError(f"bad entry {entry!r}: delay must be at most {MAX_DELAY:g}s")
    return seconds


async def apply_faults(faults: tuple[Fault, ...]) -> None:
    """Sleep for each delay, raise `InjectedFault` at the first error, in spec order.

    Holds are left to `apply_holds`.
    """
    for fault in faults:
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        elif fault.kind == "error":
            raise InjectedFault(fault.service, fault.status)


async def apply_holds(faults: tuple[Fault, ...]) -> None:
    """Sleep for each hold (the worker, between a job done and its commit)."""
    for fault in faults:
        if fault.kind == "hold":
            await asyncio.sleep(fault.delay)


def current_fault_spec() -> str | None:
    """The spec being forwarded by the current task, if any."""
    return _current_spec.get()


def set_fault_spec(spec: str | None) -> Token[str | None]:
    """Forward `spec` on the requests made by the current task (until reset)."""
    return _current_spec.set(spec or None)


def reset_fault_spec(token: Token[str | None]) -> None:
    _current_spec.reset(token)


def fault_forwarding_trace_config() -> aiohttp.TraceConfig:
    """A client hook that adds the current task's spec to every outgoing request."""

    async def on_request_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        spec = _current_spec.get()
        if spec and FAULT_HEADER not in params.headers:
            params.headers[FAULT_HEADER] = spec

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    return config
