#!/usr/bin/env bash
# Starts and stops the test cluster: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, started by kwokctl's binary runtime) and one real node
# (node.sh: containerd, kubelet, kube-proxy, kube-router's firewall) in a network namespace of
# their own, with CoreDNS and Traefik (serving the NGINX ingress class) as add-ons. Built by
# `build.sh`; nothing is downloaded and nothing is written outside <workdir> and the namespace.
#
# Usage: cluster.sh up <workdir> <images>  start; <images> lists "name=<ref> archive=<path>" lines
#                                    (images/build.sh) to load into the node; prints KUBECONFIG=...,
#                                    KUBECONTEXT=... and INGRESS=<ip> on stdout (unexported:
#                                    `set -a; eval "$(cluster.sh up DIR IMAGES)"; set +a`)
#        cluster.sh down <workdir>   stop everything `up` started and remove its state
#
# Environment:
#   ENGINE_BIN       directory with the control-plane binaries (default: `build.sh kube`)
#   NODE_BIN         directory with the node binaries (default: `build.sh node`)
#   CLUSTER_NAME     cluster name (default chat); the context is kwok-$CLUSTER_NAME
#   CLUSTER_PVS      number of 10Gi local PersistentVolumes for StorageClass standard (default 4)
#
# After `up`: <workdir>/kubeconfig (its current-context is kwok-$CLUSTER_NAME), the node Ready,
# cluster DNS and Services working, NetworkPolicies enforced, default StorageClass `standard`
# (kubernetes.io/no-provisioner) with pre-made local PersistentVolumes on the node, the `nginx`
# IngressClass served by Traefik on the node's port 80, and a loop that makes Released
# PersistentVolumes Available again (as a dynamic provisioner would give a fresh one).
set -euo pipefail

ENGINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-chat}"
CLUSTER_PVS="${CLUSTER_PVS:-4}"
PV_LABEL=chat-platform.local/pv
APISERVER_PORT=6443

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

usage() { echo "usage: $0 up <workdir> <images> | down <workdir>" >&2; exit 2; }

# shellcheck source=node.sh
source "$ENGINE_DIR/node.sh"

# Paths inside the workdir; $1 must already be absolute.
set_paths() {
  WD="$1"
  KWOK_DIR="$WD/kwok"            # KWOK_WORKDIR: cluster state, pki, etcd data, logs, pids
  KCFG="$WD/kubeconfig"
  LOOP_PID="$WD/pv-recycler.pid"
  CONTEXT="kwok-$CLUSTER_NAME"
  node_paths
}

bin_dir() {
  if [[ -n "${ENGINE_BIN:-}" ]]; then echo "$ENGINE_BIN"; else bash "$ENGINE_DIR/build.sh" kube; fi
}

node_bin_dir() {
  if [[ -n "${NODE_BIN:-}" ]]; then echo "$NODE_BIN"; else bash "$ENGINE_DIR/build.sh" node; fi
}

kc() {
  "$BIN/kubectl" --kubeconfig "$KCFG" --context "$CONTEXT" --cache-dir "$WD/kube-cache" \
    --request-timeout=10s "$@"
}

kwokctl() {
  HOME="$WD/home" KWOK_WORKDIR="$KWOK_DIR" in_node "$BIN/kwokctl" --name "$CLUSTER_NAME" "$@"
}

# PIDs of live processes that `up` started: one of the engine binaries, run with paths inside
# the workdir (kwokctl starts each component from a symlink under $KWOK_DIR).
workdir_pids() {
  local p exe cmd
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    case "${exe##*/}" in
      etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kwok | kubectl) ;;
      *) continue ;;
    esac
    [[ "$exe" == "$BIN/"* ]] || continue
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    [[ "$cmd" == *"$WD/"* ]] && echo "${p#/proc/}"
  done
  return 0
}

write_config() {
  local kube_version
  kube_version="$("$BIN/kube-apiserver" --version | awk '{print $2}')"
  # kwokctl reads $KWOK_WORKDIR/kwok.yaml by default. The control plane listens on every address
  # of the node's namespace (its components talk over its loopback) and advertises the node's:
  # the kubelet, pods (through the kubernetes Service) and the host (through the veth) reach it
  # there. No fake nodes: the kwok controller is off.
  cat >"$KWOK_DIR/kwok.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 0.0.0.0
  kubeApiserverPort: $APISERVER_PORT
  # Pods reach the API server through the kubernetes Service: its address must be in the cert.
  kubeApiserverCertSANs: [${SERVICE_CIDR%.0/*}.1]
  kubeAuthorization: true
  kubeAdmission: true
  disable: [kwok-controller]
  kubeVersion: $kube_version
  cacheDir: $KWOK_DIR/cache
  quietPull: true
  etcdBinary: $BIN/etcd
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kubectlBinary: $BIN/kubectl
  kwokControllerBinary: $BIN/kwok
componentsPatches:
- name: kube-apiserver
  extraArgs:
  - {key: service-cluster-ip-range, value: $SERVICE_CIDR}
  - {key: advertise-address, value: $NODE_IP}
- name: kube-controller-manager
  extraArgs:
  - {key: service-cluster-ip-range, value: $SERVICE_CIDR}
EOF
}

# Local volumes on the node, each a directory of the workdir: the Redis claim binds one, and a
# restarted Redis pod finds its data there again.
apply_storage() {
  local i
  {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
    for ((i = 0; i < CLUSTER_PVS; i++)); do
      mkdir -p "$WD/pv/pv-$i"
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$i
  labels: {$PV_LABEL: "true"}
spec:
  storageClassName: standard
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  local: {path: $WD/pv/pv-$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}
EOF
    done
  } | kc apply -f - >&2
}

# CoreDNS and Traefik: images made from their static binaries, the aws stack's Traefik CRDs,
# Traefik's ClusterRoles, their manifests.
apply_addons() {
  local name
  for name in coredns traefik; do
    bash "$ENGINE_DIR/addons/image.sh" "$NODE_BIN/$name" "chat-platform/$name:$(addon_version "$name")" \
      >"$WD/addon-images"
    images_import <"$WD/addon-images"
  done
  # The CRDs the aws stack applies with its Traefik release (components/aws/traefik-crds/).
  kc apply --server-side -f "$ENGINE_DIR/../../components/aws/traefik-crds/" -f "$NODE_BIN/traefik-rbac.yaml" >&2
  local -x COREDNS_IMAGE TRAEFIK_IMAGE
  export CLUSTER_DNS NODE_IP
  COREDNS_IMAGE="chat-platform/coredns:$(addon_version coredns)"
  TRAEFIK_IMAGE="chat-platform/traefik:$(addon_version traefik)"
  envsubst "\$COREDNS_IMAGE \$TRAEFIK_IMAGE \$CLUSTER_DNS \$NODE_IP" <"$ENGINE_DIR/addons/manifests.yaml" |
    kc apply -f - >&2
  kc -n kube-system rollout status deployment/coredns --timeout=180s >&2
  kc -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s >&2
}

# The version build.sh built an add-on at (its `versions` file: name=version lines).
addon_version() { sed -n "s/^$1=//p" "$NODE_BIN/versions"; }

# Makes Released PersistentVolumes Available again, as a dynamic provisioner would give a fresh
# volume. Exits by itself once the workdir's kubeconfig is gone.
pv_recycler() {
  local name
  local pvtmpl='{{range .items}}{{if eq .status.phase "Released"}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}'
  while [[ -f "$KCFG" ]]; do
    while read -r name; do
      [[ -n "$name" ]] || continue
      rm -rf "${WD:?}/pv/${name#local-}" && mkdir -p "$WD/pv/${name#local-}"
      kc patch pv "$name" --type=json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null &&
        log "pv: $name Released -> Available"
    done < <(kc get pv -l "$PV_LABEL=true" -o go-template="$pvtmpl" 2>/dev/null || true)
    sleep 5
  done
}

up() {
  local start=$SECONDS images="$2"
  mkdir -p "$1"
  set_paths "$(cd "$1" && pwd)"
  [[ -f "$images" ]] || die "no image list at $images"
  BIN="$(bin_dir)"
  NODE_BIN="$(node_bin_dir)"
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl; do
    [[ -x "$BIN/$b" ]] || die "missing $BIN/$b (run build.sh kube)"
  done
  for b in kubelet kube-proxy coredns kube-router traefik; do
    [[ -x "$NODE_BIN/$b" ]] || die "missing $NODE_BIN/$b (run build.sh node)"
  done
  [[ -f "$NS_FILE" ]] && die "a cluster is already running in $WD (run: $0 down $WD)"
  mkdir -p "$KWOK_DIR" "$WD/home"
  echo "$BIN" >"$WD/engine-bin"
  echo "$NODE_BIN" >"$WD/node-bin"
  netns_up
  write_config

  log "starting control plane (kwokctl, binary runtime, $NODE_IP in the node's namespace)"
  if ! kwokctl create cluster --runtime binary --kubeconfig "$KCFG" --wait 3m >"$WD/kwokctl.log" 2>&1; then
    cat "$WD/kwokctl.log" >&2
    die "kwokctl create cluster failed (state left in $WD; run: $0 down $WD)"
  fi
  kc config use-context "$CONTEXT" >/dev/null
  # The host reaches the API server at the node's address (kubectl config would relativize paths).
  sed -i "s#server: https://127.0.0.1:$APISERVER_PORT#server: https://$NODE_IP:$APISERVER_PORT#" "$KCFG"
  wait_for kube-apiserver 120 kc get --raw /readyz

  log "starting the node ($NODE_NAME: containerd, kubelet, kube-proxy, kube-router)"
  node_up "$images"
  apply_storage
  # Pods need the default ServiceAccount, which kube-controller-manager creates.
  wait_for "the default ServiceAccount" 60 kc -n default get serviceaccount default
  log "starting add-ons (CoreDNS, Traefik for the nginx IngressClass)"
  apply_addons

  ENGINE_BIN="$BIN" NODE_BIN="$NODE_BIN" setsid bash "${BASH_SOURCE[0]}" _pv-recycler "$WD" \
    >"$WD/pv-recycler.log" 2>&1 </dev/null &
  echo $! >"$LOOP_PID"

  log "ready in $((SECONDS - start))s: context $CONTEXT, kubeconfig $KCFG, ingress http://$NODE_IP"
  echo "KUBECONFIG=$KCFG"
  echo "KUBECONTEXT=$CONTEXT"
  echo "INGRESS=$NODE_IP"
}

down() {
  [[ -d "$1" ]] || { log "nothing to stop in $1"; return 0; }
  set_paths "$(cd "$1" && pwd)"
  local pid i pids
  if [[ -f "$WD/engine-bin" ]]; then BIN="$(cat "$WD/engine-bin")"; else BIN="$(bin_dir)"; fi
  if [[ -f "$LOOP_PID" ]]; then
    pid="$(cat "$LOOP_PID")"
    # setsid made the loop a process-group leader: stop it and its kubectl children together.
    kill -- "-$pid" 2>/dev/null || true
    rm -f "$LOOP_PID"
  fi
  node_stop
  if [[ -d "$KWOK_DIR/clusters/$CLUSTER_NAME" && -f "$NS_FILE" ]]; then
    kwokctl delete cluster --kubeconfig "$KCFG" >&2 || log "kwokctl delete cluster failed"
  fi
  # Anything still alive that runs from this workdir was started by `up`: stop it by pid.
  for ((i = 0; i < 20; i++)); do
    mapfile -t pids < <(workdir_pids)
    ((${#pids[@]})) || break
    if ((i == 10)); then kill -KILL "${pids[@]}" 2>/dev/null || true
    elif ((i == 0)); then kill "${pids[@]}" 2>/dev/null || true
    fi
    sleep 0.5
  done
  mapfile -t pids < <(workdir_pids)
  ((${#pids[@]} == 0)) || die "processes still running from $WD: ${pids[*]}"
  netns_down
  rm -rf "$KWOK_DIR" "${WD:?}/home" "$WD/kube-cache" "$WD/pv" "$WD/node" "$KCFG" "$WD/engine-bin" \
    "$WD/node-bin" "$WD/kwokctl.log" "$WD/pv-recycler.log" "$WD/addon-images"
  rmdir "$WD" 2>/dev/null || true
  log "stopped; no processes, mounts, namespaces or cgroups left from $WD"
}

case "${1:-}" in
  up) [[ $# -eq 3 ]] || usage; up "$2" "$3" ;;
  down) [[ $# -eq 2 ]] || usage; down "$2" ;;
  _pv-recycler)
    set_paths "$2"
    BIN="$(bin_dir)"
    pv_recycler
    ;;
  *) usage ;;
esac
