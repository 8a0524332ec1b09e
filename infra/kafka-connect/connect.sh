#!/usr/bin/env bash
# The benchmark's peer: a Kafka Connect 4.1.1 standalone worker (the broker's version) with Apache Iceberg's
# sink connector, writing to the same broker, the same MinIO and the same JDBC catalog in PostgreSQL as
# the platform. Not a server of ctl.sh: bench/peer_bench.py starts and stops one worker per run.
#
#   bash infra/kafka-connect/connect.sh libs    fetch the jars once (Maven Central), print their directory
#   bash infra/kafka-connect/connect.sh run WORKER_PROPERTIES SINK_PROPERTIES LOG_DIR
#                                               run a standalone worker in the foreground (exec java)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/lib.sh
. "$here/../lib.sh"

CONNECT_KAFKA_VERSION="4.1.1"
CONNECT_ICEBERG_VERSION="1.10.1"
CONNECT_HEAP="${SMARTMFG_CONNECT_HEAP:--Xmx1g}"
CONNECT_LIBS="$CACHE_DIR/kafka-connect-$CONNECT_KAFKA_VERSION-iceberg-$CONNECT_ICEBERG_VERSION/libs"

_connect_fetch_jars() {
  [ -f "$CONNECT_LIBS/.complete" ] && return 0
  command -v mvn >/dev/null || { err "kafka-connect: mvn (Maven) is needed to fetch the jars"; return 1; }
  command -v java >/dev/null || { err "kafka-connect: java (17+) is needed"; return 1; }
  log "kafka-connect: fetching Kafka Connect $CONNECT_KAFKA_VERSION + Iceberg sink $CONNECT_ICEBERG_VERSION jars into $CONNECT_LIBS" >&2
  local work
  work="$(mktemp -d "$CACHE_DIR/.kafka-connect-XXXXXX")"
  # mvn runs on a copy of the pom so that nothing (target/) is written into the checkout.
  cp "$INFRA_SRC/kafka-connect/pom.xml" "$work/pom.xml"
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never -Dkafka.version="$CONNECT_KAFKA_VERSION" \
          -Diceberg.version="$CONNECT_ICEBERG_VERSION" dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$work/libs") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"; err "kafka-connect: mvn dependency:copy-dependencies failed"; return 1
  fi
  touch "$work/libs/.complete"
  rm -rf "$CONNECT_LIBS"
  mkdir -p "$(dirname "$CONNECT_LIBS")"
  mv "$work/libs" "$CONNECT_LIBS"
  rm -rf "$work"
}

connect_install() { with_lock "kafka-connect-$CONNECT_KAFKA_VERSION-iceberg-$CONNECT_ICEBERG_VERSION" _connect_fetch_jars; }

connect_run() {
  local worker="$1" sink="$2" logs="$3"
  connect_install
  mkdir -p "$logs"
  # shellcheck disable=SC2086  # SMARTMFG_CONNECT_HEAP may hold several JVM options
  exec java $CONNECT_HEAP -XX:+UseG1GC -Djava.awt.headless=true -cp "$CONNECT_LIBS/*" \
    -Dlog4j2.configurationFile="$INFRA_SRC/kafka-connect/log4j2.xml" -Dconnect.logs.dir="$logs" \
    org.apache.kafka.connect.cli.ConnectStandalone "$worker" "$sink"
}

case "${1:-}" in
  libs) connect_install && printf '%s\n' "$CONNECT_LIBS" ;;
  run) [ $# -eq 4 ] || { sed -n '6,8p' "$0" >&2; exit 2; }; connect_run "$2" "$3" "$4" ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
