#!/usr/bin/env bash
# serve --upstream end to end: one serve as the CA, another as an RA in front of it (same PKI
# folder, OUT_DIRs apart). OpenSSL's client and `enrolsim enrol` enrol through the RA; the CA
# issues every certificate, the RA none; with the CA stopped the RA answers waiting or an
# error and keeps serving, and once the CA is back (same port) enrolments go through again;
# a slow CA makes both hops poll; the RA speaks HTTPS to a CA that serves it.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
json() { awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1/serve_summary.json"; }
n_issued() { tail -n +2 "$1/issued.csv" | wc -l; }
# stop PID: SIGTERM, exit status 0 within 10 s.
stop() {
  kill -TERM "$1" || fail "server $1 is gone (crashed?)"
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  wait "$1"; local rc=$?
  [ "$rc" -eq 0 ] || fail "server $1 exited $rc after SIGTERM"
}
alive() { kill -0 "$1" 2>/dev/null || fail "$2 died: $(tail -5 "$3")"; }

start_serve "$tmp/ca"
ca_pid=$serve_pid ca_port=$port
start_serve "$tmp/ra" --upstream "127.0.0.1:$ca_port" --upstream-timeout 5s
ra_pid=$serve_pid ra_port=$port
[ "$ca_port" != "$ra_port" ] || fail "one port for both"

# (a) openssl cmp with the vendor credential, against the RA: a certificate that chains to the
# operator root.
new_key "$tmp/k1"
timeout 30 openssl cmp -server "127.0.0.1:$ra_port" -path /cmp -cmd ir \
  -cert "$pki/devices/enb-1.pem" -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k1" -subject "/O=Operator/CN=enb-1" -certout "$tmp/c1.pem" >"$tmp/cli.log" 2>&1 \
  || fail "openssl cmp ir through the RA: $(tail -5 "$tmp/cli.log") / RA: $(tail -5 "$tmp/ra.log") / CA: $(tail -5 "$tmp/ca.log")"
openssl verify -CAfile "$pki/operator-root.pem" "$tmp/c1.pem" >/dev/null \
  || fail "the certificate through the RA does not chain to the operator root"
s1=$(serial_of "$tmp/c1.pem")
grep -q ",$s1,\"CN=enb-1,O=Operator\",ir," "$tmp/ca/issued.csv" || fail "the CA did not log $s1: $(cat "$tmp/ca/issued.csv")"

# (b) enrol N eNBs through the RA.
n=5
timeout 60 "$es" enrol "$pki" "$tmp/en" --server "127.0.0.1:$ra_port" --enbs $n --concurrency 5 \
  >"$tmp/enrol.log" 2>&1 || fail "enrol through the RA exited $?: $(cat "$tmp/enrol.log")"
[ "$(grep -c ',enrolled,' "$tmp/en/enrolments.csv")" -eq $n ] || fail "enrolments: $(cat "$tmp/en/enrolments.csv")"

# (d) the CA stops: the RA answers waiting (openssl cmp polls until its total timeout) or an
# error, and stays up.
stop "$ca_pid"
new_key "$tmp/k2"
timeout 30 openssl cmp -server "127.0.0.1:$ra_port" -path /cmp -cmd ir \
  -cert "$pki/devices/enb-2.pem" -key "$pki/devices/enb-2.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k2" -subject "/O=Operator/CN=enb-2" -certout "$tmp/c2.pem" -total_timeout 10 \
  >"$tmp/cli2.log" 2>&1 && fail "a certificate with the CA stopped: $(cat "$tmp/cli2.log")"
grep -Eqi "waiting|rejection|error|failure" "$tmp/cli2.log" || fail "openssl cmp with the CA stopped: $(cat "$tmp/cli2.log")"
alive "$ra_pid" "the RA (CA stopped, openssl cmp)" "$tmp/ra.log"
timeout 60 "$es" enrol "$pki" "$tmp/en-down" --server "127.0.0.1:$ra_port" --enbs 2 --timeout 10s -q \
  >"$tmp/enrol-down.log" 2>&1
[ $? -eq 1 ] || fail "enrol with the CA stopped did not exit 1: $(cat "$tmp/enrol-down.log")"
alive "$ra_pid" "the RA (CA stopped, enrol)" "$tmp/ra.log"

# (c) the CA's first session issued every certificate (1 + N); the RA none of its own.
[ "$(json "$tmp/ca" raca.issued)" -eq $((n + 1)) ] || fail "CA raca.issued: $(cat "$tmp/ca/serve_summary.json")"
[ "$(json "$tmp/ca" upstream)" = null ] || fail "CA upstream: $(cat "$tmp/ca/serve_summary.json")"
[ "$(n_issued "$tmp/ca")" -eq $((n + 1)) ] || fail "CA issued.csv: $(cat "$tmp/ca/issued.csv")"

# The CA back on its port: the RA reconnects and an enrolment goes through.
start_serve "$tmp/ca" --listen "127.0.0.1:$ca_port"
ca_pid=$serve_pid
[ "$port" = "$ca_port" ] || fail "the CA came back on $port, not $ca_port"
timeout 60 "$es" enrol "$pki" "$tmp/en-back" --server "127.0.0.1:$ra_port" --enbs 1 \
  >"$tmp/enrol-back.log" 2>&1 || fail "enrol once the CA is back exited $?: $(cat "$tmp/enrol-back.log")"
stop "$ra_pid"
stop "$ca_pid"
[ "$(n_issued "$tmp/ca")" -eq $((n + 2)) ] || fail "CA issued.csv: $(cat "$tmp/ca/issued.csv")"
[ "$(json "$tmp/ra" raca.issued)" -eq 0 ] || fail "RA raca.issued: $(cat "$tmp/ra/serve_summary.json")"
[ "$(json "$tmp/ra" upstream)" = "127.0.0.1:$ca_port" ] || fail "RA upstream: $(cat "$tmp/ra/serve_summary.json")"
[ "$(n_issued "$tmp/ra")" -eq 0 ] || fail "the RA logged issuances: $(cat "$tmp/ra/issued.csv")"

# A CA that approves in 3 s behind an RA that holds an answer 1 s: the RA answers openssl cmp
# `waiting` and polls the CA meanwhile; openssl cmp polls the RA until the certificate is there.
start_serve "$tmp/ca-slow" --set raca.approval_delay=3s --set raca.check_after=1s
ca_pid=$serve_pid ca_port=$port
start_serve "$tmp/ra-slow" --upstream "127.0.0.1:$ca_port" --set raca.poll_threshold=1s \
  --set raca.check_after=1s
ra_pid=$serve_pid ra_port=$port
new_key "$tmp/k4"
t0=$(date +%s.%N)
timeout 30 openssl cmp -server "127.0.0.1:$ra_port" -path /cmp -cmd ir \
  -cert "$pki/devices/enb-4.pem" -key "$pki/devices/enb-4.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k4" -subject "/O=Operator/CN=enb-4" -certout "$tmp/c4.pem" >"$tmp/cli4.log" 2>&1 \
  || fail "openssl cmp ir through the RA, slow CA: $(tail -5 "$tmp/cli4.log") / RA: $(tail -5 "$tmp/ra-slow.log")"
t1=$(date +%s.%N)
grep -q "received POLLREP" "$tmp/cli4.log" || fail "openssl cmp did not poll the RA: $(cat "$tmp/cli4.log")"
grep -q "received ip/cp/kup after polling" "$tmp/cli4.log" || fail "no ip after polling the RA"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 3) }' || fail "a certificate before the CA's approval delay"
stop "$ra_pid"
stop "$ca_pid"
[ "$(n_issued "$tmp/ca-slow")" -eq 1 ] || fail "slow CA issued.csv: $(cat "$tmp/ca-slow/issued.csv")"
[ "$(json "$tmp/ca-slow" raca.confirmed)" -eq 1 ] || fail "slow CA: the RA's certConf did not confirm: $(cat "$tmp/ca-slow/serve_summary.json")"
# The CA answered the RA `waiting` and the RA polled it: requests beyond ir and certConf.
[ "$(json "$tmp/ca-slow" raca.requests)" -ge 3 ] || fail "slow CA: the RA did not poll it: $(cat "$tmp/ca-slow/serve_summary.json")"

# HTTPS between them: the CA serves --tls-cert, the RA verifies it with --upstream-tls-trusted.
lab=$tmp/lab
lab_tls "$lab"
start_serve "$tmp/ca-tls" --tls-cert "$lab/server.pem" --tls-key "$lab/server.key"
ca_pid=$serve_pid ca_port=$port
start_serve "$tmp/ra-tls" --upstream "https://127.0.0.1:$ca_port" --upstream-tls-trusted "$lab/ca.pem"
ra_pid=$serve_pid ra_port=$port
new_key "$tmp/k3"
timeout 30 openssl cmp -server "127.0.0.1:$ra_port" -path /cmp -cmd ir \
  -cert "$pki/devices/enb-3.pem" -key "$pki/devices/enb-3.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k3" -subject "/O=Operator/CN=enb-3" -certout "$tmp/c3.pem" >"$tmp/cli3.log" 2>&1 \
  || fail "openssl cmp ir through the RA, HTTPS to the CA: $(tail -5 "$tmp/cli3.log") / RA: $(tail -5 "$tmp/ra-tls.log")"
stop "$ra_pid"
stop "$ca_pid"
[ "$(n_issued "$tmp/ca-tls")" -eq 1 ] || fail "CA (HTTPS) issued.csv: $(cat "$tmp/ca-tls/issued.csv")"
[ "$(json "$tmp/ca-tls" tls.handshakes)" -ge 1 ] || fail "no TLS handshake at the CA: $(cat "$tmp/ca-tls/serve_summary.json")"
[ "$(n_issued "$tmp/ra-tls")" -eq 0 ] || fail "the RA (HTTPS) logged issuances"
echo "interop_upstream: openssl cmp and enrol ($n eNBs) through an RA in front of serve as CA; the CA issued them all; the RA rode out the CA's absence"
