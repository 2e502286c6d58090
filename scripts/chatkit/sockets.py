"""A WebSocket to the chat, opened as the frontend opens it (its Origin, the session cookie),
that sends frames built from the protocol models and receives frames as them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from chat_backend.protocol import (
    Ack,
    ClientFrame,
    Message,
    MessageFrame,
    Ping,
    Pong,
    Presence,
    Send,
    ServerFrame,
    Subscribe,
)
from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as open_connection
from websockets.typing import Origin

from chatkit.frames import decode, encode
from chatkit.names import unique

F = TypeVar("F", bound=BaseModel)

_OPTIONS: dict[str, Any] = {
    "proxy": None,  # the backend is on 127.0.0.1 here, whatever proxy the environment names
    "compression": None,  # the backend turns permessage-deflate off too
}


def ws_url(base_url: str) -> str:
    """The WebSocket endpoint of the API at `base_url` (http:// becomes ws://, https:// wss://)."""
    return base_url.replace("http", "ws", 1) + "/api/ws"


async def connect(url: str, origin: str | None, cookie: str | None, **options: Any) -> Socket:
    """Open `url` with `origin` and the session `cookie` (None: anonymous). `options` go to
    websockets' connect, e.g. `sock` for a socket tuned beforehand or `max_queue`."""
    conn = await open_connection(
        url,
        origin=Origin(origin) if origin else None,
        additional_headers={"Cookie": cookie} if cookie else None,
        **{**_OPTIONS, **options},
    )
    return Socket(conn)


class Socket:
    """One WebSocket. Frames `expect` passes over stay pending for later calls, so a test can
    wait for one kind without losing the others (a live message may come before its own ack)."""

    def __init__(self, conn: ClientConnection):
        self.conn = conn  # the connection itself, for loops that decode frames their own way
        self.seen: list[ServerFrame] = []  # every frame recv() returned, in order
        self.pending: list[ServerFrame] = []

    async def send(self, frame: ClientFrame | str | bytes) -> None:
        """A protocol frame; text or bytes go out verbatim (frames the models cannot express)."""
        await self.conn.send(frame if isinstance(frame, str | bytes) else encode(frame))

    async def recv(self, timeout: float | None = 5) -> ServerFrame:
        """The next frame off the wire (pending ones are not returned again)."""
        async with asyncio.timeout(timeout):
            frame = decode(await self.conn.recv())
        self.seen.append(frame)
        return frame

    async def frames(self) -> AsyncIterator[ServerFrame]:
        """Every frame until the socket closes, for a background reader (not kept in `seen`)."""
        async for raw in self.conn:
            yield decode(raw)

    async def expect(self, kind: type[F], timeout: float = 5, **match: Any) -> F:
        """The first frame of `kind` whose fields equal `match`; the others stay pending."""
        for frame in self.pending:
            if isinstance(frame, kind) and _has(frame, match):
                self.pending.remove(frame)
                return frame
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(None)
                if isinstance(frame, kind) and _has(frame, match):
                    return frame
                self.pending.append(frame)

    async def messages(self, count: int, timeout: float = 10) -> list[Message]:
        return [(await self.expect(MessageFrame, timeout)).message for _ in range(count)]

    async def subscribe(self, room: str, since: str | None = None) -> Presence:
        """Subscribed once the room's presence arrives; the replay after `since` follows it."""
        await self.send(Subscribe(room=room, since=since))
        return await self.expect(Presence, room=room)

    async def say(self, room: str, text: str, client_id: str | None = None) -> str:
        """One message, sent once; returns the id its ack names."""
        frame = Send(room=room, text=text, client_id=client_id or unique("c"))
        await self.send(frame)
        return (await self.expect(Ack, client_id=frame.client_id)).id

    async def until_pong(self, timeout: float | None = 10) -> list[ServerFrame]:
        """Sends a ping; frames are handled in order per socket, so once its pong is in, all
        sent before it is done. Returns the pending frames and those that came before the pong."""
        await self.send(Ping())
        frames, self.pending = self.pending, []
        async with asyncio.timeout(timeout):
            while not isinstance(frame := await self.recv(None), Pong):
                frames.append(frame)
        return frames

    async def quiet(self, seconds: float = 0.3) -> list[ServerFrame]:
        """The pending frames and those that come until none did for `seconds` (to check that
        nothing unexpected comes)."""
        frames, self.pending = self.pending, []
        with contextlib.suppress(TimeoutError):
            while True:
                frames.append(await self.recv(seconds))
        return frames

    async def close(self) -> None:
        await self.conn.close()


def _has(frame: BaseModel, fields: dict[str, Any]) -> bool:
    return all(getattr(frame, name) == value for name, value in fields.items())
