# shellcheck shell=bash
# Trino 476, one node (coordinator and worker in one JVM), from the io.trino:trino-server tarball on Maven
# Central. Its Iceberg connector reads the lake through the SAME JDBC catalog in PostgreSQL that pyiceberg
# writes (catalog name "smartmfg", catalog.lake.Lake) and the same MinIO bucket (Trino's native S3 file
# system). Sourced by infra/ctl.sh after the PostgreSQL and MinIO scripts, whose ports and credentials the
# Trino catalog is written from.
#
# The unpacked server is cached once per machine and used read-only; each infra dir has its own etc/ and
# data/ ($INFRA_DIR/trino). Only the Iceberg plugin is loaded (a plugin dir of one symlink): loading the
# seventy others would slow the start for nothing.

TRINO_VERSION="476"
TRINO_PORT="${SMARTMFG_TRINO_PORT:-58090}"
TRINO_HEAP="${SMARTMFG_TRINO_HEAP:-2G}"
TRINO_QUERY_MEMORY="${SMARTMFG_TRINO_QUERY_MEMORY:-1GB}"
TRINO_TIMEOUT="${SMARTMFG_TRINO_TIMEOUT:-300}"
# Trino 476 needs Java 24+; the machine's default java is 17.
TRINO_JAVA_HOME="${SMARTMFG_TRINO_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# The Trino catalog name the platform queries (settings.trino.catalog) and the pyiceberg catalog it reads.
TRINO_CATALOG="${SMARTMFG_TRINO_CATALOG:-lake}"
TRINO_LAKE_BUCKET="${SMARTMFG_LAKE_BUCKET:-smartmfg-lake}"
TRINO_DIST="$CACHE_DIR/trino-server-$TRINO_VERSION"
TRINO_HOME="$INFRA_DIR/trino"
TRINO_ETC="$TRINO_HOME/etc"
TRINO_LOG="$LOG_DIR/trino.log"

trino_port() { printf '%s' "$TRINO_PORT"; }
trino_logs() { printf '%s\n' "$TRINO_LOG" "$TRINO_HOME/data/var/log/server.log"; }
trino_timeout() { printf '%s' "$TRINO_TIMEOUT"; }
trino_describe() {
  printf 'http://127.0.0.1:%s  (catalog %s = JDBC catalog smartmfg on :%s, s3://%s on :%s; heap %s)' \
    "$TRINO_PORT" "$TRINO_CATALOG" "$PG_PORT" "$TRINO_LAKE_BUCKET" "$MINIO_PORT" "$TRINO_HEAP"
}

_trino_fetch() {
  [ -f "$TRINO_DIST/.complete" ] && return 0
  command -v mvn >/dev/null || { err "trino: mvn (Maven) is needed to fetch Trino"; return 1; }
  log "trino: fetching trino-server $TRINO_VERSION (821 MB) from Maven Central into $TRINO_DIST"
  local work
  work="$(mktemp -d "$CACHE_DIR/.trino-XXXXXX")"
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
          -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" -DoutputDirectory="$work") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"; err "trino: mvn dependency:copy failed"; return 1
  fi
  mkdir -p "$work/x"
  tar -xzf "$work/trino-server-$TRINO_VERSION.tar.gz" -C "$work/x" \
    || { rm -rf "$work"; err "trino: could not unpack the tarball"; return 1; }
  touch "$work/x/trino-server-$TRINO_VERSION/.complete"
  rm -rf "$TRINO_DIST"
  mv "$work/x/trino-server-$TRINO_VERSION" "$TRINO_DIST"
  rm -rf "$work"
}

# The configuration, written from the other servers' settings on every `up` (a change restarts Trino).
_trino_write_etc() {
  local dir="$1"
  mkdir -p "$dir/catalog"
  cat >"$dir/node.properties" <<EOF
node.environment=smartmfg
node.id=smartmfg-trino-1
node.data-dir=$TRINO_HOME/data
node.internal-address=$HOST
node.bind-ip=$HOST
EOF
  cat >"$dir/jvm.config" <<EOF
-server
-Xmx$TRINO_HEAP
-XX:+UseG1GC
-XX:+ExitOnOutOfMemoryError
-XX:+HeapDumpOnOutOfMemoryError
-XX:HeapDumpPath=$TRINO_HOME/data
-XX:ReservedCodeCacheSize=256M
-Djdk.attach.allowAttachSelf=true
-Duser.timezone=UTC
-Dfile.encoding=UTF-8
EOF
  cat >"$dir/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$TRINO_PORT
discovery.uri=http://$HOST:$TRINO_PORT
plugin.dir=$TRINO_HOME/plugin
query.max-memory=$TRINO_QUERY_MEMORY
query.max-memory-per-node=$TRINO_QUERY_MEMORY
EOF
  cat >"$dir/log.properties" <<EOF
io.trino=INFO
EOF
  # catalog.lake.Lake opens SqlCatalog("smartmfg", ...): the catalog_name column of pyiceberg's rows.
  cat >"$dir/catalog/$TRINO_CATALOG.properties" <<EOF
connector.name=iceberg
iceberg.catalog.type=jdbc
iceberg.jdbc-catalog.catalog-name=smartmfg
iceberg.jdbc-catalog.driver-class=org.postgresql.Driver
iceberg.jdbc-catalog.connection-url=jdbc:postgresql://$HOST:$PG_PORT/$PG_DB
iceberg.jdbc-catalog.connection-user=$PG_USER
iceberg.jdbc-catalog.connection-password=$PG_PASSWORD
iceberg.jdbc-catalog.default-warehouse-dir=s3://$TRINO_LAKE_BUCKET/warehouse
fs.native-s3.enabled=true
s3.endpoint=http://$HOST:$MINIO_PORT
s3.path-style-access=true
s3.aws-access-key=$MINIO_USER
s3.aws-secret-key=$MINIO_PASSWORD
s3.region=us-east-1
EOF
}

_trino_etc_sha() { (cd "$1" && find . -type f | sort | xargs cat) | sha1sum | cut -c1-40; }

trino_install() {
  [ -x "$TRINO_JAVA_HOME/bin/java" ] || {
    err "trino: Trino $TRINO_VERSION needs Java 24+: no java in $TRINO_JAVA_HOME (set SMARTMFG_TRINO_JAVA_HOME)"
    return 1
  }
  with_lock "trino-$TRINO_VERSION" _trino_fetch || return 1
  mkdir -p "$TRINO_HOME/data" "$TRINO_HOME/plugin"
  ln -sfn "$TRINO_DIST/plugin/iceberg" "$TRINO_HOME/plugin/iceberg"
  # A running server keeps the etc/ it started with (trino_stale compares); a new one starts on this one.
  trino_running || { rm -rf "$TRINO_ETC" && _trino_write_etc "$TRINO_ETC"; }
}

trino_running() { pid_alive trino "$TRINO_ETC" >/dev/null; }

# Healthy = the server has finished starting (it answers /v1/info with "starting":true before).
trino_healthy() {
  curl -fsS --max-time 3 "http://$HOST:$TRINO_PORT/v1/info" 2>/dev/null | grep -q '"starting" *: *false'
}

# True when the running server's configuration differs from what `up` would write now.
trino_stale() {
  [ -d "$TRINO_ETC" ] || return 1
  local fresh
  fresh="$(mktemp -d)"
  _trino_write_etc "$fresh"
  [ "$(_trino_etc_sha "$fresh")" != "$(_trino_etc_sha "$TRINO_ETC")" ]
  local rc=$?
  rm -rf "$fresh"
  return $rc
}

trino_start() {
  JAVA_HOME="$TRINO_JAVA_HOME" PATH="$TRINO_JAVA_HOME/bin:$PATH" \
    start_detached trino "$TRINO_LOG" "$TRINO_DIST/bin/launcher" run \
      --etc-dir="$TRINO_ETC" --data-dir="$TRINO_HOME/data"
}

trino_post_start() { :; }

trino_stop() { stop_pid trino "$TRINO_ETC" 60; }
