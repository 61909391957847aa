#!/usr/bin/env bash
# The loss table of the README: enrolment under independent loss of 0, 1, 5 and 20 %, under
# Gilbert-Elliott bursts and under an outage, for each retry policy (enb.retry), with what was
# sent again and what was revoked why. Usage: bench/loss_table.sh [ENROLSIM] [ENBS] [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
es=${1:-$here/../build/enrolsim}
n=${2:-1000}
seed=${3:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
get() { awk -v path="$2" -f "$here/../tests/support/json_get.awk" "$1/summary.json"; }

networks=(
  "none|backhaul.loss=0"
  "loss 1 %|backhaul.loss=0.01"
  "loss 5 %|backhaul.loss=0.05"
  "loss 20 %|backhaul.loss=0.2"
  "bursts (7.3 %)|backhaul.burst_enter=0.02,backhaul.burst_exit=0.2,backhaul.burst_loss=0.8"
  "outage 30 s|aggregation.outages=2s+30s"
)
echo "$n eNBs (built-in tree, uniform over 10 s), seed $seed; loss on every access link, each way"
echo
echo "| backhaul | enb.retry | enrolled | p99 latency (s) | CMP retransmissions | TCP retransmissions | abandoned | revoked: confirm_timeout / certconf_failed / rejected_by_enb / superseded | unheld valid | held revoked |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for net in "${networks[@]}"; do
  label=${net%%|*}
  sets=()
  IFS=, read -ra kv <<<"${net#*|}"
  for k in "${kv[@]}"; do sets+=(--set "$k"); done
  for policy in resend restart; do
    out=$tmp/run
    rm -rf "$out"
    "$es" run --quiet --seed "$seed" --out "$out" --set scenario.enbs="$n" --set rollout.window=10s \
      --set enb.retry="$policy" "${sets[@]}"
    printf '| %s | %s | %s | %.3f | %s | %s | %s | %s / %s / %s / %s | %s | %s |\n' "$label" "$policy" \
      "$(get "$out" enbs.enrolled)" "$(get "$out" latency_s.p99)" \
      "$(get "$out" retransmissions.cmp_retransmissions)" "$(get "$out" retransmissions.tcp_retransmissions)" \
      "$(get "$out" retransmissions.abandoned)" \
      "$(get "$out" certificates.revoked_by_reason.confirm_timeout)" "$(get "$out" certificates.revoked_by_reason.certconf_failed)" \
      "$(get "$out" certificates.revoked_by_reason.rejected_by_enb)" "$(get "$out" certificates.revoked_by_reason.superseded)" \
      "$(get "$out" certificates.valid_unheld)" "$(get "$out" enbs.holding_revoked)"
  done
done
