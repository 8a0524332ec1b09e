# shellcheck shell=bash
# Shared helpers for infra/ctl.sh and the per-server scripts (sourced, never run).

INFRA_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_SRC/.." && pwd)"
INFRA_DIR="${SMARTMFG_INFRA_DIR:-$REPO_ROOT/.infra}"
mkdir -p "$INFRA_DIR"
INFRA_DIR="$(cd "$INFRA_DIR" && pwd)"
LOG_DIR="$INFRA_DIR/logs"
CACHE_DIR="${SMARTMFG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smartmfg}"
mkdir -p "$LOG_DIR" "$CACHE_DIR"

HOST=127.0.0.1

log() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# http_ok URL: true on a 2xx answer.
http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }

pid_file() { printf '%s/%s.pid' "$LOG_DIR" "$1"; }

# pid_alive NAME PATTERN: prints the pid recorded for NAME when that process is alive and its
# command line contains PATTERN (guards against a recycled pid).
pid_alive() {
  local f pid
  f="$(pid_file "$1")"
  [ -s "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  printf '%s' "$pid"
}

# start_detached NAME LOGFILE CMD...: runs CMD in its own session (survives the caller, its process
# group is killed on stop), stdout+stderr appended to LOGFILE, pid recorded in the pid file.
start_detached() {
  local name="$1" logfile="$2"
  shift 2
  printf '\n==== %s: start %s\n' "$(date -Is)" "$name" >>"$logfile"
  rm -f "$(pid_file "$name")"
  # shellcheck disable=SC2016  # $$ and $@ are expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pid_file "$name")" "$@" </dev/null >>"$logfile" 2>&1 &
  disown 2>/dev/null || true
  # wait until the pid file is written
  for _ in $(seq 1 50); do [ -s "$(pid_file "$name")" ] && return 0; sleep 0.1; done
  return 1
}

# stop_pid NAME PATTERN TIMEOUT: SIGTERM to the process group, SIGKILL after TIMEOUT seconds.
stop_pid() {
  local name="$1" pattern="$2" t="$3" pid
  if ! pid="$(pid_alive "$name" "$pattern")"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((t * 5))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    err "$name: still running after ${t}s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pid_file "$name")"
}

# with_lock LOCKNAME CMD...: serialise installers across concurrent ctl.sh runs (same cache).
with_lock() {
  local lock="$CACHE_DIR/.$1.lock"
  shift
  (
    flock -w 1800 9 || { err "could not take $lock"; exit 1; }
    "$@"
  ) 9>"$lock"
}

# as_postgres CMD...: PostgreSQL refuses to run as root; run its tools as the `postgres` user then.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# tail_logs FILE...: the end of each existing log, for failure messages.
tail_logs() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    err "---- last 40 lines of $f"
    tail -n 40 "$f" >&2
  done
}
