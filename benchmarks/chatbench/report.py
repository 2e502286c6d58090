"""The run's results: goals checked, a short table for the terminal, JSON for the record."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbench import compare
from chatbench.compare import Comparison
from chatbench.fanout import LATENCY_GOAL_MS, FanoutResult
from chatbench.goals import Goal, goal_lines
from chatbench.org.bench import OrgReport
from chatbench.org.report import org_lines
from chatbench.procstats import SERVER_CPU
from chatbench.pulumi_timing import StackTiming
from chatbench.server_run import ServerRun

# Against Socket.IO in the same run (ratios backend ÷ peer, compare.py's rows in order):
# at least this much more per CPU-second, at least the same highest step, no worse light p99.
PEER_RATIO_GOALS = (1.5, 1.0, 1.0)
IDLE_KIB_GOAL = 20.0
MINIKUBE_REGISTER_GOAL_S = 2.0


@dataclass
class Report:
    machine: dict[str, Any]
    started: str  # when the run began, UTC: the published page dates the run by it
    plan: dict[str, Any]
    servers: list[ServerRun]  # the backend, once per ASGI server
    peer: ServerRun | None  # Socket.IO on Node
    baseline: FanoutResult | None  # raw Redis pub/sub
    pulumi: list[StackTiming]
    org: OrgReport | None = None  # the organisation plan (chatbench/org), with goals of its own
    comparison: list[Comparison] = field(default_factory=list)
    winner: str | None = None
    goals: list[Goal] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    def ran_fanout(self) -> bool:
        return bool(self.servers) or self.peer is not None or self.baseline is not None

    def measured(self) -> list[ServerRun]:
        return [s for s in self.servers if s.fanout is not None]

    def evaluate(self) -> None:
        runs = self.measured()
        if self.peer is not None and self.peer.fanout is not None:
            self.comparison = compare.compare(runs, self.peer, self.plan)
        if not runs:
            return
        winner = max(runs, key=lambda s: score(s.fanout))
        self.winner = winner.name
        fan = winner.fanout
        assert fan is not None
        everything = [s for r in runs if r.fanout for s in r.fanout.steps]
        everything += self.baseline.steps if self.baseline else []
        lost, dup = sum(s.lost for s in everything), sum(s.duplicates for s in everything)
        idle_kib = winner.idle.kib_per_connection if winner.idle else math.nan
        # Without the peer there is no comparison, and no goal against it.
        rows = zip(self.comparison, PEER_RATIO_GOALS, strict=False)
        self.goals = [peer_goal(row, winner.name, target) for row, target in rows]
        self.goals += [
            Goal("RSS per idle WebSocket", f"<= {IDLE_KIB_GOAL} KiB", f"{idle_kib:.1f} KiB",
                 idle_kib <= IDLE_KIB_GOAL),
            Goal("lost / duplicated deliveries, every step", "0 / 0", f"{lost} / {dup}",
                 lost == 0 and dup == 0),
        ]  # fmt: skip
        minikube = next((t for t in self.pulumi if t.stack == "minikube" and t.error is None), None)
        if minikube is not None:
            self.goals.append(
                Goal("Pulumi minikube stack: every resource registered under mocks",
                     f"< {MINIKUBE_REGISTER_GOAL_S} s", f"{minikube.register_seconds:.2f} s",
                     minikube.register_seconds < MINIKUBE_REGISTER_GOAL_S)
            )  # fmt: skip


def peer_goal(row: Comparison, backend: str, target: float) -> Goal:
    """The backend ÷ Socket.IO ratio of one comparison row against its target."""
    value = row.ratios.get(backend)
    more = row.backend_ahead_when == "ratio > 1"
    met = value is not None and (value >= target if more else value <= target)
    measured = "n/a" if value is None else f"{value:.2f}"
    return Goal(f"{row.metric}, ÷ Socket.IO", f"{'>=' if more else '<='} {target}", measured, met)


def score(fan: FanoutResult | None) -> tuple[float, float]:
    best = fan.best() if fan else None
    return (best.deliveries_per_s, best.deliveries_per_cpu_s) if best else (0.0, 0.0)


def steps_table(fan: FanoutResult) -> list[str]:
    lines = [
        f"{'step':>8} {'msgs/s':>7} {'deliv/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'lost':>5} {'dup':>4} {'srv CPU s':>9} {'deliv/CPU-s':>11} {'redis CPU s':>11} {'gen CPU s':>9}"
    ]
    for s in fan.steps:
        redis_cpu = "-" if math.isnan(s.redis_cpu_s) else f"{s.redis_cpu_s:.2f}"
        lines.append(
            f"{s.name:>8} {s.sent / s.seconds:>7.0f} {s.deliveries_per_s:>9,.0f} {s.p50_ms:>7.1f} "
            f"{s.p95_ms:>7.1f} {s.p99_ms:>7.1f} {s.lost:>5} {s.duplicates:>4} {s.server_cpu_s:>9.2f} "
            f"{s.deliveries_per_cpu_s:>11,.0f} {redis_cpu:>11} {s.client_cpu_s:>9.2f}"
            + ("" if s.passed else "  x")
        )
    best = fan.best()
    lines.append(
        f"  highest step with p99 <= {LATENCY_GOAL_MS:.0f} ms and nothing lost or duplicated: "
        + (f"{best.name} ({best.deliveries_per_s:,.0f} deliveries/s)" if best else "none")
        + (f"; stopped after {fan.stopped_after}" if fan.stopped_after else "")
        + (f"; reconnects {fan.reconnects}" if fan.reconnects else "")
        + (f"; refused {fan.errors}" if fan.errors else "")
    )
    return lines


def run_lines(heading: str, details: str, run: ServerRun) -> list[str]:
    """One server's steps, idle memory and peak RSS per worker."""
    if run.fanout is None:
        return [f"{heading}: not measured — {run.skipped}"]
    out = [f"{heading} ({details}):", *steps_table(run.fanout)]
    if run.idle:
        i = run.idle
        out.append(
            f"  idle: {i.connections} sockets in {i.rooms} rooms opened in {i.open_seconds:.1f} s, "
            f"worker RSS {sum(i.rss_before_kib) / 1024:.1f} -> {sum(i.rss_after_kib) / 1024:.1f} MiB "
            f"= {i.kib_per_connection:.1f} KiB per idle socket"
        )
    peaks = ", ".join(f"{w.peak_rss_kib / 1024:.1f}" for w in run.workers)
    out.append(f"  peak RSS per worker during the load steps: {peaks} MiB")
    return out


def render(report: Report) -> str:
    load = ", ".join(f"{x:.1f}" for x in report.machine["load_average"])
    out = [
        f"chat benchmark — {report.machine['cpus']} CPUs ({report.machine['cpu_model']}), load average "
        f"before: {load}"
    ]
    if report.ran_fanout():
        out += [
            f"fan-out plan: {report.plan['clients']} clients over {report.plan['rooms']} rooms",
            f"x: a step that failed p99 <= {LATENCY_GOAL_MS:.0f} ms or lost/duplicated deliveries; "
            f"srv CPU s: {SERVER_CPU}",
        ]
    for run in report.servers:
        out += ["", *run_lines(f"backend on {run.name}", f"2 workers, server header {run.server!r}", run)]
    if (peer := report.peer) is not None:
        out += ["", *run_lines("peer: Socket.IO", f"2 node:cluster workers; {peer.server}", peer)]
    if report.baseline is not None:
        out += ["", "baseline: raw Redis pub/sub (a connection per subscriber, same clients, rooms, rates):"]
        out += steps_table(report.baseline)
    if report.pulumi:
        out += ["", "Pulumi program under mocks (fresh interpreter per stack):"]
        for t in report.pulumi:
            out.append(
                f"  {t.stack:>9}: {t.resources} resources registered in {t.register_seconds:.2f} s "
                f"(+ {t.import_seconds:.2f} s imports)"
                if t.error is None
                else f"  {t.stack:>9}: failed — {t.error}"
            )
    if report.comparison and report.peer is not None:
        out += ["", *compare.render(report.comparison, report.peer.name)]
    if report.org is not None:
        out += ["", *org_lines(report.org)]
    if report.ran_fanout():
        out += ["", f"fastest server stack: {report.winner or 'n/a'}", "goals:", *goal_lines(report.goals)]
    out.append(f"run took {report.elapsed_seconds:.0f} s")
    return "\n".join(out)


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(without_nan(dataclasses.asdict(report)), indent=2, allow_nan=False) + "\n")


def without_nan(value: Any) -> Any:
    """JSON has no NaN: a percentile of no samples is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): without_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(v) for v in value]
    return value
