"""Users of the HTTP API: registering them, and the session cookie that authenticates their
WebSockets (docs/protocol.md)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

from chatkit.names import unique
from chatkit.sockets import Socket, connect, ws_url

PASSWORD = "correct-horse-1"  # noqa: S105 (every test user's; no secret)


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
    return response


@dataclass(frozen=True)
class Account:
    username: str
    cookie: str  # the session as a Cookie header value: "chat_session=..."


class ChatClient:
    """One user: an httpx client whose cookie jar holds the session, and the WebSockets it
    opens with that session and `origin`."""

    def __init__(self, base_url: str, origin: str | None = None):
        self.base_url, self.origin = base_url, origin
        # trust_env off: the backend is on 127.0.0.1 here, whatever proxy the environment names.
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30, trust_env=False)
        self.username = ""

    @classmethod
    def signed_in(cls, base_url: str, account: Account, origin: str | None = None) -> ChatClient:
        """A client holding `account`'s session (registered earlier, e.g. by `register`)."""
        client = cls(base_url, origin)
        client.username = account.username
        for pair in account.cookie.split("; "):
            name, _, value = pair.partition("=")
            client.http.cookies.set(name, value)
        return client

    async def register(self, username: str | None = None) -> httpx.Response:
        self.username = username or unique("u")
        body = {"username": self.username, "password": PASSWORD}
        return _expect(await self.http.post("/api/register", json=body), 201)

    async def create_room(self, name: str, private: bool = False) -> None:
        """The room exists afterwards (it may have before); any other answer raises, the
        other 409 (too_many_rooms) too."""
        response = await self.http.post("/api/rooms", json={"name": name, "private": private})
        if response.status_code != 409 or response.json()["error"] != "room_exists":
            _expect(response, 201)

    async def open_dm(self, username: str) -> dict[str, Any]:
        """The DM with `username` (created, or as it was): its RoomInfo."""
        response = await self.http.post("/api/dms", json={"username": username})
        if response.status_code != 200:
            _expect(response, 201)
        info: dict[str, Any] = response.json()
        return info

    async def rooms(self) -> dict[str, dict[str, Any]]:
        """GET /api/rooms: each RoomInfo by name, in the order listed."""
        listed = _expect(await self.http.get("/api/rooms"), 200).json()["rooms"]
        return {room["name"]: room for room in listed}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    async def ws(self, origin: str | None = None, **options: Any) -> Socket:
        return await connect(ws_url(self.base_url), origin or self.origin, self.cookie_header, **options)

    async def aclose(self) -> None:
        await self.http.aclose()


async def register(base_url: str, username: str | None = None) -> Account:
    """A new user (`username` or a unique one) and its session."""
    async with contextlib.aclosing(ChatClient(base_url)) as client:
        await client.register(username)
        return Account(client.username, client.cookie_header)
