#!/usr/bin/env bash
# Hostile clients against `enrolsim serve`: garbage, a wrong content type, a body too big, a
# truncated request, a client that connects and says nothing. Each gets a 4xx or is closed
# after the idle timeout, nothing is issued, and `openssl cmp` is served normally afterwards.
source "$(dirname "$0")/interop_lib.sh"
pki=$tmp/pki
start_serve "$tmp/served" --idle-timeout 1s --max-body 65536
url=http://127.0.0.1:$port/

code() { timeout 10 curl -s -o /dev/null -w '%{http_code}' "$@"; }
head -c 3000 /dev/urandom >"$tmp/random"
[ "$(code -H 'Content-Type: application/pkixcmp' --data-binary @"$tmp/random" "$url")" = 400 ] || fail "random body"
[ "$(code -H 'Content-Type: text/plain' --data-binary 'hello' "$url")" = 415 ] || fail "wrong content type"
[ "$(code --data-binary @"$tmp/random" "$url")" = 415 ] || fail "form content type"
[ "$(code "$url")" = 405 ] || fail "GET"
head -c 200000 /dev/zero >"$tmp/big"
[ "$(code -H 'Content-Type: application/pkixcmp' -H 'Expect:' --data-binary @"$tmp/big" "$url")" = 413 ] || fail "body too big"

# Raw sockets: bash's /dev/tcp, each read bounded.
raw() { # raw BYTES: sends them, prints what comes back until the server closes (5 s at most)
  exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "connect"
  printf '%b' "$1" >&3
  timeout 5 cat <&3
  local rc=$?
  exec 3<&- 3>&-
  return $rc
}
raw 'GARBAGE\x00\x01\x02 \r\n\r\n' | head -1 | grep -q '^HTTP/1.1 400' || fail "garbage request line"
# Promises 1000 bytes, sends 10: unanswered, closed by the idle timeout.
start=$(date +%s%N)
out=$(raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 1000\r\n\r\n0123456789') \
  || fail "truncated request: connection not closed by the server"
[ -z "$out" ] || fail "truncated request answered: $out"
# Connects and says nothing: closed after the idle timeout (1 s), not before.
out=$(raw '') || fail "silent client: connection not closed by the server"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ -z "$out" ] || fail "silent client got: $out"
[ "$elapsed_ms" -ge 1500 ] && [ "$elapsed_ms" -lt 9000 ] || fail "idle timeouts took $elapsed_ms ms for two clients"

# Still serving: a normal enrolment with OpenSSL's client.
new_key "$tmp/k"
timeout 20 openssl cmp -cmd ir -server "127.0.0.1:$port" -path / -cert "$pki/devices/enb-1.pem" \
  -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/k" \
  -subject "/O=Operator/CN=enb-1" -certout "$tmp/c.pem" >"$tmp/cli.log" 2>&1 || fail "ir after hostile clients: $(tail -5 "$tmp/cli.log")"
[ "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" -eq 1 ] || fail "hostile clients got certificates"
stop_serve
echo "interop_hostile: every hostile client refused or timed out; the server kept serving"
