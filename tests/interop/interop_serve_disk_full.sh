#!/usr/bin/env bash
# serve on a disk that fills up (a file-size limit, SIGXFSZ ignored): the failed write is
# reported with its path and reason, every request is answered 503 from then on (nothing is
# issued that the database does not hold), SIGTERM gives exit status 1, and what awaited
# certConf is revoked: on the way out if the database takes it, else at the next start.
source "$(dirname "$0")/interop_lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 program is missing (scripts/setup.sh installs it)"
command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh installs it)"
pki=$tmp/pki
out=$tmp/served
mkdir -p "$out"
"$es" pki init "$pki" --devices 40 --overwrite >/dev/null 2>&1 || "$es" pki init "$pki.40" --devices 40 >/dev/null || fail "pki init"
[ -d "$pki.40" ] && pki=$pki.40

# Limited to 160 KiB per file: the database's write-ahead log reaches it after some
# enrolments. (bash: ulimit -f counts 1024-byte blocks.)
rm -f "$tmp/port"
(trap '' XFSZ; ulimit -f 160; exec "$es" serve "$pki" "$out" --listen 127.0.0.1:0 \
  --port-file "$tmp/port" --confirm-wait 30s -q) >"$out.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port") || fail "serve did not start: $(cat "$out.log")"

# One certificate left awaiting certConf (the client never sends it) ...
new_key "$tmp/k1"
timeout 20 openssl cmp -cmd ir -server "127.0.0.1:$port" -path / -cert "$pki/devices/enb-1.pem" \
  -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/k1" \
  -subject /O=Operator/CN=enb-1 -certout "$tmp/c1.pem" -disable_confirm >"$tmp/cli.log" 2>&1 \
  || fail "ir: $(tail -3 "$tmp/cli.log")"
pending=$(serial_of "$tmp/c1.pem")
# ... and enrolments (ir, certConf, pkiConf) until the disk is full: the first refused gets
# 503 (no ip) and so does every one after.
enrolled=0
for i in $(seq 2 40); do
  new_key "$tmp/k$i"
  timeout 20 openssl cmp -cmd ir -server "127.0.0.1:$port" -path / -cert "$pki/devices/enb-$i.pem" \
    -key "$pki/devices/enb-$i.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/k$i" \
    -subject "/O=Operator/CN=enb-$i" -certout "$tmp/held-$i.pem" >"$tmp/cli.log" 2>&1 || break
  enrolled=$((enrolled + 1))
done
grep -q "503" "$tmp/cli.log" || fail "the refused ir did not get 503: $(tail -3 "$tmp/cli.log")"
[ "$enrolled" -gt 0 ] && [ "$enrolled" -lt 39 ] || fail "$enrolled of 39 enrolled: the limit does not bite where expected"
grep -q "enrolsim: serve: cannot .*$out/raca.db: .*(File too large); answering 503 from now on" "$out.log" \
  || fail "no report naming the database and the reason: $(cat "$out.log")"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/pkixcmp' \
  --data-binary @"$tmp/c1.pem" "http://127.0.0.1:$port/")
[ "$status" = 503 ] || fail "a request after the failure got $status, not 503"
# GET /metrics still answers (it never reaches the RA/CA): the refused ir and that POST
# counted busy, and the certificates issued are those the database and issued.csv hold.
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$tmp/metrics" || fail "GET /metrics after the failure"
grep -Eq '^enrolsim_requests_total\{type="ir",outcome="busy"\} [1-9]' "$tmp/metrics" \
  && grep -q '^enrolsim_requests_total{type="other",outcome="busy"} 1$' "$tmp/metrics" \
  || fail "503s not counted busy: $(grep outcome=.busy "$tmp/metrics")"
issued=$(awk '/^enrolsim_certificates_issued_total/ { n += $2 } END { print n + 0 }' "$tmp/metrics")
[ "$issued" -eq "$(tail -n +2 "$out/issued.csv" | wc -l)" ] || fail "issued $issued, not issued.csv's rows"

# SIGTERM: the certificate awaiting certConf is revoked on the way out. Whether the full
# database still takes that small write depends on where the limit fell: serve says which,
# and either way nothing is lost. Exit status 1.
kill -TERM "$serve_pid"
wait "$serve_pid"
[ $? -eq 1 ] || fail "serve did not exit 1 after a failed write"
if grep -q "1 certificates awaiting certConf revoked on the way out; the database did not take them" "$out.log"; then
  took=no
elif grep -q "1 certificates awaiting certConf revoked on the way out; recorded in the database" "$out.log"; then
  took=yes
else
  fail "the way out did not say what became of the certificate awaiting certConf: $(cat "$out.log")"
fi
[ "$(tail -c1 "$out/issued.csv" | od -An -c | tr -d ' ')" = '\n' ] || fail "issued.csv ends in a partial row"

# Restart with room. Not taken: the certificate still awaits certConf within its
# confirm-wait, and is revoked on this serve's way out, into the database. Taken: it is
# revoked there already, and the start writes its row and the CRL. Everything a client holds
# is there, confirmed. (One past its deadline would be revoked at the start: test_raca_store.)
start_serve "$out" --confirm-wait 30s
state=$(sqlite3 "$out/raca.db" "SELECT state FROM certs WHERE serial = '$pending'")
if [ $took = no ]; then
  [ "$state" = pending ] || fail "the certificate awaiting certConf was not resumed ($state)"
else
  [ "$state" = revoked ] || fail "the revocation the database took is not there ($state)"
fi
stop_serve
grep -q ",$pending,.*,confirm_timeout,cessationOfOperation$" "$out/revocations.csv" \
  || fail "the certificate awaiting certConf was not revoked: $(cat "$out/revocations.csv")"
[ "$(crl_reason "$out/crl.pem" "$pending")" = "Cessation Of Operation" ] || fail "not on the CRL"
for f in "$tmp"/held-*.pem; do
  s=$(serial_of "$f")
  [ "$(sqlite3 "$out/raca.db" "SELECT state FROM certs WHERE serial = '$s'")" = confirmed ] \
    || fail "held certificate $s not confirmed in the database"
done
[ "$(sqlite3 "$out/raca.db" "SELECT count(*) FROM certs WHERE state = 'pending'")" -eq 0 ] || fail "pending left"
tail -n +2 "$out/issued.csv" | cut -d, -f3 | sort >"$tmp/logged"
sqlite3 "$out/raca.db" "SELECT serial FROM certs ORDER BY serial" >"$tmp/stored"
cmp -s "$tmp/logged" "$tmp/stored" || fail "issued.csv and raca.db disagree: $(diff "$tmp/logged" "$tmp/stored" | head)"
openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" "$tmp"/held-*.pem >/dev/null \
  || fail "a held certificate does not verify with the CRL"
echo "interop_serve_disk_full: $enrolled enrolled before the disk filled, 503 after, exit 1; the certificate awaiting certConf revoked (recorded on the way out: $took; else resumed and revoked at the next start)"
