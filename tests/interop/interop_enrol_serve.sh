#!/usr/bin/env bash
# `enrolsim enrol` against `enrolsim serve` over loopback: many eNBs at once, each enrolling,
# renewing and revoking; what the client records agrees with what the server logged, the
# certificates and the CRL. Exit status 1 when the server cannot be reached.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
start_serve "$tmp/served"

n=24
timeout 60 "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --path /pkix/ --enbs $n \
  --concurrency 8 --renew --revoke --reason keyCompromise --keep-certs >"$tmp/enrol.log" 2>&1 \
  || fail "enrol exited $?: $(cat "$tmp/enrol.log")"
grep -q "$n eNBs: $n enrolled, 0 failed, $n renewed, $n revoked" "$tmp/enrol.log" || fail "summary line: $(cat "$tmp/enrol.log")"
grep -q "made 21 device credentials" "$tmp/enrol.log" || fail "missing devices were not made"
[ -s "$pki/devices/enb-$n.key" ] || fail "device credential not saved"
csv=$tmp/run/enrolments.csv
[ "$(wc -l < "$csv")" -eq $((n + 1)) ] || fail "CSV rows"
grep -q '"enrolled": 24' "$tmp/run/summary.json" || fail "summary.json"
grep -q '"holding_revoked": 24' "$tmp/run/summary.json" || fail "summary.json revoked"
tail -n +2 "$csv" | while IFS=, read -r enb start ir ip cc pc done outcome attempts serial revoked _; do
  [ "$outcome" = enrolled ] || fail "eNB $enb: $outcome"
  [ "$revoked" = 1 ] || fail "eNB $enb: not marked revoked"
  # Wall seconds since the start, in protocol order.
  awk -v a="$start" -v b="$ir" -v c="$ip" -v d="$cc" -v e="$pc" -v f="$done" \
    'BEGIN { exit !(a >= 0 && a <= b && b <= c && c <= d && d <= e && e <= f && f < 60) }' || fail "eNB $enb: timeline"
  # The serial is the renewed certificate's; the server logged it as a kur for this eNB,
  # superseding the ir's certificate, and revoked it on request.
  [ "$(serial_of "$tmp/run/certs/enb-$enb.pem")" = "$serial" ] || fail "eNB $enb: CSV serial"
  grep -Eq ",$serial,\"([^\"]*,)?CN=enb-$enb(,[^\"]*)?\",kur," "$tmp/served/issued.csv" || fail "eNB $enb: kur not logged"
  grep -q ",$serial,.*,requested,keyCompromise$" "$tmp/served/revocations.csv" || fail "eNB $enb: rr not logged"
done || exit 1
[ "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" -eq $((2 * n)) ] || fail "issued.csv rows"
[ "$(grep -c ',superseded,superseded$' "$tmp/served/revocations.csv")" -eq $n ] || fail "superseded rows"
ok=$(openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$tmp/served/crl.pem" "$tmp/run"/certs/*.pem 2>&1 | grep -c "certificate revoked")
[ "$ok" -eq $n ] || fail "only $ok of $n revoked certificates rejected with crl.pem"

# implicitConfirm granted: one exchange per eNB, no certConf.
stop_serve
start_serve "$tmp/served-implicit" --confirm implicit
timeout 60 "$es" enrol "$pki" "$tmp/implicit" --server "127.0.0.1:$port" --enbs 6 --concurrency 3 \
  --implicit -q || fail "implicit enrol"
tail -n +2 "$tmp/implicit/enrolments.csv" | cut -d, -f5 | grep -q . && fail "certConf sent although implicitConfirm was granted"
stop_serve

# Nobody listening: every eNB fails with transport_error, exit status 1.
# (a real eNB keeps trying for enb.give_up_after; this one is told to stop at once)
timeout 30 "$es" enrol "$pki" "$tmp/down" --server "127.0.0.1:$port" --enbs 2 --timeout 5s -q \
  --give-up-after 0s
[ $? -eq 1 ] || fail "enrol against a closed port did not exit 1"
[ "$(grep -c ',transport_error,' "$tmp/down/enrolments.csv")" -eq 2 ] || fail "$(cat "$tmp/down/enrolments.csv")"

# A server that only answers 503 (Retry-After: 1): a 503 is waited out while the session is
# younger than enb.give_up_after, with 0s at most enb.max_attempts (4) times a message; then
# the eNB fails with http_error and enrol ends, exit status 1.
python3 - "$tmp/busy-port" >"$tmp/busy.log" 2>&1 <<'PY' &
import http.server, sys
class Busy(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Busy)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/busy-port" ] && break; sleep 0.05; done
busy=$(cat "$tmp/busy-port") || fail "the 503 server did not start: $(cat "$tmp/busy.log")"
for after in 0s 3s; do
  timeout 60 "$es" enrol "$pki" "$tmp/busy-$after" --server "127.0.0.1:$busy" --enbs 1 -q \
    --give-up-after "$after"
  st=$?
  [ "$st" -eq 1 ] || fail "enrol against a server answering only 503 (--give-up-after $after): exit status $st"
  row=$(tail -n 1 "$tmp/busy-$after/enrolments.csv")
  [ "$(echo "$row" | cut -d, -f8)" = http_error ] || fail "--give-up-after $after: $row"
  retries=$(echo "$row" | cut -d, -f14)
  if [ "$after" = 0s ]; then
    [ "$retries" -eq 4 ] || fail "--give-up-after 0s: $retries busy retries, wanted enb.max_attempts (4)"
  else
    [ "$retries" -ge 2 ] || fail "--give-up-after 3s: $retries busy retries"
  fi
done
echo "interop_enrol_serve: $n eNBs enrolled, renewed and revoked against enrolsim serve"
