"""What every benchmark shares: the typical span, worker I/O, and the orchestration helpers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CHILD",
    "REF_PYTHON",
    "REF_VENV",
    "ROOT",
    "ROOT_SPAN",
    "SERVICE",
    "Collect111",
    "Impl",
    "SpanShape",
    "emit",
    "ensure_ref_venv",
    "ensure_wrk",
    "free_port",
    "median",
    "print_table",
    "run_trace",
    "run_worker",
    "taskset",
    "time_per_unit",
    "wait_port",
]


class Collect111:
    """A transport for aiozipkin 1.1.1, which calls `send` and `close` and checks no base class."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def send(self, record: Any) -> None:
        self.records.append(record)

    async def close(self) -> None:
        self.records.clear()


ROOT: Final = Path(__file__).resolve().parents[1]
REF_VENV: Final = ROOT / ".cache" / "bench-ref-venv"
REF_PYTHON: Final = REF_VENV / "bin" / "python"
_REF_REQUIREMENTS: Final = ROOT / "bench" / "requirements-ref.txt"
# The references run on the same aiohttp stack as ours, so only the tracer differs.
_SHARED_STACK: Final = ("aiohttp", "yarl", "multidict", "propcache", "frozenlist", "aiosignal")

SERVICE: Final = "bench"


@dataclass(frozen=True, slots=True)
class SpanShape:
    """One span of the lifecycle workload, identical for every implementation."""

    name: str
    kind: str
    tags: tuple[tuple[str, str | int], ...]
    annotation: str


ROOT_SPAN: Final = SpanShape(
    "GET /orders/{id}",
    "SERVER",
    (("http.method", "GET"), ("http.path", "/orders/42"), ("http.status_code", 200)),
    "handler.start",
)
CHILD: Final = SpanShape(
    "SELECT orders",
    "CLIENT",
    (("db.system", "postgresql"), ("db.statement", "SELECT * FROM orders"), ("peer", "db")),
    "query.sent",
)


@dataclass(frozen=True, slots=True)
class Impl:
    """A contender: its label, the interpreter that has it installed, and its worker name."""

    label: str
    python: Path
    name: str


def emit(result: Mapping[str, Any]) -> None:
    """Print a worker's result as the last line of its output, for `run_worker`."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def time_per_unit(
    run: Callable[[int], int], *, loops: int, repeats: int, warmup: int
) -> list[float]:
    """Seconds per unit for each repeat; `run(n)` does n loops and returns the units done."""
    run(warmup)
    out: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        units = run(loops)
        out.append((time.perf_counter() - start) / units)
    return out


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def taskset(cpu: int | None) -> list[str]:
    """A command prefix pinning to one core, when taskset exists and the core does."""
    if cpu is None or shutil.which("taskset") is None or cpu >= (os.cpu_count() or 1):
        return []
    return ["taskset", "-c", str(cpu)]


def run_worker(
    python: Path,
    module: str,
    args: Sequence[str] = (),
    *,
    cpu: int | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run `python -m module args` from the repository root; its last output line is JSON."""
    cmd = [*taskset(cpu), str(python), "-m", module, *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}{proc.stdout[-500:]}"
        )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} printed nothing:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _stack_pins() -> list[str]:
    pins = []
    for name in _SHARED_STACK:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def ensure_ref_venv() -> Path | None:
    """Create (once, then cached) the virtualenv with the reference tracers; None on failure."""
    pins = _stack_pins()
    wanted = hashlib.sha256(
        _REF_REQUIREMENTS.read_bytes() + "\n".join(pins).encode() + sys.version.encode()
    ).hexdigest()
    stamp = REF_VENV / ".bench-stamp"
    if REF_PYTHON.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return REF_PYTHON
    print(f"creating the reference virtualenv in {REF_VENV.relative_to(ROOT)} ...", flush=True)
    try:
        shutil.rmtree(REF_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(REF_VENV)], check=True)
        subprocess.run(
            [
                str(REF_PYTHON),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
                str(_REF_REQUIREMENTS),
                *pins,
            ],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  could not create it ({exc}); reference columns are skipped", flush=True)
        return None
    stamp.write_text(wanted + "\n")
    return REF_PYTHON


def ensure_wrk() -> str | None:
    """The path of wrk, installing the Debian package when it is missing and we are root."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("wrk is missing (apt-get install wrk); the throughput scenario is skipped")
        return None
    print("installing wrk with apt-get ...", flush=True)
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = subprocess.DEVNULL
    if subprocess.run(install, env=env, check=False, stdout=quiet, stderr=quiet).returncode:
        # The package lists may be missing or stale on a fresh machine.
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, stdout=quiet)
        subprocess.run(install, env=env, check=False, stdout=quiet, stderr=quiet)
    found = shutil.which("wrk")
    if found is None:
        print("could not install wrk; the throughput scenario is skipped")
    return found


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Wait until something accepts on `port`; raise if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain aligned table."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    print(f"\n## {title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def run_trace(tracer: Any) -> None:
    """One trace of the lifecycle workload: a root and a child, each fully decorated.

    Written against the documented API only, so the same code drives our tracer and the
    reference aiozipkin 1.1.1 (typed Any: that one installs under the same import name).
    """
    root = tracer.new_trace()
    root.start()
    root.name(ROOT_SPAN.name).kind(ROOT_SPAN.kind)
    for key, value in ROOT_SPAN.tags:
        root.tag(key, value)
    root.annotate(ROOT_SPAN.annotation)
    child = tracer.new_child(root.context)
    child.start()
    child.name(CHILD.name).kind(CHILD.kind)
    for key, value in CHILD.tags:
        child.tag(key, value)
    child.annotate(CHILD.annotation)
    child.finish()
    root.finish()
