# shellcheck shell=bash
# What build.sh and smoke.sh share: the cache, buildah on its own storage there, the lock that
# keeps two of them from using that storage at once, and how they report.

CACHE="${CHAT_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-platform}/images"
# overlay needs a kernel overlayfs on the cache's filesystem; vfs works anywhere, copying layers.
DRIVER="${CHAT_IMAGES_STORAGE_DRIVER:-overlay}"

log() { echo "images: $*" >&2; }
die() {
  log "$*"
  exit 1
}
bah() { buildah --root "$CACHE/storage-$DRIVER" --runroot "$CACHE/run-$DRIVER" --storage-driver "$DRIVER" "$@"; }

# Holds the cache's lock until this shell exits (file descriptor 9).
lock_cache() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/lock"
  flock -n 9 || {
    log "waiting for another build.sh or smoke.sh"
    flock 9
  }
}
