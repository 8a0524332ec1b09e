#!/usr/bin/env bash
# helm, built once from its Go module (the Go module proxy serves it; no binary download), then run:
#   bash infra/helm.sh lint helm/smartmfg
set -euo pipefail
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELM_VERSION="v3.22.0"
HELM_BIN="$CACHE_DIR/helm-$HELM_VERSION/helm"

_helm_build() {
  [ -x "$HELM_BIN" ] && return 0
  command -v go >/dev/null || { err "helm: the Go toolchain (go) is needed to build helm"; return 1; }
  log "helm: building helm $HELM_VERSION with go install (first time only)" >&2
  local work t0
  t0="$(now)"
  work="$(mktemp -d "$CACHE_DIR/.helm-XXXXXX")"
  if ! (cd "$work" && GOBIN="$work/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 \
          go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") >"$work/build.log" 2>&1; then
    err "helm: go install failed:"; tail -n 40 "$work/build.log" >&2; rm -rf "$work"; return 1
  fi
  mkdir -p "$(dirname "$HELM_BIN")"
  mv "$work/bin/helm" "$HELM_BIN.tmp.$$" && mv "$HELM_BIN.tmp.$$" "$HELM_BIN"
  rm -rf "$work"
  log "helm: built $HELM_BIN in $(elapsed "$t0")" >&2
}

with_lock "helm-$HELM_VERSION" _helm_build
exec "$HELM_BIN" "$@"
