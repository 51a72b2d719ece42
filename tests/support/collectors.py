"""Fake Zipkin collectors on 127.0.0.1: healthy, failing with a status, hung, refusing."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from tests.support.ports import free_port
from tests.support.spans import decode_list_of_spans

__all__ = [
    "SPANS_PATH",
    "Collector",
    "HungCollector",
    "Received",
    "Reply",
    "refusing_url",
    "still_served_while_hung",
]

SPANS_PATH = "/api/v2/spans"


@dataclass
class Received:
    """One request as the collector saw it."""

    at: float
    headers: dict[str, str]
    body: bytes
    spans: list[dict[str, Any]]


Reply = tuple[int, dict[str, str], str]
"""A status, headers and body the collector answers with."""


@dataclass
class Collector:
    """A fake Zipkin: records every POST; answers the queued `replies` first, then 202.

    Healthy with no replies queued; failing with a status for as many requests as
    `replies` holds.
    """

    replies: list[Reply] = field(default_factory=list)
    attempts: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        return self.make_url(SPANS_PATH)

    def make_url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    @property
    def spans(self) -> list[dict[str, Any]]:
        return [span for batch in self.accepted for span in batch.spans]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        raw = gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body
        if request.content_type == "application/x-protobuf":
            spans = decode_list_of_spans(raw)
        else:
            assert request.content_type == "application/json"
            spans = json.loads(raw)
        received = Received(time.monotonic(), dict(request.headers), body, spans)
        self.attempts.append(received)
        if self.replies:
            status, headers, text = self.replies.pop(0)
            return web.Response(status=status, headers=headers, text=text)
        self.accepted.append(received)
        return web.Response(status=202)

    def app(self) -> web.Application:
        # Raw bodies, so that the tests see what was on the wire.
        app = web.Application(handler_args={"auto_decompress": False})
        app.router.add_post(SPANS_PATH, self.handle)
        return app

    async def start(self, port: int | None = None) -> None:
        self.server = TestServer(self.app(), port=port)
        await self.server.start_server()

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.close()


class HungCollector:
    """Accepts connections and reads the requests, but never answers.

    `async with HungCollector() as url:` runs it; `start()` and `stop()` do the same.
    """

    def __init__(self) -> None:
        self.connections = 0
        self.requests = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        self.requests.set()
        await reader.read()  # until the client gives up

    async def start(self) -> str:
        """Listen; the URL to post spans to."""
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{SPANS_PATH}"

    async def stop(self) -> None:
        assert self.server is not None
        for writer in self.writers:
            writer.close()
        self.server.close()
        await self.server.wait_closed()

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def still_served_while_hung(
    session: aiohttp.ClientSession, app_url: URL, hung: HungCollector, more: int
) -> None:
    """GET `app_url` (a traced app answering "ok") once, wait until its spans' upload hangs
    on `hung`, then GET it `more` times: each must still be answered."""
    async with session.get(app_url) as resp:
        assert resp.status == 200
    await asyncio.wait_for(hung.requests.wait(), 10)
    for _ in range(more):
        async with session.get(app_url) as resp:
            assert await resp.text() == "ok"


def refusing_url() -> str:
    """A spans URL on a port where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}{SPANS_PATH}"
