#!/usr/bin/env bash
# CI guard: the shipped small scenario must reproduce the committed baseline exactly
# (results/baselines/small); and compare must be able to say no: a changed timing exits 1
# with a table naming it, another scenario or an older format exits 2 with the reason.
set -uo pipefail
es=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
base=$src/results/baselines/small

"$es" run --quiet --scenario "$src/topologies/scenarios/small.ini" --out "$tmp/run" || fail "run exited $?"
"$es" compare --strict "$base" "$tmp/run" >"$tmp/table" 2>&1; st=$?
cat "$tmp/table"
if [ $st -ne 0 ]; then
  echo "The small scenario no longer reproduces its baseline (exit status $st)." >&2
  echo "If the change is intended, regenerate it: results/baselines/regenerate.sh BUILD/enrolsim" >&2
  exit 1
fi
grep -q '^PASS: ' "$tmp/table" || fail "no verdict line"

# A slower p99 in the result: exit 1, the row says WORSE.
sed '0,/"p99": /s/"p99": [0-9.]*/"p99": 99.000000/' "$tmp/run/summary.json" > "$tmp/slower.json"
"$es" compare "$base" "$tmp/slower.json" >"$tmp/out" 2>&1; st=$?
[ $st -eq 1 ] || fail "a slower p99 exited $st: $(cat "$tmp/out")"
grep -Eq '^latency_s\.p99 .* WORSE$' "$tmp/out" || fail "no WORSE row: $(cat "$tmp/out")"
grep -q '^FAIL: 1 of ' "$tmp/out" || fail "verdict line: $(cat "$tmp/out")"
# ...which a tolerance can allow.
"$es" compare "$base" "$tmp/slower.json" --tolerance 'latency_s.*=1000000' >/dev/null || fail "tolerance not applied"
# Wall-clock figures never fail unless asked.
sed 's/"wall_time_s": [0-9.]*/"wall_time_s": 9999.000000/' "$tmp/run/summary.json" > "$tmp/wall.json"
"$es" compare "$base" "$tmp/wall.json" >/dev/null || fail "a wall-clock change failed the comparison"
"$es" compare "$base" "$tmp/wall.json" --tolerance 'wall_clock.wall_time_s=50' >/dev/null; st=$?
[ $st -eq 1 ] || fail "an asked-for wall-clock tolerance exited $st"

# Unusable input: exit 2 with the reason.
expect2() { # expect2 PATTERN ARGS...
  local pat=$1; shift
  "$es" compare "$@" >"$tmp/out" 2>"$tmp/err"; local st=$?
  [ $st -eq 2 ] || fail "'compare $*' exited $st, wanted 2"
  grep -q -- "$pat" "$tmp/err" || fail "'compare $*': message lacks '$pat': $(cat "$tmp/err")"
}
sed 's/^  "scenario": "small"/  "scenario": "region"/' "$tmp/run/summary.json" > "$tmp/region.json"
expect2 "different scenarios" "$base" "$tmp/region.json"
grep -v '"format": ' "$tmp/run/summary.json" > "$tmp/old.json"
expect2 "older summary format" "$base" "$tmp/old.json"
"$es" run --quiet --scenario "$src/topologies/scenarios/small.ini" --set raca.workers=4 \
  --set scenario.enbs=10 --out "$tmp/other" || fail "second run"
expect2 "different parameters" "$base" "$tmp/other"
expect2 "No such file" "$base" "$tmp/nowhere"
expect2 "not a percentage" "$base" "$tmp/run" --tolerance latency_s.p99=lots
echo "results_baseline: small scenario matches its baseline; regressions and bad input refused"
