"""Command line of the load generator: `python -m bookshop_loadgen --help`."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from yarl import URL

from .mix import DEFAULT_MIX, FaultMix, Mix, MixError, parse_fault, parse_fault_mix, parse_mix

__all__ = ["DEFAULT_URL", "DEFAULT_ZIPKIN_UI", "LoadConfig", "build_parser", "parse_args"]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_ZIPKIN_UI = "http://127.0.0.1:9411"


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """One run: where, how fast, how long, and what the requests are."""

    url: str = DEFAULT_URL
    zipkin_ui: str = DEFAULT_ZIPKIN_UI
    rate: float = 20.0
    duration: float = 30.0
    mix: Mix = field(default_factory=lambda: parse_mix(DEFAULT_MIX))
    faults: FaultMix = field(default_factory=FaultMix)
    concurrency: int = 64
    timeout: float = 15.0
    slowest: int = 5
    seed: int | None = None
    progress: bool = True
    trace_log: str | None = None

    @property
    def planned(self) -> int:
        """How many requests the run sends when it keeps pace."""
        return max(1, math.ceil(self.rate * self.duration))


def _number(minimum: float, maximum: float) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not minimum < value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be above {minimum:g} and at most {maximum:g}, got {text}"
            )
        return value

    return convert


def _integer(minimum: int, maximum: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be between {minimum} and {maximum}, got {value}"
            )
        return value

    return convert


def _base_url(text: str) -> str:
    try:
        url = URL(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text.rstrip("/")


def _checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """Validate with `parse` but keep the text (the fault mix is checked as a whole later)."""

    def convert(text: str) -> str:
        try:
            parse(text)
        except MixError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return convert


def _mix(text: str) -> Mix:
    try:
        return parse_mix(text)
    except MixError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bookshop_loadgen",
        description=(
            "Send a steady mix of reads and orders to the bookshop frontend, with a progress "
            "bar, then print p50/p95/p99 latency and errors per endpoint and links to the "
            "slowest traces in Zipkin."
        ),
        epilog=(
            "example: --rate 50 --duration 20 --mix list=1,book=6,order=3 "
            "--fault db_proxy=delay:300ms@10% --fault cache=error@5%"
        ),
    )
    parser.add_argument(
        "--url", type=_base_url, default=DEFAULT_URL, help="frontend base URL (default %(default)s)"
    )
    parser.add_argument(
        "--zipkin-ui",
        type=_base_url,
        default=DEFAULT_ZIPKIN_UI,
        help="Zipkin's base URL, for the trace links (default %(default)s)",
    )
    parser.add_argument(
        "--rate", type=_number(0, 2000), default=20.0, help="requests per second (default 20)"
    )
    parser.add_argument(
        "--duration", type=_number(0, 3600), default=30.0, help="seconds (default 30)"
    )
    parser.add_argument(
        "--mix",
        type=_mix,
        default=parse_mix(DEFAULT_MIX),
        help=f"relative weights of list, book, order, status (default {DEFAULT_MIX})",
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_checked(parse_fault),
        default=[],
        metavar="SPEC@SHARE",
        help="send X-Demo-Fault SPEC with SHARE of the requests (e.g. cache=error@10%%); "
        "repeatable, shares add up to at most 100%%",
    )
    parser.add_argument(
        "--concurrency",
        type=_integer(1, 1000),
        default=64,
        help="most requests in flight (default 64)",
    )
    parser.add_argument(
        "--timeout", type=_number(0, 300), default=15.0, help="per request, seconds (default 15)"
    )
    parser.add_argument(
        "--slowest", type=_integer(0, 100), default=5, help="slowest traces to link (default 5)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the random choices")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--trace-log",
        metavar="FILE",
        default=None,
        help="write one JSON line per request to FILE: its trace id, outcome and the span "
        "count its whole trace should have",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> LoadConfig:
    """The run the arguments describe; a bad one exits with status 2 and says what is wrong."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        faults = parse_fault_mix(args.fault)
    except MixError as exc:
        parser.error(f"argument --fault: {exc}")
    return LoadConfig(
        url=args.url,
        zipkin_ui=args.zipkin_ui,
        rate=args.rate,
        duration=args.duration,
        mix=args.mix,
        faults=faults,
        concurrency=args.concurrency,
        timeout=args.timeout,
        slowest=args.slowest,
        seed=args.seed,
        progress=not args.no_progress,
        trace_log=args.trace_log,
    )
