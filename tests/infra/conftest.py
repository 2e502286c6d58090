"""Stack runs are shared per session: running the program is the expensive part."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from checkout import ROOT
from pulumi_harness import StackRun, run_program

# Every stack whose config file composes; the aws stack joins when its config file exists.
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
_runs: dict[str, StackRun] = {}


def stack_run(stack: str) -> StackRun:
    if stack not in _runs:
        _runs[stack] = run_program(stack)
    return _runs[stack]


@pytest.fixture(scope="session")
def minikube() -> StackRun:
    return stack_run("minikube")


@pytest.fixture(scope="session", params=STACKS)
def any_stack(request: pytest.FixtureRequest) -> StackRun:
    return stack_run(str(request.param))


@pytest.fixture(scope="session")
def run_stack() -> Callable[..., StackRun]:
    return run_program


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def aws() -> StackRun:
    return stack_run("aws")
