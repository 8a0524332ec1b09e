# shellcheck shell=bash
# The HA Kafka cluster of `infra/ctl.sh up --ha`: three KRaft nodes (broker + controller each) on their own
# ports and data dirs, beside the single-node Kafka (infra/kafka/server.sh, whose jars it shares).
# Topics made by the platform there get replication factor 3 and min.insync.replicas 2
# (SMARTMFG_BUS_REPLICATION_FACTOR=3, SMARTMFG_BUS_MIN_INSYNC_REPLICAS=2). Sourced by infra/ctl.sh.
#
# Node n (1..3) listens on KAFKA_HA_PORT+n-1 and its controller on KAFKA_HA_CONTROLLER_PORT+n-1.
# `kafka_ha_stop_node n` / `kafka_ha_start_node n` take one node away and bring it back (chaos tests).

KAFKA_HA_NODES=3
KAFKA_HA_PORT="${SMARTMFG_KAFKA_HA_PORT:-59101}"
KAFKA_HA_CONTROLLER_PORT="${SMARTMFG_KAFKA_HA_CONTROLLER_PORT:-59111}"
KAFKA_HA_HEAP="${SMARTMFG_KAFKA_HA_HEAP:--Xmx512m -Xms256m}"
KAFKA_HA_TIMEOUT="${SMARTMFG_KAFKA_HA_TIMEOUT:-180}"
KAFKA_HA_HOME="$INFRA_DIR/kafka-ha"

_kafka_ha_node_port() { printf '%s' $((KAFKA_HA_PORT + $1 - 1)); }
_kafka_ha_props() { printf '%s/%s/server.properties' "$KAFKA_HA_HOME" "$1"; }
_kafka_ha_out() { printf '%s/kafka-ha-%s.out' "$LOG_DIR" "$1"; }

kafka_ha_bootstrap() {
  local n out=()
  for n in $(seq 1 "$KAFKA_HA_NODES"); do out+=("$HOST:$(_kafka_ha_node_port "$n")"); done
  (IFS=,; printf '%s' "${out[*]}")
}

kafka_ha_port() { _kafka_ha_node_port 1; }
kafka_ha_logs() { local n; for n in $(seq 1 "$KAFKA_HA_NODES"); do _kafka_ha_out "$n"; echo; done; }
kafka_ha_timeout() { printf '%s' "$KAFKA_HA_TIMEOUT"; }
kafka_ha_describe() { printf '%s  (3 KRaft nodes, RF 3, min ISR 2)' "$(kafka_ha_bootstrap)"; }

kafka_ha_install() {
  with_lock kafka-"$KAFKA_VERSION" _kafka_fetch_jars || return 1
  local n voters=() id
  for n in $(seq 1 "$KAFKA_HA_NODES"); do voters+=("$n@$HOST:$((KAFKA_HA_CONTROLLER_PORT + n - 1))"); done
  id=""
  [ -f "$KAFKA_HA_HOME/cluster.id" ] && id="$(cat "$KAFKA_HA_HOME/cluster.id")"
  if [ -z "$id" ]; then
    mkdir -p "$KAFKA_HA_HOME"
    id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$(_kafka_ha_out 1)" | tail -n 1)"
    printf '%s' "$id" >"$KAFKA_HA_HOME/cluster.id"
  fi
  for n in $(seq 1 "$KAFKA_HA_NODES"); do
    mkdir -p "$KAFKA_HA_HOME/$n/data"
    sed -e "s|@NODE_ID@|$n|g" -e "s|@PORT@|$(_kafka_ha_node_port "$n")|g" \
        -e "s|@CONTROLLER_PORT@|$((KAFKA_HA_CONTROLLER_PORT + n - 1))|g" \
        -e "s|@VOTERS@|$(IFS=,; printf '%s' "${voters[*]}")|g" -e "s|@DATA_DIR@|$KAFKA_HA_HOME/$n/data|g" \
        "$INFRA_SRC/kafka/ha.properties.template" >"$(_kafka_ha_props "$n")"
    if [ ! -f "$KAFKA_HA_HOME/$n/data/meta.properties" ]; then
      log "kafka-ha: formatting node $n (cluster id $id)"
      kafka_java kafka.tools.StorageTool format -t "$id" -c "$(_kafka_ha_props "$n")" \
        >>"$(_kafka_ha_out "$n")" 2>&1 || { tail_logs "$(_kafka_ha_out "$n")"; return 1; }
    fi
  done
}

kafka_ha_node_running() { pid_alive "kafka-ha-$1" "$(_kafka_ha_props "$1")" >/dev/null; }

kafka_ha_running() {
  local n
  for n in $(seq 1 "$KAFKA_HA_NODES"); do kafka_ha_node_running "$n" || return 1; done
}

# Healthy = every node answers and the cluster sees all three brokers.
kafka_ha_healthy() {
  local n
  for n in $(seq 1 "$KAFKA_HA_NODES"); do port_open "$(_kafka_ha_node_port "$n")" || return 1; done
  timeout 20 "$REPO_ROOT/.venv/bin/python" - "$(kafka_ha_bootstrap)" "$KAFKA_HA_NODES" <<'PY' >/dev/null 2>&1
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
brokers = admin.describe_cluster()["brokers"]
admin.close()
sys.exit(0 if len(brokers) == int(sys.argv[2]) else 1)
PY
}

kafka_ha_start_node() {
  kafka_ha_node_running "$1" && return 0
  # shellcheck disable=SC2086  # KAFKA_HA_HEAP holds several JVM options
  start_detached "kafka-ha-$1" "$(_kafka_ha_out "$1")" java $KAFKA_HA_HEAP -XX:+UseG1GC \
    -Djava.awt.headless=true -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$INFRA_SRC/kafka/log4j2.xml" \
    -Dkafka.logs.dir="$LOG_DIR/kafka-ha-$1" kafka.Kafka "$(_kafka_ha_props "$1")"
}

kafka_ha_start() {
  local n
  for n in $(seq 1 "$KAFKA_HA_NODES"); do kafka_ha_start_node "$n" || return 1; done
}

kafka_ha_stop_node() { stop_pid "kafka-ha-$1" "$(_kafka_ha_props "$1")" 60; }

# All nodes at once: one by one, the last broker's controlled shutdown waits for a quorum that is gone.
kafka_ha_stop() {
  local n
  for n in $(seq 1 "$KAFKA_HA_NODES"); do kafka_ha_stop_node "$n" & done
  wait
}
