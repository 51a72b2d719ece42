"""Parsing of environment variables into typed, validated values."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar, Concatenate, ParamSpec, TypeVar

from yarl import URL

from .faults import FaultPlan, FaultSpecError, parse_fault_spec

__all__ = [
    "BaseSettings",
    "Env",
    "OrderFlowSettings",
    "ServiceSettings",
    "SettingsError",
    "env_var",
]

_P = ParamSpec("_P")
_S = TypeVar("_S", bound="ServiceSettings")

_MISSING = object()
# The key, in a settings field's metadata, of the function that reads the field's value.
_READ = "bookshop_common.read"
_KAFKA = "kafka://"
_FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_DAY = 24 * 3600.0


class SettingsError(ValueError):
    """A required environment variable is missing or has a bad value."""


class Env:
    """Typed reads of an environment mapping; every error names the variable."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _raw(self, name: str, default: object) -> str | None:
        value = self._environ.get(name)
        if value is None or not value.strip():
            if default is _MISSING:
                raise SettingsError(f"{name} is required but not set")
            return None
        return value.strip()

    def text(self, name: str, default: object = _MISSING) -> str:
        value = self._raw(name, default)
        if value is None:
            assert isinstance(default, str)
            return default
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self._raw(name, default)
        if raw is None:
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self._raw(name, default)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {raw!r}")
        return value

    def ttl(self, name: str, default: float) -> float:
        """How long a cached entry lives, in seconds: a millisecond to a day."""
        return self.number(name, default, minimum=0.001, maximum=_DAY)

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no value: true, false, yes, no, 1 or 0 (any case)."""
        raw = self._raw(name, default)
        if raw is None:
            return default
        value = raw.lower()
        if value not in _FLAGS:
            raise SettingsError(f"{name} must be true or false, got {raw!r}")
        return _FLAGS[value]

    def url(self, name: str, default: str | None = None) -> str:
        """An http(s) base URL (required unless `default` is given), without a trailing slash."""
        raw = self.text(name) if default is None else self.text(name, default)
        return _check_url(name, raw).rstrip("/")

    def collectors(self, name: str) -> tuple[str, ...]:
        """A required comma-separated list of span routes: http(s) URLs or Kafka topics.

        A Kafka route is `kafka://host:port[,host:port...]/topic`; the commas between its
        brokers belong to it (an item without `://` continues the Kafka route before it).
        """
        raw = self.text(name)
        items: list[str] = []
        for part in (item.strip() for item in raw.split(",")):
            if not part:
                continue
            if "://" not in part and items and items[-1].startswith(_KAFKA):
                items[-1] += "," + part
            else:
                items.append(part)
        if not items:
            raise SettingsError(f"{name} must list at least one URL")
        for item in items:
            if item.startswith(_KAFKA):
                self._check_kafka(name, item)
            else:
                _check_url(name, item)
        return tuple(items)

    def _check_kafka(self, name: str, item: str) -> None:
        brokers, _, topic = item[len(_KAFKA) :].partition("/")
        if not topic or "/" in topic:
            raise SettingsError(f"{name}: a Kafka route is kafka://host:port/topic, got {item!r}")
        Env({name: brokers}).host_ports(name)

    def host_ports(self, name: str) -> tuple[str, ...]:
        """A required comma-separated list of `host:port` (Kafka bootstrap servers, say)."""
        raw = self.text(name)
        items = tuple(item.strip() for item in raw.split(",") if item.strip())
        if not items:
            raise SettingsError(f"{name} must list at least one host:port")
        for item in items:
            host, sep, port = item.rpartition(":")
            if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
                raise SettingsError(f"{name} must be a list of host:port, got {item!r}")
        return items

    def faults(self, name: str) -> FaultPlan:
        raw = self._raw(name, "")
        try:
            return parse_fault_spec(raw or "")
        except FaultSpecError as exc:
            raise SettingsError(f"{name} is not a valid fault spec: {exc}") from None


def _check_url(name: str, raw: str) -> str:
    try:
        url = URL(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw


@dataclass(frozen=True, slots=True)
class BaseSettings:
    """What every bookshop service reads from the environment."""

    service_name: str
    host: str
    port: int
    zipkin_endpoints: tuple[str, ...]
    sample_rate: float
    send_interval: float
    default_faults: FaultPlan
    log_level: str

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], *, service_name: str, default_port: int
    ) -> BaseSettings:
        env = Env(environ)
        log_level = env.text("LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError(
                f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {log_level!r}"
            )
        return cls(
            service_name=service_name,
            host=env.text("HOST", "127.0.0.1"),
            port=env.integer("PORT", default_port, minimum=1, maximum=65535),
            zipkin_endpoints=env.collectors("ZIPKIN_ENDPOINTS"),
            sample_rate=env.number("TRACE_SAMPLE_RATE", 1.0, minimum=0.0, maximum=1.0),
            send_interval=env.number("TRACE_SEND_INTERVAL", 0.5, minimum=0.01, maximum=60.0),
            default_faults=env.faults("DEMO_FAULT"),
            log_level=log_level,
        )


def env_var(
    name: str,
    read: Callable[Concatenate[Env, str, _P], object],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> Mapping[str, Callable[[Env], object]]:
    """Field metadata: `ServiceSettings.from_env` sets the field to `read(env, name, ...)`.

    For instance `field(metadata=env_var("JOB_ATTEMPTS", Env.integer, 5, minimum=1, maximum=100))`.
    """

    def read_field(env: Env) -> object:
        return read(env, name, *args, **kwargs)

    return {_READ: read_field}


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """A service's settings: `base`, then the fields the service adds, each with its `env_var`.

    A service class names itself (`service_name`), its `default_port`, and the variables it
    cannot start without (`required_env`).
    """

    service_name: ClassVar[str]
    default_port: ClassVar[int]
    required_env: ClassVar[tuple[str, ...]] = ("ZIPKIN_ENDPOINTS",)

    base: BaseSettings

    @classmethod
    def from_env(cls: type[_S], environ: Mapping[str, str]) -> _S:
        """Read `base`, then the service's fields in the order they are declared."""
        base = BaseSettings.from_env(
            environ, service_name=cls.service_name, default_port=cls.default_port
        )
        env = Env(environ)
        own = {f.name: f.metadata[_READ](env) for f in fields(cls) if _READ in f.metadata}
        return cls(base, **own)


@dataclass(frozen=True, slots=True)
class OrderFlowSettings(ServiceSettings):
    """What the backend and the worker share: the cache, db_proxy and the orders topic."""

    required_env = (
        "ZIPKIN_ENDPOINTS",
        "CACHE_URL",
        "DB_PROXY_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
    )

    cache_url: str = field(metadata=env_var("CACHE_URL", Env.url))
    db_proxy_url: str = field(metadata=env_var("DB_PROXY_URL", Env.url))
    kafka_bootstrap_servers: tuple[str, ...] = field(
        metadata=env_var("KAFKA_BOOTSTRAP_SERVERS", Env.host_ports)
    )
    job_queue: str = field(metadata=env_var("JOB_QUEUE", Env.text, "orders"))
    upstream_timeout: float = field(
        metadata=env_var("UPSTREAM_TIMEOUT", Env.number, 15.0, minimum=0.1, maximum=300.0)
    )

    @property
    def dependencies(self) -> dict[str, str]:
        """The services and the broker the order flow needs, by base URL (for `/health`)."""
        return {
            "cache": self.cache_url,
            "db_proxy": self.db_proxy_url,
            "kafka": f"tcp://{self.kafka_bootstrap_servers[0]}",
        }
