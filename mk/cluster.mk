# The Pulumi program against a real engine and a real Kubernetes node (tests/cluster): builds the
# Pulumi CLI, its providers, a control plane and a node (kubelet, kube-proxy, CoreDNS, kube-router,
# Traefik) from Go modules once per machine (cached under ~/.cache/chat-platform), the images from
# our Dockerfiles with buildah, then deploys the minikube stack onto the node and tries it as its
# users do. Needs Go and root; not part of `make test` (a cold build takes tens of minutes);
# .ci/run runs it after.
.PHONY: test-cluster

test-cluster: venv
	@bash scripts/engine/install_deps.sh
	$(PY) -m tests.cluster
