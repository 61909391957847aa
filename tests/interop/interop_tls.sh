#!/usr/bin/env bash
# HTTPS both ways: `openssl cmp -tls_used` against `serve --tls-cert` (and with client
# certificates required), `enrol --tls-trusted` (and `calibrate`) against serve and against OpenSSL's mock
# server behind socat's TLS; wrong trust, wrong name and plain HTTP on either side fail with
# a message that says so; garbage, stalled handshakes and renegotiation do not stop service.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
dev=$pki/devices

lab=$tmp/lab
lab_tls "$lab" raca.lab

cmp_tls() { # cmp_tls DEVICE NEWKEY CERTOUT [extra...]
  local d=$1 k=$2 o=$3; shift 3
  timeout 20 openssl cmp -server "127.0.0.1:$port" -path / -tls_used -tls_trusted "$lab/ca.pem" \
    -cmd ir -cert "$dev/enb-$d.pem" -key "$dev/enb-$d.key" -trusted "$pki/vendor-root.pem" \
    -newkey "$k" -subject "/O=Operator/CN=enb-$d" -certout "$o" "$@" >>"$tmp/cli.log" 2>&1
}
summary_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"][sys.argv[2]])' "$1" "$2"; }

# ---- bad options: exit 2, the option and file named, nothing served ----
expect_usage() { # expect_usage TEXT COMMAND...
  local text=$1; shift
  "$@" >"$tmp/usage.log" 2>&1; local rc=$?
  [ $rc -eq 2 ] || fail "exit $rc (not 2) for $*: $(cat "$tmp/usage.log")"
  grep -q -- "$text" "$tmp/usage.log" || fail "'$text' not said for $*: $(cat "$tmp/usage.log")"
}
expect_usage "--tls-cert '$lab/none.pem': no such file" \
  "$es" serve "$pki" "$tmp/bad" --listen 127.0.0.1:0 --tls-cert "$lab/none.pem" --tls-key "$lab/server.key"
expect_usage "does not belong" \
  "$es" serve "$pki" "$tmp/bad" --listen 127.0.0.1:0 --tls-cert "$lab/server.pem" --tls-key "$lab/ca.key"
expect_usage "--tls-client-ca needs --tls-cert" \
  "$es" serve "$pki" "$tmp/bad" --listen 127.0.0.1:0 --tls-client-ca "$pki/vendor-root.pem"
expect_usage "no trusted certificate read from '$lab/server.key'" \
  "$es" enrol "$pki" "$tmp/bad" --server 127.0.0.1:9 --tls-trusted "$lab/server.key"
expect_usage "--tls-cert needs --tls-trusted" \
  "$es" enrol "$pki" "$tmp/bad" --server 127.0.0.1:9 --tls-cert "$dev/enb-1.pem" --tls-key "$dev/enb-1.key"
[ -e "$tmp/bad" ] && fail "a refused command wrote $tmp/bad"

# ---- serve --tls-cert: openssl cmp -tls_used enrols; plain HTTP gets told ----
start_serve "$tmp/served" --tls-cert "$lab/server.pem" --tls-key "$lab/server.key" --request-timeout 1s
grep -q "listening on 127.0.0.1:$port (HTTPS)" "$tmp/served.log" || fail "listening line: $(cat "$tmp/served.log")"
new_key "$tmp/k1"
cmp_tls 1 "$tmp/k1" "$tmp/c1.pem" || fail "openssl cmp -tls_used: $(tail -5 "$tmp/cli.log")"
openssl verify -CAfile "$pki/operator-root.pem" "$tmp/c1.pem" >/dev/null || fail "certificate over TLS does not verify"
if timeout 20 openssl cmp -server "127.0.0.1:$port" -path / -cmd ir -cert "$dev/enb-2.pem" \
  -key "$dev/enb-2.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/k1" -subject /CN=enb-2 \
  >>"$tmp/cli.log" 2>&1; then fail "plain openssl cmp enrolled against an HTTPS serve"; fi
[ "$(curl -s "http://127.0.0.1:$port/" | tr -d "\r")" = "This server speaks HTTPS, not HTTP." ] || fail "no plain-HTTP answer"

# enrol --tls-trusted: every eNB enrols, the summary names the https server.
timeout 60 "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --tls-trusted "$lab/ca.pem" \
  --enbs 6 --concurrency 3 --renew >"$tmp/enrol.log" 2>&1 || fail "enrol over TLS: $(cat "$tmp/enrol.log")"
grep -q "6 eNBs: 6 enrolled, 0 failed, 6 renewed" "$tmp/enrol.log" || fail "enrol: $(cat "$tmp/enrol.log")"
grep -q "\"server\": \"https://127.0.0.1:$port/\"" "$tmp/run/summary.json" || fail "attributes.server"
# The name checked is --tls-host's when given: raca.lab is in the certificate.
timeout 60 "$es" enrol "$pki" "$tmp/named" --server "127.0.0.1:$port" --tls-trusted "$lab/ca.pem" \
  --tls-host raca.lab -q || fail "enrol with --tls-host raca.lab"

# calibrate measures an HTTPS server, and says that the handshakes are in what it measured.
timeout 120 "$es" calibrate "$pki" "$tmp/cal" --server "127.0.0.1:$port" --tls-trusted "$lab/ca.pem" \
  --samples 4 --step-enrolments 8 --max-concurrency 2 >"$tmp/cal.log" 2>&1 \
  || fail "calibrate over TLS: $(cat "$tmp/cal.log")"
grep -q "against https://127.0.0.1:$port" "$tmp/cal/calibration.ini" || fail "calibration.ini: target"
grep -q "Over HTTPS" "$tmp/cal/calibration.ini" || fail "calibration.ini: no HTTPS note"
grep -q "^ir_service *= *[0-9]" "$tmp/cal/calibration.ini" || fail "calibration.ini: $(cat "$tmp/cal/calibration.ini")"

# What goes wrong is said: a server certificate from another CA, another name, plain HTTP.
try_enrol() { # try_enrol OUT [options...]: one eNB, two sends
  local out=$1; shift
  timeout 60 "$es" enrol "$pki" "$tmp/$out" --server "127.0.0.1:$port" --enbs 1 --timeout 2s \
    --give-up-after 0s --set enb.max_attempts=2 "$@" >"$tmp/$out.log" 2>&1
  [ $? -eq 1 ] || fail "$out: enrol did not fail: $(cat "$tmp/$out.log")"
}
try_enrol wrong-ca --tls-trusted "$pki/vendor-root.pem"
grep -q "errors: TLS: the server's certificate did not verify: unable to get local issuer certificate" "$tmp/wrong-ca.log" || fail "wrong CA: $(cat "$tmp/wrong-ca.log")"
grep -q ',transport_error,' "$tmp/wrong-ca/enrolments.csv" || fail "wrong CA: outcome"
try_enrol wrong-name --tls-trusted "$lab/ca.pem" --tls-host other.lab
grep -q "did not verify: hostname mismatch" "$tmp/wrong-name.log" || fail "wrong name: $(cat "$tmp/wrong-name.log")"
try_enrol plain
grep -q "errors: HTTP 400: This server speaks HTTPS, not HTTP." "$tmp/plain.log" || fail "plain: $(cat "$tmp/plain.log")"

# ---- hostile clients: none stops service ----
python3 - "$port" >"$tmp/hostile.log" 2>&1 <<'PY' &
import os, socket, sys, time
port = int(sys.argv[1])
def conn(payload):
    s = socket.create_connection(("127.0.0.1", port))
    if payload:
        s.sendall(payload)
    return s
# Garbage instead of a ClientHello: closed at once.
s = conn(os.urandom(2048))
s.settimeout(3)
try:
    while s.recv(4096):
        pass
except ConnectionResetError:
    pass
# Handshakes that never finish: a record header promising 512 bytes that never come, and
# connections that send nothing. All closed once --request-timeout (1 s) is over.
stalled = [conn(bytes([0x16, 3, 1, 2, 0]) + b"\x01\x00") for _ in range(20)]
stalled += [conn(b"") for _ in range(20)]
t0 = time.monotonic()
for s in stalled:
    s.settimeout(5)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        print("a stalled handshake was not closed within 5 s"); sys.exit(1)
print("closed after %.2f s" % (time.monotonic() - t0))
PY
hostile=$!
pids+=("$hostile")
sleep 0.2
# Served meanwhile.
new_key "$tmp/k3"
cmp_tls 3 "$tmp/k3" "$tmp/c3.pem" || fail "openssl cmp while stalled handshakes were open: $(tail -5 "$tmp/cli.log")"
wait "$hostile" || fail "hostile: $(cat "$tmp/hostile.log")"
awk '/closed after/ { exit !($3 < 3) }' "$tmp/hostile.log" || fail "stalled handshakes: $(cat "$tmp/hostile.log")"
# Renegotiation is refused; the server goes on.
(echo R; sleep 1) | timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$port" \
  -CAfile "$lab/ca.pem" >"$tmp/reneg.log" 2>&1
grep -q "RENEGOTIATING" "$tmp/reneg.log" || fail "renegotiation was not tried: $(cat "$tmp/reneg.log")"
grep -q "no renegotiation" "$tmp/reneg.log" || fail "renegotiation not refused: $(cat "$tmp/reneg.log")"
new_key "$tmp/k4"
cmp_tls 2 "$tmp/k4" "$tmp/c4.pem" || fail "openssl cmp after renegotiation: $(tail -5 "$tmp/cli.log")"
# A session ticket resumes: a second connection with the first one's session is abbreviated.
timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$port" -CAfile "$lab/ca.pem" \
  -sess_out "$tmp/sess.pem" </dev/null >"$tmp/sess1.log" 2>&1
timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$port" -CAfile "$lab/ca.pem" \
  -sess_in "$tmp/sess.pem" </dev/null >"$tmp/sess2.log" 2>&1
grep -q "^Reused, TLSv1.2" "$tmp/sess2.log" || fail "session not resumed: $(cat "$tmp/sess2.log")"
curl -s --cacert "$lab/ca.pem" "https://127.0.0.1:$port/metrics" >"$tmp/metrics.txt" || fail "metrics over TLS"
grep -q '^enrolsim_tls_handshakes_total{outcome="failed"} [1-9]' "$tmp/metrics.txt" || fail "metrics: $(grep tls "$tmp/metrics.txt")"
grep -q '^enrolsim_tls_handshakes_total{outcome="resumed"} [1-9]' "$tmp/metrics.txt" || fail "metrics, resumed: $(grep tls "$tmp/metrics.txt")"
stop_serve
[ "$(summary_field "$tmp/served/serve_summary.json" mode)" = server ] || fail "tls.mode"
failed=$(summary_field "$tmp/served/serve_summary.json" failed)
[ "$failed" -ge 41 ] || fail "tls.failed $failed: the garbage and 40 stalled handshakes are 41"
done_hs=$(summary_field "$tmp/served/serve_summary.json" handshakes)
[ "$done_hs" -ge 10 ] || fail "tls.handshakes $done_hs"
[ "$(summary_field "$tmp/served/serve_summary.json" resumed)" -ge 1 ] || fail "tls.resumed"

# Over TLS a certConf takes the serve's injected time, not a 40 ms stall: each TLS record is
# a write, and Nagle's algorithm held an HTTP body's record until the head's was acknowledged
# (48 ms measured for 5 ms injected, before both ends set TCP_NODELAY).
start_serve "$tmp/timed" --tls-cert "$lab/server.pem" --tls-key "$lab/server.key" \
  --set raca.ir_service=10ms --set raca.certconf_service=10ms
timeout 120 "$es" calibrate "$pki" "$tmp/cal-timed" --server "127.0.0.1:$port" \
  --tls-trusted "$lab/ca.pem" --samples 10 --max-concurrency 1 >"$tmp/cal-timed.log" 2>&1 \
  || fail "calibrate over TLS: $(cat "$tmp/cal-timed.log")"
cc=$(sed -n 's/^certconf_service = \(.*\)ms$/\1/p' "$tmp/cal-timed/calibration.ini")
awk -v c="$cc" 'BEGIN { exit !(c >= 9 && c <= 11) }' ||
  fail "certConf over TLS took $cc ms for 10 ms injected: $(cat "$tmp/cal-timed.log")"
stop_serve

# ---- client certificates required: the eNB's vendor certificate authenticates it ----
start_serve "$tmp/mutual" --tls-cert "$lab/server.pem" --tls-key "$lab/server.key" \
  --tls-client-ca "$pki/vendor-root.pem"
grep -q "(HTTPS, client certificates required)" "$tmp/mutual.log" || fail "listening line (mutual)"
new_key "$tmp/k5"
if cmp_tls 1 "$tmp/k5" "$tmp/c5.pem"; then fail "enrolled over TLS without a client certificate"; fi
cmp_tls 1 "$tmp/k5" "$tmp/c5.pem" -tls_cert "$dev/enb-1.pem" -tls_key "$dev/enb-1.key" \
  || fail "openssl cmp with a vendor TLS certificate: $(tail -5 "$tmp/cli.log")"
timeout 60 "$es" enrol "$pki" "$tmp/mutual-run" --server "127.0.0.1:$port" --tls-trusted "$lab/ca.pem" \
  --tls-cert "$dev/enb-2.pem" --tls-key "$dev/enb-2.key" --enbs 3 -q || fail "enrol with a client certificate"
stop_serve
[ "$(summary_field "$tmp/mutual/serve_summary.json" mode)" = mutual ] || fail "tls.mode mutual"

# ---- enrol over TLS against an endpoint of others: OpenSSL's mock server behind socat ----
new_key "$tmp/fixed.key"
openssl req -new -key "$tmp/fixed.key" -subj "/O=Operator/CN=fixed" -out "$tmp/fixed.csr" 2>/dev/null
openssl x509 -req -in "$tmp/fixed.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -out "$tmp/fixed.pem" -days 30 2>/dev/null || fail "fixed certificate"
start_mock -max_msgs 10 -srv_cert "$pki/raca.pem" -srv_key "$pki/raca.key" \
  -srv_trusted "$pki/vendor-root.pem" -rsp_cert "$tmp/fixed.pem" \
  -rsp_extracerts "$pki/raca-cross.pem" -rsp_capubs "$pki/operator-root.pem"
mock_port=$port
socat "OPENSSL-LISTEN:0,bind=127.0.0.1,fork,cert=$lab/server.pem,key=$lab/server.key,verify=0" \
  "TCP:127.0.0.1:$mock_port" >"$tmp/socat.log" 2>&1 &
socat_pid=$!
pids+=("$socat_pid")
port=
for _ in $(seq 100); do
  port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$socat_pid," 'index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "socat did not listen: $(cat "$tmp/socat.log")"
timeout 60 "$es" enrol "$pki" "$tmp/mock-run" --server "127.0.0.1:$port" --tls-trusted "$lab/ca.pem" \
  --new-key "$tmp/fixed.key" --keep-certs >"$tmp/mock-run.log" 2>&1 \
  || fail "enrol through socat's TLS: $(cat "$tmp/mock-run.log") $(tail -5 "$tmp/mock.log")"
cmp -s "$tmp/mock-run/certs/enb-1.pem" "$tmp/fixed.pem" || openssl x509 -in "$tmp/mock-run/certs/enb-1.pem" -noout -subject | grep -q "CN *= *fixed" || fail "not the mock's certificate"
# TLS against a plain-HTTP server: said so.
port=$mock_port
try_enrol to-plain --tls-trusted "$lab/ca.pem" --new-key "$tmp/fixed.key"
grep -q "the server does not speak TLS" "$tmp/to-plain.log" || fail "TLS to plain: $(cat "$tmp/to-plain.log")"

echo "interop_tls: openssl cmp -tls_used and enrol --tls-trusted enrol over HTTPS (client certificates too), through socat's TLS to the mock; misconfigurations named; garbage, stalled handshakes and renegotiation survived"
