# The chat backend (services/backend): its tests start real redis-server and backend processes.
# test-backend-cluster: the same suite on a local 6-node Redis Cluster with REDIS_CLUSTER=true.
.PHONY: test-backend test-backend-cluster run-backend
TEST_TARGETS += test-backend test-backend-cluster

test-backend: venv
	$(SERVER_TESTS) services/backend/tests -q

test-backend-cluster: venv
	CHAT_TEST_REDIS=cluster $(SERVER_TESTS) services/backend/tests -q

# The backend alone on :8000 with a local redis-server (see services/backend/README.md).
run-backend: venv
	DEV_MODE=$${DEV_MODE:-true} ALLOWED_ORIGINS=$${ALLOWED_ORIGINS:-http://127.0.0.1:8080} $(PY) -m chat_backend
