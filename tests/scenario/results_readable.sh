#!/usr/bin/env bash
# Results a user cannot misread: eNBs and certificates counted apart on the console, in
# summary.json and in the sweep; no latency of no eNB; the diagnostics of a collapse and of a
# run ending while a pkiConf is on its way; the access class and RA/CA of every eNB; eNBs that
# keep trying through an outage; 503 retries apart from attempts.
set -uo pipefail
es=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { awk -v path="$2" -f "$src/tests/support/json_get.awk" "$1/summary.json"; }
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
small=$src/topologies/scenarios/small.ini

# --- A collapse in miniature: ten eNBs at once on one slow worker, none waiting long enough.
# The first irs are answered in time, but their certConfs queue behind the other irs and the
# eNBs give up; the RA/CA then confirms them (valid, held by no eNB) and revokes the rest.
collapse=(run --scenario "$small" --set scenario.enbs=10 --set rollout.schedule=burst
  --set raca.workers=1 --set raca.ir_service=300ms --set raca.certconf_service=300ms
  --set enb.msg_timeout=1s --set enb.max_attempts=1 --set enb.give_up_after=0s)
"$es" "${collapse[@]}" --out "$tmp/collapse" >"$tmp/c.out" 2>"$tmp/c.err" \
  || fail "collapse run exited $?: $(cat "$tmp/c.err")"
cat "$tmp/c.out" "$tmp/c.err"
grep -q '^eNBs: 10, 0 enrolled, 10 failed (timeout 10)$' "$tmp/c.out" || fail "eNB line"
grep -q '^enrolment (over the 0 enrolled eNBs): latency n/a$' "$tmp/c.out" || fail "latency of no eNB"
[ "$(json "$tmp/collapse" latency_s.p50)" = null ] || fail "summary latency of no eNB is not null"
issued=$(json "$tmp/collapse" certificates.issued) revoked=$(json "$tmp/collapse" certificates.revoked)
unheld=$(json "$tmp/collapse" certificates.valid_unheld)
[ "$issued" -eq 10 ] && [ "$unheld" -gt 0 ] && [ "$((revoked + unheld))" -eq "$issued" ] \
  || fail "certificates: $issued issued, $revoked revoked, $unheld valid unheld"
[ "$(json "$tmp/collapse" certificates.revoked_by_reason.confirm_timeout)" -eq "$revoked" ] \
  || fail "revocations are not all confirm_timeout"
grep -q "^certificates: 10 issued, $revoked revoked (confirm_timeout $revoked), $unheld valid but held by no eNB\$" \
  "$tmp/c.out" || fail "certificate line"
[ "$(json "$tmp/collapse" enbs.holding_revoked)" -eq 0 ] || fail "eNBs holding revoked"
# Each diagnostic on stderr (even with --quiet) and in summary.json, with its numbers and key.
grep -q 'warning: RA/CA 0: requests waited up to .* longer than enb.msg_timeout (1s).*raca.workers' \
  "$tmp/c.err" || fail "no queue diagnostic"
grep -q "warning: $unheld certificates are valid and held by no eNB.*enb.msg_timeout" "$tmp/c.err" \
  || fail "no valid-unheld diagnostic"
grep -q '"raca_0_queue_over_timeout": "RA/CA 0: requests waited' "$tmp/collapse/summary.json" \
  || fail "queue diagnostic not in summary.json"
grep -q '"certificates_valid_unheld": ' "$tmp/collapse/summary.json" || fail "unheld diagnostic not in summary.json"
"$es" "${collapse[@]}" --quiet --out "$tmp/collapse-q" >"$tmp/q.out" 2>"$tmp/q.err" || fail "quiet run"
[ ! -s "$tmp/q.out" ] || fail "--quiet printed a report"
grep -q 'warning: .*valid and held by no eNB' "$tmp/q.err" || fail "--quiet hid a diagnostic"
# A run that ends while a pkiConf is on its way (satellite eNB 8 of a 300-site rollover: its
# certConf accepted, its pkiConf due at 12,689.06 s) says so, not only that eNBs gave up.
"$es" run --scenario "$src/topologies/scenarios/root-rollover.ini" --set scenario.enbs=300 \
  --set scenario.stop_time=12689s --quiet --out "$tmp/cut" 2>"$tmp/cut.err" || fail "cut run"
[ "$(json "$tmp/cut" certificates.valid_unheld)" -eq 1 ] || fail "cut: valid_unheld"
grep -q 'warning: 1 certificates are valid and held by no eNB: the RA/CA confirmed them, but the run ended before the pkiConf reached their eNBs (1 unfinished)' \
  "$tmp/cut.err" || fail "cut: $(cat "$tmp/cut.err")"
# A healthy run has no diagnostics, and says so with an empty object.
"$es" run --scenario "$small" --quiet --out "$tmp/clean" 2>"$tmp/clean.err" || fail "clean run"
[ ! -s "$tmp/clean.err" ] || fail "warnings on a clean run: $(cat "$tmp/clean.err")"
grep -q '^  "diagnostics": {}' "$tmp/clean/summary.json" || fail "clean run: diagnostics not empty"

# --- Where each eNB sits: the national layout's access classes, per class in the summary, on
# the console and in the CSV, with the RA/CA of each eNB.
"$es" run --set topology.type=national --set scenario.enbs=60 --set topology.racas=2 \
  --set national.regions=2 --set national.satellite_share=0.2 --set national.fibre_share=0.4 \
  --set national.microwave_share=0.4 --out "$tmp/nat" >"$tmp/n.out" 2>&1 || fail "national run: $(cat "$tmp/n.out")"
csv=$tmp/nat/enrolments.csv
a=$(col "$csv" access) r=$(col "$csv" raca)
[ "$(tail -n +2 "$csv" | cut -d, -f"$a" | sort -u | tr '\n' ' ')" = "fibre microwave satellite " ] \
  || fail "access classes: $(tail -n +2 "$csv" | cut -d, -f"$a" | sort -u)"
[ "$(tail -n +2 "$csv" | cut -d, -f"$r" | sort -u | tr '\n' ' ')" = "0 1 " ] || fail "RA/CA column"
[ "$(tail -n +2 "$csv" | cut -d, -f"$a" | grep -c satellite)" -eq "$(json "$tmp/nat" by_access.satellite.enbs)" ] \
  || fail "by_access.satellite.enbs"
sat=$(json "$tmp/nat" by_access.satellite.latency_s.p50) fib=$(json "$tmp/nat" by_access.fibre.latency_s.p50)
awk -v s="$sat" -v f="$fib" 'BEGIN { exit !(s > 4 * f) }' || fail "satellite p50 $sat not above fibre $fib"
grep -q '^  satellite: 12 eNBs, 12 enrolled, latency p50' "$tmp/n.out" || fail "per-class console line: $(cat "$tmp/n.out")"
# A topology file: a link's class=, else the node the eNB hangs on.
cat > "$tmp/t.topo" <<'EOF'
node core router
node raca raca
node hub router
node enb-1 enb
node enb-2 enb
link core raca 1Gbps 1ms
link core hub 1Gbps 1ms
link hub enb-1 20Mbps 250ms class=satellite
link hub enb-2 1Gbps 1ms
EOF
"$es" run --quiet --set topology.type=file --set topology.file="$tmp/t.topo" --set scenario.enbs=2 \
  --out "$tmp/file" || fail "topology file run"
[ "$(tail -n +2 "$tmp/file/enrolments.csv" | cut -d, -f"$(col "$tmp/file/enrolments.csv" access)" | tr '\n' ' ')" = "satellite hub " ] \
  || fail "file access classes: $(cat "$tmp/file/enrolments.csv")"

# --- A five-minute outage of every access link: deployed eNBs keep trying and all enrol; told
# to give up (enb.give_up_after=0), some fail for good and the run says why.
outage=(run --scenario "$small" --set scenario.enbs=20 --set rollout.window=60s
  --set backhaul.outages=10s+300s --quiet)
"$es" "${outage[@]}" --out "$tmp/keep" 2>"$tmp/keep.err" || fail "outage run"
[ "$(json "$tmp/keep" enbs.enrolled)" -eq 20 ] || fail "default eNBs did not ride out the outage"
"$es" "${outage[@]}" --set enb.give_up_after=0s --out "$tmp/stop" 2>"$tmp/stop.err" || fail "outage run, give up"
[ "$(json "$tmp/stop" enbs.failed)" -gt 0 ] || fail "eNBs told to give up all enrolled"
grep -q 'warning: [0-9]* eNBs gave up for good before .*the last link outage ended.*enb.give_up_after (0s)' \
  "$tmp/stop.err" || fail "no give-up diagnostic: $(cat "$tmp/stop.err")"

# --- 503s: a full queue answers busy; those retries are counted apart from attempts.
"$es" run --scenario "$small" --quiet --set scenario.enbs=40 --set rollout.schedule=burst \
  --set raca.queue_limit=2 --set raca.ir_service=50ms --out "$tmp/busy" || fail "busy run"
csv=$tmp/busy/enrolments.csv
[ "$(tail -n +2 "$csv" | cut -d, -f"$(col "$csv" busy_retries)" | awk '{ s += $1 } END { print s }')" -gt 0 ] \
  || fail "no 503 retries"
[ "$(tail -n +2 "$csv" | cut -d, -f"$(col "$csv" attempts)" | sort -n | tail -1)" -le 4 ] \
  || fail "attempts counted 503 retries"

# --- A sweep over loss with restarts: certificates revoked per point, apart from eNBs.
"$es" sweep --scenario "$small" --set scenario.enbs=30 --set enb.retry=restart \
  --vary backhaul.loss=0,0.2 --runs 1 --jobs 2 --out "$tmp/sw" >"$tmp/sw.out" 2>&1 \
  || fail "sweep: $(cat "$tmp/sw.out")"
csv=$tmp/sw/sweep.csv
for c in certs_revoked_mean certs_revoked_confirm_timeout_mean certs_valid_unheld_mean enbs_holding_revoked_mean; do
  [ -n "$(col "$csv" $c)" ] || fail "sweep.csv has no $c"
done
lossy=$(sed -n 3p "$csv" | cut -d, -f"$(col "$csv" certs_revoked_mean)")
awk -v v="$lossy" 'BEGIN { exit !(v > 0) }' || fail "20 % loss with restarts revoked nothing: $(cat "$csv")"
[ "$(json "$tmp/sw/backhaul.loss=0.2/rep-1" certificates.revoked)" = "$(printf '%.0f' "$lossy")" ] \
  || fail "sweep mean differs from the run's certificates.revoked"
grep -q 'certs revoked' "$tmp/sw.out" || fail "sweep console has no certificate column"
files=$(find "$tmp/sw/plots" -type f | wc -l)
grep -q "^plots: $tmp/sw/plots ($((files / 3)) plots: $files files," "$tmp/sw.out" \
  || fail "$files files written: $(grep plots: "$tmp/sw.out")"
if command -v gnuplot >/dev/null; then
  [ -s "$tmp/sw/plots/certs_revoked_vs_backhaul.loss.png" ] || fail "no plot of certificates revoked"
  "$es" plot "$tmp/nat" >/dev/null || fail "plot of the national run"
  grep -q "strcol('access') eq \"satellite\"" "$tmp/nat/plots/latency_cdf.gp" || fail "no satellite curve"
fi
echo "ok"
