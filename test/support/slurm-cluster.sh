#!/usr/bin/env bash
# Throwaway single-node SLURM cluster (munged + slurmctld + slurmd) for the test suite.
#
#   slurm-cluster.sh start DIR   fresh cluster with all state under DIR; prints SLURM_CONF=DIR/etc/slurm.conf
#                                (also written to DIR/env); exit 0 only once a probe job has run
#   slurm-cluster.sh stop DIR    stop the daemons of DIR (idempotent)
#   slurm-cluster.sh available   exit 0 if every needed binary is installed
#
# Progress and errors go to stderr; stdout of `start` is exactly the KEY=VALUE lines of DIR/env.
# Optional environment: SLURM_CLUSTER_CTLD_PORT (default 6817), SLURM_CLUSTER_SLURMD_PORT (default 6818),
# SLURM_CLUSTER_EXTRA_CONF (lines added to slurm.conf, e.g. MaxArraySize=4), SLURM_CLUSTER_TIMEOUT (seconds per wait, default 15), SLURM_CLUSTER_CPUS (advertise N CPUs instead of
# the real count, to run more jobs at once). See slurm-cluster.md.
set -euo pipefail

PROG=slurm-cluster
NEEDED=(slurmctld slurmd sbatch squeue scontrol munged mungekey)
TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-15}
CTLD_PORT=${SLURM_CLUSTER_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_CLUSTER_SLURMD_PORT:-6818}
MARKER=.slurm-cluster

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $0 start DIR | stop DIR | available
EOF
  exit 2
}

# Absolute path of a binary: PATH first, then the sbin dirs (not on every caller's PATH).
find_bin() {
  local name=$1 p
  if p=$(command -v "$name" 2>/dev/null) && [[ $p == /* ]]; then
    printf '%s\n' "$p"
    return 0
  fi
  for d in /usr/sbin /sbin /usr/local/sbin /usr/bin /usr/local/bin; do
    if [[ -x $d/$name ]]; then
      printf '%s\n' "$d/$name"
      return 0
    fi
  done
  return 1
}

bin() { find_bin "$1" || die "'$1' not found (run: $0 available)"; }

cmd_available() {
  local missing=() b
  for b in "${NEEDED[@]}"; do
    find_bin "$b" >/dev/null || missing+=("$b")
  done
  if ((${#missing[@]})); then
    printf '%s: missing: %s\n' "$PROG" "${missing[*]}" >&2
    printf '%s: install with: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge\n' "$PROG" >&2
    exit 1
  fi
  exit 0
}

abs_dir() {
  local d=$1
  [[ -n $d ]] || die "DIR must not be empty"
  [[ $d == /* ]] || d=$PWD/$d
  # normalise without requiring existence
  d=$(realpath -m -- "$d")
  [[ $d != / ]] || die "refusing to use / as DIR"
  printf '%s\n' "$d"
}

now_ms() { date +%s%3N; }

# True if something listens on TCP port $1 (IPv4 or IPv6).
port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# pid from a pid file if that process is alive and is the expected program, else nothing.
live_pid() {
  local file=$1 comm=$2 pid
  [[ -r $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [[ -n $pid ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
  printf '%s\n' "$pid"
}

# Wait up to 5 s for a SIGTERMed pid to exit, then SIGKILL it.
await_exit() {
  local pid=$1 what=$2 start=$3 end
  end=$((start + 5000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(now_ms) > end)); then
      log "$what (pid $pid) still alive 5 s after SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      break
    fi
    sleep 0.05
  done
  log "stopped $what (pid $pid) in $(($(now_ms) - start)) ms"
}

# All descendants of the given pids, one per line (parent links read from /proc/*/stat).
descendants() {
  local table
  table=$(for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done |
    awk 'NF { pid = $1; sub(/.*\) /, ""); print pid, $2 }')
  awk -v roots="$*" '
    { parent[$1] = $2; kids[$2] = kids[$2] " " $1 }
    END {
      n = split(roots, queue, " ")
      for (i = 1; i <= n; i++) {
        m = split(kids[queue[i]], c, " ")
        for (j = 1; j <= m; j++) { print c[j]; queue[++n] = c[j] }
      }
    }' <<<"$table"
}

# slurmstepd (and the job processes under it) survive slurmd; kill those belonging to this DIR.
kill_job_steps() {
  local conf=$1 pid env_file
  local -a steps=()
  for env_file in /proc/[0-9]*/environ; do
    pid=${env_file#/proc/}
    pid=${pid%/environ}
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == slurmstepd ]] || continue
    if tr '\0' '\n' <"$env_file" 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then
      steps+=("$pid")
    fi
  done
  ((${#steps[@]})) || return 0
  local -a all
  mapfile -t all < <(descendants "${steps[@]}")
  all+=("${steps[@]}")
  log "killing ${#steps[@]} leftover slurmstepd process(es) and their jobs"
  kill -KILL "${all[@]}" 2>/dev/null || true
}

cmd_stop() {
  local dir
  dir=$(abs_dir "$1")
  [[ -d $dir ]] || return 0
  # SIGTERM all three at once (each takes 1-2 s to exit; in sequence that was 5+ s), then wait for each.
  local d_pid="" c_pid="" m_pid="" start
  d_pid=$(live_pid "$dir/run/slurmd.pid" slurmd) || d_pid=""
  c_pid=$(live_pid "$dir/run/slurmctld.pid" slurmctld) || c_pid=""
  m_pid=$(live_pid "$dir/munge/munged.pid" munged) || m_pid=""
  start=$(now_ms)
  for pid in $d_pid $c_pid $m_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  [[ -z $d_pid ]] || await_exit "$d_pid" slurmd "$start"
  kill_job_steps "$dir/etc/slurm.conf"
  [[ -z $c_pid ]] || await_exit "$c_pid" slurmctld "$start"
  [[ -z $m_pid ]] || await_exit "$m_pid" munged "$start"
  return 0
}

# Print the tail of a log file to stderr.
show_log() {
  local f=$1
  if [[ -s $f ]]; then
    printf '%s: --- last lines of %s ---\n' "$PROG" "$f" >&2
    tail -n 25 "$f" >&2
    printf '%s: ---\n' "$PROG" >&2
  else
    printf '%s: (%s is empty or missing)\n' "$PROG" "$f" >&2
  fi
}

# wait_for DESCRIPTION LOGFILE COMMAND...: poll COMMAND every 0.1 s for up to $TIMEOUT s.
wait_for() {
  local what=$1 logf=$2
  shift 2
  local start end
  start=$(now_ms)
  end=$((start + TIMEOUT * 1000))
  until "$@" >/dev/null 2>&1; do
    if (($(now_ms) > end)); then
      log "timed out after ${TIMEOUT} s waiting for $what"
      [[ -n $logf ]] && show_log "$logf"
      return 1
    fi
    sleep 0.1
  done
  log "$what after $(($(now_ms) - start)) ms"
}

node_idle() {
  local line
  line=$("$SCONTROL" -o show node "$NODE") || return 1
  [[ $line =~ State=IDLE([ ]|$) ]]
}

probe_done() {
  local st
  st=$("$SQUEUE" -h -j "$PROBE_ID" -o %T 2>/dev/null) || return 1
  [[ -z ${st//[[:space:]]/} ]]
}

START_OK=0
on_start_exit() {
  if ((START_OK == 0)) && [[ -n ${DIR:-} ]]; then
    log "start failed; stopping whatever was started in $DIR"
    cmd_stop "$DIR" || true
  fi
}

cmd_start() {
  DIR=$(abs_dir "$1")
  (($(id -u) == 0)) || die "must run as root (slurmd and SlurmUser=root need it)"

  local b
  for b in "${NEEDED[@]}"; do find_bin "$b" >/dev/null || die "'$b' not installed (run: $0 available)"; done
  local SLURMCTLD SLURMD SBATCH MUNGED MUNGEKEY
  SLURMCTLD=$(bin slurmctld)
  SLURMD=$(bin slurmd)
  SBATCH=$(bin sbatch)
  SQUEUE=$(bin squeue)
  SCONTROL=$(bin scontrol)
  MUNGED=$(bin munged)
  MUNGEKEY=$(bin mungekey)

  # Host name: slurmd identifies itself by the short host name, which must resolve. All traffic goes over
  # 127.0.0.1 (SlurmctldHost=name(127.0.0.1), NodeAddr=127.0.0.1), whatever address the name resolves to.
  local host
  host=$(hostname)
  [[ -n $host ]] || die "hostname is empty"
  local addr
  if ! addr=$(getent hosts "$host"); then
    die "host name '$host' does not resolve (getent hosts $host failed); add it to /etc/hosts, e.g. '127.0.0.1 $host'"
  fi
  log "host $host resolves to ${addr%% *}"

  # munged refuses a socket whose every ancestor directory is not world-executable (o+x).
  local anc=${DIR%/*} mode
  while [[ -n $anc ]]; do
    if [[ -e $anc ]]; then
      mode=$(stat -L -c %a "$anc")
      if (((8#$mode & 1) == 0)); then
        die "parent directory $anc has mode $mode; munged needs every parent of DIR to be world-executable (chmod o+x $anc, or use another DIR; note that mkdtemp makes 0700 directories: pass the mkdtemp directory itself as DIR, this script makes it 755)"
      fi
    fi
    anc=${anc%/*}
  done

  # Fresh state. Refuse to wipe a non-empty directory we did not create.
  if [[ -d $DIR ]]; then
    if [[ -n "$(ls -A "$DIR")" && ! -e $DIR/$MARKER ]]; then
      die "$DIR is not empty and was not made by this script; refusing to empty it"
    fi
    cmd_stop "$DIR"
    find "$DIR" -mindepth 1 -delete
  fi
  trap on_start_exit EXIT

  for port in "$CTLD_PORT" "$SLURMD_PORT"; do
    if port_in_use "$port"; then
      die "TCP port $port is already in use (another slurmctld/slurmd running? stop it first, e.g. '$0 stop OTHER_DIR')"
    fi
  done

  mkdir -p "$DIR"/{etc,state,spool,log,run,munge}
  : >"$DIR/$MARKER"
  chmod 755 "$DIR" "$DIR/munge" # munged refuses a socket dir that is not world-executable

  # --- munge: private key and socket ---
  local sock=$DIR/munge/munge.socket.2
  "$MUNGEKEY" -c -f -k "$DIR/munge/munge.key" 2>>"$DIR/munge/mungekey.log" ||
    { show_log "$DIR/munge/mungekey.log"; die "mungekey failed"; }
  chmod 600 "$DIR/munge/munge.key"
  if ! "$MUNGED" --socket="$sock" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
    --seed-file="$DIR/munge/munged.seed" </dev/null >/dev/null 2>>"$DIR/munge/munged.stderr"; then
    show_log "$DIR/munge/munged.stderr"
    show_log "$DIR/munge/munged.log"
    die "munged failed to start"
  fi
  wait_for "munged socket" "$DIR/munge/munged.log" test -S "$sock" || die "munged did not create $sock"
  local munge_bin unmunge_bin
  if munge_bin=$(find_bin munge) && unmunge_bin=$(find_bin unmunge); then
    "$munge_bin" -n -S "$sock" | "$unmunge_bin" -S "$sock" >/dev/null 2>>"$DIR/munge/munged.stderr" ||
      { show_log "$DIR/munge/munged.log"; die "munge credential round trip failed"; }
  fi

  # --- slurm.conf ---
  local nodeline
  nodeline=$("$SLURMD" -C 2>/dev/null | head -n 1)
  [[ $nodeline == NodeName=* ]] || die "unexpected output from 'slurmd -C': $nodeline"
  NODE=${nodeline#NodeName=}
  NODE=${NODE%% *}
  local ctldhost=${host%%.*}
  # Optional: advertise more CPUs than the machine has, so more test jobs can run at once.
  local extra=""
  if [[ -n ${SLURM_CLUSTER_CPUS:-} ]]; then
    [[ $SLURM_CLUSTER_CPUS =~ ^[1-9][0-9]*$ ]] || die "SLURM_CLUSTER_CPUS must be a positive integer"
    local mem
    mem=$(grep -oE 'RealMemory=[0-9]+' <<<"$nodeline" || true)
    nodeline="NodeName=$NODE CPUs=$SLURM_CLUSTER_CPUS${mem:+ $mem}"
    extra=$'SlurmdParameters=config_overrides\n'
  fi
  CONF=$DIR/etc/slurm.conf
  cat >"$CONF" <<EOF
# generated by $0 for a throwaway test cluster
ClusterName=ci
SlurmctldHost=$ctldhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SchedulerType=sched/backfill
# default batch_sched_delay=3 makes every batch job wait for a 3 s scheduling pass; with these, <= 1 s
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
$extra$nodeline NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
${SLURM_CLUSTER_EXTRA_CONF:-}
EOF
  export SLURM_CONF=$CONF

  # --- slurmctld ---
  if ! "$SLURMCTLD" </dev/null >/dev/null 2>>"$DIR/log/slurmctld.stderr"; then
    show_log "$DIR/log/slurmctld.stderr"
    show_log "$DIR/log/slurmctld.log"
    die "slurmctld failed to start"
  fi
  wait_for "slurmctld answering 'scontrol ping'" "$DIR/log/slurmctld.log" "$SCONTROL" ping ||
    die "slurmctld is not up (see above)"

  # --- slurmd ---
  if ! "$SLURMD" </dev/null >/dev/null 2>>"$DIR/log/slurmd.stderr"; then
    show_log "$DIR/log/slurmd.stderr"
    show_log "$DIR/log/slurmd.log"
    die "slurmd failed to start"
  fi
  if ! wait_for "node $NODE idle" "$DIR/log/slurmd.log" node_idle; then
    log "node state: $("$SCONTROL" -o show node "$NODE" 2>&1 | grep -oE '(State|Reason)=[^ ]*' | tr '\n' ' ')"
    show_log "$DIR/log/slurmctld.log"
    die "node $NODE did not become idle"
  fi

  # --- probe job: prove a job is really scheduled, launched and completed ---
  PROBE_ID=$("$SBATCH" --parsable --job-name=slurm-cluster-probe --chdir="$DIR/log" \
    --output="$DIR/log/probe-%j.out" --wrap true </dev/null 2>>"$DIR/log/probe.stderr") ||
    { show_log "$DIR/log/probe.stderr"; die "sbatch of the probe job failed"; }
  PROBE_ID=${PROBE_ID%%;*}
  if ! wait_for "probe job $PROBE_ID to finish" "$DIR/log/slurmd.log" probe_done; then
    show_log "$DIR/log/slurmctld.log"
    die "probe job $PROBE_ID did not run"
  fi
  local rec
  rec=$("$SCONTROL" -o show job "$PROBE_ID" 2>&1 || true)
  if [[ ! $rec =~ JobState=COMPLETED ]] || [[ ! $rec =~ ExitCode=0:0 ]]; then
    log "probe job record: $(grep -oE '(JobState|Reason|ExitCode)=[^ ]*' <<<"$rec" | tr '\n' ' ')"
    show_log "$DIR/log/slurmd.log"
    die "probe job $PROBE_ID did not complete successfully"
  fi

  printf 'SLURM_CONF=%s\n' "$CONF" >"$DIR/env"
  START_OK=1
  cat "$DIR/env"
}

[[ $# -ge 1 ]] || usage
case $1 in
  start) [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
  stop) [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
  available) [[ $# -eq 1 ]] || usage; cmd_available ;;
  *) usage ;;
esac
