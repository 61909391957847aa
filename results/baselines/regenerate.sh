#!/usr/bin/env bash
# Renews the committed baselines that CI compares with (tests/scenario/results_baseline.sh), after a
# deliberate change of the model or of a shipped scenario: runs each scenario and keeps its
# summary.json and effective scenario.ini. Review `git diff results/baselines` before committing.
# Usage: results/baselines/regenerate.sh [ENROLSIM]   (default: build/enrolsim)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
es=${1:-$root/build/enrolsim}
[ -x "$es" ] || { echo "regenerate.sh: no enrolsim at $es (build first, or pass its path)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for name in small; do
  "$es" run --quiet --scenario "$root/topologies/scenarios/$name.ini" --out "$tmp/$name"
  mkdir -p "$here/$name"
  cp "$tmp/$name/summary.json" "$tmp/$name/scenario.ini" "$here/$name/"
  echo "baseline $name: results/baselines/$name/summary.json"
done
