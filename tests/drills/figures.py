"""Measured figures of the drills: printed at the end of the pytest run and written, with what
each drill checks, when it ran and on which machine, to artifacts/drills/ (git-ignored).
Published by copying the file to docs/results/ and running `make docs`, which renders the
table of docs/reliability.md from it (docgen/reliability.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkout import ARTIFACTS
from devstack import machine

DRILL_ARTIFACTS = ARTIFACTS / "drills"
FIGURES = DRILL_ARTIFACTS / "figures.json"  # the drills pytest runs (`make test-drills`)
SOAK_FIGURES = DRILL_ARTIFACTS / "soak.json"  # `make soak`, a process of its own
_figures: dict[str, dict[str, Any]] = {}


def entry(checks: str, **values: Any) -> dict[str, Any]:
    """One drill's record: `checks` says in a sentence what happens and what the drill asserts,
    `values` are what it measured."""
    return {"checks": checks, "measured": machine.utc_now(), "figures": values}


def record(drill: str, checks: str, **values: Any) -> None:
    """Keeps one drill's record (`drill` names the fault as the page shows it) and rewrites FIGURES."""
    _figures[drill] = entry(checks, **values)
    write(FIGURES, _figures)


def write(path: Path, drills: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine.describe(), "drills": drills}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def lines() -> list[str]:
    return [
        f"{drill}: " + ", ".join(f"{key}={value}" for key, value in entry["figures"].items())
        for drill, entry in _figures.items()
    ]
