#!/usr/bin/env bash
# Packet traces: --pcap writes one pcap per named node, and tshark decodes the CMP messages
# in them: ir, ip, certConf, pkiConf for an eNB (no certConf with implicit confirmation),
# every eNB's ir at the RA/CA. Bad node lists stop the run before anything runs.
set -uo pipefail
es=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || fail "tshark is not installed (scripts/setup.sh installs it)"
small=$src/topologies/scenarios/small.ini
bodies() { tshark -r "$1" -Y cmp 2>/dev/null | grep -o 'Body=[A-Za-z]*' | tr '\n' ' '; }

"$es" run --quiet --scenario "$small" --pcap raca,enb:1-3 --out "$tmp/x" || fail "run --pcap exited $?"
ls "$tmp/x/pcap" | sort | tr '\n' ' ' | grep -qx 'enb-1.pcap enb-2.pcap enb-3.pcap raca-0.pcap ' \
  || fail "pcap files: $(ls "$tmp/x/pcap")"
for n in 1 2 3; do
  got=$(bodies "$tmp/x/pcap/enb-$n.pcap")
  [ "$got" = "Body=ir Body=ip Body=certConf Body=pkiconf " ] || fail "enb-$n.pcap decodes as '$got'"
done
# The RA/CA sees every eNB: one ir and one certConf each.
raca=$(bodies "$tmp/x/pcap/raca-0.pcap")
[ "$(echo "$raca" | grep -o 'Body=ir ' | wc -l)" -eq 100 ] || fail "RA/CA trace lacks irs"
[ "$(echo "$raca" | grep -o 'Body=certConf ' | wc -l)" -eq 100 ] || fail "RA/CA trace lacks certConfs"
# HTTP per RFC 6712 underneath.
[ "$(tshark -r "$tmp/x/pcap/enb-1.pcap" -Y http.request -T fields -e http.request.method \
      -e http.content_type 2>/dev/null | sort -u)" = "$(printf 'POST\tapplication/pkixcmp')" ] \
  || fail "requests are not POSTs with Content-Type application/pkixcmp"

"$es" run --quiet --scenario "$small" --set scenario.enbs=5 --set raca.confirm=implicit \
  --pcap enb:2 --out "$tmp/implicit" || fail "implicit run exited $?"
got=$(bodies "$tmp/implicit/pcap/enb-2.pcap")
[ "$got" = "Body=ir Body=ip " ] || fail "implicit confirmation decodes as '$got'"

for bad in enb:0 enb:101 enb:5-2 enb:x foo raca:x, enb:1-600; do
  "$es" run --quiet --scenario "$small" --pcap "$bad" --out "$tmp/bad" 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] || fail "--pcap $bad exited $st"
  grep -q -- '--pcap' "$tmp/err" || fail "--pcap $bad: message: $(cat "$tmp/err")"
  [ ! -e "$tmp/bad" ] || fail "--pcap $bad wrote results"
done
echo "results_pcap: tshark decodes ir, ip, certConf and pkiConf in the traces"
