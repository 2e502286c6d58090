"""One size of the organisation plan against one running system: every person's socket opened
and subscribed, the system left idle, then a constant rate of messages into conversations drawn
at random, each from one of its members; every delivery to every member's socket counted."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from chatbench.clients import OPEN_CONCURRENCY, sleep_until
from chatbench.org.plan import Layout, OrgPlan
from chatbench.org.sockets import Person
from chatbench.percentiles import summary
from chatbench.probe import now_ns, probe_text, room_of_sequence, sequence
from chatbench.procstats import ProcessGroup, ServerProcesses
from chatbench.tally import Tally
from chatbench.transport import OnText

MakePerson = Callable[[int, list[str], OnText], Person]  # person index, their conversations, tally


@dataclass
class SizeResult:
    system: str
    rooms: int
    conversations: int
    sockets: int
    connect_seconds: float  # every socket opened and subscribed to all its conversations
    idle_server_cores: float  # CPU-seconds per second with no messages: the server's processes
    idle_redis_cores: float  # and its redis-server
    sent: int
    acked: int
    expected: int  # acked messages x their conversation's members
    deliveries: int
    lost: int
    duplicates: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float  # during the messages and their drain
    redis_cpu_s: float
    server_ms_per_delivery: float
    redis_ms_per_delivery: float
    deliveries_per_cpu_s: float  # per server CPU-second, as the fan-out plan counts it
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ms_per_delivery(self) -> float:
        """Server and Redis together."""
        return self.server_ms_per_delivery + self.redis_ms_per_delivery


def _cpu(server: ServerProcesses, redis: ProcessGroup) -> tuple[float, float]:
    return server.cpu_seconds(), redis.cpu_seconds()


def _since(before: tuple[float, float], server: ServerProcesses, redis: ProcessGroup) -> tuple[float, float]:
    now = _cpu(server, redis)
    return now[0] - before[0], now[1] - before[1]


async def run_size(
    system: str, plan: OrgPlan, layout: Layout, make: MakePerson, server: ServerProcesses, redis: ProcessGroup
) -> SizeResult:
    tally = Tally(layout.people)
    names = [c.name for c in layout.conversations]
    mine = layout.of_person()
    people = [make(p, [names[c] for c in mine[p]], tally.callback(p)) for p in range(layout.people)]
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def open_one(one: Person) -> None:
        async with gate:
            await one.start()

    started = now_ns()
    await asyncio.gather(*(open_one(one) for one in people))
    connect_seconds = (now_ns() - started) / 1e9
    try:
        await asyncio.sleep(plan.settle_seconds)
        before = _cpu(server, redis)
        await asyncio.sleep(plan.idle_seconds)
        idle_server, idle_redis = _since(before, server, redis)
        before = _cpu(server, redis)
        sent = await _send(plan, layout, people)
        await asyncio.sleep(plan.drain_seconds)
        server_cpu, redis_cpu = _since(before, server, redis)
    finally:
        await asyncio.gather(*(one.close() for one in people), return_exceptions=True)
    report = tally.take()
    acked = set().union(*(one.record.acked for one in people))
    sizes = [len(c.members) for c in layout.conversations]
    expected = sum(sizes[room_of_sequence(seq)] for seq in acked)
    delivered = sum(min(report.receivers[seq], sizes[room_of_sequence(seq)]) for seq in acked)
    samples = report.latencies_us.get(0, ())
    latency = summary(samples)
    errors: dict[str, int] = {}
    for one in people:
        for code, count in one.record.errors.items():
            errors[code] = errors.get(code, 0) + count
    deliveries = len(samples)
    per = max(deliveries, 1)
    return SizeResult(
        system=system,
        rooms=layout.rooms,
        conversations=len(layout.conversations),
        sockets=layout.people,
        connect_seconds=connect_seconds,
        idle_server_cores=idle_server / plan.idle_seconds,
        idle_redis_cores=idle_redis / plan.idle_seconds,
        sent=sent,
        acked=len(acked),
        expected=expected,
        deliveries=deliveries,
        lost=expected - delivered,
        duplicates=report.duplicates[0],
        p50_ms=latency["p50_ms"],
        p99_ms=latency["p99_ms"],
        max_ms=latency["max_ms"],
        server_cpu_s=server_cpu,
        redis_cpu_s=redis_cpu,
        server_ms_per_delivery=server_cpu * 1000 / per,
        redis_ms_per_delivery=redis_cpu * 1000 / per,
        deliveries_per_cpu_s=deliveries / server_cpu if server_cpu > 0 else 0.0,
        errors=errors,
    )


async def _send(plan: OrgPlan, layout: Layout, people: list[Person]) -> int:
    """Open loop: message k at start + k/rate, into a conversation drawn at random (the same
    draw for every system), from one of its members drawn too."""
    draw = random.Random(plan.seed)
    count = int(plan.rate * plan.seconds)
    next_n = [0] * len(layout.conversations)
    start = now_ns()
    for k in range(count):
        await sleep_until(start + int(k * 1e9 / plan.rate))
        index = draw.randrange(len(layout.conversations))
        conversation = layout.conversations[index]
        seq = sequence(index, next_n[index])
        next_n[index] += 1
        people[draw.choice(conversation.members)].send(conversation.name, seq, probe_text(0, seq))
    return count
