#!/usr/bin/env bash
# Runs OpenSearch (single node, 127.0.0.1 only) in the foreground, as Zipkin's durable
# storage; stop it with SIGTERM/SIGINT. The data survives a restart on the same data folder.
#
#   OPENSEARCH_PORT=9200 OPENSEARCH_DATA=.run/opensearch bash scripts/run-opensearch.sh
#
# Environment:
#   OPENSEARCH_PORT       HTTP port (default 9200); healthy when GET / returns 200
#   OPENSEARCH_TRANSPORT_PORT  node-to-node port, bound but unused (default 9300)
#   OPENSEARCH_DATA       folder for the indices, config copy and logs (default .run/opensearch)
#   OPENSEARCH_HEAP       JVM heap, -Xms and -Xmx (default 512m)
#   OPENSEARCH_UID        uid:gid to run as when started by root (default 65534:65534, nobody):
#                         OpenSearch refuses to run as root
#   OPENSEARCH_JAVA_HOME  the JDK to run on (default: JAVA_HOME, else the java on PATH)
# Needs `make backends STORAGE=opensearch` to have fetched the distribution.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../backends/storage.env
source "$root/backends/storage.env"
home="$root/.cache/opensearch/opensearch-${OPENSEARCH_VERSION}"

die() {
  echo "run-opensearch: $*" >&2
  exit 1
}

[[ -x "$home/bin/opensearch" ]] ||
  die "$home is missing; run 'make backends STORAGE=opensearch' first"
command -v java >/dev/null 2>&1 || die "java is not installed (JDK 17+)"

port=${OPENSEARCH_PORT:-9200}
transport_port=${OPENSEARCH_TRANSPORT_PORT:-9300}
heap=${OPENSEARCH_HEAP:-512m}
[[ "$port" =~ ^[0-9]+$ ]] || die "OPENSEARCH_PORT must be a port number, not '$port'"
[[ "$transport_port" =~ ^[0-9]+$ ]] ||
  die "OPENSEARCH_TRANSPORT_PORT must be a port number, not '$transport_port'"
[[ "$heap" =~ ^[0-9]+[mg]$ ]] || die "OPENSEARCH_HEAP must look like 512m or 1g, not '$heap'"

data=${OPENSEARCH_DATA:-$root/.run/opensearch}
mkdir -p "$data/indices" "$data/logs" "$data/tmp"
data=$(cd "$data" && pwd)
# Its temporary files too, instead of a new /tmp/opensearch-* left behind at every start.
export OPENSEARCH_TMPDIR="$data/tmp"

# A private config folder: OpenSearch writes its keystore there, and the cached distribution
# stays read-only and shared. jvm.options' relative gc log and heap dump paths point into $data.
conf="$data/config"
rm -rf "$conf"
cp -r "$home/config" "$conf"
sed -i -e "s|logs/gc.log|$data/logs/gc.log|" -e "s|HeapDumpPath=data|HeapDumpPath=$data|" \
  -e "s|ErrorFile=logs/|ErrorFile=$data/logs/|" "$conf/jvm.options"
cat >"$conf/opensearch.yml" <<YAML
cluster.name: zipkin-demo
node.name: zipkin-demo-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $port
transport.port: $transport_port
path.data: $data/indices
path.logs: $data/logs
# Zipkin's daily indices never need the disk watermarks of a production cluster.
cluster.routing.allocation.disk.threshold_enabled: false
YAML

export OPENSEARCH_PATH_CONF="$conf"
export OPENSEARCH_JAVA_OPTS="-Xms$heap -Xmx$heap ${OPENSEARCH_JAVA_OPTS:-}"
# This build has no bundled JDK: the launcher needs OPENSEARCH_JAVA_HOME (or JAVA_HOME).
if [[ -z "${OPENSEARCH_JAVA_HOME:-}${JAVA_HOME:-}" ]]; then
  java_bin=$(readlink -f "$(command -v java)")
  export OPENSEARCH_JAVA_HOME="${java_bin%/bin/java}"
fi
cd "$data"
if ((EUID == 0)); then
  ids=${OPENSEARCH_UID:-65534:65534}
  [[ "$ids" =~ ^[0-9]+:[0-9]+$ ]] || die "OPENSEARCH_UID must be uid:gid in numbers, not '$ids'"
  chown -R "$ids" "$data"
  setpriv --reuid="${ids%%:*}" --regid="${ids##*:}" --clear-groups test -w "$data/indices" ||
    die "uid ${ids%%:*} cannot reach $data (a parent folder is private); use a data folder under /tmp or the repository"
  # Changing uid clears the parent-death signal; --pdeathsig keep sets it again.
  exec setpriv --reuid="${ids%%:*}" --regid="${ids##*:}" --clear-groups --pdeathsig keep \
    "$home/bin/opensearch"
fi
exec "$home/bin/opensearch"
