#!/usr/bin/env bash
# Attacks on `enrolsim serve` by someone who sees CMP in clear, with OpenSSL's client as the
# victim: an on-path proxy (cmp_forger.py) posting a certConf with a flipped signature bit and
# its own certConf and ir under the victim's transactionID just before the victim's certConf;
# a captured ir posted again once confirm-wait is over, in implicit and explicit mode. Hardened
# (the default) nothing is issued or revoked and the victim's certificate passes
# `openssl verify -crl_check`; with --harden false each attack works, which the test also checks.
source "$(dirname "$0")/interop_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
pki=$tmp/pki

cli() { # cli NAME DEVICE PORT [openssl cmp options...]: an ir as device enb-DEVICE
  local name=$1 n=$2 p=$3; shift 3
  new_key "$tmp/$name.key"
  timeout 30 openssl cmp -cmd ir -server "127.0.0.1:$p" -path / -cert "$pki/devices/enb-$n.pem" \
    -key "$pki/devices/enb-$n.key" -trusted "$pki/vendor-root.pem" -newkey "$tmp/$name.key" \
    -subject "/O=Operator/CN=enb-$n" -certout "$tmp/$name.pem" "$@" >"$tmp/$name.log" 2>&1
}
rows() { tail -n +2 "$1" | wc -l; }
verifies() { # verifies CERT CRL: passes openssl verify -crl_check
  openssl verify -crl_check -CAfile "$pki/operator-root.pem" -CRLfile "$2" "$1" >/dev/null 2>&1
}

for harden in true false; do
  # --- The on-path forger.
  out=$tmp/forged-$harden
  start_serve "$out" --harden $harden
  cli attacker-$harden 2 "$port" -reqout "$tmp/a-ir-$harden.der,$tmp/a-cc-$harden.der" \
    || fail "attacker's own enrolment: $(tail -3 "$tmp/attacker-$harden.log")"
  rm -f "$tmp/proxy-port"
  python3 "$here/cmp_forger.py" "$tmp/proxy-port" "$port" "$tmp/forger-$harden.log" \
    "$tmp/a-cc-$harden.der" "$tmp/a-ir-$harden.der" 2>"$tmp/forger-$harden.err" &
  proxy=$!
  pids+=("$proxy")
  for _ in $(seq 200); do [ -s "$tmp/proxy-port" ] && break; sleep 0.05; done
  [ -s "$tmp/proxy-port" ] || fail "forger did not start: $(cat "$tmp/forger-$harden.err")"
  cli victim-$harden 1 "$(cat "$tmp/proxy-port")"
  victim=$?
  kill "$proxy"
  stop_serve
  [ "$(wc -l <"$tmp/forger-$harden.log")" -eq 3 ] || fail "forger posted: $(cat "$tmp/forger-$harden.log")"
  if [ $harden = true ]; then
    [ $victim -eq 0 ] || fail "victim did not enrol past the forgeries: $(tail -3 "$tmp/victim-$harden.log")"
    # Each forgery answered with a CMP error (23); none got a pkiConf (19).
    [ "$(grep -c ' 200 23$' "$tmp/forger-$harden.log")" -eq 3 ] || fail "forgeries: $(cat "$tmp/forger-$harden.log")"
    [ "$(rows "$out/issued.csv")" -eq 2 ] || fail "issued: $(cat "$out/issued.csv")"
    [ "$(rows "$out/revocations.csv")" -eq 0 ] || fail "revocations: $(cat "$out/revocations.csv")"
    verifies "$tmp/victim-$harden.pem" "$out/crl.pem" || fail "victim's certificate fails verify -crl_check"
  else
    [ $victim -ne 0 ] || fail "unhardened: the forged certConf did not stop the victim"
    grep -q "certconf_failed" "$out/revocations.csv" || fail "unhardened: $(cat "$out/revocations.csv")"
  fi

  # --- The replayer: the victim's ir again once confirm-wait (1 s) is over.
  for confirm in implicit explicit; do
    out=$tmp/replay-$confirm-$harden
    start_serve "$out" --harden $harden --confirm $confirm --confirm-wait 1s
    opt=()
    [ $confirm = implicit ] && opt=(-implicit_confirm)
    cli replayed-$confirm-$harden 1 "$port" "${opt[@]}" -reqout "$tmp/r-ir-$confirm-$harden.der" \
      || fail "victim's enrolment: $(tail -3 "$tmp/replayed-$confirm-$harden.log")"
    sleep 3 # well past confirm-wait: the answer kept for a resend is forgotten
    code=$(timeout 20 curl -s -o "$tmp/r-rsp.der" -w '%{http_code}' -H 'Content-Type: application/pkixcmp' \
      -H 'Expect:' --data-binary @"$tmp/r-ir-$confirm-$harden.der" "http://127.0.0.1:$port/")
    [ "$code" = 200 ] || fail "replay answered $code"
    stop_serve
    if [ $harden = true ]; then
      [ "$(rows "$out/issued.csv")" -eq 1 ] || fail "$confirm replay issued: $(cat "$out/issued.csv")"
      [ "$(rows "$out/revocations.csv")" -eq 0 ] || fail "$confirm replay revoked: $(cat "$out/revocations.csv")"
      verifies "$tmp/replayed-$confirm-$harden.pem" "$out/crl.pem" || fail "$confirm: victim fails verify -crl_check"
    else
      [ "$(rows "$out/issued.csv")" -eq 2 ] || fail "unhardened $confirm replay did not issue"
      [ "$(rows "$out/revocations.csv")" -eq 1 ] || fail "unhardened $confirm: $(cat "$out/revocations.csv")"
      if [ $confirm = implicit ]; then
        ! verifies "$tmp/replayed-$confirm-$harden.pem" "$out/crl.pem" || fail "unhardened implicit: victim not superseded"
      fi
    fi
  done
done
echo "interop_attacks: forged certConf/ir and replayed ir refused (and effective with --harden false)"
