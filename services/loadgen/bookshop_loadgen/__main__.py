"""`python -m bookshop_loadgen` (what `make load` runs)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from rich.console import Console

from .cli import LoadConfig, parse_args
from .report import ProgressBar, print_summary
from .runner import FrontendUnreachable, run_load
from .stats import Sample, Summary
from .tracelog import TraceLog


def _run(config: LoadConfig, console: Console, log: TraceLog | None) -> Summary:
    with ProgressBar(console, config.planned, enabled=config.progress) as bar:

        def on_sample(sample: Sample) -> None:
            bar.on_sample(sample)
            if log is not None:
                log.write(sample)

        return asyncio.run(run_load(config, on_sample=on_sample, on_start=bar.start))


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        # A log or a pipe: wide enough that the tables keep one line per row.
        console = Console(width=max(console.width, 140))
    log = None
    if config.trace_log is not None:
        try:
            log = TraceLog.open(config.trace_log)
        except OSError as exc:
            print(f"loadgen: cannot write --trace-log {config.trace_log}: {exc}", file=sys.stderr)
            return 2
    console.print(
        f"Sending {config.planned} requests to {config.url} over {config.duration:g} s "
        f"({config.rate:g}/s)"
    )
    try:
        summary = _run(config, console, log)
    except FrontendUnreachable as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if log is not None:
            log.close()
    print_summary(summary, config, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
