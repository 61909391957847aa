#!/usr/bin/env bash
# A malformed scenario stops the run before anything runs, with exit status 2 and a message
# naming the file, the key and the reason.
set -uo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect STATUS PATTERN -- ARGS
  local want=$1 pat=$2; shift 3
  "$es" "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, wanted $want: $(cat "$tmp/err")"
  grep -q -- "$pat" "$tmp/err" || fail "'$*': message lacks '$pat': $(cat "$tmp/err")"
  [ ! -e "$tmp/o/enrolments.csv" ] || fail "'$*' wrote results"
}
printf '[scenario]\nenbs = 10\n[backhaul]\nlatency = 20\n' > "$tmp/nounit.ini"
printf '[scenario]\nenbz = 10\n' > "$tmp/typo.ini"
printf '[raca]\nconfirm = sometimes\n' > "$tmp/confirm.ini"
expect 2 "nounit.ini" -- run --scenario "$tmp/nounit.ini" --out "$tmp/o"
expect 2 "latency" -- run --scenario "$tmp/nounit.ini" --out "$tmp/o"
expect 2 "enbz" -- run --scenario "$tmp/typo.ini" --out "$tmp/o"
expect 2 "confirm" -- run --scenario "$tmp/confirm.ini" --out "$tmp/o"
expect 2 "missing.ini" -- run --scenario "$tmp/missing.ini" --out "$tmp/o"
expect 2 "backhaul.loss" -- run --set backhaul.loss=1.5 --out "$tmp/o"
expect 2 "nosuch" -- run --set nosuch.key=1 --out "$tmp/o"
expect 2 "unknown command" -- frobnicate
"$es" --help | grep -q "run" || fail "--help"
"$es" run --help | grep -q -- "--keep-certs" || fail "run --help"
echo "scenario_bad_input: every malformed input refused with exit 2"
