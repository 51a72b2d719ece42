"""One order, one trace through all five services, in Zipkin and in Jaeger."""

from __future__ import annotations

import re
import time

import aiohttp

from tests.e2e.helpers import (
    Bookshop,
    Span,
    get_json,
    is_settled,
    jaeger_span_count,
    poll,
    service,
    wait_full_order_trace,
    zipkin_trace,
)

TOLERANCE_US = 1_000


def _end(span: Span) -> int:
    return int(span["timestamp"]) + int(span.get("duration", 0))


async def test_order_trace_is_whole_in_zipkin_and_jaeger(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    trace_id, spans = await wait_full_order_trace(bookshop, http, book_id=1)
    by_id = {s["id"]: s for s in spans}
    assert len(by_id) == len(spans), "span ids repeat"

    roots = [s for s in spans if "parentId" not in s]
    assert [(service(r), r.get("kind"), r["name"]) for r in roots] == [
        ("frontend", "SERVER", "post /api/orders")
    ]
    assert {service(s) for s in spans} == {"frontend", "backend", "db_proxy", "cache", "worker"}
    # Zipkin indexes span names per service: an id in a name would make one name per order.
    with_ids = [s["name"] for s in spans if re.search(r"\d", s["name"])]
    assert not with_ids, f"span names carry ids: {with_ids}"
    assert {s["name"] for s in spans if s.get("kind") == "CLIENT"} == {
        "post /orders",
        "post /queries/{name}",
        "delete /kv/{key}",
    }
    unresolved = [s["id"] for s in spans if "parentId" in s and s["parentId"] not in by_id]
    assert not unresolved, f"parents not in the trace: {unresolved}"

    # every HTTP hop: a CLIENT span with exactly one SERVER child in another service
    for client in (s for s in spans if s.get("kind") == "CLIENT"):
        servers = [s for s in spans if s.get("parentId") == client["id"]]
        assert [s.get("kind") for s in servers] == ["SERVER"], client
        assert service(servers[0]) != service(client)
    for server in (s for s in spans if s.get("kind") == "SERVER" and s is not roots[0]):
        assert by_id[server["parentId"]].get("kind") == "CLIENT", server

    producers = [s for s in spans if s.get("kind") == "PRODUCER"]
    consumers = [s for s in spans if s.get("kind") == "CONSUMER"]
    assert [(service(s), s["name"]) for s in producers] == [("backend", "publish orders")]
    assert [(service(s), s["name"]) for s in consumers] == [("worker", "process orders")]
    producer, consumer = producers[0], consumers[0]
    assert consumer["parentId"] == producer["id"]
    for span in (producer, consumer):
        assert span["remoteEndpoint"]["serviceName"] == "kafka"
        assert span["tags"]["messaging.system"] == "kafka"
        assert span["tags"]["messaging.destination"] == "orders"
    # the consumer read the record where the broker told the producer it was written
    for tag in ("messaging.kafka.partition", "messaging.kafka.offset"):
        assert consumer["tags"][tag] == producer["tags"][tag]
        assert producer["tags"][tag].isdigit()

    statements = [s for s in spans if service(s) == "db_proxy" and "kind" not in s]
    assert len(statements) == 4
    for statement in statements:
        sql = statement["tags"]["db.statement"]
        assert sql.split()[0] in ("SELECT", "INSERT", "UPDATE"), sql
        assert "?" in sql, f"not parameterized: {sql}"
        assert statement["tags"]["db.row_count"].isdigit()
        assert by_id[statement["parentId"]]["name"] == "post /queries/{name}"

    for span in spans:
        if "parentId" not in span or span.get("kind") == "CONSUMER":
            continue
        parent = by_id[span["parentId"]]
        assert span["timestamp"] >= parent["timestamp"] - TOLERANCE_US, (span, parent)
        assert _end(span) <= _end(parent) + TOLERANCE_US, (span, parent)

    count = await poll(
        lambda: jaeger_span_count(bookshop, http, trace_id),
        lambda n: n >= len(spans),
        what=f"Jaeger to have the {len(spans)} spans of {trace_id}",
    )
    assert count == len(spans)

    status, order = await get_json(http, f"{bookshop.frontend}/api/orders/{spans_order_id(spans)}")
    assert status == 200
    assert order["order"]["status"] == "shipped"


def spans_order_id(spans: list[Span]) -> int:
    # The worker's CONSUMER span names the order it shipped.
    consumer = next(s for s in spans if s.get("kind") == "CONSUMER")
    return int(consumer["tags"]["order.id"])


async def test_book_read_twice_second_is_a_cache_hit(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    url = f"{bookshop.frontend}/api/books/7"
    traces = []
    for expected in ("database", "cache"):
        async with http.get(url) as resp:
            assert resp.status == 200
            assert (await resp.json())["source"] == expected
            traces.append(resp.headers["X-Trace-Id"])

    def has_statement(spans: list[Span]) -> bool:
        return is_settled(spans) and any(
            service(s) == "db_proxy" and "kind" not in s for s in spans
        )

    first = await poll(
        lambda: zipkin_trace(bookshop, http, traces[0]), has_statement, what="the db read"
    )
    assert {service(s) for s in first} == {"frontend", "backend", "cache", "db_proxy"}
    assert "put /kv/{key}" in {s["name"] for s in first}

    def has_cache_hit(spans: list[Span]) -> bool:
        return is_settled(spans) and len(spans) >= 5

    second = await poll(
        lambda: zipkin_trace(bookshop, http, traces[1]), has_cache_hit, what="the cache hit"
    )
    assert sorted((service(s), s["kind"], s["name"]) for s in second) == [
        ("backend", "CLIENT", "get /kv/{key}"),
        ("backend", "SERVER", "get /books/{book_id}"),
        ("cache", "SERVER", "get /kv/{key}"),
        ("frontend", "CLIENT", "get /books/{book_id}"),
        ("frontend", "SERVER", "get /api/books/{book_id}"),
    ]


async def test_dependencies_link_the_services(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    await wait_full_order_trace(bookshop, http, book_id=2)
    wanted = {
        ("frontend", "backend"),
        ("backend", "cache"),
        ("backend", "db_proxy"),
        ("worker", "cache"),
        ("worker", "db_proxy"),
    }

    async def edges() -> set[tuple[str, str]]:
        end_ts = int(time.time() * 1000) + 60_000
        status, body = await get_json(
            http, f"{bookshop.zipkin}/api/v2/dependencies?endTs={end_ts}&lookback=3600000"
        )
        assert status == 200, body
        return {(link["parent"], link["child"]) for link in body}

    found = await poll(edges, lambda e: wanted <= e, what=f"dependency links {sorted(wanted)}")
    assert wanted <= found
