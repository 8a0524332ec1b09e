# shellcheck shell=bash
# Keycloak 26.4.7 (Quarkus distribution from Maven Central), dev mode with its file database, realm
# `smartmfg` imported from infra/keycloak/realm.json. Sourced by infra/ctl.sh.
#
# The unzipped distribution is cached once per machine; each infra dir gets its own copy of it
# (Keycloak writes its build, H2 database, tmp files and the import dir inside its home), so two
# checkouts never share state.

KEYCLOAK_VERSION="26.4.7"
KEYCLOAK_PORT="${SMARTMFG_KEYCLOAK_PORT:-58080}"
KEYCLOAK_ADMIN_USER="${SMARTMFG_KEYCLOAK_ADMIN:-admin}"
KEYCLOAK_ADMIN_PASS="${SMARTMFG_KEYCLOAK_ADMIN_PASSWORD:-admin}"
KEYCLOAK_TIMEOUT="${SMARTMFG_KEYCLOAK_TIMEOUT:-180}"
KEYCLOAK_DIST="$CACHE_DIR/keycloak-$KEYCLOAK_VERSION"
KEYCLOAK_HOME="$INFRA_DIR/keycloak/keycloak-$KEYCLOAK_VERSION"
KEYCLOAK_REALM="$INFRA_SRC/keycloak/realm.json"
KEYCLOAK_LOG="$LOG_DIR/keycloak.log"

keycloak_port() { printf '%s' "$KEYCLOAK_PORT"; }
keycloak_logs() { printf '%s\n' "$KEYCLOAK_LOG"; }
keycloak_timeout() { printf '%s' "$KEYCLOAK_TIMEOUT"; }
keycloak_describe() { printf 'http://127.0.0.1:%s  (realm smartmfg, admin %s/%s)' "$KEYCLOAK_PORT" "$KEYCLOAK_ADMIN_USER" "$KEYCLOAK_ADMIN_PASS"; }

_keycloak_fetch() {
  [ -f "$KEYCLOAK_DIST/.complete" ] && return 0
  command -v mvn >/dev/null || { err "keycloak: mvn (Maven) is needed to fetch Keycloak"; return 1; }
  command -v unzip >/dev/null || { err "keycloak: unzip is needed (apt-get install unzip)"; return 1; }
  log "keycloak: fetching keycloak-quarkus-dist $KEYCLOAK_VERSION from Maven Central into $KEYCLOAK_DIST"
  local work
  work="$(mktemp -d "$CACHE_DIR/.keycloak-XXXXXX")"
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
          -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" -DoutputDirectory="$work") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"; err "keycloak: mvn dependency:copy failed"; return 1
  fi
  unzip -q "$work/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" -d "$work/x" \
    || { rm -rf "$work"; err "keycloak: unzip failed"; return 1; }
  touch "$work/x/keycloak-$KEYCLOAK_VERSION/.complete"
  rm -rf "$KEYCLOAK_DIST"
  mv "$work/x/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_DIST"
  rm -rf "$work"
}

keycloak_install() {
  with_lock "keycloak-$KEYCLOAK_VERSION" _keycloak_fetch || return 1
  if [ ! -f "$KEYCLOAK_HOME/.complete" ]; then
    rm -rf "$KEYCLOAK_HOME.tmp"
    mkdir -p "$(dirname "$KEYCLOAK_HOME")"
    cp -a "$KEYCLOAK_DIST" "$KEYCLOAK_HOME.tmp"
    rm -rf "$KEYCLOAK_HOME"
    mv "$KEYCLOAK_HOME.tmp" "$KEYCLOAK_HOME"
  fi
}

_keycloak_realm_sha() { sha1sum "$KEYCLOAK_REALM" | cut -c1-40; }

keycloak_running() { pid_alive keycloak "$KEYCLOAK_HOME" >/dev/null; }

keycloak_healthy() {
  http_ok "http://$HOST:$KEYCLOAK_PORT/realms/smartmfg/.well-known/openid-configuration"
}

# True when the running Keycloak was started with another realm.json than the one in the checkout.
keycloak_stale() {
  [ -f "$KEYCLOAK_HOME/data/.realm.sha1" ] && [ "$(cat "$KEYCLOAK_HOME/data/.realm.sha1")" != "$(_keycloak_realm_sha)" ]
}

keycloak_start() {
  mkdir -p "$KEYCLOAK_HOME/data/import"
  if keycloak_stale; then
    # --import-realm skips a realm that exists: start from an empty database to re-import it.
    log "keycloak: realm.json changed since the last import: dropping the dev database to re-import it"
    rm -rf "$KEYCLOAK_HOME/data/h2"
  fi
  cp "$KEYCLOAK_REALM" "$KEYCLOAK_HOME/data/import/smartmfg-realm.json"
  _keycloak_realm_sha >"$KEYCLOAK_HOME/data/.realm.sha1"
  KC_BOOTSTRAP_ADMIN_USERNAME="$KEYCLOAK_ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASS" \
    start_detached keycloak "$KEYCLOAK_LOG" "$KEYCLOAK_HOME/bin/kc.sh" start-dev --import-realm \
      --http-host="$HOST" --http-port="$KEYCLOAK_PORT" --hostname="http://$HOST:$KEYCLOAK_PORT" \
      --health-enabled=false --metrics-enabled=false
}

keycloak_post_start() { :; }

keycloak_stop() { stop_pid keycloak "$KEYCLOAK_HOME" 30; }
