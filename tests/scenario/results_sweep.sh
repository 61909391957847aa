#!/usr/bin/env bash
# Sweeps: a grid times replications runs in separate folders with their attributes, sweep.csv
# holds means and 95 % intervals, plots follow; an interrupted sweep skips finished runs;
# a bad key stops everything before anything runs; the Slurm script runs the same tasks.
set -uo pipefail
es=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small=$src/topologies/scenarios/small.ini
args=(sweep --scenario "$small" --set scenario.enbs=20 --vary raca.workers=1,2 --runs 2)

"$es" "${args[@]}" --jobs 2 --out "$tmp/sw" >"$tmp/out" 2>&1 || fail "sweep exited $?: $(cat "$tmp/out")"
csv=$tmp/sw/sweep.csv
[ "$(wc -l < "$csv")" -eq 3 ] || fail "sweep.csv rows: $(cat "$csv")"
head -1 "$csv" | grep -q '^point,raca.workers,runs,enrolled_mean,enrolled_ci95,' || fail "header: $(head -1 "$csv")"
col() { head -1 "$csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
p99=$(col latency_p99_s_mean) ci=$(col latency_p99_s_ci95) runs=$(col runs)
for row in 2 3; do
  line=$(sed -n "${row}p" "$csv")
  [ "$(echo "$line" | cut -d, -f"$runs")" = 2 ] || fail "row $row: runs: $line"
  echo "$line" | cut -d, -f"$p99" | grep -Eq '^[0-9]+\.[0-9]{6}$' || fail "row $row: p99 mean: $line"
  echo "$line" | cut -d, -f"$ci" | grep -Eq '^[0-9]+\.[0-9]{6}$' || fail "row $row: p99 CI: $line"
done
# Each run in its own folder, with its seed and replication in its attributes.
for w in 1 2; do for r in 1 2; do
  d="$tmp/sw/raca.workers=$w/rep-$r"
  [ -e "$d/run.done" ] || fail "$d not done"
  grep -q "^  \"replication\": $r,\$" "$d/summary.json" || fail "$d: replication"
  grep -q "^  \"seed\": $r,\$" "$d/summary.json" || fail "$d: seed"
  grep -q "\"workers\": \"$w\"" "$d/summary.json" || fail "$d: workers parameter"
done; done
cmp -s "$tmp/sw/raca.workers=1/rep-1/enrolments.csv" "$tmp/sw/raca.workers=1/rep-2/enrolments.csv" \
  && fail "replications have identical timings"
[ -s "$tmp/sw/plots/latency_p99_s_vs_raca.workers.png" ] || fail "no plot of p99 against raca.workers"
grep -q 'against raca.workers' "$tmp/sw/plots/latency_p99_s_vs_raca.workers.svg" || fail "plot title"

# Interrupted: one run unfinished. Started again, only that one runs.
rm "$tmp/sw/raca.workers=2/rep-2/run.done"
stamp=$(grep started_at "$tmp/sw/raca.workers=1/rep-1/summary.json")
"$es" "${args[@]}" --jobs 2 --out "$tmp/sw" >"$tmp/out" 2>&1 || fail "resumed sweep exited $?"
grep -q '3 of 4 runs were already done (skipped)' "$tmp/out" || fail "resume: $(cat "$tmp/out")"
[ "$(grep -c 'rep [12]: done in' "$tmp/out")" -eq 1 ] || fail "resume ran more than one: $(cat "$tmp/out")"
[ "$(grep started_at "$tmp/sw/raca.workers=1/rep-1/summary.json")" = "$stamp" ] || fail "a finished run ran again"
# Another sweep into the same folder is refused.
"$es" sweep --scenario "$small" --vary raca.workers=3 --out "$tmp/sw" >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q 'another sweep' "$tmp/err" || fail "a different sweep in the same folder: $st $(cat "$tmp/err")"

# Bad input: exit 2 before anything runs (no folder).
for v in raca.nosuch=1,2 raca.workers=0,1 raca.workers=1,1 scenario.seed=1,2 raca.workers; do
  "$es" sweep --scenario "$small" --vary "$v" --out "$tmp/bad" >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] || fail "--vary $v exited $st"
  grep -q -- '--vary' "$tmp/err" || fail "--vary $v: message: $(cat "$tmp/err")"
  [ ! -e "$tmp/bad" ] || fail "--vary $v created the folder"
done

# Slurm: a job array over the same tasks; tasks run by hand here, then --collect.
"$es" "${args[@]}" --jobs 3 --emit slurm --out "$tmp/sl" >"$tmp/out" || fail "--emit slurm exited $?"
script=$tmp/sl/sweep.slurm
bash -n "$script" || fail "sweep.slurm is not valid bash"
grep -q '^#SBATCH --array=0-3%3$' "$script" || fail "array line: $(grep array "$script")"
"$es" sweep --collect "$tmp/sl" --no-plot >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'not finished' "$tmp/err" || fail "collect before the tasks ran: $st"
for i in 0 1 2 3; do
  SLURM_ARRAY_TASK_ID=$i bash "$script" >/dev/null || fail "array task $i"
done
SLURM_ARRAY_TASK_ID=0 bash "$script" | grep -q 'already done' || fail "a repeated task ran again"
"$es" sweep --collect "$tmp/sl" --no-plot >/dev/null || fail "collect exited $?"
# Same seeds and grid as the local sweep: the same numbers.
diff <(cut -d, -f1-"$ci" "$tmp/sl/sweep.csv") <(cut -d, -f1-"$ci" "$csv") || fail "Slurm and local sweeps differ"
echo "results_sweep: grid x replications aggregated, resumed, refused bad keys, ran as a job array"
