#!/usr/bin/env bash
# Installs the Debian packages that are missing: `app` what `make dev` runs (redis-server,
# PostgreSQL, nginx),
# `all` also what the tests need beyond it (chromium for the browser tests, shellcheck). As root
# it installs them; otherwise it prints the exact command to run and fails.
# Usage: install_system_deps.sh app|all
set -euo pipefail

declare -A PACKAGE_FOR=(
  [redis-server]=redis-server
  [nginx]=nginx
)
case "${1:-}" in
  app) ;;
  all) PACKAGE_FOR+=([chromium]=chromium [shellcheck]=shellcheck) ;;
  *)
    echo "usage: $0 app|all" >&2
    exit 2
    ;;
esac
missing=()
for cmd in "${!PACKAGE_FOR[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
    missing+=("${PACKAGE_FOR[$cmd]}")
  fi
done
# The browser tests and the README's screenshot show emoji (reactions, the picker): chromium
# draws them from a colour emoji font.
if [[ "${1}" == all && ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]]; then
  missing+=(fonts-noto-color-emoji)
fi
# PostgreSQL's binaries are not on PATH: devstack runs them from the version's own directory.
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  missing+=(postgresql)
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
