#!/usr/bin/env bash
# The bookshop demo stack: `up` starts it and returns once everything is healthy, `down` stops
# everything it started, `logs` shows the logs, `status` says what runs.
#
#   bash scripts/stack.sh up|down|logs [-f]|status
#
# With a working Docker engine (and STACK_MODE unset or "docker") it drives docker compose.
# Otherwise (or with STACK_MODE=local) it runs the real Kafka broker, Zipkin and Jaeger
# (scripts/run-*.sh, fetched and built by `make backends`) and the five services as local
# processes under honcho (Procfile),
# detached, with the pid, log and SQLite file under $RUN_DIR.
#
# Environment (local mode; the defaults are the demo's usual ports):
#   RUN_DIR             state folder (default .run)
#   FRONTEND_PORT 8080  BACKEND_PORT 8081  DB_PROXY_PORT 8082  CACHE_PORT 8083  WORKER_PORT 8084
#   ZIPKIN_PORT 9411  JAEGER_ZIPKIN_PORT 9412  JAEGER_QUERY_PORT 16686
#   JAEGER_QUERY_GRPC_PORT 16685  JAEGER_HEALTH_PORT 13133  KAFKA_PORT 9092
#   KAFKA_CONTROLLER_PORT 9093
#   STACK_UP_TIMEOUT    seconds to wait for health (default 180)
#   VENV                virtualenv with the services installed (default .venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
export RUN_DIR
VENV=${VENV:-.venv}
pid_file="$RUN_DIR/honcho.pid"
log_file="$RUN_DIR/stack.log"
mode_file="$RUN_DIR/mode"

export FRONTEND_PORT=${FRONTEND_PORT:-8080}
export BACKEND_PORT=${BACKEND_PORT:-8081}
export DB_PROXY_PORT=${DB_PROXY_PORT:-8082}
export CACHE_PORT=${CACHE_PORT:-8083}
export WORKER_PORT=${WORKER_PORT:-8084}
export ZIPKIN_PORT=${ZIPKIN_PORT:-9411}
export JAEGER_ZIPKIN_PORT=${JAEGER_ZIPKIN_PORT:-9412}
export JAEGER_QUERY_PORT=${JAEGER_QUERY_PORT:-16686}
export JAEGER_QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16685}
export JAEGER_HEALTH_PORT=${JAEGER_HEALTH_PORT:-13133}
export KAFKA_PORT=${KAFKA_PORT:-9092}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
timeout=${STACK_UP_TIMEOUT:-180}

say() { echo "stack: $*" >&2; }
die() {
  say "$*"
  exit 1
}

use_docker() {
  case "${STACK_MODE:-auto}" in
    local) return 1 ;;
    docker) return 0 ;;
    auto) command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ;;
    *) die "STACK_MODE must be auto, local or docker, not '${STACK_MODE}'" ;;
  esac
}

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f "$root/docker-compose.yml" "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f "$root/docker-compose.yml" "$@"
  else
    die "Docker is running but neither 'docker compose' nor 'docker-compose' is installed"
  fi
}

# name=url pairs to wait for, in start order (tcp:// only needs the port to accept).
health_urls() {
  cat <<URLS
kafka=tcp://127.0.0.1:$KAFKA_PORT
zipkin=http://127.0.0.1:$ZIPKIN_PORT/health
jaeger=http://127.0.0.1:$JAEGER_QUERY_PORT/api/services
db_proxy=http://127.0.0.1:$DB_PROXY_PORT/health
cache=http://127.0.0.1:$CACHE_PORT/health
backend=http://127.0.0.1:$BACKEND_PORT/health
worker=http://127.0.0.1:$WORKER_PORT/health
frontend=http://127.0.0.1:$FRONTEND_PORT/health
URLS
}

http_ok() {
  if [[ "$1" == tcp://* ]]; then
    local address=${1#tcp://}
    (exec 3<>"/dev/tcp/${address%:*}/${address##*:}") 2>/dev/null
    return
  fi
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "$1" 2>/dev/null
  fi
}

honcho_running() {
  [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

print_urls() {
  cat <<URLS
The bookshop is up:
  frontend   http://127.0.0.1:$FRONTEND_PORT
  Zipkin UI  http://127.0.0.1:$ZIPKIN_PORT/zipkin/
  Jaeger UI  http://127.0.0.1:$JAEGER_QUERY_PORT
  Kafka      127.0.0.1:$KAFKA_PORT (topic orders: the jobs from the backend to the worker)
Try: curl -si -X POST -H 'Content-Type: application/json' \\
       -d '{"book_id": 1, "quantity": 1}' http://127.0.0.1:$FRONTEND_PORT/api/orders
Stop it with 'make down'; logs with 'make logs'.
URLS
}

# What docker compose publishes on this host.
published_urls() {
  health_urls | grep -E '^(kafka|zipkin|jaeger|frontend)='
}

# Wait for each name=url printed by the function named in $1.
wait_all_healthy() {
  local list=${1:-health_urls} deadline=$((SECONDS + timeout)) name url
  while IFS='=' read -r name url; do
    until http_ok "$url"; do
      if [[ "$(cat "$mode_file" 2>/dev/null)" == local ]] && ! honcho_running; then
        say "the stack exited while waiting for $name ($url); last log lines:"
        tail -n 40 "$log_file" >&2 || true
        rm -f "$pid_file"
        exit 1
      fi
      if ((SECONDS > deadline)); then
        say "$name did not become healthy at $url within ${timeout}s; last log lines:"
        tail -n 40 "$log_file" >&2 || true
        bash "$0" down || true
        exit 1
      fi
      sleep 0.3
    done
    say "$name is healthy"
  done < <("$list")
}

up_local() {
  if honcho_running; then
    say "already running (pid $(cat "$pid_file"))"
    print_urls
    return 0
  fi
  [[ -x "$VENV/bin/honcho" ]] || die "$VENV/bin/honcho is missing; run 'make venv' first"
  [[ -f .cache/bin/jaeger ]] || die "Jaeger is not built; run 'make backends' first"
  [[ -d .cache/kafka/libs ]] || die "Kafka is not fetched; run 'make backends' first"
  local name url port
  while IFS='=' read -r name url; do
    port=${url#*://127.0.0.1:}
    port=${port%%/*}
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port ($name) is already in use; stop what holds it or set ${name^^}_PORT"
    fi
  done < <(health_urls)

  export PATH="$root/$VENV/bin:$PATH"
  export PYTHONUNBUFFERED=1
  export HOST=127.0.0.1
  export ZIPKIN_ENDPOINTS="http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans,http://127.0.0.1:$JAEGER_ZIPKIN_PORT/api/v2/spans"
  export BACKEND_URL="http://127.0.0.1:$BACKEND_PORT"
  export CACHE_URL="http://127.0.0.1:$CACHE_PORT"
  export DB_PROXY_URL="http://127.0.0.1:$DB_PROXY_PORT"
  export DB_PATH="$RUN_DIR/bookshop.db"
  export KAFKA_DATA_DIR="$RUN_DIR/kafka"
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
  export ZIPKIN_UI_URL="http://127.0.0.1:$ZIPKIN_PORT"
  export JAEGER_UI_URL="http://127.0.0.1:$JAEGER_QUERY_PORT"

  echo local >"$mode_file"
  : >"$log_file"
  # A session of its own, so the stack outlives this shell and `down` can end all of it.
  setsid nohup "$VENV/bin/honcho" --no-colour start -f "$root/Procfile" -d "$root" \
    >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  say "started honcho (pid $(cat "$pid_file")), logs in $log_file"
  wait_all_healthy
  print_urls
}

down_local() {
  if ! [[ -f "$pid_file" ]]; then
    say "not running"
    return 0
  fi
  local pid children
  pid=$(cat "$pid_file")
  # honcho starts each process in its own process group: remember them in case it dies first.
  children=$(grep -o 'started (pid=[0-9]*)' "$log_file" 2>/dev/null | grep -o '[0-9]*' || true)
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "honcho did not stop within 20s; killing its session"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  for child in $children; do
    if kill -0 "$child" 2>/dev/null; then
      say "killing leftover process group $child"
      kill -KILL -- "-$child" 2>/dev/null || true
    fi
  done
  rm -f "$pid_file"
  say "stopped"
}

cmd=${1:-}
case "$cmd" in
  up)
    if use_docker; then
      echo docker >"$mode_file"
      compose up --build -d --wait 2>/dev/null || compose up --build -d
      wait_all_healthy published_urls
      print_urls
    else
      up_local
    fi
    ;;
  down)
    if [[ "$(cat "$mode_file" 2>/dev/null)" == docker ]]; then
      compose down --remove-orphans
      rm -f "$mode_file"
    else
      down_local
    fi
    ;;
  logs)
    shift
    if [[ "$(cat "$mode_file" 2>/dev/null)" == docker ]]; then
      compose logs "$@"
    elif [[ -f "$log_file" ]]; then
      if [[ "${1:-}" == "-f" ]]; then tail -n 200 -f "$log_file"; else cat "$log_file"; fi
    else
      say "no logs yet ($log_file); start the stack with 'make up'"
    fi
    ;;
  status)
    if [[ "$(cat "$mode_file" 2>/dev/null)" == docker ]]; then
      compose ps
    elif honcho_running; then
      say "running (honcho pid $(cat "$pid_file"))"
      while IFS='=' read -r name url; do
        if http_ok "$url"; then say "  $name healthy"; else say "  $name NOT healthy ($url)"; fi
      done < <(health_urls)
    else
      say "not running"
      exit 3
    fi
    ;;
  *)
    die "usage: $0 up|down|logs [-f]|status"
    ;;
esac
