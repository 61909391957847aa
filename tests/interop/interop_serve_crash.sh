#!/usr/bin/env bash
# serve killed with SIGKILL at three random moments of 1,000 enrolments by `enrolsim enrol`,
# and restarted on its folder each time: no certificate is lost, none issued twice, none left
# valid that no client holds, and the CRL and the logs agree with the database.
# Usage: interop_serve_crash.sh ENROLSIM [ENBS]
source "$(dirname "$0")/interop_lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 program is missing (scripts/setup.sh installs it)"
pki=$tmp/pki
out=$tmp/served
n=${2:-1000}
db=$out/raca.db
sql() { sqlite3 -batch -noheader "$db" "$@"; }

start_serve "$out"
restart_serve() {
  rm -f "$tmp/port"
  "$es" serve "$pki" "$out" --listen "127.0.0.1:$port" --port-file "$tmp/port" -q \
    >>"$out.log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 200); do
    [ -s "$tmp/port" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || fail "serve did not restart: $(tail -5 "$out.log")"
    sleep 0.05
  done
  fail "serve did not restart"
}
issued_rows() { echo $(($(wc -l <"$out/issued.csv") - 1)); }

# enb.give_up_after (default 30 min) keeps each eNB trying through the kills.
timeout 300 "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --enbs "$n" \
  --concurrency 16 --keep-certs -q >"$tmp/enrol.log" 2>&1 &
enrol_pid=$!
pids+=("$enrol_pid")

# Three moments, random in thirds of the run (after k certificates were logged).
for third in 0 1 2; do
  k=$((n * third / 3 + n / 10 + RANDOM % (n / 5)))
  for _ in $(seq 1200); do
    [ "$(issued_rows)" -ge "$k" ] && break
    kill -0 "$enrol_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$enrol_pid" 2>/dev/null || fail "enrol ended before kill $((third + 1)): $(tail -5 "$tmp/enrol.log")"
  kill -KILL "$serve_pid"
  wait "$serve_pid" 2>/dev/null
  echo "kill $((third + 1)) after $(issued_rows) certificates logged (target $k)"
  restart_serve
done
wait "$enrol_pid"
rc=$?
csv=$tmp/run/enrolments.csv
[ "$rc" -eq 0 ] || fail "enrol exited $rc: $(tail -5 "$tmp/enrol.log"; awk -F, 'NR == 1 || $8 != "enrolled"' "$csv" | head -5)"

# Pending: awaiting certConf within confirm-wait (60 s) while serve still runs.
pending=$(sql "SELECT count(*) FROM certs WHERE state = 'pending' AND deadline > strftime('%s','now')")
stale=$(sql "SELECT count(*) FROM certs WHERE state = 'pending' AND NOT deadline > strftime('%s','now')")
[ "$stale" -eq 0 ] || fail "$stale certificates awaiting certConf past their deadline"
stop_serve

# Every eNB holds one certificate, and the database has it, confirmed and not revoked.
tail -n +2 "$csv" | awk -F, '$8 != "enrolled" { bad++ } END { exit bad > 0 }' || fail "eNBs not enrolled: $(tail -n +2 "$csv" | awk -F, '$8 != "enrolled"' | head -3)"
tail -n +2 "$csv" | cut -d, -f10 | sort >"$tmp/held"
[ "$(wc -l <"$tmp/held")" -eq "$n" ] || fail "$(wc -l <"$tmp/held") held certificates, expected $n"
[ -z "$(uniq -d "$tmp/held")" ] || fail "two eNBs hold one serial: $(uniq -d "$tmp/held" | head -3)"
sql "SELECT serial FROM certs WHERE state = 'confirmed' ORDER BY serial" >"$tmp/confirmed"
sql "SELECT serial FROM certs WHERE state = 'revoked' ORDER BY serial" >"$tmp/revoked"
missing=$(comm -23 "$tmp/held" "$tmp/confirmed")
[ -z "$missing" ] || fail "held but not confirmed in the database: $(echo "$missing" | head -3)"
# Every certificate the database has is held, or revoked (and on the CRL); nothing pending
# is left once serve stopped, since it revoked those on the way out.
unheld=$(comm -13 "$tmp/held" "$tmp/confirmed")
[ -z "$unheld" ] || fail "confirmed but held by no client: $(echo "$unheld" | head -3)"
[ "$(sql "SELECT count(*) FROM certs WHERE state = 'pending'")" -eq 0 ] || fail "pending after stop"
# No serial twice: in the log, across the restarts.
tail -n +2 "$out/issued.csv" | cut -d, -f3 | sort >"$tmp/logged"
[ -z "$(uniq -d "$tmp/logged")" ] || fail "a serial issued twice: $(uniq -d "$tmp/logged" | head -3)"
sql "SELECT serial FROM certs ORDER BY serial" >"$tmp/all"
cmp -s "$tmp/logged" "$tmp/all" || fail "issued.csv and raca.db disagree: $(diff "$tmp/logged" "$tmp/all" | head -5)"
tail -n +2 "$out/revocations.csv" | cut -d, -f3 | sort >"$tmp/logged-revoked"
cmp -s "$tmp/logged-revoked" "$tmp/revoked" || fail "revocations.csv and raca.db disagree: $(diff "$tmp/logged-revoked" "$tmp/revoked" | head -5)"

# The CRL: signed by the CA, lists exactly the revoked ones; every held certificate verifies.
openssl crl -in "$out/crl.pem" -CAfile "$pki/operator-root.pem" -noout 2>&1 | grep -q "verify OK" || fail "CRL signature"
openssl crl -in "$out/crl.pem" -noout -text | awk '/Serial Number:/ { print $3 }' | sort >"$tmp/on-crl"
cmp -s "$tmp/on-crl" "$tmp/revoked" || fail "crl.pem and raca.db disagree: $(diff "$tmp/on-crl" "$tmp/revoked" | head -5)"
verified=$(openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$out/crl.pem" \
  "$tmp/run"/certs/*.pem 2>&1 | grep -c ": OK$")
[ "$verified" -eq "$n" ] || fail "only $verified of $n held certificates verify with the CRL"

issued=$(wc -l <"$tmp/all")
by_reason=$(sql "SELECT cause || ' ' || count(*) FROM revocations GROUP BY cause ORDER BY cause" | paste -sd, -)
by_reason=${by_reason:-none}
echo "interop_serve_crash: 3 kills in $n enrolments: $issued issued, $n held, $(wc -l <"$tmp/revoked") revoked ($by_reason), $pending pending at the end (revoked at stop); no serial twice, logs, CRL and database agree"
