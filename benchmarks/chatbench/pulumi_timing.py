"""How long the Pulumi program takes to register every resource under mocks, per stack:
the part of `pulumi preview` that is ours. Each stack runs in a fresh interpreter (the
program's imports are part of the cost) through the dev tools' harness (pulumi_harness)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

from checkout import ROOT


@dataclass
class StackTiming:
    stack: str
    resources: int
    import_seconds: float  # importing pulumi and the harness
    register_seconds: float  # running __main__.py until every resource is registered
    error: str | None = None


def stacks() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


def time_stack(stack: str) -> StackTiming:
    # From the checkout's root, so the program's `components` package is importable, as for the CLI.
    done = subprocess.run(
        [sys.executable, "-m", "chatbench.pulumi_timing", stack],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        last_lines = done.stderr.strip().splitlines()[-1:] or ["failed"]
        return StackTiming(stack, 0, 0.0, 0.0, error=last_lines[0])
    return StackTiming(**json.loads(done.stdout.strip().splitlines()[-1]))


def main(stack: str) -> None:
    started = time.perf_counter()
    import pulumi_harness  # here, so the import is timed

    imported = time.perf_counter()
    run = pulumi_harness.run_program(stack)
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "stack": stack,
                "resources": len(run.resources),
                "import_seconds": imported - started,
                "register_seconds": finished - imported,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
