#!/usr/bin/env bash
# Mass revocation and CRL distribution: the operator revokes a share of an installed base's
# certificates; eNBs fetch CRLs over the backhaul (periodic or triggered, full or delta) and each
# ends holding a CRL that lists every revocation, unless cut off, which is named; each CRL
# verifies with openssl, a delta names its base; the run is deterministic. By rr, each drawn
# eNB asks for its own revocation, failures are named, and a split PKI is refused.
source "$(dirname "$0")/../support/scenario_lib.sh"
# 300 sites of one region (a tenth on satellite), installed a month ago; at 1 h the operator
# revokes a tenth of their certificates for key compromise.
base=(run --quiet --seed 2 --set scenario.enbs=300 --set scenario.stop_time=3h
  --set topology.type=national --set national.regions=1 --set national.satellite_share=0.1
  --set national.fibre_share=0.6 --set national.microwave_share=0.3
  --set rollout.start=enrolled --set rollout.installed_over=30d
  --set revocation.at=1h --set revocation.share=0.1 --set revocation.reason=keyCompromise)

check() { # check DIR: the invariants of every distribution run
  local out=$1 revoked
  revoked=$(awk -F, 'NR > 1 && $3 == "operator"' "$out/revocations.csv" | wc -l)
  [ "$revoked" -eq "$(json "$out" crl_dist.revoked)" ] || fail "$out: crl_dist.revoked against revocations.csv"
  [ "$revoked" -ge 15 ] && [ "$revoked" -le 50 ] || fail "$out: $revoked revoked of 300 at share 0.1"
  [ "$(json "$out" certificates.revoked_by_reason.operator)" -eq "$revoked" ] || fail "$out: revoked_by_reason.operator"
  [ "$(json "$out" crl_dist.unverified)" -eq 0 ] || fail "$out: a fetched CRL did not verify"
  openssl crl -in "$out/crl.pem" -CAfile "$out/pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' \
    || fail "$out: crl.pem signature"
  # Every operator revocation is on the final CRL, as Key Compromise.
  openssl crl -in "$out/crl.pem" -noout -text | awk '
    /Serial Number:/ { s = $3 } /Key Compromise/ { print s }' | sort >"$tmp/listed"
  awk -F, 'NR > 1 && $3 == "operator" { print $1 }' "$out/revocations.csv" | sort >"$tmp/revoked"
  comm -23 "$tmp/revoked" "$tmp/listed" | grep -q . && fail "$out: revoked but not on the CRL as keyCompromise"
  head -1 "$out/crl.csv" | grep -qx 't_s,number,kind,entries,bytes' || fail "$out: crl.csv header"
  echo "$revoked"
}

# 1. Hourly fetches, full CRLs: every eNB enforces within an hour (its phase) of the revocation.
"$es" "${base[@]}" --set crl_fetch.mode=periodic --set crl_fetch.interval=1h --out "$tmp/periodic"
revoked=$(check "$tmp/periodic")
[ "$(json "$tmp/periodic" crl_dist.enforcing)" -eq 300 ] || fail "periodic: not every eNB enforces"
[ "$(json "$tmp/periodic" crl_dist.not_enforcing)" -eq 0 ] || fail "periodic: not_enforcing"
awk -v m="$(json "$tmp/periodic" crl_dist.time_to_enforcement_s.max)" 'BEGIN { exit !(m > 1800 && m < 3600 + 5) }' \
  || fail "periodic: time to enforcement $(json "$tmp/periodic" crl_dist.time_to_enforcement_s.max) s, not within the hour"
[ "$(json "$tmp/periodic" crl_dist.bytes_by_access.satellite)" -gt 0 ] || fail "periodic: no satellite bytes"
[ "$(json "$tmp/periodic" crl_dist.failed)" -eq 0 ] || fail "periodic: failed fetches"
"$es" "${base[@]}" --set crl_fetch.mode=periodic --set crl_fetch.interval=1h --out "$tmp/periodic-b" --one-thread
for f in summary.json crl.csv crl.pem revocations.csv; do
  [ "$f" = summary.json ] && continue
  cmp "$tmp/periodic/$f" "$tmp/periodic-b/$f" || fail "$f differs threaded against --one-thread"
done
[ "$(json "$tmp/periodic" crl_dist.time_to_enforcement_s.p50)" = "$(json "$tmp/periodic-b" crl_dist.time_to_enforcement_s.p50)" ] \
  || fail "time to enforcement differs threaded against --one-thread"

# 2. Triggered: every eNB fetches within 60 s of the revocation; satellite round trips add
#    about a second.
"$es" "${base[@]}" --set crl_fetch.mode=trigger --set crl_fetch.jitter=60s --out "$tmp/trigger"
check "$tmp/trigger" >/dev/null
[ "$(json "$tmp/trigger" crl_dist.enforcing)" -eq 300 ] || fail "trigger: not every eNB enforces"
awk -v m="$(json "$tmp/trigger" crl_dist.time_to_enforcement_s.max)" 'BEGIN { exit !(m > 30 && m < 63) }' \
  || fail "trigger: time to enforcement $(json "$tmp/trigger" crl_dist.time_to_enforcement_s.max) s"

# 3. Delta CRLs against full ones, over a CRL that already lists 3000 retired certificates:
#    the eNBs hold the base, fetch only the deltas, and carry far fewer bytes; the last delta
#    verifies and names its base.
"$es" "${base[@]}" --set crl_fetch.mode=trigger --set revocation.history=3000 --out "$tmp/full-h"
"$es" "${base[@]}" --set crl_fetch.mode=trigger --set revocation.history=3000 \
  --set crl_fetch.form=delta --out "$tmp/delta"
check "$tmp/delta" >/dev/null
[ "$(json "$tmp/delta" crl_dist.enforcing)" -eq 300 ] || fail "delta: not every eNB enforces"
[ "$(json "$tmp/delta" crl_dist.delta_fetches)" -ge 300 ] || fail "delta: delta fetches"
[ "$(json "$tmp/delta" crl_dist.full_fetches)" -eq 0 ] || fail "delta: full fetches while holding the base"
[ "$(json "$tmp/delta" crl_dist.bytes)" -lt $(($(json "$tmp/full-h" crl_dist.bytes) / 10)) ] \
  || fail "delta: $(json "$tmp/delta" crl_dist.bytes) B, not a tenth of the full CRLs' $(json "$tmp/full-h" crl_dist.bytes) B"
[ "$(json "$tmp/full-h" crl.entries)" -ge 3000 ] || fail "history: the CRL lacks the 3000 retired serials"
openssl crl -in "$tmp/delta/crl-delta.pem" -CAfile "$tmp/delta/pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' \
  || fail "delta: crl-delta.pem signature"
openssl crl -in "$tmp/delta/crl-delta.pem" -noout -text | grep -A1 'Delta CRL Indicator: critical' | grep -q '[0-9]' \
  || fail "delta: no critical Delta CRL Indicator naming the base"
grep -q ',delta,' "$tmp/delta/crl.csv" || fail "delta: crl.csv lists no delta"

# Full CRLs every 20 minutes beside the deltas: an eNB fetches each new base once, then deltas
#    on it, never a delta of an older base (at most about one GET per eNB per publication).
"$es" "${base[@]}" --set crl_fetch.mode=periodic --set crl_fetch.interval=10min --set crl_fetch.form=delta \
  --set raca.crl_interval=20min --out "$tmp/rebase"
check "$tmp/rebase" >/dev/null
fetches=$(json "$tmp/rebase" crl_dist.fetches)
[ "$fetches" -le $((300 * (3 * 6 + 3 * 3 + 1))) ] || fail "rebase: $fetches fetches for 300 eNBs in 3 h"
[ "$(json "$tmp/rebase" crl_dist.full_fetches)" -gt 0 ] || fail "rebase: no eNB fetched a new base"
[ "$(json "$tmp/rebase" crl_dist.enforcing)" -eq 300 ] || fail "rebase: not every eNB enforces"

# 4. An eNB cut off from the revocation to the end: it never enforces, and is named.
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
"$es" run --quiet --seed 2 --set scenario.enbs=3 --set scenario.stop_time=3h --set topology.type=file \
  --set "topology.file=$tmp/net.topo" --set rollout.start=enrolled --set rollout.installed_over=30d \
  --set revocation.at=1h --set revocation.share=1 --set crl_fetch.mode=trigger --out "$tmp/cut" 2>"$tmp/cut.err"
[ "$(json "$tmp/cut" crl_dist.not_enforcing)" -eq 1 ] || fail "cut off: not_enforcing"
grep -q 'enb-3' "$tmp/cut/summary.json" || fail "cut off: eNB 3 not named: $(cat "$tmp/cut.err")"

# 5. Revocation by rr (revocation.by = rr): the same eNBs as the operator's revocation draws
#    each send an rr with the requested reason; the CA publishes once the last is answered, and
#    enforcement is measured from revocation.at until an eNB holds that CRL. Revoked eNBs hold
#    no certificate but still fetch and enforce.
col() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' "$1"; }
rr=("${base[@]}" --set crl_fetch.mode=trigger --set revocation.by=rr --set revocation.reason=affiliationChanged)
"$es" "${rr[@]}" --out "$tmp/rr"
"$es" "${base[@]}" --set crl_fetch.mode=trigger --set revocation.reason=affiliationChanged --out "$tmp/rr-ca"
[ "$(json "$tmp/rr" crl_dist.rr_failed)" -eq 0 ] || fail "rr: failures on a clean network"
sent=$(json "$tmp/rr" crl_dist.rr_sent) revoked=$(json "$tmp/rr" crl_dist.revoked)
[ "$sent" -eq "$revoked" ] || fail "rr: $sent sent, $revoked revoked"
[ "$revoked" -ge 15 ] && [ "$revoked" -le 50 ] || fail "rr: $revoked revoked of 300 at share 0.1"
awk -F, 'NR > 1 && $3 != "requested"' "$tmp/rr/revocations.csv" | grep -q . && fail "rr: a revocation not requested"
[ "$(json "$tmp/rr" certificates.revoked_by_reason.requested)" -eq "$revoked" ] || fail "rr: revoked_by_reason.requested"
# The eNBs drawn are those the operator's revocation draws with the same seed.
diff <(col "$tmp/rr/revocations.csv" enb | sort -n) <(col "$tmp/rr-ca/revocations.csv" enb | sort -n) >/dev/null \
  || fail "rr: other eNBs than by = ca"
# Every eNB whose rr succeeded (revoked = 1) has its certificate on the final CRL, Affiliation Changed.
paste -d, <(col "$tmp/rr/enrolments.csv" revoked) <(col "$tmp/rr/enrolments.csv" serial) \
  | awk -F, '$1 == 1 { print $2 }' | sort >"$tmp/rr-revoked"
[ "$(wc -l <"$tmp/rr-revoked")" -eq "$revoked" ] || fail "rr: enrolments.csv marks $(wc -l <"$tmp/rr-revoked") revoked"
openssl crl -in "$tmp/rr/crl.pem" -CAfile "$tmp/rr/pki/operator-root.pem" -noout 2>&1 | grep -q 'verify OK' || fail "rr: crl.pem signature"
openssl crl -in "$tmp/rr/crl.pem" -noout -text | awk '/Serial Number:/ { s = $3 } /Affiliation Changed/ { print s }' | sort >"$tmp/rr-listed"
comm -23 "$tmp/rr-revoked" "$tmp/rr-listed" | grep -q . && fail "rr: revoked by rr but not on the CRL as affiliationChanged"
# The CA published when the last rr was answered: that CRL lists them all, and every eNB,
# revoked ones too, enforces within the jitter of it.
answered=$(json "$tmp/rr" crl_dist.rr_answered_s)
awk -v a="$answered" 'BEGIN { exit !(a > 3600 && a < 3610) }' || fail "rr: last rr answered at $answered s"
awk -F, -v a="$answered" -v n="$revoked" 'NR > 1 && $1 == sprintf("%.6f", a) && $4 >= n { ok = 1 } END { exit !ok }' \
  "$tmp/rr/crl.csv" || fail "rr: no CRL published at $answered s listing the $revoked revocations"
[ "$(json "$tmp/rr" crl_dist.enforcing)" -eq 300 ] || fail "rr: not every eNB enforces"
awk -v m="$(json "$tmp/rr" crl_dist.time_to_enforcement_s.max)" -v a="$answered" 'BEGIN { exit !(m > a - 3600 && m < a - 3600 + 63) }' \
  || fail "rr: time to enforcement $(json "$tmp/rr" crl_dist.time_to_enforcement_s.max) s"
[ "$(col "$tmp/rr/crl_enforcement.csv" enforced_s | grep -c .)" -eq 300 ] || fail "rr: crl_enforcement.csv"
paste -d, <(col "$tmp/rr/enrolments.csv" revoked) <(col "$tmp/rr/crl_enforcement.csv" enforced_s) \
  | awk -F, '$1 == 1 && $2 == ""' | grep -q . && fail "rr: an eNB revoked by its rr stopped enforcing"
"$es" "${rr[@]}" --out "$tmp/rr-b" --one-thread
. "$(dirname "$0")/../support/same_results.sh"
same_results "$tmp/rr" "$tmp/rr-b" "rr threaded against --one-thread"

# An rr over a link down from before the revocation times out: counted, named, the eNB
# keeps its certificate; the CA publishes once it gave up, and the others enforce.
"$es" run --quiet --seed 2 --set scenario.enbs=3 --set scenario.stop_time=3h --set topology.type=file \
  --set "topology.file=$tmp/net.topo" --set rollout.start=enrolled --set rollout.installed_over=30d \
  --set revocation.at=1h --set revocation.share=1 --set revocation.by=rr --set crl_fetch.mode=trigger \
  --out "$tmp/rr-cut" 2>"$tmp/rr-cut.err"
[ "$(json "$tmp/rr-cut" crl_dist.rr_sent)" -eq 3 ] && [ "$(json "$tmp/rr-cut" crl_dist.rr_failed)" -eq 1 ] \
  && [ "$(json "$tmp/rr-cut" crl_dist.revoked)" -eq 2 ] || fail "rr cut off: counts"
grep -q '"crl_rr_failed": ".*enb-3 ([a-z]*, timeout)' "$tmp/rr-cut/summary.json" || fail "rr cut off: eNB 3 not named"
grep -q 'enb-3' "$tmp/rr-cut.err" || fail "rr cut off: not in the diagnostics printed"
[ "$(json "$tmp/rr-cut" crl_dist.enforcing)" -eq 2 ] || fail "rr cut off: enforcing"
[ "$(col "$tmp/rr-cut/crl_enforcement.csv" enforced_s | sed -n 3p)" = "" ] || fail "rr cut off: eNB 3 has an enforcement time"
awk -v a="$(json "$tmp/rr-cut" crl_dist.rr_answered_s)" 'BEGIN { exit !(a > 3610) }' || fail "rr cut off: published before the rr gave up"

# An eNB in the middle of a renewal cannot send an rr: an installed base overdue for renewal
# renews at t=0, and an rr 10 ms later finds every drawn eNB busy.
"$es" run --quiet --seed 2 --set scenario.enbs=20 --set scenario.stop_time=10min --set rollout.start=enrolled \
  --set pki.cert_validity=365d --set rollout.installed_age=350d --set enb.renew_before=30d \
  --set revocation.at=10ms --set revocation.share=0.5 --set revocation.by=rr --out "$tmp/rr-busy" 2>/dev/null
[ "$(json "$tmp/rr-busy" crl_dist.rr_failed)" -eq "$(json "$tmp/rr-busy" crl_dist.rr_sent)" ] \
  && [ "$(json "$tmp/rr-busy" crl_dist.rr_sent)" -gt 0 ] || fail "rr busy: counts"
grep -q '"crl_rr_failed": ".*enb-[0-9]* ([a-z]*, busy)' "$tmp/rr-busy/summary.json" || fail "rr busy: not named"

# A split PKI's RA refuses rr: refused up front, naming both keys; so is a topology file
# that puts a CA behind its RA/CA.
cat >"$tmp/split.topo" <<'TOPO'
node core router
node ca   ca
node ra   raca
node e1   enb
link core ca 1Gbps 1ms
link core ra 1Gbps 1ms
link core e1 100Mbps 5ms
TOPO
"$es" run --quiet --set scenario.enbs=1 --set topology.type=file --set "topology.file=$tmp/split.topo" \
  --set revocation.share=1 --set revocation.at=1s --set revocation.by=rr --out "$tmp/bad" 2>"$tmp/err" \
  && fail "rr with a topology file's CA accepted"
grep -q 'revocation.by' "$tmp/err" || fail "rr with a topology file's CA: $(cat "$tmp/err")"
# A split PKI's RA refuses rr: refused up front, naming both keys.
"$es" run --quiet --set topology.racas=2 --set topology.cas=1 --set revocation.share=0.1 --set revocation.at=1s \
  --set revocation.by=rr --out "$tmp/bad" 2>"$tmp/err" && fail "rr with a split PKI accepted"
grep -q 'revocation.by' "$tmp/err" && grep -q 'topology.cas' "$tmp/err" || fail "rr with a split PKI: $(cat "$tmp/err")"

# Bad values are refused naming the key.
for bad in "crl_fetch.mode=sometimes" "revocation.share=2" "revocation.reason=lost" "revocation.by=enb"; do
  "$es" run --quiet --set "$bad" --out "$tmp/bad" 2>"$tmp/err" && fail "$bad accepted"
  grep -q "${bad%%=*}" "$tmp/err" || fail "$bad: $(cat "$tmp/err")"
done
"$es" run --quiet --set crl_fetch.mode=trigger --out "$tmp/bad" 2>"$tmp/err" && fail "trigger without a revocation accepted"
grep -q "revocation.share" "$tmp/err" || fail "trigger without a revocation: $(cat "$tmp/err")"
echo "scenario_crl_dist: $revoked revoked of 300; enforced by every eNB: within $(json "$tmp/periodic" crl_dist.time_to_enforcement_s.max) s hourly, $(json "$tmp/trigger" crl_dist.time_to_enforcement_s.max) s triggered; $(json "$tmp/full-h" crl_dist.bytes) B full against $(json "$tmp/delta" crl_dist.bytes) B delta over a CRL of 3000"
