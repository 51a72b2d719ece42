"""The finished-span record handed to transports, in Zipkin v2 shape."""

from __future__ import annotations

from typing import Any

from .context import Endpoint, TraceContext

__all__ = ["Record"]


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
        """The span as Zipkin v2 JSON: no null fields, `debug`/`shared` only when true."""
        out: dict[str, Any] = {"traceId": self.trace_id}
        if self.parent_id is not None:
            out["parentId"] = self.parent_id
        out["id"] = self.id
        for key, value in (
            ("kind", self.kind),
            ("name", self.name),
            ("timestamp", self.timestamp),
            ("duration", self.duration),
        ):
            if value is not None:
                out[key] = value
        if self.debug:
            out["debug"] = True
        if self.shared:
            out["shared"] = True
        if self.local_endpoint is not None:
            out["localEndpoint"] = self.local_endpoint.asdict()
        if self.remote_endpoint is not None:
            out["remoteEndpoint"] = self.remote_endpoint.asdict()
        if self.annotations:
            out["annotations"] = [{"timestamp": ts, "value": v} for ts, v in self.annotations]
        if self.tags:
            out["tags"] = dict(self.tags)
        return out

    def __repr__(self) -> str:
        return f"<Record {self.asdict()!r}>"
