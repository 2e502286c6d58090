# Shared tooling: system packages and the one Python virtualenv every Python part of the
# repository (backend, Pulumi program, tests, policies, dev tools, benchmark) runs in. `make dev`
# has a smaller one of its own (mk/dev.mk).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The suites that start servers keep their data (pytest's temporary directories) in memory when
# the machine has /dev/shm: fsync on a disk that a build beside the suite is writing can stall for
# seconds (docs/testing.md).
# The benchmark keeps the disk: its figures are about the deployed fsync policy.
SERVER_TESTS := TMPDIR=$(shell test -w /dev/shm && echo /dev/shm || echo "$${TMPDIR:-/tmp}") $(PY) -m pytest
PIP_QUIET := --quiet --disable-pip-version-check
PIP_VERSION := 26.3
# Every pinned requirements file in the repository; the venv is rebuilt when one changes.
PY_REQUIREMENTS := $(wildcard requirements.txt services/backend/requirements*.txt \
	tests/*/requirements.txt policy/requirements.txt benchmarks/requirements.txt)
# The repository's own packages, installed editable (their dependencies are pinned in the files
# above): the backend, the dev tools (tools/: devstack, chatkit, pulumi_harness, docgen), the benchmark.
LOCAL_PACKAGES := services/backend tools benchmarks

.PHONY: system-deps venv
system-deps:
	@bash scripts/install_system_deps.sh all

venv: $(VENV)/.stamp
# flock: several suites may ask for the venv at once; one builds it, the others wait.
$(VENV)/.stamp: $(PY_REQUIREMENTS) $(addsuffix /pyproject.toml,$(LOCAL_PACKAGES)) | system-deps
	@exec 9>.venv.lock; flock 9; \
	set -e; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install $(PIP_QUIET) pip==$(PIP_VERSION); \
	$(PY) -m pip install $(PIP_QUIET) $(addprefix -r ,$(PY_REQUIREMENTS)); \
	$(PY) -m pip install $(PIP_QUIET) --no-deps $(addprefix -e ,$(LOCAL_PACKAGES)); \
	touch $@
