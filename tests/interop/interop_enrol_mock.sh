#!/usr/bin/env bash
# `enrolsim enrol` against OpenSSL's mock CMP server (`openssl cmp -port`): the mock hands out
# one fixed certificate, so the eNB must ask for exactly that key (--new-key); it trusts the
# mock's responses only through the cross certificate, as with the real RA/CA. One client
# certificate per mock instance (OpenSSL 3.0's mock crashes when two alternate).
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki

# The fixed certificate: a key of our own, certified by the operator root.
new_key "$tmp/fixed.key"
openssl req -new -key "$tmp/fixed.key" -subj "/O=Operator/CN=enb-1" -out "$tmp/fixed.csr" 2>/dev/null
openssl x509 -req -in "$tmp/fixed.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -days 30 -set_serial 0x4242 -out "$tmp/fixed.pem" 2>/dev/null || fail "fixed certificate"

# The mock with the RA/CA's credential, handing out one fixed certificate.
start_mock -max_msgs 10 -srv_cert "$pki/raca.pem" -srv_key "$pki/raca.key" \
  -srv_trusted "$pki/vendor-root.pem" -rsp_cert "$tmp/fixed.pem" \
  -rsp_extracerts "$pki/raca-cross.pem" -rsp_capubs "$pki/operator-root.pem"
timeout 30 "$es" enrol "$pki" "$tmp/ok" --server "127.0.0.1:$port" --new-key "$tmp/fixed.key" \
  --keep-certs >"$tmp/ok.log" 2>&1 || fail "enrol with --new-key: $(cat "$tmp/ok.log") $(tail -5 "$tmp/mock.log")"
cmp -s <(openssl x509 -in "$tmp/ok/certs/enb-1.pem" -outform DER) <(openssl x509 -in "$tmp/fixed.pem" -outform DER) \
  || fail "the certificate enrolled is not the mock's"
grep -q '^1,.*,enrolled,1,4242,0,' "$tmp/ok/enrolments.csv" || fail "CSV: $(cat "$tmp/ok/enrolments.csv")"
# ir and certConf went through: two POSTs reached the mock.
[ "$(grep -c 'Received request, 1st line: POST / HTTP/1.1' "$tmp/mock.log")" -eq 2 ] || fail "mock log: $(cat "$tmp/mock.log")"

# With a fresh key the fixed certificate is not ours: the eNB refuses it, exit status 1.
timeout 30 "$es" enrol "$pki" "$tmp/refused" --server "127.0.0.1:$port" >/dev/null 2>&1
[ $? -eq 1 ] || fail "enrol accepted a certificate for another key"
grep -q '^1,.*,cert_rejected,' "$tmp/refused/enrolments.csv" || fail "outcome: $(cat "$tmp/refused/enrolments.csv")"
echo "interop_enrol_mock: enrolsim enrol enrolled from openssl cmp -port and refused a foreign key"
