"""docs/storage.md's measured part, from the archive benchmark's runs published under
docs/results/ (`archive-<UTC time>.json`, as `make bench-archive` writes them): every run,
newest first, with its machine, the archiver's lag, the read latencies through the HTTP API
beside the same statements on PostgreSQL alone, and the goals."""

from __future__ import annotations

import json
from typing import Any

from chatbench.archive import READS
from checkout import ROOT
from devstack import machine

from docgen.page import Generated, fill, table

RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "storage.md"
NONE_PUBLISHED = (
    "No run is published yet: run `make bench-archive`, copy its JSON from `benchmarks/results/` to "
    "`docs/results/`, then `make docs`.\n"
)


def runs() -> list[dict[str, Any]]:
    """The published runs, newest first (the file names sort by time)."""
    return [json.loads(path.read_text()) for path in sorted(RESULTS.glob("archive-*.json"), reverse=True)]


def latency(figures: dict[str, float]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}"


def run_section(run: dict[str, Any]) -> str:
    host, lag, data = run["machine"], run["archiver"], run["data"]
    head = (
        f"### {run['started']}\n\n{machine.summary(host)}; load average before the run "
        f"{host['load_average'][0]:.1f}. {data['messages']:,} archived messages "
        f"({data['table_and_indexes_mb']} MB with indexes, loaded in {data['load_seconds']:g} s).\n\n"
        f"The archiver at {lag['offered_msgs_per_s']:,} msgs/s ({lag['acked']:,} acked): lag p50 "
        f"{lag['lag_p50_s']:.2f} s, max {lag['lag_max_s']:.2f} s, back to 0 "
        f"{lag['to_zero_after_load_s']:.2f} s after the load stopped.\n\n"
    )
    reads = table(
        ["read (p50 / p99 ms)", "through the HTTP API", "the statement alone on PostgreSQL"],
        [[label, latency(run["reads"][key]), latency(run["sql_alone"][key])] for key, label in READS],
    )
    goals = table(
        ["goal", "target", "measured", "met"],
        [[g["name"], g["target"], g["measured"], "yes" if g["met"] else "**no**"] for g in run["goals"]],
    )
    return f"{head}{reads}\n{goals}"


def runs_section(published: list[dict[str, Any]]) -> str:
    return "\n".join(map(run_section, published)) if published else NONE_PUBLISHED


def render(text: str) -> str:
    return fill(text, "archive-runs", runs_section(runs()))


GENERATED = Generated(PAGE, render)
