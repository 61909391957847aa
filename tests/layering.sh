#!/usr/bin/env bash
# Every include of a project header names its layer ("nodes/es_enb.h"); this fails when a
# file includes a header of a layer it may not see: the arrows only point down. It also fails
# on a source file of a layer over 700 lines.
#   cli/ -> sim/ -> engines/ -> nodes/ -> pki/, results/, topologies/, config/
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
# layer: the layers its files may include (itself always)
declare -A may=(
  [config]=""
  [pki]="config"
  [results]="config"
  [topologies]="config"
  [nodes]="config pki"
  [engines/ns3]="config"
  [engines]="config pki results nodes topologies engines/ns3"
  [sim]="config pki results topologies nodes engines"
  [cli]="config pki results topologies nodes engines sim"
)
bad=0 checked=0
for layer in "${!may[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r file; do
    # engines/ns3 is a layer of its own below engines/.
    [ "$layer" = engines ] && [[ $file == engines/ns3/* ]] && continue
    checked=$((checked + 1))
    while IFS= read -r inc; do
      case $inc in
        */*) ;;
        *) echo "$file: #include \"$inc\" does not name its layer"; bad=1; continue ;;
      esac
      target=${inc%/*}
      [ "$target" = "$layer" ] && continue
      ok=0
      for allowed in ${may[$layer]}; do [ "$target" = "$allowed" ] && ok=1; done
      if [ $ok -eq 0 ]; then
        echo "$file: includes $inc: $layer/ may include only ${may[$layer]:-its own headers}"
        bad=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
  done < <(find "$layer" -name '*.[ch]' -o -name '*.cc' -o -name '*.in' | sort)
done
# A file a reader can hold in mind: none of the layers' source files is over 700 lines.
for layer in "${!may[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r file; do
    n=$(wc -l <"$file")
    [ "$n" -le 700 ] || { echo "$file: $n lines, over 700: split it by what its parts do"; bad=1; }
  done < <(find "$layer" -maxdepth 1 -name '*.[ch]' -o -maxdepth 1 -name '*.cc')
done
if [ -z "${LAYERING_SELF_TEST:-}" ]; then
  # The check must be able to fail: a node header that includes the run layer is caught.
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/nodes" && printf '#include "sim/es_run.h"\n' > "$tmp/nodes/es_x.h"
  if LAYERING_SELF_TEST=1 bash "$0" "$tmp" >/dev/null; then
    echo "layering: the check missed nodes/ including sim/"; exit 1
  fi
  # ... and so is a file of 701 lines.
  rm "$tmp/nodes/es_x.h" && seq 701 | sed 's/.*/;/' > "$tmp/nodes/es_y.c"
  if LAYERING_SELF_TEST=1 bash "$0" "$tmp" >/dev/null; then
    echo "layering: the check missed a file of 701 lines"; exit 1
  fi
fi
[ $checked -gt 0 ] || { echo "layering: no source files found under $root"; exit 1; }
[ $bad -eq 0 ] && echo "layering: $checked files, every include points down"
exit $bad
