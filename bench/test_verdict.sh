#!/usr/bin/env bash
# es-bench's exit status: 0 when every target it prints is met, 1 when one is MISSED. Tiny
# scenarios and targets moved out of reach (or to nothing) make it seconds instead of minutes.
# Usage: bench/test_verdict.sh ES_BENCH ENROLSIM
set -uo pipefail
bench=$1 es=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for s in region national; do printf '[scenario]\nname = tiny-%s\nenbs = 8\n' "$s" >"$tmp/$s.ini"; done
common=(--enrolsim "$es" --scenarios "$tmp" --inmem-count 20 --runs 1)

# run NAME EXPECTED-STATUS ES-BENCH-OPTION...: stdout in $tmp/NAME.out, stderr in .err
run() {
  local name=$1 want=$2; shift 2
  "$bench" "${common[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; local st=$?
  [ $st -eq "$want" ] || fail "$name: exit $st, expected $want: $(cat "$tmp/$name.out" "$tmp/$name.err")"
}

# Region, its ratio and idle-eNB targets within reach: met, exit 0; three runs, medians.
run region-met 0 --target-ratio 0 --target-idle-bytes 1e9 --runs 3
[ "$(grep -c '^run [1-3] of 3: in-memory' "$tmp/region-met.out")" -eq 3 ] ||
  fail "region-met: not three runs: $(cat "$tmp/region-met.out")"
grep -q '^ratio simulated / in-memory: .* (target >= 0.0: met)$' "$tmp/region-met.out" ||
  fail "region-met: no met verdict: $(cat "$tmp/region-met.out")"
grep -q 'MISSED' "$tmp/region-met.out" "$tmp/region-met.err" && fail "region-met: MISSED printed"
grep -q '^region: 8 eNBs, 8 enrolled' "$tmp/region-met.out" || fail "region-met: $(cat "$tmp/region-met.out")"
# The baseline names its OpenSSL providers: trimmed, as the run's, unless OPENSSL_CONF
# activates providers itself.
grep -q '^in-memory OpenSSL CMP (client + RA/CA, one process, trimmed OpenSSL providers): ' \
  "$tmp/region-met.out" || fail "region-met: baseline not trimmed: $(cat "$tmp/region-met.out")"
stock_conf=$(cd "$(dirname "$0")/../tests/support" && pwd)/openssl-stock.cnf
OPENSSL_CONF="$stock_conf" "$es" bench-inmem --count 3 >"$tmp/configured.out" 2>&1 ||
  fail "bench-inmem, configured: $(cat "$tmp/configured.out")"
grep -q '^in-memory: 3 enrolments in .*, configured OpenSSL providers)$' "$tmp/configured.out" ||
  fail "bench-inmem, configured: $(cat "$tmp/configured.out")"

# Out of reach: the verdict line says MISSED, and so does the exit status.
run region-missed 1 --target-ratio 1e9 --target-idle-bytes 1e9
grep -q '(target >= 1000000000.0: MISSED)$' "$tmp/region-missed.out" ||
  fail "region-missed: no MISSED verdict: $(cat "$tmp/region-missed.out")"
grep -q '^es-bench: a target was MISSED$' "$tmp/region-missed.err" ||
  fail "region-missed: $(cat "$tmp/region-missed.err")"

# The idle eNB's bytes out of reach alone.
run idle-missed 1 --target-ratio 0 --target-idle-bytes 0
grep -q '^idle eNB: [0-9]* bytes (target <= 0: MISSED;' "$tmp/idle-missed.out" ||
  fail "idle-missed: $(cat "$tmp/idle-missed.out")"

# National: both targets met, then each missed alone.
run national-met 0 --only-national --target-national-wall 1e6 --target-national-rss 1e3
[ "$(grep -c ': met)' "$tmp/national-met.out")" -eq 2 ] || fail "national-met: $(cat "$tmp/national-met.out")"
run national-wall 1 --only-national --target-national-wall 0 --target-national-rss 1e3
grep -q 'target < 0 s: MISSED' "$tmp/national-wall.out" || fail "national-wall: $(cat "$tmp/national-wall.out")"
run national-rss 1 --only-national --target-national-wall 1e6 --target-national-rss 0
grep -q '(target < 0 GiB: MISSED)' "$tmp/national-rss.out" || fail "national-rss: $(cat "$tmp/national-rss.out")"
echo "bench_verdict: met targets exit 0, a MISSED one exits 1 (region ratio, idle eNB, national wall time and RSS)"
