# shellcheck shell=bash
# PostgreSQL 15: a private cluster (data outside the system cluster), run as the `postgres` user when
# ctl.sh runs as root. Sourced by infra/ctl.sh.

PG_PORT="${SMARTMFG_PG_PORT:-55432}"
PG_USER="smartmfg"
PG_PASSWORD="smartmfg"
PG_DB="smartmfg"
PG_TIMEOUT="${SMARTMFG_PG_TIMEOUT:-60}"
PG_LOG="$LOG_DIR/postgres.log"

pg_bin() {
  local d=/usr/lib/postgresql/15/bin
  [ -x "$d/pg_ctl" ] || return 1
  printf '%s' "$d"
}

# Where the cluster lives. Normally $INFRA_DIR/pg (owned by postgres). When the postgres user cannot
# traverse the path to $INFRA_DIR (a checkout under /root, mode 700), the cluster lives in
# /var/tmp/smartmfg-pg-<hash of INFRA_DIR> and $INFRA_DIR/pg is a symlink to it.
pg_root() {
  local link="$INFRA_DIR/pg"
  if [ -L "$link" ]; then readlink -f "$link"; return 0; fi
  if [ -d "$link" ]; then printf '%s' "$link"; return 0; fi
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$INFRA_DIR" 2>/dev/null; then
    mkdir -p "$link"
    printf '%s' "$link"
  else
    local alt
    alt="/var/tmp/smartmfg-pg-$(printf '%s' "$INFRA_DIR" | sha1sum | cut -c1-12)"
    mkdir -p "$alt"
    ln -sfn "$alt" "$link"
    printf '%s' "$alt"
  fi
}

pg_port() { printf '%s' "$PG_PORT"; }
pg_logs() { printf '%s\n' "$PG_LOG"; }
pg_timeout() { printf '%s' "$PG_TIMEOUT"; }
pg_describe() { printf '127.0.0.1:%s  db %s user %s/%s' "$PG_PORT" "$PG_DB" "$PG_USER" "$PG_PASSWORD"; }

pg_psql() {  # as the cluster's superuser, over TCP (trust on 127.0.0.1)
  "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_install() {
  if ! pg_bin >/dev/null; then
    [ "$(id -u)" = 0 ] || { err "pg: PostgreSQL 15 is missing and installing it needs root (apt-get install postgresql)"; return 1; }
    log "pg: installing PostgreSQL 15 with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin >/dev/null || { err "pg: apt-get did not provide /usr/lib/postgresql/15/bin"; return 1; }
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    err "pg: running as root needs the 'postgres' user (created by the postgresql package)"; return 1
  fi
  local root
  root="$(pg_root)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$root"
  chmod 700 "$root"
  if [ ! -s "$root/data/PG_VERSION" ]; then
    log "pg: initdb in $root/data"
    rm -rf "$root/data"
    as_postgres "$(pg_bin)/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1 \
      || { tail_logs "$PG_LOG"; return 1; }
  fi
  touch "$PG_LOG"
}

pg_running() {
  local root
  root="$(pg_root)"
  [ -s "$root/data/postmaster.pid" ] && as_postgres "$(pg_bin)/pg_ctl" -D "$root/data" status >/dev/null 2>&1
}

pg_healthy() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$(pg_bin)/psql" -X -q -tA -h "$HOST" -p "$PG_PORT" \
    -U "$PG_USER" -d "$PG_DB" -c 'select 1' 2>/dev/null | grep -qx 1
}

pg_start() {
  local root
  root="$(pg_root)"
  # The log file is opened here (by the caller) and inherited by the server: it may live where the
  # postgres user cannot write. No unix socket: clients use TCP on 127.0.0.1.
  as_postgres "$(pg_bin)/pg_ctl" -D "$root/data" -w -t "$PG_TIMEOUT" \
    -o "-c listen_addresses=$HOST -p $PG_PORT -c unix_socket_directories='' -c max_connections=200" \
    start >>"$PG_LOG" 2>&1 </dev/null
}

# After the server accepts connections: the application role and database (idempotent).
pg_post_start() {
  pg_psql >>"$PG_LOG" 2>&1 <<SQL || return 1
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
  if [ -z "$(pg_psql -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]; then
    pg_psql -c "CREATE DATABASE $PG_DB OWNER $PG_USER" >>"$PG_LOG" 2>&1 || return 1
  fi
}

pg_stop() {
  local root
  root="$(pg_root)"
  [ -s "$root/data/postmaster.pid" ] || return 0
  as_postgres "$(pg_bin)/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >>"$PG_LOG" 2>&1 || true
}
