# Shared settings of the scripts/k8s/* scripts; sourced, not run.
# shellcheck shell=bash
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
K8S_VERSION=${K8S_VERSION:-v1.37.2}
# Everything slow to make (Kubernetes binaries, base images, image store) lives here across runs.
K8S_CACHE_ROOT="${HERALD_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald-k8s}"
K8S_BIN="$K8S_CACHE_ROOT/$K8S_VERSION/bin"
# The machine's kubectl, if any, may be too old for this server: the one built with it.
KUBECTL="$K8S_BIN/kubectl"
IMAGE_CACHE="$K8S_CACHE_ROOT/images"
# The throw-away cluster's state: processes' pid files, logs, PKI, containerd's store, pod volumes.
K8S_STATE=${HERALD_K8S_STATE:-/tmp/herald-k8s}
HERALD_IMAGE=${HERALD_IMAGE:-localhost/herald:k8s-smoke}
PAUSE_IMAGE=localhost/pause:3.10
# The pods' network: a host bridge whose address is the pods' gateway and where the host-side
# Kafka and PostgreSQL listen; Services get addresses from SERVICE_CIDR.
POD_BRIDGE=herald-cni0
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
# buildah with its own store and configuration, so the machine's /etc/containers and
# /var/lib/containers stay as they were.
BUILDAH=(buildah --root "$IMAGE_CACHE/storage" --runroot "$K8S_CACHE_ROOT/run/buildah")
export CONTAINERS_CONF="$HERALD_ROOT/scripts/k8s/containers.conf"

k8s_log() { echo "k8s: $*" >&2; }

# Installs the Debian packages named that are missing (apt-get, as root).
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  k8s_log "installing ${missing[*]} with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
