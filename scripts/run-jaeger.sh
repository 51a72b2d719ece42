#!/usr/bin/env bash
# Runs Jaeger v2 (zipkin receiver, memory storage, query API/UI) in the foreground;
# stop it with SIGTERM/SIGINT.
#
#   JAEGER_ZIPKIN_PORT=9412 JAEGER_QUERY_PORT=16686 bash scripts/run-jaeger.sh
#
# Environment (read by backends/jaeger/config.yaml; the ports' defaults are in ports.env):
#   JAEGER_ZIPKIN_PORT      Zipkin v2 receiver, POST /api/v2/spans
#   JAEGER_QUERY_PORT       query HTTP API and UI, GET /api/traces/{id}
#   JAEGER_QUERY_GRPC_PORT  query gRPC API
#   JAEGER_HEALTH_PORT      health, GET /status returns 200 when up
#   JAEGER_LISTEN_HOST      interface for all of them (default 127.0.0.1)
# Needs `make backends` (or scripts/backends.sh) to have built .cache/bin/jaeger.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin/jaeger"

[[ -x "$bin" ]] || { echo "run-jaeger: $bin is missing; run 'make backends' first" >&2; exit 1; }

# shellcheck source=ports.sh
source "$root/scripts/ports.sh"
export JAEGER_LISTEN_HOST="${JAEGER_LISTEN_HOST:-127.0.0.1}"
exec "$bin" --config "$root/backends/jaeger/config.yaml"
