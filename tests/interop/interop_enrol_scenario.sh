#!/usr/bin/env bash
# `enrolsim enrol --scenario` against `enrolsim serve`: the scenario's rollout replayed as
# open-loop arrivals in wall-clock time. eNB k starts when the simulated run of the same
# scenario and seed powers it on (Poisson, waves), --concurrency holds eNBs back without
# starting any early, enb.renew_after renews each eNB that long after its enrolment, the run
# ends at scenario.stop_time, a mistyped --set is refused with the closest key, and compare
# takes two live runs but a live run against a simulated one only when told.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
json() { awk -v path="$1" -f "$(dirname "$0")/../support/json_get.awk" "$2"; }
start_serve "$tmp/served"
srv=127.0.0.1:$port

# starts_match LIVE SIM [MAX_LATE_S] [P90_LATE_S] [P50_LATE_S]: every eNB of LIVE's
# enrolments.csv started no earlier (1 ms slack for the timer) and at most MAX_LATE_S later
# than in SIM's; nine in ten within P90_LATE_S, half within P50_LATE_S (a few ms: the
# scheduling jitter of a loaded machine).
starts_match() {
  join -t, <(tail -n +2 "$1/enrolments.csv" | cut -d, -f1,2 | sort -t, -k1,1) \
           <(tail -n +2 "$2/enrolments.csv" | cut -d, -f1,2 | sort -t, -k1,1) >"$tmp/starts"
  [ "$(wc -l <"$tmp/starts")" -eq "$(($(wc -l <"$2/enrolments.csv") - 1))" ] || fail "$1: eNBs missing"
  awk -F, -v max="${3:-0.250}" '
    { d = $2 - $3; if (d < -0.001 || d > max) { print "eNB " $1 ": started at " $2 ", scheduled " $3; bad = 1 } }
    END { exit bad }' "$tmp/starts" || fail "$1: start times off the schedule of $2"
  local q
  q=$(awk -F, '{ printf "%.6f\n", $2 - $3 }' "$tmp/starts" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[int(NR * 0.9)] }')
  awk -v q="$q" -v p90="${4:-0.030}" -v p50="${5:-0.010}" \
    'BEGIN { split(q, v, " "); exit !(v[1] <= p50 && v[2] <= p90) }' ||
    fail "$1: start lateness p50, p90 $q s (at most ${5:-0.010}, ${4:-0.030})"
}

# (a) Poisson arrivals, 100 eNBs at 50/s: the start times are the simulated power-on times.
cat >"$tmp/poisson.ini" <<EOF
[scenario]
name = live-poisson
seed = 7
enbs = 100
stop_time = 60s
[rollout]
schedule = poisson
rate = 50/s
EOF
timeout 60 "$es" enrol "$pki" "$tmp/live-p" --server "$srv" --scenario "$tmp/poisson.ini" \
  >"$tmp/live-p.log" 2>&1 || fail "enrol --scenario poisson exited $?: $(cat "$tmp/live-p.log")"
grep -q "100 eNBs: 100 enrolled, 0 failed" "$tmp/live-p.log" || fail "$(cat "$tmp/live-p.log")"
grep -q "poisson arrivals: 100 of 100 eNBs started" "$tmp/live-p.log" || fail "$(cat "$tmp/live-p.log")"
grep -q "no cap on concurrency" "$tmp/live-p.log" || fail "a scenario caps concurrency: $(cat "$tmp/live-p.log")"
"$es" run --quiet --scenario "$tmp/poisson.ini" --out "$tmp/sim-p" || fail "run poisson"
starts_match "$tmp/live-p" "$tmp/sim-p"
last=$(tail -n +2 "$tmp/sim-p/enrolments.csv" | cut -d, -f2 | sort -g | tail -n 1)
awk -v t="$last" 'BEGIN { exit !(t > 1 && t < 4) }' || fail "100 eNBs at 50/s: last arrival at $last s"
# The summary of a live run: its scenario, engine, server, host, build and parameters; the
# effective scenario beside it is the simulated run's.
s=$tmp/live-p/summary.json
[ "$(json scenario "$s")" = live-poisson ] || fail "scenario name: $(json scenario "$s")"
[ "$(json attributes.engine "$s")" = live ] || fail "attributes.engine"
[ "$(json attributes.engine "$tmp/sim-p/summary.json")" = simulated ] || fail "a simulated run's attributes.engine"
[ "$(json attributes.server "$s")" = "$srv/" ] || fail "attributes.server: $(json attributes.server "$s")"
[ "$(json attributes.host "$s")" = "$(hostname)" ] || fail "attributes.host: $(json attributes.host "$s")"
for a in enrolsim_version git_revision openssl_version glib_version; do
  [ -n "$(json "attributes.$a" "$s")" ] || fail "no attributes.$a"
done
[ "$(json attributes.parameters.rollout.schedule "$s")" = poisson ] || fail "attributes.parameters"
[ "$(json attributes.parameters.rollout.rate "$s")" = "$(json attributes.parameters.rollout.rate "$tmp/sim-p/summary.json")" ] || fail "parameters differ from the simulated run's"
cmp -s "$tmp/live-p/scenario.ini" "$tmp/sim-p/scenario.ini" || fail "scenario.ini differs from the simulated run's"

# (b) Waves: 3 of 10 sites each second, spread over 0.2 s. Then the same one at a time:
# the eNBs held back start later, none earlier, and the summary counts them.
waves=(--set scenario.name=live-waves --set scenario.enbs=30 --set scenario.stop_time=30s
  --set rollout.schedule=waves --set rollout.wave_size=10 --set rollout.wave_period=1s
  --set rollout.wave_spread=0.2s)
timeout 60 "$es" enrol "$pki" "$tmp/live-w" --server "$srv" "${waves[@]}" >"$tmp/live-w.log" 2>&1 \
  || fail "enrol waves exited $?: $(cat "$tmp/live-w.log")"
"$es" run --quiet "${waves[@]}" --out "$tmp/sim-w" || fail "run waves"
starts_match "$tmp/live-w" "$tmp/sim-w"
timeout 60 "$es" enrol "$pki" "$tmp/live-wc" --server "$srv" "${waves[@]}" --concurrency 1 \
  >"$tmp/live-wc.log" 2>&1 || fail "enrol waves --concurrency 1 exited $?: $(cat "$tmp/live-wc.log")"
grep -q "30 eNBs: 30 enrolled" "$tmp/live-wc.log" || fail "$(cat "$tmp/live-wc.log")"
grep -q "held back by --concurrency 1" "$tmp/live-wc.log" || fail "none held back: $(cat "$tmp/live-wc.log")"
held=$(json wall_clock.held_by_concurrency "$tmp/live-wc/summary.json")
[ "$held" -gt 0 ] || fail "wall_clock.held_by_concurrency $held"
[ "$(json attributes.concurrency "$tmp/live-wc/summary.json")" = 1 ] || fail "attributes.concurrency"
starts_match "$tmp/live-wc" "$tmp/sim-w" 5 5 5 # later, never earlier

# (c) enb.renew_after: each enrolled eNB renews (kur) that long after its enrolment, and the
# run waits for it; a stop time before then ends the run without the renewals.
renew=(--set scenario.name=live-renew --set scenario.enbs=5 --set rollout.window=0.5s
  --set enb.renew_after=1s)
timeout 60 "$es" enrol "$pki" "$tmp/live-r" --server "$srv" "${renew[@]}" --keep-certs \
  >"$tmp/live-r.log" 2>&1 || fail "enrol renew_after exited $?: $(cat "$tmp/live-r.log")"
grep -q "5 eNBs: 5 enrolled, 0 failed, 5 renewed" "$tmp/live-r.log" || fail "$(cat "$tmp/live-r.log")"
for enb in 1 2 3 4 5; do
  serial=$(awk -F, -v e="$enb" '$1 == e { print $10 }' "$tmp/live-r/enrolments.csv")
  [ "$(serial_of "$tmp/live-r/certs/enb-$enb.pem")" = "$serial" ] || fail "eNB $enb: CSV serial"
  # The kur's row in serve's log, at least renew_after after the ir's of this eNB.
  kur=$(grep -E ",$serial,\"([^\"]*,)?CN=enb-$enb(,[^\"]*)?\",kur," "$tmp/served/issued.csv" | tail -n 1 | cut -d, -f1)
  [ -n "$kur" ] || fail "eNB $enb: kur not logged"
  replaced=$(grep -E ",$serial,.*,kur," "$tmp/served/issued.csv" | tail -n 1 | awk -F, '{ print $NF }')
  ir=$(awk -F, -v s="$replaced" '$3 == s { print $1 }' "$tmp/served/issued.csv")
  awk -v a="$ir" -v b="$kur" 'BEGIN { exit !(b - a >= 0.99 && b - a < 5) }' || fail "eNB $enb: ir at $ir, kur at $kur"
done
timeout 60 "$es" enrol "$pki" "$tmp/live-rs" --server "$srv" "${renew[@]}" --set enb.renew_after=30s \
  --set scenario.stop_time=1.5s >"$tmp/live-rs.log" 2>&1 || fail "enrol stop_time exited $?: $(cat "$tmp/live-rs.log")"
grep -q "5 eNBs: 5 enrolled, 0 failed, 0 renewed" "$tmp/live-rs.log" || fail "$(cat "$tmp/live-rs.log")"
t=$(json sim_time_s "$tmp/live-rs/summary.json")
awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t < 3) }' || fail "a run to scenario.stop_time 1.5s took $t s"

# An eNB still enrolling at scenario.stop_time is unfinished: a server that never answers.
python3 - "$tmp/mute-port" >"$tmp/mute.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/mute-port" ] && break; sleep 0.05; done
mute=$(cat "$tmp/mute-port") || fail "the mute server did not start: $(cat "$tmp/mute.log")"
timeout 30 "$es" enrol "$pki" "$tmp/live-mute" --server "127.0.0.1:$mute" --set scenario.enbs=3 \
  --set rollout.window=0.2s --set scenario.stop_time=1s >"$tmp/live-mute.log" 2>&1
st=$?
[ "$st" -eq 1 ] || fail "enrol cut short by scenario.stop_time: exit status $st: $(cat "$tmp/live-mute.log")"
grep -q "3 unfinished (still busy or not started at scenario.stop_time)" "$tmp/live-mute.log" || fail "$(cat "$tmp/live-mute.log")"
[ "$(json enbs.unfinished "$tmp/live-mute/summary.json")" = 3 ] || fail "enbs.unfinished"

# (d) A mistyped key is refused before anything runs, with the closest name; so is a bad cap.
"$es" enrol "$pki" "$tmp/typo" --server "$srv" --set rollout.rat=5/s >"$tmp/typo.log" 2>&1
st=$?
[ "$st" -eq 2 ] || fail "--set rollout.rat: exit status $st"
grep -q "did you mean 'rollout.rate'" "$tmp/typo.log" || fail "no hint: $(cat "$tmp/typo.log")"
[ -e "$tmp/typo" ] && fail "a refused enrol wrote $tmp/typo"
"$es" enrol "$pki" "$tmp/typo" --server "$srv" --scenario "$tmp/poisson.ini" --concurrency 0 \
  >"$tmp/cap.log" 2>&1
[ $? -eq 2 ] || fail "--concurrency 0 accepted"
"$es" enrol "$pki" "$tmp/typo" --server "$srv" --enbs 0 >"$tmp/enbs.log" 2>&1
[ $? -eq 2 ] || fail "--enbs 0 accepted"
grep -q "scenario.enbs" "$tmp/enbs.log" || fail "--enbs 0 not refused as scenario.enbs: $(cat "$tmp/enbs.log")"

# Without a scenario, the closed loop of before: burst, one at a time, scenario "default".
timeout 60 "$es" enrol "$pki" "$tmp/closed" --server "$srv" --enbs 3 -q || fail "closed loop"
grep -qx "schedule=burst" "$tmp/closed/scenario.ini" || fail "closed loop: $(grep schedule "$tmp/closed/scenario.ini")"
[ "$(json scenario "$tmp/closed/summary.json")" = default ] || fail "closed loop scenario name"
[ "$(json attributes.concurrency "$tmp/closed/summary.json")" = 1 ] || fail "closed loop concurrency"

# (e) Two live runs of one scenario compare (exit 0 or 1 by the figures, never refused); a
# live run against a simulated one is refused (2) unless --allow-mixed-engines.
timeout 60 "$es" enrol "$pki" "$tmp/live-p2" --server "$srv" --scenario "$tmp/poisson.ini" -q \
  || fail "second poisson run"
"$es" compare "$tmp/live-p" "$tmp/live-p2" --tolerance 'latency_s.*=100000' >"$tmp/cmp-live.log" 2>&1
st=$?
[ "$st" -le 1 ] || fail "compare of two live runs: exit status $st: $(cat "$tmp/cmp-live.log")"
grep -Eq "^enbs\.enrolled +100 +100 .* ok$" "$tmp/cmp-live.log" || fail "$(cat "$tmp/cmp-live.log")"
grep -q "live against $srv/" "$tmp/cmp-live.log" || fail "$(cat "$tmp/cmp-live.log")"
"$es" compare "$tmp/sim-p" "$tmp/live-p" >"$tmp/cmp-mixed.log" 2>&1
st=$?
[ "$st" -eq 2 ] || fail "compare simulated vs live: exit status $st"
grep -q "the baseline is a simulated run, the result a live one.*--allow-mixed-engines" "$tmp/cmp-mixed.log" \
  || fail "$(cat "$tmp/cmp-mixed.log")"
"$es" compare "$tmp/live-p" "$tmp/sim-p" >"$tmp/cmp-mixed2.log" 2>&1
[ $? -eq 2 ] || fail "compare live vs simulated accepted"
"$es" compare "$tmp/sim-p" "$tmp/live-p" --allow-mixed-engines --tolerance '*=100000' \
  >"$tmp/cmp-allowed.log" 2>&1
st=$?
[ "$st" -le 1 ] || fail "compare --allow-mixed-engines: exit status $st: $(cat "$tmp/cmp-allowed.log")"
grep -q "note: engines differ: the baseline is a simulated run, the result a live one" "$tmp/cmp-allowed.log" \
  || fail "$(cat "$tmp/cmp-allowed.log")"
stop_serve
echo "interop_enrol_scenario: poisson and waves replayed on the simulated schedule, renewals, stop time, compare"
