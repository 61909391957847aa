#!/usr/bin/env bash
# Revocation after lossy runs: every revocation is one row of revocations.csv and on the final
# CRL with its reason; enrolled eNBs' certificates verify against the root and that CRL and
# are not on it; periodic CRLs come every raca.crl_interval; RA/CAs of a run share one CA;
# so do RAs in front of a CA, under loss on both hops.
set -euo pipefail
# Simulated runs date everything from scenario.epoch (2026-11-01): verify a day later, so the
# result does not depend on the host's date.
at=$(date -u -d 2026-11-02T00:00:00Z +%s)
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# json FILE PATH: the value at a dotted path of summary.json.
json() {
  local v
  v=$(awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1")
  [ -n "$v" ] || fail "$1: no $2"
  echo "$v"
}

# crl_reasons CRL: "serial reason" lines ("none" when listed without a reason code).
crl_reasons() {
  openssl crl -in "$1" -noout -text | awk '
    /Serial Number:/ { s = $3; r[s] = "none"; order[++n] = s; next }
    /CRL Reason Code/ { getline; gsub(/^ +| +$/, ""); r[s] = $0 }
    END { for (i = 1; i <= n; i++) print order[i], r[order[i]] }'
}

# check_run DIR [KEPT]: the invariants every run keeps. KEPT: superseded certificates that
# raca.keep_superseded left unrevoked.
check_run() {
  local out=$1 pki=$1/pki kept=${2:-0}
  openssl crl -in "$out/crl.pem" -CAfile "$pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' \
    || fail "$out: CRL signature"
  head -1 "$out/revocations.csv" | grep -qx 'serial,enb,reason,crl_reason,issued_s,revoked_s,crl_published_s' \
    || fail "$out: revocations.csv header"
  local rows
  rows=$(($(wc -l <"$out/revocations.csv") - 1))
  [ "$rows" -eq "$(json "$out/summary.json" certificates.revoked)" ] \
    || fail "$out: $rows rows in revocations.csv, certificates.revoked $(json "$out/summary.json" certificates.revoked)"
  for r in certconf_failed rejected_by_enb confirm_timeout requested superseded; do
    [ "$(json "$out/summary.json" "certificates.revoked_by_reason.$r")" -eq \
      "$(awk -F, -v r="$r" 'NR > 1 && $3 == r' "$out/revocations.csv" | wc -l)" ] \
      || fail "$out: certificates.revoked_by_reason.$r disagrees with revocations.csv"
  done
  # Every revocation is on the CRL with its reason (unspecified is left out, RFC 5280 5.3.1)
  # and first published no earlier than it happened; the CRL lists nothing else.
  crl_reasons "$out/crl.pem" >"$tmp/reasons"
  awk -F, '
    FILENAME == ARGV[1] { s = $0; sub(/ .*/, "", s); r = $0; sub(/^[^ ]* /, "", r); reason[s] = r; next }
    FNR == 1 { next }
    {
      want = $4 == "unspecified" ? "none" : $4 == "superseded" ? "Superseded" : \
             $4 == "cessationOfOperation" ? "Cessation Of Operation" : \
             $4 == "keyCompromise" ? "Key Compromise" : \
             $4 == "privilegeWithdrawn" ? "Privilege Withdrawn" : $4
      if (!($1 in reason)) { print "revoked serial " $1 " (eNB " $2 ", " $3 ") not on the CRL"; bad = 1 }
      else if (reason[$1] != want) { print "serial " $1 " is on the CRL as " reason[$1] ", revocations.csv says " $4; bad = 1 }
      if (!($5 + 0 <= $6 + 0 && $6 + 0 <= $7 + 0)) { print "serial " $1 ": issued " $5 " revoked " $6 " listed " $7; bad = 1 }
    }
    END { exit bad }' "$tmp/reasons" "$out/revocations.csv" >&2 || fail "$out: revocations.csv and the CRL disagree"
  [ "$(wc -l <"$tmp/reasons")" -eq "$rows" ] || fail "$out: the CRL lists $(wc -l <"$tmp/reasons") serials, revocations.csv $rows"
  # Enrolled eNBs hold an unrevoked certificate. Every issued certificate is held or revoked
  # (or, with raca.keep_superseded, superseded and kept): none is left confirmed for an eNB
  # that never got it.
  awk -F, '
    FILENAME == ARGV[1] { sub(/ .*/, ""); on[$0] = 1; next }
    FNR == 1 { next }
    $8 == "enrolled" { n++; if (($10 in on) || $11 != 0) { print "enrolled eNB " $1 " holds revoked serial " $10 > "/dev/stderr"; bad = 1 } next }
    $5 != "" && $6 == "" && $11 == 0 { lost++ }
    END { print n + 0, lost + 0; exit bad }' "$tmp/reasons" "$out/enrolments.csv" >"$tmp/counts" \
    || fail "$out: an enrolled eNB holds a revoked certificate"
  local enrolled lost issued
  read -r enrolled lost <"$tmp/counts"
  issued=$(awk -v path=certificates.issued -f "$(dirname "$0")/../support/json_get.awk" "$out/summary.json")
  [ "$lost" -eq 0 ] || fail "$out: $lost eNBs sent a certConf and neither enrolled nor had it revoked"
  [ "$issued" -eq $((enrolled + rows + kept)) ] \
    || fail "$out: issued $issued != enrolled $enrolled + revoked $rows + kept $kept"
  [ "$(json "$out/summary.json" certificates.valid_unheld)" -eq "$kept" ] || fail "$out: certificates.valid_unheld"
  [ "$(json "$out/summary.json" enbs.holding_revoked)" -eq 0 ] || fail "$out: enbs.holding_revoked"
  # The summary's counts are the CSV files' rows and columns.
  [ "$(json "$out/summary.json" enbs.enrolled)" -eq "$enrolled" ] || fail "$out: summary enrolled != CSV"
  local c col=12
  for c in cmp_retransmissions tcp_retransmissions busy_retries abandoned raca_duplicates; do
    [ "$(json "$out/summary.json" "retransmissions.$c")" -eq \
      "$(tail -n +2 "$out/enrolments.csv" | cut -d, -f$col | awk '{ s += $1 } END { print s + 0 }')" ] \
      || fail "$out: retransmissions.$c != the CSV column"
    col=$((col + 1))
  done
  if [ "$enrolled" -gt 0 ]; then
    ok=$(openssl verify -attime "$at" -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$out"/certs/*.pem | grep -c ': OK$' || true)
    [ "$ok" -eq "$enrolled" ] || fail "$out: $ok of $enrolled certificates verify with -crl_check"
  fi
  echo "$(basename "$out"): $enrolled enrolled, $rows revoked; $(json "$out/summary.json" crl.published) CRLs"
}

# 1. Lossy access links, a short eNB timeout and confirm-wait: confirm timeouts; a CRL every
#    2 s of simulated time.
"$es" run --quiet --seed 1 --keep-certs --out "$tmp/lossy" --set scenario.enbs=100 \
  --set backhaul.loss=0.12 --set enb.msg_timeout=1.2s --set raca.confirm_wait=5s \
  --set raca.crl_interval=2s --set rollout.window=10s
check_run "$tmp/lossy"
[ "$(json "$tmp/lossy/summary.json" certificates.revoked_by_reason.confirm_timeout)" -gt 0 ] || fail "lossy run: no confirm timeout"
# Periodic CRLs: one per 2 s of simulated time, and one at the end.
last=$(json "$tmp/lossy/summary.json" crl.last_s)
published=$(json "$tmp/lossy/summary.json" crl.published)
want=$(awk -v t="$last" 'BEGIN { print int(t / 2) + 1 }')
[ "$published" -eq "$want" ] || fail "crl.published $published, wanted $want over $last s"
# Each revocation is first listed by the next CRL: the next multiple of 2 s, or the last one.
awk -F, -v last="$last" 'NR > 1 {
    nxt = (int($6 / 2) + 1) * 2; want = nxt <= last ? nxt : last; d = $7 - want
    if (d < -1e-6 || d > 1e-6) { print "serial " $1 " revoked at " $6 " first listed at " $7 ", not " want; bad = 1 }
  } END { exit bad }' "$tmp/lossy/revocations.csv" >&2 || fail "periodic CRL times"
awk -v window="$(json "$tmp/lossy/summary.json" revocations.revocation_to_crl_s.max)" \
    -v lived="$(json "$tmp/lossy/summary.json" revocations.time_to_revocation_s.max)" \
    -v listed="$(json "$tmp/lossy/summary.json" revocations.time_to_crl_s.max)" \
    -v p50="$(json "$tmp/lossy/summary.json" revocations.time_to_revocation_s.p50)" \
    'BEGIN { exit !(window >= 0 && window <= 2.000001 && p50 > 0 && listed >= lived && listed <= lived + window + 1e-6) }' \
  || fail "revocation delays in the summary"

# 2. Without an interval: one CRL, at the end. Renewals (kur) a second after enrolling
#    supersede the first certificates: reason code superseded on the CRL.
"$es" run --quiet --seed 1 --keep-certs --out "$tmp/once" --set scenario.enbs=30 --set enb.renew_after=1s
check_run "$tmp/once"
[ "$(json "$tmp/once/summary.json" crl.published)" -eq 1 ] || fail "raca.crl_interval=0 published more than one CRL"
[ "$(json "$tmp/once/summary.json" certificates.revoked_by_reason.superseded)" -eq 30 ] || fail "30 renewals, not 30 superseded"
crl_reasons "$tmp/once/crl.pem" | grep ' Superseded$' >/dev/null || fail "no reason code on the CRL"
# raca.keep_superseded=true: renewals revoke nothing.
"$es" run --quiet --seed 1 --keep-certs --out "$tmp/keep" --set scenario.enbs=30 --set enb.renew_after=1s \
  --set raca.keep_superseded=true
check_run "$tmp/keep" 30 >/dev/null
[ "$(json "$tmp/keep/summary.json" certificates.revoked)" -eq 0 ] || fail "keep_superseded revoked"

# 3. Three RA/CAs share one CA: serials unique over the run, one CRL with every RA/CA's
#    revocations (eNB k enrols with RA/CA (k-1) mod 3).
"$es" run --quiet --seed 2 --keep-certs --out "$tmp/multi" --set scenario.enbs=30 --set topology.racas=3 \
  --set enb.renew_after=1s
check_run "$tmp/multi"
[ "$(tail -n +2 "$tmp/multi/enrolments.csv" | cut -d, -f10 | sort | uniq -d | wc -l)" -eq 0 ] \
  || fail "serials repeat across RA/CAs"
[ "$(tail -n +2 "$tmp/multi/revocations.csv" | cut -d, -f1 | sort | uniq -d | wc -l)" -eq 0 ] \
  || fail "revoked serials repeat"
racas_on_crl=$(tail -n +2 "$tmp/multi/revocations.csv" | awk -F, '{ print ($2 - 1) % 3 }' | sort -u | wc -l)
[ "$racas_on_crl" -eq 3 ] || fail "the CRL holds revocations of $racas_on_crl RA/CAs, not 3"
for r in 0 1 2; do
  [ "$(json "$tmp/multi/summary.json" "racas.$r.revoked")" -gt 0 ] || fail "RA/CA $r revoked nothing"
done
# 4. Both retry policies at 5 % and 20 % loss and with microwave-like bursts: the same
#    invariants, however many messages were lost and sent again.
for policy in resend restart; do
  for net in loss5:backhaul.loss=0.05 loss20:backhaul.loss=0.2 \
      bursts:backhaul.burst_enter=0.02,backhaul.burst_exit=0.2,backhaul.burst_loss=0.8; do
    name=${net%%:*}
    sets=()
    IFS=, read -ra kv <<<"${net#*:}"
    for k in "${kv[@]}"; do sets+=(--set "$k"); done
    "$es" run --quiet --seed 4 --keep-certs --out "$tmp/$policy-$name" --set scenario.enbs=60 \
      --set enb.retry="$policy" --set rollout.window=5s "${sets[@]}"
    check_run "$tmp/$policy-$name" >/dev/null
    [ "$(json "$tmp/$policy-$name/summary.json" enbs.enrolled)" -eq 60 ] || fail "$policy $name: not all enrolled"
  done
done
# Resent requests reached the RA/CA, which answered them from its cache and said for whom.
[ "$(json "$tmp/resend-loss20/summary.json" retransmissions.raca_duplicates)" -gt 0 ] \
  || fail "resend at 20 % loss: no duplicate attributed to an eNB"
# 5. The CA away 5-15 s of a 20 s rollout over 12 % access loss, eNBs restarting lost
#    transactions: requests in the outage are answered `waiting` and polled for, confirm
#    timeouts and superseded certificates revoked as ever, the same invariants; no
#    certificate, held or revoked, dated inside the outage (notBefore is the issuing second).
"$es" run --quiet --seed 1 --keep-certs --out "$tmp/ca-outage" --set scenario.enbs=100 \
  --set backhaul.loss=0.12 --set enb.msg_timeout=1.2s --set raca.confirm_wait=5s \
  --set rollout.window=20s --set raca.ca_outages=5s+10s --set raca.check_after=1s --set enb.retry=restart
check_run "$tmp/ca-outage" >/dev/null
[ "$(json "$tmp/ca-outage/summary.json" enbs.enrolled)" -eq 100 ] || fail "CA outage: not all enrolled"
[ "$(json "$tmp/ca-outage/summary.json" polls.enrolled_polled)" -gt 30 ] || fail "CA outage: few eNBs polled"
[ "$(json "$tmp/ca-outage/summary.json" certificates.revoked)" -gt 0 ] || fail "CA outage: nothing revoked"
awk -F, 'NR > 1 && $5 >= 5 && $5 < 15 { print "serial " $1 " issued at " $5 " while the CA was away"; bad = 1 }
  END { exit bad }' "$tmp/ca-outage/revocations.csv" >&2 || fail "CA outage: revoked certificate issued in it"
for f in "$tmp/ca-outage"/certs/*.pem; do
  nb=$(date -u -d "$(openssl x509 -in "$f" -noout -startdate | cut -d= -f2)" +%s)
  s=$((nb - $(date -u -d 2026-11-01T00:00:00Z +%s)))
  [ "$s" -lt 5 ] || [ "$s" -ge 15 ] || fail "CA outage: $(basename "$f") issued at second $s, in the outage"
done
# 6. The PKI split: two RAs in front of one CA over a lossy WAN link, 12 % access loss,
#    restarted transactions and the CA away 5-10 s. The RAs issue and revoke nothing; the CA
#    issues every certificate and revokes what the eNBs did not take (told by the RAs'
#    certConfs): the same invariants. Then renewals a second after enrolling, without loss:
#    the CA supersedes every first certificate once the RA passed the eNB's confirmation on.
"$es" run --quiet --seed 3 --keep-certs --out "$tmp/split" --set scenario.enbs=80 \
  --set topology.racas=2 --set topology.cas=1 --set ca_link.loss=0.05 \
  --set backhaul.loss=0.12 --set enb.msg_timeout=1.2s --set raca.confirm_wait=5s \
  --set rollout.window=10s --set raca.ca_outages=5s+5s --set raca.check_after=1s \
  --set raca.poll_threshold=1s --set enb.retry=restart
check_run "$tmp/split"
[ "$(json "$tmp/split/summary.json" enbs.enrolled)" -eq 80 ] || fail "split: not all enrolled"
[ "$(json "$tmp/split/summary.json" cas.0.issued)" -eq "$(json "$tmp/split/summary.json" certificates.issued)" ] \
  || fail "split: the CA did not issue every certificate"
for r in 0 1; do
  [ "$(json "$tmp/split/summary.json" "racas.$r.issued")" -eq 0 ] || fail "split: RA $r issued"
  [ "$(json "$tmp/split/summary.json" "racas.$r.confirmed")" -gt 0 ] || fail "split: RA $r confirmed nothing"
done
[ "$(json "$tmp/split/summary.json" certificates.revoked_by_reason.confirm_timeout)" -gt 0 ] \
  || fail "split: no confirm timeout passed on to the CA"
[ "$(json "$tmp/split/summary.json" polls.enrolled_polled)" -gt 0 ] || fail "split: no eNB polled through the CA outage"
"$es" run --quiet --seed 3 --keep-certs --out "$tmp/split-renew" --set scenario.enbs=40 \
  --set topology.racas=2 --set topology.cas=1 --set enb.renew_after=1s
check_run "$tmp/split-renew"
[ "$(json "$tmp/split-renew/summary.json" certificates.revoked_by_reason.superseded)" -eq 40 ] \
  || fail "split: 40 renewals, not 40 superseded"
echo "scenario_revocation: revocations.csv, CRLs and certificates agree"
