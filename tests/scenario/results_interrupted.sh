#!/usr/bin/env bash
# Ctrl-C keeps the results: a region run interrupted by SIGINT after a few seconds leaves a
# complete folder marked interrupted (eNBs still enrolling are unfinished, not failed) that
# compare and plot accept, exit status 130; SIGTERM gives 143; a second signal ends the
# program at once; an interrupted sweep stops, says so and writes no sweep.csv; enrol against
# serve does the same. (A run never interrupted is unchanged: scenario_determinism and
# results_baseline run with the same signal check in place.)
src=$2
# The scratch folder, fail and the PIDs stopped on exit of the live tests.
source "$src/tests/interop/interop_lib.sh" "$1"
command -v gnuplot >/dev/null || fail "gnuplot is not installed (scripts/setup.sh installs it)"

# wait_for FILE PID: until FILE exists (the handlers are installed by then), 120 s at most.
wait_for() {
  for _ in $(seq 1200); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || fail "process $2 ended before $1 appeared"
    sleep 0.1
  done
  fail "$1 never appeared"
}
# number KEY FILE: the first value of "KEY": in a summary.json.
number() { grep -m1 "\"$1\": " "$2" | sed 's/.*: \([0-9.]*\).*/\1/'; }

# --- run, SIGINT: every result file, marked interrupted; compare and plot accept it.
out=$tmp/region
"$es" run --scenario "$src/topologies/scenarios/region.ini" --out "$out" >"$tmp/out" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for "$out/scenario.ini" "$pid"
sleep 3
kill -INT "$pid"
wait "$pid"; st=$?
[ "$st" -eq 130 ] || fail "SIGINT: exit status $st, wanted 130: $(cat "$tmp/err")"
for f in enrolments.csv revocations.csv raca_queue.csv hostile.csv summary.json crl.pem \
  scenario.ini pki/operator-root.pem; do
  [ -s "$out/$f" ] || fail "interrupted run: no $f"
done
grep -q '"interrupted": {' "$out/summary.json" || fail "summary.json not marked interrupted"
grep -q '"signal": "SIGINT"' "$out/summary.json" || fail "summary.json lacks the signal"
at=$(number sim_time_s "$out/summary.json")
[ -n "$at" ] || fail "no interrupted.sim_time_s"
total=$(number total "$out/summary.json") enrolled=$(number enrolled "$out/summary.json")
failed=$(number failed "$out/summary.json") unfinished=$(number unfinished "$out/summary.json")
[ "$total" -eq 10000 ] || fail "enbs.total $total"
[ $((enrolled + failed + unfinished)) -eq "$total" ] \
  || fail "enrolled $enrolled + failed $failed + unfinished $unfinished != $total"
[ "$unfinished" -gt 0 ] || fail "a region run stopped after seconds has no unfinished eNB"
[ "$(wc -l <"$out/enrolments.csv")" -eq 10001 ] || fail "enrolments.csv lacks rows"
# Certificates awaiting certConf are counted as such, not revoked for a confirm-wait that
# never expired: every certificate is held, revoked, awaiting or unheld, and no revocation
# is dated at the interruption.
issued=$(number issued "$out/summary.json") held=$(number held_valid "$out/summary.json")
awaiting=$(number awaiting_confirm "$out/summary.json") unheld=$(number valid_unheld "$out/summary.json")
revoked=$(($(wc -l <"$out/revocations.csv") - 1))
[ -n "$awaiting" ] || fail "summary.json lacks certificates.awaiting_confirm"
[ $((held + revoked + awaiting + unheld)) -eq "$issued" ] \
  || fail "held $held + revoked $revoked + awaiting $awaiting + unheld $unheld != issued $issued"
! awk -F, -v at="$at" 'NR > 1 && $6 + 0 >= at - 1e-6 { found = 1 } END { exit !found }' \
  "$out/revocations.csv" || fail "a revocation dated at the interruption ($at s)"
openssl crl -in "$out/crl.pem" -noout || fail "crl.pem is not a CRL"
grep -q "^interrupted by SIGINT at " "$tmp/out" || fail "console does not say interrupted: $(cat "$tmp/out")"
grep -q "unfinished (the run was interrupted" "$tmp/out" || fail "console: $(cat "$tmp/out")"
grep -q "run interrupted by SIGINT at .*marked interrupted" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
"$es" compare "$out" "$out" >"$tmp/cmp" 2>&1 || fail "compare refused the folder: $(cat "$tmp/cmp")"
grep -q "note: the result was interrupted by SIGINT at " "$tmp/cmp" || fail "compare: no note: $(cat "$tmp/cmp")"
"$es" plot "$out" >"$tmp/plot" 2>&1 || fail "plot refused the folder: $(cat "$tmp/plot")"
[ -s "$out/plots/latency_cdf.svg" ] || fail "no plot drawn"
grep -q "scenario region, seed 1, interrupted by SIGINT at " "$out/plots/enrolled_over_time.svg" \
  || fail "the plot's title does not say the run was interrupted"

# --- SIGTERM: 143 and the signal's name.
out=$tmp/term
"$es" run --quiet --set scenario.enbs=3000 --out "$out" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for "$out/scenario.ini" "$pid"
sleep 1
kill -TERM "$pid"
wait "$pid"; st=$?
[ "$st" -eq 143 ] || fail "SIGTERM: exit status $st, wanted 143: $(cat "$tmp/err")"
grep -q '"signal": "SIGTERM"' "$out/summary.json" || fail "summary.json lacks SIGTERM"

# --- A second signal: the program ends at once, without its results. The first comes while
# the RSA-2048 key pool is made (seconds; the run stops after it), the second once the first
# was taken (signals that arrive together merge into one).
out=$tmp/twice
"$es" run --set scenario.enbs=100 --set pki.key=rsa2048 --set enb.key=rsa2048 --out "$out" \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for "$out/scenario.ini" "$pid"
kill -INT "$pid"
for _ in $(seq 100); do grep -q "enrolsim: interrupted: " "$tmp/err" && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"; st=$?
[ "$st" -eq 130 ] || fail "two SIGINTs: exit status $st, wanted 130"
[ ! -e "$out/summary.json" ] || fail "the second SIGINT did not end the run at once"

# --- sweep: no further run, the signal passed on, no sweep.csv, a status that says so.
sweep=$tmp/sweep
"$es" sweep --set scenario.enbs=3000 --vary raca.workers=1,2,3 --runs 2 -j 2 --no-plot \
  --out "$sweep" >"$tmp/out" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_for "$sweep/raca.workers=1/rep-1/scenario.ini" "$pid"
sleep 1
kill -INT "$pid"
wait "$pid"; st=$?
[ "$st" -eq 130 ] || fail "sweep: exit status $st, wanted 130: $(cat "$tmp/err")"
grep -q "sweep: interrupted by SIGINT: 0 of 6 runs done, no sweep.csv written" "$tmp/err" \
  || fail "sweep: $(cat "$tmp/err")"
[ ! -e "$sweep/sweep.csv" ] || fail "an interrupted sweep wrote sweep.csv"
[ ! -e "$sweep/raca.workers=3" ] || fail "the sweep started runs after the signal"
grep -q '"signal": "SIGINT"' "$sweep/raca.workers=1/rep-1/summary.json" \
  || fail "the run in flight did not keep its results"

# --- enrol against serve: the same, and 143 for SIGTERM.
# interop_lib.sh made $tmp/pki (3 devices).
"$es" serve "$tmp/pki" "$tmp/served" --listen 127.0.0.1:0 --port-file "$tmp/port" -q \
  >"$tmp/serve.log" 2>&1 &
serve=$!
pids+=("$serve")
wait_for "$tmp/port" "$serve"
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
for sig in INT TERM; do
  out=$tmp/enrol-$sig
  "$es" enrol "$tmp/pki" "$out" --server "127.0.0.1:$port" --enbs 2000 --concurrency 4 \
    >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  pids+=("$pid")
  wait_for "$out/.enrolsim-files" "$pid"
  sleep 2
  kill -"$sig" "$pid"
  wait "$pid"; st=$?
  want=$([ $sig = INT ] && echo 130 || echo 143)
  [ "$st" -eq "$want" ] || fail "enrol SIG$sig: exit status $st, wanted $want: $(cat "$tmp/err")"
  grep -q "\"signal\": \"SIG$sig\"" "$out/summary.json" || fail "enrol SIG$sig: summary not marked"
  [ "$(number unfinished "$out/summary.json")" -gt 0 ] || fail "enrol SIG$sig: no unfinished eNB"
  [ "$(wc -l <"$out/enrolments.csv")" -eq 2001 ] || fail "enrol SIG$sig: enrolments.csv lacks rows"
  "$es" plot "$out" >/dev/null 2>&1 || fail "plot refused the interrupted enrol folder"
  grep -q "interrupted by SIG$sig at " "$out/plots/latency_cdf.svg" || fail "enrol plot title"
done
echo "results_interrupted: SIGINT and SIGTERM keep complete, marked results (run, sweep, enrol)"
