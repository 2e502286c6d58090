# Shared tooling: system packages and the one Python virtualenv every Python
# part of the repository (backend, Pulumi program, tests, policies, launcher) runs in.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Every pinned requirements file in the repository; the venv is rebuilt when one changes.
PY_REQUIREMENTS := $(wildcard requirements.txt services/backend/requirements*.txt \
	tests/*/requirements.txt policy/requirements.txt benchmarks/requirements.txt)

.PHONY: system-deps venv
system-deps:
	@bash scripts/install_system_deps.sh

venv: $(VENV)/.stamp
# flock: several suites may ask for the venv at once; one builds it, the others wait.
$(VENV)/.stamp: $(PY_REQUIREMENTS) services/backend/pyproject.toml | system-deps
	@exec 9>.venv.lock; flock 9; \
	set -e; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install --quiet --disable-pip-version-check pip==26.3; \
	$(PY) -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(PY_REQUIREMENTS)); \
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e services/backend; \
	echo "$(CURDIR)/scripts" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/chat_platform_scripts.pth"; \
	touch $@
