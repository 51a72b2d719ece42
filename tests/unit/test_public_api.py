"""The package's public names are pinned: adding or removing one is a deliberate change."""

from __future__ import annotations
import __future__

import importlib
import importlib.util
import inspect
import pkgutil
import types
from types import ModuleType

import pytest

import aiozipkin as az
from tests.support.names import HTTP_TAG_CONSTANTS, KIND_CONSTANTS

DOCUMENTED = {
    *KIND_CONSTANTS,
    *HTTP_TAG_CONSTANTS,
    "APP_AIOZIPKIN_KEY",
    "REQUEST_AIOZIPKIN_KEY",
    "Endpoint",
    "Sampler",
    "SamplerABC",
    "SpanAbc",
    "StubTransport",
    "TraceContext",
    "Tracer",
    "Transport",
    "TransportABC",
    "create",
    "create_custom",
    "create_endpoint",
    "get_tracer",
    "make_context",
    "make_trace_config",
    "middleware_maker",
    "request_span",
    "setup",
}

EXTENSIONS = {
    "B3_MULTI",
    "B3_SINGLE",
    "CLIENT_ADDR",
    "ERROR",
    "LOCAL_COMPONENT",
    "MESSAGE_ADDR",
    "SERVER_ADDR",
    "LOG_FORMAT",
    "W3C",
    "Encoding",
    "MultiTransport",
    "NoopSpan",
    "RateLimitingSampler",
    "Record",
    "Span",
    "SpanLimits",
    "TraceLogFilter",
    "current_context",
    "current_span",
    "extract",
    "extract_message",
    "inject",
    "inject_message",
    "skip_requests",
}


def test_all_is_pinned() -> None:
    assert set(az.__all__) == DOCUMENTED | EXTENSIONS
    assert len(az.__all__) == len(set(az.__all__))


def test_all_is_exactly_the_public_namespace() -> None:
    # As httpx pins its surface: every public name of the package is exported, and only those.
    public = {
        name
        for name, value in vars(az).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and value is not __future__.annotations
    }
    assert sorted(public) == sorted(az.__all__)


# aiozipkin 1.1.1's module paths keep 1.1.1's names, some of them deprecated on access;
# tests/unit/test_compat.py pins them.
_COMPAT_MODULES = frozenset({"aiozipkin.helpers", "aiozipkin.utils", "aiozipkin.mypy_types"})
# Without the kafka extra (a matrix cell), lib/tests/test_optional_extras.py checks these.
_NEED_AIOKAFKA = frozenset({"aiozipkin.kafka", "aiozipkin._kafka_transport"})
_LEFT_OUT = _COMPAT_MODULES | (
    _NEED_AIOKAFKA if importlib.util.find_spec("aiokafka") is None else frozenset()
)


def _modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(az.__path__, "aiozipkin.")]
    return [importlib.import_module(name) for name in names if name not in _LEFT_OUT]


@pytest.mark.parametrize("module", [pytest.param(m, id=m.__name__) for m in _modules()])
def test_module_all_lists_what_it_defines_or_the_package_exports(module: ModuleType) -> None:
    exported: list[str] = module.__all__
    assert [name for name in exported if not hasattr(module, name)] == []
    # A class or function in `__all__` is defined there, unless the module is a public face
    # re-exporting a name of the package (aiohttp_helpers, transport) or of its own private
    # modules (aiozipkin.kafka, which the package does not import).
    foreign = [
        name
        for name in exported
        if _is_definition(getattr(module, name))
        and getattr(module, name).__module__ != module.__name__
        and name not in az.__all__
        and not getattr(module, name).__module__.startswith("aiozipkin._")
    ]
    assert foreign == []
    # A class or function defined there and not in `__all__` is private: its name says so.
    unlisted = [
        name
        for name, value in vars(module).items()
        if _is_definition(value)
        and value.__module__ == module.__name__
        and not name.startswith("_")
        and name not in exported
    ]
    assert unlisted == []


def _is_definition(value: object) -> bool:
    # A generic alias (`Callable[...]`, `list[...]`) is no definition, though Python 3.10's
    # inspect.isclass says it is a class.
    if isinstance(value, types.GenericAlias):
        return False
    return inspect.isclass(value) or inspect.isfunction(value)


def test_documented_constants() -> None:
    assert (az.CLIENT, az.SERVER, az.PRODUCER, az.CONSUMER) == (
        "CLIENT",
        "SERVER",
        "PRODUCER",
        "CONSUMER",
    )
    assert az.HTTP_HOST == "http.host"
    assert az.HTTP_METHOD == "http.method"
    assert az.HTTP_PATH == "http.path"
    assert az.HTTP_ROUTE == "http.route"
    assert az.HTTP_REQUEST_SIZE == "http.request.size"
    assert az.HTTP_RESPONSE_SIZE == "http.response.size"
    assert az.HTTP_STATUS_CODE == "http.status_code"
    assert az.HTTP_URL == "http.url"
