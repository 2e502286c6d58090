#!/usr/bin/env bash
# Makes a one-file image from a static binary (an add-on of the test node: CoreDNS, Traefik):
# FROM scratch, the binary as /<name> and its entrypoint, run as a non-root user. Cached by the
# binary's content under the chat-platform cache; prints "name=<ref> archive=<path>".
# Usage: image.sh <binary> <ref>
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <binary> <ref>" >&2; exit 2; }
binary="$1" ref="$2"
name="$(basename "$binary")"
cache="${CHAT_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-platform}/addon-images"
archive="$cache/$name-$(sha256sum "$binary" | cut -c1-16).tar"
if [[ ! -f "$archive" ]]; then
  mkdir -p "$cache"
  bah() { buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver vfs "$@"; }
  ctr="$(bah from --pull=never scratch)"
  trap 'bah rm "$ctr" >/dev/null' EXIT
  bah copy --chmod 0755 "$ctr" "$binary" "/$name" >/dev/null
  bah config --entrypoint "[\"/$name\"]" --user 65532:65532 "$ctr"
  bah commit --quiet --format docker "$ctr" "$ref" >/dev/null
  bah push --quiet "$ref" "docker-archive:$archive.part:$ref" >&2
  bah rmi "$ref" >/dev/null
  mv "$archive.part" "$archive"
fi
echo "name=$ref archive=$archive"
