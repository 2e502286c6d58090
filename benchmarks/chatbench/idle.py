"""Memory per idle WebSocket: open C authenticated sockets, each subscribed to a room as a
real client is, let the server settle, and divide the workers' RSS growth by C."""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass

import orjson
from websockets.asyncio.client import ClientConnection

from chatbench.probe import now_ns
from chatbench.procstats import ServerProcesses
from chatbench.websocket import Target, open_socket, until_pong

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


async def open_idle(target: Target, count: int, room_names: list[str]) -> list[ClientConnection]:
    """`count` sockets, each subscribed to a room (round-robin) and confirmed by a pong."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    cookies = target.client_cookies

    async def one(i: int) -> ClientConnection:
        async with gate:
            ws = await open_socket(target, cookies[i % len(cookies)])
            await ws.send(
                orjson.dumps({"type": "subscribe", "room": room_names[i % len(room_names)]}).decode()
            )
            await until_pong(ws)
            return ws

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def measure_idle(
    target: Target, count: int, room_names: list[str], server: ServerProcesses
) -> IdleResult:
    raise_fd_limit(count + 1024)
    # First sockets pay one-time costs (lazy imports, pools, caches): not per-connection memory.
    warm = await open_idle(target, min(count, WARM_UP), room_names)
    await asyncio.gather(*(ws.close() for ws in warm))
    await asyncio.sleep(SETTLE_S)
    before = server.rss_kib()
    started = now_ns()
    sockets = await open_idle(target, count, room_names)
    open_seconds = (now_ns() - started) / 1e9
    await asyncio.sleep(SETTLE_S)
    after = server.rss_kib()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    growth = sum(after) - sum(before)
    return IdleResult(count, len(room_names), open_seconds, before, after, growth / count)
