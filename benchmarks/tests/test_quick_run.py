"""`python -m chatbench --quick` against the real backend, the Socket.IO peer, redis-server and
the baseline: the benchmark counts every delivery, loses none, and writes a complete report. No
timing is asserted (a busy 2-core machine says nothing about speed here)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import run_quick
from docgen import performance

STEP_FIELDS = {
    "name", "rate", "rooms", "seconds", "sent", "acked", "expected", "deliveries", "lost", "duplicates",
    "p50_ms", "p95_ms", "p99_ms", "max_ms", "deliveries_per_s", "server_cpu_s", "deliveries_per_cpu_s",
    "redis_cpu_s", "client_cpu_s",
}  # fmt: skip
FANOUT_FIELDS = {
    "system",
    "clients",
    "rooms",
    "steps",
    "reconnects",
    "errors",
    "stopped_after",
    "setup_seconds",
}
REPORT_FIELDS = {
    "machine", "started", "plan", "servers", "peer", "baseline", "pulumi", "comparison", "winner", "goals",
    "elapsed_seconds",
}  # fmt: skip
RUN_FIELDS = {"name", "server", "fanout", "idle", "workers", "skipped"}
COMPARISON_FIELDS = {"metric", "unit", "backend_ahead_when", "values", "marks", "ratios"}
GOALS = 5
COMPARISONS = 4  # per server CPU-second, highest passing step, light-load p99, idle memory


def quick(tmp_path_factory: pytest.TempPathFactory, *options: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    stdout = run_quick("chatbench", "--json", str(out), *options)
    return stdout, json.loads(out.read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    return quick(tmp_path_factory)


def check_fanout(fanout: dict[str, Any]) -> None:
    assert set(fanout) >= FANOUT_FIELDS
    assert [s["name"] for s in fanout["steps"]] == ["light", "20/s", "40/s"]
    for step in fanout["steps"]:
        assert set(step) >= STEP_FIELDS
        assert step["sent"] > 0
        assert step["acked"] == step["sent"], step
        # Every accepted probe reached every client in its room, once.
        assert step["expected"] == step["acked"] * (fanout["clients"] // fanout["rooms"]), step
        assert step["deliveries"] == step["expected"] > 0, step
        assert step["lost"] == 0, step
        assert step["duplicates"] == 0, step
        assert step["p50_ms"] <= step["p95_ms"] <= step["p99_ms"] <= step["max_ms"], step
        assert step["server_cpu_s"] >= 0


def check_server(server: dict[str, Any]) -> None:
    """A measured server: its fan-out, idle memory over both workers, peak RSS per worker."""
    assert set(server) >= RUN_FIELDS
    check_fanout(server["fanout"])
    assert all(step["redis_cpu_s"] >= 0 for step in server["fanout"]["steps"])  # its own redis-server
    assert server["idle"]["connections"] == 50
    assert len(server["idle"]["rss_after_kib"]) == 2  # the two workers
    assert server["idle"]["kib_per_connection"] is not None
    assert len(server["workers"]) == 2
    assert all(w["peak_rss_kib"] > 0 for w in server["workers"])


def test_backend_runs_count_every_delivery(run: tuple[str, dict[str, Any]]) -> None:
    _, report = run
    assert set(report) >= REPORT_FIELDS
    measured = [s for s in report["servers"] if s["fanout"] is not None]
    assert measured, report["servers"]
    for server in report["servers"]:
        if server["fanout"] is None:
            assert server["skipped"], server  # a server left out says why
            continue
        check_server(server)
    assert report["winner"] in {s["name"] for s in measured}


def test_socketio_peer_counts_every_delivery(run: tuple[str, dict[str, Any]]) -> None:
    _, report = run
    peer = report["peer"]
    assert peer["name"] == "socketio"
    assert "socket.io 4.8." in peer["server"], peer["server"]
    assert "node v20." in peer["server"], peer["server"]
    check_server(peer)
    assert peer["fanout"]["system"] == "socket.io"


def test_backend_and_peer_are_compared(run: tuple[str, dict[str, Any]]) -> None:
    _, report = run
    comparisons = report["comparison"]
    assert len(comparisons) == COMPARISONS
    backends = {s["name"] for s in report["servers"] if s["fanout"] is not None}
    for row in comparisons:
        assert set(row) >= COMPARISON_FIELDS
        assert set(row["values"]) == backends | {"socketio"}, row
        assert set(row["ratios"]) == backends, row
        # The quick plan runs every step, the compared rate included: every figure is there.
        assert all(value is not None for value in row["values"].values()), row
        assert all(ratio is not None for ratio in row["ratios"].values()), row


def test_baseline_runs_the_same_fanout(run: tuple[str, dict[str, Any]]) -> None:
    _, report = run
    check_fanout(report["baseline"])
    assert report["baseline"]["system"] == "redis pub/sub"


def test_table_and_goals_are_reported(run: tuple[str, dict[str, Any]]) -> None:
    stdout, report = run
    assert len(report["goals"]) == GOALS
    assert all(isinstance(g["met"], bool) and g["measured"] for g in report["goals"])
    for heading in (
        "backend on uvicorn",
        "peer: Socket.IO",
        "baseline: raw Redis pub/sub",
        "backend vs Socket.IO",
        "uvicorn ÷ SIO",
        "goals:",
        "p99 ms",
    ):
        assert heading in stdout


def test_the_backend_runs_on_a_redis_cluster_too(tmp_path_factory: pytest.TempPathFactory) -> None:
    out, report = quick(tmp_path_factory, "--systems", "cluster3", "--plans", "fanout")
    (server,) = report["servers"]
    assert server["name"] == "cluster3"
    assert server["fanout"]["system"] == "backend (uvicorn, Redis Cluster of 3)"
    check_server(server)
    assert sum(step["redis_cpu_s"] for step in server["fanout"]["steps"]) > 0  # its three masters
    assert "backend on cluster3" in out


ORG_FIELDS = {
    "system", "rooms", "conversations", "sockets", "connect_seconds", "idle_server_cores", "idle_redis_cores",
    "sent", "acked", "expected", "deliveries", "lost", "duplicates", "p50_ms", "p99_ms", "max_ms",
    "server_cpu_s", "redis_cpu_s", "server_ms_per_delivery", "redis_ms_per_delivery", "deliveries_per_cpu_s",
}  # fmt: skip
ORG_GOALS = 5  # growth of CPU per delivery, p99, idle CPU, lost/dup, Socket.IO at 2,000 rooms (quick: 40)


def test_the_org_plan_reaches_every_member_of_every_conversation(run: tuple[str, dict[str, Any]]) -> None:
    stdout, report = run
    org = report["org"]
    plan = org["plan"]
    assert [r["rooms"] for r in org["backend"]] == plan["sizes"]
    assert [r["rooms"] for r in org["peer"]] == plan["peer_sizes"]
    for size in [*org["backend"], *org["peer"]]:
        assert set(size) >= ORG_FIELDS
        people = size["rooms"] * plan["room_size"] // plan["rooms_per_person"]
        assert size["sockets"] == people
        assert size["conversations"] == size["rooms"] + people // 2  # a DM per pair of neighbours
        assert size["sent"] == plan["rate"] * plan["seconds"] == size["acked"], size
        # Every accepted message reached each member of its conversation once: 5 in a room, 2 in a DM.
        assert 2 * size["acked"] <= size["expected"] <= plan["room_size"] * size["acked"], size
        assert size["deliveries"] == size["expected"], size
        assert size["lost"] == size["duplicates"] == 0, size
        assert size["p50_ms"] <= size["p99_ms"] <= size["max_ms"], size
        assert size["server_cpu_s"] > 0, size
        assert size["deliveries_per_cpu_s"] > 0, size
        assert min(size["idle_server_cores"], size["idle_redis_cores"]) >= 0, size
        assert size["errors"] == {}, size
    # Two systems draw the same conversations: the same deliveries are expected of both.
    assert [r["expected"] for r in org["backend"]] == [r["expected"] for r in org["peer"]]
    assert len(org["goals"]) == ORG_GOALS
    assert all(isinstance(g["met"], bool) and g["measured"] for g in org["goals"])
    assert "organisation plan goals:" in stdout


SYSTEM_CELLS = ("| backend on ", "| Socket.IO |", "| Redis pub/sub |")  # a step row's first cell


def test_the_run_renders_as_a_published_page(run: tuple[str, dict[str, Any]]) -> None:
    """What `make docs` makes of this JSON once published (docgen/performance.py): every goal,
    every comparison row, every step of every system, and the README's summary of the goals."""
    _, report = run
    section = performance.runs_section([report])
    assert section.startswith(f"### {report['started']}: ")
    systems = [s for s in report["servers"] if s["fanout"]] + [report["peer"]]
    steps = sum(len(s["fanout"]["steps"]) for s in systems) + len(report["baseline"]["steps"])
    step_rows = [line for line in section.splitlines() if line.startswith(SYSTEM_CELLS)]
    assert len(step_rows) == steps
    for row in [*report["goals"], *report["comparison"]]:
        assert f"| {row.get('name', row.get('metric'))} |" in section
    org_rows = [
        line for line in section.splitlines() if re.match(r"\| [\d,]+ \| (backend|Socket\.IO) \|", line)
    ]
    assert len(org_rows) == len(report["org"]["backend"]) + len(report["org"]["peer"])
    assert all(f"| {goal['name']} |" in section for goal in report["org"]["goals"])
    summary = performance.summary([report])
    assert all(f"| {goal['name']} |" in summary for goal in [*report["goals"], *report["org"]["goals"]])
    assert "(docs/performance.md)" in summary
