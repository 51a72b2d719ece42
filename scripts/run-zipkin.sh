#!/usr/bin/env bash
# Runs the Zipkin server (in-memory storage by default) in the foreground; stop it with
# SIGTERM/SIGINT. It takes spans over HTTP, and also from Kafka when a broker is configured.
#
#   ZIPKIN_PORT=9411 bash scripts/run-zipkin.sh
#
# Environment:
#   ZIPKIN_PORT       HTTP port for the API, UI and /health (default in ports.env)
#   ZIPKIN_JAVA_OPTS  JVM options (default: a small heap and fast startup)
#   STORAGE_TYPE      mem (default) or elasticsearch (durable: scripts/run-opensearch.sh);
#                     Zipkin itself reads ES_HOSTS (e.g. http://127.0.0.1:9200), ES_INDEX,
#                     QUERY_ENABLED, COLLECTOR_HTTP_ENABLED and the other settings it documents
#   KAFKA_BOOTSTRAP_SERVERS  brokers, comma-separated host:port: set, Zipkin's Kafka collector
#                     also reads span lists (JSON or proto3) from KAFKA_TOPIC (default none)
#   KAFKA_TOPIC       topic(s) to read, comma-separated (default zipkin)
#   KAFKA_GROUP_ID    consumer group of the collectors (default zipkin)
#   KAFKA_STREAMS     consumer threads (default 1)
# Healthy when GET http://127.0.0.1:$ZIPKIN_PORT/health returns 200.
# Needs `make backends` (or scripts/backends.sh) to have fetched the jar.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../backends/versions.env
source "$root/backends/versions.env"
# shellcheck source=ports.sh
source "$root/scripts/ports.sh"
jar="$root/.cache/zipkin/zipkin-server-${ZIPKIN_VERSION}-exec.jar"

[[ -f "$jar" ]] || { echo "run-zipkin: $jar is missing; run 'make backends' first" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "run-zipkin: java is not installed (JDK 17+)" >&2; exit 1; }

export QUERY_PORT="$ZIPKIN_PORT"
# Zipkin listens on every interface by default: its one Armeria port is bound to the loopback.
export ARMERIA_PORTS_0_IP=127.0.0.1 ARMERIA_PORTS_0_PORT="$ZIPKIN_PORT" ARMERIA_PORTS_0_PROTOCOLS_0=http
export STORAGE_TYPE="${STORAGE_TYPE:-mem}"
case "$STORAGE_TYPE" in
  mem) ;;
  elasticsearch)
    [[ -n "${ES_HOSTS:-}" ]] || { echo "run-zipkin: STORAGE_TYPE=elasticsearch needs ES_HOSTS" >&2; exit 1; }
    # One local node: a replica could never be placed, and one shard a day is plenty.
    export ES_INDEX_REPLICAS="${ES_INDEX_REPLICAS:-0}" ES_INDEX_SHARDS="${ES_INDEX_SHARDS:-1}"
    ;;
  *) echo "run-zipkin: STORAGE_TYPE must be mem or elasticsearch, not '$STORAGE_TYPE'" >&2; exit 1 ;;
esac
# Zipkin reads these itself; written out so that what it gets is what this script documents.
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-}"
export KAFKA_TOPIC="${KAFKA_TOPIC:-zipkin}"
export KAFKA_GROUP_ID="${KAFKA_GROUP_ID:-zipkin}"
export KAFKA_STREAMS="${KAFKA_STREAMS:-1}"
if [[ -n "$KAFKA_BOOTSTRAP_SERVERS" ]]; then
  echo "run-zipkin: reading topic $KAFKA_TOPIC from $KAFKA_BOOTSTRAP_SERVERS as group $KAFKA_GROUP_ID"
fi
# Word splitting of the options is intended.
# shellcheck disable=SC2086
exec java ${ZIPKIN_JAVA_OPTS:--Xms64m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError} \
  -jar "$jar"
