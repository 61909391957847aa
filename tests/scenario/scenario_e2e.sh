#!/usr/bin/env bash
# End to end: 50 eNBs enrol over ns-3; every issued certificate, the CRL and the hierarchy
# verify with the openssl CLI; the CSV agrees with the certificates.
set -euo pipefail
# Simulated runs date everything from scenario.epoch (2026-11-01): verify a day later, so the
# result does not depend on the host's date.
at=$(date -u -d 2026-11-02T00:00:00Z +%s)
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/run

"$es" run --quiet --set scenario.enbs=50 --seed 7 --keep-certs --out "$out"

fail() { echo "FAIL: $*" >&2; exit 1; }
grep -q '"total": 50' "$out/summary.json" || fail "summary enbs"
grep -q '"enrolled": 50' "$out/summary.json" || fail "not all 50 enrolled: $(cat "$out/summary.json")"
grep -q '"revoked": 0' "$out/summary.json" || fail "revocations on a clean network"
[ "$(wc -l < "$out/enrolments.csv")" -eq 51 ] || fail "CSV rows"
head -1 "$out/enrolments.csv" | grep -q '^enb,start_s,ir_sent_s,ip_received_s,certconf_sent_s,pkiconf_received_s,done_s,outcome,attempts,serial,revoked' || fail "CSV header"

pki=$out/pki
openssl verify -attime "$at" -CAfile "$pki/vendor-root.pem" "$pki/raca-cross.pem" | grep -q ': OK' || fail "cross certificate"
openssl verify -attime "$at" -CAfile "$pki/operator-root.pem" "$pki/raca.pem" | grep -q ': OK' || fail "RA/CA certificate"
openssl crl -in "$out/crl.pem" -CAfile "$pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' || fail "CRL signature"

n=$(ls "$out/certs" | wc -l)
[ "$n" -eq 50 ] || fail "expected 50 certificates, found $n"
ok=$(openssl verify -attime "$at" -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$out"/certs/*.pem | grep -c ': OK$')
[ "$ok" -eq 50 ] || fail "only $ok of 50 certificates verify against the operator root and CRL"
# Late binding: operator certificates do not chain to the vendor root.
if openssl verify -attime "$at" -CAfile "$pki/vendor-root.pem" "$out/certs/enb-1.pem" >/dev/null 2>&1; then
  fail "an operator certificate verified against the vendor root"
fi

# Each row's serial is the serial of that eNB's certificate.
tail -n +2 "$out/enrolments.csv" | while IFS=, read -r enb start ir ip cc pc done outcome attempts serial revoked _; do
  [ "$outcome" = enrolled ] || fail "eNB $enb: $outcome"
  s=$(openssl x509 -in "$out/certs/enb-$enb.pem" -noout -serial | cut -d= -f2)
  [ "$s" = "$serial" ] || fail "eNB $enb: CSV serial $serial, certificate $s"
  subj=$(openssl x509 -in "$out/certs/enb-$enb.pem" -noout -subject)
  case "$subj" in *"CN = enb-$enb"*) ;; *) fail "eNB $enb: subject $subj";; esac
  awk -v a="$start" -v b="$ir" -v c="$ip" -v d="$cc" -v e="$pc" -v f="$done" \
    'BEGIN { exit !(a < b && b < c && c < d && d < e && e <= f) }' || fail "eNB $enb: timeline out of order"
done
echo "scenario_e2e: 50 eNBs enrolled, certificates and CRL verified"
