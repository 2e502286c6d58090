# Lint and type gates: ruff (lint + format check) over the repository, mypy strict
# (mypy.ini) on the program, the backend, the dev tools, the benchmark and the policy pack, the GitHub
# workflows checked against GitHub's schema, audited by zizmor (.github/zizmor.yml) and held to the
# delivery contract, and the generated docs current (tests/lint) — all offline.
# The frontend's ESLint/tsc run in test-frontend, the Dockerfile checks (checkov) in test-infra.
MYPY := $(VENV)/bin/mypy
MYPY_PROGRAM := components __main__.py services/backend/chat_backend tools benchmarks/chatbench
WORKFLOWS := $(wildcard .github/workflows/*.yml)
# Each gate runs even when an earlier one failed, so one run shows everything to fix.
LINT_GATES := \
	"$(VENV)/bin/ruff check ." \
	"$(VENV)/bin/ruff format --check ." \
	"$(MYPY) --cache-dir .mypy_cache/program $(MYPY_PROGRAM)" \
	"$(MYPY) --cache-dir .mypy_cache/policy policy" \
	"$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)" \
	"$(VENV)/bin/zizmor --offline --config .github/zizmor.yml .github/" \
	"$(PY) -m pytest tests/lint -q"

.PHONY: lint
TEST_TARGETS += lint

# mypy runs twice, each with its own cache: the policy pack is a program of its own (the CLI
# runs it with policy/ on sys.path) and its __main__.py would clash with the program's.
lint: venv
	@failed=(); for gate in $(LINT_GATES); do \
		echo "== $$gate"; $$gate || failed+=("$$gate"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then printf 'lint FAILED: %s\n' "$${failed[@]}" >&2; exit 1; fi; \
	echo "lint: all gates passed"

# The generated parts of the docs (tools/docgen): the config tables (Pulumi.yaml), the AWS version
# pins (the aws stack under mocks), the measured figures (docs/results/). tests/lint fails when stale.
.PHONY: docs
docs: venv
	$(PY) -m docgen
