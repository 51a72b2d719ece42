#!/usr/bin/env bash
# Runs Jaeger v2 (zipkin receiver, memory storage, query API/UI) in the foreground;
# stop it with SIGTERM/SIGINT.
#
#   JAEGER_ZIPKIN_PORT=9412 JAEGER_QUERY_PORT=16686 bash scripts/run-jaeger.sh
#
# Environment (read by backends/jaeger/config.yaml):
#   JAEGER_ZIPKIN_PORT      Zipkin v2 receiver, POST /api/v2/spans (default 9412)
#   JAEGER_QUERY_PORT       query HTTP API and UI, GET /api/traces/{id} (default 16686)
#   JAEGER_QUERY_GRPC_PORT  query gRPC API (default 16685)
#   JAEGER_HEALTH_PORT      health, GET /status returns 200 when up (default 13133)
#   JAEGER_LISTEN_HOST      interface for all of them (default 127.0.0.1)
# Needs `make backends` (or scripts/backends.sh) to have built .cache/bin/jaeger.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin/jaeger"

[[ -x "$bin" ]] || { echo "run-jaeger: $bin is missing; run 'make backends' first" >&2; exit 1; }

export JAEGER_ZIPKIN_PORT="${JAEGER_ZIPKIN_PORT:-9412}"
export JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
export JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
export JAEGER_LISTEN_HOST="${JAEGER_LISTEN_HOST:-127.0.0.1}"
exec "$bin" --config "$root/backends/jaeger/config.yaml"
