#!/usr/bin/env bash
# A throw-away one-node Kubernetes on this machine, for the smoke test: etcd (Debian), the control
# plane and kubelet/kube-proxy (build-k8s.sh), containerd and runc (Debian) with a bridge CNI, and the
# images of build-image.sh imported. Every address is on the pods' bridge or loopback: the API server,
# the node and its NodePorts listen on POD_GATEWAY, and pods may not send anywhere beyond the bridge.
# Prints the kubeconfig's path. down.sh undoes all of it (run it even when this fails). Root.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ensure_packages containerd runc containernetworking-plugins etcd-server iptables openssl conntrack
[ -x "$K8S_BIN/kubelet" ] && [ -x "$KUBECTL" ] || { k8s_log "no Kubernetes binaries in $K8S_BIN: run build-k8s.sh"; exit 1; }
[ -f "$IMAGE_CACHE/herald.tar" ] || { k8s_log "no image archive in $IMAGE_CACHE: run build-image.sh"; exit 1; }
if [ -e "$K8S_STATE" ]; then
  k8s_log "$K8S_STATE exists: a cluster is up or was not torn down; run down.sh first"
  exit 1
fi

S="$K8S_STATE"
PKI="$S/pki"
ETCD_CLIENT=127.0.0.1:12379
ETCD_PEER=127.0.0.1:12380
API="https://$POD_GATEWAY:6443"
mkdir -p "$S/logs" "$PKI" "$S/kubelet" "$S/cni" "$S/containerd"
export KUBECONFIG="$S/admin.conf"

# Starts a daemon in the background, its pid in $S/NAME.pid (down.sh stops exactly these).
start_daemon() {
  local name=$1
  shift
  nohup "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$S/$name.pid"
}
# Polls a condition (a daemon's health) until it holds or the timeout passes.
wait_until() {
  local what=$1 timeout=$2 check=$3 deadline=$((SECONDS + $2))
  until eval "$check" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      k8s_log "$what not ready within ${timeout}s; logs in $S/logs"
      return 1
    fi
    sleep 0.5
  done
}

# The machine's settings this script or the kubelet change, put back by down.sh.
{
  for key in net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops \
    net.bridge.bridge-nf-call-iptables; do
    echo "$key=$(sysctl -n "$key")"
  done
} >"$S/sysctl.saved"

ip netns list 2>/dev/null | awk '{print $1}' >"$S/netns.before"

# The bridge before anything binds its address. Pods may not send past it; the Service range is
# routed onto it, so that a Service address nobody serves never leaves through the machine's
# default route either (kube-proxy rewrites the served ones to their pods).
ip link add "$POD_BRIDGE" type bridge
ip addr add "$POD_GATEWAY/${POD_CIDR#*/}" dev "$POD_BRIDGE"
ip link set "$POD_BRIDGE" up
ip route add "$SERVICE_CIDR" dev "$POD_BRIDGE" src "$POD_GATEWAY"
iptables -I FORWARD -s "$POD_CIDR" ! -o "$POD_BRIDGE" -j DROP
touch "$S/forward-rule"
sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

# A private CA and the certificates of every component (30 days; the cluster lives minutes).
certificate() { # name subject [subjectAltName]
  local name=$1 subject=$2 san=${3:-}
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "$subject" 2>/dev/null
  if [ -n "$san" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$PKI/$name.ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$PKI/$name.ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -out "$PKI/$name.crt" -days 30 -extfile "$PKI/$name.ext" 2>/dev/null
}
kubeconfig() { # user
  cat >"$S/$1.conf" <<KC
apiVersion: v1
kind: Config
clusters: [{name: herald-smoke, cluster: {server: "$API", certificate-authority: $PKI/ca.crt}}]
users: [{name: $1, user: {client-certificate: $PKI/$1.crt, client-key: $PKI/$1.key}}]
contexts: [{name: herald-smoke, context: {cluster: herald-smoke, user: $1}}]
current-context: herald-smoke
KC
}
NODE_NAME="$(hostname | tr '[:upper:]' '[:lower:]')"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 30 \
  -subj /CN=herald-smoke-ca 2>/dev/null
certificate apiserver /CN=kube-apiserver \
  "IP:$POD_GATEWAY,IP:127.0.0.1,IP:${SERVICE_CIDR%.*}.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
certificate kubelet-serving "/CN=$NODE_NAME" "IP:$POD_GATEWAY,DNS:$NODE_NAME"
certificate apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client
certificate admin /O=system:masters/CN=herald-smoke-admin
certificate kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
certificate controller-manager /CN=system:kube-controller-manager
certificate scheduler /CN=system:kube-scheduler
certificate kube-proxy /CN=system:kube-proxy
openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
for user in admin kubelet controller-manager scheduler kube-proxy; do kubeconfig "$user"; done

start_daemon etcd etcd --name herald-smoke --data-dir "$S/etcd" \
  --listen-client-urls "http://$ETCD_CLIENT" --advertise-client-urls "http://$ETCD_CLIENT" \
  --listen-peer-urls "http://$ETCD_PEER" --initial-advertise-peer-urls "http://$ETCD_PEER" \
  --initial-cluster "herald-smoke=http://$ETCD_PEER"
wait_until etcd 60 "curl -sf http://$ETCD_CLIENT/health"

start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers "http://$ETCD_CLIENT" \
  --bind-address "$POD_GATEWAY" --advertise-address "$POD_GATEWAY" --secure-port 6443 \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" --kubelet-certificate-authority "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC
wait_until kube-apiserver 120 "$KUBECTL get --raw /readyz"

components=(--bind-address 127.0.0.1 --leader-elect=false)
start_daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" "${components[@]}" \
  --kubeconfig "$S/controller-manager.conf" --authentication-kubeconfig "$S/controller-manager.conf" \
  --authorization-kubeconfig "$S/controller-manager.conf" --use-service-account-credentials \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --service-cluster-ip-range "$SERVICE_CIDR"
start_daemon kube-scheduler "$K8S_BIN/kube-scheduler" "${components[@]}" --kubeconfig "$S/scheduler.conf" \
  --authentication-kubeconfig "$S/scheduler.conf" --authorization-kubeconfig "$S/scheduler.conf"

# containerd with its own root, state and socket under $S; runc; the bridge CNI.
cat >"$S/containerd/config.toml" <<TOML
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
[grpc]
  address = "$S/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine kind gives no CAP_SYS_RESOURCE: never ask for an oom_score_adj below containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni"
TOML
cat >"$S/cni/10-herald-smoke.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "herald-smoke",
  "plugins": [
    {"type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$S/cni-ipam", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
start_daemon containerd containerd --config "$S/containerd/config.toml"
CTR=(ctr --address "$S/containerd/containerd.sock" --namespace k8s.io)
wait_until containerd 60 "${CTR[*]} version"
"${CTR[@]}" images import "$IMAGE_CACHE/pause.tar" >/dev/null
"${CTR[@]}" images import "$IMAGE_CACHE/herald.tar" >/dev/null

cat >"$S/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $POD_GATEWAY
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$S/containerd/containerd.sock
cgroupDriver: cgroupfs
# This machine kind has a hybrid cgroup v1 layout.
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
evictionHard: {memory.available: "200Mi", nodefs.available: "2%", imagefs.available: "2%"}
YAML
start_daemon kubelet "$K8S_BIN/kubelet" --config "$S/kubelet.yaml" --kubeconfig "$S/kubelet.conf" \
  --root-dir "$S/kubelet" --node-ip "$POD_GATEWAY" --hostname-override "$NODE_NAME"
wait_until "node $NODE_NAME" 120 "$KUBECTL get node $NODE_NAME"
"$KUBECTL" wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null
# The kubelet sets some kernel settings at start: put back the ones it has no need of.
while IFS= read -r saved; do
  case "$saved" in vm.overcommit_memory=* | kernel.panic=* | kernel.panic_on_oops=*) sysctl -q -w "$saved" ;; esac
done <"$S/sysctl.saved"

start_daemon kube-proxy "$K8S_BIN/kube-proxy" --kubeconfig "$S/kube-proxy.conf" --proxy-mode iptables \
  --cluster-cidr "$POD_CIDR" --hostname-override "$NODE_NAME" --conntrack-max-per-core 0 \
  --bind-address 127.0.0.1 --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 \
  --nodeport-addresses "$POD_GATEWAY/32"
wait_until kube-proxy 60 "curl -sf http://127.0.0.1:10256/healthz"
echo "$KUBECONFIG"
