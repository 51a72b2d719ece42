"""Span lifecycle worker: per-span cost of a traced operation, encoded to Zipkin v2 JSON.

One loop makes a root and a child span, names them, sets the kind, 3 tags and 1 annotation,
finishes both; every 50 traces the 100 finished spans are encoded to one Zipkin v2 JSON body,
the way a transport batches them. `floor` does the same work by hand with dicts and `json`.

    python -m bench.lifecycle IMPL [--loops N] [--repeats N]

IMPL is `floor`, `ours` (this repository's virtualenv) or `aiozipkin-1.1.1`, `py_zipkin`,
`otel` (the reference virtualenv). Prints {"us_per_span": [...], ...} as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import time
from collections.abc import Callable
from typing import Any, Final

from ._common import (
    CHILD,
    ROOT_SPAN,
    SERVICE,
    Collect111,
    SpanShape,
    emit,
    run_trace,
    time_per_unit,
)

__all__ = ["IMPLS", "main", "workload"]

_BATCH: Final = 50  # traces per encoded body: 100 spans, a transport's usual batch

Workload = Callable[[int], int]


def _floor() -> Workload:
    getrandbits = random.getrandbits
    time_ns = time.time_ns
    dumps = json.dumps
    local = {"serviceName": SERVICE, "ipv4": "127.0.0.1", "port": 8080}
    bodies: list[bytes] = []

    def span(shape: SpanShape, trace_id: str, parent_id: str | None) -> dict[str, Any]:
        start = time_ns() // 1000
        out: dict[str, Any] = {"traceId": trace_id, "id": f"{getrandbits(64):016x}"}
        if parent_id is not None:
            out["parentId"] = parent_id
        out["name"] = shape.name
        out["kind"] = shape.kind
        out["tags"] = {k: v if type(v) is str else str(v) for k, v in shape.tags}
        out["annotations"] = [{"timestamp": time_ns() // 1000, "value": shape.annotation}]
        out["timestamp"] = start
        out["localEndpoint"] = local
        return out

    def run(loops: int) -> int:
        batch: list[dict[str, Any]] = []
        for i in range(loops):
            root = span(ROOT_SPAN, f"{getrandbits(128):032x}", None)
            child = span(CHILD, root["traceId"], root["id"])
            child["duration"] = max(time_ns() // 1000 - child["timestamp"], 1)
            root["duration"] = max(time_ns() // 1000 - root["timestamp"], 1)
            batch.append(child)
            batch.append(root)
            if i % _BATCH == _BATCH - 1:
                bodies.append(dumps(batch, separators=(",", ":"), ensure_ascii=False).encode())
                batch = []
        if batch:
            bodies.append(dumps(batch, separators=(",", ":"), ensure_ascii=False).encode())
        bodies.clear()
        return 2 * loops

    return run


def _ours() -> Workload:
    import aiozipkin as az

    from . import _ours as ours

    transport = az.StubTransport()
    tracer = ours.make_tracer(transport)
    encode = ours.encoder()

    records = transport.records
    bodies: list[bytes] = []

    def run(loops: int) -> int:
        for i in range(loops):
            run_trace(tracer)
            if i % _BATCH == _BATCH - 1:
                bodies.append(encode(records))
                records.clear()
        if records:
            bodies.append(encode(records))
            records.clear()
        bodies.clear()
        return 2 * loops

    return run


def _aiozipkin_111() -> Workload:
    # Typed as Any: the reference installs under our import name, in another virtualenv.
    az: Any = importlib.import_module("aiozipkin")
    transport = Collect111()
    endpoint = az.create_endpoint(SERVICE, ipv4="127.0.0.1", port=8080)
    tracer = az.Tracer(transport, az.Sampler(sample_rate=1.0), endpoint)
    records = transport.records
    dumps = json.dumps
    bodies: list[bytes] = []

    def encode() -> None:
        body = [r.asdict() for r in records]
        bodies.append(dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
        records.clear()

    def run(loops: int) -> int:
        for i in range(loops):
            run_trace(tracer)
            if i % _BATCH == _BATCH - 1:
                encode()
        if records:
            encode()
        bodies.clear()
        return 2 * loops

    return run


def _py_zipkin() -> Workload:
    zipkin: Any = importlib.import_module("py_zipkin.zipkin")
    py_zipkin: Any = importlib.import_module("py_zipkin")
    zipkin_span = zipkin.zipkin_span
    kinds = {"SERVER": py_zipkin.Kind.SERVER, "CLIENT": py_zipkin.Kind.CLIENT}
    bodies: list[Any] = []

    # py_zipkin encodes each trace's spans into one message when its root span ends.
    def run(loops: int) -> int:
        for _ in range(loops):
            with zipkin_span(
                service_name=SERVICE,
                span_name=ROOT_SPAN.name,
                transport_handler=bodies.append,
                sample_rate=100.0,
                encoding=py_zipkin.Encoding.V2_JSON,
                kind=kinds[ROOT_SPAN.kind],
                use_128bit_trace_id=True,
                host="127.0.0.1",
                port=8080,
            ) as root:
                root.update_binary_annotations({k: str(v) for k, v in ROOT_SPAN.tags})
                root.add_annotation(ROOT_SPAN.annotation)
                with zipkin_span(
                    service_name=SERVICE, span_name=CHILD.name, kind=kinds[CHILD.kind]
                ) as child:
                    child.update_binary_annotations({k: str(v) for k, v in CHILD.tags})
                    child.add_annotation(CHILD.annotation)
            if len(bodies) >= _BATCH:
                bodies.clear()
        bodies.clear()
        return 2 * loops

    return run


def _otel() -> Workload:
    sdk_trace: Any = importlib.import_module("opentelemetry.sdk.trace")
    export: Any = importlib.import_module("opentelemetry.sdk.trace.export")
    in_memory: Any = importlib.import_module(
        "opentelemetry.sdk.trace.export.in_memory_span_exporter"
    )
    resources: Any = importlib.import_module("opentelemetry.sdk.resources")
    api: Any = importlib.import_module("opentelemetry.trace")
    zipkin_v2: Any = importlib.import_module("opentelemetry.exporter.zipkin.json.v2")
    node: Any = importlib.import_module("opentelemetry.exporter.zipkin.node_endpoint")

    provider = sdk_trace.TracerProvider(
        resource=resources.Resource.create({"service.name": SERVICE})
    )
    exporter = in_memory.InMemorySpanExporter()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bench")
    encoder = zipkin_v2.JsonV2Encoder()
    local = node.NodeEndpoint(ipv4="127.0.0.1", port=8080)
    local.service_name = SERVICE
    kinds = {"SERVER": api.SpanKind.SERVER, "CLIENT": api.SpanKind.CLIENT}
    set_span_in_context = api.set_span_in_context
    bodies: list[bytes] = []

    def encode() -> None:
        spans = exporter.get_finished_spans()
        exporter.clear()
        bodies.append(encoder.serialize(spans, local).encode())

    def run(loops: int) -> int:
        for i in range(loops):
            root = tracer.start_span(ROOT_SPAN.name, kind=kinds[ROOT_SPAN.kind])
            for key, value in ROOT_SPAN.tags:
                root.set_attribute(key, value)
            root.add_event(ROOT_SPAN.annotation)
            child = tracer.start_span(
                CHILD.name, context=set_span_in_context(root), kind=kinds[CHILD.kind]
            )
            for key, value in CHILD.tags:
                child.set_attribute(key, value)
            child.add_event(CHILD.annotation)
            child.end()
            root.end()
            if i % _BATCH == _BATCH - 1:
                encode()
        encode()
        bodies.clear()
        return 2 * loops

    return run


IMPLS: Final[dict[str, Callable[[], Workload]]] = {
    "floor": _floor,
    "ours": _ours,
    "aiozipkin-1.1.1": _aiozipkin_111,
    "py_zipkin": _py_zipkin,
    "otel": _otel,
}


def workload(impl: str) -> Workload:
    """The lifecycle workload of `impl`: `run(loops)` makes 2*loops spans."""
    return IMPLS[impl]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("impl", choices=sorted(IMPLS))
    parser.add_argument("--loops", type=int, default=100, help="traces per repeat")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    run = workload(args.impl)
    seconds = time_per_unit(run, loops=args.loops, repeats=args.repeats, warmup=2000)
    result: dict[str, Any] = {"us_per_span": [s * 1e6 for s in seconds]}
    if args.impl == "ours":
        from . import _ours

        result["encoder"] = _ours.encoder_name()
    emit(result)


if __name__ == "__main__":
    main()
