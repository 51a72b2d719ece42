"""The X-Demo-Fault grammar."""

from __future__ import annotations

import pytest

from bookshop_common import Fault, FaultSpecError, parse_fault_spec


@pytest.mark.parametrize(
    ("spec", "faults"),
    [
        pytest.param("", (), id="empty"),
        pytest.param(" , ", (), id="blank-entries"),
        pytest.param("cache=error", (Fault("cache", "error"),), id="error"),
        pytest.param("cache=error:503", (Fault("cache", "error", status=503),), id="status"),
        pytest.param("db_proxy=delay:300ms", (Fault("db_proxy", "delay", delay=0.3),), id="ms"),
        pytest.param("db_proxy=delay:1.5s", (Fault("db_proxy", "delay", delay=1.5),), id="s"),
        pytest.param("worker=delay:20", (Fault("worker", "delay", delay=0.02),), id="bare-ms"),
        pytest.param(
            "DB_PROXY=Delay:300ms, cache=error",
            (Fault("db_proxy", "delay", delay=0.3), Fault("cache", "error")),
            id="case-and-spaces",
        ),
    ],
)
def test_valid_specs(spec: str, faults: tuple[Fault, ...]) -> None:
    assert parse_fault_spec(spec).faults == faults


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("cache", id="no-action"),
        pytest.param("cache=explode", id="unknown-action"),
        pytest.param("cache=error:404", id="non-5xx-status"),
        pytest.param("cache=error:5s", id="status-with-unit"),
        pytest.param("cache=delay", id="delay-without-duration"),
        pytest.param("cache=delay:11s", id="delay-too-long"),
        pytest.param("cache=delay:1.2.3s", id="bad-number"),
        pytest.param("=error", id="no-service"),
        pytest.param("cache=error," * 60, id="too-long"),
    ],
)
def test_invalid_specs(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault_spec(spec)


def test_plan_selects_by_service() -> None:
    plan = parse_fault_spec("cache=delay:10ms,backend=error,cache=error")
    assert [f.kind for f in plan.for_service("cache")] == ["delay", "error"]
    assert plan.for_service("worker") == ()
