#!/usr/bin/env bash
# Plots: `run --plot` and `plot DIR` draw PNG and SVG from the run's CSV files, titled with
# the scenario and seed, axes with units; redrawing needs no new run; without gnuplot the
# message says so, the exit status is 1 and the CSV files are untouched.
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

# Not a result folder: unusable input.
"$es" plot "$tmp/nowhere" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || fail "plot of a missing folder exited $st"
echo "results_plot: PNG and SVG drawn and redrawn; missing gnuplot reported, results intact"
