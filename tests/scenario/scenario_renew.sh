#!/usr/bin/env bash
# Scheduled renewal in a simulated run (enb.renew_after): every eNB enrols, then renews with a
# kur protected by its operator certificate; the certificates kept are the renewed ones, the
# replaced ones are on the CRL as superseded, and the run stays deterministic.
set -euo pipefail
# Simulated runs date everything from scenario.epoch (2026-11-01): verify a day later, so the
# result does not depend on the host's date.
at=$(date -u -d 2026-11-02T00:00:00Z +%s)
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
args=(run --quiet --set scenario.enbs=16 --set enb.renew_after=10s --seed 5 --keep-certs)
"$es" "${args[@]}" --out "$tmp/a"
"$es" "${args[@]}" --out "$tmp/b"
out=$tmp/a
pki=$out/pki

grep -q '"enrolled": 16' "$out/summary.json" || fail "not all enrolled: $(cat "$out/summary.json")"
grep -q '"holding_revoked": 0' "$out/summary.json" || fail "a kept certificate was revoked"
grep -q 'renew_after' "$out/scenario.ini" || fail "effective scenario lacks enb.renew_after"
n=$(openssl crl -in "$out/crl.pem" -noout -text | grep -c 'Superseded')
[ "$n" -eq 16 ] || fail "CRL lists $n superseded certificates, expected 16"
ok=$(openssl verify -attime "$at" -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$out"/certs/*.pem | grep -c ': OK$')
[ "$ok" -eq 16 ] || fail "only $ok of 16 renewed certificates verify with the CRL"
epoch=$(date -u -d 2026-11-01T00:00:10Z +%s)
tail -n +2 "$out/enrolments.csv" | while IFS=, read -r enb start ir ip cc pc done outcome attempts serial revoked _; do
  c=$out/certs/enb-$enb.pem
  [ "$outcome" = enrolled ] || fail "eNB $enb: $outcome"
  [ "$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)" = "$serial" ] || fail "eNB $enb: CSV serial is not the renewed certificate's"
  # Issued by the kur, at least renew_after (10 s) after the enrolment.
  nb=$(date -u -d "$(openssl x509 -in "$c" -noout -startdate | cut -d= -f2)" +%s)
  [ "$nb" -ge "$epoch" ] || fail "eNB $enb: certificate dated before the renewal"
  case "$(openssl x509 -in "$c" -noout -subject)" in *"CN = enb-$enb"*) ;; *) fail "eNB $enb: subject changed";; esac
done
cmp "$tmp/a/enrolments.csv" "$tmp/b/enrolments.csv" || fail "same seed, different CSV"
cmp "$tmp/a/crl.pem" "$tmp/b/crl.pem" || fail "same seed, different CRL"

# renew_after beyond the stop time: nothing renews, nothing is superseded.
"$es" run --quiet --set scenario.enbs=4 --set enb.renew_after=1h --set scenario.stop_time=60s --out "$tmp/late"
[ "$(openssl crl -in "$tmp/late/crl.pem" -noout -text | grep -c 'Serial Number')" -eq 0 ] || fail "renewal after the stop time"
echo "scenario_renew: 16 eNBs enrolled and renewed by kur, deterministic"
