# The fan-out benchmark (benchmarks/): the backend against raw Redis pub/sub.
.PHONY: bench test-bench
TEST_TARGETS += test-bench
BENCH := PYTHONPATH=benchmarks $(PY) -m chatbench

# Default run (< 3 min): table on stdout, JSON under benchmarks/results/. BENCH_ARGS adds
# options, e.g. `make bench BENCH_ARGS="--clients 1000 --profile"` (see `--help`).
bench: venv
	$(BENCH) $(BENCH_ARGS)

# Quick mode: proves the benchmark works (deliveries counted, nothing lost, full JSON); no timing asserted.
test-bench: venv
	$(PY) -m pytest benchmarks/tests -q
