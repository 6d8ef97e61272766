#!/usr/bin/env bash
# Builds the Kubernetes binaries the smoke test runs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, and a kubectl of the same version) from the Go module proxy,
# once per version:
#   $HERALD_K8S_CACHE/<version>/bin   (default ~/.cache/herald-k8s/<version>/bin)
# A second run with the binaries present returns at once. Cold: 10-15 min on 2 cores.
#
# `go install k8s.io/kubernetes/cmd/...@vX` is refused because k8s.io/kubernetes points its staging
# modules (k8s.io/api, k8s.io/client-go, ...) at ./staging with replace directives; a throw-away main
# module that replaces each of them with its published v0.X release builds the same commands.
set -euo pipefail
source "$(dirname "$0")/common.sh"

CACHE="$K8S_CACHE_ROOT/$K8S_VERSION"
COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

have_all() {
  local c
  for c in "${COMMANDS[@]}"; do [ -x "$CACHE/bin/$c" ] || return 1; done
}
if have_all; then
  echo "$CACHE/bin"
  exit 0
fi

command -v go >/dev/null || { k8s_log "Go is needed to build Kubernetes (https://go.dev/dl)"; exit 1; }
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
MINOR=$(cut -d. -f2 <<<"$K8S_VERSION")
SRC="$CACHE/src"
mkdir -p "$SRC" "$CACHE/bin.partial"
cd "$SRC"

go mod download "k8s.io/kubernetes@$K8S_VERSION"
UPSTREAM_MOD="$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION/go.mod"
{
  echo 'module local/herald-k8s-build'
  echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/').0"
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo 'replace ('
  sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 $STAGING_VERSION#p" "$UPSTREAM_MOD"
  echo ')'
} >go.mod
{
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for c in "${COMMANDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
  printf ')\n'
} >tools.go
go mod tidy

# Without the version stamped in, the API server reports v0.0.0 and the chart's kubeVersion check fails.
LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR -X $pkg.gitTreeState=clean"
done
PACKAGES=()
for c in "${COMMANDS[@]}"; do PACKAGES+=("k8s.io/kubernetes/cmd/$c"); done
nice -n 19 go build -p 2 -trimpath -ldflags "$LDFLAGS" -o "$CACHE/bin.partial/" "${PACKAGES[@]}"
# Only a complete set becomes the cache: an interrupted build leaves no half-filled bin/.
rm -rf "${CACHE:?}/bin" && mv "$CACHE/bin.partial" "$CACHE/bin"
echo "$CACHE/bin"
