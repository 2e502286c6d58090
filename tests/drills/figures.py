"""Measured figures of the drills: printed at the end of the pytest run and kept as JSON
under artifacts/drills/ so the README's Reliability table can quote them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "drills"
_figures: dict[str, dict[str, Any]] = {}


def record(drill: str, **values: Any) -> None:
    _figures[drill] = values
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "figures.json").write_text(json.dumps(_figures, indent=2, sort_keys=True))


def lines() -> list[str]:
    return [
        f"{drill}: " + ", ".join(f"{key}={value}" for key, value in values.items())
        for drill, values in _figures.items()
    ]
