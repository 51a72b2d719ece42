"""`python -m bookshop_loadgen` (what `make load` runs)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from rich.console import Console

from .cli import parse_args
from .report import ProgressBar, print_summary
from .runner import FrontendUnreachable, run_load


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        # A log or a pipe: wide enough that the tables keep one line per row.
        console = Console(width=max(console.width, 140))
    console.print(
        f"Sending {config.planned} requests to {config.url} over {config.duration:g} s "
        f"({config.rate:g}/s)"
    )
    try:
        with ProgressBar(console, config.planned, enabled=config.progress) as bar:
            summary = asyncio.run(run_load(config, on_sample=bar.on_sample, on_start=bar.start))
    except FrontendUnreachable as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print_summary(summary, config, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
