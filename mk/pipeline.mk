# The guardrails policy pack (policy/): each rule's unit tests, the pack served over
# gRPC as the Pulumi CLI runs it, and the compliance test — every resource the real program
# registers for each stack (under mocks, tools/pulumi_harness.py) passes every rule.
.PHONY: test-policy
TEST_TARGETS += test-policy

test-policy: venv
	$(PY) -m pytest policy/tests -q
