"""`make load` against the stack: a short run prints its tables and links traces Zipkin has."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp

from tests.e2e.helpers import Bookshop, service, wait_trace
from tests.servers import ROOT

RUN_TIMEOUT = 60.0


async def test_short_load_run_summarises_and_links_real_traces(
    bookshop: Bookshop, http: aiohttp.ClientSession
) -> None:
    argv = [
        sys.executable,
        "-m",
        "bookshop_loadgen",
        f"--url={bookshop.frontend}",
        f"--zipkin-ui={bookshop.zipkin}",
        "--rate=25",
        "--duration=2",
        "--fault=db_proxy=delay:400ms@20%",
        "--slowest=3",
        "--seed=8",
        "--no-progress",
    ]
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the load run did not end within {RUN_TIMEOUT:.0f} s") from None
    text = out.decode()
    assert process.returncode == 0, f"{text}\n{err.decode()}"

    assert re.search(r"^50 requests in [0-9.]+ s .* 0 errors", text, re.MULTILINE), text
    rows = {line.split("│")[1].strip() for line in text.splitlines() if "│" in line}
    routes = {"GET /api/books", "GET /api/books/{id}", "POST /api/orders", "GET /api/orders/{id}"}
    assert routes <= rows, text
    assert {"none", "db_proxy=delay:400ms"} <= rows, text

    links = re.findall(rf"{re.escape(bookshop.zipkin)}/zipkin/traces/([0-9a-f]{{32}})", text)
    assert len(links) == 3, text
    # The slowest requests are the delayed ones: their traces show db_proxy's slow answer.
    assert "[db_proxy=delay:400ms]" in text.split("Slowest traces")[1].splitlines()[1]
    spans = await wait_trace(
        bookshop,
        http,
        links[0],
        lambda spans: any(service(s) == "db_proxy" for s in spans),
        f"the slowest trace {links[0]} in Zipkin",
    )
    slow = [s for s in spans if service(s) == "db_proxy" and s.get("kind") == "SERVER"]
    assert max(int(s["duration"]) for s in slow) >= 400_000
