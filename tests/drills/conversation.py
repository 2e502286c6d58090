"""A room full of peers talking while a fault is injected halfway through."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatkit import Peer, register

from tests.drills.drill_env import ORIGIN, ROOM


@dataclass
class Outcome:
    peers: list[Peer]
    acked: set[str]  # message ids the server acked
    sent: int
    seconds: float

    @property
    def ack_rate(self) -> float:
        return len(self.acked) / self.seconds if self.seconds else 0.0


async def join(base_url: str, count: int, room: str = ROOM) -> list[Peer]:
    accounts = await asyncio.gather(*(register(base_url) for _ in range(count)))
    peers = [Peer(base_url, ORIGIN, account, room) for account in accounts]
    await asyncio.gather(*(peer.connect() for peer in peers))
    return peers


async def converse(
    peers: list[Peer], per_peer: int, fault: Callable[[], Awaitable[None]], fault_after: float = 0.5
) -> Outcome:
    """Every peer says `per_peer` messages (each retried until acked); `fault` runs once
    `fault_after` of all messages are acked, while the others keep sending."""
    total = per_peer * len(peers)
    started = time.monotonic()

    async def talk(peer: Peer) -> None:
        for i in range(per_peer):
            await peer.say(f"{peer.account.username} says {i}")

    async def inject() -> None:
        while sum(len(p.acks) for p in peers) < total * fault_after:  # noqa: ASYNC110 (polls the peers' counts)
            await asyncio.sleep(0.01)
        await fault()

    await asyncio.gather(inject(), *(talk(peer) for peer in peers))
    acked = {message_id for peer in peers for message_id in peer.acks.values()}
    return Outcome(peers, acked, total, time.monotonic() - started)
