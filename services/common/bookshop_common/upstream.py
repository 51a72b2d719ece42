"""Calls to another bookshop service: traced, JSON in and out, failures translated."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

import aiozipkin as az

from .errors import UpstreamError

__all__ = ["Reply", "Upstream"]


@dataclass(frozen=True, slots=True)
class Reply:
    """A downstream answer whose status the caller expected."""

    status: int
    body: Any


class Upstream:
    """One downstream service reached through a traced client session."""

    __slots__ = ("_base_url", "_session", "name")

    def __init__(self, name: str, base_url: str, session: aiohttp.ClientSession) -> None:
        self.name = name
        self._base_url = base_url.rstrip("/")
        self._session = session

    async def call(
        self,
        method: str,
        path: str,
        *,
        parent: az.TraceContext | None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = (200,),
    ) -> Reply:
        """Send a request as a child of `parent`; any status outside `expect` raises.

        Raises:
            UpstreamError: 502 for an unexpected status or a connection failure,
                504 for a timeout.
        """
        trace_ctx = {"span_context": parent} if parent is not None else None
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                json=json,
                params=params,
                headers=headers,
                trace_request_ctx=trace_ctx,
            ) as response:
                body = await _read_body(response)
                status = response.status
        except asyncio.TimeoutError:
            raise UpstreamError(self.name, f"{self.name} timed out", status=504) from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(self.name, f"{self.name} unreachable: {exc}") from exc
        if status not in expect:
            detail = body.get("error") if isinstance(body, dict) else None
            failed = body.get("failed") if isinstance(body, dict) else None
            raise UpstreamError(
                self.name,
                f"{self.name} answered {status}" + (f": {detail}" if detail else ""),
                failed=failed if isinstance(failed, str) and status in (502, 504) else None,
            )
        return Reply(status, body)


async def _read_body(response: aiohttp.ClientResponse) -> Any:
    if response.content_type != "application/json":
        await response.read()
        return None
    try:
        return await response.json()
    except ValueError:
        return None
