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
# Legal but likely not meant: a confirm wait shorter than the certConf resend window warns.
"$es" run --set raca.confirm_wait=20s --print-scenario 2>"$tmp/warn" >/dev/null || fail "warning run"
grep -q "warning: raca.confirm_wait (20s) is shorter than an eNB's certConf resend window" "$tmp/warn" \
  || fail "no confirm_wait warning: $(cat "$tmp/warn")"
"$es" run --print-scenario 2>"$tmp/warn" >/dev/null && [ ! -s "$tmp/warn" ] || fail "defaults warn"
# serve and enrol refuse a bad value as the scenario key it sets, naming the option.
expect 2 "confirm-wait: raca.confirm_wait" -- serve "$tmp/nopki" --confirm-wait 5
expect 2 "timeout: enb.msg_timeout" -- enrol "$tmp/nopki" --server 127.0.0.1:1 --timeout 0s
"$es" --help | grep -q "run" || fail "--help"
"$es" run --help | grep -q -- "--keep-certs" || fail "run --help"
echo "scenario_bad_input: every malformed input refused with exit 2"
