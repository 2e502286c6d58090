# Shared tooling: system packages and the one Python virtualenv every Python
# part of the repository (backend, Pulumi program, tests, policies) runs in.
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
$(VENV)/.stamp: $(PY_REQUIREMENTS) services/backend/pyproject.toml | system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet $(addprefix -r ,$(PY_REQUIREMENTS))
	$(PY) -m pip install --quiet --no-deps -e services/backend
	touch $@
