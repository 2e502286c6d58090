# `make dev`: the whole app on http://127.0.0.1:8080 (PORT overrides; scripts/devstack), and the
# browser end-to-end tests that run against the same launcher. `make dev-cluster`: the same on a
# local 6-node Redis Cluster (REDIS_CLUSTER=true).
.PHONY: dev dev-cluster test-e2e
dev: venv frontend-build
	$(PY) -m devstack

dev-cluster: venv frontend-build
	$(PY) -m devstack --cluster

test-e2e: venv frontend-build
	$(PY) -m pytest tests/e2e

TEST_TARGETS += test-e2e
