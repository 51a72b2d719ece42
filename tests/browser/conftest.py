"""Debian's chromium driven by Playwright; the stack (`bookshop`) comes from tests/stack.py.

Playwright's own browser builds are never downloaded (`playwright install` cannot work here):
the tests launch the system chromium that scripts/system-deps.sh installs. Screenshots go to
artifacts/screenshots/ (git-ignored); the ones the README shows are copied to docs/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Error, async_playwright

from tests.servers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system chromium; a missing one fails the tests, saying how to install it."""
    if not CHROMIUM.exists():
        found = shutil.which("chromium")
        pytest.fail(
            f"chromium is not installed at {CHROMIUM}"
            + (f" (there is one at {found})" if found else "")
            + "; run `bash scripts/system-deps.sh` (apt-get install chromium)",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """A headless chromium; one that does not start fails the test with its error."""
    async with async_playwright() as playwright:
        try:
            launched = await playwright.chromium.launch(
                executable_path=str(chromium), args=CHROMIUM_ARGS
            )
        except Error as exc:
            pytest.fail(f"chromium at {chromium} does not start: {exc}", pytrace=False)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile with a laptop-sized window."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
def screenshots() -> Path:
    """Where the tests save their screenshots (created on demand)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
