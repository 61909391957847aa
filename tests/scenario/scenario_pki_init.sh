#!/usr/bin/env bash
# `enrolsim pki init` writes the late-binding hierarchy and device credentials that the
# openssl CLI accepts.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$es" pki init "$tmp/p" --devices 3 >/dev/null
for f in vendor-root.pem vendor-root.key operator-root.pem operator-root.key raca.pem raca.key raca-cross.pem \
         devices/enb-1.pem devices/enb-1.key devices/enb-3.pem devices/enb-3.key; do
  [ -s "$tmp/p/$f" ] || fail "missing $f"
done
openssl verify -CAfile "$tmp/p/vendor-root.pem" "$tmp/p/raca-cross.pem" "$tmp/p"/devices/*.pem | grep -c ': OK$' | grep -qx 4 || fail "vendor chain"
openssl verify -CAfile "$tmp/p/operator-root.pem" "$tmp/p/raca.pem" | grep -q ': OK' || fail "operator chain"
[ "$(openssl x509 -in "$tmp/p/raca.pem" -noout -pubkey)" = "$(openssl x509 -in "$tmp/p/raca-cross.pem" -noout -pubkey)" ] || fail "cross certificate key differs"
openssl pkey -in "$tmp/p/devices/enb-2.key" -noout || fail "device key"
"$es" pki init "$tmp/q" --key p384 >/dev/null
openssl x509 -in "$tmp/q/raca.pem" -noout -text | grep -q "P-384" || fail "p384"
echo "scenario_pki_init: hierarchy verified"
