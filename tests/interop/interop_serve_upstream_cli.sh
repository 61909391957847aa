#!/usr/bin/env bash
# serve --upstream (an RA in front of another serve acting as CA), its options alone: a
# malformed target, timeout or TLS setting is refused with exit status 2 and a message naming the option,
# before OUT_DIR is touched; a well-formed one starts even with no CA there yet, and
# serve_summary.json says which role the instance had.
source "$(dirname "$0")/interop_lib.sh"
json() { awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1/serve_summary.json"; }

# refused OPTION EXPECTED_TEXT [ARGS...]: serve exits 2 naming OPTION and saying EXPECTED_TEXT.
refused() {
  local option=$1 why=$2; shift 2
  local out=$tmp/refused
  timeout 20 "$es" serve "$tmp/pki" "$out" --listen 127.0.0.1:0 -q "$@" >"$tmp/err.log" 2>&1
  local rc=$?
  [ "$rc" -eq 2 ] || fail "serve $*: exit status $rc, not 2: $(cat "$tmp/err.log")"
  grep -q -- "$option" "$tmp/err.log" || fail "serve $*: message does not name $option: $(cat "$tmp/err.log")"
  grep -q -- "$why" "$tmp/err.log" || fail "serve $*: message does not say '$why': $(cat "$tmp/err.log")"
  [ ! -e "$out" ] || fail "serve $*: created OUT_DIR"
}
refused --upstream "no port" --upstream nonsense
refused --upstream "no port" --upstream http://127.0.0.1/cmp
refused --upstream "out of range" --upstream 127.0.0.1:99999
refused --upstream "out of range" --upstream 127.0.0.1:0
refused --upstream "https" --upstream https://127.0.0.1:8443
refused --upstream "not a number" --upstream 127.0.0.1:cmp
refused --upstream-timeout "positive duration" --upstream 127.0.0.1:1 --upstream-timeout 0s
refused --upstream-timeout "positive duration" --upstream 127.0.0.1:1 --upstream-timeout soon
refused --upstream-timeout "need --upstream" --upstream-timeout 5s
refused --upstream-tls- "need --upstream" --upstream-tls-trusted "$tmp/pki/operator-root.pem"
refused --upstream-tls-trusted "https://" --upstream https://127.0.0.1:8443
refused --upstream-tls- "not https://" --upstream 127.0.0.1:8443 --upstream-tls-trusted "$tmp/pki/operator-root.pem"
refused --upstream-tls-trusted "no such file" --upstream https://127.0.0.1:8443 --upstream-tls-trusted "$tmp/none.pem"
refused --upstream-tls-key "go together" --upstream https://127.0.0.1:8443 --upstream-tls-trusted "$tmp/pki/operator-root.pem" --upstream-tls-cert "$tmp/pki/raca.pem"

# Nothing at the CA's address: the RA starts all the same (it posts there only when requests
# come), stops cleanly, and says where its CA is.
start_serve "$tmp/ra" --upstream 127.0.0.1:1 --upstream-timeout 5s
kill -0 "$serve_pid" 2>/dev/null || fail "serve --upstream did not keep running: $(cat "$tmp/ra.log")"
stop_serve
[ "$(json "$tmp/ra" upstream)" = "127.0.0.1:1" ] || fail "serve_summary.json upstream: $(cat "$tmp/ra/serve_summary.json")"
start_serve "$tmp/ra-url" --upstream http://127.0.0.1:1/ca/cmp
stop_serve
[ "$(json "$tmp/ra-url" upstream)" = "http://127.0.0.1:1/ca/cmp" ] || fail "serve_summary.json upstream: $(cat "$tmp/ra-url/serve_summary.json")"
# HTTPS to the CA: the trust anchors are read at the start.
start_serve "$tmp/ra-tls" --upstream https://127.0.0.1:1 --upstream-tls-trusted "$tmp/pki/operator-root.pem"
stop_serve
[ "$(json "$tmp/ra-tls" upstream)" = "https://127.0.0.1:1" ] || fail "serve_summary.json upstream: $(cat "$tmp/ra-tls/serve_summary.json")"
# Without it, an RA/CA: upstream is null.
start_serve "$tmp/raca"
stop_serve
[ "$(json "$tmp/raca" upstream)" = "null" ] || fail "serve_summary.json upstream: $(cat "$tmp/raca/serve_summary.json")"
# The help says what it does.
"$es" serve --help >"$tmp/help.txt" 2>&1
grep -q -- "--upstream=TARGET" "$tmp/help.txt" || fail "serve --help does not list --upstream"
echo "interop_serve_upstream_cli: bad --upstream values refused with status 2; serve --upstream starts with no CA yet"
