#!/usr/bin/env bash
# Mass revocation and CRL distribution: the operator revokes a share of an installed base's
# certificates; eNBs fetch CRLs over the backhaul (periodic or triggered, full or delta) and each
# ends holding a CRL that lists every revocation, unless cut off, which is named; each CRL
# verifies with openssl, a delta names its base; the run is deterministic.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() {
  local v
  v=$(awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1/summary.json")
  [ -n "$v" ] || fail "$1: no $2"
  echo "$v"
}
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

# Bad values are refused naming the key.
for bad in "crl_fetch.mode=sometimes" "revocation.share=2" "revocation.reason=lost"; do
  "$es" run --quiet --set "$bad" --out "$tmp/bad" 2>"$tmp/err" && fail "$bad accepted"
  grep -q "${bad%%=*}" "$tmp/err" || fail "$bad: $(cat "$tmp/err")"
done
"$es" run --quiet --set crl_fetch.mode=trigger --out "$tmp/bad" 2>"$tmp/err" && fail "trigger without a revocation accepted"
grep -q "revocation.share" "$tmp/err" || fail "trigger without a revocation: $(cat "$tmp/err")"
echo "scenario_crl_dist: $revoked revoked of 300; enforced by every eNB: within $(json "$tmp/periodic" crl_dist.time_to_enforcement_s.max) s hourly, $(json "$tmp/trigger" crl_dist.time_to_enforcement_s.max) s triggered; $(json "$tmp/full-h" crl_dist.bytes) B full against $(json "$tmp/delta" crl_dist.bytes) B delta over a CRL of 3000"
