#!/usr/bin/env bash
# Hostile and broken nodes in a simulated run: eNBs with an unknown vendor's or an expired
# device certificate are refused by the RA/CA with a CMP error and get nothing; eNBs answered
# by a rogue RA/CA refuse its responses; an RA/CA without the cross certificate fails everyone;
# the shipped hostile.ini shows each refusal and revocation cause a simulated run can produce.
set -euo pipefail
# Simulated runs date everything from scenario.epoch (2026-11-01): verify a day later, so the
# result does not depend on the host's date.
at=$(date -u -d 2026-11-02T00:00:00Z +%s)
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# value FILE PATH: the value at a dotted path of summary.json.
value() { awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1"; }

# 1. A share of each hostile class among 80 eNBs.
out=$tmp/hostile
"$es" run --quiet --seed 3 --keep-certs --out "$out" --set scenario.enbs=80 \
  --set hostile.unknown_vendor=0.15 --set hostile.expired_device=0.15 --set hostile.rogue_raca=0.15
head -1 "$out/hostile.csv" | grep -qx 'enb,class' || fail "hostile.csv header"
for c in unknown_vendor expired_device rogue_raca; do
  n=$(grep -c ",$c\$" "$out/hostile.csv" || true)
  [ "$n" -gt 0 ] || fail "no eNB drawn as $c"
  [ "$(value "$out/summary.json" "hostile.$c.enbs")" -eq "$n" ] || fail "summary hostile.$c.enbs is not $n"
  [ "$(value "$out/summary.json" "hostile.$c.enrolled")" -eq 0 ] || fail "a $c eNB enrolled"
done
# Each eNB's outcome names why; refused eNBs were issued nothing, rogue-answered ones hold nothing.
awk -F, '
  FILENAME == ARGV[1] { if (FNR > 1) class[$1] = $2; next }
  FNR == 1 { next }
  {
    c = ($1 in class) ? class[$1] : "none"
    want = c == "none" ? "enrolled" : c == "rogue_raca" ? "response_unverified" : "rejected_by_raca"
    if ($8 != want) { print "eNB " $1 " (" c "): " $8 ", wanted " want; bad = 1 }
    if (c != "none" && c != "rogue_raca" && $10 != "") { print "eNB " $1 " (" c ") was issued " $10; bad = 1 }
    if (c == "none") genuine++
  }
  END { print genuine > "/dev/stderr"; exit bad }' "$out/hostile.csv" "$out/enrolments.csv" 2>"$tmp/genuine" \
  || fail "outcomes of hostile eNBs: $(cat "$tmp/genuine")"
genuine=$(tail -1 "$tmp/genuine")
for enb in $(awk -F, 'NR > 1 { print $1 }' "$out/hostile.csv"); do
  [ ! -e "$out/certs/enb-$enb.pem" ] || fail "hostile eNB $enb holds a certificate"
done
issued=$(awk -v path=certificates.issued -f "$(dirname "$0")/../support/json_get.awk" "$out/summary.json")
[ "$issued" -eq "$genuine" ] || fail "the RA/CA issued $issued certificates for $genuine genuine eNBs"
rogue=$(grep -c ',rogue_raca$' "$out/hostile.csv")
[ "$(value "$out/summary.json" hostile.rogue_raca.issued_by_rogue)" -eq "$rogue" ] \
  || fail "the rogue RA/CA did not answer each of its $rogue eNBs"
# Nothing the rogue issued reaches the operator's CRL; nothing genuine was revoked.
[ "$(tail -n +2 "$out/revocations.csv" | wc -l)" -eq 0 ] || fail "revocations in a run without loss"
[ "$(openssl verify -attime "$at" -crl_check -CAfile "$out/pki/operator-root.pem" -CRLfile "$out/crl.pem" "$out"/certs/*.pem | grep -c ': OK$')" -eq "$genuine" ] \
  || fail "genuine certificates do not verify"

# 2. The late-binding misconfiguration: an RA/CA without the cross certificate. Every eNB
#    refuses its ip; every certificate it issued is revoked when confirm-wait runs out.
out=$tmp/nocross
"$es" run --quiet --seed 3 --keep-certs --out "$out" --set scenario.enbs=20 --set raca.cross=false \
  --set raca.confirm_wait=3s
n=$(awk -F, 'NR > 1 && $8 == "response_unverified"' "$out/enrolments.csv" | wc -l)
[ "$n" -eq 20 ] || fail "raca.cross=false: $n of 20 eNBs failed response_unverified"
[ -z "$(ls "$out/certs")" ] || fail "raca.cross=false: an eNB holds a certificate"
[ "$(awk -F, 'NR > 1 && $3 == "confirm_timeout"' "$out/revocations.csv" | wc -l)" -eq 20 ] \
  || fail "raca.cross=false: not every issued certificate revoked at confirm-wait"
[ "$(openssl crl -in "$out/crl.pem" -noout -text | grep -c 'Serial Number:')" -eq 20 ] \
  || fail "raca.cross=false: the CRL does not list the 20 certificates"

# 3. The shipped hostile scenario: loss, corrupted segments, renewals, periodic CRLs and every
#    hostile class. It shows each refusal (for the class it is meant for) and each revocation
#    cause a simulated run can produce, and no other cause (README, "Shipped scenarios").
out=$tmp/shipped
"$es" run --quiet --scenario "$(dirname "$0")/../../topologies/scenarios/hostile.ini" --out "$out"
for c in unknown_vendor expired_device rogue_raca forger replayer; do
  [ "$(value "$out/summary.json" "hostile.$c.enbs")" -gt 0 ] || fail "hostile.ini: no $c eNB"
  case $c in forger | replayer) continue ;; esac # they enrol as usual
  [ "$(value "$out/summary.json" "hostile.$c.enrolled")" -eq 0 ] || fail "hostile.ini: a $c eNB enrolled"
done
awk -F, '
  FILENAME == ARGV[1] { if (FNR > 1) class[$1] = $2; next }
  FNR > 1 && ($1 in class) { seen[class[$1] ":" $8] = 1 }
  END {
    n = split("unknown_vendor:rejected_by_raca expired_device:rejected_by_raca rogue_raca:response_unverified", want, " ")
    for (i = 1; i <= n; i++) if (!(want[i] in seen)) { print want[i]; bad = 1 }
    exit bad
  }' "$out/hostile.csv" "$out/enrolments.csv" >"$tmp/missing" \
  || fail "hostile.ini: no eNB of class:outcome $(cat "$tmp/missing")"
# certconf_failed needs a certConf that authenticates yet fails; a corrupted one no longer
# authenticates as its eNB's, so it is refused and its transaction left to confirm-wait.
causes="confirm_timeout superseded"
for r in $causes; do
  grep -q "^[^,]*,[^,]*,$r," "$out/revocations.csv" || fail "hostile.ini: no $r revocation"
  [ "$(value "$out/summary.json" "certificates.revoked_by_reason.$r")" -gt 0 ] \
    || fail "hostile.ini: summary certificates.revoked_by_reason.$r is 0"
done
other=$(awk -F, -v causes=" $causes " 'NR > 1 && index(causes, " " $3 " ") == 0 { print $3 }' "$out/revocations.csv" | sort -u)
[ -z "$other" ] || fail "hostile.ini: revocations for $other, which the README says it cannot show"
[ "$(tail -n +2 "$out/revocations.csv" | wc -l)" -eq "$(value "$out/summary.json" certificates.revoked)" ] \
  || fail "hostile.ini: certificates.revoked is not the rows of revocations.csv"
[ "$(value "$out/summary.json" crl.published)" -gt 2 ] || fail "hostile.ini: no periodic CRLs"
openssl crl -in "$out/crl.pem" -CAfile "$out/pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' \
  || fail "hostile.ini: CRL signature"

# The forgers and replayers struck, and achieved nothing.
for c in forger replayer; do
  [ "$(value "$out/summary.json" "hostile.$c.victims")" -gt 0 ] || fail "hostile.ini: the ${c}s struck nobody"
  [ "$(value "$out/summary.json" "hostile.$c.disrupted")" -eq 0 ] || fail "hostile.ini: a $c disrupted an enrolment"
  [ "$(value "$out/summary.json" "hostile.$c.issued_to_attacker")" -eq 0 ] || fail "hostile.ini: a $c got a certificate"
done

# 3b. The same with raca.harden=false, the RA/CA as it was: forged certConf and ir revoke their
#     victims' certificates (certconf_failed, confirm_timeout); each replayed ir is issued a
#     certificate, and in implicit mode it supersedes its victim's.
out=$tmp/unhardened
"$es" run --quiet --scenario "$(dirname "$0")/../../topologies/scenarios/hostile.ini" --out "$out" \
  --set raca.harden=false
[ "$(value "$out/summary.json" hostile.forger.disrupted)" -gt 0 ] || fail "raca.harden=false: the forgers disrupted nothing"
[ "$(value "$out/summary.json" hostile.replayer.issued_to_attacker)" -gt 0 ] || fail "raca.harden=false: no replay was issued a certificate"
[ "$(value "$out/summary.json" certificates.revoked_by_reason.certconf_failed)" -gt 0 ] \
  || fail "raca.harden=false: no certconf_failed revocation"
out=$tmp/unhardened-implicit
"$es" run --quiet --scenario "$(dirname "$0")/../../topologies/scenarios/hostile.ini" --out "$out" \
  --set raca.harden=false --set raca.confirm=implicit
[ "$(value "$out/summary.json" hostile.replayer.disrupted)" -gt 0 ] || fail "raca.harden=false, implicit: the replayers disrupted nothing"
out=$tmp/hardened-implicit
"$es" run --quiet --scenario "$(dirname "$0")/../../topologies/scenarios/hostile.ini" --out "$out" \
  --set raca.confirm=implicit
[ "$(value "$out/summary.json" hostile.replayer.disrupted)" -eq 0 ] && [ "$(value "$out/summary.json" hostile.replayer.issued_to_attacker)" -eq 0 ] \
  || fail "implicit: a replayer achieved something"

# 4. What hostile.ini cannot show: an eNB refuses a certificate from the genuine RA/CA only when
#    it has expired on arrival (here valid for a second, over 250 ms links): cert_rejected, and
#    the RA/CA revokes it as rejected_by_enb.
out=$tmp/expiring
"$es" run --quiet --seed 3 --out "$out" --set scenario.enbs=20 --set pki.cert_validity=1s \
  --set backhaul.latency=250ms
refused=$(awk -F, 'NR > 1 && $8 == "cert_rejected"' "$out/enrolments.csv" | wc -l)
[ "$refused" -gt 0 ] || fail "pki.cert_validity=1s: no eNB refused a certificate expired on arrival"
[ "$(awk -F, 'NR > 1 && $3 == "rejected_by_enb" && $4 == "cessationOfOperation"' "$out/revocations.csv" | wc -l)" -eq "$refused" ] \
  || fail "pki.cert_validity=1s: not each refused certificate revoked as rejected_by_enb"
echo "scenario_hostile: $genuine genuine eNBs enrolled, every hostile one refused for its reason"
