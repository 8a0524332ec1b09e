#!/usr/bin/env bash
# Install (first time), start, stop and check the real servers the distributed topology and the tests
# use: PostgreSQL 15, Apache Kafka 4.1.1 (KRaft), MinIO, Keycloak 26.4.7 and Trino 476 — no Docker, all bound to
# 127.0.0.1, data and logs under $SMARTMFG_INFRA_DIR (default <repo>/.infra). See infra/README.md.
# `--ha` (or kafka-ha, minio-ha): 3 Kafka brokers and 4 erasure-coded MinIO nodes on their own ports.
#
#   infra/ctl.sh up     [pg|kafka|minio|keycloak|trino ...]   install if missing, start if not running, wait
#   infra/ctl.sh down   [pg|kafka|minio|keycloak|trino ...]   stop cleanly
#   infra/ctl.sh status [pg|kafka|minio|keycloak|trino ...]   one line per server; exit 1 if one is not healthy
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/lib.sh
. "$here/lib.sh"
# shellcheck source=infra/postgres/server.sh
. "$here/postgres/server.sh"
# shellcheck source=infra/kafka/server.sh
. "$here/kafka/server.sh"
# shellcheck source=infra/minio/server.sh
. "$here/minio/server.sh"
# shellcheck source=infra/keycloak/server.sh
. "$here/keycloak/server.sh"
# shellcheck source=infra/trino/server.sh
. "$here/trino/server.sh"
# shellcheck source=infra/kafka/ha.sh
. "$here/kafka/ha.sh"
# shellcheck source=infra/minio/ha.sh
. "$here/minio/ha.sh"

ALL=(pg kafka minio keycloak trino)

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
servers=()
for s in "$@"; do
  case "$s" in
    pg | postgres | postgresql) servers+=(pg) ;;
    --ha) servers+=(kafka_ha minio_ha) ;;
    kafka-ha | kafka_ha) servers+=(kafka_ha) ;;
    minio-ha | minio_ha) servers+=(minio_ha) ;;
    kafka | minio | keycloak | trino) servers+=("$s") ;;
    *) err "unknown server '$s' (pg, kafka, minio, keycloak, trino)"; exit 2 ;;
  esac
done
[ ${#servers[@]} -gt 0 ] || servers=("${ALL[@]}")

is_healthy() { "${1}_healthy" && ! { declare -F "${1}_stale" >/dev/null && "${1}_stale"; }; }

# Phase 1 of `up`: install what is missing (downloads/builds go to the shared cache).
prep_one() {
  local s="$1" t0
  t0="$(now)"
  if "${s}_running" && declare -F "${s}_stale" >/dev/null && "${s}_stale"; then
    log "configuration changed: restarting"
    "${s}_stop"
  fi
  "${s}_install" || { err "install of $s failed"; return 1; }
  printf '%s' "$(elapsed "$t0")" >"$LOG_DIR/.install-$s.time"
}

# Phase 2 of `up`: start (unless already starting) and wait until healthy.
start_one() {
  local s="$1" t0 port deadline logs
  t0="$(now)"
  port="$("${s}_port")"
  mapfile -t logs < <("${s}_logs")
  if ! "${s}_running"; then
    if port_open "$port"; then
      err "$s: port 127.0.0.1:$port is in use by another process (not this infra dir's $s)."
      err "     Stop it, or choose another port (see infra/README.md)."
      return 1
    fi
    "${s}_start" || { err "$s: failed to start"; tail_logs "${logs[@]}"; return 1; }
  else
    log "process already running, waiting for it to become healthy"
  fi
  deadline=$(($(date +%s) + $("${s}_timeout")))
  while :; do
    # a process in the middle of exec shows an empty cmdline for an instant: look twice before giving up
    if "${s}_running" || { sleep 0.3 && "${s}_running"; }; then
      if [ "$s" = pg ]; then
        # the role/database are created once the server accepts connections
        pg_psql -tA -c 'select 1' >/dev/null 2>&1 && { pg_post_start || { err "pg: could not create role/database"; tail_logs "${logs[@]}"; return 1; }; }
      fi
      "${s}_healthy" && break
    else
      err "$s: the process exited during startup."
      tail_logs "${logs[@]}"
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      err "$s: did not become healthy within $("${s}_timeout")s on 127.0.0.1:$port (it is left running)."
      tail_logs "${logs[@]}"
      return 1
    fi
    sleep 0.5
  done
  printf '%s' "$(elapsed "$t0")" >"$LOG_DIR/.start-$s.time"
}

# run_phase FUNC SERVER...: FUNC for each server in parallel, output prefixed with the server name.
# Sets failed=(servers whose FUNC failed). SMARTMFG_INFRA_PARALLEL=0 runs them one after the other.
run_phase() {
  local fn="$1" s pids=()
  shift
  failed=()
  for s in "$@"; do
    rm -f "$LOG_DIR/.rc-$s"
    (
      if "$fn" "$s"; then echo 0 >"$LOG_DIR/.rc-$s"; else echo 1 >"$LOG_DIR/.rc-$s"; fi
    ) 2>&1 | sed -u "s/^/[$s] /" &
    pids+=($!)
    [ "${SMARTMFG_INFRA_PARALLEL:-1}" = 1 ] || wait "$!" || true
  done
  for s in "${pids[@]}"; do wait "$s" || true; done
  for s in "$@"; do
    [ "$(cat "$LOG_DIR/.rc-$s" 2>/dev/null)" = 0 ] || failed+=("$s")
    rm -f "$LOG_DIR/.rc-$s"
  done
}

cmd_up() {
  local t_all s todo=() bad=() failed=()
  t_all="$(now)"
  for s in "${servers[@]}"; do
    rm -f "$LOG_DIR/.install-$s.time" "$LOG_DIR/.start-$s.time"
    if is_healthy "$s"; then
      printf '%-9s already running  %s\n' "$s" "$("${s}_describe")"
    else
      todo+=("$s")
    fi
  done
  if [ ${#todo[@]} -gt 0 ]; then
    run_phase prep_one "${todo[@]}"
    bad+=(${failed[@]+"${failed[@]}"})
    local ok=()
    for s in "${todo[@]}"; do [[ " ${bad[*]-} " == *" $s "* ]] || ok+=("$s"); done
    if [ ${#ok[@]} -gt 0 ]; then
      run_phase start_one "${ok[@]}"
      bad+=(${failed[@]+"${failed[@]}"})
    fi
    for s in "${todo[@]}"; do
      if [[ " ${bad[*]-} " == *" $s "* ]]; then
        printf '%-9s FAILED   (logs: %s)\n' "$s" "$("${s}_logs" | tr '\n' ' ')"
      else
        printf '%-9s up       install %6s  start %6s  %s\n' "$s" \
          "$(cat "$LOG_DIR/.install-$s.time")" "$(cat "$LOG_DIR/.start-$s.time")" "$("${s}_describe")"
      fi
      rm -f "$LOG_DIR/.install-$s.time" "$LOG_DIR/.start-$s.time"
    done
  fi
  log "infra up: $(elapsed "$t_all") total (data in $INFRA_DIR)"
  if [ ${#bad[@]} -gt 0 ]; then
    err "infra up: NOT healthy: ${bad[*]}"
    return 1
  fi
}

cmd_down() {
  local i s t0
  for ((i = ${#servers[@]} - 1; i >= 0; i--)); do
    s="${servers[$i]}"
    t0="$(now)"
    if "${s}_running"; then
      "${s}_stop"
      printf '%-9s stopped in %s\n' "$s" "$(elapsed "$t0")"
    else
      "${s}_stop" >/dev/null 2>&1 || true
      printf '%-9s not running\n' "$s"
    fi
  done
}

cmd_status() {
  local s state rc=0
  for s in "${servers[@]}"; do
    if "${s}_healthy"; then
      state=healthy
      if declare -F "${s}_stale" >/dev/null && "${s}_stale"; then state="healthy (stale config: run up)"; fi
    elif "${s}_running"; then
      state="starting/unhealthy"; rc=1
    else
      state=down; rc=1
    fi
    printf '%-9s %-9s %s\n' "$s" "$state" "$("${s}_describe")"
  done
  return $rc
}

case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) err "unknown command '$cmd'"; usage ;;
esac
