#!/usr/bin/env bash
# The documented command forms end to end: `serve --pki --listen --out` granting
# implicitConfirm to `openssl cmp -implicit_confirm` and refusing a device of an unknown vendor,
# and `enrol --pki --server --out` refusing a mock RA/CA that is not cross-certified.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki

# implicitConfirm asked by the CLI and granted: one exchange, no revocation after confirm-wait.
rm -f "$tmp/port"
"$es" serve --pki "$pki" --listen 127.0.0.1:0 --out "$tmp/served" --port-file "$tmp/port" \
  --confirm implicit --confirm-wait 1s -q >"$tmp/serve.log" 2>&1 &
serve_pid=$!; pids+=("$serve_pid")
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve did not start: $(cat "$tmp/serve.log")"
port=$(cat "$tmp/port")
new_key "$tmp/k1"
timeout 20 openssl cmp -server "127.0.0.1:$port" -path pkix/ -cmd ir -implicit_confirm \
  -cert "$pki/devices/enb-1.pem" -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" \
  -newkey "$tmp/k1" -subject "/O=Operator/CN=enb-1" -certout "$tmp/c1.pem" >"$tmp/cli.log" 2>&1 \
  || fail "ir -implicit_confirm: $(tail -5 "$tmp/cli.log")"
grep -qi "sending certconf" "$tmp/cli.log" && fail "the CLI sent certConf although implicitConfirm was granted"
sleep 1.5 # past confirm-wait: an ungranted implicit confirmation would now be revoked
openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$tmp/served/crl.pem" "$tmp/c1.pem" \
  2>/dev/null | grep -q ': OK' || [ ! -e "$tmp/served/crl.pem" ] || fail "implicitly confirmed certificate revoked"
# A device certificate from a vendor the RA/CA does not know: refused, nothing issued.
new_key "$tmp/ov.key"; new_key "$tmp/od.key"; new_key "$tmp/k9"
openssl req -new -x509 -key "$tmp/ov.key" -subj "/O=Other Vendor/CN=Other Vendor Root" -days 30 \
  -out "$tmp/ov.pem" 2>/dev/null
openssl req -new -key "$tmp/od.key" -subj "/O=Other Vendor/CN=enb-9" -out "$tmp/od.csr" 2>/dev/null
openssl x509 -req -in "$tmp/od.csr" -CA "$tmp/ov.pem" -CAkey "$tmp/ov.key" -days 30 -set_serial 3 \
  -out "$tmp/od.pem" 2>/dev/null || fail "foreign device certificate"
issued_before=$(tail -n +2 "$tmp/served/issued.csv" | wc -l)
if timeout 20 openssl cmp -server "127.0.0.1:$port" -cmd ir -cert "$tmp/od.pem" -key "$tmp/od.key" \
  -trusted "$pki/vendor-root.pem" -newkey "$tmp/k9" -subject "/O=Operator/CN=enb-9" \
  -certout "$tmp/c9.pem" >"$tmp/cli9.log" 2>&1; then
  fail "a device of an unknown vendor enrolled"
fi
[ "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" -eq "$issued_before" ] || fail "issued for an unknown vendor"
stop_serve() { kill -TERM "$serve_pid"; wait "$serve_pid" || fail "serve exit status"; }
stop_serve
openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$tmp/served/crl.pem" "$tmp/c1.pem" \
  | grep -q ': OK' || fail "implicitly confirmed certificate not valid against the final CRL"

# A mock RA/CA signing with a key the vendor root never cross-certified: its "cross
# certificate" comes from a look-alike vendor root. The eNB must refuse its ip.
new_key "$tmp/rogue.key"; new_key "$tmp/fakeroot.key"; new_key "$tmp/fixed.key"
openssl req -new -x509 -key "$tmp/fakeroot.key" -subj "/O=Vendor/CN=Vendor Root CA" -days 30 \
  -out "$tmp/fakeroot.pem" 2>/dev/null
openssl req -new -key "$tmp/rogue.key" -subj "/O=Operator/CN=Operator RA\/CA" -out "$tmp/rogue.csr" 2>/dev/null
openssl x509 -req -in "$tmp/rogue.csr" -CA "$tmp/fakeroot.pem" -CAkey "$tmp/fakeroot.key" -days 30 \
  -set_serial 7 -out "$tmp/rogue-cross.pem" 2>/dev/null
openssl x509 -req -in "$tmp/rogue.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -days 30 -set_serial 8 -out "$tmp/rogue.pem" 2>/dev/null
openssl req -new -key "$tmp/fixed.key" -subj "/O=Operator/CN=enb-2" -out "$tmp/fixed.csr" 2>/dev/null
openssl x509 -req -in "$tmp/fixed.csr" -CA "$pki/operator-root.pem" -CAkey "$pki/operator-root.key" \
  -days 30 -set_serial 9 -out "$tmp/fixed.pem" 2>/dev/null || fail "test certificates"
start_mock -max_msgs 4 -srv_cert "$tmp/rogue.pem" -srv_key "$tmp/rogue.key" \
  -srv_trusted "$pki/vendor-root.pem" -rsp_cert "$tmp/fixed.pem" -rsp_extracerts "$tmp/rogue-cross.pem" \
  -rsp_capubs "$pki/operator-root.pem"
timeout 30 "$es" enrol --pki "$pki" --server "127.0.0.1:$port" --enbs 1 --concurrency 1 \
  --out "$tmp/rogue-run" --new-key "$tmp/fixed.key" -q >/dev/null 2>&1
[ $? -eq 1 ] || fail "enrol accepted a response from a mock that is not cross-certified"
grep -q '^1,.*,response_unverified,' "$tmp/rogue-run/enrolments.csv" \
  || fail "outcome: $(cat "$tmp/rogue-run/enrolments.csv")"
echo "interop_issue_forms: implicitConfirm granted to openssl cmp; a mock without cross certificate refused"
