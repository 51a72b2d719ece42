"""The README's walkthrough in a real browser: order on the page, open the trace, slow the db.

Zipkin's UI is the real one (served by the Zipkin jar). The locally built Jaeger serves its
query API but no UI assets (its UI page is a placeholder), so the page (told so by the
stack) links only that API, says why in one line, and Jaeger is checked through it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.async_api import BrowserContext, expect

from tests.browser.pages import (
    FIVE_SERVICES,
    PAGE_TIMEOUT,
    follow,
    jaeger_services,
    open_shop,
    place_order,
    reload_until,
    shot,
    wait_zipkin_order_trace,
)
from tests.e2e.helpers import service
from tests.stack import Bookshop

SLOW_DB = "db_proxy=delay:300ms"


def _ms(text: str) -> float:
    """`84.250ms`, `1.2s` or `950μs` as milliseconds."""
    found = re.fullmatch(r"([0-9.]+)(μs|ms|s)", text.strip())
    assert found is not None, f"not a duration: {text!r}"
    return float(found.group(1)) * {"μs": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


async def test_order_opens_in_zipkin_with_all_five_services_and_in_jaeger(
    bookshop: Bookshop, context: BrowserContext, screenshots: Path
) -> None:
    shop = await open_shop(context, bookshop)
    trace_id = await place_order(shop, book_id=1)
    await shot(shop, screenshots, "shop-order")

    shown = shop.locator("#trace-card .links a:visible")
    links = {
        str(await link.get_attribute("id")): await link.get_attribute("href")
        for link in await shown.all()
    }
    assert links == {
        "zipkin-link": f"{bookshop.zipkin}/zipkin/traces/{trace_id}",
        "jaeger-api-link": f"{bookshop.jaeger}/api/traces/{trace_id}",
    }
    await expect(shop.locator("#jaeger-link")).to_be_hidden()
    await expect(shop.locator("#jaeger-note")).to_be_visible()
    await expect(shop.locator("#jaeger-note")).to_contain_text("has no UI")
    assert await shop.locator("#zipkin-home").get_attribute("href") == f"{bookshop.zipkin}/zipkin/"
    jaeger_home = await shop.locator("#jaeger-home").get_attribute("href")
    assert jaeger_home == f"{bookshop.jaeger}/api/services"
    logged = shop.locator("#log li").first.locator("a")
    assert await logged.all_inner_texts() == ["Zipkin", "Jaeger API"]

    zipkin = await follow(shop, "zipkin-link")
    assert zipkin.url == links["zipkin-link"]
    text, spans = await wait_zipkin_order_trace(zipkin, bookshop, trace_id)
    assert {service(s) for s in spans} == set(FIVE_SERVICES)
    assert "frontend: post /api/orders" in text
    assert "worker: process orders" in text
    await shot(zipkin, screenshots, "zipkin-order-trace")

    jaeger_api = await follow(shop, "jaeger-api-link")
    found: set[str] = set()

    async def jaeger_has_all() -> bool:
        nonlocal found
        found = await jaeger_services(jaeger_api)
        return found == set(FIVE_SERVICES)

    await reload_until(jaeger_api, jaeger_has_all, what=f"Jaeger's API to list {FIVE_SERVICES}")
    await shot(jaeger_api, screenshots, "jaeger-api-trace")

    home = await follow(shop, "jaeger-home")
    assert home.url == jaeger_home
    assert "data" in json.loads(await home.locator("body").inner_text())


async def test_slow_database_knob_shows_in_zipkin_and_the_dependency_graph(
    bookshop: Bookshop, context: BrowserContext, screenshots: Path
) -> None:
    shop = await open_shop(context, bookshop)
    await shop.locator("#fault-preset").select_option(SLOW_DB)
    await expect(shop.locator("#fault")).to_have_value(SLOW_DB)
    trace_id = await place_order(shop, book_id=2)
    await expect(shop.locator("#trace-action")).to_contain_text(f"[{SLOW_DB}]")
    await shot(shop, screenshots, "shop-slow-db")

    zipkin = await follow(shop, "zipkin-link")
    text, spans = await wait_zipkin_order_trace(zipkin, bookshop, trace_id)
    duration = re.search(r"Duration\s*([0-9.]+(?:μs|ms|s))", text)
    assert duration is not None, text[:2000]
    assert _ms(duration.group(1)) >= 300, f"the trace took {duration.group(1)}"
    db_servers = [s for s in spans if service(s) == "db_proxy" and s.get("kind") == "SERVER"]
    assert min(int(s["duration"]) for s in db_servers) >= 300_000, db_servers

    # Click the first db_proxy server span: the slow one the walkthrough asks to find.
    row = zipkin.get_by_text("db_proxy: post /queries/{name}", exact=True).first
    await row.click()
    await expect(zipkin.get_by_text("/queries/insert_order", exact=True)).to_be_visible(
        timeout=PAGE_TIMEOUT
    )
    await shot(zipkin, screenshots, "zipkin-slow-db")

    graph = await context.new_page()
    await graph.goto(f"{bookshop.zipkin}/zipkin/dependency")
    async with graph.expect_response(re.compile(r"/api/v2/dependencies\?")) as answer:
        await graph.get_by_role("button", name=re.compile("run query", re.IGNORECASE)).click()
    links = await (await answer.value).json()
    edges = {(link["parent"], link["child"]) for link in links}
    expected = {
        ("frontend", "backend"),
        ("backend", "cache"),
        ("backend", "db_proxy"),
        ("worker", "db_proxy"),
        ("worker", "cache"),
    }
    assert expected <= edges, f"the dependency graph lacks {expected - edges}"
    await expect(graph.locator("canvas").first).to_be_visible(timeout=PAGE_TIMEOUT)
    await graph.wait_for_load_state("networkidle")
    await shot(graph, screenshots, "zipkin-dependencies")
