"""Memory per idle WebSocket: open C sockets, each subscribed to a room as a real client is,
let the server settle, and divide the workers' RSS growth by C. Any system's transport opens
them (its subscriber, confirmed subscribed), so the backend and the peer are measured alike."""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass

from chatbench.probe import now_ns
from chatbench.procstats import ServerProcesses
from chatbench.transport import Subscriber, Transport

SETTLE_S = 1.5
WARM_UP = 100
OPEN_CONCURRENCY = 40  # handshakes in flight: memory is measured here, not a connect storm


@dataclass
class IdleResult:
    connections: int
    rooms: int
    open_seconds: float
    rss_before_kib: list[int]  # per worker
    rss_after_kib: list[int]
    kib_per_connection: float


def raise_fd_limit(needed: int) -> None:
    """Each idle socket is a file descriptor here (and one in a worker): lift the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise RuntimeError(f"need {needed} open files, the hard limit is {hard}: lower --idle")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def ignore(text: str) -> None:
    """Idle rooms get no messages; nothing to count."""


async def open_idle(transport: Transport, count: int, rooms: int) -> list[Subscriber]:
    """`count` subscribers over the transport's `rooms` rooms (round-robin)."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(i: int) -> Subscriber:
        async with gate:
            return await transport.subscriber(i, i % rooms, ignore)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def measure_idle(transport: Transport, count: int, rooms: int, server: ServerProcesses) -> IdleResult:
    raise_fd_limit(count + 1024)
    # First sockets pay one-time costs (lazy imports, pools, caches): not per-connection memory.
    warm = await open_idle(transport, min(count, WARM_UP), rooms)
    await asyncio.gather(*(s.close() for s in warm))
    await asyncio.sleep(SETTLE_S)
    before = server.rss_kib()
    started = now_ns()
    subscribers = await open_idle(transport, count, rooms)
    open_seconds = (now_ns() - started) / 1e9
    await asyncio.sleep(SETTLE_S)
    after = server.rss_kib()
    await asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True)
    growth = sum(after) - sum(before)
    return IdleResult(count, rooms, open_seconds, before, after, growth / count)
