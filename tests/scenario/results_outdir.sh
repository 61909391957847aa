#!/usr/bin/env bash
# Result folders never mix runs: `run`, `enrol` and `pki init` into a folder that holds an
# earlier one's files refuse with exit status 2, naming the folder and --overwrite, and touch
# nothing; --overwrite removes the earlier certificates, plots and packet traces and keeps a
# user's files. Every file a command writes is in the folder's .enrolsim-files, also when the
# run was stopped midway; a folder of a version without that list is recognised as well.
src=$2
# The scratch folder, fail and start_serve of the live tests.
source "$src/tests/interop/interop_lib.sh" "$1"
command -v gnuplot >/dev/null || fail "gnuplot is not installed (scripts/setup.sh installs it)"
small=$src/topologies/scenarios/small.ini
m=.enrolsim-files

# unlisted DIR: the files of DIR its manifest does not name, one per line.
unlisted() {
  comm -23 <(cd "$1" && find . -type f ! -name "$m" | sed 's|^\./||' | sort) \
    <(grep -v '^#' "$1/$m" | sort -u)
}
# snapshot DIR: every file and its checksum.
snapshot() { (cd "$1" && find . -type f -exec md5sum {} + | sort); }
# refused WHAT DIR ARGS...: exit status 2, a message naming DIR and --overwrite, DIR untouched.
refused() {
  local what=$1 dir=$2; shift 2
  local before; before=$(snapshot "$dir")
  "$es" "$@" >/dev/null 2>"$tmp/err"; local st=$?
  [ $st -eq 2 ] || fail "$what: exit status $st into a folder with results, want 2: $(cat "$tmp/err")"
  grep -q -- '--overwrite' "$tmp/err" || fail "$what: message lacks --overwrite: $(cat "$tmp/err")"
  grep -qF "$dir" "$tmp/err" || fail "$what: message does not name $dir: $(cat "$tmp/err")"
  [ "$(snapshot "$dir")" = "$before" ] || fail "$what: the refused command changed $dir"
}

# 1. A run with certificates, packet traces and plots, and a user's notes beside them.
out=$tmp/run
"$es" run --quiet --scenario "$small" --set scenario.enbs=20 --keep-certs --pcap raca,enb:1-2 \
  --plot --out "$out" >/dev/null || fail "first run exited $?"
echo "my notes" >"$out/notes.txt"
echo "mine" >"$out/certs/mine.pem"
[ "$(unlisted "$out")" = "$(printf 'certs/mine.pem\nnotes.txt')" ] ||
  fail "files of the run missing from $m: $(unlisted "$out")"
head -1 "$out/$m" | grep -q '^# enrolsim run' || fail "$m header: $(head -1 "$out/$m")"
"$es" plot "$out" >/dev/null || fail "plot DIR exited $?"
[ "$(grep -c '^plots/latency_cdf.png$' "$out/$m")" -eq 1 ] || fail "plot DIR listed its files twice"

# 2. Again into it: refused, nothing touched; the message says how to go on.
refused "run" "$out" run --quiet --scenario "$small" --set scenario.enbs=10 --out "$out"
grep -q 'earlier `enrolsim run`' "$tmp/err" || fail "message: $(cat "$tmp/err")"

# 3. --overwrite: the earlier certificates, traces and plots go; the user's files stay.
"$es" run --quiet --scenario "$small" --set scenario.enbs=10 --overwrite --out "$out" ||
  fail "run --overwrite exited $?"
ls "$out"/certs/enb-*.pem >/dev/null 2>&1 && fail "an earlier run's certificate survived --overwrite"
[ ! -e "$out/plots" ] || fail "plots/ survived --overwrite: $(ls "$out/plots")"
[ ! -e "$out/pcap" ] || fail "pcap/ survived --overwrite: $(ls "$out/pcap")"
[ "$(cat "$out/notes.txt")" = "my notes" ] && [ -s "$out/certs/mine.pem" ] ||
  fail "--overwrite removed a file enrolsim did not write"
grep -q '"enbs": 10' "$out/summary.json" || fail "summary.json is not the new run's"
[ "$(unlisted "$out")" = "$(printf 'certs/mine.pem\nnotes.txt')" ] || fail "unlisted: $(unlisted "$out")"
# An empty folder or a new one is fine.
mkdir "$tmp/empty"
"$es" run --quiet --set scenario.enbs=2 --out "$tmp/empty" || fail "run into an empty folder"

# 4. Stopped midway: what it wrote so far is listed, so it can be overwritten. (SIGTERM: a
# background job of a script ignores SIGINT; enrolsim run handles neither, so Ctrl-C ends it
# the same way.)
cut=$tmp/cut
"$es" run --quiet --set scenario.enbs=3000 --set rollout.window=20s --keep-certs --out "$cut" &
pid=$!
pids+=("$pid")
for _ in $(seq 600); do
  grep -q '^certs/' "$cut/$m" 2>/dev/null && break
  sleep 0.05
done
kill -TERM "$pid" 2>/dev/null
wait "$pid" && fail "the run was not stopped midway (it ended before the test stopped it)"
grep -q '^certs/' "$cut/$m" || fail "the stopped run listed no certificate"
# (A write cut short may leave its temporary NAME.XXXXXX beside NAME: --overwrite removes it.)
[ -z "$(unlisted "$cut" | grep -vE '\.[A-Za-z0-9]{6}$')" ] ||
  fail "files of the stopped run not listed: $(unlisted "$cut" | head)"
refused "run after a stopped one" "$cut" run --quiet --set scenario.enbs=2 --out "$cut"
"$es" run --quiet --set scenario.enbs=2 --overwrite --out "$cut" || fail "overwrite a stopped run"
[ ! -e "$cut/certs" ] || fail "the stopped run's certificates survived --overwrite"

# 5. A folder of a version without .enrolsim-files: recognised by its summary.json.
old=$tmp/old
"$es" run --quiet --set scenario.enbs=5 --keep-certs --pcap enb:1 --out "$old" || fail "old run"
rm "$old/$m"
echo "mine" >"$old/notes.txt"
refused "run into an older version's folder" "$old" run --quiet --set scenario.enbs=2 --out "$old"
grep -q 'summary.json' "$tmp/err" || fail "message does not say what was found: $(cat "$tmp/err")"
"$es" run --quiet --set scenario.enbs=2 --overwrite --out "$old" || fail "overwrite an old folder"
[ ! -e "$old/certs" ] && [ ! -e "$old/pcap" ] && [ -s "$old/notes.txt" ] ||
  fail "older version's folder: $(cd "$old" && find . | sort | tr '\n' ' ')"

# 6. Live: pki init and enrol against serve, the same rule.
pki=$tmp/pki # made by interop_lib.sh with 3 devices; enrol makes those of eNBs 4 and 5
echo "mine" >"$pki/README.txt"
start_serve "$tmp/served"
server=127.0.0.1:$port
live=$tmp/live
timeout 60 "$es" enrol "$pki" "$live" --server "$server" --enbs 5 --keep-certs -q ||
  fail "enrol exited $?"
[ -s "$live/certs/enb-5.key" ] && [ -z "$(unlisted "$live")" ] || fail "enrol: unlisted: $(unlisted "$live")"
refused "enrol" "$live" enrol "$pki" "$live" --server "$server" --enbs 1 -q
timeout 60 "$es" enrol "$pki" "$live" --server "$server" --enbs 1 --overwrite -q ||
  fail "enrol --overwrite exited $?"
[ ! -e "$live/certs" ] || fail "enrol --overwrite left the earlier certificates"
# The device credentials enrol made are listed in the PKI folder: a new hierarchy removes them.
grep -q '^devices/enb-5.pem$' "$pki/$m" || fail "enrol's device credentials not listed in $pki/$m"
refused "pki init" "$pki" pki init "$pki" --devices 1
"$es" pki init "$pki" --devices 1 --overwrite >/dev/null || fail "pki init --overwrite exited $?"
[ ! -e "$pki/devices/enb-2.pem" ] && [ -s "$pki/devices/enb-1.pem" ] && [ -s "$pki/README.txt" ] ||
  fail "pki init --overwrite: $(cd "$pki" && find . | sort | tr '\n' ' ')"
echo "results_outdir: ok"
