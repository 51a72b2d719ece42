"""Fixtures of the end-to-end tests; the stack itself (`bookshop`) comes from tests/stack.py.

The chaos tests' figures (`chaos_figures`) are printed at the end of every run that has them,
passed or failed, so that a plain `make test` shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from tests.e2e.chaos import Figures

_figures = pytest.StashKey[list[Figures]]()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client for the frontend and the collectors' query APIs."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
def chaos_figures(request: pytest.FixtureRequest) -> Callable[[str], Figures]:
    """`chaos_figures(scenario)`: a `Figures` to fill in, printed at the end of the run."""
    recorded = request.config.stash.setdefault(_figures, [])

    def new(scenario: str) -> Figures:
        figures = Figures(scenario)
        recorded.append(figures)
        return figures

    return new


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    recorded = terminalreporter.config.stash.get(_figures, [])
    if recorded:
        terminalreporter.section("chaos figures")
        for figures in recorded:
            terminalreporter.write_line(figures.line())
