#!/usr/bin/env bash
# The RA/CA capacity model through the program: one worker and a burst (the queue grows one
# service time per place), a full queue (503 + Retry-After: eNBs back off and all enrol),
# exponential service times that are still the same for the same seed, and per-eNB CPU
# profiles.
set -uo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
csv_col() { tail -n +2 "$1" | cut -d, -f"$2"; }
# json DIR PATH: the value at a dotted path of DIR/summary.json.
json() { awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1/summary.json"; }
run() {
  local name=$1; shift
  "$es" run --quiet "$@" --out "$tmp/$name" 2>"$tmp/err" || fail "$name: $(cat "$tmp/err")"
  local bad
  bad=$(csv_col "$tmp/$name/enrolments.csv" 8 | grep -vc '^enrolled$')
  [ "$bad" -eq 0 ] || fail "$name: $bad eNBs not enrolled"
}

# 30 eNBs at t=0 on identical links, one worker, 50 ms per ir: the irs arrive together, so
# the k-th ip leaves k x 50 ms after the first and the last ir waited 29 x 50 ms.
run burst --set scenario.enbs=30 --set rollout.schedule=burst --set raca.workers=1 \
  --set raca.ir_service=50ms
[ "$(json "$tmp/burst" racas.0.max_queue)" = 29 ] || fail "burst: max_queue $(json "$tmp/burst" racas.0.max_queue), want 29"
longest=$(json "$tmp/burst" racas.0.queueing_delay_s.max)
awk -v d="$longest" 'BEGIN { exit !(d > 1.449 && d < 1.451) }' \
  || fail "burst: longest queueing delay $longest, want 1.45 s"
csv_col "$tmp/burst/enrolments.csv" 4 | sort -n |
  awk 'NR > 1 { g = $1 - prev; if (g < 0.0499 || g > 0.0501) exit 1 } { prev = $1 }' \
  || fail "burst: ips not 50 ms apart"

# The same burst of 40 with room for 5 waiting requests: the rest are told 503 Retry-After 2,
# come back no sooner, and everyone enrols; the RA/CA's refusals are the eNBs' busy retries.
run full --set scenario.enbs=40 --set rollout.schedule=burst --set raca.workers=1 \
  --set raca.ir_service=50ms --set raca.queue_limit=5 --set raca.retry_after=2s
refused=$(json "$tmp/full" racas.0.busy_rejections)
[ "$refused" -gt 0 ] || fail "full: no request was refused"
retries=$(csv_col "$tmp/full/enrolments.csv" 14 | awk '{ s += $1 } END { print s }')
[ "$retries" = "$refused" ] || fail "full: $retries busy retries in the CSV, $refused refusals"
[ "$(json "$tmp/full" retransmissions.busy_retries)" = "$refused" ] || fail "full: summary busy_retries"
[ "$(json "$tmp/full" racas.0.max_queue)" -le 5 ] || fail "full: queue grew past its bound"
# Every eNB refused once took at least the 2 s it was told to wait.
paste -d' ' <(csv_col "$tmp/full/enrolments.csv" 2) <(csv_col "$tmp/full/enrolments.csv" 7) \
  <(csv_col "$tmp/full/enrolments.csv" 14) |
  awk '$3 > 0 && $2 - $1 < 2 * $3 { exit 1 }' || fail "full: an eNB came back before Retry-After"

# Exponential service: a different run from fixed, the same one again for the same seed.
run exp1 --set scenario.enbs=30 --set raca.service=exponential --set raca.ir_service=20ms
run exp2 --set scenario.enbs=30 --set raca.service=exponential --set raca.ir_service=20ms
run fixed --set scenario.enbs=30 --set raca.ir_service=20ms
cmp -s "$tmp/exp1/enrolments.csv" "$tmp/exp2/enrolments.csv" || fail "exponential: not deterministic"
! cmp -s "$tmp/exp1/enrolments.csv" "$tmp/fixed/enrolments.csv" || fail "exponential = fixed"
# eNB CPU profiles: keygen + sign (25 ms) before the ir, scaled per eNB by a factor in
# [0.5, 1.5] with enb.cpu_spread=0.5; the same for every eNB without it.
run spread --set scenario.enbs=50 --set enb.cpu_spread=0.5
paste -d' ' <(csv_col "$tmp/spread/enrolments.csv" 2) <(csv_col "$tmp/spread/enrolments.csv" 3) |
  awk '{ d = $2 - $1; if (d < 0.0125 - 1e-6 || d > 0.0375 + 1e-6) exit 1; lo = NR == 1 || d < lo ? d : lo;
         hi = d > hi ? d : hi } END { exit !(hi - lo > 0.01) }' \
  || fail "enb.cpu_spread: times before the ir not spread over 12.5-37.5 ms"
paste -d' ' <(csv_col "$tmp/fixed/enrolments.csv" 2) <(csv_col "$tmp/fixed/enrolments.csv" 3) |
  awk '{ d = $2 - $1; if (d < 0.025 - 1e-6 || d > 0.025 + 1e-6) exit 1 }' \
  || fail "without enb.cpu_spread the time before the ir is not 25 ms"
echo "scenario_capacity: ok"
