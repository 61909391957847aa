#!/usr/bin/env bash
# `enrolsim calibrate` against servers whose answer is known: `enrolsim serve` with injected
# workers and service times (workers recovered exactly, each service time within 10 % of the
# injected one), exponential service, a serve that sheds load with 503, OpenSSL's mock
# server; and
# bad targets (nothing listening, TLS only, HTML, a stall), which must end non-zero within
# seconds with a message naming the problem and keep what was measured.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
# serve's database on tmpfs where there is one: disk syncs would add their noise to each
# service time measured.
srv=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d -p "$tmp")
trap 'cleanup; rm -rf "$srv"' EXIT

# calibrate OUT [options...]: sets rc; stdout in OUT.out, stderr in OUT.err.
calibrate() {
  local out=$1; shift
  local t0=$SECONDS
  timeout 120 "$es" calibrate "$pki" "$out" "$@" >"$out.out" 2>"$out.err"
  rc=$?
  took=$((SECONDS - t0))
}
# The value of KEY in OUT/calibration.ini (the unit "ms" dropped).
ini() { sed -n "s/^$2 = //p" "$1/calibration.ini" | sed 's/ms$//'; }
# within MEASURED EXPECTED PERCENT
within() { awk -v m="$1" -v e="$2" -v p="$3" 'BEGIN { d = m - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; }
report() { echo "CALIBRATE $1: $(grep -E '^(service times|workers|sheds|stopped)' "$2.out" | tr '\n' ' ')"; }

# A calibration.ini is a scenario fragment: it loads, and a short simulated run takes it.
check_scenario() {
  local out=$1 workers=$2
  "$es" run --print-scenario --scenario "$out/calibration.ini" >"$out.scenario" 2>&1 ||
    fail "$out/calibration.ini does not load: $(cat "$out.scenario")"
  grep -q "^workers=$workers\$" "$out.scenario" || fail "run reads workers other than $workers"
  "$es" run --scenario "$out/calibration.ini" --set scenario.enbs=10 --out "$out.run" -q ||
    fail "run --scenario $out/calibration.ini failed"
}

# --- serve's floor: with 1 ms injected, its processing and the HTTP exchange show --------
start_serve "$srv/plain" --set raca.ir_service=1ms --set raca.certconf_service=1ms
calibrate "$tmp/plain" --server "127.0.0.1:$port" --max-concurrency 1
[ $rc -eq 0 ] || fail "calibrate plain serve: $rc $(cat "$tmp/plain.err")"
stop_serve
report plain "$tmp/plain"

# --- injected workers and fixed service times ------------------------------------------
check_injected() {
  local name=$1 workers=$2 ir=$3 cc=$4
  start_serve "$srv/$name" --set raca.workers="$workers" --set raca.ir_service="${ir}ms" \
    --set raca.certconf_service="${cc}ms"
  calibrate "$tmp/$name" --server "127.0.0.1:$port"
  stop_serve
  [ $rc -eq 0 ] || fail "calibrate $name: exit $rc: $(cat "$tmp/$name.err")"
  report "$name" "$tmp/$name"
  local got_w got_ir got_cc want_ir want_cc
  got_w=$(ini "$tmp/$name" workers) got_ir=$(ini "$tmp/$name" ir_service)
  got_cc=$(ini "$tmp/$name" certconf_service)
  # An injected service time is a minimum serve's processing is part of: it is recovered as is.
  want_ir=$ir want_cc=$cc
  [ "$got_w" = "$workers" ] || fail "$name: workers $got_w, not $workers: $(cat "$tmp/$name.out")"
  within "$got_ir" "$want_ir" 10 || fail "$name: ir_service $got_ir ms, not within 10 % of $want_ir"
  within "$got_cc" "$want_cc" 10 || fail "$name: certconf_service $got_cc ms, not within 10 % of $want_cc"
  [ "$(ini "$tmp/$name" service)" = fixed ] || fail "$name: service $(ini "$tmp/$name" service)"
  grep -q '^# Throughput at most' "$tmp/$name/calibration.ini" || fail "$name: no comment on workers"
  # serve answers a GET of "/" at once: that exchange, not a bare TCP connect, is taken off.
  grep -q '^# HTTP exchange: [0-9.]* ms, the median time of 9 GETs' "$tmp/$name/calibration.ini" ||
    fail "$name: no HTTP exchange timed: $(cat "$tmp/$name/calibration.ini")"
  [ "$(wc -l <"$tmp/$name/calibration.csv")" -ge 3 ] || fail "$name: fewer than 2 steps"
  head -1 "$tmp/$name/calibration.csv" | grep -q '^concurrency,enrolments,errors,busy_503,throughput_per_s,p50_s,p99_s,ir_latency_mean_s,certconf_latency_mean_s$' ||
    fail "$name: CSV header"
  grep -q '^calibrate: concurrency 1: 40 enrolments' "$tmp/$name.err" || fail "$name: no line per step"
  if command -v gnuplot >/dev/null; then
    [ -s "$tmp/$name/calibration.png" ] && [ -s "$tmp/$name/calibration.svg" ] || fail "$name: no plot"
  fi
  check_scenario "$tmp/$name" "$workers"
}
check_injected w2 2 40 30
check_injected w3 3 35 35

# --- exponential service times: the distribution is told apart --------------------------
start_serve "$srv/exp" --set raca.workers=2 --set raca.ir_service=20ms \
  --set raca.certconf_service=10ms --set raca.service=exponential
calibrate "$tmp/exp" --server "127.0.0.1:$port" --max-concurrency 1
stop_serve
[ $rc -eq 0 ] || fail "calibrate exponential: $(cat "$tmp/exp.err")"
report exponential "$tmp/exp"
[ "$(ini "$tmp/exp" service)" = exponential ] || fail "exponential service taken for $(ini "$tmp/exp" service)"
grep -q '^stopped: --max-concurrency 1 reached' "$tmp/exp.out" || fail "exp: $(cat "$tmp/exp.out")"

# --- a server that sheds load: 503 with Retry-After ends the sweep (2 workers and 1 place
# in the queue: concurrency 2 grows the throughput, 4 finds the queue full) ------------
start_serve "$srv/shed" --set raca.workers=2 --set raca.queue_limit=1 --set raca.retry_after=1s \
  --set raca.ir_service=10ms --set raca.certconf_service=5ms
calibrate "$tmp/shed" --server "127.0.0.1:$port"
stop_serve
[ $rc -eq 0 ] || fail "calibrate shedding: $(cat "$tmp/shed.err")"
report shedding "$tmp/shed"
[ "$(ini "$tmp/shed" retry_after)" = 1s ] || fail "shed: retry_after $(ini "$tmp/shed" retry_after)"
awk -F, 'NR > 1 && $4 > 0 { found = 1 } END { exit !found }' "$tmp/shed/calibration.csv" ||
  fail "shed: no 503 counted: $(cat "$tmp/shed/calibration.csv")"
grep -q '^sheds load: 503 from concurrency [0-9]* on, Retry-After 1 s' "$tmp/shed.out" || fail "shed: $(cat "$tmp/shed.out")"

# --- Ctrl-C: stops within a second, keeps what was measured, 128 + SIGINT ---------------
start_serve "$srv/slow" --set raca.workers=1 --set raca.ir_service=50ms --set raca.certconf_service=50ms
"$es" calibrate "$pki" "$tmp/int" --server "127.0.0.1:$port" --samples 100 >"$tmp/int.out" 2>&1 &
cal_pid=$!
pids+=("$cal_pid")
for _ in $(seq 100); do grep -qs '^\[enb\]' "$tmp/int/calibration.ini" && break; sleep 0.05; done
sleep 0.5
kill -INT "$cal_pid"
t0=$SECONDS
wait "$cal_pid"; rc=$?
[ $rc -eq 130 ] || fail "interrupted calibrate exited $rc: $(cat "$tmp/int.out")"
[ $((SECONDS - t0)) -le 3 ] || fail "interrupted calibrate took $((SECONDS - t0)) s to stop"
grep -q '^# The measuring ended: interrupted' "$tmp/int/calibration.ini" || fail "int: $(cat "$tmp/int/calibration.ini")"
grep -q '^sign_time = ' "$tmp/int/calibration.ini" || fail "int: the client's crypto was not kept"
stop_serve

# --- bad targets: non-zero within seconds, the problem named, crypto figures kept -------
# bad NAME PATTERN [calibrate options...]
bad() {
  local name=$1 pattern=$2; shift 2
  calibrate "$tmp/bad-$name" --timeout 1s "$@"
  [ $rc -ne 0 ] || fail "calibrate against $name exited 0"
  [ $rc -ne 2 ] || fail "calibrate against $name: exit 2 (bad usage): $(cat "$tmp/bad-$name.err")"
  [ $took -le 8 ] || fail "calibrate against $name took $took s"
  grep -q "$pattern" "$tmp/bad-$name.err" || fail "$name: no '$pattern' in: $(cat "$tmp/bad-$name.err")"
  grep -q '^keygen_time = ' "$tmp/bad-$name/calibration.ini" || fail "$name: the crypto figures were not kept"
  echo "BAD $name: exit $rc after ${took} s: $(tail -1 "$tmp/bad-$name.err")"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port PORT: until something accepts there (5 s at most).
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  fail "nothing came to listen on $1"
}
# A Python server on a free port, MODE html (200 text/html to everything), 501 (the standard
# library's file server: no POST) or stall (accepts, never answers); sets port.
py_server() {
  rm -f "$tmp/py.port"
  python3 - "$1" "$tmp/py.port" <<'EOF' >/dev/null 2>&1 &
import http.server, socket, sys, time
mode, port_file = sys.argv[1], sys.argv[2]
class Html(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html><body>hello</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
if mode == "stall":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    open(port_file, "w").write(str(s.getsockname()[1]))
    held = []
    while True:
        held.append(s.accept()[0])
handler = Html if mode == "html" else http.server.SimpleHTTPRequestHandler
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(port_file, "w").write(str(srv.server_address[1]))
srv.serve_forever()
EOF
  pids+=($!)
  for _ in $(seq 100); do [ -s "$tmp/py.port" ] && break; sleep 0.05; done
  [ -s "$tmp/py.port" ] || fail "python server ($1) did not start"
  port=$(cat "$tmp/py.port")
}

bad refused 'connection refused: nothing listens there' --server "127.0.0.1:$(free_port)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" \
  -out "$tmp/tls.pem" -subj /CN=localhost -days 1 2>/dev/null || fail "throwaway TLS certificate"
port=$(free_port)
openssl s_server -accept "$port" -cert "$tmp/tls.pem" -key "$tmp/tls.key" -quiet >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
bad tls 'no HTTP response to the ir.*TLS-only port' --server "127.0.0.1:$port"

py_server 501
bad http501 'HTTP 501 (Content-Type text/html.*not a CMP server' --server "127.0.0.1:$port"
py_server html
bad html 'HTTP 200 with Content-Type text/html to the ir, not a CMP message' --server "127.0.0.1:$port"
py_server stall
bad stall 'no response to the ir within 1 s' --server "127.0.0.1:$port"
grep -q '^# HTTP exchange not timed' "$tmp/bad-stall/calibration.ini" ||
  fail "stall: a GET left unanswered: $(cat "$tmp/bad-stall/calibration.ini")"

# --- bad usage: exit 2, nothing measured ------------------------------------------------
"$es" calibrate "$pki" "$tmp/u1" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no --server: not exit 2"
"$es" calibrate "$pki" "$tmp/u2" --server 127.0.0.1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "no port: not exit 2"
"$es" calibrate "$pki" "$tmp/u3" --server 127.0.0.1:1 --timeout 1x 2>"$tmp/u3.err"; [ $? -eq 2 ] || fail "--timeout 1x: not exit 2"
grep -q 'enb.msg_timeout' "$tmp/u3.err" || fail "--timeout: $(cat "$tmp/u3.err")"
"$es" calibrate "$pki" "$tmp/plain" --server 127.0.0.1:1 2>"$tmp/u4.err"; [ $? -eq 2 ] || fail "earlier results: not exit 2"
grep -q -- '--overwrite' "$tmp/u4.err" || fail "earlier results: $(cat "$tmp/u4.err")"

# --- OpenSSL's mock server: one request at a time, one fixed certificate ----------------
# (--new-key: the mock hands out one certificate; --devices 1: OpenSSL 3.0's mock crashes
# when two client certificates alternate.)
new_key "$tmp/fixed.key"
openssl req -new -key "$tmp/fixed.key" -subj "/O=Operator/CN=enb-1" -out "$tmp/fixed.csr" 2>/dev/null
openssl x509 -req -in "$tmp/fixed.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -days 30 -set_serial 0x4242 -out "$tmp/fixed.pem" 2>/dev/null || fail "fixed certificate"
start_mock -srv_cert "$pki/raca.pem" -srv_key "$pki/raca.key" -srv_trusted "$pki/vendor-root.pem" \
  -rsp_cert "$tmp/fixed.pem" -rsp_extracerts "$pki/raca-cross.pem" -rsp_capubs "$pki/operator-root.pem"
calibrate "$tmp/mock" --server "127.0.0.1:$port" --new-key "$tmp/fixed.key" --devices 1 --timeout 5s
[ $rc -eq 0 ] || fail "calibrate the mock: exit $rc: $(cat "$tmp/mock.err") $(tail -3 "$tmp/mock.log")"
sed 's/^/MOCK: /' "$tmp/mock.out"
grep -q '^# HTTP exchange: ' "$tmp/mock/calibration.ini" || fail "the mock's GET / was not timed"
[ "$(ini "$tmp/mock" workers)" = 1 ] || fail "the mock answers one request at a time, not $(ini "$tmp/mock" workers)"
check_scenario "$tmp/mock" 1

echo "interop_calibrate: workers and service times recovered from serve, the mock calibrated, bad targets refused"
