# `make dev`: the whole app on http://127.0.0.1:8080 (PORT overrides; scripts/devstack), and the
# browser end-to-end tests that run against the same launcher.
.PHONY: dev test-e2e
dev: venv frontend-build
	$(PY) -m devstack

test-e2e: venv frontend-build
	$(PY) -m pytest tests/e2e

TEST_TARGETS += test-e2e
