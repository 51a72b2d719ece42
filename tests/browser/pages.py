"""Driving the shop page and reading the Zipkin and Jaeger pages it links to, with deadlines."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.helpers import Span, is_complete_order_trace
from tests.stack import Bookshop

__all__ = [
    "FIVE_SERVICES",
    "PAGE_TIMEOUT",
    "TRACE_TIMEOUT",
    "follow",
    "jaeger_services",
    "open_shop",
    "place_order",
    "reload_until",
    "shot",
    "wait_zipkin_order_trace",
    "zipkin_api_trace",
]

FIVE_SERVICES = ("frontend", "backend", "db_proxy", "cache", "worker")
PAGE_TIMEOUT = 15_000  # ms, for one element to show up
TRACE_TIMEOUT = 60.0  # s, for a trace to be whole in a collector
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


async def shot(page: Page, directory: Path, name: str) -> Path:
    """Save what the page shows (the window, not the whole scroll height)."""
    path = directory / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def open_shop(context: BrowserContext, bookshop: Bookshop) -> Page:
    """The shop page with its book list loaded."""
    page = await context.new_page()
    await page.goto(bookshop.frontend + "/")
    await expect(page.locator("#books tr").first).to_be_visible(timeout=PAGE_TIMEOUT)
    return page


async def place_order(page: Page, book_id: int) -> str:
    """Click the order button of a book; returns the trace id the page shows."""
    row = page.locator(f'#books tr[data-book-id="{book_id}"]')
    await row.locator("button.order").click()
    await expect(page.locator("#trace-action")).to_have_text(
        re.compile(r"^POST /api/orders"), timeout=PAGE_TIMEOUT
    )
    await expect(page.locator("#trace-status")).to_have_text("202", timeout=PAGE_TIMEOUT)
    trace_id = (await page.locator("#trace-id").inner_text()).strip()
    assert _TRACE_ID.match(trace_id), f"the page shows no trace id: {trace_id!r}"
    await expect(page.locator("#orders tr").first).to_contain_text(
        trace_id[:16], timeout=PAGE_TIMEOUT
    )
    return trace_id


async def follow(page: Page, link_id: str) -> Page:
    """Click a link that opens in a new tab; returns that tab once it has loaded."""
    async with page.context.expect_page() as opened:
        await page.locator(f"#{link_id}").click()
    tab = await opened.value
    await tab.wait_for_load_state()
    return tab


async def reload_until(
    page: Page,
    done: Callable[[], Awaitable[bool]],
    *,
    what: str,
    timeout: float = TRACE_TIMEOUT,
) -> None:
    """Reload `page` until `done()`; at the deadline fail with what the page shows."""
    deadline = time.monotonic() + timeout
    while True:
        await page.wait_for_load_state("networkidle")
        if await done():
            return
        if time.monotonic() > deadline:
            text = await page.locator("body").inner_text()
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what} at {page.url}; "
                f"the page shows:\n{text[:2000]}"
            )
        await asyncio.sleep(0.5)
        await page.reload()


async def zipkin_api_trace(
    context: BrowserContext, bookshop: Bookshop, trace_id: str
) -> list[Span]:
    """The trace as Zipkin's API has it now ([] before its first span arrives)."""
    resp = await context.request.get(f"{bookshop.zipkin}/api/v2/trace/{trace_id}")
    if resp.status == 404:
        return []
    assert resp.ok, f"Zipkin's API answered {resp.status}: {(await resp.text())[:500]}"
    spans: list[Span] = await resp.json()
    return spans


async def wait_zipkin_order_trace(
    tab: Page, bookshop: Bookshop, trace_id: str
) -> tuple[str, list[Span]]:
    """Reload Zipkin's trace page until it shows the whole order: five services, every span.

    The worker's spans arrive a moment after the order is accepted, so the first load usually
    shows only part of the trace. Returns the page's text and the spans behind it.
    """
    spans: list[Span] = []
    text = ""

    async def whole() -> bool:
        nonlocal spans, text
        spans = await zipkin_api_trace(tab.context, bookshop, trace_id)
        text = await tab.locator("body").inner_text()
        return (
            is_complete_order_trace(spans)
            and trace_id in text
            # the page counts the broker too: the Kafka spans name `kafka` as remote service
            and re.search(r"Services\s*6\b", text) is not None
            and re.search(rf"Total Spans\s*{len(spans)}\b", text) is not None
            and all(f"{name}: " in text for name in FIVE_SERVICES)
        )

    await reload_until(tab, whole, what=f"Zipkin's page to show the whole trace {trace_id}")
    return text, spans


async def jaeger_services(tab: Page) -> set[str]:
    """The services in the Jaeger API answer the tab shows (Chromium puts JSON in a <pre>)."""
    text = await tab.locator("pre").first.inner_text(timeout=PAGE_TIMEOUT)
    body: Any = json.loads(text)
    return {
        process["serviceName"]
        for trace in body.get("data") or []
        for process in trace["processes"].values()
    }
