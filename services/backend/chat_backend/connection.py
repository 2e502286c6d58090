"""One client WebSocket: a bounded send queue drained by its own writer task, so a
slow reader can never stall delivery to anyone else."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field

from starlette.websockets import WebSocket

from chat_backend import metrics

log = logging.getLogger("chat_backend.connection")
_ids = itertools.count(1)
SLOW_CONSUMER_CLOSE = 1013  # "try again later": the client reconnects and resumes with `since`


@dataclass(eq=False)
class RoomSubscription:
    """Delivery state of one connection in one room. While the missed messages are being
    replayed, live ones are buffered; afterwards anything at or below `floor` was already sent."""

    conn: Connection
    replaying: bool = True
    buffer: list[tuple[tuple[int, int], str]] = field(default_factory=list)
    floor: tuple[int, int] = (0, 0)

    def deliver(self, message_id: tuple[int, int], frame: str) -> None:
        if self.replaying:
            self.buffer.append((message_id, frame))
        elif message_id > self.floor:
            self.conn.push(frame)

    def finish_replay(self, replayed: list[tuple[tuple[int, int], str]], floor: tuple[int, int]) -> None:
        """Send the replay then the buffered live messages it did not cover; no await in
        here, so nothing can slip in between."""
        self.conn.push_replay([frame for _, frame in replayed])
        if replayed:
            floor = max(floor, replayed[-1][0])
        self.floor = floor
        for message_id, frame in self.buffer:
            if message_id > floor:
                self.conn.push(frame)
        self.buffer.clear()
        self.replaying = False


class Connection:
    def __init__(self, ws: WebSocket, user: str, queue_size: int):
        self.id = f"{next(_ids)}"
        self.ws = ws
        self.user = user
        self.queue: deque[str] = deque()
        self.queue_size = queue_size
        # A replay may be longer than the live queue bound; it gets this much extra room.
        self.replay_allowance = 0
        self._ready = asyncio.Event()
        self.rooms: dict[str, RoomSubscription] = {}
        self.closed = False
        self.close_frame: tuple[int, str] | None = None
        self.receiving = False  # the endpoint task is waiting for the next frame
        self.handling = False  # a frame is being handled (e.g. a send waiting for its ack)
        self.draining = False  # shutting down: no new frames are handled
        self.last_typing: dict[str, float] = {}
        self._writer: asyncio.Task[None] | None = None
        self._endpoint: asyncio.Task[object] | None = None

    def start(self) -> None:
        """Called by the endpoint task, which then reads frames until the socket closes."""
        self._endpoint = asyncio.current_task()
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def push(self, frame: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.queue_size + self.replay_allowance:
            metrics.SLOW_CONSUMERS.inc()
            log.warning("slow consumer disconnected", extra={"user": self.user, "conn": self.id})
            self.close(SLOW_CONSUMER_CLOSE, "slow consumer: send queue overflowed, reconnect with since")
            return
        queue = self.queue
        queue.append(frame)
        if len(queue) == 1:  # the writer only waits when the queue is empty
            self._ready.set()

    def push_replay(self, frames: list[str]) -> None:
        if self.closed or not frames:
            return
        self.replay_allowance += len(frames)
        self.queue.extend(frames)
        self._ready.set()
        metrics.MESSAGES_OUT.inc(len(frames))

    def close(self, code: int, reason: str) -> None:
        """Stop sending; the endpoint task then closes the socket with `code`."""
        if self.closed:
            return
        self.closed = True
        self.close_frame = (code, reason)
        if self._writer is not None:
            self._writer.cancel()
        if self.receiving and self._endpoint is not None:
            # granian holds a close back while a receive is pending: interrupt the receive.
            self._endpoint.cancel()

    async def drain(self, code: int, reason: str, timeout: float) -> None:
        """Stop taking frames, let the one in hand finish and its ack go out, then close."""
        self.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Polled, once, at shutdown: an Event per socket would cost memory on every idle socket.
        while (self.handling or self.queue) and not self.closed and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self.close(code, reason)
        if self._endpoint is not None:
            await asyncio.wait([self._endpoint], timeout=max(deadline - loop.time(), 0.1))

    async def send_close(self) -> None:
        """The close frame chosen by close(), if any (called by the endpoint task)."""
        if self.close_frame is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(*self.close_frame), timeout=5)

    async def _write_loop(self) -> None:
        send = self.ws.send_text
        queue, ready = self.queue, self._ready
        with contextlib.suppress(Exception):
            while True:
                while not queue:
                    ready.clear()
                    await ready.wait()
                await send(queue.popleft())
                if self.replay_allowance:
                    self.replay_allowance -= 1

    async def stop(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
