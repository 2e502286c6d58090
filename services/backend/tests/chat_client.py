"""A small real client of the chat API for the tests: HTTP with httpx, WebSocket with websockets."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

_names = itertools.count(1)
PASSWORD = "correct-horse-1"


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


class ChatClient:
    def __init__(self, base_url: str, origin: str):
        self.base_url = base_url
        self.origin = origin
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self.username = ""

    async def register(self, username: str | None = None) -> httpx.Response:
        self.username = username or unique("user")
        response = await self.http.post(
            "/api/register", json={"username": self.username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        return response

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    async def ws(self, origin: str | None = None, **kwargs: Any) -> Socket:
        url = self.base_url.replace("http://", "ws://") + "/api/ws"
        conn = await connect(
            url,
            origin=origin or self.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie_header},
            proxy=None,
            compression=None,
            **kwargs,
        )
        return Socket(conn)

    async def aclose(self) -> None:
        await self.http.aclose()


class Socket:
    """A WebSocket that keeps frames it was not asked for yet, so tests can wait for a
    kind without losing the others (a live message may arrive before its own ack)."""

    def __init__(self, conn: ClientConnection):
        self.conn = conn
        self.seen: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.conn.send(frame if isinstance(frame, str | bytes) else orjson.dumps(frame).decode())

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        frame: dict[str, Any] = orjson.loads(raw)
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        """The first frame of type `kind` whose fields equal `match`; others stay pending."""

        def matches(frame: dict[str, Any]) -> bool:
            return frame["type"] == kind and all(frame.get(k) == v for k, v in match.items())

        for frame in self.pending:
            if matches(frame):
                self.pending.remove(frame)
                return frame
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.next(max(remaining, 0.01))
            if matches(frame):
                return frame
            self.pending.append(frame)

    async def messages(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        return [(await self.expect("message", timeout))["message"] for _ in range(count)]

    async def subscribe(self, room: str, since: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "subscribe", "room": room}
        if since:
            frame["since"] = since
        await self.send(frame)
        await self.expect("presence", room=room)

    async def say(self, room: str, text: str, client_id: str | None = None) -> str:
        client_id = client_id or unique("c")
        await self.send({"type": "message", "room": room, "text": text, "client_id": client_id})
        ack = await self.expect("ack", client_id=client_id)
        return str(ack["id"])

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Pending frames plus those that arrive within `seconds` (to check nothing unexpected comes)."""
        frames, self.pending = self.pending, []
        try:
            while True:
                frames.append(await self.next(seconds))
        except TimeoutError:
            return frames

    async def close(self) -> None:
        await self.conn.close()
