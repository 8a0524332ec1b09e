# shellcheck shell=bash
# Apache Kafka 4.1.1, single node in KRaft mode, from the jars on Maven Central (no tarball).
# Sourced by infra/ctl.sh.

KAFKA_VERSION="4.1.1"
KAFKA_PORT="${SMARTMFG_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${SMARTMFG_KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_TIMEOUT="${SMARTMFG_KAFKA_TIMEOUT:-120}"
KAFKA_HEAP="${SMARTMFG_KAFKA_HEAP:--Xmx1g}"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_HOME="$INFRA_DIR/kafka"
KAFKA_LOG="$LOG_DIR/kafka.log"   # log4j2 (infra/kafka/log4j2.xml)
KAFKA_OUT="$LOG_DIR/kafka.out"   # the JVM's stdout/stderr

kafka_port() { printf '%s' "$KAFKA_PORT"; }
kafka_logs() { printf '%s\n' "$KAFKA_LOG" "$KAFKA_OUT"; }
kafka_timeout() { printf '%s' "$KAFKA_TIMEOUT"; }
kafka_describe() { printf '127.0.0.1:%s  (controller 127.0.0.1:%s)' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; }

# Kafka's command-line tools (StorageTool): runs of a second, where the JIT's optimising compiler and a
# parallel collector only cost CPU.
kafka_java() {
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$INFRA_SRC/kafka/log4j2.xml" \
    -Dkafka.logs.dir="$LOG_DIR" "$@"
}

_kafka_fetch_jars() {
  [ -f "$KAFKA_LIBS/.complete" ] && return 0
  command -v mvn >/dev/null || { err "kafka: mvn (Maven) is needed to fetch the Kafka jars"; return 1; }
  command -v java >/dev/null || { err "kafka: java (17+) is needed"; return 1; }
  log "kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  local work
  work="$(mktemp -d "$CACHE_DIR/.kafka-XXXXXX")"
  # mvn runs on a copy of the pom so that nothing (target/) is written into the checkout.
  cp "$INFRA_SRC/kafka/pom.xml" "$work/pom.xml"
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$work/libs") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"; err "kafka: mvn dependency:copy-dependencies failed"; return 1
  fi
  touch "$work/libs/.complete"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  mv "$work/libs" "$KAFKA_LIBS"
  rm -rf "$work"
}

kafka_install() {
  with_lock kafka-"$KAFKA_VERSION" _kafka_fetch_jars || return 1
  mkdir -p "$KAFKA_HOME/data"
  sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_HOME/data|g" \
      "$INFRA_SRC/kafka/server.properties.template" >"$KAFKA_HOME/server.properties"
  if [ ! -f "$KAFKA_HOME/data/meta.properties" ]; then
    local id
    id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_OUT" | tail -n 1)"
    log "kafka: formatting storage (cluster id $id)"
    kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_HOME/server.properties" \
      >>"$KAFKA_OUT" 2>&1 || { tail_logs "$KAFKA_OUT"; return 1; }
  fi
}

kafka_running() { pid_alive kafka "$KAFKA_HOME/server.properties" >/dev/null; }

# Ready = the broker answers a Kafka request. With kafka-python at hand: an admin list_topics();
# otherwise a raw ApiVersions request (stdlib only); without python3: the TCP port.
kafka_healthy() {
  port_open "$KAFKA_PORT" || return 1
  local py="${SMARTMFG_INFRA_PYTHON:-}"
  if [ -z "$py" ]; then
    for py in "$REPO_ROOT/.venv/bin/python" python3 ""; do
      [ -z "$py" ] && break
      command -v "$py" >/dev/null 2>&1 && break
    done
  fi
  [ -n "$py" ] || return 0
  timeout 15 "$py" - "$HOST" "$KAFKA_PORT" <<'PY' >/dev/null 2>&1
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    from kafka import KafkaAdminClient
except ImportError:
    KafkaAdminClient = None
if KafkaAdminClient is not None:
    admin = KafkaAdminClient(bootstrap_servers=f"{host}:{port}", request_timeout_ms=5000)
    admin.list_topics()
    admin.close()
    sys.exit(0)
client = b"smartmfg-infra"
body = struct.pack(">hhih", 18, 0, 7, len(client)) + client  # ApiVersions v0, correlation id 7
with socket.create_connection((host, port), timeout=5) as s:
    s.sendall(struct.pack(">i", len(body)) + body)
    head = b""
    while len(head) < 10:
        chunk = s.recv(10 - len(head))
        if not chunk:
            sys.exit(1)
        head += chunk
size, corr, error = struct.unpack(">iih", head)
sys.exit(0 if corr == 7 and error == 0 else 1)
PY
}

kafka_start() {
  # shellcheck disable=SC2086  # SMARTMFG_KAFKA_HEAP may hold several JVM options
  start_detached kafka "$KAFKA_OUT" java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$INFRA_SRC/kafka/log4j2.xml" \
    -Dkafka.logs.dir="$LOG_DIR" kafka.Kafka "$KAFKA_HOME/server.properties"
}

kafka_post_start() { :; }

kafka_stop() { stop_pid kafka "$KAFKA_HOME/server.properties" 60; }
