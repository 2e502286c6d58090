# shellcheck shell=bash
# The test cluster's real node, sourced by cluster.sh: a network namespace of its own (joined to
# the host by one veth pair, no default route: nothing leaves the machine), containerd with runc
# and the CNI bridge plugin, a kubelet, kube-proxy (iptables) and kube-router as the NetworkPolicy
# firewall. The control plane runs in the same namespace, on the node's address.
#
# Expects from cluster.sh: WD, BIN (engine), NODE_BIN (node binaries), log, die, kc.
# shellcheck disable=SC2153 # (NODE_BIN is cluster.sh's)

NODE_NAME=chat-node
NODE_IP=10.255.0.2 # inside the namespace
HOST_IP=10.255.0.1 # the host's end of the veth: how the host reaches the API server and ingress
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
CLUSTER_DNS=10.96.0.10
CGROUP_ROOT=/chat-node # the kubelet's cgroup root, in every hierarchy; removed on down

node_paths() {
  NS_FILE="$WD/netns"
  NODE_DIR="$WD/node"
  CTRD_SOCK="$NODE_DIR/containerd/containerd.sock"
  RUNC_ROOT="$NODE_DIR/containerd/runc"
}

# Runs a command inside the node's network namespace (nsenter keeps the host's mounts, so the
# cgroup hierarchies stay visible, which `ip netns exec` would hide).
in_node() { nsenter --net="/run/netns/$(cat "$NS_FILE")" -- "$@"; }

ctr_() { ctr --address "$CTRD_SOCK" --namespace k8s.io "$@"; }

netns_up() {
  local ns="chat-$$" host_if node_if
  host_if="cnh$$"
  node_if="cnn$$"
  ip link show | grep -q "$HOST_IP" && die "another test node owns $HOST_IP"
  ip netns add "$ns"
  echo "$ns" >"$NS_FILE"
  ip link add "$host_if" type veth peer name "$node_if"
  ip link set "$node_if" netns "$ns"
  ip addr add "$HOST_IP/30" dev "$host_if"
  ip link set "$host_if" up
  in_node ip link set lo up
  in_node ip addr add "$NODE_IP/30" dev "$node_if"
  in_node ip link set "$node_if" up
  # Bridged pod traffic must cross iptables (kube-proxy's DNAT, kube-router's policy chains).
  in_node sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
  echo "$host_if" >"$WD/veth"
}

netns_down() {
  [[ -f "$WD/veth" ]] && ip link del "$(cat "$WD/veth")" 2>/dev/null
  [[ -f "$NS_FILE" ]] && ip netns del "$(cat "$NS_FILE")" 2>/dev/null
  rm -f "$WD/veth" "$NS_FILE"
}

# Starts a long-running node process in the namespace, its own process group, logging to a file.
spawn() {
  local name="$1"
  shift
  setsid nsenter --net="/run/netns/$(cat "$NS_FILE")" -- "$@" >"$NODE_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$NODE_DIR/$name.pid"
}

wait_for() {
  local what="$1" tries="$2"
  shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "$what did not come up (logs in $NODE_DIR)"
}

# $1: the pod sandbox image (the images list's pause).
containerd_up() {
  local d="$NODE_DIR/containerd"
  mkdir -p "$d/root" "$d/state" "$RUNC_ROOT" "$NODE_DIR/cni/net.d"
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$1"
  # The host lacks CAP_SYS_RESOURCE: never lower an OOM score below our own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$RUNC_ROOT"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
  cat >"$NODE_DIR/cni/net.d/10-chat.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "chat",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$NODE_DIR/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  spawn containerd containerd --config "$d/config.toml"
  wait_for containerd 60 ctr_ version
}

# Imports image archives (lines "name=<ref> archive=<path>") under the names the stack uses.
images_import() {
  local line ref archive
  while read -r line; do
    ref="${line#name=}"
    ref="${ref%% *}"
    archive="${line##*archive=}"
    [[ -n "$ref" && -f "$archive" ]] || die "bad image line: $line"
    ctr_ images import --no-unpack=false "$archive" >&2
    # buildah names local images localhost/<name>; the stack names them as given.
    if ! grep -qxF "$(normalize "$ref")" <<<"$(ctr_ images ls -q)"; then
      ctr_ images tag --force "localhost/${ref}" "$(normalize "$ref")" >&2
    fi
  done
}

# A reference as containerd stores it: docker.io/library/ for single names, docker.io/ for two.
normalize() {
  local ref="$1" first="${1%%/*}"
  if [[ "$ref" != */* ]]; then
    echo "docker.io/library/$ref"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    echo "$ref"
  else
    echo "docker.io/$ref"
  fi
}

kubelet_up() {
  local d="$NODE_DIR/kubelet" h
  mkdir -p "$d/root"
  for h in /sys/fs/cgroup/*/; do
    [[ "$h" == */unified/ ]] || mkdir -p "$h${CGROUP_ROOT#/}"
  done
  : >"$NODE_DIR/resolv.conf" # pods resolve only the cluster's names
  cat >"$d/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $KWOK_DIR/clusters/$CLUSTER_NAME/pki/ca.crt}
authorization: {mode: Webhook}
# This host mounts cgroup v1 hierarchies (hybrid): accept them, and manage them directly.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
clusterDNS: [$CLUSTER_DNS]
clusterDomain: cluster.local
resolvConf: $NODE_DIR/resolv.conf
containerRuntimeEndpoint: unix://$CTRD_SOCK
podLogsDir: $NODE_DIR/pod-logs
failSwapOn: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
EOF
  spawn kubelet "$NODE_BIN/kubelet" --config "$d/config.yaml" --kubeconfig "$KCFG" \
    --root-dir "$d/root" --cert-dir "$d/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "topology.kubernetes.io/zone=zone-a,topology.kubernetes.io/region=local"
  wait_for "the node" 120 kc get node "$NODE_NAME"
}

kube_proxy_up() {
  cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KCFG}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  spawn kube-proxy "$NODE_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml"
}

firewall_up() {
  spawn kube-router "$NODE_BIN/kube-router" --kubeconfig "$KCFG" --hostname-override "$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --service-cluster-ip-range "$SERVICE_CIDR" --health-port 20244 --metrics-port 0
  wait_for "kube-router's firewall" 60 in_node curl -sf http://127.0.0.1:20244/healthz
}

# $1: the image list to load into containerd.
node_up() {
  node_paths
  mkdir -p "$NODE_DIR"
  ip netns list | sed -n 's/^\(cni-[^ ]*\).*/\1/p' >"$NODE_DIR/netns-before"
  containerd_up "$(sed -n 's#^name=\([^ ]*/pause:[^ ]*\) .*#\1#p' "$1")"
  images_import <"$1"
  kubelet_up
  kube_proxy_up
  firewall_up
  kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >&2
}

# Stops the node's processes, every container they started, and removes what they mounted and
# the cgroups and pod network namespaces they made; safe to run on a half-started node.
node_stop() {
  node_paths
  local name pid id m h
  for name in kube-router kube-proxy kubelet; do stop_pidfile "$NODE_DIR/$name.pid"; done
  if [[ -S "$CTRD_SOCK" ]]; then
    # A task may end by itself meanwhile: a failure here is not one of stopping.
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" 2>/dev/null || true; done
    sleep 1
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete --force "$id" 2>/dev/null || true; done
  fi
  stop_pidfile "$NODE_DIR/containerd.pid"
  # Shims outlive containerd; theirs are the ones whose address is our socket.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTRD_SOCK" || true); do kill -KILL "$pid" || true; done
  if [[ -d "$RUNC_ROOT" ]]; then
    for h in "$RUNC_ROOT"/*/; do
      for id in $(runc --root "$h" list -q 2>/dev/null); do runc --root "$h" delete --force "$id" || true; done
    done
  fi
  # Pod network namespaces and volumes live under the workdir or /run/netns/cni-*.
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep -F "$WD/" | sort -r)
  if [[ -f "$NODE_DIR/netns-before" ]]; then
    while read -r m; do
      grep -qxF "$m" "$NODE_DIR/netns-before" || ip netns del "$m" 2>/dev/null || true
    done < <(ip netns list | sed -n 's/^\(cni-[^ ]*\).*/\1/p')
  fi
  # The kubelet links every container's log from /var/log/containers (a fixed path): ours point here.
  find /var/log/containers -maxdepth 1 -lname "$NODE_DIR/*" -delete 2>/dev/null || true
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h${CGROUP_ROOT#/}" ]] && find "$h${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

stop_pidfile() {
  local file="$1" pid i
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  kill -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$file"
}
