#!/usr/bin/env bash
# Live-mode throughput on loopback, in one invocation: `enrolsim enrol` against `enrolsim serve`
# at concurrency 1, 16 and 256; a sequential loop of the `openssl cmp` CLI against the same
# server; and the in-memory CMP rate (`enrolsim bench-inmem`, one process, no network).
# Prints the rates and their ratios, and exits 1 when the live pair is below 20x the CLI loop
# (the CLI as it runs by default) or, at concurrency 256, below the in-memory rate (1.0x). Run
# it on an idle machine.
#   bench/bench_live.sh [ENROLSIM]    (default: build/enrolsim)
# Sizes: BENCH_N1 BENCH_N16 BENCH_N256 (eNBs per concurrency), BENCH_CLI (CLI runs),
# BENCH_INMEM (in-memory enrolments).
set -uo pipefail
es=${1:-build/enrolsim}
n1=${BENCH_N1:-300} n16=${BENCH_N16:-1500} n256=${BENCH_N256:-2000}
cli_runs=${BENCH_CLI:-40} inmem=${BENCH_INMEM:-1500}
tmp=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench_live: $*" >&2; exit 2; }

max_n=$(printf '%s\n' "$n1" "$n16" "$n256" | sort -n | tail -1)
# Device credentials are made before the clock starts anyway; make them once, here.
"$es" pki init "$tmp/pki" --devices "$max_n" >/dev/null || fail "pki init"

"$es" serve "$tmp/pki" "$tmp/served" --listen 127.0.0.1:0 --port-file "$tmp/port" -q >"$tmp/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve did not start: $(cat "$tmp/serve.log")"
port=$(cat "$tmp/port")

rate_of() { sed -n 's/.* in \([0-9.]*\) s: \([0-9.]*\) per s.*/\2/p' "$1" | tail -1; }
declare -A live
for c in 1 16 256; do
  n=$n1; [ "$c" -eq 16 ] && n=$n16; [ "$c" -eq 256 ] && n=$n256
  timeout 900 "$es" enrol "$tmp/pki" "$tmp/run-c$c" --server "127.0.0.1:$port" --enbs "$n" \
    --concurrency "$c" >"$tmp/enrol-c$c.log" 2>&1 || fail "enrol at concurrency $c: $(cat "$tmp/enrol-c$c.log")"
  live[$c]=$(rate_of "$tmp/enrol-c$c.log")
  printf 'enrol vs serve, concurrency %3d: %5d enrolments, %8.1f per s  (%s)\n' "$c" "$n" "${live[$c]}" \
    "$(grep 'latency' "$tmp/enrol-c$c.log")"
done

# The openssl CLI, one process per enrolment, one after the other (its default keep-alive).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/new.key" 2>/dev/null
cli_loop() {
  local t0 t1 i
  t0=$(date +%s%N)
  for i in $(seq "$cli_runs"); do
    timeout 30 openssl cmp -cmd ir -server "127.0.0.1:$port" -path / "$@" \
      -cert "$tmp/pki/devices/enb-1.pem" -key "$tmp/pki/devices/enb-1.key" \
      -trusted "$tmp/pki/vendor-root.pem" -newkey "$tmp/new.key" -subject "/O=Operator/CN=enb-1" \
      -certout "$tmp/cli.pem" >"$tmp/cli.log" 2>&1 || fail "openssl cmp: $(tail -3 "$tmp/cli.log")"
  done
  t1=$(date +%s%N)
  awk -v n="$cli_runs" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }'
}
cli=$(cli_loop)
cli_nokeep=$(cli_loop -keep_alive 0)
printf 'openssl cmp CLI loop:          %5d enrolments, %8.1f per s  (-keep_alive 0: %.1f per s)\n' \
  "$cli_runs" "$cli" "$cli_nokeep"
kill -TERM "$serve_pid"; wait "$serve_pid"; rc=$?; serve_pid=
[ "$rc" -eq 0 ] || fail "serve exited $rc"

# With OpenSSL's providers as serve and enrol have them: bench-inmem alone would trim them
# (README, Scale), and the ceiling would not be the live pair's.
stock_conf=$(cd "$(dirname "$0")/../tests/support" && pwd)/openssl-stock.cnf
OPENSSL_CONF="$stock_conf" timeout 900 "$es" bench-inmem --count "$inmem" >"$tmp/inmem.log" 2>&1 \
  || fail "bench-inmem: $(cat "$tmp/inmem.log")"
mem=$(rate_of "$tmp/inmem.log")
printf 'in-memory (bench-inmem):       %5d enrolments, %8.1f per s  (one process, no network)\n' "$inmem" "$mem"

best=$(printf '%s\n' "${live[1]}" "${live[16]}" "${live[256]}" | sort -g | tail -1)
awk -v b="$best" -v c1="${live[1]}" -v c16="${live[16]}" -v c256="${live[256]}" -v cli="$cli" \
    -v nk="$cli_nokeep" -v m="$mem" 'BEGIN {
  printf "ratios: live pair (best: %.1f per s) / CLI loop (%.1f per s) = %.1fx (target >= 20x);", b, cli, b / cli
  printf " / CLI loop with -keep_alive 0 = %.1fx\n", b / nk
  printf "        live pair / in-memory: concurrency 256: %.2fx (target >= 1.0x); concurrency 1, 16: %.2fx, %.2fx\n", c256 / m, c1 / m, c16 / m
  exit !(b >= 20 * cli && c256 >= 1.0 * m)
}' || { echo "bench_live: below target"; exit 1; }
echo "bench_live: targets met"
