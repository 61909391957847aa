#!/usr/bin/env bash
# Operator-root rollover: an installed base learns the new root by genm/genp and renews under it;
# every certificate is held, revoked or expired and accounted for; the old key's CRL lists what
# it issued and the renewals superseded, the new key's what it issued; every file verifies with
# openssl, also through newWithOld; an eNB cut off is named, and trusts the root once back; the
# run is deterministic; what a rollover cannot be combined with is refused.
source "$(dirname "$0")/../support/scenario_lib.sh"
source "$(dirname "$0")/../support/same_results.sh"
verify_ok() { openssl verify "$@" 2>&1 | grep -q ': OK$'; }

# 300 sites of one region (a tenth on satellite), installed over the last 30 days; at 1 h the CA
# rolls over and the sites ask within 2 h.
base=(run --quiet --seed 3 --set scenario.enbs=300 --set scenario.stop_time=5h
  --set topology.type=national --set national.regions=1 --set national.satellite_share=0.1
  --set national.fibre_share=0.6 --set national.microwave_share=0.3
  --set rollout.start=enrolled --set rollout.installed_over=30d
  --set rollover.at=1h --set rollover.spread=2h)
out=$tmp/roll
"$es" "${base[@]}" --keep-certs --out "$out"
pki=$out/pki

# The hierarchy's links: newWithOld under the old root, oldWithNew and the RA/CA's new
# certificate under the new one, which is also reachable from the old root through newWithOld.
verify_ok -CAfile "$pki/operator-root.pem" "$pki/new-with-old.pem" || fail "newWithOld under the old root"
verify_ok -CAfile "$pki/operator-root-2.pem" "$pki/old-with-new.pem" || fail "oldWithNew under the new root"
verify_ok -CAfile "$pki/operator-root-2.pem" "$pki/raca-2.pem" || fail "raca-2 under the new root"
verify_ok -CAfile "$pki/operator-root.pem" -untrusted "$pki/new-with-old.pem" "$pki/raca-2.pem" \
  || fail "raca-2 through newWithOld"
openssl crl -in "$out/crl.pem" -CAfile "$pki/operator-root-2.pem" -noout 2>&1 | grep -q 'verify OK' \
  || fail "crl.pem under the new root"
openssl crl -in "$out/crl-old-root.pem" -CAfile "$pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' \
  || fail "crl-old-root.pem under the old root"

# Every eNB trusts the new root and holds a certificate under it, within the spread.
[ "$(json "$out" rollover.trusting)" -eq 300 ] || fail "not every eNB trusts the new root"
[ "$(json "$out" rollover.reissued)" -eq 300 ] || fail "not every eNB renewed under the new root"
[ "$(json "$out" rollover.refused)" -eq 0 ] || fail "a root update was refused"
awk -v m="$(json "$out" rollover.time_to_trust_s.max)" 'BEGIN { exit !(m > 3600 && m < 7200 + 10) }' \
  || fail "time to trust $(json "$out" rollover.time_to_trust_s.max) s, not within the 2 h spread"
[ "$(wc -l <"$out/rollover.csv")" -eq 301 ] || fail "rollover.csv rows"
head -1 "$out/rollover.csv" | grep -qx 'enb,access,trusted_s,reissued_s' || fail "rollover.csv header"
awk -F, 'NR > 1 && ($3 < 3600 || $4 < $3) { exit 1 }' "$out/rollover.csv" \
  || fail "rollover.csv: trusted before the rollover, or reissued before trusting"
[ "$(json "$out" enbs.renewed)" -eq 300 ] || fail "enrolments.csv: not every eNB renewed"

# Accounting: 300 installed + 300 renewals; the installed ones superseded on the old key's CRL,
# the new ones held, valid, under the new root, and the new CRL empty.
[ "$(json "$out" certificates.issued)" -eq 300 ] || fail "issued"
[ "$(json "$out" certificates.held_valid)" -eq 300 ] || fail "held_valid"
[ "$(json "$out" certificates.revoked)" -eq 300 ] || fail "revoked"
[ "$(json "$out" certificates.valid_unheld)" -eq 0 ] || fail "valid_unheld"
[ "$(json "$out" crl.old_root_entries)" -eq 300 ] || fail "crl.old_root_entries"
[ "$(json "$out" crl.entries)" -eq 0 ] || fail "crl.entries"
openssl crl -in "$out/crl-old-root.pem" -noout -text | awk '/Serial Number:/ { print $3 }' | sort >"$tmp/listed"
awk -F, 'NR > 1 && $3 == "superseded" { print $1 }' "$out/revocations.csv" | sort >"$tmp/revoked"
cmp -s "$tmp/listed" "$tmp/revoked" || fail "the old key's CRL is not the superseded certificates"
n=0
for cert in "$out"/certs/enb-*.pem; do
  verify_ok -crl_check -CAfile "$pki/operator-root-2.pem" -CRLfile "$out/crl.pem" "$cert" \
    || fail "$cert under the new root and its CRL"
  n=$((n + 1))
  [ $n -gt 20 ] && continue
  # A relying node that still trusts only the old root reaches it through newWithOld.
  verify_ok -CAfile "$pki/operator-root.pem" -untrusted "$pki/new-with-old.pem" "$cert" \
    || fail "$cert through newWithOld"
done
[ $n -eq 300 ] || fail "$n certificates kept, not 300"

# Both transitions drawn: trusting the new root, and holding a certificate under it.
"$es" plot "$out" >/dev/null || fail "plot"
grep -q 'trusted_s' "$out/plots/day2_transitions.gp" && grep -q 'reissued_s' "$out/plots/day2_transitions.gp" \
  || fail "day2_transitions does not draw the rollover"
[ -s "$out/plots/day2_transitions.png" ] || fail "no day2_transitions.png"

# An eNB's row in enrolments.csv is its renewal's: the kur starts once the genp is checked.
LC_ALL=C join -t, <(tail -n +2 "$out/enrolments.csv" | cut -d, -f1,2 | LC_ALL=C sort -t, -k1,1) \
  <(tail -n +2 "$out/rollover.csv" | cut -d, -f1,3 | LC_ALL=C sort -t, -k1,1) \
  | awk -F, '$2 == "" || $2 < $3 { exit 1 }' || fail "enrolments.csv: a start before the eNB trusted the new root"

# Threaded, each first root update is made ahead on a second thread (sim/es_renew_ahead.c),
# and the kur that follows it for the same wall-clock second: sent when it begins within that
# second, else dropped unsent (a satellite site's round trip often ends in the next one).
# Byte-identical with --one-thread, where none is.
ahead=$(json "$out" wall_clock.sessions_made_ahead)
[ "$ahead" -gt 300 ] && [ "$ahead" -lt 600 ] \
  || fail "threaded: $ahead sessions made ahead, not the 300 root updates and most of the kurs"
"$es" "${base[@]}" --one-thread --out "$tmp/roll-b"
[ "$(json "$tmp/roll-b" wall_clock.sessions_made_ahead)" -eq 0 ] || fail "--one-thread made sessions ahead"
for f in rollover.csv enrolments.csv revocations.csv crl.pem crl-old-root.pem pki/new-with-old.pem; do
  cmp -s "$out/$f" "$tmp/roll-b/$f" || fail "$f differs threaded against --one-thread"
done

# Learnt, not renewed (rollover.renew = false): the installed certificates stay valid.
"$es" "${base[@]}" --set rollover.renew=false --out "$tmp/keep"
[ "$(json "$tmp/keep" rollover.trusting)" -eq 300 ] || fail "renew=false: trusting"
[ "$(json "$tmp/keep" rollover.reissued)" -eq 0 ] || fail "renew=false: reissued"
[ "$(json "$tmp/keep" crl.old_root_entries)" -eq 0 ] || fail "renew=false: old-root CRL entries"

# Renewals due within the spread (enb.renew_before): an eNB whose kur comes before its root
# update takes the new root's certificate through newWithOld, asks in its turn all the same,
# and renews no second time; one that renewed before the rollover renews again under the new
# root; every certificate is accounted for.
due=(run --quiet --seed 4 --set scenario.enbs=200 --set scenario.stop_time=2d --set rollout.start=enrolled
  --set rollout.installed_age=334d --set rollout.installed_over=1d --set pki.cert_validity=365d \
  --set enb.renew_before=30d --set rollover.at=1h --set rollover.spread=1d)
"$es" "${due[@]}" --out "$tmp/due"
[ "$(json "$tmp/due" rollover.trusting)" -eq 200 ] || fail "due: trusting"
[ "$(json "$tmp/due" rollover.reissued)" -eq 200 ] || fail "due: reissued"
early=$(awk -F, 'NR > 1 && $4 < $3' "$tmp/due/rollover.csv" | wc -l)
[ "$early" -ge 20 ] || fail "due: only $early eNBs renewed under the new root before asking"
before=$(awk -F, 'NR > 1 && $2 < 3600' "$tmp/due/enrolments.csv" | wc -l)
[ "$before" -ge 1 ] || fail "due: no renewal before the rollover"
[ "$(json "$tmp/due" certificates.issued)" -eq $((200 + before)) ] \
  || fail "due: $(json "$tmp/due" certificates.issued) issued, not one per eNB and one more for the $before renewed before the rollover"
[ "$(json "$tmp/due" certificates.valid_unheld)" -eq 0 ] || fail "due: valid_unheld"
[ "$(json "$tmp/due" certificates.held_valid)" -eq 200 ] || fail "due: held_valid"
# Only the root updates that come before the eNB's renewal (and their kurs) are made ahead:
# the same files.
ahead=$(json "$tmp/due" wall_clock.sessions_made_ahead)
[ "$ahead" -gt 0 ] && [ "$ahead" -le $((2 * (200 - early))) ] || fail "due: $ahead sessions made ahead"
"$es" "${due[@]}" --one-thread --out "$tmp/due-b"
same_results "$tmp/due" "$tmp/due-b" "renewals due within the spread, threaded against --one-thread"

# An eNB behind a link down from before the rollover to the end is named; with a longer run it
# asks again once the link is back, hourly, and trusts the root then.
cat >"$tmp/net.topo" <<'TOPO'
node core router
node ra   raca
node e1   enb
node e2   enb
node e3   enb
link core ra 1Gbps 1ms
link core e1 100Mbps 5ms
link core e2 100Mbps 5ms
link core e3 100Mbps 5ms outages=3500s+8000s
TOPO
cut=(run --quiet --seed 2 --set scenario.enbs=3 --set topology.type=file --set "topology.file=$tmp/net.topo"
  --set rollout.start=enrolled --set rollout.installed_over=30d --set rollover.at=1h
  --set rollover.spread=10min --set rollover.retry=1h --set enb.give_up_after=10min)
"$es" "${cut[@]}" --set scenario.stop_time=3h --out "$tmp/cut" 2>"$tmp/cut.err"
[ "$(json "$tmp/cut" rollover.trusting)" -eq 2 ] || fail "cut off: trusting"
[ "$(json "$tmp/cut" rollover.not_trusting)" -eq 1 ] || fail "cut off: not_trusting"
grep -q 'enb-3 (' "$tmp/cut/summary.json" || fail "cut off: eNB 3 not named: $(cat "$tmp/cut.err")"
[ "$(json "$tmp/cut" rollover.genm_failed)" -ge 1 ] || fail "cut off: no failed genm"
"$es" "${cut[@]}" --set scenario.stop_time=6h --out "$tmp/back"
[ "$(json "$tmp/back" rollover.trusting)" -eq 3 ] || fail "back: eNB 3 never trusted the root"
awk -v m="$(json "$tmp/back" rollover.time_to_trust_s.max)" 'BEGIN { exit !(m > 11500 - 3600) }' \
  || fail "back: trusted before its link came back"

# What a rollover is not modelled with is refused, naming rollover.at.
for bad in "rollout.start=factory" "scenario.stop_time=30min" "crl_fetch.mode=periodic"; do
  "$es" run --quiet --set rollout.start=enrolled --set rollover.at=1h --set "$bad" --out "$tmp/bad" \
    2>"$tmp/err" && fail "$bad accepted"
  grep -q "rollover.at" "$tmp/err" || fail "$bad: $(cat "$tmp/err")"
done
"$es" run --quiet --set rollout.start=enrolled --set rollover.at=1h --set topology.cas=1 --out "$tmp/bad" \
  2>"$tmp/err" && fail "rollover with a CA behind RAs accepted"
grep -q "rollover.at" "$tmp/err" || fail "split PKI: $(cat "$tmp/err")"
echo "scenario_rollover: 300 eNBs trusted the new root within $(json "$out" rollover.time_to_trust_s.max) s and renewed under it; cut off: $(json "$tmp/cut" rollover.not_trusting) named, trusting $(json "$tmp/back" rollover.time_to_trust_s.max) s after the rollover once back"
