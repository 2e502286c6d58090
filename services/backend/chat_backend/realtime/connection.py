"""One client WebSocket: its receive loop, and its outbox (uvicorn_adapter.py), bounded so a
slow reader is dropped instead of stalling delivery to anyone else or growing without limit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum, auto

from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_backend import metrics
from chat_backend.protocol import CloseCode, ServerFrame
from chat_backend.realtime import wire
from chat_backend.realtime.subscriptions import RoomSubscription
from chat_backend.realtime.uvicorn_adapter import outbox_for
from chat_backend.store.accounts import Session

log = logging.getLogger("chat_backend.connection")
_ids = itertools.count(1)


class State(Enum):
    RECEIVING = auto()  # waiting for the next frame (a receive is pending)
    HANDLING = auto()  # a frame in hand (e.g. a send waiting for its ack); none is read meanwhile
    CLOSED = auto()  # nothing more is sent; the receive loop ends


_CLOSED = State.CLOSED  # compared on every push
REPLAY_DRAIN_SECONDS = 10.0
DRAIN_POLL_SECONDS = 0.02


class Connection:
    # Thousands are idle at once: no per-instance dict.
    __slots__ = (
        "_close_frame",
        "_endpoint",
        "_outbox",
        "buffer_bytes",
        "id",
        "last_typing",
        "rooms",
        "session_expires",
        "session_id",
        "state",
        "user",
        "ws",
    )

    def __init__(self, ws: WebSocket, session: Session, buffer_bytes: int):
        self.id = f"{next(_ids)}"
        self.ws = ws
        self.user = session.user
        self.session_id = session.id
        self.session_expires = session.expires_at
        self.buffer_bytes = buffer_bytes
        self.rooms: dict[str, RoomSubscription] = {}
        self.last_typing: dict[str, float] = {}
        self.state = State.RECEIVING
        self._close_frame: tuple[CloseCode, str] | None = None  # chosen by close(), with CLOSED
        self._outbox = outbox_for(ws)  # the socket is accepted: it can take frames
        self._endpoint: asyncio.Task[object] | None = None

    async def run(self, handle: Callable[[str | bytes], Awaitable[None]]) -> None:
        """Called by the endpoint task: hands each frame to `handle`, one at a time, until the
        socket closes, then sends the close frame close() chose, if any."""
        self._endpoint = asyncio.current_task()
        try:
            while self.state is not State.CLOSED and (payload := await self._receive()) is not None:
                if self.state is not State.RECEIVING:  # closed as it came in: not handled, not acked
                    break
                self.state = State.HANDLING
                try:
                    await handle(payload)
                finally:
                    if self.state is State.HANDLING:
                        self.state = State.RECEIVING
        finally:
            self.state = State.CLOSED  # cleanup after this must not be interrupted by close()
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

    def send(self, frame: ServerFrame) -> None:
        """A frame for this socket alone (an ack, an error, a pong)."""
        self.push((wire.server_frame(frame),))

    def push(self, frames: Sequence[bytes]) -> None:
        """Frames from wire.py, shared with other sockets: the live path."""
        if self.state is _CLOSED:
            return
        if self._outbox.buffered() > self.buffer_bytes:
            self._drop_slow_consumer()
            return
        self._outbox.write(frames)

    def push_replay(self, frames: Sequence[bytes]) -> None:
        """A page of a replay (tail.py), sent once ready_for_replay() said so."""
        if self.state is _CLOSED or not frames:
            return
        self._outbox.write(frames)
        metrics.MESSAGES_OUT.inc(len(frames))

    async def ready_for_replay(self) -> bool:
        """Waits until at most half the send buffer is taken, so a page of a replay fits; a
        socket that does not drain that far within REPLAY_DRAIN_SECONDS is dropped as slow."""
        deadline = time.monotonic() + REPLAY_DRAIN_SECONDS
        while self.state is not _CLOSED and self._outbox.buffered() > self.buffer_bytes // 2:
            if time.monotonic() > deadline:
                self._drop_slow_consumer()
                break
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        return self.state is not _CLOSED

    def _drop_slow_consumer(self) -> None:
        metrics.SLOW_CONSUMERS.inc()
        log.warning("slow consumer disconnected", extra={"user": self.user, "conn": self.id})
        self.close(CloseCode.TRY_AGAIN_LATER, "slow consumer: send buffer overflowed, reconnect with since")

    def close(self, code: CloseCode, reason: str) -> None:
        """Stop sending; the receive loop then ends and closes the socket with `code`."""
        if self.state is State.CLOSED:
            return
        waiting = self.state is State.RECEIVING
        self.state = State.CLOSED
        self._close_frame = (code, reason)
        if waiting and self._endpoint is not None:
            # run() sends the close frame once its loop ends: interrupt the receive it waits in.
            self._endpoint.cancel()
