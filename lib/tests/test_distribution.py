"""The installed distribution: its version, type information, license and pytest plugin."""

from __future__ import annotations

from importlib.metadata import distribution, entry_points, version
from pathlib import Path

import aiozipkin as az
from aiozipkin.testing import InMemoryTransport


def test_version_comes_from_the_package() -> None:
    assert version("aiozipkin") == az.__version__


def test_the_package_is_typed() -> None:
    assert Path(az.__file__).with_name("py.typed").is_file()


def test_license_and_dependencies_are_declared() -> None:
    dist = distribution("aiozipkin")
    assert dist.metadata["License-Expression"] == "Apache-2.0"
    assert any(Path(str(f)).name == "LICENSE" for f in dist.files or ())
    requires = dist.requires or []
    assert any(r.startswith("aiohttp>=3.14") for r in requires), requires
    assert any("isal" in r and 'extra == "speedups"' in r for r in requires), requires


def test_pytest_plugin_is_registered() -> None:
    (plugin,) = entry_points(group="pytest11", name="aiozipkin.pytest_plugin")
    module = plugin.load()
    assert {"aiozipkin_tracer", "aiozipkin_spans", "aiozipkin_endpoint"} <= set(module.__all__)


def test_plugin_fixtures_record_spans(
    aiozipkin_tracer: az.Tracer, aiozipkin_spans: InMemoryTransport
) -> None:
    with aiozipkin_tracer.new_trace() as span:
        span.name("installed")
    assert aiozipkin_spans.get(name="installed").local_endpoint is not None
