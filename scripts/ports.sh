# Sourced by the scripts that need the demo's ports: exports each *_PORT of ports.env that the
# environment does not already set.
# shellcheck shell=bash
while IFS='=' read -r _key _value; do
  [[ "$_key" =~ ^[A-Z][A-Z0-9_]*_PORT$ ]] || continue
  export "$_key=${!_key:-$_value}"
done <"$(dirname "${BASH_SOURCE[0]}")/../ports.env"
unset _key _value
