"""The summary printed at the end of a run, and the progress bar shown during it."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from .cli import LoadConfig
from .stats import Group, Sample, Summary

__all__ = ["ProgressBar", "print_summary", "zipkin_trace_url"]


def zipkin_trace_url(zipkin_ui: str, trace_id: str) -> str:
    """Where Zipkin's UI shows the trace."""
    return f"{zipkin_ui}/zipkin/traces/{trace_id}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _outcomes(group: Group) -> str:
    return " ".join(f"{outcome}:{count}" for outcome, count in group.outcomes)


def _table(title: str, first: str, groups: tuple[Group, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first, no_wrap=True)
    for name in ("requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("outcomes", no_wrap=True)
    for group in groups:
        table.add_row(
            group.name,
            str(group.requests),
            Text(str(group.errors), style="red" if group.errors else ""),
            _ms(group.p50),
            _ms(group.p95),
            _ms(group.p99),
            _ms(group.max),
            _outcomes(group),
        )
    return table


def _slow_line(sample: Sample, zipkin_ui: str) -> Text:
    line = Text(f"{_ms(sample.latency):>9} ms  {sample.route:<22} {sample.outcome:<5} ")
    if sample.fault:
        line.append(f"[{sample.fault}] ")
    url = zipkin_trace_url(zipkin_ui, sample.trace_id)
    line.append(url, style=f"link {url}")
    return line


def print_summary(summary: Summary, config: LoadConfig, console: Console) -> None:
    """Tables per endpoint (and per fault when faults were sent), then the slowest traces."""
    console.print(
        f"{summary.requests} requests in {summary.elapsed:.1f} s "
        f"({summary.rate:.1f}/s, asked for {config.rate:g}/s), {summary.errors} errors, "
        f"against {config.url}",
        soft_wrap=True,
    )
    if not summary.requests:
        return
    console.print(_table("Per endpoint", "endpoint", summary.endpoints))
    if config.faults.faults:
        console.print(_table("Per fault (X-Demo-Fault)", "fault", summary.faults))
    if summary.slowest:
        console.print(Text("Slowest traces in Zipkin:", style="bold"))
        for sample in summary.slowest:
            console.print(_slow_line(sample, config.zipkin_ui), soft_wrap=True)


class ProgressBar:
    """A bar of requests done out of those planned, with the error count so far."""

    def __init__(self, console: Console, total: int, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("[bold]load"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task("load", total=total, errors=0)
        self._errors = 0

    def __enter__(self) -> ProgressBar:
        return self

    def start(self) -> None:
        self._progress.start()

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def on_sample(self, sample: Sample) -> None:
        self._errors += not sample.ok
        self._progress.update(self._task, advance=1, errors=self._errors)
