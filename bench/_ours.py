"""Our library's side of the workers: only imported under this repository's virtualenv."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import aiozipkin as az

from ._common import SERVICE, run_trace

__all__ = ["encoder", "encoder_name", "make_tracer", "run_trace"]

Encoder = Callable[[Sequence[az.Record]], bytes]


def _stdlib_encode(records: Sequence[az.Record]) -> bytes:
    return json.dumps(
        [r.asdict() for r in records], separators=(",", ":"), ensure_ascii=False
    ).encode()


def _library_encoder() -> tuple[str, Encoder] | None:
    # The encoding module is newer than this bench; use it when this checkout has it.
    try:
        module: Any = importlib.import_module("aiozipkin.encoding")
    except ImportError:
        return None
    for name in ("encode_json", "encode_v2_json", "json_encode", "encode"):
        func = getattr(module, name, None)
        if callable(func):
            encode: Encoder = func
            return f"aiozipkin.encoding.{name}", encode
    return None


def encoder() -> Encoder:
    """The batch encoder the library exposes, else json.dumps of `Record.asdict()`."""
    found = _library_encoder()
    return found[1] if found is not None else _stdlib_encode


def encoder_name() -> str:
    """What `encoder()` is, for the report."""
    found = _library_encoder()
    return found[0] if found is not None else "json.dumps(Record.asdict())"


def make_tracer(transport: az.TransportABC, *, sample_rate: float = 1.0) -> az.Tracer:
    """A tracer as an application would build it, on `transport`."""
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    return az.Tracer(transport, az.Sampler(sample_rate=sample_rate), endpoint)
