# What the scenario scripts share, sourced with the program's path as $1: `es`, a scratch
# folder `tmp` removed on exit, `fail` naming what failed, and `json DIR PATH`, a value of
# DIR/summary.json by its dotted path (a failure when it has none).
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() {
  local v
  v=$(awk -v path="$2" -f "$(dirname "${BASH_SOURCE[0]}")/json_get.awk" "$1/summary.json")
  [ -n "$v" ] || fail "$1: no $2"
  echo "$v"
}
