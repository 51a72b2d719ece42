#!/usr/bin/env bash
# Installs the Debian packages the tests need (called by .ci/run before `make test`).
#
# Quiet and quick when everything is present: `apt-get update` runs only when a package
# is missing. To add a package, append "<command> <debian-package>" to the list below.
set -euo pipefail

# command-on-PATH  debian-package
wanted=(
  "docker-compose docker-compose"
  "java openjdk-17-jre-headless"
  "mvn maven"
  "unzip unzip"
  "chromium chromium"
)

missing=()
for entry in "${wanted[@]}"; do
  read -r cmd pkg <<<"$entry"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 || {
    echo "system-deps: need root (or sudo) to install ${missing[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: installed ${missing[*]}"
