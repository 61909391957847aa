#!/usr/bin/env bash
# The model checked against reality. One scenario: a few hundred eNBs arriving as a Poisson
# process at about 70 % of the capacity of an RA/CA with 2 workers and an exponential service
# time of 20 ms per message. It runs live (`serve --scenario`, `enrol --scenario`, loopback)
# and simulated with what `calibrate` measured and near-zero link delays. The p50 and p90
# enrolment latency and the RA/CA's mean queueing delay must agree within 15 %.
#   model_vs_live.sh ENROLSIM [ENBS]
source "$(dirname "$0")/../interop/interop_lib.sh"
enbs=${2:-400}
tolerance=0.15
# serve commits each request to SQLite and syncs it: on a disk that is milliseconds a
# request, which an RA/CA on a real disk has too, but which would make this check one of
# the disk. Its state goes to memory when the machine has /dev/shm.
state=$tmp
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  state=$(mktemp -d /dev/shm/enrolsim-model.XXXXXX) || fail "mktemp"
  trap 'cleanup; rm -rf "$state"' EXIT
fi

# Both worlds: the eNBs and when they arrive. Live and simulated runs share the seed, so the
# arrival times and the RA/CA's service times are the same draws (common random numbers): what
# differs is what the model leaves out. 2 workers / 40 ms per enrolment = 50 per second; 35
# per second is 70 %.
cat >"$tmp/common.ini" <<INI
[scenario]
name = model-check
enbs = $enbs
seed = 7
[rollout]
schedule = poisson
rate = 35/s
INI
# The RA/CA a live serve stands in for.
{ cat "$tmp/common.ini"; cat <<INI
[raca]
workers = 2
service = exponential
ir_service = 20ms
certconf_service = 20ms
INI
} >"$tmp/live.ini"

"$es" pki init "$tmp/pki" --devices "$enbs" --overwrite >/dev/null || fail "pki init"

# 1. Calibration. The mean of an exponential time is known from n samples to 1/sqrt(n) only
# (5 % from 400), and at 70 % load the mean queueing delay moves several times as much as the
# service time: so calibrate measures workers and mean service times on a serve that injects
# the same means as fixed times, and the distribution on the serve as it runs live.
calibrate() { # OUT SAMPLES MAX_CONCURRENCY [serve options...]
  local out=$1 samples=$2 max=$3; shift 3
  start_serve "$state/served-$out" --scenario "$tmp/live.ini" "$@"
  "$es" calibrate --server "127.0.0.1:$port" --pki "$tmp/pki" --out "$tmp/$out" \
    --samples "$samples" --max-concurrency "$max" >"$tmp/$out.log" 2>&1 ||
    fail "calibrate: $(tail -5 "$tmp/$out.log")"
  stop_serve
}
calibrate cal-mean 100 64 --set raca.service=fixed
calibrate cal-dist 60 1
cat "$tmp/cal-mean.log"
dist=$(sed -n 's/^service = //p' "$tmp/cal-dist/calibration.ini")
[ "$dist" = exponential ] || fail "calibrate took the exponential service for '$dist'"

# 2. Live: the scenario's arrivals in wall-clock time against serve with the injected service.
start_serve "$state/served" --scenario "$tmp/live.ini"
"$es" enrol --scenario "$tmp/live.ini" --pki "$tmp/pki" --out "$tmp/live" \
  --server "127.0.0.1:$port" >"$tmp/live.log" 2>&1 || fail "enrol: $(tail -5 "$tmp/live.log")"
stop_serve
cat "$tmp/live.log"

# 3. Simulated: the same arrivals, the calibration as the RA/CA, near-zero link delays.
{ cat "$tmp/common.ini"
  grep -v '^#\|^service' "$tmp/cal-mean/calibration.ini"
  printf '[raca]\nservice = %s\n' "$dist"
  printf '[%s]\nlatency = 10us\nrate = 10Gbps\n' backhaul aggregation
} >"$tmp/sim.ini"
"$es" run --scenario "$tmp/sim.ini" --out "$tmp/sim" --quiet >"$tmp/sim.log" 2>&1 ||
  fail "run: $(tail -5 "$tmp/sim.log")"

python3 - "$tmp" "$state" "$tolerance" <<'PY'
import json, sys
tmp, state, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
live = json.load(open(f"{tmp}/live/summary.json"))
sim = json.load(open(f"{tmp}/sim/summary.json"))
served = json.load(open(f"{state}/served/serve_summary.json"))
def get(d, path):
    for p in path.split("."):
        d = d[p]
    return d
rows = [
    ("enrolment latency p50 (s)", get(live, "latency_s.p50"), get(sim, "latency_s.p50")),
    ("enrolment latency p90 (s)", get(live, "latency_s.p90"), get(sim, "latency_s.p90")),
    ("mean queueing delay (s)", get(served, "raca.queueing_delay_s.mean"),
     get(sim, "racas.0.queueing_delay_s.mean")),
]
bad = 0
print(f"{'':28} {'live':>9} {'simulated':>9} {'difference':>10}")
for name, l, s in rows:
    diff = (s - l) / l
    ok = abs(diff) <= tol
    bad += not ok
    print(f"{name:28} {l:9.4f} {s:9.4f} {diff:+10.1%}{'' if ok else '  OVER ' + format(tol, '.0%')}")
sys.exit(1 if bad else 0)
PY
