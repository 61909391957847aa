#!/usr/bin/env bash
# The README's worked example "enforcing a mass revocation": topologies/scenarios/mass-revocation.ini
# (10,000 sites, 5 % on GEO satellite, 1,000-odd certificates revoked at 1 h) with full against
# delta CRLs, triggered fetches against hourly ones, over an empty CRL and over one that already
# lists 10,000 retired certificates; prints one table row per run. About 6 minutes on 2 cores.
# Usage: bench/crl_dist_table.sh [ENROLSIM] [ENBS]
set -euo pipefail
es=${1:-build/enrolsim}
enbs=${2:-10000}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
json() { awk -v path="$2" -f "$here/tests/support/json_get.awk" "$1/summary.json"; }
echo "| fetch | CRL form | CRL before | revoked | every site enforcing after | fibre / microwave / satellite worst | p50 | MB fetched | satellite MB | wall s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for history in 0 10000; do
  for mode in trigger periodic; do
    for form in full delta; do
      out=$tmp/$mode-$form-$history
      start=$(date +%s.%N)
      "$es" run --quiet --scenario "$here/topologies/scenarios/mass-revocation.ini" --set scenario.enbs="$enbs" \
        --set crl_fetch.mode=$mode --set crl_fetch.form=$form --set revocation.history=$history --out "$out"
      wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
      by() { json "$out" "crl_dist.time_to_enforcement_s.max_by_access.$1"; }
      printf '| %s | %s | %s entries | %s | %.1f s | %.1f / %.1f / %.1f s | %.1f s | %.0f | %.0f | %s |\n' \
        "$mode" "$form" "$history" "$(json "$out" crl_dist.revoked)" \
        "$(json "$out" crl_dist.time_to_enforcement_s.max)" "$(by fibre)" "$(by microwave)" "$(by satellite)" \
        "$(json "$out" crl_dist.time_to_enforcement_s.p50)" "$(awk -v b="$(json "$out" crl_dist.bytes)" 'BEGIN { print b / 1e6 }')" \
        "$(awk -v b="$(json "$out" crl_dist.bytes_by_access.satellite)" 'BEGIN { print b / 1e6 }')" "$wall"
      [ "$(json "$out" crl_dist.not_enforcing)" -eq 0 ] || { echo "crl_dist_table: $mode $form: sites not enforcing" >&2; exit 1; }
    done
  done
done
