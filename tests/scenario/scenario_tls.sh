#!/usr/bin/env bash
# transport.tls: real TLS records over the simulated TCP. Byte-identical replays (threaded and
# --one-thread, under loss, with a rogue RA/CA); TLS 1.3 adds one round trip and TLS 1.2 two on
# a satellite link, as the README's table says; the wire carries TLS, not HTTP (tshark); an
# RA/CA the eNBs cannot verify fails every handshake, and the run says why.
set -euo pipefail
es=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/../support/same_results.sh"
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$@"; }

# Replays: loss (TLS records resent by TCP, CMP resent over new connections: sessions resumed),
# a rogue RA/CA whose certificate the eNBs refuse.
args=(run --quiet --set transport.tls=true --set scenario.enbs=40 --set backhaul.loss=0.03
  --set enb.msg_timeout=1s --set enb.retry=restart --set hostile.rogue_raca=0.1 --seed 5)
"$es" "${args[@]}" --out "$tmp/a"
"$es" "${args[@]}" --out "$tmp/b" --one-thread
same_results "$tmp/a" "$tmp/b" "TLS, threaded against --one-thread"
"$es" "${args[@]}" --out "$tmp/c"
same_results "$tmp/a" "$tmp/c" "TLS, two runs"
[ "$(json "$tmp/a/summary.json" network.tls.version)" = 1.3 ] || fail "no network.tls in summary.json"
hs=$(json "$tmp/a/summary.json" network.tls.handshakes)
[ "$hs" -ge "$(json "$tmp/a/summary.json" enbs.enrolled)" ] || fail "$hs handshakes for the enrolled eNBs"
[ "$(json "$tmp/a/summary.json" network.tls.resumed)" -gt 0 ] || fail "no session resumed after a reconnect"
[ "$(json "$tmp/a/summary.json" network.tls.failures)" -gt 0 ] || fail "the rogue RA/CA's handshakes did not fail"
# The rogue's eNBs failed at TLS; every other eNB enrolled, and its certificate verifies.
rogues=$(awk -F, 'NR > 1 && $2 == "rogue_raca" { n++ } END { print n + 0 }' "$tmp/a/hostile.csv")
[ "$rogues" -gt 0 ] || fail "no rogue eNB drawn"
[ "$(json "$tmp/a/summary.json" enbs.enrolled)" -eq $((40 - rogues)) ] \
  || fail "$(json "$tmp/a/summary.json" enbs.enrolled) enrolled, expected $((40 - rogues))"
# The RA/CAs' TLS certificate is kept with the hierarchy; it is a TLS server certificate the
# vendor root vouches for.
openssl verify -purpose sslserver -CAfile "$tmp/a/pki/vendor-root.pem" "$tmp/a/pki/raca-tls.pem" >/dev/null \
  || fail "pki/raca-tls.pem does not verify as a TLS server certificate"
[ "$(openssl x509 -in "$tmp/a/pki/raca-tls.pem" -noout -pubkey)" = "$(openssl x509 -in "$tmp/a/pki/raca.pem" -noout -pubkey)" ] \
  || fail "raca-tls.pem is not for the RA/CA's key"
grep -q '"tls_failures"' "$tmp/a/summary.json" || fail "no tls_failures diagnostic"
grep -q 'certificate verify failed' "$tmp/a/summary.json" || fail "the diagnostic does not say why"
# TLS draws from the run's seed: another seed, other bytes on the wire (other record sizes).
"$es" "${args[@]}" --seed 6 --out "$tmp/d"
[ "$(json "$tmp/a/summary.json" network.tls.record_bytes)" != "$(json "$tmp/d/summary.json" network.tls.record_bytes)" ] \
  || fail "another seed gave the same TLS bytes"

# Round trips on a GEO link: one eNB, no loss, fixed delays. A plain enrolment takes 3 round
# trips (TCP, ir/ip, certConf/pkiConf); TLS 1.3 adds 1, TLS 1.2 adds 2.
one=(run --quiet --set scenario.enbs=1 --set topology.type=star --set backhaul.latency=270ms
  --set backhaul.rate=20Mbps)
"$es" "${one[@]}" --out "$tmp/plain"
"$es" "${one[@]}" --set transport.tls=true --out "$tmp/tls13" --pcap enb:1
"$es" "${one[@]}" --set transport.tls=true --set transport.tls_version=1.2 --out "$tmp/tls12"
python3 - "$tmp" <<'EOF' || fail "round trips added by TLS"
import json, sys
t = sys.argv[1]
lat = {r: json.load(open(f"{t}/{r}/summary.json"))["latency_s"]["p50"] for r in ("plain", "tls13", "tls12")}
rtt = 2 * 0.270
for run, n in (("tls13", 1), ("tls12", 2)):
    added = (lat[run] - lat["plain"]) / rtt
    print(f"{run}: {lat[run]:.3f} s against {lat['plain']:.3f} s: {added:.2f} round trips added")
    assert abs(added - n) < 0.1, f"{run} added {added:.2f} round trips, not {n}"
EOF
[ "$(json "$tmp/tls12/summary.json" network.tls.version)" = 1.2 ] || fail "tls_version ignored"
# The wire: a TLS handshake and application data, no HTTP in the clear.
pcap=$tmp/tls13/pcap/enb-1.pcap
tshark -r "$pcap" -d tcp.port==80,tls >"$tmp/wire.txt" 2>/dev/null
[ "$(grep -c 'Client Hello' "$tmp/wire.txt")" -eq 1 ] || fail "not one ClientHello: $(cat "$tmp/wire.txt")"
grep -q 'TLSv1.3 .*Server Hello' "$tmp/wire.txt" || fail "no TLS 1.3 ServerHello: $(cat "$tmp/wire.txt")"
grep -q 'Application Data' "$tmp/wire.txt" || fail "no application data records"
if strings "$pcap" | grep -q -e pkixcmp -e 'POST /'; then fail "HTTP in the clear under TLS"; fi

# An RA/CA without its cross certificate: nothing an eNB can verify, every handshake fails.
"$es" run --set transport.tls=true --set raca.cross=false --set scenario.enbs=2 \
  --set enb.give_up_after=60s --out "$tmp/nocross" >"$tmp/nocross.txt" 2>&1
[ "$(json "$tmp/nocross/summary.json" enbs.enrolled)" -eq 0 ] || fail "enrolled without a verifiable RA/CA"
grep -q 'TLS 1.3: 0 handshakes (0 resumed), [1-9][0-9]* failed' "$tmp/nocross.txt" \
  || fail "console: $(cat "$tmp/nocross.txt")"
grep -q 'certificate verify failed (unable to get local issuer certificate)' "$tmp/nocross.txt" \
  || fail "console does not say why: $(cat "$tmp/nocross.txt")"

# A typo in the section's values is named.
if "$es" run --quiet --set transport.tls_version=1.1 --out "$tmp/bad" 2>"$tmp/bad.txt"; then
  fail "tls_version 1.1 accepted"
fi
grep -q 'tls_version' "$tmp/bad.txt" || fail "bad tls_version: $(cat "$tmp/bad.txt")"
echo "scenario_tls: ok"
