#!/usr/bin/env bash
# Delayed delivery live: `enrolsim serve` with a CA approval delay answers `waiting`, and
# OpenSSL's own client (which polls by itself) and `enrolsim enrol` get their certificates by
# polling, also through a CA outage; `enrolsim enrol` polls OpenSSL's mock server (-poll_count, -check_after) and stops
# at enb.max_polls.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki

# serve: approval 2 s, checkAfter 1 s.
start_serve "$tmp/served" --set raca.approval_delay=2s --set raca.check_after=1s
new_key "$tmp/k1"
t0=$(date +%s.%N)
timeout 30 openssl cmp -server "127.0.0.1:$port" -path /cmp -cmd ir \
  -cert "$pki/devices/enb-1.pem" -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k1" -subject "/O=Operator/CN=enb-1" -certout "$tmp/c1.pem" >"$tmp/cli.log" 2>&1 \
  || fail "openssl cmp ir: $(tail -5 "$tmp/cli.log")"
t1=$(date +%s.%N)
grep -q "received POLLREP" "$tmp/cli.log" || fail "openssl cmp did not poll: $(cat "$tmp/cli.log")"
grep -q "received ip/cp/kup after polling" "$tmp/cli.log" || fail "no ip after polling"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 2) }' || fail "certificate before the approval delay"
openssl verify -CAfile "$pki/operator-root.pem" "$tmp/c1.pem" >/dev/null || fail "certificate does not chain"
# enrol against the same serve: it polls in real time and enrols.
timeout 30 "$es" enrol "$pki" "$tmp/en" --server "127.0.0.1:$port" --path /cmp --keep-certs \
  >"$tmp/en.log" 2>&1 || fail "enrol against serve: $(cat "$tmp/en.log")"
polls=$(tail -1 "$tmp/en/enrolments.csv" | awk -F, '{ print $NF }')
grep -q ',enrolled,' "$tmp/en/enrolments.csv" && [ "$polls" -ge 2 ] \
  || fail "enrol: $(cat "$tmp/en/enrolments.csv")"
stop_serve
[ "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" -eq 2 ] || fail "issued: $(cat "$tmp/served/issued.csv")"

# serve with its CA away for the first 3 s of the session (raca.ca_outages counts from the
# start): openssl cmp is answered waiting, polls, and gets its certificate once the CA is back;
# nothing is issued before.
start_serve "$tmp/outage" --set raca.ca_outages=0s+3s --set raca.check_after=1s
new_key "$tmp/k2"
timeout 30 openssl cmp -server "127.0.0.1:$port" -path / -cmd ir \
  -cert "$pki/devices/enb-2.pem" -key "$pki/devices/enb-2.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k2" -subject "/O=Operator/CN=enb-2" -certout "$tmp/c2.pem" >"$tmp/cli2.log" 2>&1 \
  || fail "openssl cmp ir during a CA outage: $(tail -5 "$tmp/cli2.log")"
grep -q "received ip/cp/kup after polling" "$tmp/cli2.log" || fail "no polling through the outage"
stop_serve
issued_s=$(tail -1 "$tmp/outage/issued.csv" | cut -d, -f1)
awk -v t="$issued_s" 'BEGIN { exit !(t >= 3) }' || fail "issued at $issued_s s, inside the CA outage"

# OpenSSL's mock: it signs with the cross certificate (which its extraCerts then carry, as the
# eNB needs to authenticate a `waiting` ip too), hands out one fixed certificate after 2 polls.
new_key "$tmp/fixed.key"
openssl req -new -key "$tmp/fixed.key" -subj "/O=Operator/CN=enb-1" -out "$tmp/fixed.csr" 2>/dev/null
openssl x509 -req -in "$tmp/fixed.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -days 30 -set_serial 0x4242 -out "$tmp/fixed.pem" 2>/dev/null || fail "fixed certificate"
mock() {
  start_mock -max_msgs 10 -srv_cert "$pki/raca-cross.pem" -srv_key "$pki/raca.key" \
    -srv_trusted "$pki/vendor-root.pem" -rsp_cert "$tmp/fixed.pem" \
    -rsp_capubs "$pki/operator-root.pem" -check_after 1 "$@"
}
mock -poll_count 2
timeout 30 "$es" enrol "$pki" "$tmp/mock-ok" --server "127.0.0.1:$port" --new-key "$tmp/fixed.key" \
  >"$tmp/ok.log" 2>&1 || fail "enrol against the mock: $(cat "$tmp/ok.log") $(tail -5 "$tmp/mock.log")"
grep -q '^1,.*,enrolled,1,4242,0,.*,2$' "$tmp/mock-ok/enrolments.csv" \
  || fail "CSV: $(cat "$tmp/mock-ok/enrolments.csv")"
# ir, two pollReqs, certConf.
[ "$(grep -c 'Received request, 1st line: POST' "$tmp/mock.log")" -eq 4 ] || fail "mock log: $(cat "$tmp/mock.log")"
kill "$mock_pid"

mock -poll_count 5
timeout 30 "$es" enrol "$pki" "$tmp/mock-limit" --server "127.0.0.1:$port" --new-key "$tmp/fixed.key" \
  --set enb.max_polls=2 --enbs 1 >/dev/null 2>&1
[ $? -eq 1 ] || fail "enrol past enb.max_polls succeeded"
grep -q '^1,.*,poll_limit,.*,2$' "$tmp/mock-limit/enrolments.csv" \
  || fail "CSV: $(cat "$tmp/mock-limit/enrolments.csv")"
# ir, two pollReqs, then the error message that tells the server polling stopped.
[ "$(grep -c 'Received request, 1st line: POST' "$tmp/mock.log")" -eq 4 ] || fail "mock log: $(cat "$tmp/mock.log")"
grep -q 'polling aborted' "$tmp/mock.log" || fail "no error message to the mock: $(cat "$tmp/mock.log")"
echo "interop_poll: openssl cmp and enrol polled serve; enrol polled the mock and stopped at enb.max_polls"
