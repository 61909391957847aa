#!/usr/bin/env bash
# A result file that cannot be written (a file-size limit standing in for a full disk, a
# folder or a file that cannot be written) is reported with its path and the reason, the exit
# status is non-zero, no half-written file is left under a result's name, and the files
# written before and after it are whole: for run and for enrol against serve.
src=$2
# The scratch folder, fail and the PIDs stopped on exit of the live tests.
source "$src/tests/interop/interop_lib.sh" "$1"
# no_partials DIR: no temporary file left beside the results (g_file_set_contents' NAME.XXXXXX).
no_partials() {
  local left
  left=$(find "$1" -type f -regex '.*\.[A-Za-z0-9]\{6\}$')
  [ -z "$left" ] || fail "temporary files left behind: $left"
}

# --- run under a 12 KiB file-size limit: enrolments.csv (about 30 kB) cannot be written.
out=$tmp/limited
(ulimit -f 12; exec "$es" run --quiet --set scenario.enbs=300 --out "$out") 2>"$tmp/err"; st=$?
[ "$st" -eq 1 ] || fail "file-size limit: exit status $st, wanted 1: $(cat "$tmp/err")"
grep -q "cannot write $out/enrolments.csv: .*File too large" "$tmp/err" \
  || fail "the message lacks the path or the reason: $(cat "$tmp/err")"
[ ! -e "$out/enrolments.csv" ] || fail "a half-written enrolments.csv is left"
no_partials "$out"
# What fits is whole: the effective scenario, the PKI, the summary, the CRL.
openssl x509 -in "$out/pki/operator-root.pem" -noout || fail "pki/operator-root.pem is damaged"
openssl crl -in "$out/crl.pem" -noout || fail "crl.pem is damaged"
"$es" run --scenario "$out/scenario.ini" --print-scenario >/dev/null || fail "scenario.ini is damaged"
"$es" compare "$out" "$out" >/dev/null || fail "summary.json is damaged"
grep -q '"total": 300' "$out/summary.json" || fail "summary.json lacks the run's figures"

# --- a result name that cannot be written to (a folder holds it): named, the rest written.
out=$tmp/blocked
mkdir -p "$out/revocations.csv"
"$es" run --quiet --set scenario.enbs=20 --out "$out" 2>"$tmp/err"; st=$?
[ "$st" -eq 1 ] || fail "unwritable revocations.csv: exit status $st: $(cat "$tmp/err")"
grep -q "cannot write $out/revocations.csv" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[ -s "$out/enrolments.csv" ] && [ -s "$out/summary.json" ] && [ -s "$out/crl.pem" ] \
  || fail "the other result files were not written"
no_partials "$out"

# --- a result folder that cannot be made: nothing runs, the path and the reason are named.
touch "$tmp/plain"
"$es" run --quiet --set scenario.enbs=2 --out "$tmp/plain/out" 2>"$tmp/err"; st=$?
[ "$st" -ne 0 ] || fail "a folder below a file: exit status 0"
grep -q "$tmp/plain/out.*Not a directory" "$tmp/err" || fail "message: $(cat "$tmp/err")"
if [ "$(id -u)" -ne 0 ]; then # root writes anywhere
  mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
  "$es" run --quiet --set scenario.enbs=2 --out "$tmp/ro/out" 2>"$tmp/err"; st=$?
  chmod 755 "$tmp/ro"
  [ "$st" -ne 0 ] || fail "a read-only parent folder: exit status 0"
  grep -q "$tmp/ro/out.*Permission denied" "$tmp/err" || fail "message: $(cat "$tmp/err")"
fi

# --- enrol against serve under an 8 KiB limit: enrolments.csv of 150 eNBs (13 kB) does not
# fit, scenario.ini and summary.json (6 kB with the effective scenario) do.
"$es" pki init "$tmp/pki" --devices 150 --overwrite >/dev/null || fail "pki init"
"$es" serve "$tmp/pki" "$tmp/served" --listen 127.0.0.1:0 --port-file "$tmp/port" -q \
  >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "serve did not start: $(cat "$tmp/serve.log")"
out=$tmp/enrol
(ulimit -f 8; exec "$es" enrol "$tmp/pki" "$out" --server "127.0.0.1:$(cat "$tmp/port")" \
  --enbs 150 --concurrency 4 -q) 2>"$tmp/err"; st=$?
[ "$st" -eq 1 ] || fail "enrol under a file-size limit: exit status $st: $(cat "$tmp/err")"
grep -q "cannot write $out/enrolments.csv: .*File too large" "$tmp/err" \
  || fail "enrol: the message lacks the path or the reason: $(cat "$tmp/err")"
[ ! -e "$out/enrolments.csv" ] || fail "enrol: a half-written enrolments.csv is left"
[ -s "$out/summary.json" ] || fail "enrol: summary.json was not written"
grep -q '"total": 150' "$out/summary.json" || fail "enrol: summary.json lacks the run's figures"
[ -s "$out/scenario.ini" ] || fail "enrol: scenario.ini was not written"
no_partials "$out"
echo "results_disk_full: failed writes named with path and reason, nothing half-written, the rest kept"
