#!/usr/bin/env bash
# `enrolsim enrol` against `enrolsim serve` over loopback: many eNBs at once, each enrolling,
# renewing and revoking; what the client records agrees with what the server logged, the
# certificates and the CRL. Exit status 1 when the server cannot be reached.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
start_serve "$tmp/served"

n=24
timeout 60 "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --path /pkix/ --enbs $n \
  --concurrency 8 --renew --revoke --reason keyCompromise --keep-certs >"$tmp/enrol.log" 2>&1 \
  || fail "enrol exited $?: $(cat "$tmp/enrol.log")"
grep -q "$n eNBs: $n enrolled, 0 failed, $n renewed, $n revoked" "$tmp/enrol.log" || fail "summary line: $(cat "$tmp/enrol.log")"
grep -q "made 21 device credentials" "$tmp/enrol.log" || fail "missing devices were not made"
[ -s "$pki/devices/enb-$n.key" ] || fail "device credential not saved"
csv=$tmp/run/enrolments.csv
[ "$(wc -l < "$csv")" -eq $((n + 1)) ] || fail "CSV rows"
grep -q '"enrolled": 24' "$tmp/run/summary.json" || fail "summary.json"
grep -q '"holding_revoked": 24' "$tmp/run/summary.json" || fail "summary.json revoked"
tail -n +2 "$csv" | while IFS=, read -r enb start ir ip cc pc done outcome attempts serial revoked _; do
  [ "$outcome" = enrolled ] || fail "eNB $enb: $outcome"
  [ "$revoked" = 1 ] || fail "eNB $enb: not marked revoked"
  # Wall seconds since the start, in protocol order.
  awk -v a="$start" -v b="$ir" -v c="$ip" -v d="$cc" -v e="$pc" -v f="$done" \
    'BEGIN { exit !(a >= 0 && a <= b && b <= c && c <= d && d <= e && e <= f && f < 60) }' || fail "eNB $enb: timeline"
  # The serial is the renewed certificate's; the server logged it as a kur for this eNB,
  # superseding the ir's certificate, and revoked it on request.
  [ "$(serial_of "$tmp/run/certs/enb-$enb.pem")" = "$serial" ] || fail "eNB $enb: CSV serial"
  grep -Eq ",$serial,\"([^\"]*,)?CN=enb-$enb(,[^\"]*)?\",kur," "$tmp/served/issued.csv" || fail "eNB $enb: kur not logged"
  grep -q ",$serial,.*,requested,keyCompromise$" "$tmp/served/revocations.csv" || fail "eNB $enb: rr not logged"
done || exit 1
[ "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" -eq $((2 * n)) ] || fail "issued.csv rows"
[ "$(grep -c ',superseded,superseded$' "$tmp/served/revocations.csv")" -eq $n ] || fail "superseded rows"
ok=$(openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$tmp/served/crl.pem" "$tmp/run"/certs/*.pem 2>&1 | grep -c "certificate revoked")
[ "$ok" -eq $n ] || fail "only $ok of $n revoked certificates rejected with crl.pem"

# implicitConfirm granted: one exchange per eNB, no certConf.
stop_serve
start_serve "$tmp/served-implicit" --confirm implicit
timeout 60 "$es" enrol "$pki" "$tmp/implicit" --server "127.0.0.1:$port" --enbs 6 --concurrency 3 \
  --implicit -q || fail "implicit enrol"
tail -n +2 "$tmp/implicit/enrolments.csv" | cut -d, -f5 | grep -q . && fail "certConf sent although implicitConfirm was granted"
stop_serve

# Nobody listening: every eNB fails with transport_error, exit status 1.
# (a real eNB keeps trying for enb.give_up_after; this one is told to stop at once)
timeout 30 "$es" enrol "$pki" "$tmp/down" --server "127.0.0.1:$port" --enbs 2 --timeout 5s -q \
  --give-up-after 0s
[ $? -eq 1 ] || fail "enrol against a closed port did not exit 1"
[ "$(grep -c ',transport_error,' "$tmp/down/enrolments.csv")" -eq 2 ] || fail "$(cat "$tmp/down/enrolments.csv")"
echo "interop_enrol_serve: $n eNBs enrolled, renewed and revoked against enrolsim serve"
