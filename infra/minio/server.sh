# shellcheck shell=bash
# MinIO built from source with `go install` (the Go module proxy serves it; no binary download).
# Sourced by infra/ctl.sh.

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_PORT="${SMARTMFG_MINIO_PORT:-59000}"
MINIO_CONSOLE_PORT="${SMARTMFG_MINIO_CONSOLE_PORT:-59001}"
MINIO_USER="${SMARTMFG_MINIO_ROOT_USER:-smartmfg}"
MINIO_PASSWORD="${SMARTMFG_MINIO_ROOT_PASSWORD:-smartmfg-minio-secret}"
MINIO_TIMEOUT="${SMARTMFG_MINIO_TIMEOUT:-60}"
MINIO_BIN_DIR="$CACHE_DIR/minio-$MINIO_VERSION"
MINIO_BIN="$MINIO_BIN_DIR/minio"
MINIO_DATA="$INFRA_DIR/minio"
MINIO_LOG="$LOG_DIR/minio.log"

minio_port() { printf '%s' "$MINIO_PORT"; }
minio_logs() { printf '%s\n' "$MINIO_LOG"; }
minio_timeout() { printf '%s' "$MINIO_TIMEOUT"; }
minio_describe() { printf 'http://127.0.0.1:%s  (console :%s, %s/%s)' "$MINIO_PORT" "$MINIO_CONSOLE_PORT" "$MINIO_USER" "$MINIO_PASSWORD"; }

_minio_build() {
  [ -x "$MINIO_BIN" ] && return 0
  command -v go >/dev/null || { err "minio: the Go toolchain (go) is needed to build MinIO"; return 1; }
  log "minio: building MinIO $MINIO_VERSION with go install (first time only, a few minutes)"
  local work t0
  t0="$(now)"
  work="$(mktemp -d "$CACHE_DIR/.minio-XXXXXX")"
  # Outside any module (cd to the empty work dir); Go's own module and build caches are reused.
  if ! (cd "$work" && GOBIN="$work/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 \
          go install "github.com/minio/minio@$MINIO_VERSION") >"$work/build.log" 2>&1; then
    err "minio: go install failed:"; tail -n 40 "$work/build.log" >&2; rm -rf "$work"; return 1
  fi
  mkdir -p "$MINIO_BIN_DIR"
  mv "$work/bin/minio" "$MINIO_BIN.tmp.$$" && mv "$MINIO_BIN.tmp.$$" "$MINIO_BIN"
  rm -rf "$work"
  log "minio: built $MINIO_BIN in $(elapsed "$t0")"
}

minio_install() {
  with_lock "minio-$MINIO_VERSION" _minio_build || return 1
  mkdir -p "$MINIO_DATA"
}

minio_running() { pid_alive minio "$MINIO_DATA" >/dev/null; }

minio_healthy() { http_ok "http://$HOST:$MINIO_PORT/minio/health/ready"; }

minio_start() {
  MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" MINIO_UPDATE=off \
  MINIO_BROWSER_REDIRECT=false \
    start_detached minio "$MINIO_LOG" "$MINIO_BIN" server "$MINIO_DATA" \
      --address "$HOST:$MINIO_PORT" --console-address "$HOST:$MINIO_CONSOLE_PORT"
}

minio_post_start() { :; }

minio_stop() { stop_pid minio "$MINIO_DATA" 30; }
