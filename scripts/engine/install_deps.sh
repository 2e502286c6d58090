#!/usr/bin/env bash
# Installs the Debian packages the test cluster's node and image builds run (containerd, runc, the
# CNI plugins, iptables and ipset for kube-proxy and kube-router, buildah, debootstrap and a static
# C build for the images) when they are missing. The node needs root (network namespaces, mounts, cgroups).
set -euo pipefail

declare -A PACKAGE_FOR=(
  [containerd]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [iptables]=iptables
  [ipset]=ipset
  [conntrack]=conntrack
  [nsenter]=util-linux
  [envsubst]=gettext-base
  [buildah]=buildah
  [debootstrap]=debootstrap
  [gcc]=gcc
  [/usr/include/stdio.h]=libc6-dev
  [curl]=curl
  [chromium]=chromium
)
missing=()
for need in "${!PACKAGE_FOR[@]}"; do
  if [[ "$need" == /* ]]; then [[ -e "$need" ]] && continue
  else command -v "$need" >/dev/null 2>&1 || [[ -x "/usr/sbin/$need" ]] && continue
  fi
  missing+=("${PACKAGE_FOR[$need]}")
done
if [[ "$(id -u)" -ne 0 ]]; then
  echo "make test-cluster runs a real node: it needs root (network namespaces, mounts, cgroups)" >&2
  ((${#missing[@]} == 0)) || echo "and these packages: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
((${#missing[@]} == 0)) && exit 0
echo "Installing system packages for the test node: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
