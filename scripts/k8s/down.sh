#!/usr/bin/env bash
# Tears down what up.sh started, whatever state it reached: the daemons by their pid files, the
# pods' containers, mounts and network namespaces, the bridge, the iptables rules of this cluster
# (its FORWARD rule, kube-proxy's and the kubelet's chains) and the kernel settings as they were.
# Touches no process it did not start. Idempotent. Root.
set -uo pipefail
source "$(dirname "$0")/common.sh"
S="$K8S_STATE"
[ -d "$S" ] || exit 0

stop_daemon() {
  local pid_file="$S/$1.pid" pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pid_file"
}

stop_daemon kube-proxy
stop_daemon kubelet
# The pods' processes run under containerd's shims: kill them through containerd, then the shims.
if [ -S "$S/containerd/containerd.sock" ]; then
  CTR=(ctr --address "$S/containerd/containerd.sock" --namespace k8s.io)
  for task in $("${CTR[@]}" tasks list --quiet 2>/dev/null); do
    "${CTR[@]}" tasks kill --signal SIGKILL "$task" >/dev/null 2>&1
  done
  for task in $("${CTR[@]}" tasks list --quiet 2>/dev/null); do
    for _ in $(seq 1 20); do
      "${CTR[@]}" tasks delete --force "$task" >/dev/null 2>&1 && break
      sleep 0.5
    done
  done
  for container in $("${CTR[@]}" containers list --quiet 2>/dev/null); do
    "${CTR[@]}" containers delete "$container" >/dev/null 2>&1
  done
fi
stop_daemon containerd
# Shims whose socket or state lives in this cluster's directory only.
for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $S/containerd/containerd.sock" 2>/dev/null); do
  kill -9 "$shim" 2>/dev/null
done
stop_daemon kube-scheduler
stop_daemon kube-controller-manager
stop_daemon kube-apiserver
stop_daemon etcd

# Mounts under the state directory, deepest first; the pods' network namespaces (cni-*) of this
grep -o " $S/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
# cluster only: those that did not exist before up.sh.
for netns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
  grep -qx "$netns" "$S/netns.before" 2>/dev/null || ip netns delete "$netns" 2>/dev/null
done
rm -f /var/lib/cni/results/herald-smoke-* 2>/dev/null
ip link delete "$POD_BRIDGE" 2>/dev/null

if [ -f "$S/forward-rule" ]; then
  iptables -D FORWARD -s "$POD_CIDR" ! -o "$POD_BRIDGE" -j DROP 2>/dev/null
fi
[ -x "$K8S_BIN/kube-proxy" ] && "$K8S_BIN/kube-proxy" --cleanup >/dev/null 2>&1
for ipt in iptables ip6tables; do # the kubelet's own chains
  "$ipt" -D INPUT -j KUBE-FIREWALL 2>/dev/null
  "$ipt" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null
  for table in filter nat mangle; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null
      "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
[ -f "$S/sysctl.saved" ] && while IFS= read -r saved; do sysctl -q -w "$saved"; done <"$S/sysctl.saved"
rm -rf "$S"
