#!/usr/bin/env bash
# A malformed scenario stops the run before anything runs, with exit status 2 and a message
# naming the file, the line, the key and the reason (and the closest known name to a
# misspelt one); keys the topology type does not read are a warning.
set -uo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect STATUS PATTERN -- ARGS
  local want=$1 pat=$2; shift 3
  "$es" "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, wanted $want: $(cat "$tmp/err")"
  grep -qF -- "$pat" "$tmp/err" || fail "'$*': message lacks '$pat': $(cat "$tmp/err")"
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
# Each mistake in a file is named by file and line; a misspelt name gets the closest one.
printf '[scenario]\nenbs = 10\n# fine\nnot a key line\n' > "$tmp/syntax.ini"
printf '[scenario]\nenbs = 10\n[raca]\nworkers = 2\n[scenario]\nenbs = 20\n' > "$tmp/dup.ini"
printf '[scenario]\nenbs = 10\n\n[backhual]\nlatency = 5ms\n' > "$tmp/section.ini"
printf '[topology]\ntype = file\nfile = nowhere.topo\n' > "$tmp/topo.ini"
expect 2 "$tmp/syntax.ini:4: " -- run --scenario "$tmp/syntax.ini" --out "$tmp/o"
expect 2 "$tmp/typo.ini:2: unknown key [scenario] enbz: did you mean 'scenario.enbs'?" -- \
  run --scenario "$tmp/typo.ini" --out "$tmp/o"
expect 2 "$tmp/section.ini:4: unknown section [backhual]: did you mean 'backhaul.latency'?" -- \
  run --scenario "$tmp/section.ini" --out "$tmp/o"
expect 2 "$tmp/dup.ini:6: [scenario] enbs given twice, first on line 2" -- \
  run --scenario "$tmp/dup.ini" --out "$tmp/o"
expect 2 "--set: unknown key 'sceanrio.enbs': did you mean 'scenario.enbs'?" -- \
  run --set sceanrio.enbs=5 --out "$tmp/o"
# A file a key names, missing: the scenario file, its line and the key say where it was named.
expect 2 "$tmp/topo.ini:3: [topology] file: cannot open 'nowhere.topo' ($tmp/nowhere.topo): No such file or directory" -- \
  run --scenario "$tmp/topo.ini" --out "$tmp/o"
expect 2 "--set: topology.file: cannot open 'nowhere.topo': No such file or directory" -- \
  run --set topology.type=file --set topology.file=nowhere.topo --out "$tmp/o"
# Minutes as min too; the effective scenario still says seconds.
"$es" run --set scenario.stop_time=1.5min --print-scenario >"$tmp/min.ini" 2>"$tmp/err" \
  || fail "1.5min: $(cat "$tmp/err")"
grep -qx "stop_time=90s" "$tmp/min.ini" || fail "1.5min is not written as 90s"
# Keys the topology type does not read warn (the run goes on), even at their defaults.
"$es" run --set national.regions=0 --print-scenario 2>"$tmp/warn" >/dev/null || fail "unused key run"
grep -qF "enrolsim: warning: topology.type is tree, which does not read national.regions (no effect; check topology.type)" \
  "$tmp/warn" || fail "no unused-key warning: $(cat "$tmp/warn")"
# A scenario.ini a run wrote names every key: its national.* keys are one warning under tree.
"$es" run --scenario "$tmp/min.ini" --print-scenario 2>"$tmp/warn" >/dev/null || fail "dump run"
[ "$(cat "$tmp/warn")" = "enrolsim: warning: topology.type is tree, which does not read national.* (no effect; check topology.type)" ] \
  || fail "dump warnings: $(cat "$tmp/warn")"
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
