#!/usr/bin/env bash
# Runs an Apache Kafka broker in KRaft mode (one process: broker and controller, no ZooKeeper)
# in the foreground; stop it with SIGTERM/SIGINT.
#
#   KAFKA_PORT=9092 bash scripts/run-kafka.sh
#
# Environment:
#   KAFKA_PORT             client listener (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener (default 9093)
#   KAFKA_HOST             interface both listen on, and the advertised host (default 127.0.0.1)
#   KAFKA_DATA_DIR         storage, formatted on first use and kept (default .run/kafka)
#   KAFKA_PARTITIONS       partitions of auto-created topics such as zipkin and orders (default 2)
#   KAFKA_MESSAGE_MAX_BYTES  largest record batch the broker accepts (default 1048588)
#   KAFKA_HEAP_OPTS        JVM heap options (default -Xms128m -Xmx512m)
#   KAFKA_JAVA_OPTS        other JVM options (default: fast startup)
# Ready when "Kafka Server started" is logged and the client port accepts connections.
# Needs `make backends` (or scripts/backends.sh) to have fetched .cache/kafka/libs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
libs="$root/.cache/kafka/libs"

die() {
  echo "run-kafka: $*" >&2
  exit 1
}

[[ -d "$libs" ]] || die "$libs is missing; run 'make backends' first"
command -v java >/dev/null 2>&1 || die "java is not installed (JDK 17+)"

port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
host=${KAFKA_HOST:-127.0.0.1}
partitions=${KAFKA_PARTITIONS:-2}
message_max=${KAFKA_MESSAGE_MAX_BYTES:-1048588}
data=${KAFKA_DATA_DIR:-$root/.run/kafka}

for name in port controller_port partitions message_max; do
  [[ "${!name}" =~ ^[0-9]+$ ]] || die "$name must be a number, got '${!name}'"
done
((partitions >= 1)) || die "KAFKA_PARTITIONS must be >= 1, got $partitions"
[[ "$port" != "$controller_port" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both $port"

mkdir -p "$data"
data=$(cd "$data" && pwd)
config="$data/server.properties"

# Written on every start, so the ports and settings follow the environment.
cat >"$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$host:$controller_port
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data/logs
auto.create.topics.enable=true
num.partitions=$partitions
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=$partitions
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=$message_max
PROPERTIES

# shellcheck disable=SC2206
heap=(${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m})
# shellcheck disable=SC2206
opts=(${KAFKA_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError})
java=(java "${heap[@]}" "${opts[@]}" "-Dlog4j2.configurationFile=$root/backends/kafka/log4j2.properties"
  -cp "$libs/*")

# Formatted once: a formatted folder keeps its topics and offsets across restarts.
if [[ ! -f "$data/logs/meta.properties" ]]; then
  cluster_id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
  "${java[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$config" \
    || die "formatting $data/logs failed (output above)"
fi

exec "${java[@]}" kafka.Kafka "$config"
