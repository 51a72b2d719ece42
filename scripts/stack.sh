#!/usr/bin/env bash
# The bookshop demo stack: `up` starts it and returns once everything is healthy, `down` stops
# everything it started, `logs` shows the logs, `status` says what runs, `pid NAME` prints the
# pid of one process.
#
#   bash scripts/stack.sh up|down|logs [-f]|status|pid NAME|clean-data
#
# With a working Docker engine (and STACK_MODE unset or "docker") it drives docker compose.
# Otherwise (or with STACK_MODE=local) it runs the real Kafka broker, Zipkin and Jaeger
# (scripts/run-*.sh, fetched and built by `make backends`) and the five services as local
# processes under supervisord, with
# its config, socket, pid file and logs and the SQLite file under $RUN_DIR.
#
# Under supervisord a process that exits is started again at once, and the other processes
# keep running. One that fails again within STACK_START_SECS of its start is retried after
# 1 s, 2 s, 3 s, ... and given up on after STACK_START_RETRIES retries; one that exits more
# than STACK_START_RETRIES times within STACK_CRASH_WINDOW is given up on too, by
# scripts/give_up.py. `make logs` then says "gave up on NAME" and `make status` shows it
# FATAL (or STOPPED).
#
# Environment:
#   *_PORT              the ports, defaults in ports.env (FRONTEND_PORT, ZIPKIN_PORT, ...);
#                       docker compose reads the same file
#   RUN_DIR             state folder of local mode (default .run)
#   STACK_UP_TIMEOUT    seconds to wait for health (default 180)
#   STACK_START_SECS    seconds a process must run to count as started (default 10)
#   STACK_START_RETRIES quick failures in a row before giving up on a process (default 3)
#   STACK_CRASH_WINDOW  a process that exits more than STACK_START_RETRIES times within these
#                       seconds is given up on too, however long it ran (default 120)
#   VENV                virtualenv with the services installed (default .venv)
#   STORAGE             mem (default: Zipkin keeps spans in memory) or opensearch: Zipkin's
#                       production topology, with OpenSearch (data in $RUN_DIR/opensearch, kept
#                       by `down`, removed by `clean-data`), two Kafka collectors in one consumer
#                       group (topic zipkin) and a Zipkin that serves the UI, the API and HTTP
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
export RUN_DIR
VENV=${VENV:-.venv}
VENV=$(cd "$VENV" 2>/dev/null && pwd || echo "$root/$VENV")
conf="$RUN_DIR/supervisord.conf"
pid_file="$RUN_DIR/supervisord.pid"
log_file="$RUN_DIR/supervisord.log"
logs_dir="$RUN_DIR/logs"
mode_file="$RUN_DIR/mode"

# The demo's ports, written once in ports.env; what the environment sets wins.
# shellcheck source=ports.sh
source "$root/scripts/ports.sh"
timeout=${STACK_UP_TIMEOUT:-180}
storage_file="$RUN_DIR/storage"
# `up` takes STORAGE; the other commands act on what the running (or last) stack was started with.
if [[ "${1:-}" == up ]]; then
  storage=${STORAGE:-mem}
else
  storage=$(cat "$storage_file" 2>/dev/null || echo "${STORAGE:-mem}")
fi
case "$storage" in
  mem | opensearch) ;;
  *) echo "stack: STORAGE must be mem or opensearch, not '$storage'" >&2 && exit 1 ;;
esac
start_secs=${STACK_START_SECS:-10}
start_retries=${STACK_START_RETRIES:-3}

say() { echo "stack: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# The local processes: name, group, health URL, command (run from the repository root;
# `python` is the virtualenv's). Adding a process to the local stack is one line here.
# A group starts and stops as one, its processes side by side; the services stop before the
# collectors, so that their last spans still go out.
processes() {
  if [[ "$storage" == opensearch ]]; then
    # Zipkin as its documentation runs it: spans go to Kafka (or over HTTP to the query
    # instance), two collectors of one consumer group store them, one instance serves the UI.
    local collector="env COLLECTOR_HTTP_ENABLED=false QUERY_ENABLED=false bash scripts/run-zipkin.sh"
    cat <<PROCESSES
kafka     collectors tcp://127.0.0.1:$KAFKA_PORT                  bash scripts/run-kafka.sh
opensearch collectors http://127.0.0.1:$OPENSEARCH_PORT/_cluster/health?wait_for_status=yellow&timeout=1s bash scripts/run-opensearch.sh
zipkin    collectors http://127.0.0.1:$ZIPKIN_PORT/health           env COLLECTOR_KAFKA_ENABLED=false bash scripts/run-zipkin.sh
zipkin_collector_1 collectors http://127.0.0.1:$ZIPKIN_COLLECTOR_1_PORT/health env ZIPKIN_PORT=$ZIPKIN_COLLECTOR_1_PORT $collector
zipkin_collector_2 collectors http://127.0.0.1:$ZIPKIN_COLLECTOR_2_PORT/health env ZIPKIN_PORT=$ZIPKIN_COLLECTOR_2_PORT $collector
PROCESSES
  else
    cat <<PROCESSES
kafka     collectors tcp://127.0.0.1:$KAFKA_PORT                  bash scripts/run-kafka.sh
zipkin    collectors http://127.0.0.1:$ZIPKIN_PORT/health           bash scripts/run-zipkin.sh
PROCESSES
  fi
  cat <<PROCESSES
jaeger    collectors http://127.0.0.1:$JAEGER_QUERY_PORT/api/services bash scripts/run-jaeger.sh
db_proxy  services   http://127.0.0.1:$DB_PROXY_PORT/health         env PORT=$DB_PROXY_PORT python -m bookshop_db_proxy
cache     services   http://127.0.0.1:$CACHE_PORT/health            env PORT=$CACHE_PORT python -m bookshop_cache
backend   services   http://127.0.0.1:$BACKEND_PORT/health          env PORT=$BACKEND_PORT python -m bookshop_backend
worker    services   http://127.0.0.1:$WORKER_PORT/health           env PORT=$WORKER_PORT python -m bookshop_worker
frontend  services   http://127.0.0.1:$FRONTEND_PORT/health         env PORT=$FRONTEND_PORT python -m bookshop_frontend
PROCESSES
}

# Lower starts first and stops last.
group_priority() {
  case "$1" in
    collectors) echo 100 ;;
    *) echo 200 ;;
  esac
}

# name=url pairs to wait for, in start order (a tcp:// one only needs its port to accept).
health_urls() {
  local name url _
  while read -r name _ url _; do echo "$name=$url"; done < <(processes)
}

# group:name, as supervisorctl knows the process $1.
ctl_name() {
  local name group _
  while read -r name group _; do
    [[ "$name" == "$1" ]] && { echo "$group:$name"; return 0; }
  done < <(processes)
  return 1
}

use_docker() {
  case "${STACK_MODE:-auto}" in
    local) return 1 ;;
    docker) return 0 ;;
    auto) command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ;;
    *) die "STACK_MODE must be auto, local or docker, not '${STACK_MODE}'" ;;
  esac
}

# STORAGE=opensearch adds docker-compose.durable.yml and its profile to docker-compose.yml.
compose() {
  local files=(-f "$root/docker-compose.yml")
  [[ "$storage" == opensearch ]] && files+=(-f "$root/docker-compose.durable.yml" --profile durable)
  files+=(--env-file "$root/ports.env")
  if docker compose version >/dev/null 2>&1; then
    docker compose "${files[@]}" "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose "${files[@]}" "$@"
  else
    die "Docker is running but neither 'docker compose' nor 'docker-compose' is installed"
  fi
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

# The body of a GET (empty when it does not answer 2xx).
http_body() {
  if [[ "$1" == tcp://* ]]; then
    if http_ok "$1"; then echo '{"status": "ok"}'; fi
    return 0
  fi
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 3 "$1" 2>/dev/null || true
  else
    python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())' \
      "$1" 2>/dev/null || true
  fi
}

supervisor_running() {
  [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

ctl() {
  "$VENV/bin/supervisorctl" -c "$conf" "$@"
}

# Names of the processes supervisord gave up on (from its log).
# Names of the processes given up on: by supervisord (failing within startsecs) or by
# scripts/give_up.py (too many crashes within STACK_CRASH_WINDOW).
given_up() {
  cat "$log_file" "$logs_dir/give_up.log" 2>/dev/null | grep -o "gave up: [A-Za-z0-9_]*" |
    awk '{print $3}' | sort -u || true
}

# Pids supervisord has spawned, from its log: what `down` may kill if supervisord cannot.
spawned_pids() {
  grep -o "spawned: '[A-Za-z0-9_]*' with pid [0-9]*" "$log_file" 2>/dev/null |
    awk '{print $NF}' || true
}

# $1: local or docker. The locally built Jaeger has no UI assets (its UI page is a
# placeholder), so local mode points to its query API and to Zipkin's UI instead.
print_urls() {
  echo "The bookshop is up:"
  echo "  frontend    http://127.0.0.1:$FRONTEND_PORT"
  echo "  Zipkin UI   http://127.0.0.1:$ZIPKIN_PORT/zipkin/"
  echo "  Kafka       127.0.0.1:$KAFKA_PORT (topic orders: the backend's jobs for the worker)"
  if [[ "$1" == docker ]]; then
    echo "  Jaeger UI   http://127.0.0.1:$JAEGER_QUERY_PORT"
  else
    echo "  Jaeger API  http://127.0.0.1:$JAEGER_QUERY_PORT/api/traces/{trace id}"
    echo "No Jaeger UI: the locally built Jaeger has none, so browse traces in Zipkin's UI;" \
      "with Docker, 'make up' runs Jaeger's image, which has it."
  fi
  cat <<URLS
Try: curl -si -X POST -H 'Content-Type: application/json' \\
       -d '{"book_id": 1, "quantity": 1}' http://127.0.0.1:$FRONTEND_PORT/api/orders
Status with 'make status'; stop it with 'make down'; logs with 'make logs'.
URLS
}

# What docker compose publishes on this host.
published_urls() {
  health_urls | grep -E '^(kafka|zipkin|jaeger|frontend|opensearch)='
}

# Print the tail of each process log and of supervisord's.
log_tails() {
  local f
  for f in "$logs_dir"/*.log "$log_file"; do
    [[ -f "$f" ]] || continue
    echo "--- $(basename "$f" .log) (last lines of $f)"
    tail -n "${1:-20}" "$f"
  done
}

# Resident memory of a process group (supervisord starts each program as a group leader).
group_rss_mb() {
  ps -e -o pgid=,rss= | awk -v g="$1" '$1 == g { kb += $2 } END { printf "%.0f", kb / 1024 }'
}

# The servers' memory and how long each took to become healthy (from healthy_at).
print_resources() {
  local name _ pid
  echo "Servers (resident memory, healthy after):"
  while read -r name _; do
    case "$name" in kafka | opensearch | zipkin* | jaeger) ;; *) continue ;; esac
    pid=$(ctl pid "$(ctl_name "$name")" 2>/dev/null || true)
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || continue
    printf '  %-19s %5s MB  %s s\n' "$name" "$(group_rss_mb "$pid")" "${healthy_at[$name]:-?}"
  done < <(processes)
  if [[ "$storage" == opensearch ]]; then
    echo "Stored traces live in $RUN_DIR/opensearch: 'make down' keeps them, 'make clean-data'" \
      "removes them."
    echo "Zipkin's dependency graph stays empty over OpenSearch: only the zipkin-dependencies" \
      "Spark job (image openzipkin/zipkin-dependencies, run on a schedule) fills it, and local" \
      "mode cannot run it (its artifact is not served by this machine's Maven registry)."
  fi
}

# Wait for each name=url printed by the function named in $1.
declare -A healthy_at=()
wait_all_healthy() {
  local list=${1:-health_urls} deadline=$((SECONDS + timeout)) name url fatal
  local started=$SECONDS
  while IFS='=' read -r name url; do
    until http_ok "$url"; do
      if [[ "$(cat "$mode_file" 2>/dev/null)" == local ]]; then
        if ! supervisor_running; then
          say "supervisord exited while waiting for $name ($url)"
          log_tails 40 >&2
          exit 1
        fi
        fatal=$(given_up | tr '\n' ' ')
        if [[ -n "$fatal" ]]; then
          say "gave up on ${fatal% }: it kept crashing"
          log_tails 40 >&2
          exit 1
        fi
      fi
      if ((SECONDS > deadline)); then
        say "$name did not become healthy at $url within ${timeout}s"
        log_tails 40 >&2
        bash "$0" down || true
        exit 1
      fi
      sleep 0.3
    done
    healthy_at[$name]=$((SECONDS - started))
    say "$name is healthy"
  done < <("$list")
}

write_config() {
  local name url command
  cat <<CONF
; Written by scripts/stack.sh up; regenerated at every start.
[unix_http_server]
file=$RUN_DIR/supervisor.sock
chmod=0700

[supervisord]
logfile=$log_file
logfile_maxbytes=0
pidfile=$pid_file
childlogdir=$logs_dir
directory=$root
identifier=bookshop

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$RUN_DIR/supervisor.sock
CONF
  local group
  while read -r name group url command; do
    cat <<PROGRAM

[program:$name]
; healthy when $url answers 2xx
command=$command
directory=$root
autostart=true
autorestart=true
startsecs=$start_secs
startretries=$start_retries
stopsignal=TERM
stopwaitsecs=15
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$logs_dir/$name.log
stdout_logfile_maxbytes=0
PROGRAM
  done < <(processes)
  for group in $(processes | awk '{print $2}' | sort -u); do
    cat <<GROUP

[group:$group]
programs=$(processes | awk -v g="$group" '$2 == g {print $1}' | paste -sd, -)
priority=$(group_priority "$group")
GROUP
  done
  cat <<LISTENER

[eventlistener:give_up]
; stops a process that keeps crashing, however long each run lasts
command=python scripts/give_up.py
directory=$root
events=PROCESS_STATE_EXITED
autorestart=true
stderr_logfile=$logs_dir/give_up.log
stderr_logfile_maxbytes=0
LISTENER
}

up_local() {
  if supervisor_running; then
    say "already running (supervisord pid $(cat "$pid_file"))"
    print_urls local
    return 0
  fi
  [[ -x "$VENV/bin/supervisord" ]] || die "$VENV/bin/supervisord is missing; run 'make venv' first"
  [[ -f .cache/bin/jaeger ]] || die "Jaeger is not built; run 'make backends' first"
  [[ -d .cache/kafka/libs ]] || die "Kafka is not fetched; run 'make backends' first"
  if [[ "$storage" == opensearch ]]; then
    compgen -G ".cache/opensearch/opensearch-*/bin/opensearch" >/dev/null ||
      die "OpenSearch is not fetched; run 'make backends STORAGE=opensearch' first"
  fi
  local name url port
  while IFS='=' read -r name url; do
    port=${url#*://127.0.0.1:}
    port=${port%%/*}
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port ($name) is already in use; stop what holds it or set ${name^^}_PORT"
    fi
  done < <(health_urls)

  export PATH="$VENV/bin:$PATH"
  export PYTHONUNBUFFERED=1
  export HOST=127.0.0.1
  # The services' span route unless ZIPKIN_ENDPOINTS says otherwise: both servers over HTTP,
  # or with durable storage the topic zipkin, which the two collectors and Jaeger's own kafka
  # receiver read (Zipkin and Jaeger read that topic in either mode).
  local route="http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans,http://127.0.0.1:$JAEGER_ZIPKIN_PORT/api/v2/spans"
  [[ "$storage" == opensearch ]] && route="kafka://127.0.0.1:$KAFKA_PORT/zipkin"
  export ZIPKIN_ENDPOINTS="${ZIPKIN_ENDPOINTS:-$route}"
  export BACKEND_URL="http://127.0.0.1:$BACKEND_PORT"
  export CACHE_URL="http://127.0.0.1:$CACHE_PORT"
  export DB_PROXY_URL="http://127.0.0.1:$DB_PROXY_PORT"
  export DB_PATH="$RUN_DIR/bookshop.db"
  export KAFKA_DATA_DIR="$RUN_DIR/kafka"
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
  export ZIPKIN_UI_URL="http://127.0.0.1:$ZIPKIN_PORT"
  export JAEGER_UI_URL="http://127.0.0.1:$JAEGER_QUERY_PORT"
  export JAEGER_HAS_UI=false
  if [[ "$storage" == opensearch ]]; then
    export STORAGE_TYPE=elasticsearch ES_HOSTS="http://127.0.0.1:$OPENSEARCH_PORT"
    export OPENSEARCH_DATA="$RUN_DIR/opensearch"
    export KAFKA_TOPIC=zipkin KAFKA_GROUP_ID=zipkin
    # A killed collector's partitions move to the other one after 6 s, not Kafka's 45 s.
    export ZIPKIN_COLLECTOR_KAFKA_OVERRIDES_SESSION_TIMEOUT_MS=6000
    export ZIPKIN_COLLECTOR_KAFKA_OVERRIDES_HEARTBEAT_INTERVAL_MS=1000
  fi
  echo "$storage" >"$storage_file"

  echo local >"$mode_file"
  mkdir -p "$logs_dir"
  rm -f "$logs_dir"/*.log "$log_file"
  write_config >"$conf"
  # supervisord detaches itself (its own session), so the stack outlives this shell.
  "$VENV/bin/supervisord" -c "$conf" </dev/null || die "supervisord did not start (config $conf)"
  for _ in $(seq 1 50); do
    supervisor_running && break
    sleep 0.1
  done
  supervisor_running || die "supervisord did not write $pid_file"
  say "started supervisord (pid $(cat "$pid_file")), logs in $logs_dir"
  wait_all_healthy
  print_urls local
  print_resources
}

down_local() {
  if ! [[ -f "$pid_file" ]]; then
    say "not running"
    return 0
  fi
  local pid pids
  pid=$(cat "$pid_file")
  # Remember what it started, in case supervisord cannot stop it all.
  pids=$(spawned_pids)
  if kill -0 "$pid" 2>/dev/null; then
    ctl shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "supervisord did not stop within 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Each program runs in a process group of its own, led by the pid supervisord spawned.
  for child in $pids; do
    if kill -0 "$child" 2>/dev/null; then
      say "killing leftover process group $child"
      kill -KILL -- "-$child" 2>/dev/null || kill -KILL "$child" 2>/dev/null || true
    fi
  done
  rm -f "$pid_file"
  say "stopped"
}

logs_local() {
  local f name fatal
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 50 -F "$log_file" "$logs_dir"/*.log
  fi
  for f in "$logs_dir"/*.log; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f" .log)
    sed "s/^/$name | /" "$f"
  done
  sed "s/^/supervisord | /" "$log_file"
  for fatal in $(given_up); do
    echo "stack: gave up on $fatal: it kept crashing (its log is above)"
  done
}

# One line per process: state, pid, uptime, restarts, health (and the health URL).
status_local() {
  local name group url _ line state pid uptime spawns restarts body health
  local all
  all=$(ctl status 2>/dev/null || true)
  printf '%-18s %-9s %-8s %-10s %-8s %-9s %s\n' PROCESS STATE PID UPTIME RESTARTS HEALTH URL
  while read -r name group url _; do
    line=$(grep "^$group:$name " <<<"$all" || true)
    state=$(awk '{print $2}' <<<"$line")
    pid=$(grep -o 'pid [0-9]*' <<<"$line" | awk '{print $2}' || true)
    uptime=$(grep -o 'uptime [0-9:a-z ,]*' <<<"$line" | sed 's/^uptime //; s/ days*, /d/' || true)
    spawns=$(grep -c "spawned: '$name' with pid" "$log_file" 2>/dev/null || true)
    restarts=$((${spawns:-0} > 0 ? ${spawns:-0} - 1 : 0))
    body=$(http_body "$url")
    if [[ -z "$body" ]]; then
      health=down
    else
      health=$(grep -o '"status": *"[a-z]*"' <<<"$body" | head -n 1 | sed 's/.*"\([a-z]*\)"$/\1/' || true)
      health=${health:-ok}
      grep -q '"dropping": *true' <<<"$body" && health="$health,dropping"
    fi
    printf '%-18s %-9s %-8s %-10s %-8s %-9s %s\n' "$name" "${state:-?}" "${pid:--}" \
      "${uptime:--}" "$restarts" "$health" "$url"
  done < <(processes)
}

cmd=${1:-}
case "$cmd" in
  up)
    if use_docker; then
      echo docker >"$mode_file"
      echo "$storage" >"$storage_file"
      compose up --build -d --wait 2>/dev/null || compose up --build -d
      wait_all_healthy published_urls
      print_urls docker
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
      logs_local "$@"
    else
      say "no logs yet ($log_file); start the stack with 'make up'"
    fi
    ;;
  status)
    if [[ "$(cat "$mode_file" 2>/dev/null)" == docker ]]; then
      compose ps
    elif supervisor_running; then
      say "running (supervisord pid $(cat "$pid_file"))"
      status_local
    else
      say "not running"
      exit 3
    fi
    ;;
  clean-data)
    if supervisor_running; then
      die "the stack is running; 'make down' first"
    fi
    if [[ "$(cat "$mode_file" 2>/dev/null)" == docker ]]; then
      die "the Docker stack is running; 'make down' first"
    fi
    if use_docker; then
      storage=opensearch compose down --volumes --remove-orphans
    fi
    rm -rf "$RUN_DIR/opensearch" "$RUN_DIR/kafka" "$RUN_DIR/bookshop.db"
    say "removed the stored traces, the Kafka topics and the orders under $RUN_DIR"
    ;;
  pid)
    name=${2:-}
    full=$(ctl_name "$name") || die "usage: $0 pid NAME (one of: $(processes | awk '{print $1}' | tr '\n' ' '))"
    supervisor_running || die "not running"
    pid=$(ctl pid "$full")
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || die "$name has no pid now ($pid)"
    echo "$pid"
    ;;
  *)
    die "usage: $0 up|down|logs [-f]|status|pid NAME|clean-data"
    ;;
esac
