"""A chat participant for the drills: one account, a WebSocket that comes back after faults.

A `Peer` keeps reading in the background and records, in arrival order, the id of every
message it is delivered, every ack and every error frame. `say()` retries one message with
the same `client_id` until it is acked (through "unavailable" refusals, closed sockets and
restarts), which is exactly what the product's clients do; `resume()` reconnects and
subscribes with `since` = the last id it saw. The drills then compare what each peer got
with what Redis holds, message id by message id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

PASSWORD = "drill-password-1"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}_{int(time.time() * 1000) % 100_000}"


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/api/ws"


@dataclass
class Account:
    username: str
    cookie: str  # "chat_session=..." as a Cookie header value


async def register(base_url: str, username: str | None = None) -> Account:
    name = username or unique("u")
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
        response = await http.post("/api/register", json={"username": name, "password": PASSWORD})
        assert response.status_code == 201, response.text
        cookie = "; ".join(f"{key}={value}" for key, value in http.cookies.items())
    return Account(name, cookie)


async def open_socket(base_url: str, origin: str, cookie: str | None) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else {}
    return await connect(
        ws_url(base_url),
        origin=origin,  # type: ignore[arg-type]  # websockets types it as its Origin NewType
        additional_headers=headers,
        proxy=None,
        compression=None,
        open_timeout=10,
        max_size=2**22,
    )


@dataclass
class Peer:
    base_url: str
    origin: str
    account: Account
    room: str
    received: list[str] = field(default_factory=list)  # message ids, in delivery order
    received_client_ids: list[str] = field(default_factory=list)  # the same messages' client_ids
    acks: dict[str, str] = field(default_factory=dict)  # client_id -> message id
    errors: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    ws: ClientConnection | None = None
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
                ws = await open_socket(self.base_url, self.origin, self.account.cookie)
                frame: dict[str, Any] = {"type": "subscribe", "room": self.room}
                if self.last_id:
                    frame["since"] = self.last_id
                await ws.send(orjson.dumps(frame).decode())
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
        self.reconnects += 1
        await self.drop()
        await self.connect()

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    self.received.append(frame["message"]["id"])
                    self.received_client_ids.append(frame["message"]["client_id"])
                elif kind == "ack":
                    self.acks[frame["client_id"]] = frame["id"]
                elif kind == "error":
                    self.errors.append(frame)
                    self._answered.set()
                elif kind == "presence":
                    self._answered.set()
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.close_code)
            self._changed.set()
            self._answered.set()

    @property
    def connected(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def _wait_change(self, timeout: float) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def say(self, text: str, client_id: str | None = None, timeout: float = 90) -> str:
        """Send until acked (same client_id on every retry); returns the stored id."""
        client_id = client_id or unique("c")
        frame = orjson.dumps(
            {"type": "message", "room": self.room, "text": text, "client_id": client_id}
        ).decode()
        deadline = time.monotonic() + timeout
        while client_id not in self.acks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.account.username}: {client_id} never acked")
            if not self.connected:
                await self.resume()
            assert self.ws is not None
            seen_errors = len(self.errors)
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(frame)
            # Wait for this ack, a refusal of it, or the socket closing, then decide.
            attempt_end = time.monotonic() + 5
            while client_id not in self.acks and self.connected and time.monotonic() < attempt_end:
                if any(e.get("client_id") == client_id for e in self.errors[seen_errors:]):
                    await asyncio.sleep(0.2)  # "unavailable": nothing stored, retry shortly
                    break
                await self._wait_change(0.5)
        return self.acks[client_id]

    async def wait_for(self, ids: set[str], timeout: float = 30) -> None:
        """Until every id in `ids` was delivered (resuming if the socket dropped)."""
        deadline = time.monotonic() + timeout
        while not ids <= set(self.received):
            if time.monotonic() > deadline:
                missing = sorted(ids - set(self.received))
                raise TimeoutError(f"{self.account.username} misses {len(missing)}: {missing[:5]}")
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
