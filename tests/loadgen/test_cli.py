"""The command line: defaults, and arguments that are refused with a message naming them."""

from __future__ import annotations

import re

import pytest

from bookshop_loadgen import Endpoint, parse_args
from bookshop_loadgen.__main__ import main
from tests.support.ports import free_ports


def test_defaults_aim_at_make_up() -> None:
    config = parse_args([])
    assert config.url == "http://127.0.0.1:8080"
    assert config.zipkin_ui == "http://127.0.0.1:9411"
    assert (config.rate, config.duration, config.planned) == (20.0, 30.0, 600)
    assert config.faults.faults == ()
    assert config.progress


def test_arguments_are_read() -> None:
    config = parse_args(
        [
            "--url=http://shop.example:80/",
            "--rate=2.5",
            "--duration=3",
            "--mix=order=1",
            "--fault=cache=error@10%",
            "--fault=db_proxy=delay:300ms@0.2",
            "--concurrency=4",
            "--slowest=0",
            "--seed=9",
            "--no-progress",
        ]
    )
    assert config.url == "http://shop.example:80"
    assert config.planned == 8
    assert config.mix.weights == ((Endpoint.ORDER, 1.0),)
    assert config.faults.faults == (("cache=error", 0.1), ("db_proxy=delay:300ms", 0.2))
    assert (config.concurrency, config.slowest, config.seed, config.progress) == (4, 0, 9, False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--rate=0"], "argument --rate: must be above 0", id="rate-zero"),
        pytest.param(["--rate=fast"], "argument --rate: 'fast' is not a number", id="rate-text"),
        pytest.param(["--duration=nan"], "argument --duration: must be above", id="duration-nan"),
        pytest.param(["--url=localhost:8080"], "argument --url: .* not an http", id="url"),
        pytest.param(["--zipkin-ui=ftp://x"], "argument --zipkin-ui", id="zipkin-ui"),
        pytest.param(["--mix=list=1,books=2"], "unknown endpoint 'books'", id="mix"),
        pytest.param(["--fault=cache=error"], "argument --fault: .*lacks its share", id="fault"),
        pytest.param(
            ["--fault=cache=error@60%", "--fault=backend=error@60%"],
            "argument --fault: the fault shares add up to 120%",
            id="fault-shares",
        ),
        pytest.param(["--concurrency=0"], "argument --concurrency: must be between", id="conc"),
        pytest.param(["--bogus"], "unrecognized arguments: --bogus", id="unknown-option"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_unreachable_frontend_exits_1_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    (port,) = free_ports(1)
    code = main([f"--url=http://127.0.0.1:{port}", "--duration=1", "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"cannot reach the frontend at http://127.0.0.1:{port}" in err
    assert "make up" in err
