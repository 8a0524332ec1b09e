# shellcheck shell=bash
# The HA MinIO of `infra/ctl.sh up --ha`: one erasure-coded deployment of four MinIO processes on loopback
# ports, one drive each (4 drives, EC:2 — any one node may be away: reads and writes go on, and the node
# is healed when it is back). Own ports and data dirs, beside the single MinIO (infra/minio/server.sh,
# whose binary it shares). Sourced by infra/ctl.sh.
#
# Node n (1..4) serves S3 on MINIO_HA_PORT+n-1 and its console on MINIO_HA_CONSOLE_PORT+n-1.
# The platform talks to node 1 (a Kubernetes Service would spread clients over the nodes);
# `minio_ha_stop_node n` / `minio_ha_start_node n` take one node away and bring it back (chaos tests).

MINIO_HA_NODES=4
MINIO_HA_PORT="${SMARTMFG_MINIO_HA_PORT:-59201}"
MINIO_HA_CONSOLE_PORT="${SMARTMFG_MINIO_HA_CONSOLE_PORT:-59211}"
MINIO_HA_TIMEOUT="${SMARTMFG_MINIO_HA_TIMEOUT:-120}"
MINIO_HA_DATA="$INFRA_DIR/minio-ha"

_minio_ha_node_port() { printf '%s' $((MINIO_HA_PORT + $1 - 1)); }
_minio_ha_drive() { printf '%s/%s' "$MINIO_HA_DATA" "$1"; }
_minio_ha_log() { printf '%s/minio-ha-%s.log' "$LOG_DIR" "$1"; }

minio_ha_port() { _minio_ha_node_port 1; }
minio_ha_logs() { local n; for n in $(seq 1 "$MINIO_HA_NODES"); do _minio_ha_log "$n"; echo; done; }
minio_ha_timeout() { printf '%s' "$MINIO_HA_TIMEOUT"; }
minio_ha_describe() {
  printf 'http://127.0.0.1:%s  (4 erasure-coded nodes :%s-:%s, %s/%s)' "$(_minio_ha_node_port 1)" \
    "$(_minio_ha_node_port 1)" "$(_minio_ha_node_port "$MINIO_HA_NODES")" "$MINIO_USER" "$MINIO_PASSWORD"
}

minio_ha_install() {
  with_lock "minio-$MINIO_VERSION" _minio_build || return 1
  local n
  for n in $(seq 1 "$MINIO_HA_NODES"); do mkdir -p "$(_minio_ha_drive "$n")"; done
}

minio_ha_node_running() { pid_alive "minio-ha-$1" "$(_minio_ha_drive "$1")" >/dev/null; }

minio_ha_running() {
  local n
  for n in $(seq 1 "$MINIO_HA_NODES"); do minio_ha_node_running "$n" || return 1; done
}

# Healthy = the cluster has read and write quorum (asked of node 1) and every node answers.
minio_ha_healthy() {
  local n
  http_ok "http://$HOST:$(_minio_ha_node_port 1)/minio/health/cluster" || return 1
  for n in $(seq 1 "$MINIO_HA_NODES"); do
    http_ok "http://$HOST:$(_minio_ha_node_port "$n")/minio/health/live" || return 1
  done
}

minio_ha_start_node() {
  minio_ha_node_running "$1" && return 0
  local n endpoints=()
  for n in $(seq 1 "$MINIO_HA_NODES"); do
    endpoints+=("http://$HOST:$(_minio_ha_node_port "$n")$(_minio_ha_drive "$n")")
  done
  # In a container (/.dockerenv) MinIO waits for loopback endpoints to resolve to another address, for
  # ever; _MINIO_SERVER_LOCAL names the endpoint that is this node, so it need not resolve anything.
  # MINIO_CI_CD: the four drives are directories of one disk (the root disk here), which a distributed
  # MinIO otherwise refuses to use.
  MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" MINIO_UPDATE=off \
  MINIO_BROWSER_REDIRECT=false _MINIO_SERVER_LOCAL="$HOST:$(_minio_ha_node_port "$1")" MINIO_CI_CD=1 \
    start_detached "minio-ha-$1" "$(_minio_ha_log "$1")" "$MINIO_BIN" server "${endpoints[@]}" \
      --address "$HOST:$(_minio_ha_node_port "$1")" \
      --console-address "$HOST:$((MINIO_HA_CONSOLE_PORT + $1 - 1))"
}

minio_ha_start() {
  local n
  for n in $(seq 1 "$MINIO_HA_NODES"); do minio_ha_start_node "$n" || return 1; done
}

minio_ha_stop_node() { stop_pid "minio-ha-$1" "$(_minio_ha_drive "$1")" 30; }

# All nodes at once: each stops on its own (nothing of the data needs a quorum on the way down), so the
# cluster is down in the time of the slowest node, not of the four in a row.
minio_ha_stop() {
  local n
  for n in $(seq 1 "$MINIO_HA_NODES"); do minio_ha_stop_node "$n" & done
  wait
}
