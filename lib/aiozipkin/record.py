"""The finished-span record handed to transports, in Zipkin v2 shape."""

from __future__ import annotations

from typing import Any, Final

from .context import Endpoint, TraceContext

__all__ = ["Record"]

# Endpoints repeat (the local one on every span): their dicts are made once and copied, a
# few times cheaper than Endpoint.asdict() per call. Bounded; emptied whole when full.
_ENDPOINT_DICTS_MAX: Final = 512
_endpoint_dicts: dict[Endpoint, dict[str, Any]] = {}


def _endpoint_dict(endpoint: Endpoint) -> dict[str, Any]:
    cached = _endpoint_dicts.get(endpoint)
    if cached is None:
        cached = endpoint.asdict()
        if len(_endpoint_dicts) >= _ENDPOINT_DICTS_MAX:
            _endpoint_dicts.clear()
        _endpoint_dicts[endpoint] = cached
    return cached.copy()


class Record:
    """One span as it is reported. `asdict()` gives its Zipkin v2 JSON form."""

    __slots__ = (
        "annotations",
        "debug",
        "duration",
        "id",
        "kind",
        "local_endpoint",
        "name",
        "parent_id",
        "remote_endpoint",
        "shared",
        "tags",
        "timestamp",
        "trace_id",
    )

    def __init__(self, context: TraceContext, local_endpoint: Endpoint | None) -> None:
        self.trace_id = context.trace_id
        self.parent_id = context.parent_id
        self.id = context.span_id
        self.debug = context.debug
        self.shared = context.shared
        self.local_endpoint = local_endpoint
        self.remote_endpoint: Endpoint | None = None
        self.kind: str | None = None
        self.name: str | None = None
        self.timestamp: int | None = None
        self.duration: int | None = None
        self.annotations: list[tuple[int, str]] | None = None
        self.tags: dict[str, str] | None = None

    def asdict(self) -> dict[str, Any]:
        """The span in aiozipkin 1.1.1's dict shape (Zipkin v2 field names).

        Every key is present (`None`, `False` or empty when unset) except `kind`, which is
        left out when unset; an unnamed span is `"unknown"`. The encoders leave empty fields
        off the wire instead.
        """
        name = self.name
        out: dict[str, Any] = {
            "traceId": self.trace_id,
            "name": "unknown" if name is None else name,
            "parentId": self.parent_id,
            "id": self.id,
        }
        if self.kind is not None:
            out["kind"] = self.kind
        out["timestamp"] = self.timestamp
        out["duration"] = self.duration
        out["debug"] = self.debug
        out["shared"] = self.shared
        local = self.local_endpoint
        out["localEndpoint"] = None if local is None else _endpoint_dict(local)
        remote = self.remote_endpoint
        out["remoteEndpoint"] = None if remote is None else _endpoint_dict(remote)
        annotations = self.annotations
        out["annotations"] = (
            [{"value": v, "timestamp": ts} for ts, v in annotations] if annotations else []
        )
        tags = self.tags
        out["tags"] = dict(tags) if tags else {}
        return out

    def __repr__(self) -> str:
        return f"<Record {self.asdict()!r}>"
