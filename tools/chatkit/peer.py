"""A chat participant that survives faults: one account, one room, a WebSocket that comes back.

A `Peer` keeps reading in the background and records, in arrival order, the id of every
message it is delivered, every ack and every error frame. `say()` retries one message with
the same `client_id` until it is acked (through "unavailable" refusals, closed sockets and
restarts), which is exactly what the product's clients do; `resume()` reconnects and
subscribes with `since` = the last id it saw. A fault drill then compares what each peer got
with what Redis holds, message id by message id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from chat_backend.protocol import Ack, ErrorFrame, MessageFrame, Presence, Send, Subscribe
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from chatkit.accounts import Account
from chatkit.names import unique
from chatkit.sockets import Socket, connect, ws_url

ATTEMPT_SECONDS = 5  # how long one send waits for its ack before it is sent again


@dataclass
class Peer:
    base_url: str
    origin: str
    account: Account
    room: str
    received: list[str] = field(default_factory=list)  # message ids, in delivery order
    received_client_ids: list[str] = field(default_factory=list)  # the same messages' client_ids
    acks: dict[str, str] = field(default_factory=dict)  # client_id -> message id
    errors: list[ErrorFrame] = field(default_factory=list)
    reconnects: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    ws: Socket | None = None
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _answered: asyncio.Event = field(default_factory=asyncio.Event)  # the subscribe got a reply

    @property
    def last_id(self) -> str | None:
        return self.received[-1] if self.received else None

    async def connect(self, timeout: float = 60) -> None:
        """Open a socket and subscribe (with `since` when resuming), retrying until it works."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                ws = await connect(ws_url(self.base_url), self.origin, self.account.cookie)
                await ws.send(Subscribe(room=self.room, since=self.last_id))
                break
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        self.ws = ws
        self._answered.clear()
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))
        # Live delivery starts once the server answered the subscribe (presence, or an error).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._answered.wait(), 10)

    async def resume(self) -> None:
        # A frame off the protocol ended the last reader: fail here rather than reconnect forever.
        failure = self._reader.exception() if self._reader is not None and self._reader.done() else None
        if failure is not None:
            raise failure
        self.reconnects += 1
        await self.drop()
        await self.connect()

    async def _read(self, ws: Socket) -> None:
        try:
            async for frame in ws.frames():
                match frame:
                    case MessageFrame(message=message):
                        self.received.append(message.id)
                        self.received_client_ids.append(message.client_id)
                    case Ack():
                        self.acks[frame.client_id] = frame.id
                    case ErrorFrame():
                        self.errors.append(frame)
                        self._answered.set()
                    case Presence():
                        self._answered.set()
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.conn.close_code)
            self._changed.set()
            self._answered.set()

    @property
    def connected(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def _wait_change(self, timeout: float) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def attempt(self, frame: Send, timeout: float = ATTEMPT_SECONDS) -> str | ErrorFrame | None:
        """Send once: the id it was acked with, the server's refusal of it, or None when the
        socket closed or `timeout` passed first."""
        assert self.ws is not None, "connect() first"
        seen_errors = len(self.errors)
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(frame)
        end = time.monotonic() + timeout
        while frame.client_id not in self.acks and self.connected and time.monotonic() < end:
            refusals = [e for e in self.errors[seen_errors:] if e.client_id == frame.client_id]
            if refusals:
                return refusals[0]
            await self._wait_change(0.5)
        return self.acks.get(frame.client_id)

    async def say(self, text: str, client_id: str | None = None, timeout: float = 90) -> str:
        """Send until acked (same client_id on every retry); returns the stored id."""
        frame = Send(room=self.room, text=text, client_id=client_id or unique("c"))
        deadline = time.monotonic() + timeout
        while frame.client_id not in self.acks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.account.username}: {frame.client_id} never acked")
            if not self.connected:
                await self.resume()
            if isinstance(await self.attempt(frame), ErrorFrame):
                await asyncio.sleep(0.2)  # "unavailable": nothing stored, retry shortly
        return self.acks[frame.client_id]

    async def wait_for(self, ids: set[str], timeout: float = 30) -> None:
        """Until every id in `ids` was delivered (resuming if the socket dropped)."""
        deadline = time.monotonic() + timeout
        while not ids <= set(self.received):
            if time.monotonic() > deadline:
                missing = sorted(ids - set(self.received))
                raise TimeoutError(
                    f"{self.account.username} misses {len(missing)}: {missing[:5]} "
                    f"(errors {[e.code for e in self.errors[-3:]]}, closes {self.close_codes[-3:]}, "
                    f"reconnects {self.reconnects})"
                )
            if not self.connected:
                await self.resume()
            await self._wait_change(0.5)

    async def drop(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        self.ws = None
        self._reader = None
