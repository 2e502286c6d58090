"""A goal of a run: what was aimed at, what was measured, and whether it was met."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Goal:
    name: str
    target: str
    measured: str
    met: bool


def goal_lines(goals: list[Goal]) -> list[str]:
    return [f"  [{'met' if g.met else 'NOT met'}] {g.name}: {g.measured} (goal {g.target})" for g in goals]
