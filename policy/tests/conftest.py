"""The Pulumi CLI runs the pack with policy/ at the front of sys.path (runpy on the directory);
the tests import the guardrails the same way, so `guardrails` means the same package in both."""

import sys
from pathlib import Path

POLICY_DIR = str(Path(__file__).resolve().parents[1])
if POLICY_DIR not in sys.path:
    sys.path.insert(0, POLICY_DIR)
