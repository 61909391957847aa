#!/usr/bin/env bash
# Same scenario and seed: byte-identical enrolments.csv and a summary.json that differs only
# in wall-clock fields. Another seed: other timings.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
args=(run --quiet --set scenario.enbs=40 --set backhaul.loss=0.02)
"$es" "${args[@]}" --seed 11 --out "$tmp/a"
sleep 1.1 # a different wall-clock second must not change anything
"$es" "${args[@]}" --seed 11 --out "$tmp/b"
"$es" "${args[@]}" --seed 12 --out "$tmp/c"
cmp "$tmp/a/enrolments.csv" "$tmp/b/enrolments.csv" || fail "same seed, different CSV"
# Everything wall-clock or host dependent is in summary.json's "wall_clock" object (one
# member per line, no nested objects) and nowhere else: drop exactly that object, compare
# the rest byte for byte.
strip_wall() { sed '/^  "wall_clock": {$/,/^  },\{0,1\}$/d' "$1"; }
for r in a b; do
  grep -q '^  "wall_clock": {$' "$tmp/$r/summary.json" || fail "no wall_clock object in summary.json"
  # grep without -q: with pipefail, grep -q quitting early makes sed die of SIGPIPE once
  # summary.json outgrows one write (it did when the link impairment keys came).
  strip_wall "$tmp/$r/summary.json" | grep '"latency_s"' >/dev/null || fail "stripping wall_clock removed more"
  if strip_wall "$tmp/$r/summary.json" | grep -e wall_time -e started_at >/dev/null; then fail "wall-clock field outside wall_clock"; fi
done
diff <(strip_wall "$tmp/a/summary.json") <(strip_wall "$tmp/b/summary.json") || fail "same seed, different summary"
cmp "$tmp/a/raca_queue.csv" "$tmp/b/raca_queue.csv" || fail "same seed, different RA/CA queue series"
cmp "$tmp/a/pki/operator-root.pem" "$tmp/b/pki/operator-root.pem" || fail "same seed, different PKI"
cmp "$tmp/a/crl.pem" "$tmp/b/crl.pem" || fail "same seed, different CRL"
if cmp -s "$tmp/a/enrolments.csv" "$tmp/c/enrolments.csv"; then fail "another seed gave identical timings"; fi
echo "scenario_determinism: identical for one seed, different for another"
