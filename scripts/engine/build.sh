#!/usr/bin/env bash
# Builds the real Pulumi engine (CLI, Python language host, kubernetes and random providers), a
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# KWOK) and what a real node runs (kubelet, kube-proxy, and as add-ons CoreDNS, kube-router's
# NetworkPolicy firewall and Traefik) from Go modules, once per machine, into caches keyed by the
# pinned versions.
# Usage: build.sh [pulumi|kube|node|all]   (default all). Prints the engine's bin directory on
# stdout (for `node`: the node's); progress goes to stderr.
set -euo pipefail

# ---- pinned versions (Pulumi side) ----
PULUMI_VERSION=3.274.1 # CLI + language host; the proxy has no pkg/v3 3.271-3.273 (the SDK pin is 3.272.0)
PULUMI_KUBERNETES_VERSION=4.25.0 # the only provider/v4 commit on the proxy (SDK pin 4.34.2)
PULUMI_RANDOM_VERSION=4.21.4 # the pulumi_random SDK it serves; see pulumi/random/go.mod for what it is built from

# ---- pinned versions (Kubernetes side) ----
KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.6.6
KWOK_VERSION=v0.8.0

# ---- pinned versions (the real node; each wrapper module under kube/node and addons/ pins its own) ----
COREDNS_VERSION=v1.14.7
KUBE_ROUTER_VERSION=v2.1.0 # the only kube-router the proxy serves; its dependencies are raised in addons/kube-router
# The newest Traefik the proxy can build: from v3.7 its go.mod replaces a nested module
# (traefik/dynamic/ext) by a path the module's zip leaves out, and pins a fork the proxy refuses.
TRAEFIK_VERSION=v3.6.12

ENGINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${CHAT_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-platform}"

log() { echo "engine: $*" >&2; }

build_pulumi() {
  # Pulumi CLI, pulumi-language-python, pulumi-resource-kubernetes, pulumi-resource-random.
  # What is built is pinned by the wrapper modules under pulumi/ (go.mod + go.sum); the versions
  # above are stamped into the binaries, name the cache and must agree with those modules:
  #   cli/             github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION (cmd/pulumi)
  #   language-python/ our Python language host on sdk/v3 v$PULUMI_VERSION (the upstream host
  #                    module is not on the proxy), plus the sdk's pulumi-language-python-exec
  #   kubernetes/      provider/v4 at the commit of tag v$PULUMI_KUBERNETES_VERSION
  #   random/          the Terraform random provider through pulumi-terraform-bridge, with the
  #                    tokens of pulumi-random (its provider module is not on the proxy)
  # Everything comes through the Go module proxy; work happens in a copy outside the repo.
  local pdir="$ENGINE_DIR/pulumi" stamp="$BIN/.pulumi-stamp" tmp="$BIN/.pulumi-build"
  local bins=(pulumi pulumi-language-python pulumi-language-python-exec
    pulumi-resource-kubernetes pulumi-resource-random)
  local k8s_commit=f47bc2d6f199 # tag v4.25.0 of pulumi-kubernetes
  local want b ok=1 got dir
  want="pulumi=$PULUMI_VERSION kubernetes=$PULUMI_KUBERNETES_VERSION random=$PULUMI_RANDOM_VERSION src=$(
    find "$pdir" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | LC_ALL=C sort -z |
      xargs -0 cat | sha256sum | cut -c1-16)"
  for b in "${bins[@]}"; do [[ -x "$BIN/$b" ]] || ok=0; done
  if ((ok)) && [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "pulumi: up to date ($want)"
    return 0
  fi
  command -v go >/dev/null || { log "pulumi: Go 1.26.6 or newer is required (https://go.dev/dl/)"; return 1; }
  export GOWORK=off CGO_ENABLED=0

  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  cp -R "$pdir/." "$tmp/src"

  got="$(cd "$tmp/src/cli" && go list -mod=readonly -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
  [[ "$got" == "v$PULUMI_VERSION" ]] ||
    { log "pulumi: pulumi/cli/go.mod has pkg/v3 $got, want v$PULUMI_VERSION"; return 1; }
  got="$(cd "$tmp/src/language-python" && go list -mod=readonly -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
  [[ "$got" == "v$PULUMI_VERSION" ]] ||
    { log "pulumi: pulumi/language-python/go.mod has sdk/v3 $got, want v$PULUMI_VERSION"; return 1; }
  got="$(cd "$tmp/src/kubernetes" &&
    go list -mod=readonly -m -f '{{.Version}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
  [[ "$got" == *"-$k8s_commit" ]] ||
    { log "pulumi: pulumi/kubernetes/go.mod has provider/v4 $got, want commit $k8s_commit"; return 1; }

  local flags=(-mod=readonly -trimpath)
  local sdkver="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
  log "pulumi: building the Pulumi CLI v$PULUMI_VERSION (first build takes a while)"
  (cd "$tmp/src/cli" && go build "${flags[@]}" -ldflags "-s -w $sdkver" -o "$tmp/bin/pulumi" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

  log "pulumi: building pulumi-language-python v$PULUMI_VERSION"
  (cd "$tmp/src/language-python" && go build "${flags[@]}" -ldflags "-s -w $sdkver" \
    -o "$tmp/bin/pulumi-language-python" .)
  dir="$(cd "$tmp/src/language-python" && go list -mod=readonly -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$dir/python/cmd/pulumi-language-python-exec" "$tmp/bin/"

  log "pulumi: building pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION"
  (
    cd "$tmp/src/kubernetes"
    go mod download github.com/pulumi/pulumi-kubernetes/provider/v4
    dir="$(go list -mod=readonly -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
    go run "${flags[@]}" ./gen "$dir" "$PULUMI_KUBERNETES_VERSION" .
    go build "${flags[@]}" -o "$tmp/bin/pulumi-resource-kubernetes" -ldflags \
      "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" .
  )

  log "pulumi: building pulumi-resource-random $PULUMI_RANDOM_VERSION"
  (
    cd "$tmp/src/random"
    # tfgen writes the schema.json and bridge-metadata.json that the provider embeds. It would
    # convert the Terraform docs' examples with `pulumi convert` (a plugin download): skip docs.
    go build "${flags[@]}" -ldflags "-s -w -X main.version=$PULUMI_RANDOM_VERSION" \
      -o "$tmp/pulumi-tfgen-random" ./tfgen
    PULUMI_HOME="$tmp/pulumi-home" PULUMI_CONVERT=0 PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
      "$tmp/pulumi-tfgen-random" schema --quiet --skip-docs --skip-examples --out . >/dev/null
    go build "${flags[@]}" -ldflags "-s -w -X main.version=$PULUMI_RANDOM_VERSION" \
      -o "$tmp/bin/pulumi-resource-random" .
  )

  for b in "${bins[@]}"; do mv -f "$tmp/bin/$b" "$BIN/$b"; done
  rm -rf "$tmp"
  echo "$want" >"$stamp"
  log "pulumi: built into $BIN"
}

# The version stamp as Kubernetes' own build sets it (hack/lib/version.sh); kwokctl reads --version.
# buildDate is the release's publication time, so the build does not depend on the clock; the
# module proxy does not carry the release's git commit, so gitCommit is git's all-zero "unknown".
kube_ldflags() {
  local kv="${KUBERNETES_VERSION#v}" build_date pkg key val ldflags="-s -w"
  local -A vars
  build_date="$(cd "$ENGINE_DIR/kube/control-plane" &&
    go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
  vars=([gitVersion]="$KUBERNETES_VERSION" [gitMajor]="${kv%%.*}" [gitMinor]="$(cut -d. -f2 <<<"$kv")"
    [gitCommit]=0000000000000000000000000000000000000000 [gitTreeState]=clean [buildDate]="$build_date")
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    for key in "${!vars[@]}"; do
      val="${vars[$key]}"
      ldflags+=" -X '$pkg.$key=$val'"
    done
  done
  echo "$ldflags"
}

build_kube() {
  # etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl.
  # What is built is pinned by the wrapper modules under kube/ (go.mod + go.sum); the versions
  # above name the cache and must agree with them. Everything comes through the Go module proxy.
  local kdir="$ENGINE_DIR/kube" stamp="$BIN/.kube-stamp" tmp="$BIN/.kube-build"
  local bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl)
  local want b ok=1 got
  want="kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION mods=$(
    cat "$kdir"/*/go.mod "$kdir"/*/go.sum | sha256sum | cut -c1-16)"
  for b in "${bins[@]}"; do [[ -x "$BIN/$b" ]] || ok=0; done
  if ((ok)) && [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "kube: up to date ($want)"
    return 0
  fi
  command -v go >/dev/null || { log "kube: Go 1.26.6 or newer is required (https://go.dev/dl/)"; return 1; }
  local -x GOWORK=off CGO_ENABLED=0 # static binaries, like Kubernetes' release builds

  got="$(cd "$kdir/control-plane" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  [[ "$got" == "$KUBERNETES_VERSION" ]] ||
    { log "kube: kube/control-plane/go.mod has k8s.io/kubernetes $got, want $KUBERNETES_VERSION"; return 1; }
  got="$(cd "$kdir/control-plane" && go list -m -f '{{with .Replace}}{{.Version}}{{end}}' k8s.io/api)"
  [[ "$got" == "v0.${KUBERNETES_VERSION#v1.}" ]] ||
    { log "kube: staging modules are replaced with $got, want v0.${KUBERNETES_VERSION#v1.}"; return 1; }
  got="$(cd "$kdir/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
  [[ "$got" == "$ETCD_VERSION" ]] ||
    { log "kube: kube/etcd/go.mod has go.etcd.io/etcd/server/v3 $got, want $ETCD_VERSION"; return 1; }

  rm -rf "$tmp"
  mkdir -p "$tmp"

  local ldflags
  ldflags="$(kube_ldflags)"
  log "kube: building etcd $ETCD_VERSION"
  (cd "$kdir/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  log "kube: building Kubernetes $KUBERNETES_VERSION control plane (first build takes a while)"
  (cd "$kdir/control-plane" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  log "kube: installing kwok/kwokctl $KWOK_VERSION"
  (cd "$tmp" && GOBIN="$tmp" go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION")

  for b in "${bins[@]}"; do mv -f "$tmp/$b" "$BIN/$b"; done
  rm -rf "$tmp"
  echo "$want" >"$stamp"
  log "kube: built into $BIN"
}

build_node() {
  # kubelet and kube-proxy (kube/node: the same k8s.io/kubernetes release as the control plane),
  # CoreDNS, kube-router and Traefik (addons/<name>): static binaries for the test node.
  local stamp="$NODE_BIN/.node-stamp" tmp="$NODE_BIN/.node-build"
  local bins=(kubelet kube-proxy coredns kube-router traefik)
  local want b ok=1 got dir
  want="kubernetes=$KUBERNETES_VERSION coredns=$COREDNS_VERSION kube-router=$KUBE_ROUTER_VERSION traefik=$TRAEFIK_VERSION mods=$(
    cat "$ENGINE_DIR"/kube/node/go.{mod,sum} "$ENGINE_DIR"/addons/*/go.{mod,sum} | sha256sum | cut -c1-16)"
  for b in "${bins[@]}"; do [[ -x "$NODE_BIN/$b" ]] || ok=0; done
  if ((ok)) && [[ -f "$NODE_BIN/versions" && -f "$NODE_BIN/traefik-rbac.yaml" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "node: up to date ($want)"
    return 0
  fi
  command -v go >/dev/null || { log "node: Go 1.26.6 or newer is required (https://go.dev/dl/)"; return 1; }
  local -x GOWORK=off CGO_ENABLED=0

  local module version
  while read -r dir module version; do
    got="$(cd "$ENGINE_DIR/$dir" && go list -mod=readonly -m -f '{{.Version}}' "$module")"
    [[ "$got" == "$version" ]] || { log "node: $dir/go.mod has $module $got, want $version"; return 1; }
  done <<EOF
kube/node k8s.io/kubernetes $KUBERNETES_VERSION
addons/coredns github.com/coredns/coredns $COREDNS_VERSION
addons/kube-router github.com/cloudnativelabs/kube-router/v2 $KUBE_ROUTER_VERSION
addons/traefik github.com/traefik/traefik/v3 $TRAEFIK_VERSION
EOF

  rm -rf "$tmp"
  mkdir -p "$tmp"
  local flags=(-mod=readonly -trimpath)
  log "node: building kubelet and kube-proxy $KUBERNETES_VERSION"
  (cd "$ENGINE_DIR/kube/node" && go build "${flags[@]}" -ldflags "$(kube_ldflags)" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
  log "node: building CoreDNS $COREDNS_VERSION"
  (cd "$ENGINE_DIR/addons/coredns" && go build "${flags[@]}" -o "$tmp/coredns" -ldflags \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" github.com/coredns/coredns)
  log "node: building kube-router $KUBE_ROUTER_VERSION"
  (cd "$ENGINE_DIR/addons/kube-router" && go build "${flags[@]}" -o "$tmp/kube-router" -ldflags \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)
  log "node: building Traefik $TRAEFIK_VERSION (first build takes a while)"
  (cd "$ENGINE_DIR/addons/traefik" && go build "${flags[@]}" -o "$tmp/traefik" -ldflags \
    "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    github.com/traefik/traefik/v3/cmd/traefik)

  # The ClusterRoles its CRD and NGINX-annotations providers need, as the release publishes them.
  dir="$(cd "$ENGINE_DIR/addons/traefik" && go list -mod=readonly -m -f '{{.Dir}}' github.com/traefik/traefik/v3)"
  dir+=/docs/content/reference/dynamic-configuration
  awk 'BEGIN{RS="\n---\n"} /(^|\n)kind: ClusterRole\n/ {print; print "---"}' \
    "$dir/kubernetes-crd-rbac.yml" "$dir/kubernetes-ingress-nginx-rbac.yml" >"$tmp/traefik-rbac.yaml"

  for b in "${bins[@]}" traefik-rbac.yaml; do mv -f "$tmp/$b" "$NODE_BIN/$b"; done
  rm -rf "$tmp"
  printf '%s\n' "kubernetes=$KUBERNETES_VERSION" "coredns=$COREDNS_VERSION" \
    "kube-router=$KUBE_ROUTER_VERSION" "traefik=$TRAEFIK_VERSION" >"$NODE_BIN/versions"
  echo "$want" >"$stamp"
  log "node: built into $NODE_BIN"
}

# ---- main ----
engine_key() {
  printf 'pulumi-%s_kubernetes-%s_random-%s_k8s-%s_etcd-%s_kwok-%s' \
    "$PULUMI_VERSION" "$PULUMI_KUBERNETES_VERSION" "$PULUMI_RANDOM_VERSION" \
    "$KUBERNETES_VERSION" "$ETCD_VERSION" "$KWOK_VERSION"
}

node_key() {
  printf 'k8s-%s_coredns-%s_kube-router-%s_traefik-%s' \
    "$KUBERNETES_VERSION" "$COREDNS_VERSION" "$KUBE_ROUTER_VERSION" "$TRAEFIK_VERSION"
}

BIN="$CACHE_ROOT/engine/$(engine_key)/bin"
NODE_BIN="$CACHE_ROOT/node/$(node_key)/bin"
mkdir -p "$BIN" "$NODE_BIN"
case "${1:-all}" in
  pulumi) build_pulumi ;;
  kube) build_kube ;;
  node) build_node; echo "$NODE_BIN"; exit 0 ;;
  all) build_pulumi; build_kube; build_node ;;
  *) echo "usage: $0 [pulumi|kube|node|all]" >&2; exit 2 ;;
esac
echo "$BIN"
