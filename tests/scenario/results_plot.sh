#!/usr/bin/env bash
# Plots: `run --plot` and `plot DIR` draw PNG and SVG from the run's CSV files, titled with
# the scenario and seed, axes with units; redrawing needs no new run; without gnuplot the
# message says so, the exit status is 1 and the CSV files are untouched. A day-2 run adds the
# CRL's size and its transitions' curves.
set -uo pipefail
es=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || fail "gnuplot is not installed (scripts/setup.sh installs it)"
small=$src/topologies/scenarios/small.ini
out=$tmp/run

"$es" run --quiet --scenario "$small" --out "$out" --plot || fail "run --plot exited $?"
for p in latency_cdf enrolled_over_time raca_queue; do
  [ "$(head -c 8 "$out/plots/$p.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$p.png is not a PNG"
  grep -q '<svg' "$out/plots/$p.svg" || fail "$p.svg is not an SVG"
  grep -q 'scenario small, seed 1' "$out/plots/$p.svg" || fail "$p.svg: title lacks scenario and seed"
  [ -s "$out/plots/$p.gp" ] || fail "no $p.gp beside the plot"
done
grep -q 'enrolment latency, power-on to enrolled (s)' "$out/plots/latency_cdf.svg" || fail "CDF x label"
grep -q 'fraction of enrolled eNBs' "$out/plots/latency_cdf.svg" || fail "CDF y label"
grep -q '100 of 100 eNBs enrolled' "$out/plots/latency_cdf.svg" || fail "CDF title counts"
grep -q 'simulated time (s)' "$out/plots/enrolled_over_time.svg" || fail "enrolled x label"
grep -q 'simulated time (s)' "$out/plots/raca_queue.svg" || fail "queue x label"
grep -q 'requests' "$out/plots/raca_queue.svg" || fail "queue y label"

# Redrawn from the files alone: no new run, the results untouched.
sums=$(cd "$out" && md5sum enrolments.csv raca_queue.csv summary.json)
rm -r "$out/plots"
"$es" plot "$out" >"$tmp/plot.out" || fail "plot DIR exited $?"
[ "$(grep -c '\.png$' "$tmp/plot.out")" -eq 3 ] || fail "plot DIR listed: $(cat "$tmp/plot.out")"
[ -s "$out/plots/raca_queue.svg" ] || fail "plot DIR did not redraw"
# ...and by gnuplot itself from the kept script.
rm "$out/plots/latency_cdf.png"
(cd "$out/plots" && gnuplot latency_cdf.gp 2>/dev/null) || fail "latency_cdf.gp does not redraw"
[ -s "$out/plots/latency_cdf.png" ] || fail "latency_cdf.gp drew nothing"

# No gnuplot: a clear message, exit 1, results intact; the same for run --plot.
PATH=/nonexistent "$es" plot "$out" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] || fail "plot without gnuplot exited $st"
grep -q 'gnuplot not found' "$tmp/err" || fail "message: $(cat "$tmp/err")"
ENROLSIM_GNUPLOT=/nonexistent/gnuplot "$es" run --quiet --scenario "$small" --set scenario.enbs=10 \
  --out "$tmp/nogp" --plot 2>"$tmp/err"; st=$?
[ $st -eq 1 ] || fail "run --plot without gnuplot exited $st"
grep -q 'gnuplot not found' "$tmp/err" || fail "run --plot message: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/nogp/enrolments.csv")" -eq 11 ] || fail "run --plot without gnuplot lost the CSV"
[ -s "$tmp/nogp/summary.json" ] || fail "run --plot without gnuplot lost the summary"
[ "$(cd "$out" && md5sum enrolments.csv raca_queue.csv summary.json)" = "$sums" ] || fail "plotting changed the results"

# Day 2: an installed base renewing at once, a fifth of it revoked at 1 h, delta CRLs fetched
# on the trigger. crl_size and day2_transitions are drawn; the small run above drew neither.
[ ! -e "$out/plots/crl_size.gp" ] && [ ! -e "$out/plots/day2_transitions.gp" ] || fail "day-2 plots of a run without day 2"
d2=$tmp/day2
day2=(run --quiet --seed 3 --set scenario.enbs=40 --set scenario.stop_time=2h --set pki.cert_validity=365d
  --set rollout.start=enrolled --set rollout.installed_over=1h --set rollout.installed_age=335d
  --set revocation.at=1h --set revocation.share=0.2 --set crl_fetch.mode=trigger --set crl_fetch.form=delta)
"$es" "${day2[@]}" --set enb.renew_before=30d --set enb.renew_window=2h --out "$d2" --plot || fail "day-2 run --plot exited $?"
for p in crl_size day2_transitions; do
  [ "$(head -c 8 "$d2/plots/$p.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$p.png is not a PNG"
  grep -q '<svg' "$d2/plots/$p.svg" || fail "$p.svg is not an SVG"
done
json() { awk -v path="$2" -f "$src/tests/support/json_get.awk" "$1/summary.json"; }
enforcing=$(json "$d2" crl_dist.enforcing)
[ "$(awk -F, 'NR > 1 && $3 != ""' "$d2/crl_enforcement.csv" | wc -l)" -eq "$enforcing" ] || fail "crl_enforcement.csv against crl_dist.enforcing"
head -1 "$d2/crl_enforcement.csv" | grep -qx 'enb,access,enforced_s' || fail "crl_enforcement.csv header"
grep -q "renewals completed: $(json "$d2" day2.renewed) of 40 eNBs" "$d2/plots/day2_transitions.svg" || fail "day2_transitions: renewals"
grep -q "enforcing the mass revocation (holding a CRL that lists it): $enforcing of 40 eNBs" "$d2/plots/day2_transitions.svg" \
  || fail "day2_transitions: enforcement"
grep -q "column('entries')" "$d2/plots/crl_size.gp" && grep -q "column('bytes')" "$d2/plots/crl_size.gp" || fail "crl_size.gp columns"
grep -q 'delta CRL entries' "$d2/plots/crl_size.svg" && grep -q 'full CRL entries' "$d2/plots/crl_size.svg" || fail "crl_size series"
grep -q "title 'failed'" "$d2/plots/enrolled_over_time.gp" && fail "enrolled_over_time: renewals drawn as failures"
# An installed base that does nothing but enforce: still drawn, without a renewal curve.
"$es" "${day2[@]}" --out "$tmp/day2-idle" --plot || fail "day-2 run without renewals: --plot exited $?"
grep -q 'no eNB powered on or renewed' "$tmp/day2-idle/plots/enrolled_over_time.svg" || fail "idle day 2: enrolled_over_time"
grep -q 'renewals completed' "$tmp/day2-idle/plots/day2_transitions.svg" && fail "idle day 2: a renewal curve"
grep -q 'enforcing the mass revocation' "$tmp/day2-idle/plots/day2_transitions.svg" || fail "idle day 2: no enforcement curve"

# Not a result folder: unusable input.
"$es" plot "$tmp/nowhere" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || fail "plot of a missing folder exited $st"
echo "results_plot: PNG and SVG drawn and redrawn, day-2 plots with their data only; missing gnuplot reported, results intact"
