#!/usr/bin/env bash
# Starts and stops a real Kubernetes control plane on 127.0.0.1 (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) with KWOK fake nodes, from the binaries that
# `build.sh kube` builds. Nothing is downloaded and nothing is written outside <workdir>.
#
# Usage: cluster.sh up <workdir>     start; prints KUBECONFIG=... and KUBECONTEXT=... on stdout
#                                    (unexported; `set -a; eval "$(cluster.sh up DIR)"; set +a`)
#        cluster.sh down <workdir>   stop everything `up` started and remove its state
#
# Environment:
#   ENGINE_BIN       directory with the binaries (default: the output of `build.sh kube`)
#   CLUSTER_NAME     kwok cluster name (default chat); the context is kwok-$CLUSTER_NAME
#   CLUSTER_NODES    number of fake nodes, spread over zones zone-a, zone-b, ... (default 3)
#   CLUSTER_PVS      number of 10Gi PersistentVolumes for StorageClass standard (default 4)
#
# After `up`: <workdir>/kubeconfig (its current-context is kwok-$CLUSTER_NAME), nodes Ready,
# default StorageClass `standard` (kubernetes.io/no-provisioner, Immediate) with pre-made
# PersistentVolumes, and a stand-in load-balancer controller that gives every Ingress and every
# Service of type LoadBalancer status.loadBalancer.ingress[0].ip=127.0.0.1 and makes Released
# PersistentVolumes Available again. Pods on the fake nodes are faked Running/Ready by KWOK.
set -euo pipefail

ENGINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-chat}"
CLUSTER_NODES="${CLUSTER_NODES:-3}"
CLUSTER_PVS="${CLUSTER_PVS:-4}"
PV_LABEL=chat-platform.local/pv

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

usage() { echo "usage: $0 up|down <workdir>" >&2; exit 2; }

# Paths inside the workdir; $1 must already be absolute.
set_paths() {
  WD="$1"
  KWOK_DIR="$WD/kwok"            # KWOK_WORKDIR: cluster state, pki, etcd data, logs, pids
  KCFG="$WD/kubeconfig"
  LOOP_PID="$WD/lb-controller.pid"
  CONTEXT="kwok-$CLUSTER_NAME"
}

bin_dir() {
  if [[ -n "${ENGINE_BIN:-}" ]]; then
    echo "$ENGINE_BIN"
  else
    bash "$ENGINE_DIR/build.sh" kube
  fi
}

kc() {
  "$BIN/kubectl" --kubeconfig "$KCFG" --context "$CONTEXT" --cache-dir "$WD/kube-cache" \
    --request-timeout=10s "$@"
}

kwokctl() {
  HOME="$WD/home" KWOK_WORKDIR="$KWOK_DIR" "$BIN/kwokctl" --name "$CLUSTER_NAME" "$@"
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
  # kwokctl reads $KWOK_WORKDIR/kwok.yaml by default.
  cat >"$KWOK_DIR/kwok.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $kube_version
  cacheDir: $KWOK_DIR/cache
  quietPull: true
  etcdBinary: $BIN/etcd
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kubectlBinary: $BIN/kubectl
  kwokControllerBinary: $BIN/kwok
EOF
}

apply_nodes() {
  local i zone kube_version letters=abcdefghijklmnopqrstuvwxyz
  kube_version="$("$BIN/kube-apiserver" --version | awk '{print $2}')"
  for ((i = 0; i < CLUSTER_NODES; i++)); do
    zone="zone-${letters:i%26:1}"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    node.kubernetes.io/instance-type: kwok.standard
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: $zone
    failure-domain.beta.kubernetes.io/region: local
    failure-domain.beta.kubernetes.io/zone: $zone
    type: kwok
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $kube_version
    kubeProxyVersion: $kube_version
    containerRuntimeVersion: kwok
    osImage: kwok
    kernelVersion: kwok
  phase: Running
EOF
  done | kc apply -f - >&2
}

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
volumeBindingMode: Immediate
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
  hostPath: {path: $WD/pv/pv-$i}
EOF
    done
  } | kc apply -f - >&2
}

# The stand-in load-balancer controller: polls once a second, fills in load-balancer status and
# recycles Released volumes. Exits by itself once the workdir's kubeconfig is gone.
lb_controller() {
  local lb='{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}' kind ns name n=0
  local tmpl='{{range .items}}{{if or (eq .kind "Ingress") (eq .spec.type "LoadBalancer")}}'
  tmpl+='{{if not .status.loadBalancer.ingress}}{{.kind}} {{.metadata.namespace}} {{.metadata.name}}'
  tmpl+='{{"\n"}}{{end}}{{end}}{{end}}'
  local pvtmpl='{{range .items}}{{if eq .status.phase "Released"}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}'
  while [[ -f "$KCFG" ]]; do
    while read -r kind ns name; do
      [[ -n "$name" ]] || continue
      kc -n "$ns" patch "${kind,,}" "$name" --subresource=status --type=merge -p "$lb" >/dev/null &&
        log "lb: $kind $ns/$name -> 127.0.0.1"
    done < <(kc get ingress,service -A -o go-template="$tmpl" 2>/dev/null || true)
    if ((n++ % 5 == 0)); then
      while read -r name; do
        [[ -n "$name" ]] || continue
        kc patch pv "$name" --type=json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null &&
          log "pv: $name Released -> Available"
      done < <(kc get pv -l "$PV_LABEL=true" -o go-template="$pvtmpl" 2>/dev/null || true)
    fi
    sleep 1
  done
}

up() {
  local start=$SECONDS
  mkdir -p "$1"
  set_paths "$(cd "$1" && pwd)"
  BIN="$(bin_dir)"
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl; do
    [[ -x "$BIN/$b" ]] || die "missing $BIN/$b (run build.sh kube)"
  done
  if [[ -f "$LOOP_PID" ]] && kill -0 "$(cat "$LOOP_PID")" 2>/dev/null; then
    die "a cluster is already running in $WD (run: $0 down $WD)"
  fi
  mkdir -p "$KWOK_DIR" "$WD/home"
  echo "$BIN" >"$WD/engine-bin"
  write_config

  log "starting control plane (kwokctl, binary runtime, 127.0.0.1)"
  if ! kwokctl create cluster --runtime binary \
    --kubeconfig "$KCFG" --wait 3m >"$WD/kwokctl.log" 2>&1; then
    cat "$WD/kwokctl.log" >&2
    die "kwokctl create cluster failed (state left in $WD; run: $0 down $WD)"
  fi
  kc config use-context "$CONTEXT" >/dev/null

  local i
  for ((i = 0; i < 120; i++)); do
    kc get --raw /readyz >/dev/null 2>&1 && break
    sleep 1
  done
  kc get --raw /readyz >/dev/null || die "kube-apiserver is not ready"

  apply_nodes
  apply_storage
  kc wait --for=condition=Ready node --all --timeout=120s >&2
  # Pods need the default ServiceAccount, which kube-controller-manager creates.
  for ((i = 0; i < 60; i++)); do
    kc -n default get serviceaccount default >/dev/null 2>&1 && break
    sleep 1
  done

  ENGINE_BIN="$BIN" setsid bash "${BASH_SOURCE[0]}" _lb-controller "$WD" >"$WD/lb-controller.log" 2>&1 </dev/null &
  echo $! >"$LOOP_PID"

  log "ready in $((SECONDS - start))s: context $CONTEXT, kubeconfig $KCFG"
  echo "KUBECONFIG=$KCFG"
  echo "KUBECONTEXT=$CONTEXT"
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
  if [[ -d "$KWOK_DIR/clusters/$CLUSTER_NAME" ]]; then
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
  rm -rf "$KWOK_DIR" "${WD:?}/home" "$WD/kube-cache" "$WD/pv" "$KCFG" "$WD/engine-bin" \
    "$WD/kwokctl.log" "$WD/lb-controller.log"
  rmdir "$WD" 2>/dev/null || true
  log "stopped; no processes left from $WD"
}

case "${1:-}" in
  up) [[ $# -eq 2 ]] || usage; up "$2" ;;
  down) [[ $# -eq 2 ]] || usage; down "$2" ;;
  _lb-controller)
    set_paths "$2"
    BIN="$(bin_dir)"
    lb_controller
    ;;
  *) usage ;;
esac
