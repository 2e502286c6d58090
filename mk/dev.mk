# `make dev`: the whole app on http://127.0.0.1:8080 (PORT overrides; tools/devstack), and the
# browser end-to-end tests that run against the same launcher. `make dev-cluster`: the same on a
# local 6-node Redis Cluster (REDIS_CLUSTER=true). `make screenshot`: the README's picture, taken
# by the e2e scene.
.PHONY: dev dev-cluster app-venv system-deps-app test-e2e screenshot

# What running the app needs and no more: the backend's runtime requirements, the backend and the
# dev tools (the launcher) in a virtualenv of their own, redis-server and nginx from apt. The
# full .venv (tests, Pulumi SDKs, Playwright) is `make test`'s.
APP_VENV := .venv-app
APP_PY := $(APP_VENV)/bin/python
APP_REQUIREMENTS := services/backend/requirements.txt

system-deps-app:
	@bash scripts/install_system_deps.sh app

app-venv: $(APP_VENV)/.stamp
$(APP_VENV)/.stamp: $(APP_REQUIREMENTS) services/backend/pyproject.toml tools/pyproject.toml | system-deps-app
	@echo "make dev: installing the app's Python packages into $(APP_VENV) (the first time takes a minute)"
	@set -e; \
	test -x $(APP_PY) || $(PYTHON) -m venv $(APP_VENV); \
	$(APP_PY) -m pip install $(PIP_QUIET) pip==$(PIP_VERSION); \
	$(APP_PY) -m pip install $(PIP_QUIET) -r $(APP_REQUIREMENTS); \
	$(APP_PY) -m pip install $(PIP_QUIET) --no-deps -e services/backend -e tools; \
	touch $@

dev: app-venv frontend-build
	$(APP_PY) -m devstack

dev-cluster: app-venv frontend-build
	$(APP_PY) -m devstack --cluster

test-e2e: venv frontend-build
	$(SERVER_TESTS) tests/e2e

# The e2e scene saves its picture under artifacts/e2e/ (git-ignored) on every run; only this
# target copies it over the tracked docs/screenshot.png, so `make test` leaves the checkout alone.
screenshot: venv frontend-build
	$(SERVER_TESTS) tests/e2e/test_features.py -q -k test_screenshot_of_rooms_dms_mentions_and_edits
	cp artifacts/e2e/features.png docs/screenshot.png

TEST_TARGETS += test-e2e
