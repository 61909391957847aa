#!/usr/bin/env bash
# The TLS table of the README: what transport.tls costs on each access class of the national
# layout (fibre, microwave, GEO satellite with their default latencies and losses): latency
# p50 and p99 without TLS, with TLS 1.3 and with TLS 1.2, and the bytes TLS adds per enrolled
# eNB. A p99 of a few hundred satellite sites is set by the handful that lost a packet: each
# figure is the median over SEEDS runs (seeds 1..SEEDS), and the spread of the satellite p99
# is printed below the table. Usage: bench/tls_table.sh [ENROLSIM] [ENBS] [SEEDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
es=${1:-$here/../build/enrolsim}
n=${2:-2000}
seeds=${3:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# A third of the sites on each class, a few hundred per wave: the RA/CA never queues, so what
# differs is the network alone.
common=(run --quiet --scenario "$here/../topologies/scenarios/region.ini"
  --set scenario.enbs="$n" --set national.fibre_share=0.34 --set national.microwave_share=0.33
  --set national.satellite_share=0.33 --set rollout.wave_size=500 --set rollout.wave_period=2m
  --set rollout.wave_spread=1m --set raca.workers=4)
for seed in $(seq "$seeds"); do
  for v in off 1.3 1.2; do
    if [ "$v" = off ]; then
      "$es" "${common[@]}" --seed "$seed" --out "$tmp/$v-$seed"
    else
      "$es" "${common[@]}" --seed "$seed" --set transport.tls=true --set transport.tls_version="$v" \
        --out "$tmp/$v-$seed"
    fi
  done
done
python3 - "$tmp" "$n" "$seeds" <<'EOF'
import json, statistics, sys
tmp, n, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3])
all_runs = {v: [json.load(open(f"{tmp}/{v}-{s}/summary.json")) for s in range(1, seeds + 1)]
            for v in ("off", "1.3", "1.2")}
def lat(v, access, q):
    return statistics.median(r["by_access"][access]["latency_s"][q] for r in all_runs[v])
runs = {v: all_runs[v][0] for v in all_runs}
print(f"{n} eNBs of the national layout, a third per access class; latency of the enrolled "
      f"eNBs (ir sent to pkiConf received), median over seeds 1 to {seeds}")
print()
print("| access | eNBs | p50 plain | p50 TLS 1.3 | p50 TLS 1.2 | p99 plain | p99 TLS 1.3 | p99 TLS 1.2 |")
print("|---|---|---|---|---|---|---|---|")
def ms(x):
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"
for access in ("fibre", "microwave", "satellite"):
    a = {v: runs[v]["by_access"][access] for v in runs}
    row = [access, str(a["off"]["enbs"])]
    for q in ("p50", "p99"):
        base = lat("off", access, q)
        row.append(ms(base))
        for v in ("1.3", "1.2"):
            x = lat(v, access, q)
            row.append(f"{ms(x)} (+{ms(x - base)})")
    print("| " + " | ".join(row) + " |")
print()
spread = {v: sorted(r["by_access"]["satellite"]["latency_s"]["p99"] for r in all_runs[v]) for v in all_runs}
print("satellite p99 over the seeds: " + "; ".join(
    f"{'plain' if v == 'off' else 'TLS ' + v} {', '.join(ms(x) for x in spread[v])}" for v in spread))
for v in ("1.3", "1.2"):
    t = runs[v]["network"]["tls"]
    e = runs[v]["enbs"]["enrolled"]
    print(f"TLS {v}: {t['handshakes']} handshakes, {t['resumed']} resumed, {t['failures']} failed; "
          f"{t['overhead_bytes'] / max(e, 1):.0f} bytes of TLS per enrolled eNB "
          f"(plain HTTP: {(t['record_bytes'] - t['overhead_bytes']) / max(e, 1):.0f})")
for v in ("off", "1.3", "1.2"):
    rs = all_runs[v]
    rt = [r['network']['tcp_retransmissions']['enbs'] + r['network']['tcp_retransmissions']['racas'] for r in rs]
    print(f"{'plain' if v == 'off' else 'TLS ' + v}: {sum(r['enbs']['enrolled'] for r in rs)} of "
          f"{sum(r['enbs']['total'] for r in rs)} enrolled, TCP retransmissions {', '.join(map(str, rt))}, "
          f"{statistics.median(r['wall_clock']['wall_time_s'] for r in rs):.1f} s wall (median)")
EOF
