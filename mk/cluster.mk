# The Pulumi program against a real engine and Kubernetes API server (tests/cluster): builds the
# Pulumi CLI, its providers and a control plane from Go modules once per machine (cached under
# ~/.cache/chat-platform/engine/<versions>), then preview/up/re-up/update/destroy on KWOK nodes.
# Needs Go; not part of `make test` (a cold build takes tens of minutes); .ci/run runs it after.
.PHONY: test-cluster

test-cluster: venv
	$(PY) -m tests.cluster
