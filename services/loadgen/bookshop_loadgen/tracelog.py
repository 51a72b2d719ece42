"""`--trace-log FILE`: one JSON object a line for each request, as it ends.

    {"trace_id": "…", "route": "POST /api/orders", "fault": "", "ok": true,
     "outcome": "202", "latency_ms": 12.3, "spans": 15}

`spans` is how many spans the request's whole trace should hold (null when not known), so
that a test or a script can check the collectors' storage against what the load sent.
"""

from __future__ import annotations

import json
from typing import TextIO

from .stats import Sample

__all__ = ["TraceLog"]


class TraceLog:
    """Writes each sample to `stream` as a JSON line, flushed at once."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @classmethod
    def open(cls, path: str) -> TraceLog:
        """A log writing to the file at `path`, replaced if it exists (OSError when it cannot)."""
        return cls(open(path, "w", encoding="utf-8"))

    def close(self) -> None:
        self._stream.close()

    def write(self, sample: Sample) -> None:
        record = {
            "trace_id": sample.trace_id,
            "route": sample.route,
            "fault": sample.fault,
            "ok": sample.ok,
            "outcome": sample.outcome,
            "latency_ms": round(sample.latency * 1000, 3),
            "spans": sample.spans,
        }
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()
