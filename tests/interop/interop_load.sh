#!/usr/bin/env bash
# `enrolsim serve` under resource attacks: slowloris headers, bodies trickled a byte at a time,
# many connections each holding almost max-body of body, two Content-Length fields, a wrong
# Content-Type, and descriptor exhaustion (serve under a small `ulimit -n`). During each,
# `enrolsim enrol` measures legitimate clients' latency (ir sent to pkiConf received); every
# eNB must enrol, its p99 stay near the unloaded p99, and serve's RSS stay bounded and come
# back after. Prints the figures (LOAD lines).
source "$(dirname "$0")/interop_lib.sh"
attacker=$(dirname "$0")/load_attacker.py
pki=$tmp/pki
n=${LOAD_ENBS:-200} # eNBs per measurement, 4 at a time

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure NAME: one enrol run; sets p50 and p99 (ms); fails when any eNB did not enrol.
measure() {
  local out=$tmp/m-$1
  rm -rf "$out"
  timeout 120 "$es" enrol "$pki" "$out" --server "127.0.0.1:$port" --enbs "$n" --concurrency 4 \
    --timeout 15s --give-up-after 0s -q >"$out.log" 2>&1 || fail "$1: enrol failed: $(tail -3 "$out.log")"
  [ "$(tail -n +2 "$out/enrolments.csv" | grep -c ',enrolled,')" -eq "$n" ] || fail "$1: not every eNB enrolled"
  read -r p50 p99 < <(tail -n +2 "$out/enrolments.csv" | awk -F, '{ print ($7 - $3) * 1000 }' | sort -n |
    awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5);
                              printf "%.1f %.1f\n", v[i50 < 1 ? 1 : i50], v[i99 < 1 ? 1 : i99] }')
}

# The bound for p99 under attack. The target is 2x the unloaded p99; on a shared two-core
# machine a few milliseconds of scheduling noise would fail a strict 2x of a p99 of ~20 ms,
# so the bound is the larger of 2x and the unloaded p99 plus 50 ms, and a phase is measured up
# to three times (an attack that degrades service fails all three; noise rarely does).
# Connections refused, eNBs failing or a p99 ten times the unloaded one still fail.
bound() { awk -v u="$1" 'BEGIN { b = 2 * u; if (u + 50 > b) b = u + 50; printf "%.1f\n", b }'; }

# attack NAME ATTACK N [CHECK [SETTLE]]: runs the attacker until it is in place (and SETTLE
# seconds more), measures, stops it. CHECK is a regular expression its summary must match
# (the statuses the server answered).
attack() {
  local name=$1 kind=$2 conns=$3 check=${4:-} settle=${5:-1}
  rm -f "$tmp/ready"
  python3 "$attacker" "$port" "$tmp/ready" "$kind" "$conns" >"$tmp/attack-$name.out" 2>&1 &
  local apid=$!
  pids+=("$apid")
  for _ in $(seq 600); do [ -s "$tmp/ready" ] && break; kill -0 "$apid" 2>/dev/null || break; sleep 0.05; done
  [ -s "$tmp/ready" ] || fail "$name: the attack did not get in place: $(cat "$tmp/attack-$name.out")"
  sleep "$settle"
  local limit best=
  limit=$(bound "$p99_unloaded")
  for try in 1 2 3; do
    measure "$name-$try"
    [ -z "$best" ] || awk -v a="$p99" -v b="$best" 'BEGIN { exit !(a < b) }' && { best=$p99; best50=$p50; }
    awk -v a="$p99" -v l="$limit" 'BEGIN { exit !(a <= l) }' && break
  done
  local rss hwm
  rss=$(kib "$serve_pid" VmRSS); hwm=$(kib "$serve_pid" VmHWM)
  kill -TERM "$apid"; wait "$apid"
  local summary
  summary=$(cat "$tmp/attack-$name.out")
  echo "LOAD $name: p50 ${best50} ms, p99 ${best} ms (bound ${limit} ms, $try tries); serve RSS ${rss} KiB, peak ${hwm} KiB; $summary"
  awk -v a="$best" -v l="$limit" 'BEGIN { exit !(a <= l) }' || fail "$name: p99 $best ms above $limit ms"
  [ -z "$check" ] || [[ $summary =~ $check ]] || fail "$name: the server did not answer as it should: $summary"
  kill -0 "$serve_pid" 2>/dev/null || fail "$name: serve died: $(cat "$tmp/served.log")"
}

# --keep-superseded: re-enrolling the same eNBs revokes nothing, so no CRL grows between
# phases. --request-timeout 3s (default 10s) lets the slow attacks' requests run out within a
# phase: each phase then shows connections recycled, not only held.
start_serve "$tmp/served" --keep-superseded --request-timeout 3s
measure warm-up # makes the eNBs' device credentials, once
measure unloaded
p99_unloaded=$p99
rss0=$(kib "$serve_pid" VmRSS)
echo "LOAD unloaded: p50 $p50 ms, p99 $p99 ms; serve RSS $rss0 KiB"

attack slowloris slowloris 300 'statuses=408:[0-9]+$' 3
attack trickle trickle 300 'statuses=408:[0-9]+$' 3
attack two-content-length twocl 20 'statuses=400:[0-9]+$'
attack wrong-content-type ctype 20 'statuses=415:[0-9]+$'
# 1000 connections, ~1 GB of bodies offered: the budget for bodies being received (32 MiB)
# sends the biggest away with 503.
attack big-bodies bigbody 1000 '503:[0-9]+'
hwm=$(kib "$serve_pid" VmHWM)
sleep 3 # the attacker's connections are closed: serve gives the memory back after 1 s
rss_after=$(kib "$serve_pid" VmRSS)
echo "LOAD memory: serve RSS before attacks $rss0 KiB, peak $hwm KiB, after $rss_after KiB"
# Without the budget, 1000 bodies of ~1 MB took the server to 1 GB; with it, the peak stays
# within the budget plus buffers and allocator slack, and most of it comes back.
[ "$hwm" -le $((rss0 + 160 * 1024)) ] || fail "peak RSS $hwm KiB: bodies in flight are not bounded"
[ "$rss_after" -le $((rss0 + 32 * 1024)) ] || fail "RSS $rss_after KiB after the attacks (before: $rss0 KiB)"
stop_serve

# Descriptor exhaustion: 256 descriptors and a cap above them (--max-connections 2000), so
# accept() fails with EMFILE; serve must not spin or flood its log, and closes the stalest
# (the attacker's silent) connections to let legitimate clients in.
printf '#!/bin/sh\nulimit -n 256 && exec "%s" "$@"\n' "$es" >"$tmp/es-256"
chmod +x "$tmp/es-256"
es_all=$es es=$tmp/es-256
start_serve "$tmp/served-fd" --keep-superseded --max-connections 2000
es=$es_all
measure fd-unloaded
p99_unloaded=$p99
echo "LOAD fd-unloaded: p50 $p50 ms, p99 $p99 ms"
ticks0=$(cpu_ticks "$serve_pid"); t0=$(date +%s%N)
attack descriptors hold 400
ticks=$(( $(cpu_ticks "$serve_pid") - ticks0 )); wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
lines=$(wc -l <"$tmp/served-fd.log")
[ "$(awk '$1 == "Max" && $2 == "open" && $3 == "files" { print $4 }' "/proc/$serve_pid/limits")" = 256 ] || fail "ulimit -n not in force"
echo "LOAD descriptors: serve CPU $((ticks * 10)) ms over $wall_ms ms wall; $lines log lines: $(head -c 300 "$tmp/served-fd.log")"
grep -q "Too many open files" "$tmp/served-fd.log" || fail "accept never hit the descriptor limit"
[ "$lines" -le 4 ] || fail "serve wrote $lines log lines under descriptor exhaustion"
# Not spinning: the attack's seconds cost serve well under one core (the enrolments included).
[ $((ticks * 10)) -lt $((wall_ms * 8 / 10)) ] || fail "serve busy $((ticks * 10)) ms of $wall_ms ms"
stop_serve
echo "interop_load: legitimate clients served within bounds under every attack"
