#!/usr/bin/env bash
# Fetches the Zipkin server jar and the Kafka broker's jars, and builds the Jaeger v2 binary,
# into .cache/ (git-ignored). With STORAGE=opensearch it also fetches the OpenSearch
# distribution (Zipkin's durable storage, scripts/run-opensearch.sh); the default in-memory
# demo does not pay for it.
#
# Idempotent: the Zipkin jar and OpenSearch are kept once downloaded; the Kafka jars are fetched again only when
# backends/kafka/pom.xml (their pins) differs from the copy kept beside them; Jaeger is rebuilt
# only when backends/jaeger/go.mod, go.sum or backends/versions.env (the pins) is newer than
# .cache/bin/jaeger.
# Needs java + mvn (Zipkin, Kafka, OpenSearch), unzip (OpenSearch) and go (Jaeger); a missing
# tool is an error, never a skip.
#
# The cold Jaeger build takes minutes: it prints the time spent and what go is doing every
# BACKENDS_PROGRESS_EVERY seconds (default 15). Ctrl-C (or SIGTERM) stops the build and
# leaves no half-built binary. CACHE_DIR (default .cache) is where everything goes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../backends/versions.env
source backends/versions.env
# shellcheck source=../backends/storage.env
source backends/storage.env

cache_dir=${CACHE_DIR:-.cache}
zipkin_jar="$cache_dir/zipkin/zipkin-server-${ZIPKIN_VERSION}-exec.jar"
jaeger_bin="$cache_dir/bin/jaeger"
kafka_dir="$cache_dir/kafka"
kafka_pom="backends/kafka/pom.xml"
progress_every=${BACKENDS_PROGRESS_EVERY:-15}
opensearch_home="$cache_dir/opensearch/opensearch-${OPENSEARCH_VERSION}"
storage=${STORAGE:-mem}
case "$storage" in
  mem | opensearch) ;;
  *) echo "backends: STORAGE must be mem or opensearch, not '$storage'" >&2 && exit 1 ;;
esac

die() {
  echo "backends: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# What go is doing, from its -v output: downloading modules or compiling packages.
build_activity() {
  local log=$1 downloads packages last
  downloads=$(grep -c '^go: downloading' "$log" 2>/dev/null || true)
  packages=$(grep -vc '^go: ' "$log" 2>/dev/null || true)
  last=$(tail -n 1 "$log" 2>/dev/null | sed 's/^go: downloading //' | cut -c1-80)
  if ((${packages:-0} == 0)); then
    echo "downloading modules (${downloads:-0} so far${last:+, last $last})"
  else
    echo "compiling packages (${packages} so far${last:+, last $last})"
  fi
}

# Build to a temporary name in a session of its own, report progress, and rename at the end:
# an interrupted or failed build leaves no binary, half-written or not.
build_jaeger() {
  local version_pkg=github.com/jaegertracing/jaeger/internal/version ldflags tmp log pid
  local started=$SECONDS next=$((SECONDS + progress_every)) rc=0
  ldflags="-X $version_pkg.latestVersion=$JAEGER_VERSION -X $version_pkg.commitSHA=$JAEGER_COMMIT"
  tmp="$root/$jaeger_bin.tmp"
  [[ "$jaeger_bin" == /* ]] && tmp="$jaeger_bin.tmp"
  log="$tmp.log"
  rm -f "$tmp" "$log"
  (cd backends/jaeger &&
    exec setsid go build -v -trimpath -ldflags "$ldflags" -o "$tmp" \
      github.com/jaegertracing/jaeger/cmd/jaeger) >"$log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064  # the pid and paths are fixed now
  trap "stop_build $pid '$tmp' '$log'" INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)); then
      echo "backends: building jaeger, $((SECONDS - started)) s: $(build_activity "$log")"
      next=$((next + progress_every))
    fi
  done
  wait "$pid" || rc=$?
  trap - INT TERM
  if ((rc != 0)); then
    tail -n 30 "$log" >&2
    rm -f "$tmp" "$log"
    die "go build of jaeger failed (exit $rc; its last lines above)"
  fi
  mv "$tmp" "$jaeger_bin"
  rm -f "$log"
}

stop_build() {
  local pid=$1 tmp=$2 log=$3
  echo "backends: interrupted; stopping the jaeger build" >&2
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$tmp" "$log"
  echo "backends: nothing half-built is left; run 'make backends' again to build jaeger" >&2
  exit 130
}

# The official Go tarball's place, in case it is installed but not on PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"

start_all=$(now)

start=$(now)
if [[ -s "$zipkin_jar" ]]; then
  echo "backends: zipkin-server ${ZIPKIN_VERSION} already in $zipkin_jar"
else
  need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
  need mvn "install Maven (Debian: apt-get install maven)"
  echo "backends: fetching io.zipkin:zipkin-server:${ZIPKIN_VERSION} (exec jar) from Maven Central"
  # Download next to the target and rename, so an interrupted fetch never looks complete.
  mkdir -p "$cache_dir"
  tmp_dir=$(mktemp -d "$cache_dir/zipkin-fetch.XXXXXX")
  trap 'rm -rf "$tmp_dir" "$tmp_dir.log"' EXIT
  # Maven's output is kept out of the way unless it fails.
  if ! mvn -q -B -Dstyle.color=never dependency:copy \
    "-Dartifact=io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec" \
    "-DoutputDirectory=$tmp_dir" >"$tmp_dir.log" 2>&1; then
    cat "$tmp_dir.log" >&2
    die "mvn could not fetch io.zipkin:zipkin-server:${ZIPKIN_VERSION} (output above)"
  fi
  mkdir -p "$(dirname "$zipkin_jar")"
  mv "$tmp_dir/$(basename "$zipkin_jar")" "$zipkin_jar"
  rm -rf "$tmp_dir" "$tmp_dir.log"
  trap - EXIT
fi
echo "backends: zipkin ready ($(took "$start"))"

start=$(now)
if [[ -d "$kafka_dir/libs" ]] && cmp -s "$kafka_pom" "$kafka_dir/pom.xml"; then
  echo "backends: kafka already in $kafka_dir/libs"
else
  need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
  need mvn "install Maven (Debian: apt-get install maven)"
  echo "backends: fetching the Kafka broker (pinned in $kafka_pom) from Maven Central"
  # Into a temporary folder, renamed once complete: an interrupted fetch never looks done.
  mkdir -p "$kafka_dir"
  tmp_dir=$(mktemp -d "$kafka_dir/fetch.XXXXXX")
  trap 'rm -rf "$tmp_dir" "$tmp_dir.log"' EXIT
  libs_out="$tmp_dir/libs"
  [[ "$libs_out" == /* ]] || libs_out="$root/$libs_out"
  if ! mvn -q -B -Dstyle.color=never -f "$kafka_pom" dependency:copy-dependencies \
    -DincludeScope=runtime "-DoutputDirectory=$libs_out" >"$tmp_dir.log" 2>&1; then
    cat "$tmp_dir.log" >&2
    die "mvn could not fetch the Kafka jars of $kafka_pom (output above)"
  fi
  cp "$kafka_pom" "$tmp_dir/pom.xml"
  rm -rf "$kafka_dir/libs.old"
  [[ -d "$kafka_dir/libs" ]] && mv "$kafka_dir/libs" "$kafka_dir/libs.old"
  mv "$tmp_dir/libs" "$kafka_dir/libs"
  mv "$tmp_dir/pom.xml" "$kafka_dir/pom.xml"
  rm -rf "$kafka_dir/libs.old" "$tmp_dir" "$tmp_dir.log"
  trap - EXIT
  echo "backends: kafka: $(find "$kafka_dir/libs" -name '*.jar' | wc -l) jars, $(du -sh "$kafka_dir/libs" | cut -f1)"
fi
echo "backends: kafka ready ($(took "$start"))"

start=$(now)
fresh=1
for input in backends/jaeger/go.mod backends/jaeger/go.sum backends/versions.env; do
  [[ -x "$jaeger_bin" && "$jaeger_bin" -nt "$input" ]] || fresh=0
done
if ((fresh)); then
  echo "backends: jaeger already built in $jaeger_bin"
else
  need go "install Go 1.24+ (https://go.dev/doc/install; Debian's golang package is too old)"
  echo "backends: building jaeger ${JAEGER_VERSION} (github.com/jaegertracing/jaeger/cmd/jaeger, pinned in backends/jaeger/go.mod)"
  echo "backends: a cold build takes several minutes (later builds reuse Go's build cache);" \
    "progress every ${progress_every} s"
  mkdir -p "$(dirname "$jaeger_bin")"
  build_jaeger
fi
echo "backends: jaeger ready ($(took "$start"))"

if [[ "$storage" == opensearch ]]; then
  start=$(now)
  if [[ -x "$opensearch_home/bin/opensearch" ]]; then
    echo "backends: opensearch ${OPENSEARCH_VERSION} already in $opensearch_home"
  else
    need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
    need mvn "install Maven (Debian: apt-get install maven)"
    need unzip "install unzip (Debian: apt-get install unzip)"
    # The integration-test build: the bare server and its modules, no security plugin and no
    # bundled JDK (it runs on the system's Java 17).
    artifact="org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip"
    echo "backends: fetching $artifact from Maven Central"
    # Unpacked in a temporary folder and renamed: an interrupted fetch never looks complete.
    mkdir -p "$cache_dir/opensearch"
    tmp_dir=$(mktemp -d "$cache_dir/opensearch/fetch.XXXXXX")
    trap 'rm -rf "$tmp_dir" "$tmp_dir.log"' EXIT
    if ! mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=$artifact" \
      "-DoutputDirectory=$tmp_dir" >"$tmp_dir.log" 2>&1; then
      cat "$tmp_dir.log" >&2
      die "mvn could not fetch $artifact (output above)"
    fi
    unzip -q "$tmp_dir/opensearch-${OPENSEARCH_VERSION}.zip" -d "$tmp_dir/unpacked"
    rm -rf "$opensearch_home"
    mv "$tmp_dir/unpacked/opensearch-${OPENSEARCH_VERSION}" "$opensearch_home"
    rm -rf "$tmp_dir" "$tmp_dir.log"
    trap - EXIT
  fi
  echo "backends: opensearch ready ($(took "$start"))"
fi

need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless); Zipkin runs on it"
echo "backends: all ready in $(took "$start_all")"
