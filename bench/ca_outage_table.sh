#!/usr/bin/env bash
# The CA-outage tables of the README, from topologies/scenarios/ca-outage.ini (the CA away
# 10-20 min of a 30-min rollout of 2,400 sites, a tenth on GEO satellite): a sweep over
# raca.check_after, one run per value (seed 1), then the scenario's own run again with every
# satellite eNB's link traced. Prints (1) latency by access class, polled and not, at the
# scenario's checkAfter; (2) what polling put on the satellite links, counted in the traces;
# (3) the checkAfter trade-off: delay after the CA's return against polls on satellite links.
# Usage: bench/ca_outage_table.sh [ENROLSIM] [CHECK_AFTER_VALUES]   (about 9 minutes on 2 cores:
# checkAfter 1s alone makes 220,000 signed pollReqs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
es=${1:-$here/../build/enrolsim}
values=${2:-1s,5s,15s,30s,60s,120s}
scn=$here/../topologies/scenarios/ca-outage.ini
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$es" sweep --scenario "$scn" --vary raca.check_after="$values" --jobs 2 --no-plot \
  --out "$tmp/sweep" >"$tmp/sweep.log"
# The scenario's own checkAfter, and its satellite eNBs (the layout does not depend on it).
own=$(awk -F' *= *' '$1 == "check_after" { print $2 }' "$scn")
point=$(find "$tmp/sweep" -maxdepth 1 -type d -name "*check_after=$own" | head -1)
[ -n "$point" ] || { echo "ca_outage_table.sh: the values must include $own" >&2; exit 2; }
sats=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["access"] == "satellite" { printf "%senb:%s", n++ ? "," : "", $1 }' "$point/rep-1/enrolments.csv")
"$es" run --quiet --scenario "$scn" --pcap "$sats" --out "$tmp/trace"
# Tracing must not change the run.
cmp -s "$tmp/trace/enrolments.csv" "$point/rep-1/enrolments.csv" \
  || { echo "ca_outage_table.sh: the traced run differs from the sweep's" >&2; exit 1; }
find "$tmp/trace/pcap" -name 'enb-*.pcap' -print0 |
  xargs -0 -P2 -I{} sh -c 'tshark -r "$1" -T fields -e frame.len -e _ws.col.Info >"$1.txt" 2>/dev/null' _ {}
python3 - "$tmp" "$point" "$own" "$values" <<'PY'
import csv, glob, math, os, re, statistics, sys
tmp, point, own, values = sys.argv[1:5]

def rows(folder):
    with open(f"{folder}/enrolments.csv") as f:
        return list(csv.DictReader(f))

def outage_end(folder):
    text = open(f"{folder}/scenario.ini").read()
    windows = re.search(r"^ca_outages=(.*)$", text, re.M).group(1)
    unit = {"ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}
    def secs(v):
        m = re.fullmatch(r"([0-9.]+)([a-z]+)", v.strip())
        return float(m.group(1)) * unit[m.group(2)]
    return max(secs(a) + secs(b) for a, b in (w.split("+") for w in windows.split(",")))

def rank(xs, p):  # nearest rank, as summary.json
    xs = sorted(xs)
    return xs[max(1, min(len(xs), (p * len(xs) + 99) // 100)) - 1] if xs else math.nan

def fmt(x):
    return "-" if math.isnan(x) else f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"

def lat(r):
    return float(r["done_s"]) - float(r["start_s"])

def sweep_folder(v):
    return glob.glob(f"{os.path.dirname(point)}/*check_after={v}")[0] + "/rep-1"

run = rows(f"{point}/rep-1")
assert all(r["outcome"] == "enrolled" for r in run), "not every eNB enrolled"
print(f"(1) Latency, power-on to pkiConf, checkAfter {own} (seed 1):")
print()
print("| access | eNBs | polled | all p50 / p90 / p99 | polled p50 / p90 / p99 | unpolled p50 / p90 / p99 |")
print("|---|---|---|---|---|---|")
for access in ("fibre", "microwave", "satellite", None):
    rs = [r for r in run if access is None or r["access"] == access]
    pol = [lat(r) for r in rs if int(r["polls"]) > 0]
    unp = [lat(r) for r in rs if int(r["polls"]) == 0]
    cell = lambda xs: " / ".join(fmt(rank(xs, p)) for p in (50, 90, 99))
    print(f"| {access or 'all'} | {len(rs)} | {len(pol)} | {cell(pol + unp)} | {cell(pol)} | {cell(unp)} |")

# (2) The traces: frames and bytes (IP packets as on the link, TCP/IP headers included) of
# each satellite eNB, and those of its pollReq and pollRep messages.
per_enb = {}
for txt in glob.glob(f"{tmp}/trace/pcap/enb-*.pcap.txt"):
    n = int(re.search(r"enb-(\d+)\.pcap", txt).group(1))
    total = req = rep = nreq = nrep = 0
    for line in open(txt):
        size, _, info = line.rstrip("\n").partition("\t")
        total += int(size)
        if "Body=pollReq" in info:
            req += int(size); nreq += 1
        elif "Body=pollRep" in info:
            rep += int(size); nrep += 1
    per_enb[n] = (total, req, rep, nreq, nrep)
sat = [r for r in run if r["access"] == "satellite"]
assert len(per_enb) == len(sat), "a satellite eNB without its trace"
for r in sat:  # the traces agree with the polls column
    assert per_enb[int(r["enb"])][3] == int(r["polls"]), f"eNB {r['enb']}: pollReqs in trace != polls"
polled = [per_enb[int(r["enb"])] for r in sat if int(r["polls"]) > 0]
unpolled = [per_enb[int(r["enb"])] for r in sat if int(r["polls"]) == 0]
req_size = sum(p[1] for p in polled) / sum(p[3] for p in polled)
rep_size = sum(p[2] for p in polled) / sum(p[4] for p in polled)
print()
print(f"(2) Satellite links, checkAfter {own}, from packet traces of all {len(sat)} satellite eNBs:")
print(f"    {len(polled)} polled: {statistics.mean(p[3] for p in polled):.1f} pollReq + "
      f"{statistics.mean(p[4] for p in polled):.1f} pollRep each, "
      f"{statistics.mean(p[1] + p[2] for p in polled) / 1000:.1f} kB of them; "
      f"{statistics.mean(p[0] for p in polled) / 1000:.1f} kB on the link in all")
print(f"    {len(unpolled)} not polled: {statistics.mean(p[0] for p in unpolled) / 1000:.1f} kB on the link in all")
print(f"    per satellite eNB: {sum(p[3] + p[4] for p in polled) / len(sat):.1f} pollReq/pollRep messages, "
      f"{sum(p[1] + p[2] for p in polled) / len(sat) / 1000:.1f} kB")
print(f"    message sizes on the link: pollReq {req_size:.0f} B, pollRep {rep_size:.0f} B (IP packet)")

# (3) The sweep: after the CA's return, how long polled eNBs still wait; and the polls. The
# pollReq/pollRep bytes are polls x pollReq size + (polls - 1) x pollRep size (the last pollReq
# gets the ip), with the sizes measured in (2).
print()
print("(3) checkAfter sweep (one run each, seed 1); polled eNBs: their requests came while the CA was away")
print()
print("| checkAfter | polled eNBs | done after the CA's return: mean / p99 / max | satellite: polled p99 | polls per polled eNB | pollReq+pollRep per satellite eNB | kB per satellite eNB |")
print("|---|---|---|---|---|---|---|")
for v in values.split(","):
    rs = rows(sweep_folder(v))
    assert all(r["outcome"] == "enrolled" for r in rs), f"check_after={v}: not every eNB enrolled"
    end = outage_end(sweep_folder(v))
    pol = [r for r in rs if int(r["polls"]) > 0]
    after = [float(r["done_s"]) - end for r in pol]
    sats = [r for r in rs if r["access"] == "satellite"]
    sp = [int(r["polls"]) for r in sats if int(r["polls"]) > 0]
    msgs = sum(2 * p - 1 for p in sp) / len(sats)
    kb = sum(p * req_size + (p - 1) * rep_size for p in sp) / len(sats) / 1000
    sat_pol = [lat(r) for r in sats if int(r["polls"]) > 0]
    print(f"| {v} | {len(pol)} | {fmt(statistics.mean(after))} / {fmt(rank(after, 99))} / {fmt(max(after))} "
          f"| {fmt(rank(sat_pol, 99))} | {statistics.mean(int(r['polls']) for r in pol):.1f} | {msgs:.1f} | {kb:.1f} |")
PY
