"""docker-compose.yml: valid for docker-compose, and every service has what its Settings need."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.servers import ROOT
from tests.services.stack import SETTINGS
from tests.stack import DEMO_PORTS

APP_SERVICES = ["frontend", "backend", "db_proxy", "cache", "worker"]
PORTS_ENV = ROOT / "ports.env"


def _resolved(*options: str) -> dict[str, Any]:
    """What `docker-compose -f docker-compose.yml OPTIONS... config` prints."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed; run scripts/system-deps.sh")
    argv = [binary, "-f", str(ROOT / "docker-compose.yml"), *options]
    result = subprocess.run(
        [*argv, "--env-file", str(PORTS_ENV), "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as `docker-compose config` resolves it."""
    return _resolved()


@pytest.fixture(scope="module")
def durable() -> dict[str, Any]:
    """The STORAGE=opensearch topology: docker-compose.durable.yml and its profile on top."""
    return _resolved("-f", str(ROOT / "docker-compose.durable.yml"), "--profile", "durable")


def test_all_services_are_defined(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"kafka", "zipkin", "jaeger", *APP_SERVICES}
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.")
    assert compose["services"]["zipkin"]["image"].startswith("openzipkin/zipkin:")
    assert compose["services"]["jaeger"]["image"].startswith("jaegertracing/jaeger:2")


def test_jaeger_gets_our_config(compose: dict[str, Any]) -> None:
    jaeger = compose["services"]["jaeger"]
    mount = jaeger["volumes"][0]
    source = mount["source"] if isinstance(mount, dict) else mount.split(":")[0]
    assert source == str(ROOT / "backends/jaeger/config.yaml")
    assert jaeger["command"] == ["--config", "/etc/jaeger/config.yaml"]
    assert jaeger["environment"]["JAEGER_LISTEN_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("service", [pytest.param(s, id=s) for s in APP_SERVICES])
def test_service_environment_satisfies_its_settings(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    env = {k: str(v) for k, v in spec["environment"].items()}
    settings_cls = SETTINGS[service]
    missing = [name for name in settings_cls.required_env if name not in env]
    assert not missing, f"{service} lacks {missing} in docker-compose.yml"
    settings = settings_cls.from_env(env)
    assert settings.base.host == "0.0.0.0"
    assert len(settings.base.zipkin_endpoints) == 2
    assert spec["command"] == ["python", "-m", f"bookshop_{service}"]
    assert spec["build"]["dockerfile"] == "Dockerfile"


@pytest.mark.parametrize(
    "service", [pytest.param(s, id=s) for s in ["kafka", "zipkin", "jaeger", *APP_SERVICES]]
)
def test_healthchecks_and_start_order(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["healthcheck"]["test"]
    for dependency in spec.get("depends_on", {}).values():
        assert dependency["condition"] == "service_healthy"
    if service in APP_SERVICES:
        assert {"zipkin", "jaeger"} <= set(spec["depends_on"])


def _published(port: Any) -> tuple[str | None, int]:
    """(host address, published port) of a port as `docker-compose config` prints it."""
    if isinstance(port, dict):
        return port.get("host_ip"), int(port["published"])
    # "127.0.0.1:9092:9092/tcp": a mapping bound to one host address stays a string
    host, published, _ = str(port).split("/")[0].rsplit(":", 2)
    return host, int(published)


def test_ports_are_published(compose: dict[str, Any]) -> None:
    def published(service: str) -> set[int]:
        return {_published(p)[1] for p in compose["services"][service].get("ports", [])}

    assert published("frontend") == {DEMO_PORTS["FRONTEND_PORT"]}
    assert published("zipkin") == {DEMO_PORTS["ZIPKIN_PORT"]}
    assert published("jaeger") == {DEMO_PORTS["JAEGER_QUERY_PORT"]}
    assert published("kafka") == {DEMO_PORTS["KAFKA_PORT"]}
    assert _published(compose["services"]["kafka"]["ports"][0])[0] == "127.0.0.1"


def test_every_port_comes_from_ports_env() -> None:
    binary = shutil.which("docker-compose")
    assert binary is not None, "docker-compose is not installed; run scripts/system-deps.sh"
    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0, "docker-compose.yml has ports that ports.env does not set"
    assert "set in ports.env" in result.stderr, result.stderr
    for name in ("docker-compose.yml", "docker-compose.durable.yml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        written = [str(port) for port in DEMO_PORTS.values() if str(port) in text]
        assert not written, f"{name} writes the ports {written} itself"


def test_kafka_runs_kraft_and_the_queue_services_use_it(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    internal = next(
        item.split("//", 1)[1]
        for item in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
        if item.startswith("INTERNAL://")
    )
    for service in ("backend", "worker"):
        spec = compose["services"][service]
        assert spec["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == internal
        assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"


DURABLE_SERVICES = ["opensearch", "zipkin_collector_1", "zipkin_collector_2", "zipkin_dependencies"]


def test_the_durable_profile_adds_storage_collectors_and_the_dependencies_job(
    compose: dict[str, Any], durable: dict[str, Any]
) -> None:
    assert set(durable["services"]) == {*compose["services"], *DURABLE_SERVICES}
    images = {name: durable["services"][name]["image"] for name in DURABLE_SERVICES}
    assert images == {
        "opensearch": "opensearchproject/opensearch:2.19.1",
        "zipkin_collector_1": compose["services"]["zipkin"]["image"],
        "zipkin_collector_2": compose["services"]["zipkin"]["image"],
        "zipkin_dependencies": "openzipkin/zipkin-dependencies:3.2.1",
    }
    for name in DURABLE_SERVICES:
        assert durable["services"][name]["profiles"] == ["durable"]
    # The job runs on the image's cron schedule, not once.
    assert durable["services"]["zipkin_dependencies"]["entrypoint"] == ["crond", "-f"]
    assert "opensearch-data" in durable["volumes"]
    # OpenSearch is published to this host only.
    ports = durable["services"]["opensearch"]["ports"]
    assert [_published(p) for p in ports] == [("127.0.0.1", DEMO_PORTS["OPENSEARCH_PORT"])]


def test_durable_collectors_share_a_group_and_the_storage(durable: dict[str, Any]) -> None:
    services = durable["services"]
    storage = f"http://opensearch:{DEMO_PORTS['OPENSEARCH_PORT']}"
    kafka = f"kafka:{DEMO_PORTS['KAFKA_PORT']}"
    for name in ("zipkin_collector_1", "zipkin_collector_2"):
        env = services[name]["environment"]
        assert (env["KAFKA_BOOTSTRAP_SERVERS"], env["KAFKA_TOPIC"], env["KAFKA_GROUP_ID"]) == (
            kafka,
            "zipkin",
            "zipkin",
        )
        assert (env["COLLECTOR_HTTP_ENABLED"], env["QUERY_ENABLED"]) == ("false", "false")
        assert (env["STORAGE_TYPE"], env["ES_HOSTS"]) == ("elasticsearch", storage)
        assert services[name]["depends_on"]["opensearch"]["condition"] == "service_healthy"
    for name in ("zipkin", "zipkin_dependencies"):
        env = services[name]["environment"]
        assert (env["STORAGE_TYPE"], env["ES_HOSTS"]) == ("elasticsearch", storage)
    assert "KAFKA_BOOTSTRAP_SERVERS" not in services["zipkin"]["environment"]


@pytest.mark.parametrize("service", [pytest.param(s, id=s) for s in APP_SERVICES])
def test_durable_services_report_through_kafka(durable: dict[str, Any], service: str) -> None:
    spec = durable["services"][service]
    route = f"kafka://kafka:{DEMO_PORTS['KAFKA_PORT']}/zipkin"
    assert spec["environment"]["ZIPKIN_ENDPOINTS"] == route
    assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"
    settings = SETTINGS[service].from_env({k: str(v) for k, v in spec["environment"].items()})
    assert [str(e) for e in settings.base.zipkin_endpoints] == [route]


def test_durable_jaeger_reads_the_topic_too(durable: dict[str, Any]) -> None:
    jaeger = durable["services"]["jaeger"]
    assert jaeger["command"][-2:] == ["--config", "/etc/jaeger/kafka.yaml"]
    mounts = [
        str(m["source"] if isinstance(m, dict) else m.split(":")[0]) for m in jaeger["volumes"]
    ]
    assert str(ROOT / "backends/jaeger/kafka.yaml") in mounts
    assert jaeger["environment"]["JAEGER_KAFKA_BROKERS"] == f"kafka:{DEMO_PORTS['KAFKA_PORT']}"
