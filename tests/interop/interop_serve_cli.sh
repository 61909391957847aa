#!/usr/bin/env bash
# `openssl cmp` (OpenSSL's own client) against `enrolsim serve`: ir with the vendor
# credential, kur, rr and a root-update genm with the operator one, the refusals that keep each credential to its
# own use, confirm-wait revocation, re-enrolment, and the logs and CRL the server keeps.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
out=$tmp/served
start_serve "$out" --confirm-wait 1s

cmp_client() { timeout 20 openssl cmp -server "127.0.0.1:$port" -path /cmp "$@" >>"$tmp/cli.log" 2>&1; }
ir() { # ir DEVICE NEWKEY CERTOUT [extra...]
  local d=$1 k=$2 o=$3; shift 3
  cmp_client -cmd ir -cert "$pki/devices/enb-$d.pem" -key "$pki/devices/enb-$d.key" \
    -trusted "$pki/vendor-root.pem" -newkey "$k" -subject "/O=Operator/CN=enb-$d" -certout "$o" \
    -cacertsout "$tmp/capubs.pem" "$@"
}

# ir: the response verifies against the vendor root only (cross certificate), caPubs brings
# the operator root, the certificate chains to it and not to the vendor root.
new_key "$tmp/k1"; new_key "$tmp/k2"; new_key "$tmp/k3"; new_key "$tmp/k4"
ir 1 "$tmp/k1" "$tmp/c1.pem" || fail "ir: $(tail -5 "$tmp/cli.log")"
openssl verify -CAfile "$pki/operator-root.pem" "$tmp/c1.pem" >/dev/null || fail "ir certificate does not chain to the operator root"
cmp -s "$tmp/capubs.pem" "$pki/operator-root.pem" || openssl x509 -in "$tmp/capubs.pem" -noout -subject | grep -q "Operator Root" || fail "caPubs"
if openssl verify -CAfile "$pki/vendor-root.pem" "$tmp/c1.pem" >/dev/null 2>&1; then fail "operator certificate chains to the vendor root"; fi
s1=$(serial_of "$tmp/c1.pem")

# kur with the operator credential: new key, same subject, the old certificate superseded.
cmp_client -cmd kur -cert "$tmp/c1.pem" -key "$tmp/k1" -trusted "$pki/operator-root.pem" \
  -newkey "$tmp/k2" -certout "$tmp/c2.pem" || fail "kur: $(tail -5 "$tmp/cli.log")"
s2=$(serial_of "$tmp/c2.pem")
[ "$s1" != "$s2" ] || fail "kur gave the same serial"
[ "$(openssl x509 -in "$tmp/c2.pem" -noout -subject)" = "$(openssl x509 -in "$tmp/c1.pem" -noout -subject)" ] || fail "kur changed the subject"
[ "$(openssl x509 -in "$tmp/c2.pem" -noout -pubkey)" = "$(openssl pkey -in "$tmp/k2" -pubout)" ] || fail "kur certificate is not for the new key"
crl_lists "$out/crl.pem" "$s1" Superseded || fail "old certificate not superseded in crl.pem"
[ -z "$(crl_reason "$out/crl.pem" "$s2")" ] || fail "new certificate revoked"

# genm for the root CA key update (RFC 9480 4.3.2) with the operator credential: serve keeps one
# root, so the genp, which the CLI authenticates, carries the type alone (no update).
cmp_client -cmd genm -infotype rootCaKeyUpdate -cert "$tmp/c2.pem" -key "$tmp/k2" \
  -trusted "$pki/operator-root.pem" -verbosity 7 || fail "genm: $(tail -5 "$tmp/cli.log")"
grep -q 'GENP' "$tmp/cli.log" || fail "genm: no genp: $(tail -5 "$tmp/cli.log")"
grep -q 'genp contains ITAV of type: id-it-rootCaKeyUpdate' "$tmp/cli.log" || fail "genm: the genp does not answer rootCaKeyUpdate: $(tail -5 "$tmp/cli.log")"
# ... but not with a vendor credential: a root update is for an operator certificate.
if cmp_client -cmd genm -infotype rootCaKeyUpdate -cert "$pki/devices/enb-2.pem" \
     -key "$pki/devices/enb-2.key" -trusted "$pki/vendor-root.pem"; then
  fail "genm protected by a vendor certificate answered"
fi

# Each credential only for its own use.
n_issued() { tail -n +2 "$out/issued.csv" | wc -l; }
before=$(n_issued)
if cmp_client -cmd kur -cert "$tmp/c1.pem" -key "$tmp/k1" -trusted "$pki/operator-root.pem" -newkey "$tmp/k3" -certout "$tmp/x.pem"; then
  fail "kur with a superseded certificate accepted"
fi
if cmp_client -cmd kur -cert "$pki/devices/enb-2.pem" -key "$pki/devices/enb-2.key" -oldcert "$tmp/c2.pem" \
     -trusted "$pki/operator-root.pem" -newkey "$tmp/k3" -certout "$tmp/x.pem"; then
  fail "kur protected by a vendor certificate accepted"
fi
if cmp_client -cmd ir -cert "$tmp/c2.pem" -key "$tmp/k2" -trusted "$pki/vendor-root.pem" \
     -newkey "$tmp/k3" -subject "/O=Operator/CN=enb-9" -certout "$tmp/x.pem"; then
  fail "ir protected by an operator certificate accepted"
fi
ir 2 "$tmp/k3" "$tmp/c3.pem" || fail "second ir"
s3=$(serial_of "$tmp/c3.pem")
if cmp_client -cmd rr -cert "$tmp/c3.pem" -key "$tmp/k3" -oldcert "$tmp/c2.pem" -revreason 1 -trusted "$pki/operator-root.pem"; then
  fail "eNB 2 revoked eNB 1's certificate"
fi
[ -z "$(crl_reason "$out/crl.pem" "$s2")" ] || fail "a refused rr revoked"
[ "$(n_issued)" -eq $((before + 1)) ] || fail "refused requests issued certificates"

# rr with a reason: in crl.pem (rewritten before the rp went out) with that reason.
cmp_client -cmd rr -cert "$tmp/c2.pem" -key "$tmp/k2" -oldcert "$tmp/c2.pem" -revreason 1 \
  -trusted "$pki/operator-root.pem" || fail "rr: $(tail -5 "$tmp/cli.log")"
[ "$(crl_reason "$out/crl.pem" "$s2")" = "Key Compromise" ] || fail "rr reason not on the CRL"
openssl crl -in "$out/crl.pem" -CAfile "$pki/operator-root.pem" -noout 2>&1 | grep -q "verify OK" || fail "CRL signature"
if openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$tmp/c2.pem" >/dev/null 2>&1; then
  fail "revoked certificate verifies with the CRL"
fi
openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$tmp/c3.pem" >/dev/null || fail "valid certificate rejected with the CRL"

# No certConf (the client assumes implicit confirmation the server never granted): revoked
# when confirm-wait (1 s) expires.
ir 3 "$tmp/k4" "$tmp/c4.pem" -disable_confirm || fail "ir without certConf"
s4=$(serial_of "$tmp/c4.pem")
for _ in $(seq 60); do grep -q ",$s4,.*confirm_timeout" "$out/revocations.csv" && break; sleep 0.1; done
grep -q ",$s4,.*,confirm_timeout,cessationOfOperation" "$out/revocations.csv" || fail "no confirm-wait revocation: $(cat "$out/revocations.csv")"
crl_lists "$out/crl.pem" "$s4" "Cessation Of Operation" || fail "confirm-wait revocation not in crl.pem"

# The logs, one row per event, as they happened.
grep -q "^[0-9.]*,[0-9T:.-]*Z,$s1,\"CN=enb-1,O=Operator\",ir,$" "$out/issued.csv" || fail "issued.csv ir row: $(cat "$out/issued.csv")"
grep -q ",$s2,\"CN=enb-1,O=Operator\",kur,$s1$" "$out/issued.csv" || fail "issued.csv kur row"
grep -q ",$s1,.*,superseded,superseded$" "$out/revocations.csv" || fail "revocations.csv superseded row"
grep -q ",$s2,.*,requested,keyCompromise$" "$out/revocations.csv" || fail "revocations.csv rr row"
[ "$(n_issued)" -eq 4 ] || fail "expected 4 issued rows: $(cat "$out/issued.csv")"

# Re-enrolment: a confirmed ir for eNB 2's subject supersedes the certificate it held.
new_key "$tmp/k5"
ir 2 "$tmp/k5" "$tmp/c5.pem" || fail "re-enrolment: $(tail -5 "$tmp/cli.log")"
crl_lists "$out/crl.pem" "$s3" Superseded || fail "re-enrolment did not supersede $s3"
[ -z "$(crl_reason "$out/crl.pem" "$(serial_of "$tmp/c5.pem")")" ] || fail "re-enrolled certificate revoked"
grep -q ",$s3,.*,superseded,superseded$" "$out/revocations.csv" || fail "revocations.csv re-enrolment row"

stop_serve
grep -q "^time_s,utc,serial,subject,request,replaces$" "$out/issued.csv" || fail "issued.csv header"

# A restart resumes the CA state in raca.db: serials go on, an rr names a certificate issued
# before the restart, the logs go on below their header, the CRL keeps what it listed.
s5=$(serial_of "$tmp/c5.pem")
start_serve "$out" --confirm-wait 1s
[ "$(crl_reason "$out/crl.pem" "$s2")" = "Key Compromise" ] || fail "restart lost a revocation"
new_key "$tmp/k6"
ir 3 "$tmp/k6" "$tmp/c6.pem" || fail "ir after restart: $(tail -5 "$tmp/cli.log")"
s6=$(serial_of "$tmp/c6.pem")
[ $((16#$s6)) -gt $((16#$s5)) ] || fail "serial $s6 after restart does not follow $s5"
cmp_client -cmd rr -cert "$tmp/c5.pem" -key "$tmp/k5" -oldcert "$tmp/c5.pem" -revreason 5 \
  -trusted "$pki/operator-root.pem" || fail "rr of a certificate issued before the restart: $(tail -5 "$tmp/cli.log")"
[ "$(crl_reason "$out/crl.pem" "$s5")" = "Cessation Of Operation" ] || fail "rr after restart not on the CRL"
stop_serve
[ "$(grep -c '^time_s,' "$out/issued.csv")" -eq 1 ] || fail "issued.csv header repeated"
[ "$(n_issued)" -eq 6 ] || fail "expected 6 issued rows after the restart: $(cat "$out/issued.csv")"
grep -q ",$s6,\"CN=enb-3,O=Operator\",ir,$" "$out/issued.csv" || fail "issued.csv row after restart"
# --overwrite is refused (it would have restarted the serials); --new-ca-state starts anew.
timeout 5 "$es" serve "$pki" "$out" --listen 127.0.0.1:0 --overwrite >/dev/null 2>&1
[ $? -eq 2 ] || fail "serve --overwrite not refused"
start_serve "$out" --new-ca-state
new_key "$tmp/k7"
ir 1 "$tmp/k7" "$tmp/c7.pem" || fail "ir in a new CA state"
[ "$(serial_of "$tmp/c7.pem")" = 0100 ] || fail "a new CA state does not start at serial 0100"
[ "$(n_issued)" -eq 1 ] || fail "--new-ca-state kept the old log"
# An Ed25519 key, a type no simulated run makes: serve keeps OpenSSL's providers as configured
# (the trimmed provider is for run and bench-inmem), so it reads the key and certifies it.
openssl genpkey -algorithm ED25519 -out "$tmp/ked" 2>/dev/null || fail "Ed25519 key"
ir 2 "$tmp/ked" "$tmp/ced.pem" || fail "ir for an Ed25519 key: $(tail -5 "$tmp/cli.log")"
openssl x509 -in "$tmp/ced.pem" -noout -text | grep -q 'Public Key Algorithm: ED25519' ||
  fail "the Ed25519 certificate does not carry the Ed25519 key"
stop_serve
echo "interop_serve_cli: ir, kur, rr, refusals, confirm-wait, re-enrolment and restart with openssl cmp all as expected"
