"""The printed summary: a row per endpoint, a row per fault, links to the slowest traces."""

from __future__ import annotations

import io

from rich.console import Console

from bookshop_loadgen import Sample, parse_args, summarize
from bookshop_loadgen.report import print_summary


def _printed(argv: list[str], samples: list[Sample]) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    print_summary(summarize(samples, elapsed=2.0, slowest=1), parse_args(argv), console)
    return out.getvalue()


def test_summary_lists_endpoints_faults_and_slowest_trace_links() -> None:
    samples = [
        Sample("GET /api/books", "", 0.010, True, "200", "a" * 32),
        Sample("POST /api/orders", "cache=error", 0.020, False, "502", "b" * 32),
        Sample("POST /api/orders", "", 0.300, True, "202", "c" * 32),
    ]
    text = _printed(["--zipkin-ui=http://zipkin:9411", "--fault=cache=error@10%"], samples)
    assert "3 requests in 2.0 s (1.5/s, asked for 20/s), 1 errors" in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    assert [c.strip() for c in rows["GET /api/books"].split("│")[2:4]] == ["1", "0"]
    assert "202:1 502:1" in rows["POST /api/orders"]
    assert {"cache=error", "none"} <= set(rows)
    assert f"http://zipkin:9411/zipkin/traces/{'c' * 32}" in text
    assert f"/traces/{'a' * 32}" not in text


def test_fault_table_only_when_faults_were_sent() -> None:
    samples = [Sample("GET /api/books", "", 0.010, True, "200", "a" * 32)]
    text = _printed([], samples)
    assert "Per endpoint" in text
    assert "Per fault" not in text
