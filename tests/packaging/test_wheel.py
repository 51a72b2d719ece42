"""The library as users install it: `python -m build lib/`, then the wheel in a fresh venv.

The wheel is installed into a virtualenv outside the source tree; the sdist's own tests
(lib/tests: the shipped examples, the README's examples, the metadata) run against it there,
and `mypy --strict` checks a user module against its type information.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

import aiozipkin
from tests.servers import ROOT

LIB = ROOT / "lib"
# What the sdist's tests need besides the library: the versions this session runs with.
_TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-aiohttp")


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    python: Path
    sdist_root: Path


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    _ok(_run(sys.executable, "-m", "build", "--outdir", out, LIB, cwd=out))
    (wheel,) = out.glob("aiozipkin-*.whl")
    (sdist,) = out.glob("aiozipkin-*.tar.gz")
    return Built(wheel=wheel, sdist=sdist)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    home = tmp_path_factory.mktemp("user")
    assert not home.is_relative_to(ROOT), "the virtualenv must live outside the source tree"
    _ok(_run(sys.executable, "-m", "venv", home / "venv", cwd=home))
    python = home / "venv" / "bin" / "python"
    tools = [f"{name}=={version(name)}" for name in _TEST_TOOLS]
    _ok(_run(python, "-m", "pip", "install", "-q", built.wheel, *tools, cwd=home))
    with tarfile.open(built.sdist) as sdist:
        sdist.extractall(home, filter="data")
    (sdist_root,) = home.glob("aiozipkin-*/")
    return Installed(python=python, sdist_root=sdist_root)


def test_version_is_written_once() -> None:
    project = tomllib.loads((LIB / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert Version(aiozipkin.__version__)


def test_wheel_contents(built: Built) -> None:
    assert built.wheel.name.startswith(f"aiozipkin-{aiozipkin.__version__}-py3-none-any")
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        info = f"aiozipkin-{aiozipkin.__version__}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
    assert "aiozipkin/py.typed" in names
    assert "aiozipkin/__init__.py" in names
    assert f"{info}/licenses/LICENSE" in names
    assert f"Version: {aiozipkin.__version__}\n" in metadata
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]


def test_sdist_contains_tests_examples_and_license(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "aiozipkin/py.typed"} <= names
    assert {"tests/conftest.py", "tests/test_readme_examples.py"} <= names
    assert {"examples/basic_usage.py", "examples/aiohttp_example.py"} <= names
    assert not [n for n in names if "__pycache__" in n]


def test_lowest_constraints_are_the_declared_floors() -> None:
    project = tomllib.loads((LIB / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [
        Requirement(r) for extra in ("speedups",) for r in project["optional-dependencies"][extra]
    ]
    floors = {}
    for req in declared:
        (floor,) = [s for s in req.specifier if s.operator == ">="]
        floors[req.name] = Version(floor.version)
    pins = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text(encoding="utf-8").splitlines():
        spec = line.split("#")[0].strip()
        if spec:
            name, pinned = spec.split("==")
            pins[name] = Version(pinned)
    assert pins == floors


def _in_venv(installed: Installed, *args: str, cwd: Path) -> str:
    """What the wheel's virtualenv Python prints when run with ARGS; a failed run fails the test."""
    return _ok(_run(installed.python, *args, cwd=cwd))


def test_the_installed_package_is_imported(installed: Installed) -> None:
    where = _in_venv(
        installed,
        "-c",
        "import aiozipkin; print(aiozipkin.__file__)",
        cwd=installed.sdist_root.parent,
    )
    path = Path(where.strip())
    assert path.is_relative_to(installed.python.parents[1]), path
    assert not path.is_relative_to(ROOT), path


def test_sdist_tests_pass_against_the_wheel(installed: Installed) -> None:
    out = _in_venv(
        installed, "-m", "pytest", "-p", "no:cacheprovider", "tests", cwd=installed.sdist_root
    )
    assert " passed" in out, out
    assert "failed" not in out, out


_USER_MODULE = """
from __future__ import annotations

import aiozipkin as az
from aiohttp import web
from aiozipkin.testing import InMemoryTransport


async def make_app() -> web.Application:
    app = web.Application()
    endpoint: az.Endpoint = az.create_endpoint("user", ipv4="127.0.0.1", port=8080)
    tracer: az.Tracer = await az.create_custom(endpoint, transport=InMemoryTransport())
    az.setup(app, tracer)
    return app


def traced(request: web.Request) -> str:
    span: az.SpanAbc = az.request_span(request)
    with span.new_child("work", az.CLIENT) as child:
        child.tag("k", "v")
    return span.context.trace_id
"""


def _mypy(installed: Installed, source: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "user.py").write_text(source, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    return _run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--config-file",
        "mypy.ini",
        "--python-executable",
        installed.python,
        "--cache-dir",
        tmp_path / ".mypy_cache",
        "user.py",
        cwd=tmp_path,
    )


def test_mypy_strict_passes_against_the_wheel(installed: Installed, tmp_path: Path) -> None:
    assert "Success" in _ok(_mypy(installed, _USER_MODULE, tmp_path))


def test_mypy_reads_the_wheels_types(installed: Installed, tmp_path: Path) -> None:
    result = _mypy(installed, _USER_MODULE + "\nbad: int = az.create_endpoint('x')\n", tmp_path)
    assert result.returncode == 1
    assert 'Incompatible types in assignment (expression has type "Endpoint"' in result.stdout
