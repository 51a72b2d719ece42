"""Waiting for something to happen, with a deadline and a message naming it."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

__all__ = ["eventually"]

T = TypeVar("T")


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    what: str,
    timeout: float = ...,
    interval: float = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None], *, what: str, timeout: float = ..., interval: float = ...
) -> T: ...


async def eventually(
    probe: Callable[[], object], *, what: str, timeout: float = 20.0, interval: float = 0.02
) -> object:
    """Call `probe` (a function or a coroutine function) until it returns something true.

    Returns that; fails the test with `what` after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(interval)
