"""Spans: the timed operations of a trace. Unsampled spans are cheap no-op objects."""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable, Mapping
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .constants import ERROR, HTTP_METHOD, HTTP_PATH, HTTP_ROUTE, HTTP_STATUS_CODE, HTTP_URL
from .context import Endpoint, TraceContext, create_endpoint
from .current import _current_span
from .limits import TRUNCATED_TAG, SpanLimits
from .record import Record

if TYPE_CHECKING:
    from .tracer import Tracer

_Tags = Mapping[str, str] | None
_Peer = Endpoint | None
_Text = str | None

__all__ = ["NoopSpan", "Span", "SpanAbc"]


# Timestamps are microseconds since the epoch: time.time_ns() // 1000 now, or int(ts * 1e6)
# for a given ts in seconds. Spelled out inline where taken: that runs several times a span,
# and a helper function would be a call more each time.


class SpanAbc(abc.ABC):
    """One timed operation. Methods return the span so calls can be chained."""

    __slots__ = ("__weakref__", "_context", "_token", "_tracer")

    def __init__(self, tracer: Tracer, context: TraceContext) -> None:
        self._tracer = tracer
        self._context = context
        self._token: Token[SpanAbc | None] | None = None

    @property
    def tracer(self) -> Tracer:
        """The tracer that made this span."""
        return self._tracer

    @property
    def context(self) -> TraceContext:
        """The span's trace context, to propagate or to parent children on."""
        return self._context

    @property
    @abc.abstractmethod
    def is_noop(self) -> bool:
        """True when the span is not sampled and records nothing."""

    @abc.abstractmethod
    def start(self, ts: float | None = None) -> SpanAbc:
        """Start the span, now or at `ts` (seconds since the epoch)."""

    @abc.abstractmethod
    def finish(self, ts: float | None = None, exception: BaseException | None = None) -> SpanAbc:
        """Finish and report the span once; an `exception` sets the `error` tag."""

    def remote_endpoint(
        self,
        service_name: str | None,
        *,
        ipv4: str | None = None,
        ipv6: str | None = None,
        port: int | str | None = None,
    ) -> SpanAbc:
        """Set the other side of the operation; values Zipkin would refuse are left out."""
        if self.is_noop:
            return self  # nothing is recorded: no endpoint to build (or to log about)
        return self._set_remote(create_endpoint(service_name, ipv4=ipv4, ipv6=ipv6, port=port))

    def _set_remote(self, endpoint: Endpoint) -> SpanAbc:
        """Keep `endpoint` as the other side; a span that records nothing ignores it."""
        return self

    @abc.abstractmethod
    def tag(self, key: str, value: Any) -> SpanAbc:
        """Set a tag; the value is stored as a string."""

    @abc.abstractmethod
    def annotate(self, value: str, ts: float | None = None) -> SpanAbc:
        """Add a timestamped event."""

    @abc.abstractmethod
    def kind(self, span_kind: str) -> SpanAbc:
        """Set the kind: CLIENT, SERVER, PRODUCER or CONSUMER."""

    @abc.abstractmethod
    def name(self, span_name: str) -> SpanAbc:
        """Set the operation name."""

    def begin(self, kind: str, name: str, tags: _Tags = None, remote: _Peer = None) -> SpanAbc:
        """Set kind, name, tags and the remote endpoint, then start: one call for integrations."""
        self.kind(kind)
        self.name(name)
        if tags:
            for key, value in tags.items():
                self.tag(key, value)
        if remote is not None:
            self.remote_endpoint(
                remote.serviceName, ipv4=remote.ipv4, ipv6=remote.ipv6, port=remote.port
            )
        return self.start()

    def begin_http(
        self,
        kind: str,
        method: str,
        *,
        route: str | None = None,
        path: str | None = None,
        url: str | None = None,
        remote: _Peer = None,
    ) -> SpanAbc:
        """`begin` for an HTTP exchange, `finish_http`'s other half.

        The span is named "METHOD route" (the method alone without a route; a path never
        names a span) and tagged `http.method`, and `http.route`, `http.path` and `http.url`
        for those given.
        """
        return self._begin_http(kind, method, route, path, url, remote)

    def _begin_http(
        self, kind: str, method: str, route: _Text, path: _Text, url: _Text, remote: _Peer
    ) -> SpanAbc:
        """`begin_http`'s work, by position: through `begin`, unless a subclass has a faster way."""
        tags = {HTTP_METHOD: method}
        if route:
            tags[HTTP_ROUTE] = route
        if path is not None:
            tags[HTTP_PATH] = path
        if url is not None:
            tags[HTTP_URL] = url
        return self.begin(kind, f"{method} {route}" if route else method, tags, remote)

    def finish_http(
        self,
        status: int | None,
        reason: str | None = None,
        exception: BaseException | None = None,
    ) -> SpanAbc:
        """Finish an HTTP span: tag its status, then finish as `finish(exception=...)` does.

        A status of 500 or more sets `error` to `reason` (or the status) unless an
        `exception` is given or the span has an `error` tag already.
        """
        if status is not None:
            self.tag(HTTP_STATUS_CODE, str(status))
            if status >= 500 and exception is None and not self._has_error():
                self.tag(ERROR, reason or str(status))
        return self.finish(exception=exception)

    def _has_error(self) -> bool:
        """True when the span has an `error` tag already (unknown here: False)."""
        return False

    def new_child(self, name: str | None = None, kind: str | None = None) -> SpanAbc:
        """A child span of this one."""
        span = self._tracer.new_child(self._context)
        if name is not None:
            span.name(name)
        if kind is not None:
            span.kind(kind)
        return span

    def __enter__(self) -> SpanAbc:
        self.start()
        self._token = _current_span.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        token = self._token
        if token is not None:
            self._token = None
            # Exited in another context than it was entered in: leave that context alone.
            with contextlib.suppress(ValueError):
                _current_span.reset(token)
        self.finish(exception=exc_value)


class NoopSpan(SpanAbc):
    """An unsampled span: keeps its context for propagation, records nothing."""

    __slots__ = ()

    @property
    def is_noop(self) -> bool:
        return True

    def start(self, ts: float | None = None) -> SpanAbc:
        return self

    def finish(self, ts: float | None = None, exception: BaseException | None = None) -> SpanAbc:
        return self

    def tag(self, key: str, value: Any) -> SpanAbc:
        return self

    def annotate(self, value: str, ts: float | None = None) -> SpanAbc:
        return self

    def kind(self, span_kind: str) -> SpanAbc:
        return self

    def name(self, span_name: str) -> SpanAbc:
        return self


class Span(SpanAbc):
    """A sampled span, handed to its `report` callable when finished.

    Its collaborators come with it: the limits on what it may carry, the callable that
    reports the finished record, and the exception types that do not set `error`.
    """

    __slots__ = ("_finished", "_ignored", "_limits", "_record", "_report", "_truncated")

    def __init__(
        self,
        tracer: Tracer,
        context: TraceContext,
        local_endpoint: Endpoint,
        limits: SpanLimits,
        report: Callable[[Record], None],
        ignored_exceptions: tuple[type[BaseException], ...] = (),
    ) -> None:
        # SpanAbc.__init__ inlined: one span per request, and super() is a call more.
        # timeit of Tracer.to_span: 0.71 us this way, 0.92 us through super().__init__.
        self._tracer = tracer
        self._context = context
        self._token = None
        self._limits = limits
        self._report = report
        self._ignored = ignored_exceptions
        self._record = Record(context, local_endpoint)
        self._finished = False
        self._truncated = 0

    @property
    def is_noop(self) -> bool:
        return False

    def start(self, ts: float | None = None) -> SpanAbc:
        self._record.timestamp = time.time_ns() // 1000 if ts is None else int(ts * 1_000_000)
        return self

    def finish(self, ts: float | None = None, exception: BaseException | None = None) -> SpanAbc:
        if self._finished:
            return self
        self._finished = True
        record = self._record
        if exception is not None and not isinstance(exception, self._ignored):
            tags = record.tags
            if tags is None:
                tags = record.tags = {}
            message = str(exception) or type(exception).__name__
            tags[ERROR] = message[: self._limits.max_tag_value_length]
        start = record.timestamp
        if start is not None:
            end = time.time_ns() // 1000 if ts is None else int(ts * 1_000_000)
            # Not max(end - start, 1): that builtin call costs 1,400 instructions a
            # request in cachegrind of bench.middleware.
            duration = end - start
            record.duration = duration if duration > 0 else 1
        if self._truncated:
            tags = record.tags
            if tags is None:
                tags = record.tags = {}
            tags[TRUNCATED_TAG] = str(self._truncated)
        self._report(record)
        return self

    def _set_remote(self, endpoint: Endpoint) -> SpanAbc:
        self._record.remote_endpoint = endpoint
        return self

    def begin(self, kind: str, name: str, tags: _Tags = None, remote: _Peer = None) -> SpanAbc:
        if self._finished:
            return self
        record = self._record
        record.kind = kind
        record.name = name
        if remote is not None:
            record.remote_endpoint = remote
        if tags:
            for key, value in tags.items():
                self.tag(key, value)  # each through tag()'s checks and counts
        record.timestamp = time.time_ns() // 1000
        return self

    def _begin_http(
        self, kind: str, method: str, route: _Text, path: _Text, url: _Text, remote: _Peer
    ) -> SpanAbc:
        # Every request of the integrations comes here: SpanAbc's tags and name, stored in
        # this one frame. The dict is made here, of strings, so only lengths are checked,
        # and the name's covers the method's and the route's. Through SpanAbc's way and
        # begin(), cachegrind of bench.middleware counts 7,600 instructions a request more.
        limits = self._limits
        limit = limits.max_tag_value_length
        tags = {HTTP_METHOD: method}
        if route:
            tags[HTTP_ROUTE] = route
            name = f"{method} {route}"
        else:
            name = method
        if path is not None:
            tags[HTTP_PATH] = path
        if url is not None:
            tags[HTTP_URL] = url
        record = self._record
        if (
            self._finished
            or record.tags is not None
            or len(tags) > limits.max_tags
            or len(name) > limit
            or (path is not None and len(path) > limit)
            or (url is not None and len(url) > limit)
        ):
            return self.begin(kind, name, tags, remote)  # rare: tag() cuts and counts
        record.kind = kind
        record.name = name
        record.tags = tags
        if remote is not None:
            record.remote_endpoint = remote
        record.timestamp = time.time_ns() // 1000
        return self

    def _has_error(self) -> bool:
        tags = self._record.tags
        return tags is not None and ERROR in tags

    def tag(self, key: str, value: Any) -> SpanAbc:
        if self._finished:
            return self  # the record is reported already; a late change would be lost or torn
        record = self._record
        tags = record.tags
        if tags is None:
            tags = record.tags = {}
        limits = self._limits
        if len(tags) >= limits.max_tags and key not in tags:
            self._truncated += 1
            return self
        limit = limits.max_tag_value_length
        if type(value) is str and len(value) <= limit:
            tags[key] = value  # the usual tag, a short string: stored without a call
        else:
            tags[key] = self._text(value, limit)
        return self

    def annotate(self, value: str, ts: float | None = None) -> SpanAbc:
        if self._finished:
            return self
        record = self._record
        annotations = record.annotations
        if annotations is None:
            annotations = record.annotations = []
        limits = self._limits
        if len(annotations) >= limits.max_annotations:
            self._truncated += 1
            return self
        text = self._text(value, limits.max_annotation_length)
        annotations.append((time.time_ns() // 1000 if ts is None else int(ts * 1_000_000), text))
        return self

    def _text(self, value: object, max_length: int) -> str:
        """`value` as a string of at most `max_length` characters; a cut is counted."""
        text = value if type(value) is str else str(value)
        if len(text) > max_length:
            self._truncated += 1
            return text[:max_length]
        return text

    def kind(self, span_kind: str) -> SpanAbc:
        if not self._finished:
            self._record.kind = span_kind
        return self

    def name(self, span_name: str) -> SpanAbc:
        if not self._finished:
            self._record.name = span_name
        return self
