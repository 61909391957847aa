#!/usr/bin/env bash
# The progress lines of `serve` and `enrol`: drawn on a terminal (a pseudo-terminal from
# script(1)), with the rate, latency p50 and p99 and errors so far; never in a pipe or a file.
source "$(dirname "$0")/interop_lib.sh"
command -v script >/dev/null || fail "script(1) (bsdutils) is needed"
"$es" pki init "$tmp/pki" --devices 120 --overwrite >/dev/null || fail "pki init"

# On terminals: serve with one worker and 5 ms a request, so that a queue shows.
rm -f "$tmp/port"
script -qfec "'$es' serve '$tmp/pki' '$tmp/served' --listen 127.0.0.1:0 --port-file '$tmp/port' \
  --set raca.workers=1 --set raca.ir_service=5ms" "$tmp/serve.tty" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve did not start: $(cat "$tmp/serve.tty")"
port=$(cat "$tmp/port")
script -qfec "'$es' enrol '$tmp/pki' '$tmp/run' --server 127.0.0.1:$port --enbs 120 \
  --concurrency 4" "$tmp/enrol.tty" >/dev/null 2>&1 || fail "enrol: $(cat "$tmp/enrol.tty")"
sleep 0.5 # one more serve line after the last request
pkill -INT -f -- "--port-file $tmp/port"
for _ in $(seq 100); do pgrep -f -- "--port-file $tmp/port" >/dev/null || break; sleep 0.05; done

last() { tr '\r' '\n' <"$1" | grep -a "$2" | tail -1; }
enrol_line=$(last "$tmp/enrol.tty" '^.\[Klive ')
serve_line=$(last "$tmp/serve.tty" '^.\[Kserve ')
echo "enrol: ${enrol_line#*K}"
echo "serve: ${serve_line#*K}"
[[ $enrol_line =~ started\ [0-9]+/120\ \|\ enrolled\ [0-9]+,\ failed\ 0\ \|\ [0-9.]+/s\ \|\ latency\ p50\ [0-9.]+\ s,\ p99\ [0-9.]+\ s ]] ||
  fail "no enrol progress line with rate and latency: '$enrol_line'"
[[ $serve_line =~ [0-9]+\ requests,\ [0-9.]+/s\ \|\ issued\ [0-9]+,\ revoked\ 0\ \|\ errors\ 0,\ 503\ 0\ \|\ queue\ [0-9]+,\ busy\ [01]\ \|\ latency\ p50\ \<=\ [0-9.e-]+\ s,\ p99\ \<=\ [0-9.e-]+\ s ]] ||
  fail "no serve progress line with rate, errors, queue and latency: '$serve_line'"
# The final summary starts on a line of its own: the progress line was cleared.
grep -aq $'\r\033\[K120 eNBs: 120 enrolled\|^120 eNBs: 120 enrolled' "$tmp/enrol.tty" ||
  fail "enrol's summary is not on a clean line: $(tail -c 400 "$tmp/enrol.tty" | cat -v)"

# Not on a terminal: no progress line, no control characters.
start_serve "$tmp/served2"
"$es" enrol "$tmp/pki" "$tmp/run2" --server "127.0.0.1:$port" --enbs 40 --concurrency 4 \
  >"$tmp/plain.log" 2>&1 || fail "enrol: $(cat "$tmp/plain.log")"
stop_serve
if grep -aq $'\033\|\r' "$tmp/plain.log" "$tmp/served2.log"; then
  fail "control characters in output that is not a terminal"
fi
echo "interop_progress: progress lines on terminals, none in files"
