#!/usr/bin/env bash
# Runs the reference set of scenarios with one enrolsim binary into DIR, or compares two such
# folders: every result file must be byte-identical but summary.json's wall_clock object and
# attributes.git_revision (a build fact, not a result); .enrolsim-files, the list of files
# written, is no result either (versions before it have none).
# Usage: scripts/identical.sh run ENROLSIM DIR [RUN-OPTION...]    scripts/identical.sh compare DIR_A DIR_B
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
run)
  es=$2 out=$3; shift 3; extra=("$@")
  mkdir -p "$out"
  r() { local name=$1; shift; "$es" run --quiet --keep-certs --out "$out/$name" "${extra[@]}" "$@"; }
  r default
  r small --scenario "$root/topologies/scenarios/small.ini"
  r hostile --scenario "$root/topologies/scenarios/hostile.ini"
  r loss-restart --set scenario.enbs=1000 --set backhaul.loss=0.05 --set enb.retry=restart
  r renew --set scenario.enbs=200 --set enb.renew_after=30s --set raca.crl_interval=10s
  r p384 --set scenario.enbs=100 --set pki.key=p384 --set enb.key=p384 --set backhaul.loss=0.02
  r rsa --set scenario.enbs=40 --set pki.key=rsa2048 --set enb.key=rsa2048
  ;;
compare)
  a=$2 b=$3 bad=0
  while IFS= read -r f; do
    if [ "${f##*/}" = summary.json ]; then
      cmp -s <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("wall_clock",None); d.get("attributes",{}).pop("git_revision",None); print(json.dumps(d,indent=1,sort_keys=True))' "$a/$f") \
             <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("wall_clock",None); d.get("attributes",{}).pop("git_revision",None); print(json.dumps(d,indent=1,sort_keys=True))' "$b/$f") \
        || { echo "differs: $f"; bad=1; }
    else
      cmp -s "$a/$f" "$b/$f" || { echo "differs: $f"; bad=1; }
    fi
  done < <(cd "$a" && find . -type f ! -name .enrolsim-files | sort)
  [ "$(cd "$a" && find . -type f ! -name .enrolsim-files | sort)" = "$(cd "$b" && find . -type f ! -name .enrolsim-files | sort)" ] || { echo "file lists differ"; bad=1; }
  [ $bad -eq 0 ] && echo "identical: $(cd "$a" && find . -type f ! -name .enrolsim-files | wc -l) files"
  exit $bad
  ;;
*) echo "usage: $0 run ENROLSIM DIR [RUN-OPTION...] | compare DIR_A DIR_B" >&2; exit 2 ;;
esac
