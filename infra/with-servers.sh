#!/usr/bin/env bash
# Run a command with the real servers up; stop afterwards only the servers this script started.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
servers=(pg kafka minio keycloak trino)
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
if ! bash "$here/ctl.sh" up; then
  echo "with-servers: the real servers did not come up; see .infra/logs/" >&2
  exit 1
fi
"$@"
rc=$?
to_stop=()
for s in "${servers[@]}"; do
  [[ " ${was_running[*]-} " == *" $s "* ]] || to_stop+=("$s")
done
if [ ${#to_stop[@]} -gt 0 ]; then
  bash "$here/ctl.sh" down "${to_stop[@]}" || true
fi
exit $rc
