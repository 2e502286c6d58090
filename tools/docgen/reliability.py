"""docs/reliability.md's table of what the drills measured, from the figures they write
(tests/drills/figures.py), published under docs/results/: drills.json (`make test-drills`) and
soak.json (`make soak`). Each drill carries its own description (`checks`), so a new drill shows
up here without a change to this file."""

from __future__ import annotations

import json
from typing import Any

from checkout import ROOT
from devstack import machine

from docgen.page import Generated, fill, table

RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "reliability.md"
FILES = ("drills.json", "soak.json")
UNITS = {"_s": "s", "_ms": "ms"}  # a figure named `…_s` is in seconds


def figure(name: str, value: Any) -> str:
    label = name.replace("_", " ")
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            label, value = name.removesuffix(suffix).replace("_", " "), f"{value} {unit}"
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, dict):
        value = ", ".join(f"{key}: {count}" for key, count in value.items())
    return f"{label} {value}"


def rows(drills: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [
        [
            drill,
            entry["checks"],
            "; ".join(figure(name, value) for name, value in entry["figures"].items())
            + f" ({entry['measured']})",
        ]
        for drill, entry in drills.items()
    ]


def drills_table() -> str:
    published = [
        (name, json.loads((RESULTS / name).read_text())) for name in FILES if (RESULTS / name).exists()
    ]
    if not published:
        return "No drill results are published yet: see [publishing a run](#publishing-a-run).\n"
    machines = "".join(f"- `{name}`: {machine.summary(doc['machine'])}\n" for name, doc in published)
    body = [row for _, doc in published for row in rows(doc["drills"])]
    return f"Measured on:\n\n{machines}\n" + table(
        ["fault", "what happens, and what the drill asserts", "measured"], body
    )


def render(text: str) -> str:
    return fill(text, "drills", drills_table())


GENERATED = Generated(PAGE, render)
