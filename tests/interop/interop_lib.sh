# Helpers for the interop tests (sourced): a scratch folder, servers started on free loopback
# ports and stopped by PID on exit, bounded waits.
set -uo pipefail
es=$1
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_serve OUT_DIR [serve options...]: starts `enrolsim serve $tmp/pki OUT_DIR` on a free
# port; sets serve_pid and port.
start_serve() {
  local out=$1; shift
  rm -f "$tmp/port"
  "$es" serve "$tmp/pki" "$out" --listen 127.0.0.1:0 --port-file "$tmp/port" -q "$@" \
    >"$out.log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve did not start: $(cat "$out.log")"
    sleep 0.05
  done
  [ -s "$tmp/port" ] || fail "serve did not report its port"
  port=$(cat "$tmp/port")
}

# stop_serve: SIGTERM, then the exit status must be 0 within 10 s.
stop_serve() {
  kill -TERM "$serve_pid"
  local rc
  for _ in $(seq 200); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.05; done
  wait "$serve_pid"; rc=$?
  [ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM"
}

# start_mock [OPTIONS...]: OpenSSL's mock CMP server, `openssl cmp -port 0 OPTIONS`, on a free
# port (it prints "ACCEPT [::]:PORT" once listening); sets mock_pid and port.
start_mock() {
  timeout 60 openssl cmp -port 0 "$@" >"$tmp/mock.log" 2>&1 &
  mock_pid=$!
  pids+=("$mock_pid")
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*ACCEPT .*:\([0-9][0-9]*\).*/\1/p' "$tmp/mock.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "mock server did not start: $(cat "$tmp/mock.log")"
}

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# lab_tls DIR NAME...: a lab TLS CA (DIR/ca.pem, .key) and a server certificate for 127.0.0.1
# and the DNS names given (DIR/server.pem, .key), as an operator's lab would have.
lab_tls() {
  local dir=$1 san=IP:127.0.0.1 n; shift
  for n in "$@"; do san+=",DNS:$n"; done
  mkdir -p "$dir"
  new_key "$dir/ca.key" && new_key "$dir/server.key" || fail "lab keys"
  openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=Lab TLS CA" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null || fail "lab CA"
  openssl req -new -key "$dir/server.key" -subj "/CN=${1:-127.0.0.1}" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$dir/ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -out "$dir/server.pem" -days 30 -extfile "$dir/ext" 2>/dev/null || fail "lab server certificate"
}

# The serial of a certificate as `openssl x509 -serial` prints it.
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# The CRL reason of SERIAL in CRL ("" when not listed, "none" when listed without a reason).
crl_reason() {
  openssl crl -in "$1" -noout -text | awk -v s="$2" '
    /Serial Number:/ { cur = $3; if (cur == s) { found = 1; r = "none" } next }
    found && cur == s && /CRL Reason Code/ { getline; gsub(/^ +| +$/, ""); r = $0 }
    END { print r }'
}

# crl_lists CRL SERIAL REASON: serve publishes a revocation no rp waits for within a second;
# true once CRL lists SERIAL with REASON (within 5 s).
crl_lists() {
  for _ in $(seq 50); do
    [ "$(crl_reason "$1" "$2")" = "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

"$es" pki init "$tmp/pki" --devices 3 >/dev/null || fail "pki init"
