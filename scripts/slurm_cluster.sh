#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for running a sweep's job array under a real
# sbatch: munged, slurmctld and slurmd from Debian's packages, started without systemd, with a
# key, configuration, state and logs of their own in one folder (nothing under /etc is used).
#
#   scripts/slurm_cluster.sh start    installs what is missing, starts, waits for the node idle
#   scripts/slurm_cluster.sh status   exit 0 when all three run and the node answers
#   scripts/slurm_cluster.sh stop     stops what start started and removes the folder
#   scripts/slurm_cluster.sh env      prints the export that points sbatch & co. at it
#
# ES_SLURM_DIR (default /tmp/enrolsim-slurm) is the folder; ES_SLURM_PORT (default 6817) the
# controller's port, the node's is the next one. Processes are stopped by their pid files only.
set -euo pipefail
dir=${ES_SLURM_DIR:-/tmp/enrolsim-slurm}
port=${ES_SLURM_PORT:-6817}
conf=$dir/slurm.conf
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
die() { echo "slurm_cluster: $*" >&2; exit 1; }
export SLURM_CONF=$conf

alive() { # alive NAME: the pid in NAME.pid runs
  local f=$dir/$1.pid
  [ -s "$f" ] && $sudo kill -0 "$(cat "$f")" 2>/dev/null
}

node_state() { timeout 10 sinfo -h -N -o '%T' 2>/dev/null | head -1; }

status() {
  local d ok=0
  for d in munged slurmctld slurmd; do
    if alive $d; then echo "$d: running (pid $(cat "$dir/$d.pid"))"; else echo "$d: not running"; ok=1; fi
  done
  [ $ok -eq 0 ] || return 1
  local s; s=$(node_state)
  echo "node: ${s:-no answer}"
  [ -n "$s" ]
}

install() {
  local missing=() p
  for p in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "slurm_cluster: installing ${missing[*]}"
  $sudo apt-get update -q >/dev/null
  # The packages enable their systemd units; policy-rc.d or no systemd keeps them from starting.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

write_conf() {
  local host node
  host=$(hostname -s)
  # slurmd -C reports this machine's CPUs, layout and memory in slurm.conf's own syntax.
  node=$(slurmd -C | head -1) || die "slurmd -C failed"
  case $node in NodeName=*) ;; *) die "slurmd -C printed no NodeName line: $node" ;; esac
  local select=select/cons_tres
  [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/select_cons_tres.so ] || \
    ls /usr/lib/*/slurm-wlm/select_cons_tres.so >/dev/null 2>&1 || select=select/cons_res
  cat >"$conf" <<EOF
# enrolsim's single-node test cluster (scripts/slurm_cluster.sh); everything under $dir.
ClusterName=enrolsim
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# No cgroups: processes tracked by their parentage, tasks not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# No database: each finished job (array task) is a line here, with its state and exit code.
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
SwitchType=switch/none
MpiDefault=none
SelectType=$select
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
DefMemPerCPU=512
MailProg=/bin/true
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  if status >/dev/null 2>&1; then echo "slurm_cluster: already running ($dir)"; status; return 0; fi
  # Anything half-started before is stopped first, so start always begins clean.
  stop >/dev/null 2>&1 || true
  install
  for b in munged mungekey slurmctld slurmd sinfo; do
    command -v $b >/dev/null || [ -x /usr/sbin/$b ] || die "$b not found after installing"
  done
  export PATH=$PATH:/usr/sbin
  $sudo mkdir -p "$dir"/{munge,state,spool}
  $sudo chown "$(id -u):$(id -g)" "$dir" && chmod 755 "$dir"
  $sudo chmod 700 "$dir/munge"
  write_conf

  # munged: a key of its own; it refuses a key or socket folder others can write to.
  $sudo mungekey --create --keyfile="$dir/munge/munge.key" --force 2>"$dir/mungekey.err" \
    || $sudo dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none \
    || die "no munge key: $(cat "$dir/mungekey.err")"
  $sudo chmod 600 "$dir/munge/munge.key"
  $sudo munged --force --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
    || die "munged did not start: $(tail -3 "$dir/munged.log" 2>/dev/null)"
  local i
  for i in $(seq 50); do alive munged && [ -S "$dir/munge/munge.socket.2" ] && break; sleep 0.1; done
  alive munged || die "munged exited: $(tail -3 "$dir/munged.log" 2>/dev/null)"

  # -D keeps them in the foreground (no systemd to track them); they write their pid files.
  $sudo setsid slurmctld -D -f "$conf" >"$dir/slurmctld.out" 2>&1 </dev/null &
  $sudo setsid slurmd -D -f "$conf" -N "$(hostname -s)" >"$dir/slurmd.out" 2>&1 </dev/null &
  local s=""
  for i in $(seq 60); do
    s=$(node_state)
    [ "$s" = idle ] && break
    for d in slurmctld slurmd; do
      if [ $i -gt 5 ] && ! alive $d; then
        die "$d exited: $(tail -5 "$dir/$d.out" "$dir/$d.log" 2>/dev/null)"
      fi
    done
    sleep 0.5
  done
  [ "$s" = idle ] || die "node not idle after 30 s (state: ${s:-no answer}); see $dir/slurmctld.log, $dir/slurmd.log"
  echo "slurm_cluster: node $(hostname -s) idle; export SLURM_CONF=$conf"
}

stop() {
  local d i
  for d in slurmd slurmctld munged; do
    alive $d || continue
    $sudo kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
    for i in $(seq 50); do alive $d || break; sleep 0.1; done
    if alive $d; then $sudo kill -9 "$(cat "$dir/$d.pid")" 2>/dev/null || true; fi
  done
  if [ -d "$dir" ]; then $sudo rm -rf "$dir"; fi
  echo "slurm_cluster: stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
