"""`python -m chatbench.archive --quick` against real redis-server, PostgreSQL and the backend:
every part of the archive benchmark measures something, and its JSON renders as the storage
page's published run. No timing is asserted (a busy 2-core machine says nothing about speed)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from chatbench.archive import QUICK, READ_GOAL_MS, READS
from conftest import run_quick
from docgen import storage


def test_the_quick_run_measures_every_part_and_renders(tmp_path: Path) -> None:
    run_quick("chatbench.archive", "--out", str(tmp_path))
    (written,) = tmp_path.glob("archive-*.json")
    run = json.loads(written.read_text())

    lag = run["archiver"]
    assert lag["acked"] == QUICK.rate * QUICK.seconds  # every send acked
    assert math.isfinite(lag["lag_max_s"])
    assert lag["lag_max_s"] >= lag["lag_p50_s"] >= 0
    assert run["data"]["messages"] == QUICK.archived
    for key, _ in READS:
        for measured in (run["reads"][key], run["sql_alone"][key]):
            assert 0 < measured["p50_ms"] <= measured["p99_ms"] <= measured["max_ms"], measured
    assert run["reads"]["search_results_mean"] > 0  # the searches found archived messages
    assert [goal["met"] for goal in run["goals"]] == [
        run["reads"][key]["p99_ms"] <= READ_GOAL_MS for key, _ in READS
    ]

    section = storage.runs_section([run])
    assert section.startswith(f"### {run['started']}")
    assert all(f"| {goal['name']} |" in section for goal in run["goals"])
    assert f"{QUICK.archived:,} archived messages" in section
