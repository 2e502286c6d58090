# The Pulumi program: mocks-based tests here, `make up` / `make destroy` on a laptop with minikube.
CHECKOV_VERSION := 3.3.30
# The stamp names the version, so changing the pin rebuilds the tool venv.
CHECKOV := .tools/checkov/.installed-$(CHECKOV_VERSION)

.PHONY: test-infra up destroy checkov
TEST_TARGETS += test-infra

# checkov's dependencies clash with the rest, so it gets a venv of its own.
checkov: $(CHECKOV)
$(CHECKOV): | system-deps
	rm -rf .tools/checkov
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

test-infra: venv $(CHECKOV)
	shellcheck -x -P SCRIPTDIR scripts/*.sh scripts/engine/*.sh scripts/engine/addons/*.sh scripts/engine/images/*.sh
	$(PY) -m pytest tests/infra -q

up:
	@bash scripts/up.sh up

destroy:
	@bash scripts/up.sh destroy
