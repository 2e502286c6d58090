"""The organisation plan end to end: for each size, a fresh system (the backend on uvicorn with
its own redis-server, then Socket.IO with its own), the plan's people and conversations, and
the run (run.py); then the goals."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from chat_backend.settings import Settings

from chatbench import peer, stack
from chatbench.goals import Goal
from chatbench.org.plan import Layout, OrgPlan, layout
from chatbench.org.run import SizeResult, run_size
from chatbench.org.seed import seed
from chatbench.org.sockets import BackendPerson, PeerPerson
from chatbench.procstats import ServerProcesses
from chatbench.transport import OnText
from chatbench.websocket import Target

# What the plan needs beyond the fan-out plan's raised limits: thousands of rooms.
ORG_ENV = {"MAX_ROOMS": "100000000"}
GROWTH_GOAL = 1.25  # CPU per delivery at the largest size ÷ at the smallest, at most
P99_GOAL_MS = 100.0
IDLE_GOAL_CORES = 0.05
PEER_GOAL = 1.5  # deliveries per server CPU-second, backend ÷ Socket.IO, at the largest size both ran


@dataclass
class OrgReport:
    plan: dict[str, object]
    backend: list[SizeResult]
    peer: list[SizeResult]
    goals: list[Goal] = field(default_factory=list)

    def evaluate(self) -> None:
        if not self.backend:
            return
        small, large = self.backend[0], self.backend[-1]
        growth = large.ms_per_delivery / small.ms_per_delivery if small.ms_per_delivery else float("inf")
        worst_p99 = max(r.p99_ms for r in self.backend)
        idle = large.idle_server_cores + large.idle_redis_cores
        lost, dup = sum(r.lost for r in self.backend), sum(r.duplicates for r in self.backend)
        self.goals = [
            Goal(f"worker + Redis CPU per delivery, {large.rooms:,} rooms ÷ {small.rooms:,} rooms",
                 f"<= {GROWTH_GOAL}", f"{large.ms_per_delivery:.3f} / {small.ms_per_delivery:.3f} ms = "
                 f"{growth:.2f}", growth <= GROWTH_GOAL),
            Goal("p99 at every size", f"<= {P99_GOAL_MS:.0f} ms", f"{worst_p99:.1f} ms",
                 worst_p99 <= P99_GOAL_MS),
            Goal(f"idle CPU at {large.rooms:,} rooms (workers + Redis)", f"<= {IDLE_GOAL_CORES} cores",
                 f"{idle:.3f} cores", idle <= IDLE_GOAL_CORES),
            Goal("lost / duplicated deliveries, every size", "0 / 0", f"{lost} / {dup}",
                 lost == 0 and dup == 0),
        ]  # fmt: skip
        ours = {r.rooms: r for r in self.backend}
        both = [r for r in self.peer if r.rooms in ours and r.deliveries_per_cpu_s > 0]
        if both:
            theirs = both[-1]
            mine = ours[theirs.rooms].deliveries_per_cpu_s
            ratio = mine / theirs.deliveries_per_cpu_s
            self.goals.append(
                Goal(f"deliveries per server CPU-s at {theirs.rooms:,} rooms, ÷ Socket.IO", f">= {PEER_GOAL}",
                     f"{mine:,.0f} / {theirs.deliveries_per_cpu_s:,.0f} = {ratio:.2f}", ratio >= PEER_GOAL)
            )  # fmt: skip


def run_org(plan: OrgPlan, workdir: Path, with_peer: bool, appendfsync: str) -> OrgReport:
    """`appendfsync`: both systems' Redis, as the fan-out plan runs them."""
    backend = [
        _backend(plan, layout(plan, rooms), workdir / f"org-{rooms}", appendfsync) for rooms in plan.sizes
    ]
    peers = [
        _peer(plan, layout(plan, rooms), workdir / f"org-{rooms}", appendfsync)
        for rooms in (plan.peer_sizes if with_peer else ())
    ]
    report = OrgReport(dataclasses.asdict(plan), backend, peers)
    report.evaluate()
    return report


def _backend(plan: OrgPlan, lay: Layout, workdir: Path, appendfsync: str) -> SizeResult:
    with (
        stack.redis(workdir / "backend", appendfsync) as redis,
        stack.backend(workdir, redis.url, "uvicorn", "org", extra_env=ORG_ENV) as backend,
    ):
        # The backend's own settings, for the store classes that seed it.
        env = {name.lower(): value for name, value in backend.env.items()}
        settings = Settings.model_validate({name: env[name] for name in Settings.model_fields if name in env})
        cookies = uvloop.run(seed(settings, lay))
        target = Target(backend.url.replace("http://", "ws://") + "/api/ws", stack.ORIGIN, (), (), ())

        def make(index: int, conversations: list[str], on_text: OnText) -> BackendPerson:
            return BackendPerson(target, cookies[index], conversations, on_text)

        server = ServerProcesses(stack.pid_of(backend.server))
        return uvloop.run(run_size("backend", plan, lay, make, server, stack.processes(redis)))


def _peer(plan: OrgPlan, lay: Layout, workdir: Path, appendfsync: str) -> SizeResult:
    with stack.redis(workdir / "socketio", appendfsync) as redis, peer.socketio(workdir, redis.url) as server:

        def make(index: int, conversations: list[str], on_text: OnText) -> PeerPerson:
            return PeerPerson(server.ws_url, conversations, on_text)

        processes = ServerProcesses(stack.pid_of(server))
        return uvloop.run(run_size("socketio", plan, lay, make, processes, stack.processes(redis)))
