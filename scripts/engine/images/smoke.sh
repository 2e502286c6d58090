#!/usr/bin/env bash
# Runs the images build.sh made the way the stack runs them, before a node gets them: with runc,
# as one pod (the pause image holds the network and IPC namespaces the others join), each with the
# stack's security settings: its own uid and gid (and the pod's fsGroup as a supplementary group),
# a read-only root, no capabilities, no new privileges, a tmpfs on /tmp where the stack mounts an
# emptyDir. Redis runs its StatefulSet's command with a config and AUTH file where the pod mounts
# them, and /data writable by the fsGroup only. Checked from inside the pod's network namespace
# (nothing listens outside it): Redis's readiness probe command and its append-only file on
# /data, the backend's /api/healthz and /api/readyz (Redis reached with AUTH), the frontend's
# /healthz and app page; every container still running; pause stops on SIGTERM. Everything it
# started is removed at exit, pass or fail.
# Usage: build.sh | smoke.sh
set -euo pipefail
shopt -s inherit_errexit

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
POD="smoke-$$"
CONTAINERS=() IMAGES=()

runc_() { runc --root "$WD/runc" "$@"; }

cleanup() {
  local id
  for id in "${CONTAINERS[@]}"; do
    runc_ kill "$POD-$id" KILL 2>/dev/null || true
    runc_ delete --force "$POD-$id" 2>/dev/null || true
  done
  bah rm --all >/dev/null 2>&1 || true
  ((${#IMAGES[@]} == 0)) || bah rmi "${IMAGES[@]}" >/dev/null 2>&1 || true
  rm -rf "$WD"
}

# The stack's facts read from its source (literals, without importing Pulumi): shell assignments.
stack_facts() {
  python3 - "$ROOT/components/k8s" <<'EOF'
import ast, json, pathlib, shlex, sys

k8s = pathlib.Path(sys.argv[1])

def literals(name):
    """Module-level NAME = literal, and every literal value of a dict key or assignment."""
    found = {}
    for node in ast.walk(ast.parse((k8s / f"{name}.py").read_text())):
        pairs = []
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            pairs.append((node.targets[0].id, node.value))
        elif isinstance(node, ast.Dict):
            pairs += [(k.value, v) for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)]
        for key, value in pairs:
            try:
                found.setdefault(key, ast.literal_eval(value))
            except ValueError:
                pass
    return found

redis, backend, frontend = literals("redis"), literals("backend"), literals("frontend")
facts = {
    "REDIS_IMAGE": redis["REDIS_IMAGE"], "REDIS_UID": redis["REDIS_UID"], "REDIS_PORT": redis["PORT"],
    "REDIS_COMMAND": json.dumps(redis["command"]), "REDIS_PROBE": json.dumps(redis["ping"]),
    "BACKEND_UID": backend["UID"], "BACKEND_PORT": backend["PORT"],
    "FRONTEND_UID": frontend["UID"], "FRONTEND_PORT": frontend["PORT"],
}
for key, value in facts.items():
    print(f"{key}={shlex.quote(str(value))}")
EOF
}

# Starts container <id> of the pod from a docker-archive: <uid, or "" for the image's user>
# <args JSON, or "" for the image's own> <extra env JSON> <extra mounts JSON>. The first one
# started (pause) makes the namespaces the others join.
start() {
  local id="$1" archive="$2" uid="$3" args="$4" env="$5" mounts="$6" ctr image bundle="$WD/$1"
  ctr="$(bah from --quiet "docker-archive:$archive")"
  IMAGES+=("$(bah inspect --format '{{.FromImageID}}' "$ctr")")
  image="$(bah inspect "$ctr" | jq '.OCIv1.config')"
  mkdir -p "$bundle"
  runc spec --bundle "$bundle"
  jq --arg rootfs "$(bah mount "$ctr")" --argjson image "$image" --arg uid "$uid" \
    --arg args "$args" --argjson env "$env" --argjson mounts "$mounts" --arg host "${PAUSE_PID:-}" '
    def joined($type; $file): if .type == $type then .path = "/proc/\($host)/ns/\($file)" else . end;
    (if $uid == "" then $image.User | split(":") | map(tonumber) else [$uid, $uid] | map(tonumber) end)
    as [$u, $g]
    | .root = {path: $rootfs, readonly: true}
    | .hostname = "chat"
    | del(.process.rlimits)
    | .process.terminal = false
    | .process.args = (if $args == "" then ($image.Entrypoint // []) + ($image.Cmd // [])
                       else $args | fromjson end)
    | .process.env = ($image.Env // []) + $env
    | .process.cwd = (if ($image.WorkingDir // "") == "" then "/" else $image.WorkingDir end)
    | .process.user = {uid: $u, gid: $g, additionalGids: [$g]}
    | .process.capabilities = {bounding: [], effective: [], permitted: [], ambient: []}
    | .process.noNewPrivileges = true
    | .mounts += $mounts
    | if $host == "" then . else .linux.namespaces |= map(joined("network"; "net") | joined("ipc"; "ipc")) end
  ' "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
  CONTAINERS+=("$id")
  runc_ run --detach --bundle "$bundle" --pid-file "$bundle/pid" "$POD-$id" </dev/null >"$WD/$id.log" 2>&1 ||
    fail "$id did not start"
}

fail() {
  local id
  log "smoke: $*"
  for id in "${CONTAINERS[@]}"; do
    log "--- $id (last lines)"
    tail -n 15 "$WD/$id.log" >&2 || true
  done
  exit 1
}

# Retries <command...> for up to <seconds>, quietly.
within() {
  local seconds="$1" deadline
  shift
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

in_pod() { nsenter --net="/proc/$PAUSE_PID/ns/net" "$@"; }
get() { in_pod curl -fsS --max-time 5 "$@"; }

main() {
  local tool line name archive tmpfs password page probe started=$SECONDS
  declare -A archives
  for tool in buildah runc jq nsenter curl python3; do
    command -v "$tool" >/dev/null || die "$tool is missing"
  done
  eval "$(stack_facts)"
  while read -r line; do
    name="${line#name=}" name="${name%% *}" archive="${line##*archive=}"
    [[ "$line" == name=*" archive="* && -f "$archive" ]] || die "smoke: not a line of build.sh: $line"
    case "$name" in
      chat-platform/backend:*) archives[backend]="$archive" ;;
      chat-platform/frontend:*) archives[frontend]="$archive" ;;
      "$REDIS_IMAGE") archives[redis]="$archive" ;;
      */pause:*) archives[pause]="$archive" ;;
      *) die "smoke: no check for $name" ;;
    esac
  done
  for name in pause redis backend frontend; do
    [[ -n "${archives[$name]:-}" ]] || die "smoke: build.sh listed no $name image"
  done

  lock_cache
  WD="$(mktemp -d "$CACHE/smoke.XXXXXX")"
  trap cleanup EXIT
  # Redis's volumes as the pod has them: its config, its AUTH file, and /data owned by the
  # fsGroup (setgid, group-writable), as a PersistentVolume with fsGroup is.
  password="$(head -c 30 /dev/urandom | base64 | tr -d '/+=')"
  mkdir -p "$WD/conf" "$WD/auth" "$WD/data"
  { echo "bind 0.0.0.0"; echo "port $REDIS_PORT"; echo "dir /data"; echo "appendfsync everysec";
    cat "$ROOT/services/redis/redis.conf"; echo; echo "include /etc/redis/auth/auth.conf"; } >"$WD/conf/redis.conf"
  echo "requirepass $password" >"$WD/auth/auth.conf"
  chmod 0644 "$WD/conf/redis.conf" "$WD/auth/auth.conf"
  chown "0:$REDIS_UID" "$WD/data" && chmod 2775 "$WD/data"
  tmpfs='[{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", "size=64m"]}]'

  start pause "${archives[pause]}" "" "" '[]' '[]'
  PAUSE_PID="$(cat "$WD/pause/pid")"
  start redis "${archives[redis]}" "$REDIS_UID" "$REDIS_COMMAND" '[]' "$(jq -n --arg wd "$WD" '[
    {destination: "/data", type: "bind", source: "\($wd)/data", options: ["rbind", "rw"]},
    {destination: "/etc/redis/conf", type: "bind", source: "\($wd)/conf", options: ["rbind", "ro"]},
    {destination: "/etc/redis/auth", type: "bind", source: "\($wd)/auth", options: ["rbind", "ro"]}]')"
  start backend "${archives[backend]}" "$BACKEND_UID" "" "$(jq -n --arg pw "$password" --arg port "$REDIS_PORT" '[
    "SESSION_SECRET=smoke-session-secret-of-at-least-32-chars",
    "REDIS_URL=redis://:\($pw)@127.0.0.1:\($port)/0"]')" "$tmpfs"
  start frontend "${archives[frontend]}" "$FRONTEND_UID" "" '[]' "$tmpfs"

  mapfile -t probe < <(jq -r '.[]' <<<"$REDIS_PROBE")
  within 30 runc_ exec "$POD-redis" "${probe[@]}" || fail "redis: its readiness probe command never passed"
  log "smoke: redis: readiness probe passes as uid $REDIS_UID, read-only root"
  [[ -n "$(find "$WD/data" -name '*.aof' -user "$REDIS_UID")" ]] || fail "redis: no append-only file on /data"
  log "smoke: redis: append-only file written on /data"
  within 90 get "http://127.0.0.1:$BACKEND_PORT/api/readyz" || fail "backend: /api/readyz never answered"
  [[ "$(get "http://127.0.0.1:$BACKEND_PORT/api/readyz")" == '{"status":"ready"}' ]] || fail "backend: not ready"
  [[ "$(get "http://127.0.0.1:$BACKEND_PORT/api/healthz")" == '{"status":"ok"}' ]] || fail "backend: /api/healthz"
  log "smoke: backend: /api/healthz ok, /api/readyz ready (Redis with AUTH) as uid $BACKEND_UID, read-only root"
  within 30 get "http://127.0.0.1:$FRONTEND_PORT/healthz" || fail "frontend: /healthz never answered"
  [[ "$(get "http://127.0.0.1:$FRONTEND_PORT/healthz")" == ok ]] || fail "frontend: /healthz"
  page="$(get -i "http://127.0.0.1:$FRONTEND_PORT/login")" || fail "frontend: /login"
  grep -qi '^content-security-policy:' <<<"$page" || fail "frontend: no Content-Security-Policy header"
  grep -q '<div id="root">' <<<"$page" || fail "frontend: not the app page"
  log "smoke: frontend: /healthz ok, the app page with its headers as uid $FRONTEND_UID, read-only root"
  for name in "${CONTAINERS[@]}"; do
    [[ "$(runc_ state "$POD-$name" | jq -r .status)" == running ]] || fail "$name stopped"
  done
  runc_ kill "$POD-pause" TERM
  within 10 bash -c "[[ \"\$(runc --root '$WD/runc' state '$POD-pause' | jq -r .status)\" == stopped ]]" ||
    fail "pause: still running after SIGTERM"
  log "smoke: pause: stops on SIGTERM; all passed in $((SECONDS - started))s"
}

main "$@"
