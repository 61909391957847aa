#!/usr/bin/env bash
# Day 2: a run that starts from an enrolled network (rollout.start = enrolled) renews each
# certificate before it expires (enb.renew_before, enb.renew_window): every installed
# certificate is superseded and on the CRL, every renewed one verifies with it, the kurs fall in
# the window the policy gives, and the run is deterministic; kept superseded certificates, no
# renewal before the stop time, expiry, and a split PKI are accounted for.
source "$(dirname "$0")/../support/scenario_lib.sh"
source "$(dirname "$0")/../support/same_results.sh"
day=86400
# Installed 300-307 days before the epoch with one-year certificates: they expire 58-65 days
# after it, and renew 30 days before that, less up to 7: between day 21 and day 35.
wave=(run --quiet --seed 4 --keep-certs --set scenario.enbs=200 --set scenario.stop_time=45d
  --set rollout.start=enrolled --set rollout.installed_age=300d --set rollout.installed_over=7d
  --set pki.cert_validity=365d --set enb.renew_before=30d --set enb.renew_window=7d)
"$es" "${wave[@]}" --out "$tmp/a"
out=$tmp/a
[ "$(json "$out" day2.installed)" -eq 200 ] || fail "day2.installed"
[ "$(json "$out" day2.renewed)" -eq 200 ] || fail "day2.renewed $(json "$out" day2.renewed)"
[ "$(json "$out" certificates.issued)" -eq 200 ] || fail "certificates.issued: one kur each"
[ "$(json "$out" certificates.revoked_by_reason.superseded)" -eq 200 ] || fail "not every installed certificate superseded"
[ "$(json "$out" crl.entries)" -eq 200 ] || fail "crl.entries"
[ "$(json "$out" certificates.valid_unheld)" -eq 0 ] || fail "certificates.valid_unheld"
[ "$(json "$out" enbs.holding_revoked)" -eq 0 ] || fail "an eNB holds a revoked certificate"
# Nothing enrolled: no enrolment rate, rather than a rate of 0 that reads as a stall.
[ "$(json "$out" wall_clock.enrolments_per_wall_s)" = null ] || fail "enrolments_per_wall_s in a renewal run"
[ "$(tail -n +2 "$out/enrolments.csv" | cut -d, -f8 | sort -u)" = renewed ] || fail "outcomes: $(tail -n +2 "$out/enrolments.csv" | cut -d, -f8 | sort | uniq -c)"
awk -F, -v lo=$((21 * day)) -v hi=$((35 * day)) 'NR > 1 && ($2 < lo || $2 > hi) { print "eNB " $1 " renewed at " $2; bad = 1 }
  END { exit bad }' "$out/enrolments.csv" >&2 || fail "a renewal outside days 21-35"
first=$(json "$out" day2.first_renewal_s)
awk -v f="$first" -v d=$day 'BEGIN { exit !(f >= 21 * d && f < 28 * d) }' || fail "first renewal at $first s"
# The installed certificates are on the CRL as superseded, dated before the epoch; the renewed
# ones verify against the root and the CRL at the end of the run.
at=$(($(date -u -d 2026-11-01T00:00:00Z +%s) + 40 * day))
openssl crl -in "$out/crl.pem" -CAfile "$out/pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' || fail "CRL signature"
[ "$(openssl crl -in "$out/crl.pem" -noout -text | grep -c Superseded)" -eq 200 ] || fail "CRL reasons"
awk -F, 'NR > 1 && !($5 < 0 && $3 == "superseded") { print "row " NR ": " $0; bad = 1 } END { exit bad }' \
  "$out/revocations.csv" >&2 || fail "revocations.csv: installed certificates issued before 0, superseded"
ok=$(openssl verify -attime "$at" -crl_check -CAfile "$out/pki/operator-root.pem" -CRLfile "$out/crl.pem" \
  "$out"/certs/*.pem | grep -c ': OK$')
[ "$ok" -eq 200 ] || fail "$ok of 200 renewed certificates verify with the CRL"
tail -n +2 "$out/enrolments.csv" | while IFS=, read -r enb _ _ _ _ _ _ _ _ serial _; do
  [ "$(openssl x509 -in "$out/certs/enb-$enb.pem" -noout -serial | cut -d= -f2)" = "$serial" ] \
    || fail "eNB $enb: CSV serial is not the renewed certificate's"
done
# Threaded, each first renewal is made ahead on a second thread (sim/es_renew_ahead.c): the
# same files as --one-thread, where none is; with several renewals per eNB (only the first
# made ahead) and with P-384 keys too.
"$es" "${wave[@]}" --out "$tmp/b" --one-thread
same_results "$tmp/a" "$tmp/b" "threaded against --one-thread"
often=("${wave[@]}" --set scenario.enbs=60 --set pki.cert_validity=20d --set rollout.installed_age=10d
  --set rollout.installed_over=5d --set enb.renew_before=3d --set enb.renew_window=1d)
"$es" "${often[@]}" --out "$tmp/often-a"
"$es" "${often[@]}" --out "$tmp/often-b" --one-thread
same_results "$tmp/often-a" "$tmp/often-b" "several renewals each, threaded against --one-thread"
[ "$(json "$tmp/often-a" certificates.issued)" -ge 120 ] || fail "several renewals: $(json "$tmp/often-a" certificates.issued) issued"
"$es" "${wave[@]}" --set scenario.enbs=40 --set pki.key=p384 --set enb.key=p384 --out "$tmp/p384-a"
"$es" "${wave[@]}" --set scenario.enbs=40 --set pki.key=p384 --set enb.key=p384 --out "$tmp/p384-b" --one-thread
same_results "$tmp/p384-a" "$tmp/p384-b" "P-384 renewals, threaded against --one-thread"
[ "$(json "$tmp/p384-a" day2.renewed)" -eq 40 ] || fail "P-384: renewed"

# raca.keep_superseded: the installed certificates stay valid, held by nobody: said so.
"$es" "${wave[@]}" --set raca.keep_superseded=true --out "$tmp/keep"
[ "$(json "$tmp/keep" crl.entries)" -eq 0 ] || fail "keep_superseded: CRL entries"
[ "$(json "$tmp/keep" certificates.valid_unheld)" -eq 200 ] || fail "keep_superseded: valid_unheld"

# The stop time before any renewal: nothing happens, the network ends as it began.
"$es" "${wave[@]}" --set scenario.stop_time=10d --out "$tmp/early"
[ "$(json "$tmp/early" day2.renewed)" -eq 0 ] || fail "early stop: renewals"
[ "$(json "$tmp/early" day2.not_renewed)" -eq 200 ] || fail "early stop: not_renewed"
[ "$(json "$tmp/early" certificates.held_valid)" -eq 200 ] || fail "early stop: held_valid"
[ "$(tail -n +2 "$tmp/early/enrolments.csv" | cut -d, -f8 | sort -u)" = installed ] || fail "early stop: outcomes"

# No renewal policy, a stop time past the expiry: every certificate held has expired.
"$es" run --quiet --seed 4 --set scenario.enbs=20 --set scenario.stop_time=70d \
  --set rollout.start=enrolled --set rollout.installed_age=300d --set rollout.installed_over=7d \
  --set pki.cert_validity=365d --set raca.crl_interval=30d --out "$tmp/expired"
[ "$(json "$tmp/expired" certificates.held_expired)" -eq 20 ] || fail "expired: held_expired"

# A lead reaching back past the issue date is refused, naming the keys.
"$es" "${wave[@]}" --set enb.renew_before=360d --out "$tmp/bad" 2>"$tmp/err" && fail "renew_before past the validity accepted"
grep -q "enb.renew_before" "$tmp/err" && grep -q "pki.cert_validity" "$tmp/err" || fail "renew_before: $(cat "$tmp/err")"

# A split PKI: the kurs go through the RAs to the CA, which knows the installed base.
"$es" "${wave[@]}" --set scenario.enbs=60 --set topology.racas=2 --set topology.cas=1 --out "$tmp/split"
[ "$(json "$tmp/split" day2.renewed)" -eq 60 ] || fail "split: day2.renewed"
[ "$(json "$tmp/split" cas.0.issued)" -eq 60 ] || fail "split: the CA did not issue the kurs"
[ "$(json "$tmp/split" crl.entries)" -eq 60 ] || fail "split: CRL entries"
echo "scenario_day2: $(json "$out" day2.renewed) renewals from day $(awk -v f="$first" -v d=$day 'BEGIN { printf "%.1f", f / d }'), CRL $(json "$out" crl.entries) entries, $(json "$out" crl.bytes) bytes"
