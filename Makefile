# chat-platform: the README's commands. Each area keeps its targets in mk/<area>.mk
# and appends its test target to TEST_TARGETS, so `make test` runs every one.
SHELL := /bin/bash
.DEFAULT_GOAL := help
TEST_TARGETS :=

include mk/common.mk
include $(wildcard mk/lint.mk mk/backend.mk mk/frontend.mk mk/protocol.mk mk/dev.mk mk/infra.mk mk/pipeline.mk mk/bench.mk mk/drills.mk mk/cluster.mk)

.PHONY: help test
help:
	@echo "make up       deploy to minikube (see docs/deploy-minikube.md)"
	@echo "make destroy  tear the minikube deployment down"
	@echo "make dev      run the whole app locally on http://127.0.0.1:8080 (PORT overrides)"
	@echo "make test     install what the tests need and run every test"
	@echo "make test-cluster  the program against a real Pulumi engine and Kubernetes API server"
	@echo "make bench    run the fan-out benchmark"
	@echo "make protocol regenerate docs/protocol.schema.json and the frontend's types from the protocol models"
	@echo "make docs     rewrite the generated parts of the docs (config tables, AWS pins, published figures)"
	@echo "make screenshot  retake docs/screenshot.png from the end-to-end suite's scene"

test: $(TEST_TARGETS)
	@echo "make test: all of $(TEST_TARGETS) passed"
