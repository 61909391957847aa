#!/usr/bin/env bash
# A sweep's job array under a real sbatch: a single-node Slurm cluster on this machine
# (scripts/slurm_cluster.sh, installing munge and Slurm when missing), `--emit slurm` into a
# folder whose name has a space and a % (both once broke or bent the #SBATCH lines), sbatch,
# every array task COMPLETED with exit 0, then --collect: sweep.csv equals a local --jobs 2
# sweep of the same grid in every column but the wall-clock ones.
set -uo pipefail
es=$1 src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
  echo "SKIPPED: cluster_sweep starts munged, slurmctld and slurmd: it needs root or sudo without a password" >&2
  exit 77
fi
tmp=$(mktemp -d)
# Ports of its own, apart from a cluster started by hand on the defaults.
export ES_SLURM_DIR=$tmp/cluster ES_SLURM_PORT=6827
cluster=$src/scripts/slurm_cluster.sh
trap 'bash "$cluster" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
bash "$cluster" start >"$tmp/start.log" 2>&1 || fail "cluster did not start: $(cat "$tmp/start.log")"
export SLURM_CONF=$ES_SLURM_DIR/slurm.conf
bash "$cluster" status >/dev/null || fail "status after start: $(bash "$cluster" status 2>&1)"

args=(sweep --scenario "$src/topologies/scenarios/small.ini" --set scenario.enbs=50
      --vary raca.workers=1,2 --runs 2)
out="$tmp/slurm sweep 100%"
"$es" "${args[@]}" --jobs 2 --emit slurm --out "$out" >"$tmp/emit.log" 2>&1 || fail "--emit slurm: $(cat "$tmp/emit.log")"
# Submitted from elsewhere, with the binary named as a user would on a cluster.
job=$(cd / && ENROLSIM=$es sbatch --parsable "$out/sweep.slurm" 2>"$tmp/sbatch.err") \
  || fail "sbatch refused the script: $(cat "$tmp/sbatch.err")"
job=${job%%;*}
[[ $job =~ ^[0-9]+$ ]] || fail "sbatch printed no job id: $job"

# The local sweep runs meanwhile (the array takes one CPU per task, two at once).
"$es" "${args[@]}" --jobs 2 --out "$tmp/local" --no-plot >"$tmp/local.log" 2>&1 || fail "local sweep: $(cat "$tmp/local.log")"

for i in $(seq 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$job")" ] || fail "array $job still queued or running after 300 s: $(squeue -j "$job")"
# jobcomp/filetxt has one line per array task; all four must have completed with exit 0.
comp=$ES_SLURM_DIR/jobcomp.log
for t in 0 1 2 3; do
  [ -s "$out/slurm-${job}_$t.log" ] || fail "no log for task $t: $(ls "$out")"
done
n=$(grep -c "Name=enrolsim-sweep JobState=COMPLETED .* ExitCode=0:0" "$comp")
[ "$n" -eq 4 ] || fail "$n of 4 array tasks COMPLETED with exit 0: $(grep enrolsim-sweep "$comp")"

"$es" sweep --collect "$out" --no-plot >"$tmp/collect.log" 2>&1 || fail "--collect: $(cat "$tmp/collect.log")"
# The wall-clock columns (wall_time_s_*) are the only ones that may differ.
keep=$(head -1 "$tmp/local/sweep.csv" | tr ',' '\n' | grep -vn wall | cut -d: -f1 | paste -sd,)
[ "$(head -1 "$tmp/local/sweep.csv" | tr ',' '\n' | grep -c wall)" -ge 1 ] || fail "no wall-clock column in the header"
diff <(cut -d, -f"$keep" "$out/sweep.csv") <(cut -d, -f"$keep" "$tmp/local/sweep.csv") \
  || fail "the Slurm and local sweeps differ"
[ "$(wc -l <"$out/sweep.csv")" -eq 3 ] || fail "sweep.csv: $(cat "$out/sweep.csv")"
echo "cluster_sweep: 4 array tasks ran under sbatch (job $job); sweep.csv equals the local sweep's"
