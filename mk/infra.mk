# The Pulumi program: mocks-based tests here, `make up` / `make destroy` on a laptop with minikube.
CHECKOV := .tools/checkov/bin/checkov
CHECKOV_VERSION := 3.3.30

.PHONY: test-infra up destroy checkov
TEST_TARGETS += test-infra

# checkov's dependencies clash with the rest, so it gets a venv of its own.
checkov: $(CHECKOV)
$(CHECKOV):
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

test-infra: venv $(CHECKOV)
	shellcheck scripts/*.sh
	$(PY) -m pytest tests/infra -q

up:
	@bash scripts/up.sh up

destroy:
	@bash scripts/up.sh destroy
