#!/usr/bin/env bash
# Real CMP clients against `serve` injecting faults ([faults], engines/es_faults.h). First
# `openssl cmp`, which never resends: one serve per fault kind, each with a high probability
# of it and raca.confirm_wait=2s, several irs each. Every call ends, enrolled or failed with a
# non-zero exit (no hang). Once confirm-wait has passed and serve stopped, every certificate
# in issued.csv is held by its client (its -certout) and not on the CRL, or revoked and on
# crl.pem; none is issued twice for one transaction; the one exception is CMP's two generals
# (drop_after on a certConf: the RA/CA confirmed it, the client never heard): confirmed in
# raca.db, not held. Then `enrolsim enrol`, which resends (enb.retry=resend), against drop_after
# and delay: every eNB enrols and issued.csv has one row per eNB, the resends answered from
# the RA/CA's cache.
source "$(dirname "$0")/interop_lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 program is missing (scripts/setup.sh installs it)"
pki=$tmp/pki
json() { awk -v path="$2" -f "$(dirname "$0")/../support/json_get.awk" "$1/serve_summary.json"; }
# stop OUT_DIR PID: SIGTERM; serve must still be running and exit 0 (else its log is shown).
stop() {
  local rc
  if ! kill -0 "$2" 2>/dev/null; then
    wait "$2"; rc=$?
    fail "serve of $1 ended by itself (exit status $rc): $(cat "$1.log")"
  fi
  kill -TERM "$2"
  wait "$2"; rc=$?
  [ "$rc" -eq 0 ] || fail "serve of $1 exited $rc after SIGTERM: $(cat "$1.log")"
}
kinds="http_500 http_503 drop_before drop_after delay lose_certconf"
calls=8

# One serve per kind, all at once.
declare -A serve_of port_of
for kind in $kinds; do
  extra=()
  [ "$kind" = delay ] && extra=(--set faults.delay_time=1s)
  start_serve "$tmp/$kind" --set "faults.$kind=0.5" --set raca.confirm_wait=2s "${extra[@]}" \
    --set scenario.seed=${FAULTS_SEED:-3}
  serve_of[$kind]=$serve_pid
  port_of[$kind]=$port
done

# ir KIND I: one `openssl cmp` transaction of its own subject; prints 0 (enrolled) or 1.
ir() {
  local kind=$1 i=$2 out=$tmp/$1-$2.pem
  new_key "$tmp/$kind-$i.key"
  timeout 20 openssl cmp -cmd ir -server "127.0.0.1:${port_of[$kind]}" -path / \
    -cert "$pki/devices/enb-1.pem" -key "$pki/devices/enb-1.key" -trusted "$pki/vendor-root.pem" \
    -newkey "$tmp/$kind-$i.key" -subject "/O=Operator/CN=$kind-$i" -certout "$out" \
    -msg_timeout 5 -total_timeout 15 >"$tmp/$kind-$i.log" 2>&1
  local rc=$?
  case $rc in
    0) [ -s "$out" ] || fail "$kind call $i: exit 0 without a certificate" ;;
    1) [ -s "$out" ] && fail "$kind call $i: failed but wrote a certificate" ;;
    124) fail "$kind call $i: openssl cmp hung: $(tail -3 "$tmp/$kind-$i.log")" ;;
    *) fail "$kind call $i: openssl cmp exited $rc: $(tail -3 "$tmp/$kind-$i.log")" ;;
  esac
  echo $rc
}

declare -A enrolled
for kind in $kinds; do
  enrolled[$kind]=0
  for i in $(seq $calls); do
    rc=$(ir "$kind" "$i") || exit 1
    [ "$rc" -eq 0 ] && enrolled[$kind]=$((enrolled[$kind] + 1))
  done
done
sleep 3.5 # confirm-wait (2 s) over, and crl.pem (within a second of a revocation) written
for kind in $kinds; do stop "$tmp/$kind" "${serve_of[$kind]}"; done

for kind in $kinds; do
  out=$tmp/$kind
  [ -s "$out/serve_summary.json" ] || fail "$kind: no serve_summary.json"
  injected=$(json "$out" "faults.$kind")
  [ "${injected:-0}" -gt 0 ] || fail "$kind: no fault injected: $(cat "$out/serve_summary.json")"
  for other in $kinds; do
    [ "$other" = "$kind" ] || [ "$(json "$out" "faults.$other")" = 0 ] || fail "$kind: $other injected"
  done
  held=$(for i in $(seq $calls); do [ -s "$tmp/$kind-$i.pem" ] && serial_of "$tmp/$kind-$i.pem"; done | sort)
  issued=$(tail -n +2 "$out/issued.csv" | cut -d, -f3 | sort)
  [ -z "$(comm -23 <(echo "$held" | sed '/^$/d') <(echo "$issued"))" ] || fail "$kind: a held certificate is not in issued.csv"
  # One transaction, one subject: never two certificates for one.
  dup=$(tail -n +2 "$out/issued.csv" | cut -d'"' -f2 | sort | uniq -d)
  [ -z "$dup" ] || fail "$kind: issued twice for one transaction: $dup"
  [ "$(json "$out" raca.issued)" -eq "$(echo "$issued" | sed '/^$/d' | wc -l)" ] || fail "$kind: raca.issued"
  crl=$(openssl crl -in "$out/crl.pem" -noout -text)
  unheld=0
  for s in $issued; do
    listed=0
    echo "$crl" | grep -q "Serial Number: $s\$" && listed=1
    if echo "$held" | grep -qx "$s"; then
      [ $listed -eq 0 ] || fail "$kind: held certificate $s is on the CRL"
    elif [ $listed -eq 0 ]; then
      state=$(sqlite3 -batch -noheader "$out/raca.db" "SELECT state FROM certs WHERE serial = '$s'")
      [ "$kind" = drop_after ] && [ "$state" = confirmed ] ||
        fail "$kind: certificate $s neither held nor on the CRL (state $state)"
      unheld=$((unheld + 1))
    fi
  done
  # The seed makes each kind hit both irs and certConfs (the sequence of requests is fixed).
  n_issued=$(echo "$issued" | sed '/^$/d' | wc -l)
  case $kind in
    http_500 | http_503 | drop_before)
      [ "$n_issued" -lt $calls ] && [ "${enrolled[$kind]}" -lt "$n_issued" ] ||
        fail "$kind: $n_issued issued, ${enrolled[$kind]} enrolled: not both an ir and a certConf hit" ;;
    drop_after) [ $unheld -gt 0 ] && [ "$n_issued" -gt $((${enrolled[$kind]} + unheld)) ] ||
        fail "drop_after: not both an ir and a certConf hit" ;;
  esac
  echo "FAULTS $kind: $injected injected, ${enrolled[$kind]} of $calls enrolled," \
    "$(echo "$issued" | sed '/^$/d' | wc -l) issued, $(grep -c 'Serial Number' <<<"$crl") on the CRL," \
    "$unheld confirmed but never received"
done
# The faults that leave requests unprocessed issue nothing for them; a late answer within
# -msg_timeout enrols; a lost certConf is revoked for want of it.
[ "${enrolled[delay]}" -eq $calls ] || fail "delay: ${enrolled[delay]} of $calls enrolled"
[ "$(json "$tmp/lose_certconf" faults.lost_transactions)" -gt 0 ] || fail "lose_certconf: no transaction lost"
grep -q ',confirm_timeout,' "$tmp/lose_certconf/revocations.csv" || fail "lose_certconf: nothing revoked for want of certConf"

# enrol resends what got no answer: each eNB enrols once, whatever was dropped or late
# (delay_time beyond --timeout: the late answer finds the connection gone and the resend is
# answered from the cache). One eNB at a time, so the faults fall the same way every run.
start_serve "$tmp/resends" --set faults.drop_after=0.1 --set faults.delay=0.1 \
  --set faults.delay_time=2s
n=8
timeout 120 "$es" enrol "$pki" "$tmp/enrol" --server "127.0.0.1:$port" --enbs $n --concurrency 1 \
  --timeout 1500ms --give-up-after 0s >"$tmp/enrol.log" 2>&1 || fail "enrol exited $?: $(cat "$tmp/enrol.log")"
stop "$tmp/resends" "$serve_pid"
grep -q "$n eNBs: $n enrolled, 0 failed" "$tmp/enrol.log" || fail "enrol: $(cat "$tmp/enrol.log")"
[ "$(tail -n +2 "$tmp/resends/issued.csv" | wc -l)" -eq $n ] || fail "issued.csv: $(cat "$tmp/resends/issued.csv")"
[ "$(json "$tmp/resends" raca.confirmed)" -eq $n ] || fail "raca.confirmed: $(cat "$tmp/resends/serve_summary.json")"
[ "$(json "$tmp/resends" raca.revoked)" -eq 0 ] || fail "a certificate was revoked"
dropped=$(json "$tmp/resends" faults.drop_after) late=$(json "$tmp/resends" faults.delay)
[ "$dropped" -gt 0 ] && [ "$late" -gt 0 ] || fail "faults: drop_after $dropped, delay $late"
[ "$(json "$tmp/resends" raca.duplicates)" -gt 0 ] || fail "no resend answered from the cache"
echo "FAULTS enrol: $n eNBs enrolled once each through $dropped dropped and $late late answers," \
  "$(json "$tmp/resends" raca.duplicates) resends answered from the cache"
echo "interop_faults: openssl cmp and enrol against every fault kind"
