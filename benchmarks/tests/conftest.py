"""What the benchmark's tests share: running a benchmark module in its quick mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quick(module: str, *options: str) -> str:
    """`python -m module --quick options…` from the repository root; its stdout, once it succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--quick", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout
