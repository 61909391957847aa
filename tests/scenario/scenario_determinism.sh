#!/usr/bin/env bash
# Same scenario and seed: every result file byte-identical (summary.json but its wall_clock
# object), threaded or with --one-thread (which runs no second thread at all), with the
# trimmed OpenSSL provider or the configured one, for every key type and with hostile eNBs.
# Another seed: other timings.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/../support/same_results.sh"
args=(run --quiet --set scenario.enbs=40 --set backhaul.loss=0.02 --set enb.retry=restart
  --set enb.msg_timeout=0.5s --set raca.workers=1 --set raca.queue_limit=3 --set raca.retry_after=1s
  --set raca.ir_service=100ms)
"$es" "${args[@]}" --seed 11 --out "$tmp/a"
sleep 1.1 # a different wall-clock second must not change anything
"$es" "${args[@]}" --seed 11 --out "$tmp/b" --one-thread
"$es" "${args[@]}" --seed 12 --out "$tmp/c"
cmp "$tmp/a/enrolments.csv" "$tmp/b/enrolments.csv" || fail "same seed, different CSV"
same_results "$tmp/a" "$tmp/b" "threaded against --one-thread"
# The run exercised what can reorder work: back-offs after 503 and restarted transactions.
tail -n +2 "$tmp/a/enrolments.csv" | awk -F, '{ b += $14; r += $15 } END { exit !(b > 0 && r > 0) }' \
  || fail "no busy retries or restarts to be deterministic about"
# Everything wall-clock or host dependent is in summary.json's "wall_clock" object (one
# member per line, no nested objects) and nowhere else: drop exactly that object, compare
# the rest byte for byte.
# (grep reads all of its input: with -q it could exit early, and sed's SIGPIPE fail the pipe.)
for r in a b; do
  grep -q '^  "wall_clock": {$' "$tmp/$r/summary.json" || fail "no wall_clock object in summary.json"
  strip_wall "$tmp/$r/summary.json" >"$tmp/stripped" # (grep -q on a pipe: SIGPIPE under pipefail)
  grep -q '"latency_s"' "$tmp/stripped" || fail "stripping wall_clock removed more"
  if grep -q -e wall_time -e started_at "$tmp/stripped"; then fail "wall-clock field outside wall_clock"; fi
done
diff <(strip_wall "$tmp/a/summary.json") <(strip_wall "$tmp/b/summary.json") || fail "same seed, different summary"
cmp "$tmp/a/raca_queue.csv" "$tmp/b/raca_queue.csv" || fail "same seed, different RA/CA queue series"
cmp "$tmp/a/pki/operator-root.pem" "$tmp/b/pki/operator-root.pem" || fail "same seed, different PKI"
cmp "$tmp/a/crl.pem" "$tmp/b/crl.pem" || fail "same seed, different CRL"
if cmp -s "$tmp/a/enrolments.csv" "$tmp/c/enrolments.csv"; then fail "another seed gave identical timings"; fi
# Hostile eNBs, revocations and periodic CRLs are drawn from the seed too.
hostile=(run --quiet --set scenario.enbs=40 --set backhaul.loss=0.1 --set enb.msg_timeout=1.5s
  --set raca.confirm_wait=3s --set raca.crl_interval=1s --set hostile.unknown_vendor=0.1
  --set hostile.rogue_raca=0.1 --seed 11)
"$es" "${hostile[@]}" --out "$tmp/h1"
"$es" "${hostile[@]}" --out "$tmp/h2" --one-thread
same_results "$tmp/h1" "$tmp/h2" "hostile eNBs, threaded against --one-thread"
[ "$(wc -l <"$tmp/h1/hostile.csv")" -gt 1 ] || fail "no hostile eNB drawn"
# The other key types: P-384, and RSA-2048 whose pooled keys are shared by both threads.
for key in p384 rsa2048; do
  k=(run --quiet --keep-certs --set scenario.enbs=24 --set pki.key=$key --set enb.key=$key
    --set backhaul.loss=0.02 --seed 3)
  "$es" "${k[@]}" --out "$tmp/$key-a"
  "$es" "${k[@]}" --out "$tmp/$key-b" --one-thread
  same_results "$tmp/$key-a" "$tmp/$key-b" "$key, threaded against --one-thread"
done
# Delayed delivery: exponential approval delays, some answers held back, the rest polled,
# over a lossy backhaul (resent pollReqs).
poll=(run --quiet --set scenario.enbs=40 --set backhaul.loss=0.02 --set raca.approval=exponential
  --set raca.approval_delay=2s --set raca.poll_threshold=0.5s --set raca.check_after=1s --seed 5)
"$es" "${poll[@]}" --out "$tmp/poll-a"
"$es" "${poll[@]}" --out "$tmp/poll-b" --one-thread
same_results "$tmp/poll-a" "$tmp/poll-b" "polling, threaded against --one-thread"
tail -n +2 "$tmp/poll-a/enrolments.csv" | awk -F, '{ p += $NF } END { exit !(p > 0) }' \
  || fail "no polls to be deterministic about"
# A CA outage over a lossy backhaul: eNBs polling through it, restarting lost transactions.
outage=(run --quiet --set scenario.enbs=40 --set backhaul.loss=0.05 --set rollout.window=10s
  --set raca.ca_outages=2s+5s,8s+1s --set raca.check_after=1s --set enb.retry=restart --seed 6)
"$es" "${outage[@]}" --out "$tmp/outage-a"
"$es" "${outage[@]}" --out "$tmp/outage-b" --one-thread
same_results "$tmp/outage-a" "$tmp/outage-b" "CA outage, threaded against --one-thread"
tail -n +2 "$tmp/outage-a/enrolments.csv" | awk -F, '$NF > 0 { n++ } END { exit !(n >= 10) }' \
  || fail "CA outage: too few eNBs polled to be deterministic about"
# RAs in front of a CA over a lossy link, the CA approving late: both hops poll.
split=(run --quiet --set scenario.enbs=40 --set topology.racas=2 --set topology.cas=1
  --set ca_link.loss=0.05 --set backhaul.loss=0.05 --set raca.approval=exponential
  --set raca.approval_delay=1s --set raca.poll_threshold=0.5s --set raca.check_after=1s --seed 7)
"$es" "${split[@]}" --out "$tmp/split-a"
"$es" "${split[@]}" --out "$tmp/split-b" --one-thread
same_results "$tmp/split-a" "$tmp/split-b" "RAs and a CA, threaded against --one-thread"
"$es" "${split[@]}" --out "$tmp/split-c"
same_results "$tmp/split-a" "$tmp/split-c" "RAs and a CA, run twice"
tail -n +2 "$tmp/split-a/enrolments.csv" | awk -F, '$NF > 0 { n++ } END { exit !(n >= 5) }' \
  || fail "RAs and a CA: too few eNBs polled to be deterministic about"
# The trimmed provider (OpenSSL's default provider with the decoders and encoders of EC and
# RSA only) changes no result: the same runs again with an OpenSSL configuration that
# activates the default provider itself, which leaves the filter out.
stock_conf=$(cd "$(dirname "$0")/../support" && pwd)/openssl-stock.cnf
configured() { OPENSSL_CONF="$stock_conf" "$es" "$@"; }
configured "${args[@]}" --seed 11 --out "$tmp/conf"
configured "${hostile[@]}" --out "$tmp/h-conf"
grep -q '"openssl_providers": "trimmed"' "$tmp/a/summary.json" || fail "a run without the trimmed provider"
grep -q '"openssl_providers": "configured"' "$tmp/conf/summary.json" \
  || fail "OPENSSL_CONF activating the default provider: still trimmed"
# Narrowed to the run's key type: its four DER decoders (test_provider checks which); none
# counted when the configuration's providers serve.
decoders() { grep -Eq "\"openssl_decoders\": $2([^0-9]|\$)" "$1/summary.json"; }
decoders "$tmp/a" 4 || fail "a P-256 run not narrowed to EC's decoders"
decoders "$tmp/rsa2048-a" 4 || fail "an RSA-2048 run not narrowed to RSA's decoders"
decoders "$tmp/conf" 0 || fail "configured providers counted as the filter's"
same_results "$tmp/a" "$tmp/conf" "trimmed against configured providers"
same_results "$tmp/h1" "$tmp/h-conf" "hostile eNBs, trimmed against configured providers"
for key in p384 rsa2048; do
  configured run --quiet --keep-certs --set scenario.enbs=24 --set pki.key=$key --set enb.key=$key \
    --set backhaul.loss=0.02 --seed 3 --out "$tmp/$key-conf"
  same_results "$tmp/$key-a" "$tmp/$key-conf" "$key, trimmed against configured providers"
done
# TLS 1.3 and 1.2: the handshakes' groups and signature algorithms come from the provider.
for v in 1.3 1.2; do
  tls=(run --quiet --set scenario.enbs=12 --set transport.tls=true --set transport.tls_version=$v
    --set pki.key=rsa2048 --set backhaul.loss=0.02 --seed 4)
  "$es" "${tls[@]}" --out "$tmp/tls$v-a"
  configured "${tls[@]}" --out "$tmp/tls$v-conf"
  same_results "$tmp/tls$v-a" "$tmp/tls$v-conf" "TLS $v, trimmed against configured providers"
done
# --one-thread means one thread: watch a longer run's task count.
"$es" run --quiet --one-thread --set scenario.enbs=600 --set rollout.window=5s --out "$tmp/one" &
pid=$!
most=0
while kill -0 $pid 2>/dev/null; do
  # The run may end between the check and the listing: no tasks then, not a failure.
  n=$({ ls /proc/$pid/task 2>/dev/null || true; } | wc -l)
  [ "$n" -gt "$most" ] && most=$n
  sleep 0.05
done
wait $pid || fail "the --one-thread run failed"
[ "$most" -eq 1 ] || fail "--one-thread ran $most threads"
echo "scenario_determinism: identical for one seed, different for another"
