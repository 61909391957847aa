#!/usr/bin/env bash
# Whole runs under valgrind memcheck: no invalid access and no definite leak, for a lossy run
# (TCP retransmissions, confirm-wait revocations), restarts and back-offs, a run stopped with
# enrolments in flight, one with hostile eNBs (rogue RA/CA), two RA/CAs, renewals and
# periodic CRLs, TLS, day 2 (renewals, mass revocation, delta CRLs, a root rollover), and one
# interrupted by SIGINT.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# enrolsim allocates with jemalloc: valgrind must replace its malloc, not only libc's.
vg=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9
    --soname-synonyms=somalloc=*jemalloc*)
"${vg[@]}" "$es" run --quiet --set scenario.enbs=6 --set backhaul.loss=0.1 --out "$tmp/lossy"
# Restarted transactions and 503 back-offs: fibers and OpenSSL state freed between attempts.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=6 --set rollout.schedule=burst \
  --set raca.workers=1 --set raca.queue_limit=1 --set raca.ir_service=200ms \
  --set enb.retry=restart --set enb.msg_timeout=1s --set backhaul.loss=0.1 --out "$tmp/restart"
"${vg[@]}" "$es" run --quiet --set scenario.enbs=6 --set rollout.window=10ms \
  --set scenario.stop_time=60ms --out "$tmp/stopped"
"${vg[@]}" "$es" run --quiet --set scenario.enbs=8 --set topology.racas=2 --set backhaul.loss=0.1 \
  --set hostile.unknown_vendor=0.2 --set hostile.expired_device=0.2 --set hostile.rogue_raca=0.2 \
  --set raca.crl_interval=0.2s --set enb.renew_after=0.5s --out "$tmp/hostile"
# TLS over the lossy network: sessions kept and resumed, failed handshakes (the rogue RA/CA),
# connections cut with TLS state in flight at the stop time.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=6 --set transport.tls=true --set backhaul.loss=0.1 \
  --set hostile.rogue_raca=0.3 --set enb.retry=restart --set enb.msg_timeout=1s \
  --set scenario.stop_time=20s --out "$tmp/tls"
# RAs in front of a CA over a lossy link, the CA approving late, a run stopped with
# requests to the CA and parked answers in flight.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=8 --set topology.racas=2 --set topology.cas=1 \
  --set ca_link.loss=0.1 --set backhaul.loss=0.1 --set raca.approval_delay=1s \
  --set raca.poll_threshold=0.5s --set raca.check_after=1s --set enb.retry=restart \
  --set scenario.stop_time=3s --out "$tmp/split"
grep -q '"cas"' "$tmp/split/summary.json" || { echo "FAIL: no CA in the split run" >&2; exit 1; }
# Day 2: an installed base renewing, a mass revocation and delta CRL fetches, some cut short by
# the stop time.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=8 --set rollout.start=enrolled \
  --set rollout.installed_age=300d --set rollout.installed_over=1d --set pki.cert_validity=365d \
  --set enb.renew_before=65d --set revocation.at=10s --set revocation.share=0.5 \
  --set crl_fetch.mode=periodic --set crl_fetch.interval=5s --set crl_fetch.form=delta \
  --set crl_fetch.delta_interval=3s --set backhaul.loss=0.1 --set scenario.stop_time=22s --out "$tmp/day2"
# A root rollover over lossy links: root updates, renewals under the new root, both CRLs, and
# eNBs cut short by the stop time in the middle of their genm or kur.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=8 --set rollout.start=enrolled \
  --set rollout.installed_over=30d --set rollover.at=5s --set rollover.spread=10s \
  --set backhaul.loss=0.1 --set scenario.stop_time=14s --out "$tmp/rollover"
grep -q '"trusting": [1-9]' "$tmp/rollover/summary.json" || { echo "FAIL: no eNB learnt the root under valgrind" >&2; exit 1; }
grep -q '"not_trusting": [1-9]' "$tmp/rollover/summary.json" || { echo "FAIL: no root update cut short under valgrind" >&2; exit 1; }
grep -q '"delta_fetches": [1-9]' "$tmp/day2/summary.json" || { echo "FAIL: no delta fetch under valgrind" >&2; exit 1; }
grep -q '"handshakes": [1-9]' "$tmp/tls/summary.json" || { echo "FAIL: no TLS handshake under valgrind" >&2; exit 1; }
grep -q unfinished "$tmp/stopped/enrolments.csv" || { echo "FAIL: no eNB was in flight at the stop" >&2; exit 1; }
# Interrupted by SIGINT with enrolments in flight: the eNBs, the factory thread and the
# network torn down as at the stop time, the results written, exit status 130.
"${vg[@]}" "$es" run --quiet --set scenario.enbs=400 --set rollout.window=60s --out "$tmp/interrupted" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/interrupted/scenario.ini" ] && break; sleep 0.1; done
sleep 3
kill -INT "$pid"
st=0; wait "$pid" || st=$?
[ "$st" -eq 130 ] || { echo "FAIL: interrupted run under valgrind exited $st (9: memcheck errors)" >&2; exit 1; }
grep -q '"interrupted": {' "$tmp/interrupted/summary.json" || { echo "FAIL: not marked interrupted" >&2; exit 1; }
echo "scenario_memcheck: clean"
