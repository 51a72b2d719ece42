"""Testing your own instrumentation without a collector: an in-memory transport and span queries.

    recorder = InMemoryTransport()
    tracer = await az.create_custom(az.create_endpoint("svc"), transport=recorder)
    ...
    server = recorder.get(name="GET /books/{id}", kind=az.SERVER)
    client = recorder.get(kind=az.CLIENT, service="frontend")
    assert_child_of(server, client)

The assertion helpers raise `AssertionError` with the recorded spans in the message, so they
work in any test runner. The pytest fixtures built on this module are in
`aiozipkin.pytest_plugin`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from .encoding import encode_span_json
from .record import Record
from .transport import StubTransport

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11 on

__all__ = [
    "InMemoryTransport",
    "SpanCriteria",
    "SpanNode",
    "assert_child_of",
    "assert_same_trace",
    "describe",
    "zipkin_json",
]

_ANY: Any = object()


class SpanCriteria(TypedDict, total=False):
    """What the queries of `InMemoryTransport` match besides the name; None matches anything.

    `tags` matches when each given tag is present with that exact (string) value.
    """

    kind: str | None
    service: str | None
    trace_id: str | None
    tags: Mapping[str, str] | None


def describe(record: Record) -> str:
    """A short human description of a span: kind, name, service and ids."""
    service = record.local_endpoint.serviceName if record.local_endpoint else None
    parts = [record.kind or "-", repr(record.name) if record.name is not None else "<no name>"]
    parts.append(f"service={service!r}")
    parts.append(f"id={record.id}")
    if record.parent_id is not None:
        parts.append(f"parent={record.parent_id}")
    if record.shared:
        parts.append("shared")
    return " ".join(parts)


def zipkin_json(record: Record) -> dict[str, Any]:
    """The span as the transport sends it: Zipkin v2 JSON, empty fields left out.

    `Record.asdict()` keeps aiozipkin 1.1.1's shape instead, with every key present.
    """
    result: dict[str, Any] = json.loads(encode_span_json(record))
    return result


def _service(record: Record) -> str | None:
    return record.local_endpoint.serviceName if record.local_endpoint else None


def _is_joined(child: Record, parent: Record) -> bool:
    # B3 join: the server half reuses the client's span id and is reported as shared.
    return child.shared and not parent.shared and child.id == parent.id


def _is_child(child: Record, parent: Record) -> bool:
    if child.trace_id != parent.trace_id or child is parent:
        return False
    if _is_joined(child, parent):
        return True
    return child.parent_id is not None and child.parent_id == parent.id


def assert_same_trace(*records: Record) -> None:
    """Raise AssertionError unless every record belongs to the same trace."""
    trace_ids = {record.trace_id for record in records}
    if len(trace_ids) > 1:
        lines = "\n".join(f"  trace {r.trace_id}: {describe(r)}" for r in records)
        raise AssertionError(f"spans belong to {len(trace_ids)} different traces:\n{lines}")


def assert_child_of(child: Record, parent: Record) -> None:
    """Raise AssertionError unless `child` is a direct child of `parent`.

    A shared span (the server half of a joined B3 span) counts as the child of the
    non-shared span with the same id, as the Zipkin UI shows it.
    """
    if child.trace_id != parent.trace_id:
        raise AssertionError(
            f"{describe(child)} is not a child of {describe(parent)}: different traces "
            f"({child.trace_id} and {parent.trace_id})"
        )
    if _is_child(child, parent):
        return
    if child.parent_id is None and not child.shared:
        why = "it is a root span (no parent id)"
    else:
        why = f"its parent id is {child.parent_id}, not {parent.id}"
    raise AssertionError(f"{describe(child)} is not a child of {describe(parent)}: {why}")


@dataclass(frozen=True, slots=True)
class SpanNode:
    """A finished span with its children, ordered by start time."""

    record: Record
    children: tuple[SpanNode, ...] = field(default=())

    def walk(self) -> list[SpanNode]:
        """This node and all its descendants, depth first."""
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes

    def format(self, indent: int = 0) -> str:
        """The subtree as indented lines of `KIND name [service]`, without ids or timings."""
        record = self.record
        label = f"{'  ' * indent}{record.kind or '-'} {record.name or '<no name>'}"
        label += f" [{_service(record) or '-'}]"
        return "\n".join([label, *(child.format(indent + 1) for child in self.children)])


class InMemoryTransport(StubTransport):
    """Keeps finished spans in memory (`records`, in finish order) and answers queries on them.

    Pass it as the `transport` of a tracer, or of several tracers to test a few services
    together; `service=` then tells their spans apart.
    """

    def find(self, name: str | None = None, **criteria: Unpack[SpanCriteria]) -> list[Record]:
        """Finished spans named `name` (when given) and matching `criteria`, in finish order."""
        unknown = criteria.keys() - SpanCriteria.__optional_keys__
        if unknown:
            raise TypeError(f"unknown span criteria: {', '.join(sorted(unknown))}")
        return [record for record in list(self.records) if _matches(record, name, criteria)]

    def get(self, name: str | None = None, **criteria: Unpack[SpanCriteria]) -> Record:
        """The only finished span `find` would return; AssertionError on none or several."""
        found = self.find(name, **criteria)
        if len(found) != 1:
            raise AssertionError(
                f"expected exactly one span matching {_describe_query(name, criteria)}, "
                f"found {len(found)}\n{self._report()}"
            )
        return found[0]

    def names(self) -> list[str | None]:
        """The names of the finished spans, in finish order."""
        return [record.name for record in list(self.records)]

    def asdicts(self) -> list[dict[str, Any]]:
        """The finished spans as sent to Zipkin (see `zipkin_json`), in finish order."""
        return [zipkin_json(record) for record in list(self.records)]

    def children(self, parent: Record) -> list[Record]:
        """The recorded direct children of `parent`, ordered by start time."""
        return _by_start([r for r in self.records if _is_child(r, parent)])

    def roots(self, trace_id: str | None = None) -> list[SpanNode]:
        """Each trace as a tree: spans whose parent was not recorded, with their descendants.

        A root is usually a span without parent id; it can also be a span whose parent was
        reported by a process that is not part of the test.
        """
        records = [r for r in list(self.records) if trace_id is None or r.trace_id == trace_id]
        children: dict[int, list[Record]] = {id(r): [] for r in records}
        roots: list[Record] = []
        for record in records:
            parent = _parent_among(record, records)
            if parent is None:
                roots.append(record)
            else:
                children[id(parent)].append(record)

        def build(record: Record) -> SpanNode:
            kids = tuple(build(kid) for kid in _by_start(children[id(record)]))
            return SpanNode(record, kids)

        return [build(root) for root in _by_start(roots)]

    def format_tree(self, trace_id: str | None = None) -> str:
        """The recorded traces as an indented outline (see `SpanNode.format`)."""
        return "\n".join(node.format() for node in self.roots(trace_id))

    async def wait_for_spans(
        self,
        count: int = 1,
        *,
        timeout: float = 5.0,
        name: str | None = None,
        poll_interval: float = 0.01,
        **criteria: Unpack[SpanCriteria],
    ) -> list[Record]:
        """Wait until at least `count` finished spans match, and return all that match.

        For spans finished by other tasks (a server handler, a consumer) after the code
        under test returned. Raises AssertionError with what was recorded after `timeout`
        seconds.
        """
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.find(name, **criteria)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {count} span(s) matching "
                    f"{_describe_query(name, criteria)}; {len(found)} matched\n{self._report()}"
                )
            await asyncio.sleep(min(poll_interval, remaining))

    def clear(self) -> None:
        """Forget the spans recorded so far."""
        self.records.clear()

    def _report(self) -> str:
        if not self.records:
            return "no spans were recorded"
        return f"recorded spans:\n{self.format_tree()}"


def _matches(record: Record, name: str | None, criteria: SpanCriteria) -> bool:
    if name is not None and record.name != name:
        return False
    kind = criteria.get("kind")
    if kind is not None and record.kind != kind:
        return False
    service = criteria.get("service")
    if service is not None and _service(record) != service:
        return False
    trace_id = criteria.get("trace_id")
    if trace_id is not None and record.trace_id != trace_id:
        return False
    tags = criteria.get("tags")
    if tags:
        own = record.tags or {}
        return all(own.get(key, _ANY) == value for key, value in tags.items())
    return True


def _describe_query(name: str | None, criteria: SpanCriteria) -> str:
    # In the order SpanCriteria declares them, whatever order the caller gave them in.
    given = {"name": name, **{key: criteria.get(key) for key in SpanCriteria.__annotations__}}
    parts = [f"{key}={value!r}" for key, value in given.items() if value is not None]
    return ", ".join(parts) or "anything"


def _by_start(records: Sequence[Record]) -> list[Record]:
    # Unstarted spans have no timestamp; ties keep finish order (sorted is stable).
    return sorted(records, key=lambda r: r.timestamp if r.timestamp is not None else 0)


def _parent_among(record: Record, records: Sequence[Record]) -> Record | None:
    candidates = [r for r in records if _is_child(record, r)]
    if not candidates:
        return None
    # A joined span's two halves share an id: the shared (server) half hangs under the
    # client half, and the children were made by the shared half.
    for candidate in candidates:
        if _is_joined(record, candidate):
            return candidate
    shared = [r for r in candidates if r.shared]
    return shared[0] if shared else candidates[0]
