"""What the load is made of: the endpoint mix and the fault mix, parsed from the command line."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass
from enum import Enum

from bookshop_common import FaultSpecError, parse_fault_spec

__all__ = [
    "DEFAULT_MIX",
    "Endpoint",
    "FaultMix",
    "Mix",
    "MixError",
    "parse_fault",
    "parse_fault_mix",
    "parse_mix",
]


class MixError(ValueError):
    """A mix or a fault entry does not follow its grammar."""


class Endpoint(Enum):
    """The frontend calls the load is made of; the value is the mix's name for it."""

    LIST = "list"
    BOOK = "book"
    ORDER = "order"
    STATUS = "status"

    @property
    def route(self) -> str:
        """The endpoint as the summary table names it."""
        return _ROUTES[self]


_ROUTES = {
    Endpoint.LIST: "GET /api/books",
    Endpoint.BOOK: "GET /api/books/{id}",
    Endpoint.ORDER: "POST /api/orders",
    Endpoint.STATUS: "GET /api/orders/{id}",
}

DEFAULT_MIX = "list=2,book=5,order=2,status=1"


@dataclass(frozen=True, slots=True)
class Mix:
    """Endpoints with their weights (at least one positive), in the order written."""

    weights: tuple[tuple[Endpoint, float], ...]

    def pick(self, rng: random.Random) -> Endpoint:
        endpoints = [endpoint for endpoint, _ in self.weights]
        cumulative = list(itertools.accumulate(weight for _, weight in self.weights))
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        return endpoints[min(index, len(endpoints) - 1)]

    def share(self, endpoint: Endpoint) -> float:
        total = sum(weight for _, weight in self.weights)
        return sum(weight for e, weight in self.weights if e is endpoint) / total


def _weight(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MixError(f"{what}: weight {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise MixError(f"{what}: weight must be a finite number >= 0, got {text!r}")
    return value


def parse_mix(text: str) -> Mix:
    """`list=2,book=5,order=2,status=1`: relative weights; endpoints left out get none."""
    names = ", ".join(e.value for e in Endpoint)
    weights: dict[Endpoint, float] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, raw = item.partition("=")
        if not sep:
            raise MixError(f"mix entry {item!r} is not name=weight")
        try:
            endpoint = Endpoint(name.strip())
        except ValueError:
            raise MixError(f"unknown endpoint {name.strip()!r} in the mix (use {names})") from None
        if endpoint in weights:
            raise MixError(f"endpoint {endpoint.value!r} appears twice in the mix")
        weights[endpoint] = _weight(raw.strip(), f"mix entry {item!r}")
    if not any(weights.values()):
        raise MixError(f"the mix needs at least one endpoint with a weight above 0 ({names})")
    return Mix(tuple(weights.items()))


@dataclass(frozen=True, slots=True)
class FaultMix:
    """`X-Demo-Fault` values with the share of requests that carry each; the rest carry none."""

    faults: tuple[tuple[str, float], ...] = ()

    def pick(self, rng: random.Random) -> str:
        """A fault spec, or "" for a request without one."""
        roll = rng.random()
        for spec, share in self.faults:
            if roll < share:
                return spec
            roll -= share
        return ""


def parse_fault(text: str) -> tuple[str, float]:
    """`db_proxy=delay:300ms@10%` (or `@0.1`): a fault spec and the share of requests."""
    spec, sep, raw = text.rpartition("@")
    if not sep:
        raise MixError(f"fault {text!r} lacks its share: write SPEC@PERCENT, e.g. cache=error@10%")
    spec = spec.strip()
    raw = raw.strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise MixError(f"fault {text!r}: share {raw!r} is not a number or a percentage") from None
    if not math.isfinite(share) or not 0 < share <= 1:
        raise MixError(f"fault {text!r}: share must be above 0 and at most 100%, got {raw!r}")
    try:
        plan = parse_fault_spec(spec)
    except FaultSpecError as exc:
        raise MixError(f"fault {text!r}: {exc}") from None
    if not plan:
        raise MixError(f"fault {text!r} has an empty spec")
    return spec, share


def parse_fault_mix(entries: list[str] | tuple[str, ...]) -> FaultMix:
    """Several `SPEC@SHARE` entries; their shares add up to at most 100%."""
    faults = tuple(parse_fault(entry) for entry in entries)
    total = sum(share for _, share in faults)
    if total > 1 + 1e-9:
        raise MixError(f"the fault shares add up to {total:.0%}, more than 100%")
    return FaultMix(faults)
