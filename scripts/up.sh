#!/usr/bin/env bash
# `make up` / `make destroy`: the chat on minikube with the Pulumi CLI.
#   up:      check prerequisites, start minikube (Calico CNI, so NetworkPolicies are
#            enforced; + ingress addon) if needed, build images
#            into minikube's Docker daemon, `pulumi up` on stack `minikube`, print the URL.
#   destroy: `pulumi destroy` on stack `minikube` (minikube itself keeps running).
# State lives in a local file backend (.pulumi-state/) unless PULUMI_BACKEND_URL says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION=${1:-up}
STACK=minikube

missing=()
for tool in pulumi minikube docker kubectl python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make $ACTION needs: ${missing[*]}" >&2
  echo "  pulumi:   https://www.pulumi.com/docs/install/" >&2
  echo "  minikube: https://minikube.sigs.k8s.io/docs/start/" >&2
  echo "  docker:   https://docs.docker.com/engine/install/ (minikube's docker driver)" >&2
  echo "  kubectl:  https://kubernetes.io/docs/tasks/tools/" >&2
  echo "  python3:  3.11 or newer, with venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}
if [[ $PULUMI_BACKEND_URL == file://* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
# Stack secrets are encrypted with a passphrase; generate one per checkout if none is given.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  passphrase_file=$PWD/.pulumi-state/passphrase
  mkdir -p .pulumi-state
  if [ ! -s "$passphrase_file" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$passphrase_file")
    echo "Generated a stack passphrase in $passphrase_file (keep it: it decrypts the stack's secrets)."
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE=$passphrase_file
fi

# Pulumi runs the program in .venv (Pulumi.yaml). A laptop needs only the program's own
# requirements, not the test suites' system packages that `make venv` insists on.
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv for the Pulumi program..."
  python3 -m venv .venv
fi
if [ ! -f .venv/.pulumi-requirements ] || [ requirements.txt -nt .venv/.pulumi-requirements ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  touch .venv/.pulumi-requirements
fi

if [ "$ACTION" = destroy ]; then
  pulumi destroy --stack "$STACK" --yes
  exit 0
fi

if ! minikube status --format '{{.Host}}' 2>/dev/null | grep -q Running; then
  echo "Starting minikube..."
  # minikube's default CNI ignores NetworkPolicies, and they are what keeps Redis to the backend.
  minikube start --cpus "${MINIKUBE_CPUS:-2}" --memory "${MINIKUBE_MEMORY:-4096}" --cni=calico
fi
context=$(minikube profile)
if [ -z "$(kubectl --context "$context" -n kube-system get daemonset calico-node cilium \
  --ignore-not-found -o name)" ]; then
  echo "This minikube cluster runs without a CNI that enforces NetworkPolicies (Calico or Cilium):" >&2
  echo "every pod could reach Redis. Recreate it with one (make up starts minikube with --cni=calico):" >&2
  echo "  minikube delete && make up" >&2
  exit 1
fi
minikube addons enable ingress >/dev/null
# The controller's admission webhook must answer before Pulumi creates the Ingress.
kubectl --context "$context" -n ingress-nginx wait pod \
  --for=condition=Ready --selector=app.kubernetes.io/component=controller --timeout=180s >/dev/null
# Images are built straight into minikube's Docker daemon: nothing is pushed anywhere.
eval "$(minikube docker-env)"

pulumi stack select --create "$STACK"
pulumi up --stack "$STACK" --yes

host=$(pulumi config get chat-platform:host --stack "$STACK" 2>/dev/null || echo chat.local)
ip=$(minikube ip)
echo
echo "The chat is deployed: $(pulumi stack output url --stack "$STACK")"
if ! grep -qE "^${ip}[[:space:]]+${host}\$" /etc/hosts; then
  echo "Add this line to /etc/hosts so $host resolves to minikube:"
  echo "  $ip $host"
  echo "  e.g.  echo '$ip $host' | sudo tee -a /etc/hosts"
fi
