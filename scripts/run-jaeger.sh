#!/usr/bin/env bash
# Runs Jaeger v2 (zipkin receiver, memory storage, query API/UI) in the foreground;
# stop it with SIGTERM/SIGINT. With a Kafka broker configured it also reads spans from a topic.
#
#   JAEGER_ZIPKIN_PORT=9412 JAEGER_QUERY_PORT=16686 bash scripts/run-jaeger.sh
#
# Environment (read by backends/jaeger/config.yaml; the ports' defaults are in ports.env):
#   JAEGER_ZIPKIN_PORT      Zipkin v2 receiver, POST /api/v2/spans
#   JAEGER_QUERY_PORT       query HTTP API and UI, GET /api/traces/{id}
#   JAEGER_QUERY_GRPC_PORT  query gRPC API
#   JAEGER_HEALTH_PORT      health, GET /status returns 200 when up
#   JAEGER_LISTEN_HOST      interface for all of them (default 127.0.0.1)
#   KAFKA_BOOTSTRAP_SERVERS brokers, comma-separated: set, Jaeger also reads the topic below
#                           through its kafka receiver (backends/jaeger/kafka.yaml); default none
#   JAEGER_KAFKA_BROKERS    the broker Jaeger starts from (default: the first of the above)
#   JAEGER_KAFKA_TOPIC      topic of span lists (default zipkin)
#   JAEGER_KAFKA_ENCODING   zipkin_json (default) or zipkin_proto, as the senders write it
#   JAEGER_KAFKA_GROUP_ID   its consumer group, apart from Zipkin's (default jaeger)
# Needs `make backends` (or scripts/backends.sh) to have built .cache/bin/jaeger.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin/jaeger"

[[ -x "$bin" ]] || { echo "run-jaeger: $bin is missing; run 'make backends' first" >&2; exit 1; }

# shellcheck source=ports.sh
source "$root/scripts/ports.sh"
export JAEGER_LISTEN_HOST="${JAEGER_LISTEN_HOST:-127.0.0.1}"
configs=(--config "$root/backends/jaeger/config.yaml")

brokers=${KAFKA_BOOTSTRAP_SERVERS:-}
export JAEGER_KAFKA_BROKERS="${JAEGER_KAFKA_BROKERS:-${brokers%%,*}}"
if [[ -n "$JAEGER_KAFKA_BROKERS" ]]; then
  export JAEGER_KAFKA_TOPIC="${JAEGER_KAFKA_TOPIC:-zipkin}"
  export JAEGER_KAFKA_ENCODING="${JAEGER_KAFKA_ENCODING:-zipkin_json}"
  export JAEGER_KAFKA_GROUP_ID="${JAEGER_KAFKA_GROUP_ID:-jaeger}"
  case "$JAEGER_KAFKA_ENCODING" in
    zipkin_json | zipkin_proto) ;;
    *)
      echo "run-jaeger: JAEGER_KAFKA_ENCODING must be zipkin_json or zipkin_proto, not" \
        "'$JAEGER_KAFKA_ENCODING'" >&2
      exit 1
      ;;
  esac
  [[ "$JAEGER_KAFKA_BROKERS" == *:* && "$JAEGER_KAFKA_BROKERS" != *,* ]] || {
    echo "run-jaeger: JAEGER_KAFKA_BROKERS must be one host:port, not '$JAEGER_KAFKA_BROKERS'" >&2
    exit 1
  }
  echo "run-jaeger: reading topic $JAEGER_KAFKA_TOPIC ($JAEGER_KAFKA_ENCODING) from" \
    "$JAEGER_KAFKA_BROKERS as group $JAEGER_KAFKA_GROUP_ID"
  configs+=(--config "$root/backends/jaeger/kafka.yaml")
fi
exec "$bin" "${configs[@]}"
