#!/usr/bin/env bash
# `enrolsim serve` and `enrolsim enrol` under valgrind memcheck: enrolment, renewal and
# revocation over loopback, a client that leaves mid-request, GET /metrics, a confirm-wait revocation at
# shutdown, SIGTERM, then HTTPS with client certificates: no invalid access, no definite leak,
# exit status 0.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
# enrolsim allocates with jemalloc: valgrind must replace its malloc, not only libc's.
vg=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9
    --soname-synonyms=somalloc=*jemalloc*)
rm -f "$tmp/port"
"${vg[@]}" "$es" serve "$pki" "$tmp/served" --listen 127.0.0.1:0 --port-file "$tmp/port" -q \
  --idle-timeout 2s >"$tmp/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 400); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve did not start under valgrind: $(cat "$tmp/serve.log")"
port=$(cat "$tmp/port")

timeout 300 "${vg[@]}" "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --enbs 3 \
  --concurrency 2 --renew --revoke --keep-certs -q --timeout 60s >"$tmp/enrol.log" 2>&1 \
  || fail "enrol under valgrind exited $?: $(cat "$tmp/enrol.log")"
# A request whose client is gone when the reply is written, then one left open at shutdown.
printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 4\r\n\r\nabcd' \
  | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" || true
new_key "$tmp/k"
timeout 120 openssl cmp -cmd ir -server "127.0.0.1:$port" -path / -cert "$pki/devices/enb-1.pem" \
  -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/k" \
  -subject "/O=Operator/CN=enb-1" -certout "$tmp/c.pem" -disable_confirm >"$tmp/cli.log" 2>&1 \
  || fail "ir: $(tail -3 "$tmp/cli.log")"
# GET /metrics, and a GET whose target is too long to be the page (405).
curl -s --max-time 60 "http://127.0.0.1:$port/metrics" >"$tmp/metrics" || fail "GET /metrics under valgrind"
grep -q '^enrolsim_certificates_issued_total{request="ir"} 4$' "$tmp/metrics" || fail "metrics: $(grep issued "$tmp/metrics")"
long=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "http://127.0.0.1:$port/metrics?$(printf '%0200d' 0)")
[ "$long" = 405 ] || fail "a long GET target got $long"
exec 3<>"/dev/tcp/127.0.0.1/$port"
kill -TERM "$serve_pid"
wait "$serve_pid"; rc=$?
exec 3<&- 3>&-
[ "$rc" -eq 0 ] || fail "serve under valgrind exited $rc: $(cat "$tmp/serve.log")"
s=$(serial_of "$tmp/c.pem")
grep -q ",$s,.*,confirm_timeout," "$tmp/served/revocations.csv" || fail "unconfirmed certificate not revoked at shutdown"

# HTTPS with client certificates: handshakes, a garbage ClientHello, a handshake left
# unfinished at shutdown, enrol with a client certificate, both under valgrind.
lab=$tmp/lab
lab_tls "$lab"
rm -f "$tmp/port"
"${vg[@]}" "$es" serve "$pki" "$tmp/served-tls" --listen 127.0.0.1:0 --port-file "$tmp/port" -q \
  --tls-cert "$lab/server.pem" --tls-key "$lab/server.key" --tls-client-ca "$pki/vendor-root.pem" \
  >"$tmp/serve-tls.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 400); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve --tls-cert did not start under valgrind: $(cat "$tmp/serve-tls.log")"
port=$(cat "$tmp/port")
timeout 300 "${vg[@]}" "$es" enrol "$pki" "$tmp/run-tls" --server "127.0.0.1:$port" --enbs 2 \
  --tls-trusted "$lab/ca.pem" --tls-cert "$pki/devices/enb-1.pem" --tls-key "$pki/devices/enb-1.key" \
  -q --timeout 60s >"$tmp/enrol-tls.log" 2>&1 || fail "enrol over TLS under valgrind: $(cat "$tmp/enrol-tls.log")"
head -c 512 /dev/urandom | timeout 10 bash -c "cat > /dev/tcp/127.0.0.1/$port" || true
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf '\x16\x03\x01\x02\x00\x01' >&3
kill -TERM "$serve_pid"
wait "$serve_pid"; rc=$?
exec 3<&- 3>&-
[ "$rc" -eq 0 ] || fail "serve --tls-cert under valgrind exited $rc: $(cat "$tmp/serve-tls.log")"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tls"]; sys.exit(not (t["mode"] == "mutual" and t["handshakes"] >= 2))' \
  "$tmp/served-tls/serve_summary.json" || fail "serve_summary.json tls: $(cat "$tmp/served-tls/serve_summary.json")"
echo "interop_memcheck: serve and enrol clean under valgrind"
