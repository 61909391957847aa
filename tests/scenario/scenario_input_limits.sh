#!/usr/bin/env bash
# Input beyond what a run can hold is refused before any folder is written, with exit status
# 2 and the key or file named: durations and rates the simulated clock and links cannot
# carry, CRL publications beyond a bound, dates past year 9999, RA/CAs --pcap names that do
# not exist, trees deeper than the address plan, scenario names that leave the working
# folder, files that are devices or too large, and summary.json files nested beyond reason
# or of another grid point.
set -uo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# refused PATTERN ARGS...: exit 2, PATTERN in stderr, no result folder (run --out $tmp/o).
refused() {
  local pat=$1; shift
  timeout 120 "$es" "$@" >"$tmp/out" 2>"$tmp/err"; local st=$?
  [ "$st" -eq 2 ] || fail "'$*' exited $st, wanted 2: $(head -c 600 "$tmp/err")"
  grep -qF -- "$pat" "$tmp/err" || fail "'$*': message lacks '$pat': $(head -c 600 "$tmp/err")"
  [ ! -e "$tmp/o" ] || fail "'$*' created its result folder"
}
run=(run --quiet --out "$tmp/o")

# The simulated clock: no duration between 0 and 1 ns (a CRL every 1e-12 s hung), none above
# 100 years; CRL publications at most 100,000 per run.
refused "raca.crl_interval" "${run[@]}" --set raca.crl_interval=1e-12s
refused "raca.crl_interval: 1e-06s would publish 3.6e+09 CRLs" "${run[@]}" --set raca.crl_interval=1us
refused "scenario.stop_time" "${run[@]}" --set scenario.stop_time=1e300s
# Every link's rate within 1bps..1Tbps (1e-300bps was "node 12: bad uplink").
for key in backhaul.rate aggregation.rate core.rate national.fibre_rate national.backbone_rate; do
  refused "$key: must be at least 1bps" "${run[@]}" --set "$key=1e-300bps"
done
refused "tree.rate: value 1: must be at least 1bps" "${run[@]}" --set tree.fanout=4 --set tree.rate=1e-300bps
refused "backhaul.latency" "${run[@]}" --set backhaul.latency=1e-15s
printf 'node core router\nnode raca raca\nnode e1 enb\nlink core raca 1Gbps 1ms\nlink core e1 1e-300bps 1ms\n' >"$tmp/slow.topo"
refused "$tmp/slow.topo:5: rate '1e-300bps' out of range" "${run[@]}" --set topology.type=file \
  --set topology.file="$tmp/slow.topo" --set scenario.enbs=1
# Dates a certificate or CRL can carry (these ran with every eNB rejected, exit 0).
refused "raca.crl_validity" "${run[@]}" --set raca.crl_validity=1e308s
refused "pki.cert_validity" "${run[@]}" --set pki.cert_validity=1e308s
refused "scenario.epoch" "${run[@]}" --set scenario.epoch=9999-12-31T23:59:59Z
refused "pki.cert_validity: 3153600000s from scenario.epoch plus scenario.stop_time ends after 9999-12-31T23:59:59Z" \
  "${run[@]}" --set scenario.epoch=9950-01-01T00:00:00Z --set pki.cert_validity=36500d
# --pcap names RA/CAs the topology has.
refused "--pcap raca:99: the network has 1 RA/CA, numbered 0 to 0" "${run[@]}" --pcap raca:99
refused "--pcap raca:3: the network has 2 RA/CAs" "${run[@]}" --set topology.racas=2 --pcap raca:0,raca:3
# A tree deeper than the address plan holds: a chain of 23 links below the core.
{
  echo "node core router"; echo "node raca raca"; echo "link core raca 1Gbps 1ms"
  prev=core
  for i in $(seq 1 22); do echo "node r$i router"; echo "link $prev r$i 1Gbps 1ms"; prev=r$i; done
  echo "node e1 enb"; echo "link $prev e1 1Gbps 1ms"
} >"$tmp/chain.topo"
refused "topology.file $tmp/chain.topo: the network needs" "${run[@]}" --set topology.type=file \
  --set topology.file="$tmp/chain.topo" --set scenario.enbs=1
grep -qF "a path from the root is at most 22 links long (here 23)" "$tmp/err" || fail "chain: $(cat "$tmp/err")"
# scenario.name becomes a folder name: no separators, no '..' (it wrote outside the folder).
mkdir -p "$tmp/w/a/b/c"
(cd "$tmp/w/a/b/c" && "$es" run --quiet --set scenario.name=../../../../escaped >"$tmp/out" 2>"$tmp/err"); st=$?
[ "$st" -eq 2 ] || fail "scenario.name=../../../../escaped exited $st"
grep -qF "scenario.name" "$tmp/err" || fail "scenario.name: $(cat "$tmp/err")"
[ -z "$(find "$tmp/w" -mindepth 1 -not -path "$tmp/w/a*")" ] && [ ! -e "$tmp/w/a/b/c/out" ] \
  || fail "scenario.name=../../../../escaped wrote a folder"
for name in a/b .hidden 'x..y'; do
  refused "scenario.name" "${run[@]}" --set "scenario.name=$name"
done
# Files that are no key file or topology: a device (it aborted, exit 133), or too large.
refused "/dev/zero: not a regular file" "${run[@]}" --scenario /dev/zero
head -c $((2 << 20)) /dev/zero | tr '\0' '#' >"$tmp/huge.ini"
refused "$tmp/huge.ini: larger than 1 MiB" "${run[@]}" --scenario "$tmp/huge.ini"
refused "topology.file: cannot open '/dev/zero': not a regular file" "${run[@]}" \
  --set topology.type=file --set topology.file=/dev/zero
# A 2M-line topology file (it ended in std::bad_alloc): at most 1,100,000 nodes, found at the
# line that declares one more.
awk 'BEGIN { print "node core router"; print "node raca raca"; for (i = 1; i <= 2000000; i++) print "node e" i " enb" }' \
  >"$tmp/big.topo"
refused "$tmp/big.topo:1100001: more than 1100000 nodes" "${run[@]}" --set topology.type=file \
  --set topology.file="$tmp/big.topo" --set scenario.enbs=1000000
rm -f "$tmp/big.topo"

# summary.json nested 200,000 deep (compare and sweep --collect crashed, exit 139).
"$es" run --quiet --set scenario.enbs=2 --out "$tmp/good" || fail "small run"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"a\":"; printf "1"; for (i = 0; i < 200000; i++) printf "}"; print "" }' \
  >"$tmp/deep.json"
refused "$tmp/deep.json: not an enrolsim summary (objects nested more than 64 deep)" \
  compare "$tmp/good" "$tmp/deep.json"
refused "$tmp/deep.json: not an enrolsim summary" compare "$tmp/deep.json" "$tmp/good"
"$es" sweep --set scenario.enbs=2 --vary raca.workers=1,2 --runs 1 -j 1 --no-plot \
  --out "$tmp/sweep" >/dev/null 2>&1 || fail "small sweep"
point1=$tmp/sweep/raca.workers=1/rep-1 point2=$tmp/sweep/raca.workers=2/rep-1
cp "$point2/summary.json" "$tmp/point2.json"
cp "$tmp/deep.json" "$point2/summary.json"
refused "$point2/summary.json: not an enrolsim summary (objects nested more than 64 deep)" \
  sweep --collect "$tmp/sweep" --no-plot
# A summary of another grid point in a run folder (it was averaged in silently).
cp "$point1/summary.json" "$point2/summary.json"
refused "$point2: its summary.json is of a run with raca.workers = 1, but the folder's grid point has raca.workers = 2" \
  sweep --collect "$tmp/sweep" --no-plot
cp "$tmp/point2.json" "$point2/summary.json"
"$es" sweep --collect "$tmp/sweep" --no-plot >/dev/null 2>"$tmp/err" || fail "collect of the right runs: $(cat "$tmp/err")"
echo "scenario_input_limits: every case refused with exit 2, named, before any folder"
