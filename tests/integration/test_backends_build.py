"""scripts/backends.sh during a cold Jaeger build: progress lines, and Ctrl-C leaves nothing.

A fake `go` first on PATH stands in for the minutes-long build (it prints what `go build -v`
prints, slowly, then writes its -o file), and CACHE_DIR points to a temporary folder, so the
shared .cache is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.servers import ROOT

_FAKE_GO = r"""#!/usr/bin/env bash
# A stand-in for `go build -v ... -o OUT PKG`: slow output, then OUT.
echo $$ >"$FAKE_GO_PID"
out=""
while (($#)); do
  if [[ "$1" == -o ]]; then out=$2; shift; fi
  shift
done
echo "go: downloading github.com/example/one v1.0.0" >&2
sleep "$FAKE_GO_SLEEP"
echo "github.com/example/one/internal/a"
sleep "$FAKE_GO_SLEEP"
echo "github.com/example/one/cmd/tool"
printf 'binary' >"$out"
"""


def _setup(tmp_path: Path, sleep: float) -> tuple[dict[str, str], Path, Path]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    fake_go = bin_dir / "go"
    fake_go.write_text(_FAKE_GO, encoding="utf-8")
    fake_go.chmod(0o755)
    cache = tmp_path / "cache"
    (cache / "zipkin").mkdir(parents=True)
    versions = (ROOT / "backends/versions.env").read_text(encoding="utf-8")
    zipkin_version = next(
        line.split("=", 1)[1] for line in versions.splitlines() if line.startswith("ZIPKIN_VER")
    )
    (cache / "zipkin" / f"zipkin-server-{zipkin_version}-exec.jar").write_text("jar")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CACHE_DIR": str(cache),
        "BACKENDS_PROGRESS_EVERY": "1",
        "FAKE_GO_SLEEP": str(sleep),
        "FAKE_GO_PID": str(tmp_path / "go.pid"),
    }
    return env, cache, tmp_path / "go.pid"


@contextlib.contextmanager
def _backends_sh(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """scripts/backends.sh running in a session of its own; at the end its group is killed if
    still there, and its pipes are closed."""
    with subprocess.Popen(
        ["bash", str(ROOT / "scripts/backends.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as script:
        try:
            yield script
        finally:
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)


def test_a_cold_build_prints_elapsed_time_and_what_go_does(tmp_path: Path) -> None:
    env, cache, _ = _setup(tmp_path, sleep=2.5)
    with _backends_sh(env) as script:
        stdout, stderr = script.communicate(timeout=60)
    assert script.returncode == 0, stderr
    progress = [line for line in stdout.splitlines() if "building jaeger," in line]
    assert len(progress) >= 3, stdout
    assert "s: downloading modules (1 so far" in progress[0], progress
    assert any("compiling packages" in line for line in progress), progress
    assert "progress every 1 s" in stdout
    assert (cache / "bin" / "jaeger").read_text() == "binary"
    assert sorted(p.name for p in (cache / "bin").iterdir()) == ["jaeger"]


def test_ctrl_c_stops_the_build_and_leaves_nothing_half_built(tmp_path: Path) -> None:
    env, cache, go_pid = _setup(tmp_path, sleep=30)
    with _backends_sh(env) as script:
        deadline = time.monotonic() + 120  # a busy machine starts bash slowly
        while not go_pid.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert go_pid.exists(), "the fake go never started"
        time.sleep(1.5)
        os.killpg(script.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = script.communicate(timeout=30)
    output = stdout + stderr
    assert script.returncode == 130, output
    assert "nothing half-built is left" in output, output
    assert list((cache / "bin").iterdir()) == [], "the build left files behind"
    build = int(go_pid.read_text())
    try:
        os.kill(build, 0)
    except ProcessLookupError:
        pass
    else:
        os.kill(build, signal.SIGKILL)
        raise AssertionError(f"the build process {build} was still running")
