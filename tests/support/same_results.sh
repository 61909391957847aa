# Sourced by the scenario tests that compare two result folders of one scenario and seed:
# strip_wall FILE prints summary.json without its wall_clock object (one member per line, no
# nested objects); same_results A B WHAT fails (fail, from the caller) unless both folders hold
# the same files, byte for byte, summary.json but for wall_clock.
strip_wall() { sed '/^  "wall_clock": {$/,/^  },\{0,1\}$/d' "$1"; }
same_results() {
  [ "$(cd "$1" && find . -type f | sort)" = "$(cd "$2" && find . -type f | sort)" ] \
    || fail "$3: different result files"
  while IFS= read -r f; do
    if [ "${f##*/}" = summary.json ]; then
      diff <(strip_wall "$1/$f") <(strip_wall "$2/$f") >/dev/null || fail "$3: $f differs"
    else
      cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs"
    fi
  done < <(cd "$1" && find . -type f | sort)
}
