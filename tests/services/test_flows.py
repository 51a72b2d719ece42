"""The bookshop's requests end to end, in one process, with every span kept in memory."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient, AiohttpServer

from tests.servers import KafkaBroker
from tests.services.stack import Span, Stack, start_stack
from tests.support.polling import eventually
from tests.support.ports import free_ports

JSON = {"Content-Type": "application/json"}
# Joining the consumer group and the first fetch take a few seconds on a busy machine.
KAFKA_TIMEOUT = 30.0


def _service(span: Span) -> str:
    return str(span["localEndpoint"]["serviceName"])


def _by_id(spans: list[Span]) -> dict[str, Span]:
    return {s["id"]: s for s in spans}


async def _order(stack: Stack, book_id: int = 1, **headers: str) -> tuple[int, Any, str]:
    resp = await stack.client.post(
        "/api/orders", json={"book_id": book_id, "quantity": 1}, headers=headers
    )
    return resp.status, await resp.json(), resp.headers.get("X-Trace-Id", "")


async def test_order_trace_spans_all_five_services(stack: Stack) -> None:
    status, body, trace_header = await _order(stack)
    assert status == 202
    assert body["status"] == "pending"
    assert body["trace_id"] == trace_header
    trace_id = body["trace_id"]

    def consumer_done() -> bool:
        return any(s.get("kind") == "CONSUMER" for s in stack.trace(trace_id))

    await eventually(consumer_done, timeout=KAFKA_TIMEOUT, what="the worker's CONSUMER span")
    resp = await stack.client.get(f"/api/orders/{body['order_id']}")
    assert (await resp.json())["order"]["status"] == "shipped"

    spans = stack.trace(trace_id)
    ids = _by_id(spans)
    roots = [s for s in spans if "parentId" not in s]
    assert [(_service(r), r["kind"], r["name"]) for r in roots] == [
        ("frontend", "SERVER", "POST /api/orders")
    ]
    assert {_service(s) for s in spans} == {"frontend", "backend", "db_proxy", "cache", "worker"}
    assert all(s["parentId"] in ids for s in spans if "parentId" in s)
    for server in (s for s in spans if s.get("kind") == "SERVER"):
        if server is roots[0]:
            continue
        client = ids[server["parentId"]]
        assert client["kind"] == "CLIENT"
    clients = sorted((_service(s), s["name"]) for s in spans if s.get("kind") == "CLIENT")
    assert clients == [
        ("backend", "POST /queries/{name}"),
        ("frontend", "POST /orders"),
        ("worker", "DELETE /kv/{key}"),
        ("worker", "POST /queries/{name}"),
    ]
    # The stack's own topic name is unique per test run; no other name may carry an id.
    names = [s["name"].replace(stack.queue, "orders") for s in spans]
    assert not [name for name in names if re.search(r"\d", name)]
    producer = next(s for s in spans if s.get("kind") == "PRODUCER")
    consumer = next(s for s in spans if s.get("kind") == "CONSUMER")
    assert (_service(producer), _service(consumer)) == ("backend", "worker")
    assert consumer["parentId"] == producer["id"]
    assert (producer["name"], consumer["name"]) == (
        f"publish {stack.queue}",
        f"process {stack.queue}",
    )
    assert producer["tags"]["order.id"] == consumer["tags"]["order.id"] == str(body["order_id"])
    for span in (producer, consumer):
        assert span["remoteEndpoint"] == {"serviceName": "kafka"}
        assert span["tags"]["messaging.system"] == "kafka"
        assert span["tags"]["messaging.destination"] == stack.queue
    assert (
        producer["tags"]["messaging.kafka.partition"]
        == consumer["tags"]["messaging.kafka.partition"]
    )
    assert producer["tags"]["messaging.kafka.offset"] == consumer["tags"]["messaging.kafka.offset"]
    statements = [s for s in spans if "db.statement" in s.get("tags", {})]
    assert [s["name"] for s in statements] == [
        "select book id",
        "insert order",
        "update order status",
        "update book stock",
    ]
    assert all(_service(s) == "db_proxy" and "kind" not in s for s in statements)
    assert all(s["tags"]["db.row_count"] in ("0", "1") for s in statements)


async def test_book_is_read_from_db_then_from_cache(stack: Stack) -> None:
    first = await stack.client.get("/api/books/3")
    second = await stack.client.get("/api/books/3")
    assert (first.status, second.status) == (200, 200)
    assert (await first.json())["source"] == "database"
    assert (await second.json())["source"] == "cache"
    assert (await first.json())["book"] == (await second.json())["book"]
    first_trace = stack.trace(first.headers["X-Trace-Id"])
    second_trace = stack.trace(second.headers["X-Trace-Id"])
    assert "db_proxy" in {_service(s) for s in first_trace}
    assert {_service(s) for s in second_trace} == {"frontend", "backend", "cache"}
    cache_servers = [s["name"] for s in second_trace if _service(s) == "cache"]
    assert cache_servers == ["GET /kv/{key}"]


async def test_list_books(stack: Stack) -> None:
    resp = await stack.client.get("/api/books")
    assert resp.status == 200
    books = (await resp.json())["books"]
    assert len(books) >= 10
    assert set(books[0]) == {"id", "title", "author", "price_cents", "stock"}


async def test_index_page(stack: Stack) -> None:
    resp = await stack.client.get("/")
    assert resp.status == 200
    assert "Bookshop" in await resp.text()


@pytest.mark.parametrize(
    ("fault", "failing"),
    [
        pytest.param("cache=error", "cache", id="cache"),
        pytest.param("db_proxy=error:503", "db_proxy", id="db_proxy"),
        pytest.param("backend=error", "backend", id="backend"),
    ],
)
async def test_fault_error_is_tagged_and_answered_as_json(
    stack: Stack, fault: str, failing: str
) -> None:
    resp = await stack.client.get("/api/books/4", headers={"X-Demo-Fault": fault})
    assert resp.status == 502
    body = await resp.json()
    assert body["status"] == 502
    assert "injected fault" in body["error"] or "answered 5" in body["error"]
    spans = stack.trace(resp.headers["X-Trace-Id"])
    servers = {_service(s): s for s in spans if s.get("kind") == "SERVER"}
    assert "error" in servers[failing]["tags"]
    assert "error" in servers["frontend"]["tags"]


async def test_fault_delay_shows_in_the_span(stack: Stack) -> None:
    resp = await stack.client.get("/api/books/5", headers={"X-Demo-Fault": "db_proxy=delay:200ms"})
    assert resp.status == 200
    spans = stack.trace(resp.headers["X-Trace-Id"])
    db_server = next(s for s in spans if _service(s) == "db_proxy" and s.get("kind") == "SERVER")
    assert db_server["duration"] >= 200_000
    assert "error" not in db_server.get("tags", {})


async def test_fault_reaches_the_worker_through_the_job(stack: Stack) -> None:
    status, body, _ = await _order(stack, 2, **{"X-Demo-Fault": "worker=error"})
    assert status == 202
    trace_id = body["trace_id"]

    def consumer() -> list[Span]:
        return [s for s in stack.trace(trace_id) if s.get("kind") == "CONSUMER"]

    await eventually(lambda: bool(consumer()), timeout=KAFKA_TIMEOUT, what="the CONSUMER span")
    assert "injected fault" in consumer()[0]["tags"]["error"]
    assert stack.worker_stats().failed == 1


async def test_unsampled_request_creates_no_spans(stack: Stack) -> None:
    status, _, _ = await _order(stack, 6, **{"X-B3-Sampled": "0"})
    assert status == 202
    resp = await stack.client.get("/api/books/6", headers={"X-B3-Sampled": "0"})
    assert resp.status == 200
    await eventually(
        lambda: stack.worker_stats().processed == 1,
        timeout=KAFKA_TIMEOUT,
        what="the job to be shipped",
    )
    assert stack.spans() == []


async def test_health_is_never_traced_and_idle_polling_creates_no_traces(stack: Stack) -> None:
    for service in ("frontend", "backend", "db_proxy", "cache", "worker"):
        resp = await stack.client.session.get(stack.url(service) + "/health")
        assert resp.status == 200
        body = await resp.json()
        assert (body["status"], body["service"]) == ("ok", service), body
        assert "X-Trace-Id" not in resp.headers
    await eventually(
        lambda: stack.worker_stats().polls >= 3, timeout=KAFKA_TIMEOUT, what="three idle polls"
    )
    assert stack.spans() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("GET", "/api/books/999", None, 404, id="unknown-book"),
        pytest.param("GET", "/api/books/abc", None, 400, id="book-id-not-a-number"),
        pytest.param("GET", "/api/books/0", None, 400, id="book-id-zero"),
        pytest.param("GET", "/api/books/99999999999", None, 400, id="book-id-too-big"),
        pytest.param("GET", "/api/orders/424242", None, 404, id="unknown-order"),
        pytest.param("POST", "/api/orders", "not json", 400, id="not-json"),
        pytest.param("POST", "/api/orders", [1, 2], 400, id="not-an-object"),
        pytest.param("POST", "/api/orders", {"book_id": 1}, 400, id="no-quantity"),
        pytest.param("POST", "/api/orders", {"book_id": 1, "quantity": 0}, 400, id="qty-0"),
        pytest.param("POST", "/api/orders", {"book_id": 1, "quantity": 11}, 400, id="qty-11"),
        pytest.param("POST", "/api/orders", {"book_id": 1, "quantity": "2"}, 400, id="qty-str"),
        pytest.param("POST", "/api/orders", {"book_id": True, "quantity": 1}, 400, id="id-bool"),
        pytest.param("POST", "/api/orders", {"book_id": 999, "quantity": 1}, 404, id="no-book"),
        pytest.param(
            "POST", "/api/orders", {"book_id": 1, "quantity": 1, "x": 1}, 400, id="extra-field"
        ),
        pytest.param("POST", "/api/orders", {"pad": "x" * 20_000}, 413, id="oversize"),
        pytest.param("GET", "/nope", None, 404, id="unknown-route"),
        pytest.param("DELETE", "/api/orders", None, 405, id="bad-method"),
    ],
)
async def test_bad_input_gets_a_4xx_json_error(
    stack: Stack, method: str, path: str, body: object, status: int
) -> None:
    if isinstance(body, str):
        resp = await stack.client.request(method, path, data=body, headers=JSON)
    else:
        resp = await stack.client.request(method, path, json=body)
    assert resp.status == status
    payload = await resp.json()
    assert payload["status"] == status
    assert isinstance(payload["error"], str)
    assert resp.headers["X-Trace-Id"]
    assert not any("error" in s.get("tags", {}) for s in stack.spans())


async def test_bad_fault_header_is_a_400(stack: Stack) -> None:
    resp = await stack.client.get("/api/books", headers={"X-Demo-Fault": "cache=explode"})
    assert resp.status == 400
    assert "X-Demo-Fault" in (await resp.json())["error"]


async def test_order_without_json_content_type_is_a_415(stack: Stack) -> None:
    resp = await stack.client.post("/api/orders", data=b'{"book_id": 1, "quantity": 1}')
    assert resp.status == 415


async def test_slow_downstream_times_out_instead_of_hanging(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    kafka: KafkaBroker,
) -> None:
    stack = await start_stack(
        aiohttp_server,
        aiohttp_client,
        tmp_path,
        kafka_bootstrap=kafka.bootstrap_servers,
        extra_env={"backend": {"UPSTREAM_TIMEOUT": "0.2"}},
    )
    resp = await stack.client.get("/api/books/1", headers={"X-Demo-Fault": "cache=delay:1s"})
    assert resp.status == 502
    body = await resp.json()
    assert "timed out" in body["error"]
    assert (body["upstream"], body["failed"]) == ("backend", "cache")
    spans = stack.trace(resp.headers["X-Trace-Id"])
    backend = next(s for s in spans if _service(s) == "backend" and s["kind"] == "SERVER")
    assert backend["tags"]["http.status_code"] == "504"


async def test_unreachable_downstream_is_a_502(stack: Stack) -> None:
    await stack.servers["db_proxy"].close()
    resp = await stack.client.get("/api/books")
    assert resp.status == 502
    body = await resp.json()
    assert "db_proxy" in body["error"]
    assert body["upstream"] == "backend"
    assert body["failed"] == "db_proxy"


async def test_a_job_delivered_twice_ships_the_order_once(stack: Stack) -> None:
    status, body, _ = await _order(stack, 9)
    assert status == 202
    order_id = body["order_id"]
    await eventually(
        lambda: stack.worker_stats().processed == 1, timeout=KAFKA_TIMEOUT, what="the first job"
    )
    stock = (await (await stack.client.get("/api/books/9")).json())["book"]["stock"]

    # The same job once more, as a broker redelivers it after a worker died before its commit.
    job = {"type": "ship_order", "order_id": order_id, "book_id": 9, "quantity": 1}
    with stack.tracer().new_trace() as again:
        await stack.publisher().publish(job, again.context)
    await eventually(
        lambda: stack.worker_stats().processed == 2, timeout=KAFKA_TIMEOUT, what="the second job"
    )
    book = (await (await stack.client.get("/api/books/9")).json())["book"]
    assert book["stock"] == stock
    order = (await (await stack.client.get(f"/api/orders/{order_id}")).json())["order"]
    assert order["status"] == "shipped"
    redelivery = stack.trace(again.context.trace_id)
    statements = {
        s["name"]: s["tags"]["db.row_count"]
        for s in redelivery
        if "db.statement" in s.get("tags", {})
    }
    assert statements == {"update order status": "0", "select order status": "1"}


async def test_an_order_the_broker_cannot_take_is_refused_and_cancelled(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    [closed] = free_ports(1)  # nothing listens there: the broker is down
    stack = await start_stack(
        aiohttp_server,
        aiohttp_client,
        tmp_path,
        kafka_bootstrap=f"127.0.0.1:{closed}",
        extra_env={"backend": {"JOB_PUBLISH_TIMEOUT": "1"}},
    )
    started = time.monotonic()
    status, body, trace_id = await _order(stack, 4)
    assert time.monotonic() - started < 5, "a down broker must not hold the request"
    assert status == 503
    assert "orders queue is unavailable" in body["error"]
    orders = [s for s in stack.trace(trace_id) if s["name"] == "update order status"]
    assert [s["tags"]["db.row_count"] for s in orders] == ["1"], "the order was cancelled"
    resp = await stack.client.get("/api/orders/1")
    assert (await resp.json())["order"]["status"] == "cancelled"
