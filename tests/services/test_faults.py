"""The X-Demo-Fault grammar."""

from __future__ import annotations

import asyncio

import pytest

from bookshop_common import Fault, FaultSpecError, apply_faults, apply_holds, parse_fault_spec


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
        pytest.param("worker=hold:8s", (Fault("worker", "hold", delay=8.0),), id="hold"),
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
        pytest.param("worker=hold", id="hold-without-duration"),
        pytest.param("worker=hold:11s", id="hold-too-long"),
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


async def test_a_hold_waits_only_where_holds_are_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    # Nothing else runs on the loop while patched: the test awaits no real I/O.
    monkeypatch.setattr(asyncio, "sleep", sleep)
    plan = parse_fault_spec("worker=hold:200ms,worker=delay:50ms").faults
    await apply_faults(plan)
    assert slept == [0.05], "apply_faults leaves holds alone"
    await apply_holds(plan)
    assert slept == [0.05, 0.2]
