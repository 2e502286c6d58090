"""One client process of the load generator (uvloop): it opens its share of subscribers
and senders, then runs the steps the driver orders and reports after each one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

import uvloop

from chatbench.plan import Plan, Step
from chatbench.probe import now_ns, probe_text, sequence
from chatbench.pubsub import PubSubTarget, PubSubTransport
from chatbench.socketio import SocketIOTarget, SocketIOTransport
from chatbench.tally import StepReport, Tally
from chatbench.transport import Sender, Subscriber, Transport
from chatbench.websocket import BackendTransport, Target

SystemTarget = Target | SocketIOTarget | PubSubTarget  # where a system under test is reached

OPEN_CONCURRENCY = 20  # handshakes in flight per process: setup, not a connect storm


@dataclass(frozen=True)
class StepOrder:
    index: int
    step: Step
    start_ns: int  # CLOCK_MONOTONIC, shared by every process


@dataclass(frozen=True)
class Ready:
    subscribers: int
    senders: int


def make_transport(target: SystemTarget) -> Transport:
    if isinstance(target, Target):
        return BackendTransport(target)
    if isinstance(target, SocketIOTarget):
        return SocketIOTransport(target)
    return PubSubTransport(target)


async def sleep_until(deadline_ns: int) -> None:
    delay = (deadline_ns - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


async def paced_sends(
    sender: Sender, room: int, order: StepOrder, rate: float, next_n: list[int], step_of: dict[int, int]
) -> int:
    """Open loop: message k goes out at start + k/rate, late ones go out at once."""
    interval_ns = int(1e9 / rate)
    end_ns = order.start_ns + int(order.step.seconds * 1e9)
    sent = 0
    due = order.start_ns
    while due < end_ns:
        await sleep_until(due)
        seq = sequence(room, next_n[room])
        next_n[room] += 1
        step_of[seq] = order.index
        await sender.send(seq, probe_text(order.index, seq))
        sent += 1
        due += interval_ns
    return sent


class ClientProcess:
    def __init__(self, plan: Plan, process: int, target: SystemTarget):
        self.plan, self.process = plan, process
        self.transport = make_transport(target)
        self.client_ids = plan.clients_of(process)
        self.tally = Tally(len(self.client_ids))
        self.subscribers: list[Subscriber] = []
        self.senders: dict[int, Sender] = {}
        self.next_n = [0] * plan.rooms
        self.step_of: dict[int, int] = {}  # seq -> step it was sent in

    async def open(self) -> Ready:
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def one(local: int, client: int) -> Subscriber:
            async with gate:
                return await self.transport.subscriber(
                    client, self.plan.room_of(client), self.tally.callback(local)
                )

        self.subscribers = list(await asyncio.gather(*(one(i, c) for i, c in enumerate(self.client_ids))))
        for room in self.plan.senders_of(self.process):
            self.senders[room] = await self.transport.sender(room)
        return Ready(len(self.subscribers), len(self.senders))

    async def run_step(self, order: StepOrder) -> StepReport:
        rooms = [room for room in order.step.rooms if room in self.senders]
        rate = order.step.rate / len(order.step.rooms)
        counts: Sequence[int] = await asyncio.gather(
            *(paced_sends(self.senders[room], room, order, rate, self.next_n, self.step_of) for room in rooms)
        )
        await sleep_until(order.start_ns + int((order.step.seconds + self.plan.drain_seconds) * 1e9))
        report = self._take()
        report.sent[order.index] = sum(counts)
        return report

    def _take(self) -> StepReport:
        report = self.tally.take()
        for sender in self.senders.values():
            for seq in sender.record.acked:
                report.acked.setdefault(self.step_of[seq], set()).add(seq)
            sender.record.acked = set()
            report.errors.update(sender.record.errors)
            sender.record.errors = {}
        report.reconnects = self.transport.reconnects()
        return report

    async def quiesce(self, quiet_s: float = 1.0, limit_s: float = 15.0) -> None:
        """Wait until deliveries stop arriving, so closing does not cut off late ones."""
        deadline = now_ns() + int(limit_s * 1e9)
        last = -1
        while now_ns() < deadline:
            arrived = self.tally.arrived()
            if arrived == last:
                return
            last = arrived
            await asyncio.sleep(quiet_s)

    async def close(self) -> StepReport:
        await self.quiesce()
        await asyncio.gather(*(s.close() for s in self.subscribers), return_exceptions=True)
        report = self._take()  # acks that came in after the last step's drain
        await asyncio.gather(*(s.close() for s in self.senders.values()), return_exceptions=True)
        return report


async def serve(pipe: Connection, plan: Plan, process: int, target: SystemTarget) -> None:
    loop = asyncio.get_running_loop()
    clients = ClientProcess(plan, process, target)
    pipe.send(await clients.open())
    while True:
        order: StepOrder | None = await loop.run_in_executor(None, pipe.recv)
        if order is None:
            pipe.send(await clients.close())
            return
        pipe.send(await clients.run_step(order))


def main(pipe: Connection, plan: Plan, process: int, target: SystemTarget) -> None:
    """Entry point of a client process (multiprocessing, spawn)."""
    try:
        uvloop.run(serve(pipe, plan, process, target))
    except BaseException as exc:
        pipe.send(exc)
        raise
