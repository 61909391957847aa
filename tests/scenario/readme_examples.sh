#!/usr/bin/env bash
# Every command in the README runs. The blocks fenced ```sh run in README order as one shell
# session, in a folder laid out like the source folder (copies of topologies/, results/,
# scripts/ and bench/ in a git repository of their own, build/ the build folder, enrolsim on
# PATH); the first command that fails stops the test, naming its README line. Blocks fenced
# otherwise (``` alone, ```console, ```ini) show syntax or output and are not run.
#
# Skipped, and said so: commands whose first word is scripts/setup.sh, sudo, apt or apt-get
# (they install packages; CI ran setup.sh before), cmake (the test runs the build CTest made),
# ctest or scripts/test.sh (the test suite itself), build/bench/es-bench (a benchmark: minutes
# on an idle machine), sbatch (a cluster); in a chain `a && b && c` only those parts are left
# out. Provided: ENBS (small) for the examples written with ${ENBS:-N}; a free port in place
# of the examples' 127.0.0.1:8080 (another test may hold 8080). Whatever the examples leave
# running in the background (serve) is stopped at the end.
# Usage: readme_examples.sh ENROLSIM SOURCE_DIR
set -uo pipefail
es=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
readme=$src/README.md
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$readme" ] || fail "no README at $readme"

work=$tmp/work
mkdir -p "$work" "$tmp/bin"
for d in topologies results scripts bench; do
  [ -d "$src/$d" ] && cp -r "$src/$d" "$work/"
done
ln -s "$(cd "$(dirname "$es")" && pwd)" "$work/build"
ln -s "$es" "$tmp/bin/enrolsim"
# README commands such as `git diff results/baselines` look at a checkout.
git -C "$work" init -q && git -C "$work" add -A &&
  git -C "$work" -c user.name=readme -c user.email=readme@example.invalid commit -qm base ||
  fail "cannot make a git repository in $work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
  fail "no free port"

# The session: each command, then a check of its status that names its README line.
gen=$tmp/readme.sh
awk -v port="$port" '
  function skipped(cmd,   w) {
    sub(/^[ \t]+/, "", cmd); w = cmd; sub(/[ \t].*/, "", w)
    return w ~ /^(scripts\/setup\.sh|sudo|apt|apt-get|cmake|ctest|scripts\/test\.sh|build\/bench\/es-bench|sbatch)$/
  }
  function quote(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
  function emit(   n, parts, i, kept, dropped, text) {
    if (cmd == "") return
    text = cmd
    if (text !~ /\n/) { # a chain on one line: drop the skipped parts
      n = split(text, parts, / && /); kept = ""; dropped = ""
      for (i = 1; i <= n; i++)
        if (!skipped(parts[i])) kept = kept (kept == "" ? "" : " && ") parts[i]
        else dropped = dropped (dropped == "" ? "" : ", ") parts[i]
      if (kept != "" && dropped != "")
        printf "echo %s\n", quote("readme_examples: README.md:" start ": left out " dropped)
      text = kept
    } else if (skipped(text)) {
      text = ""
    }
    gsub(/127\.0\.0\.1:8080/, "127.0.0.1:" port, text)
    if (text == "") {
      printf "echo %s\n", quote("readme_examples: skipped README.md:" start ": " cmd)
    } else {
      printf "__line=%d; __cmd=%s\n%s\n", start, quote(text), text
      print "__st=$?; [ \"$__st\" -eq 0 ] || __fail \"$__st\""
    }
    cmd = ""
  }
  /^```/ {
    if (!inblock) { inblock = 1; run = ($0 ~ /^```sh[ \t]*$/); next }
    emit(); inblock = 0; next
  }
  inblock && run {
    if (cmd == "") {
      if ($0 ~ /^[ \t]*(#|$)/) next
      start = NR
      cmd = $0
    } else {
      cmd = cmd "\n" $0
    }
    if ($0 !~ /\\$/) emit()
  }
' "$readme" >"$gen.body" || fail "cannot read the README's blocks"
grep -q '^__line=' "$gen.body" || fail "no \`\`\`sh block found in $readme"
{
  echo 'set -uo pipefail'
  echo '__fail() { echo "FAIL: README.md:$__line: exit status $1: $__cmd" >&2; exit 1; }'
  echo 'trap '\''st=$?; kill $(jobs -p) 2>/dev/null; wait; exit $st'\'' EXIT'
  cat "$gen.body"
  echo 'echo "readme_examples: every example ran"'
} >"$gen"

cd "$work" || fail "no $work"
PATH=$tmp/bin:$PATH ENBS=40 timeout 110 bash "$gen"
st=$?
[ $st -eq 124 ] && fail "the README's examples took over 110 s"
[ $st -eq 0 ] || exit 1
echo "readme_examples: $(grep -c '^__line=' "$gen.body") commands of README.md ran"
