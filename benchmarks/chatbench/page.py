"""Published runs as Markdown: the measured part of docs/performance.md (every run: goals, the
comparison with Socket.IO, each system's steps) and the README's summary (the newest run's goals).
Read from the JSON `write_json` makes (report.py); docgen/performance.py puts them on the pages."""

from __future__ import annotations

from typing import Any

from devstack import machine

from chatbench.compare import cell, ratio_text
from chatbench.fanout import LATENCY_GOAL_MS
from chatbench.plan import PEER

Report = dict[str, Any]  # one run, as write_json wrote it
NONE_PUBLISHED = (
    "No run is published yet: run `make bench`, copy its JSON from `benchmarks/results/` to "
    "`docs/results/`, then `make docs`.\n"
)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [header, ["---"] * len(header), *rows]
    return ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines]


def systems(report: Report) -> list[str]:
    return list(report["plan"]["systems"])


def goals_table(report: Report) -> list[str]:
    rows = [[g["name"], g["target"], g["measured"], "yes" if g["met"] else "**no**"] for g in report["goals"]]
    return table(["goal", "target", "measured", "met"], rows)


def comparison_table(report: Report) -> list[str]:
    rows = report["comparison"]
    if not rows:
        return []
    names = list(rows[0]["values"])
    backends = list(rows[0]["ratios"])
    label = {name: "Socket.IO" if name == PEER else name for name in names}
    header = [
        "figure",
        *(label[n] for n in names),
        *(f"{b} ÷ Socket.IO" for b in backends),
        "backend ahead when",
    ]
    body = [
        [
            row["metric"],
            *(cell(row["values"][n], row["unit"], row["marks"][n]) for n in names),
            *(ratio_text(row["ratios"][b]) for b in backends),
            row["backend_ahead_when"],
        ]
        for row in rows
    ]
    return [
        "Backend vs Socket.IO (ratio = backend ÷ Socket.IO; in brackets the highest passing step, `+` when "
        "it is the plan's top step, `x` a step that failed):",
        "",
        *table(header, body),
    ]


def num(value: float | None, spec: str) -> str:
    """A figure as the tables show it; `-` where nothing was measured (JSON null)."""
    return "-" if value is None else format(value, spec)


def step_rows(system: str, fanout: dict[str, Any]) -> list[list[str]]:
    rows = []
    for s in fanout["steps"]:
        p99 = s["p99_ms"]
        passed = p99 is not None and p99 <= LATENCY_GOAL_MS and s["lost"] == s["duplicates"] == 0
        rows.append([
            system, s["name"], num(s["sent"] / s["seconds"], ".0f"), num(s["deliveries_per_s"], ",.0f"),
            num(s["p50_ms"], ".1f"), num(p99, ".1f") + ("" if passed else " x"),
            f"{s['lost']} / {s['duplicates']}", num(s["server_cpu_s"], ".2f"),
            num(s["deliveries_per_cpu_s"], ",.0f"), num(s["redis_cpu_s"], ".2f"),
            num(s["client_cpu_s"], ".2f"),
        ])  # fmt: skip
    return rows


def measured_runs(report: Report) -> list[tuple[str, dict[str, Any]]]:
    """(label, server run) of every system that ran, the backend's servers first."""
    runs = [(f"backend on {s['name']}", s) for s in report["servers"]]
    if report["peer"] is not None:
        runs.append(("Socket.IO", report["peer"]))
    return runs


def steps_table(report: Report) -> list[str]:
    rows = [
        row
        for label, run in measured_runs(report)
        if run["fanout"]
        for row in step_rows(label, run["fanout"])
    ]
    if report["baseline"] is not None:
        rows += step_rows("Redis pub/sub", report["baseline"])
    header = [
        "system", "step", "msgs/s", "deliveries/s", "p50 ms", "p99 ms", "lost / dup", "server CPU s",
        "deliveries per CPU-s", "Redis CPU s", "generator CPU s",
    ]  # fmt: skip
    return [
        f"Every step (x: p99 over {LATENCY_GOAL_MS:.0f} ms, or deliveries lost or duplicated; server CPU: "
        "the server's processes, its redis-server apart; generator: the load generator's own):",
        "",
        *table(header, rows),
    ]


def other_lines(report: Report) -> list[str]:
    idle = [
        f"{label} {run['idle']['kib_per_connection']:.1f} KiB"
        for label, run in measured_runs(report)
        if run["idle"]
    ]
    lines = []
    if idle:
        sockets = report["plan"]["idle_connections"]
        lines.append(f"- Memory per idle WebSocket ({sockets} sockets): {', '.join(idle)}.")
    skipped = [f"{s['name']} ({s['skipped']})" for s in report["servers"] if s["skipped"]]
    if skipped:
        lines.append(f"- Not measured: {', '.join(skipped)}.")
    timings = [
        f"{t['stack']} {t['resources']} resources in {t['register_seconds']:.2f} s"
        if t["error"] is None
        else f"{t['stack']} failed ({t['error']})"
        for t in report["pulumi"]
    ]
    if timings:
        lines.append(f"- The Pulumi program's registration under mocks: {', '.join(timings)}.")
    return lines


def run_section(report: Report) -> str:
    plan, host = report["plan"], report["machine"]
    lines = [
        f"### {report['started']}: {', '.join(systems(report))}",
        "",
        f"{machine.summary(host)}; load average before the run {host['load_average'][0]:.1f}. "
        f"{plan['clients']} clients in {plan['rooms']} rooms, {plan['step_seconds']:g} s steps (the light "
        f"step: {plan['light_rate']:g} msgs/s into one room), Redis `appendfsync {plan['appendfsync']}`; "
        f"the run took {report['elapsed_seconds']:.0f} s.",
        "",
    ]
    if report["goals"]:
        lines += [
            f"Goals, for the fastest backend server ({report['winner']}):",
            "",
            *goals_table(report),
            "",
        ]
    if report["comparison"]:
        lines += [*comparison_table(report), ""]
    lines += [*steps_table(report), ""]
    if extra := other_lines(report):
        lines += [*extra, ""]
    return "\n".join(lines)


def runs_section(reports: list[Report]) -> str:
    """Every published run, newest first."""
    return "\n".join(map(run_section, reports)) if reports else NONE_PUBLISHED


def summary(reports: list[Report], page_link: str) -> str:
    """The goals of the newest run compared with Socket.IO, for the README."""
    compared = [r for r in reports if r["comparison"]]
    if not compared:
        return NONE_PUBLISHED
    newest = compared[0]
    lines = [
        f"The newest run ({newest['started']}, {machine.summary(newest['machine'])}; every run and "
        f"step: [{page_link}]({page_link})):",
        "",
        *goals_table(newest),
    ]
    return "\n".join(lines) + "\n"
