"""`--trace-log FILE`: a JSON line per request; a clear error when it cannot be written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bookshop_loadgen import Sample, parse_args
from bookshop_loadgen.__main__ import main
from bookshop_loadgen.tracelog import TraceLog


def test_each_sample_is_one_json_line() -> None:
    out = io.StringIO()
    log = TraceLog(out)
    log.write(Sample("POST /api/orders", "", 0.0123456, True, "202", "a" * 32, 15))
    log.write(Sample("GET /api/books", "cache=error", 0.5, False, "502", "b" * 32))
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {
        "trace_id": "a" * 32,
        "route": "POST /api/orders",
        "fault": "",
        "ok": True,
        "outcome": "202",
        "latency_ms": 12.346,
        "spans": 15,
    }
    assert (second["ok"], second["fault"], second["spans"]) == (False, "cache=error", None)


def test_the_option_is_read() -> None:
    assert parse_args([]).trace_log is None
    assert parse_args(["--trace-log=/tmp/run.jsonl"]).trace_log == "/tmp/run.jsonl"


def test_an_unwritable_trace_log_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-folder" / "run.jsonl"
    assert main([f"--trace-log={target}", "--no-progress"]) == 2
    assert f"cannot write --trace-log {target}" in capsys.readouterr().err
