# The WebSocket protocol: its JSON Schema (docs/protocol.schema.json) generated from the
# backend's pydantic models (services/backend/chat_backend/protocol.py), then the frontend's
# TypeScript types (services/frontend/src/api/protocol.ts) from the schema.
# tests/lint/test_protocol_schema.py, run by `make lint`, fails when either is stale; it runs
# the frontend's generator, so lint needs the frontend's npm dependencies.
.PHONY: protocol
protocol: venv frontend-deps
	$(PY) -m docgen.protocol_schema
	$(FRONTEND_NPM) run protocol

lint: frontend-deps
