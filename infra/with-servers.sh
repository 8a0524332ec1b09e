#!/usr/bin/env bash
# Run a command with the real servers up; stop afterwards only the servers this script started.
#
#   infra/with-servers.sh [--late SERVER,...] COMMAND...
#
# --late (make test: keycloak,trino, the better part of a minute to start): COMMAND starts once the other
# servers are healthy, while these finish starting beside it. It learns which in SMARTMFG_SERVERS_STARTING,
# and finds each one's `ctl.sh up` exit status, once it ends, in $SMARTMFG_SERVERS_STARTING_DIR/SERVER.rc (its
# output in SERVER.log): the tests wait for a starting server when they reach it (tests/servers_starting.py).
# Without --late COMMAND starts when every server is healthy (make bench measures them).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
servers=(pg kafka minio keycloak trino)
late=()
if [ "${1-}" = --late ]; then
  IFS=, read -ra late <<<"${2-}"
  shift 2 || { echo "with-servers: --late needs a list of servers" >&2; exit 2; }
fi
first=()
for s in "${servers[@]}"; do
  [[ " ${late[*]-} " == *" $s "* ]] || first+=("$s")
done
was_running=()
for s in "${servers[@]}"; do
  if bash "$here/ctl.sh" status "$s" >/dev/null 2>&1; then was_running+=("$s"); fi
done
# helm (for the chart tests) builds from its Go module on first use: start it while the servers come up.
mkdir -p "$here/../.infra/logs"
bash "$here/helm.sh" version >"$here/../.infra/logs/helm-build.log" 2>&1 &
if ! bash "$here/os-packages.sh"; then
  echo "with-servers: could not install the Debian packages of infra/os-packages.txt" >&2
  exit 1
fi
starting=()
if [ ${#late[@]} -gt 0 ]; then
  logs="${SMARTMFG_INFRA_DIR:-$here/../.infra}/logs"
  mkdir -p "$logs"
  status_dir="$(mktemp -d "$logs/starting.XXXXXX")"
  for s in "${late[@]}"; do
    # Written aside and renamed: a test reading it sees no status or the whole one.
    { bash "$here/ctl.sh" up "$s" >"$status_dir/$s.log" 2>&1; echo $? >"$status_dir/$s.rc.part"
      mv "$status_dir/$s.rc.part" "$status_dir/$s.rc"; } &
    starting+=($!)
  done
  export SMARTMFG_SERVERS_STARTING="${late[*]}" SMARTMFG_SERVERS_STARTING_DIR="$status_dir"
fi
if ! bash "$here/ctl.sh" up "${first[@]}"; then
  echo "with-servers: the real servers did not come up; see .infra/logs/" >&2
  [ ${#starting[@]} -eq 0 ] || { wait "${starting[@]}"; rm -rf "$status_dir"; }
  exit 1
fi
"$@"
rc=$?
for s in "${late[@]}"; do
  wait "${starting[0]}"
  starting=("${starting[@]:1}")
  if [ "$(cat "$status_dir/$s.rc")" = 0 ]; then
    cat "$status_dir/$s.log"
  else
    echo "with-servers: $s did not come up:" >&2
    cat "$status_dir/$s.log" >&2
    [ $rc -ne 0 ] || rc=1
  fi
done
[ ${#late[@]} -eq 0 ] || rm -rf "$status_dir"
to_stop=()
for s in "${servers[@]}"; do
  [[ " ${was_running[*]-} " == *" $s "* ]] || to_stop+=("$s")
done
if [ ${#to_stop[@]} -gt 0 ]; then
  bash "$here/ctl.sh" down "${to_stop[@]}" || true
fi
exit $rc
