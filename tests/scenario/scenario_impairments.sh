#!/usr/bin/env bash
# Link impairments through the program: every kind at once is deterministic for one seed and
# differs for another; corruption makes CMP fail the way an undetected bit error would; bad
# impairment values stop the run with exit 2; a topology file's link attributes are used.
# (TCP retransmission counts are checked in test_impairments.)
set -uo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
outcomes() { tail -n +2 "$1/enrolments.csv" | cut -d, -f8 | sort | uniq -c | tr -s ' \n' ' '; }
lost() { # packets the links dropped, every cause
  local n=0 c
  for c in loss burst outage; do
    n=$((n + $(awk -v path=network.drops.$c -f "$(dirname "$0")/../support/json_get.awk" "$1/summary.json")))
  done
  echo $n
}

all=(--set scenario.enbs=20 --set backhaul.loss=0.05 --set backhaul.burst_enter=0.02
     --set backhaul.burst_exit=0.3 --set aggregation.outages=0.2s+1s --set core.corruption=0.002)
"$es" run --quiet "${all[@]}" --seed 5 --out "$tmp/a" || fail "run a exited $?"
"$es" run --quiet "${all[@]}" --seed 5 --out "$tmp/b" || fail "run b exited $?"
"$es" run --quiet "${all[@]}" --seed 6 --out "$tmp/c" || fail "run c exited $?"
cmp "$tmp/a/enrolments.csv" "$tmp/b/enrolments.csv" || fail "same seed, different CSV"
cmp -s "$tmp/a/enrolments.csv" "$tmp/c/enrolments.csv" && fail "another seed, identical CSV"
[ "$(lost "$tmp/a")" -gt 0 ] || fail "no packet lost with loss, bursts and an outage"
grep -q '^outages=0.2s+1s$' "$tmp/a/scenario.ini" || fail "scenario.ini lacks the outages"

"$es" run --quiet --set scenario.enbs=20 --out "$tmp/clean" || fail "clean run exited $?"
[ "$(lost "$tmp/clean")" -eq 0 ] || fail "packets lost without impairments"

# Every data segment of the access links with a flipped bit: no eNB gets through.
"$es" run --quiet --set scenario.enbs=10 --set backhaul.corruption=1 --set enb.msg_timeout=5s \
  --out "$tmp/corrupt" || fail "corruption run exited $?"
echo "corruption=1: $(outcomes "$tmp/corrupt")"
grep -q ',enrolled,' "$tmp/corrupt/enrolments.csv" && fail "an eNB enrolled through corruption 1"

expect2() { # expect2 PATTERN ARGS...
  local pat=$1; shift
  "$es" run --quiet "$@" --out "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; local st=$?
  [ $st -eq 2 ] || fail "'$*' exited $st, wanted 2"
  grep -q -- "$pat" "$tmp/err" || fail "'$*': message lacks '$pat': $(cat "$tmp/err")"
  [ ! -e "$tmp/bad/enrolments.csv" ] || fail "'$*' wrote results"
}
expect2 "backhaul.outages" --set backhaul.outages=100s
expect2 "national.microwave_burst_loss" --set national.microwave_burst_loss=2
expect2 "core.burst_exit" --set core.burst_enter=0.1
expect2 "tree.corruption" --set tree.corruption=0.1,x

# A file whose only eNB sits behind a link that is down for the first 3 s.
cat > "$tmp/net.topo" <<'TOPO'
node core router
node ra   raca
node e1   enb
link core ra 1Gbps 1ms
link core e1 100Mbps 5ms outages=0s+3s corruption=0
TOPO
"$es" run --quiet --set topology.type=file --set "topology.file=$tmp/net.topo" \
  --set scenario.enbs=1 --out "$tmp/file" || fail "file run exited $?"
done_s=$(tail -n +2 "$tmp/file/enrolments.csv" | cut -d, -f7)
grep -q ',enrolled,' "$tmp/file/enrolments.csv" || fail "the file's eNB did not enrol"
awk -v t="$done_s" 'BEGIN { exit !(t >= 3) }' || fail "enrolled at $done_s s, during the outage"
echo "scenario_impairments: deterministic, corruption breaks CMP, bad values refused, file links used"
