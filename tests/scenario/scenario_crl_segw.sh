#!/usr/bin/env bash
# Security gateways as relying nodes of CRL distribution: with national.segws each region's SeGW
# fetches CRLs like the eNBs and enforces a mass revocation, counted apart and in the worst
# time; a SeGW cut off is named; a bad `segw` line of a topology file is refused at its line;
# runs are deterministic, and a run without SeGWs writes nothing of theirs.
source "$(dirname "$0")/../support/scenario_lib.sh"
col() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' "$1"; }
. "$(dirname "$0")/../support/same_results.sh"

# 300 sites of one region (a tenth on satellite), installed a month ago; at 1 h the operator
# revokes a tenth of their certificates; each relying node fetches within 60 s of it.
base=(run --quiet --seed 2 --set scenario.enbs=300 --set scenario.stop_time=2h
  --set topology.type=national --set national.regions=1 --set national.satellite_share=0.1
  --set national.fibre_share=0.6 --set national.microwave_share=0.3
  --set rollout.start=enrolled --set rollout.installed_over=30d
  --set revocation.at=1h --set revocation.share=0.1 --set crl_fetch.mode=trigger --set crl_fetch.jitter=60s)

# 1. The region's SeGW enforces, within the jitter plus its fast links' round trips (a few
#    ms), no later than the worst eNB; the headline max is every relying node's.
"$es" "${base[@]}" --set national.segws=true --out "$tmp/on"
[ "$(json "$tmp/on" crl_dist.segws.enforcing)" -eq 1 ] || fail "on: the SeGW does not enforce"
[ "$(json "$tmp/on" crl_dist.segws.not_enforcing)" -eq 0 ] || fail "on: segws.not_enforcing"
[ "$(json "$tmp/on" crl_dist.enforcing)" -eq 300 ] || fail "on: not every eNB enforces"
[ "$(json "$tmp/on" crl_dist.unverified)" -eq 0 ] || fail "on: a fetched CRL did not verify"
segw=$(json "$tmp/on" crl_dist.segws.time_to_enforcement_s.max)
max=$(json "$tmp/on" crl_dist.time_to_enforcement_s.max)
enbs=$(for c in fibre microwave satellite; do json "$tmp/on" "crl_dist.time_to_enforcement_s.max_by_access.$c"; done | sort -g | tail -1)
awk -v s="$segw" 'BEGIN { exit !(s > 0 && s < 60.05) }' || fail "on: the SeGW enforced after $segw s, beyond the jitter and a fast round trip"
awk -v s="$segw" -v e="$enbs" 'BEGIN { exit !(s <= e) }' || fail "on: the SeGW ($segw s) after the worst eNB ($enbs s)"
[ "$(json "$tmp/on" crl_dist.time_to_enforcement_s.max_by_access.segw)" = "$segw" ] || fail "on: max_by_access.segw"
# The worst of all is the worst of the classes, the SeGW's included.
worst=$(for c in fibre microwave satellite segw; do json "$tmp/on" "crl_dist.time_to_enforcement_s.max_by_access.$c"; done | sort -g | tail -1)
[ "$worst" = "$max" ] || fail "on: max $max is not the worst class's $worst"
[ "$(json "$tmp/on" crl_dist.bytes_by_access.segw)" -gt 0 ] || fail "on: no bytes under segw"
# crl_enforcement_segw.csv: one row, its enforcement time that of the summary.
head -1 "$tmp/on/crl_enforcement_segw.csv" | grep -qx 'segw,name,raca,enforced_s' || fail "on: crl_enforcement_segw.csv header"
[ "$(col "$tmp/on/crl_enforcement_segw.csv" name)" = segw-1 ] || fail "on: crl_enforcement_segw.csv names"
[ "$(col "$tmp/on/crl_enforcement_segw.csv" raca)" = 0 ] || fail "on: the SeGW's RA/CA"
awk -v t="$(col "$tmp/on/crl_enforcement_segw.csv" enforced_s)" -v s="$segw" 'BEGIN { exit !(t - 3600 - s < 1e-5 && s - (t - 3600) < 1e-5) }' \
  || fail "on: crl_enforcement_segw.csv against the summary"
# crl_enforcement.csv keeps to the eNBs, as its readers expect.
head -1 "$tmp/on/crl_enforcement.csv" | grep -qx 'enb,access,enforced_s' || fail "on: crl_enforcement.csv header"
[ "$(($(wc -l <"$tmp/on/crl_enforcement.csv") - 1))" -eq 300 ] || fail "on: crl_enforcement.csv rows"

# 2. Without SeGWs: the same certificates revoked (the SeGWs draw from their own stream),
#    nothing of theirs written; the SeGW's connections were no eNB's.
"$es" "${base[@]}" --out "$tmp/off"
cmp -s "$tmp/off/revocations.csv" "$tmp/on/revocations.csv" || fail "off: other certificates revoked than with SeGWs"
[ "$(json "$tmp/on" network.connections)" -eq "$(json "$tmp/off" network.connections)" ] \
  || fail "network.connections counts the SeGW's: $(json "$tmp/on" network.connections) against $(json "$tmp/off" network.connections)"
[ "$(json "$tmp/on" crl_dist.fetches)" -eq $(($(json "$tmp/off" crl_dist.fetches) + 1)) ] || fail "on: the SeGW's fetch not counted"
[ ! -e "$tmp/off/crl_enforcement_segw.csv" ] || fail "off: crl_enforcement_segw.csv written"
grep -q '"segws": {\|"segw":' "$tmp/off/summary.json" && fail "off: SeGW results in the summary"

# The report's line names the SeGWs.
"$es" "${base[@]:0:1}" "${base[@]:2}" --set national.segws=true --out "$tmp/loud" >"$tmp/loud.out" 2>&1
grep -q 'of 300 eNBs and 1 of 1 SeGWs enforcing it by the end, the last ' "$tmp/loud.out" \
  || fail "report line: $(grep 'mass revocation' "$tmp/loud.out")"
# Over TLS the SeGW fetches and enforces as well.
"$es" "${base[@]}" --set national.segws=true --set transport.tls=true --out "$tmp/tls"
[ "$(json "$tmp/tls" crl_dist.segws.enforcing)" -eq 1 ] && [ "$(json "$tmp/tls" crl_dist.failed)" -eq 0 ] \
  || fail "tls: the SeGW does not enforce"
[ "$(json "$tmp/tls" network.tls.failures)" -eq 0 ] || fail "tls: handshake failures"

# 3. Threaded against --one-thread: the same files.
"$es" "${base[@]}" --set national.segws=true --out "$tmp/on-b" --one-thread
same_results "$tmp/on" "$tmp/on-b" "SeGWs threaded against --one-thread"

# 4. Periodic fetches, three regions and two RA/CAs: every SeGW fetches from its region's
#    RA/CA and enforces within the interval.
"$es" run --quiet --seed 3 --set scenario.enbs=150 --set scenario.stop_time=2h --set topology.type=national \
  --set national.regions=3 --set topology.racas=2 --set national.segws=true --set rollout.start=enrolled \
  --set revocation.at=30min --set revocation.share=0.2 --set crl_fetch.mode=periodic --set crl_fetch.interval=20min \
  --set crl_fetch.form=delta --out "$tmp/periodic"
[ "$(json "$tmp/periodic" crl_dist.segws.enforcing)" -eq 3 ] || fail "periodic: not every SeGW enforces"
awk -v s="$(json "$tmp/periodic" crl_dist.segws.time_to_enforcement_s.max)" 'BEGIN { exit !(s < 1200) }' \
  || fail "periodic: a SeGW enforced after the interval"
[ "$(col "$tmp/periodic/crl_enforcement_segw.csv" raca | tr '\n' ' ')" = "0 1 0 " ] || fail "periodic: SeGWs' RA/CAs"

# 5. A topology file: a SeGW behind a link down from before the revocation to the end never
#    enforces and is named; the other enforces.
cat >"$tmp/net.topo" <<'TOPO'
node core   router
node ra     raca
node metro  router
node gw-ok  segw
node gw-cut segw raca=ra
node e1     enb
node e2     enb
link core  ra     10Gbps 0.5ms
link core  metro  10Gbps 1ms
link metro gw-ok  10Gbps 0.1ms
link core  gw-cut 10Gbps 0.1ms outages=3500s+8000s
link metro e1     1Gbps  1ms
link metro e2     400Mbps 3ms
TOPO
"$es" run --quiet --seed 2 --set scenario.enbs=2 --set scenario.stop_time=2h --set topology.type=file \
  --set "topology.file=$tmp/net.topo" --set rollout.start=enrolled --set rollout.installed_over=30d \
  --set revocation.at=1h --set revocation.share=1 --set crl_fetch.mode=trigger --out "$tmp/cut" 2>"$tmp/cut.err"
[ "$(json "$tmp/cut" crl_dist.segws.enforcing)" -eq 1 ] && [ "$(json "$tmp/cut" crl_dist.segws.not_enforcing)" -eq 1 ] \
  || fail "cut off: SeGW counts"
[ "$(json "$tmp/cut" crl_dist.enforcing)" -eq 2 ] || fail "cut off: the eNBs"
grep -q '"crl_segw_not_enforced": "1 SeGWs never held .*: gw-cut"' "$tmp/cut/summary.json" || fail "cut off: gw-cut not named"
grep -q 'gw-cut' "$tmp/cut.err" || fail "cut off: not in the diagnostics printed"
[ "$(sed -n 3p "$tmp/cut/crl_enforcement_segw.csv")" = "1,gw-cut,0," ] || fail "cut off: gw-cut's row"
[ -n "$(col "$tmp/cut/crl_enforcement_segw.csv" enforced_s | head -1)" ] || fail "cut off: gw-ok has no enforcement time"
[ "$(json "$tmp/cut" crl_dist.failed)" -gt 0 ] || fail "cut off: gw-cut's fetches did not fail"

# 6. A bad segw line: refused before anything runs, exit 2, naming the file and the line.
printf 'node core router\nnode ra raca\nnode e1 enb\nnode gw segw raca=e1\nlink core ra 1Gbps 1ms\nlink core e1 1Gbps 1ms\nlink core gw 1Gbps 1ms\n' >"$tmp/bad.topo"
st=0
"$es" run --quiet --set scenario.enbs=1 --set topology.type=file --set "topology.file=$tmp/bad.topo" \
  --out "$tmp/bad" 2>"$tmp/err" || st=$?
[ "$st" -eq 2 ] || fail "bad segw line: exit $st"
grep -q "$tmp/bad.topo:4: raca=e1: not an RA/CA" "$tmp/err" || fail "bad segw line: $(cat "$tmp/err")"
echo "scenario_crl_segw: the SeGW enforced ${segw} s after the revocation, every eNB by ${enbs} s, every relying node by ${max} s"
