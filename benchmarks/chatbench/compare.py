"""The backend against the Socket.IO peer on the four figures the project compares them by,
each as the ratio backend ÷ Socket.IO, and the table that shows them side by side."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatbench.fanout import FanoutResult, StepResult
from chatbench.server_run import ServerRun

VALUE_WIDTH = 17
RATIO_WIDTH = 13


@dataclass
class Comparison:
    metric: str
    unit: str
    backend_ahead_when: str  # "ratio > 1" (more is better) or "ratio < 1" (less is better)
    values: dict[str, float | None]  # system -> figure; None: not measured (e.g. the step did not run)
    marks: dict[str, str]  # system -> what qualifies the figure (the step; + top step; x failed)
    ratios: dict[str, float | None]  # backend ASGI server -> backend ÷ Socket.IO


Figure = tuple[float, str]  # the value (nan: not measured) and its mark


def step_at(fan: FanoutResult, rate: float, rooms: int) -> StepResult | None:
    return next((s for s in fan.steps if s.rate == rate and s.rooms == rooms), None)


def per_cpu_at(rate: float, rooms: int) -> Callable[[ServerRun], Figure]:
    def figure(run: ServerRun) -> Figure:
        step = step_at(run.fanout, rate, rooms) if run.fanout else None
        if step is None:
            return math.nan, "not run"
        return step.deliveries_per_cpu_s, "" if step.passed else "x"

    return figure


def highest_passing(top_rate: float) -> Callable[[ServerRun], Figure]:
    def figure(run: ServerRun) -> Figure:
        best = run.fanout.best() if run.fanout else None
        if best is None:
            return math.nan, "none"
        return best.deliveries_per_s, best.name + ("+" if best.rate == top_rate else "")

    return figure


def light_p99(run: ServerRun) -> Figure:
    light = next((s for s in run.fanout.steps if s.name == "light"), None) if run.fanout else None
    return (light.p99_ms, "") if light else (math.nan, "not run")


def idle_kib(run: ServerRun) -> Figure:
    return (run.idle.kib_per_connection, "") if run.idle else (math.nan, "not run")


def compare(backends: list[ServerRun], peer: ServerRun, plan: dict[str, Any]) -> list[Comparison]:
    room_size = plan["clients"] // plan["rooms"]
    rows: list[tuple[str, str, bool, Callable[[ServerRun], Figure]]] = [
        (f"deliveries per server CPU-s at {plan['compare_rate']:g} msgs/s", "deliveries/CPU-s", True,
         per_cpu_at(plan["compare_rate"], plan["rooms"])),
        ("highest step with p99 <= 200 ms, 0 lost/dup", "deliveries/s", True,
         highest_passing(max(plan["rates"]))),
        (f"p99 at light load ({plan['light_rate']:g} msgs/s, room of {room_size})", "ms", False, light_p99),
        ("RSS per idle WebSocket", "KiB", False, idle_kib),
    ]  # fmt: skip
    comparisons = []
    for metric, unit, more_is_better, measure in rows:
        figures = {run.name: measure(run) for run in [*backends, peer]}
        values = {name: None if math.isnan(value) else value for name, (value, _) in figures.items()}
        theirs = values[peer.name]
        comparisons.append(
            Comparison(
                metric,
                unit,
                "ratio > 1" if more_is_better else "ratio < 1",
                values,
                {name: mark for name, (_, mark) in figures.items()},
                {run.name: ratio(values[run.name], theirs) for run in backends},
            )
        )
    return comparisons


def ratio(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def cell(value: float | None, unit: str, mark: str) -> str:
    if value is None:
        return mark or "n/a"
    text = {"ms": f"{value:.1f} ms", "KiB": f"{value:.1f} KiB"}.get(unit, f"{value:,.0f}")
    return f"{text} ({mark})" if mark else text


def render(comparisons: list[Comparison], peer: str) -> list[str]:
    if not comparisons:
        return []
    systems = list(comparisons[0].values)
    backends = list(comparisons[0].ratios)
    width = max(len(c.metric) for c in comparisons)
    lines = [
        "backend vs Socket.IO (same clients, rooms and steps; ratio = backend ÷ Socket.IO):",
        f"  {'':<{width}}"
        + "".join(f" {'Socket.IO' if s == peer else s:>{VALUE_WIDTH}}" for s in systems)
        + "".join(f" {b + ' ÷ SIO':>{RATIO_WIDTH}}" for b in backends)
        + "  backend ahead when",
    ]
    for c in comparisons:
        lines.append(
            f"  {c.metric:<{width}}"
            + "".join(f" {cell(c.values[s], c.unit, c.marks[s]):>{VALUE_WIDTH}}" for s in systems)
            + "".join(f" {ratio_text(c.ratios[b]):>{RATIO_WIDTH}}" for b in backends)
            + f"  {c.backend_ahead_when}"
        )
    lines += [
        "  (step): the highest passing step; +: the plan's top step, so the limit lies above it",
        "  (x): that step failed (p99 > 200 ms or deliveries lost/duplicated); n/a: not measured",
    ]
    return lines


def ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
