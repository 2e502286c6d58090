"""The driver: starts the client processes, orders the steps one by one, samples the
server's CPU around each step, and turns the client reports into per-step results."""

from __future__ import annotations

import math
import multiprocessing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

from chatbench import clients
from chatbench.clients import SystemTarget
from chatbench.percentiles import summary
from chatbench.plan import Plan, Step
from chatbench.probe import now_ns, room_of_sequence
from chatbench.procstats import ProcessGroup, ServerProcesses
from chatbench.tally import StepReport

LATENCY_GOAL_MS = 200.0
START_DELAY_S = 0.3  # every process gets the order before the step starts
SETUP_TIMEOUT_S = 120.0


@dataclass
class StepResult:
    name: str
    rate: float
    rooms: int
    seconds: float
    sent: int
    acked: int
    expected: int
    deliveries: int
    lost: int
    duplicates: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    deliveries_per_s: float
    server_cpu_s: float
    deliveries_per_cpu_s: float
    redis_cpu_s: float  # the system's redis-server, not in server_cpu_s (nan: Redis is the server)
    client_cpu_s: float  # the load generator's own CPU: near (processes x seconds) means it is the limit

    @property
    def passed(self) -> bool:
        return self.p99_ms <= LATENCY_GOAL_MS and self.lost == 0 and self.duplicates == 0


@dataclass
class FanoutResult:
    system: str
    clients: int
    rooms: int
    steps: list[StepResult]
    reconnects: int
    errors: dict[str, int]  # error frames the senders got (e.g. rate_limited): the probe was refused
    stopped_after: str | None  # the step after which the rest were skipped (too slow or lossy)
    setup_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def best(self) -> StepResult | None:
        """The highest-rate step with p99 <= 200 ms and nothing lost or duplicated."""
        passing = [s for s in self.steps if s.passed]
        return max(passing, key=lambda s: s.deliveries_per_s) if passing else None


class StepCpu(NamedTuple):
    """CPU seconds a step cost: the server's processes, the load generator, the system's Redis."""

    server: float
    client: float
    redis: float  # nan when Redis is the server itself (the baseline)


class ClientPool:
    """The client processes and their pipes."""

    def __init__(self, plan: Plan, target: SystemTarget):
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[BaseProcess] = []
        for process in range(plan.processes):
            ours, theirs = context.Pipe()
            proc = context.Process(
                target=clients.main, args=(theirs, plan, process, target), name=f"bench-clients-{process}"
            )
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    def receive_all(self, timeout: float) -> list[Any]:
        replies = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError(f"a client process did not answer within {timeout:.0f} s")
            reply = pipe.recv()
            if isinstance(reply, BaseException):
                raise RuntimeError(f"a client process failed: {reply!r}") from reply
            replies.append(reply)
        return replies

    def cpu_seconds(self) -> float:
        return ServerProcesses.tree_cpu_seconds([p.pid for p in self.procs if p.pid is not None])

    def send_all(self, message: object) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()


def run_fanout(
    system: str,
    plan: Plan,
    target: SystemTarget,
    server: ServerProcesses,
    redis: ProcessGroup | None = None,
) -> FanoutResult:
    started = now_ns()
    pool = ClientPool(plan, target)
    totals = StepReport()
    cpu: dict[int, StepCpu] = {}
    reconnects: dict[int, int] = {}
    steps = plan.steps()
    stopped_after = None
    try:
        pool.receive_all(SETUP_TIMEOUT_S)
        setup_seconds = (now_ns() - started) / 1e9
        for index, step in enumerate(steps):
            before = cpu_now(server, pool, redis)
            pool.send_all(clients.StepOrder(index, step, now_ns() + int(START_DELAY_S * 1e9)))
            reports = pool.receive_all(step.seconds + plan.drain_seconds + 60)
            cpu[index] = StepCpu(*(a - b for a, b in zip(cpu_now(server, pool, redis), before, strict=True)))
            absorb(totals, reports, reconnects)
            partial = step_result(index, step, totals, cpu[index], plan)
            if plan.stop_p99_ms is None or index + 1 == len(steps):
                continue
            reason = overloaded(partial, plan.stop_p99_ms)
            if reason:
                stopped_after = f"{step.name} ({reason})"
                break
        pool.send_all(None)
        absorb(totals, pool.receive_all(60), reconnects)  # late deliveries still count, as late
    finally:
        pool.stop()
    results = [step_result(i, steps[i], totals, step_cpu, plan) for i, step_cpu in cpu.items()]
    return FanoutResult(
        system,
        plan.clients,
        plan.rooms,
        results,
        sum(reconnects.values()),
        dict(totals.errors),
        stopped_after,
        setup_seconds,
    )


def overloaded(step: StepResult, stop_p99_ms: float) -> str | None:
    """Why the later steps would only measure this one's backlog; None when it kept up."""
    if step.deliveries == 0:
        return "nothing delivered before the drain ended"
    if step.p99_ms > stop_p99_ms:
        return f"p99 {step.p99_ms:.0f} ms"
    if step.lost > 0:
        return f"{step.lost} deliveries still missing after the drain"
    return None


def absorb(totals: StepReport, reports: list[StepReport], reconnects: dict[int, int]) -> None:
    for process, report in enumerate(reports):
        totals.merge(report)
        reconnects[process] = report.reconnects


def cpu_now(server: ServerProcesses, pool: ClientPool, redis: ProcessGroup | None) -> StepCpu:
    return StepCpu(server.cpu_seconds(), pool.cpu_seconds(), redis.cpu_seconds() if redis else math.nan)


def step_result(index: int, step: Step, totals: StepReport, cpu: StepCpu, plan: Plan) -> StepResult:
    sizes = plan.room_sizes()
    acked = totals.acked.get(index, set())
    expected = sum(sizes[room_of_sequence(seq)] for seq in acked)
    delivered_acked = sum(min(totals.receivers[seq], sizes[room_of_sequence(seq)]) for seq in acked)
    deliveries = len(totals.latencies_us.get(index, ()))
    latency = summary(totals.latencies_us.get(index, ()))
    return StepResult(
        name=step.name,
        rate=step.rate,
        rooms=len(step.rooms),
        seconds=step.seconds,
        sent=totals.sent[index],
        acked=len(acked),
        expected=expected,
        deliveries=deliveries,
        lost=expected - delivered_acked,
        duplicates=totals.duplicates[index],
        p50_ms=latency["p50_ms"],
        p95_ms=latency["p95_ms"],
        p99_ms=latency["p99_ms"],
        max_ms=latency["max_ms"],
        deliveries_per_s=deliveries / step.seconds,
        server_cpu_s=cpu.server,
        deliveries_per_cpu_s=deliveries / cpu.server if cpu.server > 0 else math.nan,
        redis_cpu_s=cpu.redis,
        client_cpu_s=cpu.client,
    )
