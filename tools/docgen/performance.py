"""docs/performance.md's measured part and the README's summary of it, from the benchmark runs
published under docs/results/ (`bench-<UTC time>.json`, as `make bench` writes them: chatbench's
report.py): every run, newest first, on the page (goals, the comparison with Socket.IO, every
system's steps); the newest run's goals in the README."""

from __future__ import annotations

import json
from typing import Any

from chatbench.compare import cell, ratio_text
from chatbench.fanout import LATENCY_GOAL_MS
from chatbench.plan import PEER
from chatbench.procstats import SERVER_CPU
from checkout import ROOT
from devstack import machine

from docgen.page import Generated, fill, table

RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
Report = dict[str, Any]  # one run, as chatbench wrote it
NONE_PUBLISHED = (
    "No run is published yet: run `make bench`, copy its JSON from `benchmarks/results/` to "
    "`docs/results/`, then `make docs`.\n"
)
STEP_HEADER = [
    "system", "step", "msgs/s", "deliveries/s", "p50 ms", "p99 ms", "lost / dup", "server CPU s",
    "deliveries per CPU-s", "Redis CPU s", "generator CPU s",
]  # fmt: skip


def runs() -> list[Report]:
    """The published runs, newest first (the file names sort by time)."""
    return [json.loads(path.read_text()) for path in sorted(RESULTS.glob("bench-*.json"), reverse=True)]


def num(value: float | None, spec: str) -> str:
    """A figure as the tables show it; `-` where nothing was measured (JSON null)."""
    return "-" if value is None else format(value, spec)


ORG_HEADER = [
    "rooms", "system", "sockets", "connect s", "idle cores (server / Redis)", "deliveries", "lost / dup",
    "p50 ms", "p99 ms", "server ms per delivery", "Redis ms per delivery", "deliveries per server CPU-s",
]  # fmt: skip


def goals_table(report: Report) -> str:
    rows = [[g["name"], g["target"], g["measured"], "yes" if g["met"] else "**no**"] for g in report["goals"]]
    return table(["goal", "target", "measured", "met"], rows)


def org_section(report: Report) -> str:
    """The organisation plan's goals and sizes (runs from before it have none)."""
    org = report.get("org")
    if not org:
        return ""
    plan = org["plan"]
    rows = [
        [
            f"{r['rooms']:,}", label, f"{r['sockets']:,}", num(r["connect_seconds"], ".1f"),
            f"{r['idle_server_cores']:.3f} / {r['idle_redis_cores']:.3f}", f"{r['deliveries']:,}",
            f"{r['lost']} / {r['duplicates']}", num(r["p50_ms"], ".1f"), num(r["p99_ms"], ".1f"),
            num(r["server_ms_per_delivery"], ".3f"), num(r["redis_ms_per_delivery"], ".3f"),
            num(r["deliveries_per_cpu_s"], ",.0f"),
        ]
        for label, sizes in (("backend", org["backend"]), ("Socket.IO", org["peer"]))
        for r in sizes
    ]  # fmt: skip
    return (
        f"Organisation plan: rooms of {plan['room_size']}, each person (one socket) in "
        f"{plan['rooms_per_person']} of them and a DM, {plan['rate']:g} msgs/s into conversations drawn at "
        f"random for {plan['seconds']:g} s; idle: {plan['idle_seconds']:g} s without messages; server: "
        f"{SERVER_CPU}, as in the comparison above:\n\n" + goals_table(org) + "\n" + table(ORG_HEADER, rows)
    )


def comparison_table(report: Report) -> str:
    rows = report["comparison"]
    names, backends = list(rows[0]["values"]), list(rows[0]["ratios"])
    label = {name: "Socket.IO" if name == PEER else name for name in names}
    ratios = [f"{b} ÷ Socket.IO" for b in backends]
    header = ["figure", *(label[n] for n in names), *ratios, "backend ahead when"]
    body = [
        [
            row["metric"],
            *(cell(row["values"][n], row["unit"], row["marks"][n]) for n in names),
            *(ratio_text(row["ratios"][b]) for b in backends),
            row["backend_ahead_when"],
        ]
        for row in rows
    ]
    return (
        "Backend vs Socket.IO (ratio = backend ÷ Socket.IO; in brackets the highest passing step, `+` when "
        "it is the plan's top step, `x` a step that failed):\n\n" + table(header, body)
    )


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
    systems = [(f"backend on {s['name']}", s) for s in report["servers"]]
    return systems + ([("Socket.IO", report["peer"])] if report["peer"] is not None else [])


def steps_table(report: Report) -> str:
    systems = [(label, run["fanout"]) for label, run in measured_runs(report) if run["fanout"]]
    rows = [row for label, fanout in systems for row in step_rows(label, fanout)]
    if report["baseline"] is not None:
        rows += step_rows("Redis pub/sub", report["baseline"])
    return (
        f"Every step (x: p99 over {LATENCY_GOAL_MS:.0f} ms, or deliveries lost or duplicated; server CPU: "
        "the server's processes, its redis-server apart; generator: the load generator's own):\n\n"
        + table(STEP_HEADER, rows)
    )


def other_lines(report: Report) -> str:
    lines = []
    kib = {label: run["idle"]["kib_per_connection"] for label, run in measured_runs(report) if run["idle"]}
    idle = [f"{label} {value:.1f} KiB" for label, value in kib.items()]
    if idle:
        sockets = report["plan"]["idle_connections"]
        lines.append(f"- Memory per idle WebSocket ({sockets} sockets): {', '.join(idle)}.")
    if skipped := [f"{s['name']} ({s['skipped']})" for s in report["servers"] if s["skipped"]]:
        lines.append(f"- Not measured: {', '.join(skipped)}.")
    timings = [
        f"{t['stack']} {t['resources']} resources in {t['register_seconds']:.2f} s"
        if t["error"] is None
        else f"{t['stack']} failed ({t['error']})"
        for t in report["pulumi"]
    ]
    if timings:
        lines.append(f"- The Pulumi program's registration under mocks: {', '.join(timings)}.")
    return "".join(f"{line}\n" for line in lines)


def run_section(report: Report) -> str:
    plan, host = report["plan"], report["machine"]
    blocks = [
        f"### {report['started']}: {', '.join(plan['systems'])}\n",
        f"{machine.summary(host)}; load average before the run {host['load_average'][0]:.1f}. "
        f"{plan['clients']} clients in {plan['rooms']} rooms, {plan['step_seconds']:g} s steps (the light "
        f"step: {plan['light_rate']:g} msgs/s into one room), Redis `appendfsync {plan['appendfsync']}`; "
        f"the run took {report['elapsed_seconds']:.0f} s.\n",
    ]
    if report["goals"]:
        heading = f"Goals, for the fastest backend server ({report['winner']}):\n\n"
        blocks.append(heading + goals_table(report))
    if report["comparison"]:
        blocks.append(comparison_table(report))
    if report["servers"]:
        blocks += [steps_table(report)]
    blocks += [org_section(report), other_lines(report)]
    return "\n".join(block for block in blocks if block)


def runs_section(reports: list[Report]) -> str:
    """Every published run, newest first."""
    return "\n".join(map(run_section, reports)) if reports else NONE_PUBLISHED


def summary(reports: list[Report]) -> str:
    """The goals of the newest run compared with Socket.IO, for the README."""
    compared = [r for r in reports if r["comparison"]]
    if not compared:
        return NONE_PUBLISHED
    newest, link = compared[0], PAGE.relative_to(ROOT)
    org = newest.get("org")
    return (
        f"The newest run ({newest['started']}, {machine.summary(newest['machine'])}; every run and step: "
        f"[{link}]({link})):\n\n"
        + goals_table(newest)
        + (f"\nThe organisation plan in that run:\n\n{goals_table(org)}" if org else "")
    )


def render_page(text: str) -> str:
    return fill(text, "bench-runs", runs_section(runs()))


def render_readme(text: str) -> str:
    return fill(text, "bench-summary", summary(runs()))


GENERATED = (Generated(PAGE, render_page), Generated(README, render_readme))
