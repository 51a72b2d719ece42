#!/usr/bin/env bash
# Fetches the Zipkin server jar and the Kafka broker's jars, and builds the Jaeger v2 binary,
# into .cache/ (git-ignored). With STORAGE=opensearch it also fetches the OpenSearch
# distribution (Zipkin's durable storage, scripts/run-opensearch.sh); the default in-memory
# demo does not pay for it.
#
# Idempotent: the Zipkin jar and OpenSearch are kept once downloaded; the Kafka jars are fetched
# again only when backends/kafka/pom.xml (their pins) differs from the copy kept beside them;
# Jaeger is rebuilt only when backends/jaeger/go.mod, go.sum or backends/versions.env (the pins)
# is newer than .cache/bin/jaeger.
# Needs java + mvn (Zipkin, Kafka, OpenSearch), unzip (OpenSearch) and go (Jaeger); a missing
# tool is an error, never a skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../backends/versions.env
source backends/versions.env
# shellcheck source=../backends/storage.env
source backends/storage.env

zipkin_jar=".cache/zipkin/zipkin-server-${ZIPKIN_VERSION}-exec.jar"
jaeger_bin=".cache/bin/jaeger"
kafka_dir=".cache/kafka"
kafka_pom="backends/kafka/pom.xml"
opensearch_home=".cache/opensearch/opensearch-${OPENSEARCH_VERSION}"
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

# The official Go tarball's place, in case it is installed but not on PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"

# Copies one Maven artifact into a fresh $tmp_dir under .cache (removed on exit until
# `fetched`): the caller moves it in place, so an interrupted fetch never looks complete.
fetch() {
  local artifact=$1 name=$2
  echo "backends: fetching $artifact from Maven Central"
  mkdir -p .cache
  tmp_dir=$(mktemp -d ".cache/$name-fetch.XXXXXX")
  trap 'rm -rf "$tmp_dir" "$tmp_dir.log"' EXIT
  # Maven's output is kept out of the way unless it fails.
  if ! mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=$artifact" \
    "-DoutputDirectory=$tmp_dir" >"$tmp_dir.log" 2>&1; then
    cat "$tmp_dir.log" >&2
    die "mvn could not fetch $artifact (output above)"
  fi
}

fetched() {
  rm -rf "$tmp_dir" "$tmp_dir.log"
  trap - EXIT
}

start_all=$(now)

start=$(now)
if [[ -s "$zipkin_jar" ]]; then
  echo "backends: zipkin-server ${ZIPKIN_VERSION} already in $zipkin_jar"
else
  need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
  need mvn "install Maven (Debian: apt-get install maven)"
  fetch "io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec" zipkin
  mkdir -p "$(dirname "$zipkin_jar")"
  mv "$tmp_dir/$(basename "$zipkin_jar")" "$zipkin_jar"
  fetched
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
  if ! mvn -q -B -Dstyle.color=never -f "$kafka_pom" dependency:copy-dependencies \
    -DincludeScope=runtime "-DoutputDirectory=$root/$tmp_dir/libs" >"$tmp_dir.log" 2>&1; then
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
  echo "backends: a cold build takes several minutes (later builds reuse Go's build cache)"
  mkdir -p .cache/bin
  # Build to a temporary name and rename: a killed build leaves no half-written binary.
  version_pkg=github.com/jaegertracing/jaeger/internal/version
  ldflags="-X $version_pkg.latestVersion=$JAEGER_VERSION -X $version_pkg.commitSHA=$JAEGER_COMMIT"
  (cd backends/jaeger &&
    go build -trimpath -ldflags "$ldflags" -o "$root/$jaeger_bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) ||
    die "go build of jaeger failed"
  mv "$jaeger_bin.tmp" "$jaeger_bin"
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
    # The integration-test build: the bare server with its modules, no security plugin and
    # no bundled JDK (it runs on the system's Java 17).
    fetch "org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip" opensearch
    unzip -q "$tmp_dir/opensearch-${OPENSEARCH_VERSION}.zip" -d "$tmp_dir/unpacked"
    mkdir -p "$(dirname "$opensearch_home")"
    rm -rf "$opensearch_home"
    mv "$tmp_dir/unpacked/opensearch-${OPENSEARCH_VERSION}" "$opensearch_home"
    fetched
  fi
  echo "backends: opensearch ready ($(took "$start"))"
fi

need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless); Zipkin runs on it"
echo "backends: all ready in $(took "$start_all")"
