"""The library's test matrix: every supported Python, the lowest declared versions, no extras.

`make matrix` runs every cell (it puts pyenv's Pythons on PATH); `nox -s NAME` runs one and
`nox -l` lists them. Each cell installs the library and requirements-tests.txt, nothing else,
and runs the library's tests: unit, against the real Zipkin and Jaeger (tests/conftest.py
starts them on free ports), OpenTelemetry interop, and lib/tests. Virtualenvs live in .nox/
and are reused; arguments after `--` go to pytest instead of the test folders.
"""

from __future__ import annotations

import nox

__all__ = ["lowest", "no_extras", "tests"]

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The library's own tests. Of tests/integration, the files against the real Zipkin and Jaeger;
# the broker's, the outage and the services' integration tests run once, in `make test`'s
# main run (Python 3.11).
LIBRARY_TESTS = (
    "tests/unit",
    "tests/integration/test_zipkin.py",
    "tests/integration/test_jaeger.py",
    "tests/integration/test_examples.py",
    "tests/integration/test_transport_backends.py",
    "tests/interop",
    "lib/tests",
)
# Test modules that import aiokafka; the cell without extras leaves them out.
KAFKA_TESTS = ("tests/unit/test_kafka_messaging.py", "tests/unit/test_kafka_transport.py")
TEST_TOOLS = ("-r", "requirements-tests.txt")
LOWEST = "constraints/lowest.txt"

# Run in the cell's interpreter: every pin of a constraints file is what got installed.
_CHECK_PINS = """
import sys
from importlib.metadata import version
wrong = []
for line in open(sys.argv[1], encoding="utf-8"):
    spec = line.split("#")[0].strip()
    if spec:
        name, pinned = spec.split("==")
        if version(name) != pinned:
            wrong.append(f"{name} {version(name)} (wanted {pinned})")
        print(f"{name}=={version(name)}")
sys.exit("not at the floor: " + ", ".join(wrong) if wrong else 0)
"""


def _pytest(session: nox.Session, extras: str, *args: str) -> None:
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *args,
        *(session.posargs or LIBRARY_TESTS),
        env={"AIOZIPKIN_EXTRAS": extras},
    )


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The library's tests with its extras, on one Python."""
    session.install(*TEST_TOOLS, "-e", "./lib[speedups,kafka]")
    _pytest(session, "speedups,kafka")


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The same tests at the lowest versions lib/pyproject.toml declares, on the oldest Python."""
    session.install("-c", LOWEST, *TEST_TOOLS, "-e", "./lib[speedups,kafka]")
    session.run("python", "-c", _CHECK_PINS, LOWEST)
    _pytest(session, "speedups,kafka")


@nox.session(python=PYTHONS[-1])
def no_extras(session: nox.Session) -> None:
    """The library without its optional extras: isal and aiokafka are absent, fallbacks serve."""
    session.install(*TEST_TOOLS, "-e", "./lib")
    # A reused virtualenv could have gained them since; this cell must run without.
    session.run("python", "-m", "pip", "uninstall", "-q", "-y", "isal", "aiokafka")
    # Tests written for an extra need it; lib/tests/test_optional_extras.py proves the rest.
    ignored = [f"--ignore={path}" for path in KAFKA_TESTS]
    _pytest(session, "", *ignored, "-k", "not isal")
