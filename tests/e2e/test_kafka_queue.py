"""The orders queue on the real Kafka broker: a worker killed before its commit ships once.

The job carries `X-Demo-Fault: worker=hold:8s`: the worker ships the order, reports its
CONSUMER span, then waits before it commits the job's offset. The test kills it there with
SIGKILL (by the pid the stack's supervisor reports). The supervisor starts it again, the
consumer group hands it the uncommitted job, and db_proxy's conditional update ships nothing
the second time.
"""

from __future__ import annotations

import aiohttp

from tests.e2e.helpers import (
    Bookshop,
    Span,
    book_stock,
    order_status,
    place_order,
    poll,
    service,
    wait_trace,
    zipkin_trace,
)

# Long enough to kill the worker inside it; the redelivered job waits the same again.
HOLD = "worker=hold:8s"
# The group notices the dead member after its session timeout (6 s), then reassigns.
REDELIVERY_TIMEOUT = 90.0
BOOK = 3


def _consumers(spans: list[Span]) -> list[Span]:
    return sorted(
        (s for s in spans if s.get("kind") == "CONSUMER"), key=lambda s: int(s["timestamp"])
    )


def _statements_under(spans: list[Span], root: Span) -> dict[str, str]:
    """Name -> db.row_count of the SQL statements run on behalf of `root`."""
    children: dict[str, list[Span]] = {}
    for span in spans:
        if "parentId" in span:
            children.setdefault(span["parentId"], []).append(span)
    found: dict[str, str] = {}
    todo = [root]
    while todo:
        span = todo.pop()
        tags = span.get("tags", {})
        if "db.statement" in tags:
            found[span["name"]] = tags["db.row_count"]
        todo.extend(children.get(span["id"], []))
    return found


async def test_worker_killed_before_its_commit_ships_the_order_once(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    stock = await book_stock(bookshop, http, BOOK)
    status, body, trace_id = await place_order(bookshop, http, BOOK, headers={"X-Demo-Fault": HOLD})
    assert status == 202, body
    order_id = int(body["order_id"])

    # The first delivery is done and reported; the worker now holds before committing.
    await wait_trace(
        bookshop,
        http,
        trace_id,
        lambda spans: (
            len(_consumers(spans)) == 1
            and "update book stock" in _statements_under(spans, _consumers(spans)[0])
        ),
        "the first delivery of the job",
    )
    assert await order_status(bookshop, http, order_id) == "shipped"
    killed = bookshop.kill("worker")

    spans = await poll(
        lambda: zipkin_trace(bookshop, http, trace_id),
        lambda spans: (
            len(_consumers(spans)) >= 2
            and "update order status" in _statements_under(spans, _consumers(spans)[1])
        ),
        what="the job delivered again to the restarted worker",
        timeout=REDELIVERY_TIMEOUT,
    )
    assert bookshop.pid("worker") != killed, "the supervisor did not start a new worker"

    first, second = _consumers(spans)
    assert [service(first), service(second)] == ["worker", "worker"]
    assert first["parentId"] == second["parentId"], "both continue the producer's span"
    for tag in ("messaging.kafka.partition", "messaging.kafka.offset"):
        assert first["tags"][tag] == second["tags"][tag], "the same record, delivered twice"
    assert _statements_under(spans, first) == {"update order status": "1", "update book stock": "1"}
    # The redelivery changes nothing: the order is no longer pending.
    assert _statements_under(spans, second) == {
        "update order status": "0",
        "select order status": "1",
    }
    assert await order_status(bookshop, http, order_id) == "shipped"
    assert await book_stock(bookshop, http, BOOK) == stock - 1, "the order was shipped once"
