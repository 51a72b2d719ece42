"""Run every benchmark scenario side by side with the reference tracers and print the figures.

    python -m bench.run [--rounds N] [--quick] [--json FILE] [--base PYTHON]
                        [--only lifecycle,middleware,throughput,encoding,asdict,memory,profile]

`--base` takes the python of another checkout's virtualenv (say a worktree at the commit
before a change): its library runs the middleware scenario in the same rounds as ours.

Each contender runs in its own process; contenders alternate, in a rotated order, for
several rounds, and the tables give medians with the spread across rounds. A process
reports the best of many short repeats (as timeit does: on a shared machine the other load
only ever adds time, and a short repeat often runs undisturbed); the tables show the median
of those over rounds. Throughput under wrk cannot do that, so its spread is wider. Figures
are printed, never asserted. See bench/__init__.py for the layout.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ._common import (
    ROOT,
    Impl,
    ensure_ref_venv,
    ensure_wrk,
    free_port,
    median,
    print_table,
    run_worker,
    taskset,
    wait_port,
)

__all__ = ["main"]

_SCENARIOS: Final = (
    "lifecycle",
    "middleware",
    "throughput",
    "encoding",
    "asdict",
    "memory",
    "profile",
)
_OURS: Final = Path(sys.executable)
# --base PYTHON: another virtualenv whose library also runs the middleware scenario.
_BASE: Path | None = None
_SERVER_CPU: Final = 0
_LOAD_CPU: Final = 1


def _rotated(items: Sequence[Impl], shift: int) -> list[Impl]:
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _spread(values: Sequence[float], fmt: str) -> str:
    if not values:
        return "-"
    return f"{format(median(values), fmt)} [{format(min(values), fmt)}-{format(max(values), fmt)}]"


def _ratios(ours: Sequence[float], other: Sequence[float]) -> list[float]:
    return [a / b for a, b in zip(ours, other, strict=False) if b]


def _fmt_ratio(values: Sequence[float]) -> str:
    return f"{median(values):.2f}x" if values else "-"


# --- lifecycle ------------------------------------------------------------------------------


def _lifecycle(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    impls = [Impl("floor (dict + json)", _OURS, "floor"), Impl("ours", _OURS, "ours")]
    if ref is not None:
        impls += [
            Impl("aiozipkin 1.1.1", ref, "aiozipkin-1.1.1"),
            Impl("py_zipkin", ref, "py_zipkin"),
            Impl("opentelemetry-sdk", ref, "otel"),
        ]
    repeats = "100" if quick else "200"
    per_round: dict[str, list[float]] = {i.label: [] for i in impls}
    encoder = "?"
    print(f"\nlifecycle: {rounds} rounds x {len(impls)} contenders ({_load()})", flush=True)
    for r in range(rounds):
        for impl in _rotated(impls, r):
            out = run_worker(impl.python, "bench.lifecycle", [impl.name, "--repeats", repeats])
            per_round[impl.label].append(min(out["us_per_span"]))
            encoder = out.get("encoder", encoder)
    ours = per_round["ours"]
    rows = []
    for impl in impls:
        values = per_round[impl.label]
        ratio = "" if impl.name == "ours" else _fmt_ratio(_ratios(ours, values))
        rows.append([impl.label, _spread(values, ".2f"), ratio])
    print_table(
        "Span lifecycle: root + child, name, kind, 3 tags, 1 annotation, finish, v2 JSON",
        ["contender", "us/span median [min-max]", "ours/contender"],
        rows,
    )
    print(f"ours encodes with {encoder}; {_load()}")
    results["lifecycle"] = {
        "us_per_span": {k: median(v) for k, v in per_round.items()},
        "ours_vs_floor": median(_ratios(ours, per_round["floor (dict + json)"])),
        "ours_vs_111": median(_ratios(ours, per_round.get("aiozipkin 1.1.1", []))),
    }


# --- middleware -----------------------------------------------------------------------------


def _key(impl: Impl) -> str:
    """A contender's key in the JSON figures; the base checkout's are prefixed `base:`."""
    return f"base:{impl.name}" if impl.label.startswith("base: ") else impl.name


def _middleware(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    impls: list[Impl] = [
        Impl("untraced", _OURS, "untraced"),
        Impl("no-op middleware (aiohttp's cost)", _OURS, "noop-middleware"),
        Impl("floor: hand-written minimal tracer", _OURS, "floor"),
        Impl("ours, unsampled", _OURS, "ours-unsampled"),
        Impl("ours, 100% sampled", _OURS, "ours"),
        Impl("ours, 100%, real transport's send()", _OURS, "ours-send"),
    ]
    if _BASE is not None:
        # The library of another checkout (e.g. before a change), in the same rounds.
        impls += [
            Impl("base: ours, unsampled", _BASE, "ours-unsampled"),
            Impl("base: ours, 100% sampled", _BASE, "ours"),
        ]
    if ref is not None:
        impls.append(Impl("aiozipkin 1.1.1, 100%", ref, "aiozipkin-1.1.1"))
    repeats = "100" if quick else "200"
    per_round: dict[str, list[float]] = {i.label: [] for i in impls}
    print(f"\nmiddleware: {rounds} rounds x {len(impls)} contenders ({_load()})", flush=True)
    for r in range(rounds):
        for impl in _rotated(impls, r):
            out = run_worker(impl.python, "bench.middleware", [impl.name, "--repeats", repeats])
            per_round[impl.label].append(min(out["us_per_request"]))
    base = per_round["untraced"]
    rows = []
    added: dict[str, float] = {}
    for impl in impls:
        values = per_round[impl.label]
        extra = median([a - b for a, b in zip(values, base, strict=True)])
        added[_key(impl)] = extra
        rows.append(
            [impl.label, _spread(values, ".2f"), "" if impl.name == "untraced" else f"+{extra:.2f}"]
        )
    print_table(
        "One request through aiohttp's Application._handle, no network (us/request)",
        ["server", "us/request median [min-max]", "added us"],
        rows,
    )
    results["middleware"] = {
        "us_per_request": {_key(i): median(per_round[i.label]) for i in impls},
        "added_us": added,
    }
    if _BASE is not None:
        # Each round ran both checkouts back to back: the ratio within a round cancels
        # most of what the machine's other load adds to both.
        compared = {}
        for name in ("ours-unsampled", "ours"):
            ours, other = (per_round[i.label] for i in impls if i.name == name)
            compared[name] = ratios = _ratios(ours, other)
            print(f"{name}: this checkout / base, per round: {_spread(ratios, '.3f')}")
        results["middleware"]["ours_vs_base"] = {k: median(v) for k, v in compared.items()}


# --- throughput -----------------------------------------------------------------------------


@contextlib.contextmanager
def _process(cmd: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # run_app's graceful exit: transports flush
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(frozen=True, slots=True)
class _Load:
    """One wrk run: its rate, how many requests, the server's CPU seconds meanwhile."""

    rate: float
    requests: int
    cpu_s: float
    note: str


def _wrk(wrk: str, url: str, seconds: int) -> tuple[float, int, str]:
    cmd = [*taskset(_LOAD_CPU), wrk, "-t1", "-c32", f"-d{seconds}s", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    count = re.search(r"(\d+) requests in", out.stdout)
    if rate is None or count is None:
        raise RuntimeError(f"wrk printed no rate:\n{out.stdout}{out.stderr}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out.stdout)
    return float(rate.group(1)), int(count.group(1)), errors.group(0) if errors else ""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sink_spans(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as resp:
        spans: int = json.loads(resp.read())["spans"]
        return spans


def _serve_and_load(
    impl: Impl, sink_url: str, wrk: str, seconds: int, logdir: Path, profile: Path | None = None
) -> _Load:
    port = free_port()
    cmd = [*taskset(_SERVER_CPU), str(impl.python), "-m", "bench.hello_server", impl.name]
    cmd += ["--port", str(port), "--sink", sink_url]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    log = logdir / f"{impl.name}.log"
    with _process(cmd, log) as proc:
        try:
            wait_port(port, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{impl.label}: {exc}\n{log.read_text()[-3000:]}") from exc
        url = f"http://127.0.0.1:{port}/"
        _wrk(wrk, url, 1)  # warm up: connections, caches, the transport's session
        cpu = _cpu_seconds(proc.pid)  # taskset execs the server: same pid
        rate, requests, note = _wrk(wrk, url, seconds)
        return _Load(rate, requests, _cpu_seconds(proc.pid) - cpu, note)


def _throughput(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    wrk = ensure_wrk()
    if wrk is None:
        return
    impls = [
        Impl("untraced", _OURS, "untraced"),
        Impl("no-op middleware (aiohttp's cost)", _OURS, "noop-middleware"),
        Impl("floor: hand-written minimal tracer", _OURS, "floor"),
        Impl("ours, unsampled", _OURS, "ours-unsampled"),
        Impl("ours, 100% sampled", _OURS, "ours"),
    ]
    if ref is not None:
        impls += [
            Impl("aiozipkin 1.1.1, 100%", ref, "aiozipkin-1.1.1"),
            Impl("opentelemetry aiohttp-server, 100%", ref, "otel"),
        ]
    seconds = 3
    rates: dict[str, list[float]] = {i.label: [] for i in impls}
    cpu_us: dict[str, list[float]] = {i.label: [] for i in impls}
    spans: dict[str, list[int]] = {i.label: [] for i in impls}
    notes: set[str] = set()
    print(
        f"\nthroughput: {rounds} rounds x {len(impls)} servers, wrk -t1 -c32 -d{seconds}s, "
        f"server on core {_SERVER_CPU}, wrk and sink on core {_LOAD_CPU} ({_load()})",
        flush=True,
    )
    sink_port = free_port()
    sink_url = f"http://127.0.0.1:{sink_port}/api/v2/spans"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logdir = Path(tmp)
        sink_cmd = [*taskset(_LOAD_CPU), str(_OURS), "-m", "bench.sink", "--port", str(sink_port)]
        with _process(sink_cmd, logdir / "sink.log") as sink:
            wait_port(sink_port, sink)
            for r in range(rounds):
                for impl in _rotated(impls, r):
                    before = _sink_spans(sink_port)
                    load = _serve_and_load(impl, sink_url, wrk, seconds, logdir)
                    rates[impl.label].append(load.rate)
                    if load.cpu_s and load.requests:
                        cpu_us[impl.label].append(load.cpu_s / load.requests * 1e6)
                    spans[impl.label].append(_sink_spans(sink_port) - before)
                    if load.note:
                        notes.add(f"{impl.label}: {load.note}")
    # Runs of one round are minutes apart, so pairing them buys nothing: ratio of medians.
    # The server's CPU time per request is steadier: it leaves out the moments the server
    # waited (wrk descheduled by other load), and its best round is the least disturbed.
    base = median(rates["untraced"])
    base_cpu = min(cpu_us["untraced"], default=float("nan"))
    rows = []
    for impl in impls:
        values = rates[impl.label]
        best_cpu = min(cpu_us[impl.label], default=float("nan"))
        untraced = impl.name == "untraced"
        rows.append(
            [
                impl.label,
                _spread(values, ".0f"),
                "" if untraced else f"{median(values) / base:.2f}x",
                f"{best_cpu:.1f}",
                "" if untraced else f"{base_cpu / best_cpu:.2f}x",
                str(int(median(spans[impl.label]))),
            ]
        )
    print_table(
        "aiohttp hello world under wrk (req/s)",
        [
            "server",
            "req/s median [min-max]",
            "vs untraced",
            "server CPU us/req (best)",
            "CPU: untraced/this",
            "spans at sink/run",
        ],
        rows,
    )
    for note in sorted(notes):
        print(f"  wrk: {note}")
    print(f"  {_load()}")
    results["throughput"] = {
        "req_s": {i.name: median(rates[i.label]) for i in impls},
        "cpu_us_per_request": {i.name: min(cpu_us[i.label], default=None) for i in impls},
        "traced_vs_untraced": median(rates["ours, 100% sampled"]) / base,
        "unsampled_vs_untraced": median(rates["ours, unsampled"]) / base,
        "traced_cpu_ratio": base_cpu / min(cpu_us["ours, 100% sampled"], default=float("nan")),
        "unsampled_cpu_ratio": base_cpu / min(cpu_us["ours, unsampled"], default=float("nan")),
        # What the targets sit against: any middleware, and the least a tracer can do.
        "noop_vs_untraced": median(rates["no-op middleware (aiohttp's cost)"]) / base,
        "floor_vs_untraced": median(rates["floor: hand-written minimal tracer"]) / base,
        "noop_cpu_ratio": base_cpu
        / min(cpu_us["no-op middleware (aiohttp's cost)"], default=float("nan")),
        "floor_cpu_ratio": base_cpu
        / min(cpu_us["floor: hand-written minimal tracer"], default=float("nan")),
    }


# --- encoding and memory --------------------------------------------------------------------


def _encoding(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    impls = [Impl("ours", _OURS, "ours"), Impl("json.dumps of ready dicts", _OURS, "json-only")]
    if ref is not None:
        impls.append(Impl("aiozipkin 1.1.1 asdict + json", ref, "aiozipkin-1.1.1"))
    rates: dict[str, list[float]] = {i.label: [] for i in impls}
    what = {}
    print(f"\nencoding: {rounds} rounds, pinned to core {_SERVER_CPU} ({_load()})", flush=True)
    for r in range(rounds):
        for impl in _rotated(impls, r):
            out = run_worker(impl.python, "bench.encode", [impl.name], cpu=_SERVER_CPU)
            rates[impl.label].append(max(out["spans_per_s"]))
            what[impl.label] = f"{out['encoder']}, {out['bytes_per_span']:.0f} B/span"
    ours = rates["ours"]
    rows = [
        [
            i.label,
            _spread(rates[i.label], ",.0f"),
            "" if i.name == "ours" else _fmt_ratio(_ratios(ours, rates[i.label])),
            what[i.label],
        ]
        for i in impls
    ]
    print_table(
        "Zipkin v2 JSON encoding, bodies of 100 spans, one core (spans/s)",
        ["encoder", "spans/s median [min-max]", "ours/other", "what"],
        rows,
    )
    results["encoding"] = {"spans_per_s": median(ours), "encoder": what["ours"]}


def _asdict(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    impls = [Impl("ours", _OURS, "ours")]
    if ref is not None:
        impls.append(Impl("aiozipkin 1.1.1", ref, "aiozipkin-1.1.1"))
    repeats = "150" if quick else "300"
    per_round: dict[str, list[float]] = {i.label: [] for i in impls}
    keys: dict[str, list[str]] = {}
    print(f"\nasdict: {rounds} rounds x {len(impls)} contenders ({_load()})", flush=True)
    for r in range(rounds):
        for impl in _rotated(impls, r):
            out = run_worker(impl.python, "bench.asdict", [impl.name, "--repeats", repeats])
            per_round[impl.label].append(min(out["ns_per_call"]))
            keys[impl.label] = out["keys"]
    ours = per_round["ours"]
    rows = [
        [
            i.label,
            _spread(per_round[i.label], ",.0f"),
            "" if i.name == "ours" else _fmt_ratio(_ratios(ours, per_round[i.label])),
        ]
        for i in impls
    ]
    print_table(
        "Record.asdict() of a finished span (name, kind, 3 tags, 1 annotation), ns/call",
        ["contender", "ns/call median [min-max]", "ours/contender"],
        rows,
    )
    if "aiozipkin 1.1.1" in keys:
        same = keys["ours"] == keys["aiozipkin 1.1.1"]
        print(
            f"same keys as aiozipkin 1.1.1: {'yes' if same else 'NO'} ({', '.join(keys['ours'])})"
        )
    results["asdict"] = {
        "ns_per_call": {k: median(v) for k, v in per_round.items()},
        "ours_vs_111": median(_ratios(ours, per_round.get("aiozipkin 1.1.1", []))),
    }


def _memory(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    impls = [Impl("ours", _OURS, "ours")]
    if ref is not None:
        impls.append(Impl("aiozipkin 1.1.1", ref, "aiozipkin-1.1.1"))
    sizes: dict[str, list[float]] = {i.label: [] for i in impls}
    for _ in range(rounds):
        for impl in impls:
            out = run_worker(impl.python, "bench.memory", [impl.name])
            sizes[impl.label].append(out["bytes_per_span"])
    rows = [[i.label, f"{median(sizes[i.label]):.0f}"] for i in impls]
    print_table(
        "Memory per span queued in the HTTP transport (tracemalloc, 5000 spans)",
        ["library", "bytes/span"],
        rows,
    )
    results["memory"] = {"bytes_per_span": median(sizes["ours"])}


# --- profile --------------------------------------------------------------------------------


def _print_profile(source: cProfile.Profile | str, title: str, limit: int) -> None:
    buffer = io.StringIO()
    pstats.Stats(source, stream=buffer).sort_stats("tottime").print_stats(limit)
    lines = buffer.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"\n## {title}")
    root = f"{ROOT}/"
    for line in lines[start:]:
        if line.strip():
            print("  " + line.replace(root, "").replace(sys.prefix + "/", ""))


def _profile(ref: Path | None, rounds: int, quick: bool, results: dict[str, Any]) -> None:
    from .lifecycle import workload

    run = workload("ours")
    run(500)
    profiler = cProfile.Profile()
    profiler.enable()
    run(3000)
    profiler.disable()
    _print_profile(profiler, "Profile: span lifecycle, ours, 6000 spans (cProfile tottime)", 15)
    wrk = ensure_wrk()
    if wrk is None:
        return
    sink_port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logdir = Path(tmp)
        prof = logdir / "server.prof"
        sink_cmd = [*taskset(_LOAD_CPU), str(_OURS), "-m", "bench.sink", "--port", str(sink_port)]
        with _process(sink_cmd, logdir / "sink.log") as sink:
            wait_port(sink_port, sink)
            impl = Impl("ours", _OURS, "ours")
            url = f"http://127.0.0.1:{sink_port}/api/v2/spans"
            _serve_and_load(impl, url, wrk, 3, logdir, profile=prof)
        for _ in range(50):  # the server writes its profile as it exits
            if prof.exists() and prof.stat().st_size:
                break
            time.sleep(0.1)
        _print_profile(str(prof), "Profile: traced hello world under wrk, ours 100% (tottime)", 25)


# --- summary --------------------------------------------------------------------------------


def _verdict(value: float | None, target: float, *, at_most: bool) -> str:
    if value is None or value != value:  # missing or NaN
        return "not measured"
    ok = value <= target if at_most else value >= target
    return "met" if ok else "NOT met"


def _summary(results: dict[str, Any]) -> None:
    life = results.get("lifecycle", {})
    tput = results.get("throughput", {})
    enc = results.get("encoding", {})
    mem = results.get("memory", {})
    asdict = results.get("asdict", {})
    rows: list[tuple[str, float | None, str, float, bool]] = [
        ("per-span cost, ours/aiozipkin 1.1.1", life.get("ours_vs_111"), ".2f", 0.5, True),
        ("per-span cost, ours/floor", life.get("ours_vs_floor"), ".2f", 1.6, True),
        ("traced req/s, 100% / untraced", tput.get("traced_vs_untraced"), ".2f", 0.8, False),
        ("unsampled req/s / untraced", tput.get("unsampled_vs_untraced"), ".2f", 0.95, False),
        ("JSON encoding, spans/s", enc.get("spans_per_s"), ",.0f", 300_000, False),
        ("memory per queued span, bytes", mem.get("bytes_per_span"), ".0f", 1024, True),
        ("Record.asdict(), ours/aiozipkin 1.1.1", asdict.get("ours_vs_111"), ".2f", 0.5, True),
    ]
    # wrk's req/s swing with whatever else runs on the machine; the server's CPU time per
    # request gives the same ratio for a saturated server, with less noise.
    if "traced_cpu_ratio" in tput:
        rows[4:4] = [
            ("traced, server CPU/request ratio", tput["traced_cpu_ratio"], ".2f", 0.8, False),
            (
                "unsampled, server CPU/request ratio",
                tput["unsampled_cpu_ratio"],
                ".2f",
                0.95,
                False,
            ),
        ]
    table = []
    for name, value, fmt, target, at_most in rows:
        shown = "-" if value is None else format(value, fmt)
        bound = f"{'<=' if at_most else '>='} {format(target, fmt)}"
        table.append([name, shown, bound, _verdict(value, target, at_most=at_most)])
    print_table("Targets (issue 7)", ["figure", "value", "target", "verdict"], table)
    if "floor_vs_untraced" in tput:
        # The throughput targets next to what no aiohttp tracer can beat: the cost of any
        # middleware at all, and of the hand-written minimal tracer (bench/hello_server.py).
        print_table(
            "Ceilings for the throughput targets (same run)",
            ["server", "req/s vs untraced", "CPU: untraced/this"],
            [
                [
                    "no-op middleware",
                    f"{tput['noop_vs_untraced']:.2f}",
                    f"{tput['noop_cpu_ratio']:.2f}",
                ],
                [
                    "floor: hand-written minimal tracer",
                    f"{tput['floor_vs_untraced']:.2f}",
                    f"{tput['floor_cpu_ratio']:.2f}",
                ],
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=None, help="rounds per scenario")
    parser.add_argument("--only", default=",".join(_SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--quick", action="store_true", help="shorter runs, fewer rounds")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--base",
        type=Path,
        help="python of another checkout's virtualenv: its library joins the middleware table",
    )
    args = parser.parse_args()
    global _BASE
    _BASE = args.base
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(_SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {list(_SCENARIOS)}")
    print(f"bench: python {sys.version.split()[0]}, {_load()}")
    print("The machine may be shared: figures are medians across alternating processes.")
    ref = ensure_ref_venv()
    results: dict[str, Any] = {}
    runners = {
        "lifecycle": (_lifecycle, 3 if args.quick else 5),
        "middleware": (_middleware, 3 if args.quick else 5),
        "throughput": (_throughput, 2 if args.quick else 4),
        "encoding": (_encoding, 3 if args.quick else 5),
        "asdict": (_asdict, 3 if args.quick else 5),
        "memory": (_memory, 2),
        "profile": (_profile, 1),
    }
    for name in _SCENARIOS:
        if name in chosen:
            runner, rounds = runners[name]
            runner(ref, args.rounds or rounds, args.quick, results)
    _summary(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
