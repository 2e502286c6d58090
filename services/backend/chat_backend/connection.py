"""One client WebSocket: its receive loop, and its outbox (wire.py), bounded so a slow
reader is dropped instead of stalling delivery to anyone else or growing without limit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum, auto
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_backend import metrics, wire
from chat_backend.protocol import CloseCode, ServerFrame, encode

if TYPE_CHECKING:
    from chat_backend.tail import RoomSubscription

log = logging.getLogger("chat_backend.connection")
_ids = itertools.count(1)


class State(Enum):
    RECEIVING = auto()  # waiting for the next frame
    HANDLING = auto()  # a frame in hand (e.g. a send waiting for its ack); none is read meanwhile
    FINISHING = auto()  # shutting down: the frame in hand is finished, no other is handled
    DRAINING = auto()  # shutting down, nothing in hand: frames are read and dropped
    CLOSED = auto()  # nothing more is sent; the receive loop ends


# A receive is pending in these states (and only in these), so close() must interrupt it.
_WAITING = {State.RECEIVING, State.DRAINING}
_DRAIN = {State.RECEIVING: State.DRAINING, State.HANDLING: State.FINISHING}
_HANDLED = {State.HANDLING: State.RECEIVING, State.FINISHING: State.DRAINING}
_CLOSED = State.CLOSED  # compared on every push


class Connection:
    # Thousands are idle at once: no per-instance dict.
    __slots__ = (
        "_close_frame",
        "_endpoint",
        "_outbox",
        "buffer_bytes",
        "id",
        "last_typing",
        "max_frame_bytes",
        "replay_allowance",
        "rooms",
        "state",
        "user",
        "ws",
    )

    def __init__(self, ws: WebSocket, user: str, buffer_bytes: int, max_frame_bytes: int):
        self.id = f"{next(_ids)}"
        self.ws = ws
        self.user = user
        self.buffer_bytes = buffer_bytes
        # A replay may be longer than the live bound; it gets this much extra room, until
        # the outbox has drained below the bound again.
        self.replay_allowance = 0
        self.max_frame_bytes = max_frame_bytes
        self.rooms: dict[str, RoomSubscription] = {}
        self.last_typing: dict[str, float] = {}
        self.state = State.RECEIVING
        self._close_frame: tuple[CloseCode, str] | None = None  # chosen by close(), with CLOSED
        self._outbox = wire.outbox_for(ws)  # the socket is accepted: it can take frames
        self._endpoint: asyncio.Task[object] | None = None

    async def run(self, handle: Callable[[str | bytes], Awaitable[None]]) -> None:
        """Called by the endpoint task: hands each frame to `handle`, one at a time, until the
        socket closes, then sends the close frame close() chose, if any."""
        self._endpoint = asyncio.current_task()
        try:
            while self.state is not State.CLOSED and (payload := await self._receive()) is not None:
                if self._too_big(payload):
                    # uvicorn refuses such frames itself (ws_max_size); granian has no such limit.
                    metrics.REJECTED.labels(kind="ws", code="too_big").inc()
                    self.close(
                        CloseCode.MESSAGE_TOO_BIG, f"frames are limited to {self.max_frame_bytes} bytes"
                    )
                elif self.state is State.RECEIVING:
                    # Otherwise shutting down: not handled, so not acked; the client resends it.
                    self.state = State.HANDLING
                    try:
                        await handle(payload)
                    finally:
                        self.state = _HANDLED.get(self.state, self.state)
        finally:
            self.state = State.CLOSED  # cleanup after this must not be interrupted by close()
            self._outbox.stop()
        if self._close_frame is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(*self._close_frame), timeout=5)

    async def _receive(self) -> str | bytes | None:
        """The next frame, or None once the socket is gone or close() interrupted the wait."""
        try:
            event = await self.ws.receive()
        except asyncio.CancelledError:
            if self._close_frame is None:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # close() interrupted the receive; not a real cancellation
            return None
        except (WebSocketDisconnect, RuntimeError):
            return None
        if event["type"] == "websocket.disconnect":
            return None
        text: str | None = event.get("text")
        return text if text is not None else event.get("bytes") or b""

    def _too_big(self, payload: str | bytes) -> bool:
        if len(payload) <= self.max_frame_bytes // 4:  # a character is at most 4 UTF-8 bytes
            return False
        return len(payload.encode() if isinstance(payload, str) else payload) > self.max_frame_bytes

    def send(self, frame: ServerFrame) -> None:
        """A frame for this socket alone (an ack, an error, a pong)."""
        self.push((wire.text_frame(encode(frame)),))

    def push(self, frames: Sequence[bytes]) -> None:
        """Frames from wire.text_frame, shared with other sockets: the live path."""
        if self.state is _CLOSED:
            return
        buffered = self._outbox.buffered()
        if buffered <= self.buffer_bytes:
            self.replay_allowance = 0  # any replay has drained
        elif buffered > self.buffer_bytes + self.replay_allowance:
            self._drop_slow_consumer()
            return
        self._outbox.write(frames)

    def push_replay(self, frames: Sequence[bytes]) -> None:
        if self.state is _CLOSED or not frames:
            return
        self.replay_allowance += sum(map(len, frames))
        self._outbox.write(frames)
        metrics.MESSAGES_OUT.inc(len(frames))

    def _drop_slow_consumer(self) -> None:
        metrics.SLOW_CONSUMERS.inc()
        log.warning("slow consumer disconnected", extra={"user": self.user, "conn": self.id})
        self.close(CloseCode.TRY_AGAIN_LATER, "slow consumer: send buffer overflowed, reconnect with since")

    def close(self, code: CloseCode, reason: str) -> None:
        """Stop sending; the receive loop then ends and closes the socket with `code`."""
        if self.state is State.CLOSED:
            return
        waiting = self.state in _WAITING
        self.state = State.CLOSED
        self._close_frame = (code, reason)
        self._outbox.stop()
        if waiting and self._endpoint is not None and self._endpoint is not asyncio.current_task():
            # granian holds a close back while a receive is pending: interrupt the receive.
            # (Called by the endpoint task itself, for a frame too big, there is none pending.)
            self._endpoint.cancel()

    async def drain(self, code: CloseCode, reason: str, timeout: float) -> None:
        """Stop taking frames, let the one in hand finish and its ack go out, then close."""
        self.state = _DRAIN.get(self.state, self.state)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Polled, once, at shutdown: an Event per socket would cost memory on every idle socket.
        while self._unsent() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self.close(code, reason)
        if self._endpoint is not None:
            await asyncio.wait([self._endpoint], timeout=max(deadline - loop.time(), 0.1))

    def _unsent(self) -> bool:
        """Shutting down, but a frame is still in hand or frames are still queued."""
        unsent = self._outbox.buffered() > 0
        return self.state is State.FINISHING or (self.state is State.DRAINING and unsent)
