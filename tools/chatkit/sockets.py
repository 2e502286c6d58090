"""A WebSocket to the chat, opened as the frontend opens it (its Origin, the session cookie),
that sends frames built from the protocol models and receives frames as them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar, cast

from chat_backend.protocol import (
    Ack,
    ClientFrame,
    Delete,
    Edit,
    ErrorFrame,
    Message,
    MessageFrame,
    Ping,
    Pong,
    Presence,
    Read,
    Send,
    ServerFrame,
    Subscribe,
)
from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as open_connection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from chatkit.frames import decode, encode
from chatkit.names import unique

F = TypeVar("F", bound=BaseModel)
_Answer = cast(type[BaseModel], Ack | ErrorFrame)  # what answers a frame with a client_id

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

    async def edit(self, room: str, message_id: str, text: str, client_id: str | None = None) -> str:
        """Edit a message of one's own, once; returns the id its ack names (the edit's)."""
        frame = Edit(room=room, id=message_id, text=text, client_id=client_id or unique("c"))
        await self.send(frame)
        return (await self.expect(Ack, client_id=frame.client_id)).id

    async def delete(self, room: str, message_id: str, client_id: str | None = None) -> str:
        """Delete a message of one's own, once; returns the id its ack names (the deletion's)."""
        frame = Delete(room=room, id=message_id, client_id=client_id or unique("c"))
        await self.send(frame)
        return (await self.expect(Ack, client_id=frame.client_id)).id

    async def refused(self, frame: Send | Edit | Delete) -> ErrorFrame:
        """Sends `frame` and returns the error frame that refuses it (an ack fails the caller)."""
        await self.send(frame)
        answer = await self.expect(_Answer, client_id=frame.client_id)
        if isinstance(answer, Ack):
            raise AssertionError(f"{frame} was stored: {answer}")
        return cast(ErrorFrame, answer)

    async def read(self, room: str, seq: int) -> None:
        """Moves the read position; no answer but a `read` frame to each of the user's sockets."""
        await self.send(Read(room=room, seq=seq))

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

    async def close_code(self, timeout: float = 10) -> int | None:
        """Reads until the server closes the socket (any socket may get a new room's or
        activity frame first); the code of the close frame it sent, None without one."""
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(timeout):
                while True:
                    self.seen.append(decode(await self.conn.recv()))
        received = self.conn.protocol.close_rcvd
        return received.code if received is not None else None

    async def close(self) -> None:
        await self.conn.close()


def _has(frame: BaseModel, fields: dict[str, Any]) -> bool:
    return all(getattr(frame, name) == value for name, value in fields.items())
