#!/usr/bin/env bash
# The shipped small scenario end to end, each rollout schedule and topology type through the
# program, and the bad topologies and rollouts it must refuse before running (exit status 2).
set -uo pipefail
es=$1
src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
csv_col() { tail -n +2 "$1" | cut -d, -f"$2"; } # column of enrolments.csv, one row per eNB

# small.ini: every eNB enrolled, power-on times within the 1 s window; stderr stays clean when
# it is not a terminal (no progress line in logs).
"$es" run --scenario "$src/topologies/scenarios/small.ini" --out "$tmp/small" >"$tmp/out" 2>"$tmp/err" \
  || fail "small.ini: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "small.ini wrote to stderr: $(cat "$tmp/err")"
grep -q '^eNBs: 100, 100 enrolled, 0 failed$' "$tmp/out" || fail "small.ini: $(cat "$tmp/out")"
[ "$(csv_col "$tmp/small/enrolments.csv" 8 | sort -u)" = enrolled ] || fail "small.ini outcomes"
csv_col "$tmp/small/enrolments.csv" 2 | awk '$1 < 0 || $1 >= 1 { exit 1 }' || fail "small.ini start times"
grep -q '^\[rollout\]' "$tmp/small/scenario.ini" || fail "effective scenario lacks [rollout]"

run() { # run NAME ARGS...: a quiet run that must enrol everyone
  local name=$1; shift
  "$es" run --quiet "$@" --out "$tmp/$name" 2>"$tmp/err" || fail "$name: $(cat "$tmp/err")"
  local bad
  bad=$(csv_col "$tmp/$name/enrolments.csv" 8 | grep -vc '^enrolled$')
  [ "$bad" -eq 0 ] || fail "$name: $bad eNBs not enrolled"
}

# ca-outage.ini, 300 of its sites (the whole scenario takes about 35 s): the CA away 600-1200 s.
# An ir sent while it is away is polled for and done after 1200 s; one sent well before is
# not polled for.
run ca-outage --scenario "$src/topologies/scenarios/ca-outage.ini" --set scenario.enbs=300
awk -F, 'NR == 1 { next }
  $3 >= 600 && $3 < 1200 && !($NF > 0 && $7 >= 1200) { print "eNB " $1 ": ir at " $3 ", " $NF " polls, done " $7; bad = 1 }
  $3 < 590 && $NF != 0 { print "eNB " $1 ": ir at " $3 " before the outage, " $NF " polls"; bad = 1 }
  $3 >= 600 && $3 < 1200 { n++ }
  END { exit bad || n < 50 }' "$tmp/ca-outage/enrolments.csv" >&2 || fail "ca-outage.ini: polling around the outage"

# national-xl.ini, its layout at 3,000 of its million sites (es-bench --national-xl runs it
# whole): 200 regions, all ten RA/CAs serving, everyone enrolled.
run national-xl --scenario "$src/topologies/scenarios/national-xl.ini" --set scenario.enbs=3000 \
  --set scenario.stop_time=10min
grep -q '"scenario": "national-xl"' "$tmp/national-xl/summary.json" || fail "national-xl: name"
[ "$(csv_col "$tmp/national-xl/enrolments.csv" 18 | sort -un | wc -l)" -eq 10 ] ||
  fail "national-xl: not ten RA/CAs serving"
grep -q '^regions=200$' "$tmp/national-xl/scenario.ini" || fail "national-xl: not 200 regions"

# Schedules, recorded as start_s.
run burst --set scenario.enbs=40 --set rollout.schedule=burst
[ "$(csv_col "$tmp/burst/enrolments.csv" 2 | sort -u)" = 0.000000 ] || fail "burst: not all at 0"
run waves --set scenario.enbs=30 --set rollout.schedule=waves --set rollout.wave_size=10 \
  --set rollout.wave_period=5s --set rollout.wave_spread=1s
paste -d' ' <(csv_col "$tmp/waves/enrolments.csv" 1) <(csv_col "$tmp/waves/enrolments.csv" 2) |
  awk '{ w = int(($1 - 1) / 10) * 5; if ($2 < w || $2 >= w + 1) exit 1 }' || fail "waves: start outside its wave"
run poisson --set scenario.enbs=40 --set rollout.schedule=poisson --set rollout.rate=20/s
csv_col "$tmp/poisson/enrolments.csv" 2 | awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }' \
  || fail "poisson: arrivals out of order"

# Topologies: a deeper tree with two RA/CAs, the national layout, a file.
run tree --set scenario.enbs=60 --set tree.fanout=2,3 --set topology.racas=2
run national --set scenario.enbs=200 --set topology.type=national --set national.regions=2 \
  --set national.satellite_share=0.05 --set national.fibre_share=0.57
# Satellite sites (270 ms each way) take over half a second; fibre ones well under 0.1 s.
paste -d' ' <(csv_col "$tmp/national/enrolments.csv" 2) <(csv_col "$tmp/national/enrolments.csv" 7) |
  awk '{ d = $2 - $1; if (d > 0.5) slow++ } END { if (slow < 5 || slow > 20) exit 1 }' \
  || fail "national: expected about 10 satellite-slow enrolments"
run file --set topology.type=file --set topology.file="$src/topologies/example.topo" \
  --set scenario.enbs=6

expect2() { # expect2 PATTERN ARGS...: refused with status 2, message has PATTERN, nothing written
  local pat=$1; shift
  "$es" run --quiet "$@" --out "$tmp/refused" >"$tmp/out" 2>"$tmp/err"; local got=$?
  [ "$got" -eq 2 ] || fail "'$*' exited $got, wanted 2: $(cat "$tmp/err")"
  grep -q -- "$pat" "$tmp/err" || fail "'$*': message lacks '$pat': $(cat "$tmp/err")"
  [ ! -e "$tmp/refused" ] || fail "'$*' wrote $tmp/refused"
}
printf 'node core router\nnode ra raca\nnode a enb\nnode b enb\nlink core ra 1Gbps 1ms\nlink core a 1Gbps 1ms\nlink a b 1Gbps 1ms\nlink b core 1Gbps 1ms\n' >"$tmp/loop.topo"
printf 'node core router\nnode ra raca\nnode a enb\nlink core ra 1Gbps 1ms\n' >"$tmp/island.topo"
printf 'node core router\nnode ra raca\nnode a enb\nlink core ra 1Gbps 1ms\nlink core x 1Gbps 1ms\n' >"$tmp/unknown.topo"
printf 'node core router\nnode ra raca\nnode a enb\nlink core ra 1Gbps 1ms\nlink core a 0bps 1ms\n' >"$tmp/rate.topo"
topo() { echo --set topology.type=file --set topology.file="$tmp/$1" --set scenario.enbs="$2"; }
expect2 "loop.topo:8: link b - core closes a loop" $(topo loop.topo 2)
expect2 "island.topo:3: node 'a' is not connected" $(topo island.topo 1)
expect2 "unknown.topo:5: unknown node 'x'" $(topo unknown.topo 1)
expect2 "rate.topo:5: rate must be greater than 0" $(topo rate.topo 1)
expect2 "missing.topo" $(topo missing.topo 1)
expect2 "6 eNBs, but scenario.enbs is 5" --set topology.type=file \
  --set topology.file="$src/topologies/example.topo" --set scenario.enbs=5
expect2 "needs topology.file" --set topology.type=file
expect2 "rollout.window" --set rollout.window=2h
expect2 "last wave" --set rollout.schedule=waves --set rollout.wave_period=1h
expect2 "the last eNB would power on" --set rollout.schedule=poisson --set rollout.rate=6/min
echo "scale_scenarios: small end to end; ca-outage; burst, waves, poisson; tree, national, file; bad input refused"
