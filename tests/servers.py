"""Start the real servers for tests through their scripts/run-*.sh: Zipkin, Jaeger, Kafka,
OpenSearch.

Each server runs in its own process group with its output in a log file; `ServerProcess.stop`
ends the whole group. A server that cannot start raises `ServerError` with the tail of its log.
Start servers from the main thread: on Linux they are also told to die with the process that
started them (so a SIGKILLed test run leaves no orphans), and that signal follows the thread.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import itertools
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from tests.support.ports import free_ports

__all__ = [
    "KAFKA_JSON_TOPIC",
    "KAFKA_PROTO3_TOPIC",
    "ROOT",
    "JaegerServer",
    "KafkaBroker",
    "OpenSearchServer",
    "ServerError",
    "ServerProcess",
    "ZipkinServer",
    "external_jaeger",
    "external_kafka",
    "external_zipkin",
    "kafka_answers",
    "log_tail",
    "opensearch_data_dir",
    "running",
    "start_jaeger",
    "start_kafka",
    "start_opensearch",
    "start_zipkin",
    "wait_healthy",
]

ROOT = Path(__file__).resolve().parents[1]
_SCRIPTS = ROOT / "scripts"
_SPANS_PATH = "/api/v2/spans"
_LOCALHOST = "127.0.0.1"
# The topics the collectors started for Kafka read: JSON and proto3 span lists apart, since a
# Jaeger kafka receiver decodes one encoding (Zipkin tells them apart per message).
KAFKA_JSON_TOPIC = "zipkin"
KAFKA_PROTO3_TOPIC = "zipkin-proto3"


class ServerError(RuntimeError):
    """A server could not be started or did not become healthy."""


@dataclass(frozen=True, slots=True)
class ZipkinServer:
    """A running Zipkin: `url` is the base URL (API under /api/v2), `spans_url` takes POSTs."""

    url: str
    spans_url: str
    log_path: Path | None = None

    @classmethod
    def at(cls, url: str, log_path: Path | None = None) -> ZipkinServer:
        base = url.rstrip("/")
        return cls(url=base, spans_url=base + _SPANS_PATH, log_path=log_path)


@dataclass(frozen=True, slots=True)
class JaegerServer:
    """A running Jaeger: `query_url` serves /api/traces, `spans_url` is its Zipkin receiver."""

    query_url: str
    spans_url: str
    log_path: Path | None = None


@dataclass(frozen=True, slots=True)
class KafkaBroker:
    """A running Kafka broker: `bootstrap_servers` is its "host:port" for clients."""

    bootstrap_servers: str
    log_path: Path | None = None
    # Where a broker started here keeps its storage and listens; None for an external one.
    data_dir: Path | None = None
    controller_port: int | None = None

    def address(self, topic: str = "zipkin") -> str:
        """The `kafka://` collector address of `topic` on this broker."""
        return f"kafka://{self.bootstrap_servers}/{topic}"


@dataclass(frozen=True, slots=True)
class OpenSearchServer:
    """A running OpenSearch: `url` is its HTTP API, `data_dir` holds its indices and logs."""

    url: str
    data_dir: Path
    log_path: Path | None = None


def log_tail(path: Path, lines: int = 60) -> str:
    """Return the last `lines` lines of a log file ("" when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


_live: set[ServerProcess] = set()


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; PR_SET_PDEATHSIG survives the exec of the
    # run script and its own `exec` of the server.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG


class ServerProcess:
    """One server started from a run script, in its own process group, output to `log_path`."""

    def __init__(self, name: str, script: Path, env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.script = script
        self.env = dict(env)
        self.log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self._popen is not None:
            raise RuntimeError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        on_linux_main_thread = (
            sys.platform == "linux" and threading.current_thread() is threading.main_thread()
        )
        with self.log_path.open("wb") as log:
            self._popen = subprocess.Popen(
                ["bash", str(self.script)],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if on_linux_main_thread else None,
            )
        _live.add(self)

    @property
    def returncode(self) -> int | None:
        """None while running, the exit status once it has ended."""
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._popen.poll()

    def stop(self, timeout: float = 10.0) -> None:
        """End the process group: SIGTERM, then SIGKILL after `timeout` seconds."""
        popen = self._popen
        if popen is None:
            return
        _live.discard(self)
        self._signal_group(signal.SIGTERM)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            popen.wait()
        # Anything the server forked into its group goes too.
        self._signal_group(signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would: no shutdown runs."""
        popen = self._popen
        if popen is None:
            raise RuntimeError(f"{self.name} was never started")
        _live.discard(self)
        self._signal_group(signal.SIGKILL)
        popen.wait()

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, sig)

    def tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_live):
        process.stop(timeout=5.0)


def _http_ok(url: str, timeout: float) -> str | None:
    """GET `url`; None when it answers 2xx, otherwise a short reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def wait_healthy(
    urls: list[str],
    *,
    timeout: float,
    process: ServerProcess | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Poll each URL in turn until it answers 2xx; raise ServerError at the deadline.

    With `process`, fail as soon as it exits, quoting its log.
    """
    deadline = clock() + timeout
    for url in urls:
        _poll(
            functools.partial(_http_ok, url, timeout=2.0),
            url,
            "answer 2xx",
            deadline=deadline,
            timeout=timeout,
            process=process,
            clock=clock,
        )


def _poll(
    not_ready: Callable[[], str | None],
    subject: str,
    answer: str,
    *,
    deadline: float,
    timeout: float,
    process: ServerProcess | None,
    clock: Callable[[], float],
) -> None:
    """Call `not_ready` until it gives no reason; raise ServerError when `process` exits first
    or at `deadline` ("<subject> did not <answer> within ...")."""
    while (reason := not_ready()) is not None:
        if process is not None and process.returncode is not None:
            raise ServerError(
                f"{process.name} exited with status {process.returncode} before "
                f"{subject} answered ({reason}); log {process.log_path}:\n{process.tail()}"
            )
        if clock() > deadline:
            where = f"; log {process.log_path}:\n{process.tail()}" if process else ""
            raise ServerError(
                f"{subject} did not {answer} within {timeout:.0f} s (last: {reason}){where}"
            )
        time.sleep(0.2)


@contextlib.contextmanager
def _stopped_on_error(process: ServerProcess) -> Iterator[None]:
    # Also on KeyboardInterrupt while waiting: never leave a half-started server behind.
    try:
        yield
    except BaseException:
        process.stop()
        raise


def start_zipkin(
    log_dir: Path,
    *,
    port: int | None = None,
    kafka: KafkaBroker | None = None,
    kafka_topics: Sequence[str] = ("zipkin",),
    kafka_group: str | None = None,
    storage: OpenSearchServer | None = None,
    settings: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> tuple[ServerProcess, ZipkinServer]:
    """Start Zipkin on `port` (a free one by default) and wait for /health.

    Spans live in memory, or in `storage`. With `kafka`, its Kafka collector also reads
    `kafka_topics` as consumer group `kafka_group` (by default one of its own, so that it
    never shares a topic's partitions with another Zipkin reading the same broker).
    `settings` are more of Zipkin's environment variables (QUERY_ENABLED, ...).
    """
    port = port if port is not None else free_ports(1)[0]
    env = {"ZIPKIN_PORT": str(port), "KAFKA_BOOTSTRAP_SERVERS": ""}
    if kafka is not None:
        env["KAFKA_BOOTSTRAP_SERVERS"] = kafka.bootstrap_servers
        env["KAFKA_TOPIC"] = ",".join(kafka_topics)
        env["KAFKA_GROUP_ID"] = kafka_group or f"zipkin-tests-{port}"
    if storage is not None:
        env |= {"STORAGE_TYPE": "elasticsearch", "ES_HOSTS": storage.url}
    env |= settings or {}
    process = ServerProcess(
        "zipkin", _SCRIPTS / "run-zipkin.sh", env, log_dir / f"zipkin-{port}.log"
    )
    server = ZipkinServer.at(f"http://{_LOCALHOST}:{port}", log_path=process.log_path)
    process.start()
    with _stopped_on_error(process):
        wait_healthy([server.url + "/health"], timeout=timeout, process=process)
    return process, server


_Server = TypeVar("_Server")


@contextlib.contextmanager
def running(
    started: tuple[ServerProcess, _Server], stop_timeout: float = 30.0
) -> Iterator[_Server]:
    """`with running(start_x(...)) as server:` stops the process when the block ends."""
    process, server = started
    try:
        yield server
    finally:
        process.stop(timeout=stop_timeout)


def opensearch_data_dir() -> Path:
    """A new, empty data folder for `start_opensearch`; remove it when done.

    Under the system's temporary folder, not pytest's: run by root, OpenSearch runs as an
    unprivileged uid, which cannot enter pytest's private (mode 700) base folder.
    """
    return Path(tempfile.mkdtemp(prefix="opensearch-"))


def start_opensearch(
    log_dir: Path, data_dir: Path, *, timeout: float = 240.0
) -> tuple[ServerProcess, OpenSearchServer]:
    """Start OpenSearch on free ports over `data_dir` and wait until its cluster is usable.

    The same `data_dir` started again holds what was stored before.
    """
    port, transport_port = free_ports(2)
    process = ServerProcess(
        "opensearch",
        _SCRIPTS / "run-opensearch.sh",
        {
            "OPENSEARCH_PORT": str(port),
            "OPENSEARCH_TRANSPORT_PORT": str(transport_port),
            "OPENSEARCH_DATA": str(data_dir),
        },
        log_dir / f"opensearch-{port}.log",
    )
    server = OpenSearchServer(
        url=f"http://{_LOCALHOST}:{port}", data_dir=data_dir, log_path=process.log_path
    )
    process.start()
    with _stopped_on_error(process):
        # 408 until the node has recovered its indices to at least yellow.
        wait_healthy(
            [server.url + "/_cluster/health?wait_for_status=yellow&timeout=1s"],
            timeout=timeout,
            process=process,
        )
    return process, server


def start_jaeger(
    log_dir: Path,
    *,
    kafka: KafkaBroker | None = None,
    kafka_topic: str = "zipkin",
    kafka_encoding: str = "zipkin_json",
    kafka_group: str | None = None,
    timeout: float = 60.0,
) -> tuple[ServerProcess, JaegerServer]:
    """Start Jaeger on free ports and wait for its health endpoint and query API.

    With `kafka`, its kafka receiver also reads `kafka_topic` (`kafka_encoding`: zipkin_json
    or zipkin_proto) as consumer group `kafka_group` (by default one of its own).
    """
    zipkin_port, query_port, grpc_port, health_port = free_ports(4)
    env = {
        "JAEGER_ZIPKIN_PORT": str(zipkin_port),
        "JAEGER_QUERY_PORT": str(query_port),
        "JAEGER_QUERY_GRPC_PORT": str(grpc_port),
        "JAEGER_HEALTH_PORT": str(health_port),
        "JAEGER_LISTEN_HOST": _LOCALHOST,
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "JAEGER_KAFKA_BROKERS": "",
    }
    if kafka is not None:
        env["JAEGER_KAFKA_BROKERS"] = kafka.bootstrap_servers.split(",")[0]
        env["JAEGER_KAFKA_TOPIC"] = kafka_topic
        env["JAEGER_KAFKA_ENCODING"] = kafka_encoding
        env["JAEGER_KAFKA_GROUP_ID"] = kafka_group or f"jaeger-tests-{query_port}"
    process = ServerProcess(
        "jaeger", _SCRIPTS / "run-jaeger.sh", env, log_dir / f"jaeger-{query_port}.log"
    )
    server = JaegerServer(
        query_url=f"http://{_LOCALHOST}:{query_port}",
        spans_url=f"http://{_LOCALHOST}:{zipkin_port}{_SPANS_PATH}",
        log_path=process.log_path,
    )
    process.start()
    with _stopped_on_error(process):
        wait_healthy(
            [f"http://{_LOCALHOST}:{health_port}/status", server.query_url + "/api/services"],
            timeout=timeout,
            process=process,
        )
    return process, server


def kafka_answers(host: str, port: int, timeout: float = 2.0) -> str | None:
    """Ask a Kafka broker for its API versions; None when it answers, otherwise a reason.

    A Kafka ApiVersions v0 request (key 18): a reply with our correlation id and error code 0
    means a broker is serving clients on that port, not just that something listens there.
    """
    correlation_id = 0x5A1F
    client_id = b"tests"
    request = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            reply = b""
            while len(reply) < 10:  # length, correlation id, error code
                chunk = sock.recv(64)
                if not chunk:
                    return "the connection closed before a reply"
                reply += chunk
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    _, got_id, error_code = struct.unpack(">iih", reply[:10])
    if got_id != correlation_id:
        return f"a reply to another request ({got_id})"
    if error_code:
        return f"ApiVersions error code {error_code}"
    return None


def _split_host_port(bootstrap_servers: str) -> tuple[str, int]:
    first = bootstrap_servers.split(",")[0].strip()
    host, sep, port = first.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ServerError(f"a Kafka address is host:port, got {first!r}")
    return host, int(port)


def _wait_kafka(
    broker: KafkaBroker,
    *,
    timeout: float,
    process: ServerProcess | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Wait until the broker answers ApiVersions (and, when started here, logged it is up)."""
    host, port = _split_host_port(broker.bootstrap_servers)

    def not_ready() -> str | None:
        reason = kafka_answers(host, port)
        if reason is None and process is not None and "Kafka Server started" not in process.tail():
            reason = "the broker has not logged 'Kafka Server started' yet"
        return reason

    _poll(
        not_ready,
        f"Kafka at {broker.bootstrap_servers}",
        "answer",
        deadline=clock() + timeout,
        timeout=timeout,
        process=process,
        clock=clock,
    )


def start_kafka(
    log_dir: Path,
    *,
    port: int | None = None,
    controller_port: int | None = None,
    data_dir: Path | None = None,
    partitions: int = 2,
    message_max_bytes: int | None = None,
    timeout: float = 120.0,
) -> tuple[ServerProcess, KafkaBroker]:
    """Start a KRaft Kafka broker on free ports (or those given) and wait until it serves.

    Its storage lives in `data_dir` (a new folder under `log_dir` by default): start again
    with the same ports and folder to restart the same broker with its topics and offsets.
    """
    if port is None or controller_port is None:
        port, controller_port = free_ports(2)
    data_dir = data_dir if data_dir is not None else log_dir / f"kafka-{port}-data"
    env = {
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller_port),
        "KAFKA_HOST": _LOCALHOST,
        "KAFKA_DATA_DIR": str(data_dir),
        "KAFKA_PARTITIONS": str(partitions),
    }
    if message_max_bytes is not None:
        env["KAFKA_MESSAGE_MAX_BYTES"] = str(message_max_bytes)
    # A restarted broker writes a new log next to the first one.
    log_path = log_dir / f"kafka-{port}.log"
    for n in itertools.count(2):
        if not log_path.exists():
            break
        log_path = log_dir / f"kafka-{port}.{n}.log"
    process = ServerProcess("kafka", _SCRIPTS / "run-kafka.sh", env, log_path)
    broker = KafkaBroker(
        bootstrap_servers=f"{_LOCALHOST}:{port}",
        log_path=log_path,
        data_dir=data_dir,
        controller_port=controller_port,
    )
    process.start()
    with _stopped_on_error(process):
        _wait_kafka(broker, timeout=timeout, process=process)
    return process, broker


def external_kafka(bootstrap_servers: str, *, timeout: float = 30.0) -> KafkaBroker:
    """Use a Kafka broker that is already running (e.g. $KAFKA_BOOTSTRAP_SERVERS)."""
    broker = KafkaBroker(bootstrap_servers=bootstrap_servers.strip())
    try:
        _wait_kafka(broker, timeout=timeout)
    except ServerError as exc:
        raise ServerError(
            f"KAFKA_BOOTSTRAP_SERVERS={bootstrap_servers} is set but that broker does not "
            f"answer: {exc}"
        ) from exc
    return broker


def external_zipkin(url: str, *, timeout: float = 30.0) -> ZipkinServer:
    """Use a Zipkin that is already running at base `url` (e.g. $ZIPKIN_URL)."""
    server = ZipkinServer.at(url)
    try:
        wait_healthy([server.url + "/health"], timeout=timeout)
    except ServerError as exc:
        raise ServerError(f"ZIPKIN_URL={url} is set but that Zipkin is not healthy: {exc}") from exc
    return server


def external_jaeger(query_url: str, zipkin_url: str, *, timeout: float = 30.0) -> JaegerServer:
    """Use a Jaeger already running: query API at `query_url`, Zipkin receiver at `zipkin_url`.

    `zipkin_url` may be the receiver's base URL or its full /api/v2/spans URL.
    """
    spans_url = zipkin_url.rstrip("/")
    if not spans_url.endswith(_SPANS_PATH):
        spans_url += _SPANS_PATH
    server = JaegerServer(query_url=query_url.rstrip("/"), spans_url=spans_url)
    try:
        wait_healthy([server.query_url + "/api/services"], timeout=timeout)
    except ServerError as exc:
        raise ServerError(f"JAEGER_URL={query_url} is set but Jaeger is not up: {exc}") from exc
    return server
