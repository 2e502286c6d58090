# The fan-out benchmark (benchmarks/): the backend against the Socket.IO peer and raw Redis pub/sub.
.PHONY: bench bench-archive test-bench socketio-deps
TEST_TARGETS += test-bench
BENCH := $(PY) -m chatbench
SOCKETIO := benchmarks/socketio

# The peer's npm packages, exactly as its lockfile pins them (no install scripts: none needs one).
# npm ci writes node_modules/.package-lock.json: older than the lockfile means stale.
socketio-deps: $(SOCKETIO)/node_modules/.package-lock.json
$(SOCKETIO)/node_modules/.package-lock.json: $(SOCKETIO)/package-lock.json $(SOCKETIO)/package.json
	cd $(SOCKETIO) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# Default run (≈ 10 min, both plans): tables on stdout, JSON under benchmarks/results/. BENCH_ARGS adds
# options, e.g. `make bench BENCH_ARGS="--systems uvicorn,socketio --profile"` (see `--help`).
bench: venv socketio-deps
	$(BENCH) $(BENCH_ARGS)

# The PostgreSQL archive (≈ 3 min): the archiver's lag at 1,200 msgs/s, then history pages and
# searches over a million archived messages (bulk-loaded with COPY); JSON under benchmarks/results/.
bench-archive: venv
	$(PY) -m chatbench.archive

# Quick mode: proves the benchmark works (deliveries counted, nothing lost, full JSON); no timing asserted.
test-bench: venv socketio-deps
	$(PY) -m pytest benchmarks/tests -q
