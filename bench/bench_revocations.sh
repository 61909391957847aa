#!/usr/bin/env bash
# Revocation at a cost that does not grow with the CRL: `enrolsim enrol` re-enrols eNBs against
# `enrolsim serve` (each confirmed ir of a subject that holds a certificate revokes the old one
# as superseded, so the CRL grows by one per re-enrolment), once with no revocation on record
# and once with REVOCATIONS (10,000) on record. The revocations are made the same way, by
# rounds of re-enrolment through serve, its database and its CRL; serve is restarted before
# the loaded round, so it resumes them from raca.db. Prints both rates and their ratio; exits
# 1 when the loaded rate is below 0.8x the other. Run it on an idle machine (a few minutes).
#   bench/bench_revocations.sh [ENROLSIM]     Sizes: BENCH_ENBS (1000), BENCH_REVOCATIONS (10000)
set -uo pipefail
es=${1:-build/enrolsim}
enbs=${BENCH_ENBS:-1000}
revocations=${BENCH_REVOCATIONS:-10000}
tmp=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench_revocations: $*" >&2; exit 2; }

# Device credentials made here, not while the clock runs.
"$es" pki init "$tmp/pki" --devices "$enbs" >/dev/null || fail "pki init"

start_serve() { # OUT_DIR
  rm -f "$tmp/port"
  "$es" serve "$tmp/pki" "$1" --listen 127.0.0.1:0 --port-file "$tmp/port" -q >>"$1.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  [ -s "$tmp/port" ] || fail "serve did not start: $(cat "$1.log")"
  port=$(cat "$tmp/port")
}
stop_serve() { kill "$serve_pid"; wait "$serve_pid"; serve_pid=; }
round=0
rate=
enrol_round() { # enrols eNBs 1..$enbs once; sets rate (per s)
  round=$((round + 1))
  timeout 900 "$es" enrol "$tmp/pki" "$tmp/run-$round" --server "127.0.0.1:$port" --enbs "$enbs" \
    --concurrency 16 >"$tmp/enrol-$round.log" 2>&1 || fail "enrol round $round: $(tail -3 "$tmp/enrol-$round.log")"
  rate=$(sed -n 's/.* in \([0-9.]*\) s: \([0-9.]*\) per s.*/\2/p' "$tmp/enrol-$round.log" | tail -1)
}
revoked_in() { echo $(($(wc -l <"$1/revocations.csv") - 1)); }

# None on record: a first round enrols (no revocation), the measured second re-enrols.
start_serve "$tmp/empty"
enrol_round
enrol_round
rate_none=$rate
stop_serve
printf 're-enrolment with %6d revocations on record: %8.1f per s\n' 0 "$rate_none"

# REVOCATIONS on record, by rounds of re-enrolment; then serve restarts on its database.
start_serve "$tmp/full"
enrol_round
while [ "$(revoked_in "$tmp/full")" -lt "$revocations" ]; do enrol_round; done
stop_serve
on_record=$(revoked_in "$tmp/full")
t0=$(date +%s%N)
start_serve "$tmp/full"
resume_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
enrol_round
rate_full=$rate
stop_serve
crl_entries=$(openssl crl -in "$tmp/full/crl.pem" -noout -text | grep -c "Serial Number:")
printf 're-enrolment with %6d revocations on record: %8.1f per s   (serve resumed them in %s s; CRL at the end: %d entries)\n' \
  "$on_record" "$rate_full" "$resume_s" "$crl_entries"

ratio=$(awk -v a="$rate_full" -v b="$rate_none" 'BEGIN { printf "%.2f", a / b }')
if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.8) }'; then
  echo "ratio $ratio (target >= 0.80): met"
  exit 0
fi
echo "ratio $ratio (target >= 0.80): MISSED"
exit 1
