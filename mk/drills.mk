# Reliability and security drills (tests/drills): real redis-server, backend (2 workers),
# nginx and chromium on 127.0.0.1. `make soak` is the long run, outside `make test`.
.PHONY: test-drills soak
TEST_TARGETS += test-drills
SOAK_SECONDS ?= 300

# The browser drill serves the built frontend through nginx, like `make dev`.
test-drills: venv frontend-build
	$(SERVER_TESTS) tests/drills -q

soak: venv
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m tests.drills.soak
